"""Bluesky getPostThread parsing (collectors.platforms.bluesky) and the bluesky-thread format;
posts without text rejected on import with their own place and JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from collectors.files import ImportOptions, import_file
from collectors.model import ParseContext
from collectors.platforms.bluesky import parse_post_view, parse_thread, post_url
from store import Store
from tests.conftest import sample
from tests.import_helpers import cli_import, query, write_file
from tests.platform_samples import (
    accepted_by,
    expected_formats,
    first_records,
    fixture,
    parse_all,
)

ROOT = "at://did:plc:alice/app.bsky.feed.post/3root"


@pytest.mark.samples
def test_sample_170_replies() -> None:
    ctx = ParseContext()
    rows = parse_all(sample("bluesky/getPostThread_response_170-replies.json"), parse_thread, ctx)
    assert len(rows) == 171
    roots = [r for r in rows if r.get("is_root")]
    assert len(roots) == 1
    root = roots[0]
    root_uri = "at://did:plc:liq6fguhetsghzyo4cmv5zd4/app.bsky.feed.post/3jvuuju3amj2i"
    assert root["reply_id"] == root_uri
    assert root["text"] == "Day one. Jumping in."
    assert root["author_handle"] == "jimmyfallon.bsky.social"
    assert root["like_count"] == 2729
    assert root["url"] == "https://bsky.app/profile/jimmyfallon.bsky.social/post/3jvuuju3amj2i"
    replies = [r for r in rows if not r.get("is_root")]
    assert {r["depth"] for r in replies} == {1}
    assert {r["parent_id"] for r in replies} == {root_uri}
    assert {r["thread_native_id"] for r in rows} == {root_uri}
    dingo = next(r for r in rows if r["author_handle"] == "elorddingo.bsky.social")
    assert dingo == {
        "reply_id": "at://did:plc:tvgasgsfnuzmypxyvxnzw7cu/app.bsky.feed.post/3lelqvbe7mk2t",
        "thread_native_id": root_uri,
        "thread_url": "https://bsky.app/profile/jimmyfallon.bsky.social/post/3jvuuju3amj2i",
        "parent_id": root_uri,
        "author_id": "did:plc:tvgasgsfnuzmypxyvxnzw7cu",
        "author_handle": "elorddingo.bsky.social",
        "author_name": "Dingo",
        "text": "Fellow kids type beat here",
        "created_at": "2024-12-31T09:40:00.146Z",
        "like_count": 8,
        "reply_count": 0,
        "repost_count": 0,
        "quote_count": 0,
        "url": "https://bsky.app/profile/elorddingo.bsky.social/post/3lelqvbe7mk2t",
        "lang": "en",
        "depth": 1,
    }
    assert ctx.notes == {}


@pytest.mark.samples
def test_sample_simple_threadgate() -> None:
    ctx = ParseContext()
    path = sample("bluesky/getPostThread_response_simple-1-reply-threadgate.json")
    rows = parse_all(path, parse_thread, ctx)
    assert [bool(r.get("is_root")) for r in rows] == [True, False]
    reply = rows[1]
    assert (
        reply["reply_id"]
        == "at://did:plc:oy2ebrbjfsmr3oacqe5mbuw5/app.bsky.feed.post/3memlvffl6s2y"
    )
    assert reply["text"] == "reply"
    assert reply["author_handle"] == "dancow.bsky.social"
    assert reply["like_count"] == 1
    assert reply["created_at"] == "2026-02-11T23:09:27.504Z"
    assert reply["parent_id"] == rows[0]["reply_id"]
    assert reply["thread_native_id"] == rows[0]["reply_id"]
    assert reply["depth"] == 1


def test_deep_thread_with_blocked_and_not_found() -> None:
    ctx = ParseContext()
    rows = parse_thread(fixture("bsky_deep_thread.json"), ctx)
    by_text = {r["text"]: r for r in rows}
    # Document order: depth-first, replies in the order the response lists them.
    assert [r["text"] for r in rows] == [
        "the root post",
        "depth one",
        "depth two",
        "depth three",
        "depth four",
        "no type",
    ]
    assert ctx.notes == {
        "bluesky: blocked": 1,
        "bluesky: not found": 1,
        "bluesky: unusable thread node": 1,
    }
    root = by_text["the root post"]
    assert root["is_root"] is True
    assert "depth" not in root and "parent_id" not in root
    assert root["author_name"] == "Alice"
    for depth, text, parent_did, parent_rkey in [
        (1, "depth one", "alice", "3root"),
        (2, "depth two", "bob", "3a"),
        (3, "depth three", "carol", "3b"),
        (4, "depth four", "dave", "3c"),
    ]:
        row = by_text[text]
        assert row["depth"] == depth
        assert row["parent_id"] == f"at://did:plc:{parent_did}/app.bsky.feed.post/{parent_rkey}"
        assert row["thread_native_id"] == ROOT
        assert row["thread_url"] == "https://bsky.app/profile/alice.test/post/3root"
    assert by_text["depth one"]["lang"] == "fr"
    assert by_text["depth one"]["like_count"] == 5
    assert by_text["depth four"]["url"] == "https://bsky.app/profile/erin.test/post/3d"
    # No $type, no handle, no counts: still a reply; the URL falls back to the DID.
    untyped = by_text["no type"]
    assert untyped["depth"] == 1
    assert untyped["author_handle"] is None
    assert untyped["like_count"] is None
    assert untyped["url"] == "https://bsky.app/profile/did:plc:frank/post/3u"
    assert "lang" not in untyped


def test_fetched_post_is_itself_a_reply() -> None:
    ctx = ParseContext()
    rows = parse_thread(fixture("bsky_reply_with_parents.json"), ctx)
    assert [(r["text"], r.get("depth"), bool(r.get("is_root"))) for r in rows] == [
        ("the root post", None, True),
        ("depth one", 1, False),
        ("depth two", 2, False),
        ("depth three", 3, False),
    ]
    assert {r["thread_native_id"] for r in rows} == {ROOT}
    assert rows[2]["parent_id"] == "at://did:plc:bob/app.bsky.feed.post/3a"


def test_reply_without_parent_chain() -> None:
    # Only the reply and its children were fetched (parentHeight=0).
    data = fixture("bsky_reply_with_parents.json")
    del data["thread"]["parent"]
    rows = parse_thread(data, ParseContext())
    assert not any(r.get("is_root") for r in rows)
    # It replies to bob's post, not the root: the depth cannot be told.
    assert [r.get("depth") for r in rows] == [None, None]
    assert rows[0]["thread_native_id"] == ROOT
    assert rows[0]["thread_url"] == "https://bsky.app/profile/did:plc:alice/post/3root"


def test_direct_reply_without_parent_chain_has_depth_one() -> None:
    data = fixture("bsky_reply_with_parents.json")
    thread = data["thread"]
    thread["post"] = copy.deepcopy(thread["parent"]["post"])  # bob's direct reply
    del thread["parent"]
    rows = parse_thread(data, ParseContext())
    assert [r.get("depth") for r in rows] == [1, 2]


def test_parent_chain_cut_by_blocked_node() -> None:
    data = fixture("bsky_reply_with_parents.json")
    data["thread"]["parent"]["parent"] = {"$type": "app.bsky.feed.defs#blockedPost", "uri": ROOT}
    ctx = ParseContext()
    rows = parse_thread(data, ctx)
    assert ctx.notes == {"bluesky: blocked": 1}
    # bob's post replies straight to the root, so depths are still known.
    assert [(r["text"], r.get("depth")) for r in rows] == [
        ("depth one", 1),
        ("depth two", 2),
        ("depth three", 3),
    ]


@pytest.mark.parametrize(
    "record",
    [
        None,
        "text",
        42,
        [],
        {},
        {"thread": None},
        {"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": ROOT, "notFound": True}},
        {"thread": {"post": {"cid": "no uri"}}},
    ],
)
def test_malformed_records_give_no_rows(record: object) -> None:
    assert parse_thread(record, ParseContext()) == []


def test_bare_thread_view_post() -> None:
    data = fixture("bsky_deep_thread.json")["thread"]
    assert accepted_by(data) == {"bluesky-thread"}
    assert len(parse_thread(data, ParseContext())) == 6


def test_parse_post_view_minimal() -> None:
    row = parse_post_view({"uri": "at://did:plc:x/app.bsky.feed.post/1"}, None, None, None)
    assert row["reply_id"] == "at://did:plc:x/app.bsky.feed.post/1"
    assert row["text"] is None and "depth" not in row and "lang" not in row


def test_post_url() -> None:
    assert post_url(ROOT, "alice.test") == "https://bsky.app/profile/alice.test/post/3root"
    assert post_url(ROOT, None) == "https://bsky.app/profile/did:plc:alice/post/3root"
    assert post_url("at://did:plc:x/app.bsky.feed.like/1", "x") is None
    assert post_url("https://bsky.app/x", "x") is None
    assert post_url(None, None) is None


def test_detect_against_every_sample() -> None:
    # Accepts both Bluesky samples, rejects every other sample's records, and
    # no other platform format claims the Bluesky records.
    for rel, record in first_records().items():
        assert accepted_by(record) == expected_formats(rel), rel
        assert ("bluesky-thread" in accepted_by(record)) == rel.startswith("bluesky/"), rel


# --- posts without text, imported: rejected with their own place and JSON ---------


def _bsky_post(rkey: str, text: str, reply_to: str | None = None, **extra: Any) -> dict[str, Any]:
    uri = f"at://did:plc:abc/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2025-01-01T10:00:00Z",
    }
    if reply_to:
        root = "at://did:plc:abc/app.bsky.feed.post/root"
        record["reply"] = {"root": {"uri": root}, "parent": {"uri": reply_to}}
    return {
        "uri": uri,
        "cid": "c" + rkey,
        "author": {"did": "did:plc:abc", "handle": "a.bsky.social"},
        "record": record,
        "likeCount": 1,
        **extra,
    }


def _node(post: dict[str, Any], *replies: dict[str, Any]) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": post, "replies": list(replies)}


def test_bluesky_image_only_reply_rejected_with_its_own_place_and_json(tmp_path: Path) -> None:
    root = "at://did:plc:abc/app.bsky.feed.post/root"
    image = _bsky_post(
        "img",
        "",
        "at://did:plc:abc/app.bsky.feed.post/r2",
        embed={"$type": "app.bsky.embed.images#view", "images": [{"alt": ""}]},
    )
    doc = {
        "thread": _node(
            _bsky_post("root", "the question " + "x" * 20_000),
            _node(_bsky_post("r1", "a text reply", root)),
            _node(_bsky_post("r2", "another text reply", root), _node(image)),
        )
    }
    path = write_file(tmp_path, "thread.json", doc)
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert query(db, "SELECT count(*) FROM replies") == [(2,)]
    [(locator, reason, raw)] = query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator.startswith("thread.replies[1].replies[0]")
    assert image["uri"] in locator
    assert reason == "no text: image-only reply"
    assert json.loads(raw) == image
    summary = " ".join(lines)
    assert "bluesky post without text (image): rejected, no text to analyse: 1" in summary


@pytest.mark.samples
def test_bluesky_sample_rejects_name_each_post(store: Store) -> None:
    path = next(sample("bluesky").glob("*getPostThread*170*"))
    result = import_file(store, path, ImportOptions())
    rows = store.con.execute(
        "SELECT locator, reason, raw FROM rejects WHERE run_id = ?", [result.run_id]
    ).fetchall()
    assert len(rows) == 4
    for locator, reason, raw in rows:
        assert locator.startswith("thread.replies[") and "at://" in locator
        assert reason in ("no text: image-only reply", "no text: link-only reply")
        post = json.loads(raw)
        assert post["uri"] in locator and len(raw) < 10_000
