"""Bluesky getPostThreadV2 (collectors.formats.bluesky_v2): the flat thread list written from the
public lexicon's shapes, parents and depths, what the server left out, and one row per reply
when the same posts come from a getPostThread file too."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from collectors.files import ImportOptions, import_file
from collectors.formats.base import RecordRejected
from collectors.formats.bluesky_v2 import is_thread_v2, parse_thread_v2
from collectors.formats.platform_json import parse_bluesky_thread
from collectors.model import ParseContext
from store import Store
from tests.conftest import FIXTURES
from tests.import_helpers import write_file
from tests.platform_samples import fixture

ROOT = "at://did:plc:alice/app.bsky.feed.post/3root"
V2 = "bsky_thread_v2.json"
DEFS = "app.bsky.unspecced.defs#"


def _uri(who: str, rkey: str) -> str:
    return f"at://did:plc:{who}/app.bsky.feed.post/{rkey}"


def _replies(store: Store) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT reply_id, parent_id, depth, text FROM replies ORDER BY depth, reply_id"
    ).fetchall()


def test_fixture_rows_parents_depths_and_what_is_not_in_the_file(store: Store) -> None:
    result = import_file(store, FIXTURES / V2, ImportOptions())
    assert (result.fmt, result.platform) == ("bluesky-thread-v2", "bluesky")
    # The anchor (carol, depth 0) replies two levels below the root (depth -2).
    assert _replies(store) == [
        (_uri("bob", "3a"), ROOT, 1, "depth one"),
        (_uri("carol", "3b"), _uri("bob", "3a"), 2, "depth two"),
        (_uri("dave", "3c"), _uri("carol", "3b"), 3, "depth three"),
        (_uri("grace", "3f"), _uri("carol", "3b"), 3, "depth three, second branch"),
        (_uri("erin", "3d"), _uri("dave", "3c"), 4, "depth four, under dave"),
    ]
    assert store.con.execute("SELECT thread_id, url, text FROM threads").fetchall() == [
        (f"bluesky:{ROOT}", "https://bsky.app/profile/alice.test/post/3root", "the root post")
    ]
    assert {k: v for k, v in result.notes.items() if k.startswith("bluesky")} == {
        "bluesky: replies not in file (moreReplies)": 2,
        "bluesky: threads with other replies not in file (hasOtherReplies)": 1,
        "bluesky: not found": 1,
        "bluesky: blocked": 1,
        "bluesky: replies shown to logged-in users only, not in file": 1,
        "bluesky post without text (image): rejected, no text to analyse": 1,
    }
    # The image-only reply is rejected naming its own item.
    assert store.con.execute("SELECT locator, reason FROM rejects").fetchall() == [
        (f"thread[8] ({_uri('frank', '3e')})", "no text: image-only reply")
    ]


def test_summary_says_what_is_not_in_the_file(tmp_path: Path) -> None:
    from tests.import_helpers import cli_import

    code, lines, _ = cli_import(tmp_path, FIXTURES / V2)
    assert code == 0, lines
    said = " ".join(lines)
    assert "read as bluesky-thread-v2" in said
    assert "replies not in file (moreReplies): 2" in said
    assert "other replies not in file (hasOtherReplies): 1" in said


def test_same_replies_from_getpostthread_and_v2_merge_into_one_row(store: Store) -> None:
    first = import_file(store, FIXTURES / "bsky_reply_with_parents.json", ImportOptions())
    assert first.fmt == "bluesky-thread"
    before = _replies(store)
    second = import_file(store, FIXTURES / V2, ImportOptions())
    # bob, carol and dave are in both files: same key, same parent and depth.
    assert second.added == 2 and second.updated + second.unchanged == 3
    after = _replies(store)
    assert set(before) <= set(after)
    assert len(after) == len({r[0] for r in after}) == 5
    assert store.con.execute("SELECT count(*) FROM threads").fetchone() == (1,)


def _items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = doc["thread"]
    return items


def test_parents_and_depths_from_item_order_when_posts_lack_reply_refs() -> None:
    doc = fixture(V2)
    for item in _items(doc):
        post = item["value"].get("post")
        if post:
            post["record"].pop("reply", None)
    rows = parse_thread_v2(doc, ParseContext())
    # Without reply refs the topmost post is the root; parents come from the depth order.
    got = {r["reply_id"]: (r.get("parent_id"), r.get("depth"), r.get("is_root")) for r in rows}
    assert got[ROOT] == (None, None, True)
    assert got[_uri("carol", "3b")] == (_uri("bob", "3a"), 2, None)
    assert got[_uri("erin", "3d")] == (_uri("dave", "3c"), 4, None)
    # After dave's branch closes, grace (depth 1) answers the anchor again.
    assert got[_uri("grace", "3f")] == (_uri("carol", "3b"), 3, None)


def test_anchor_that_is_the_root_and_a_cut_parent_chain() -> None:
    doc = fixture(V2)
    items = _items(doc)
    # Anchor on bob: his post has depth 0; without the root item the depths come from
    # bob's reply ref (he answers the root, so he is at depth 1).
    cut = [copy.deepcopy(i) for i in items[1:]]
    for item in cut:
        item["depth"] -= 1
    cut[0]["value"]["moreParents"] = True
    ctx = ParseContext()
    rows = parse_thread_v2({"thread": cut, "hasOtherReplies": False}, ctx)
    assert not any(r.get("is_root") for r in rows)
    assert [(r["text"], r.get("depth")) for r in rows][:3] == [
        ("depth one", 1),
        ("depth two", 2),
        ("depth three", 3),
    ]
    assert ctx.notes["bluesky: parents not in file (moreParents)"] == 1
    assert "bluesky: threads with other replies not in file (hasOtherReplies)" not in ctx.notes
    assert {r["thread_url"] for r in rows} == {"https://bsky.app/profile/did:plc:alice/post/3root"}


def test_unknown_item_kind_with_a_post_is_read_and_without_one_is_rejected() -> None:
    doc = fixture(V2)
    items = _items(doc)
    items[4]["value"]["$type"] = DEFS + "threadItemPostWithSomethingNew"
    rows = parse_thread_v2(doc, ParseContext())
    assert _uri("erin", "3d") in {r["reply_id"] for r in rows}
    strange = {
        "thread": [{"uri": ROOT, "depth": 0, "value": {"$type": DEFS + "threadItemFuture"}}],
        "hasOtherReplies": False,
    }
    assert is_thread_v2(strange)
    with pytest.raises(RecordRejected, match=r"none of its 1 items holds a post.*threadItemFuture"):
        parse_thread_v2(strange, ParseContext())


def test_detection_tells_v1_and_v2_apart() -> None:
    v1, v2 = fixture("bsky_reply_with_parents.json"), fixture(V2)
    assert is_thread_v2(v2) and not is_thread_v2(v1)
    assert is_thread_v2({"thread": [], "hasOtherReplies": False})
    for junk in (None, [], {"thread": []}, {"thread": [{"uri": "x", "depth": 0, "value": {}}]}):
        assert not is_thread_v2(junk)


def test_getpostthread_notes_replies_counted_but_not_in_file(store: Store, tmp_path: Path) -> None:
    doc = fixture("bsky_reply_with_parents.json")
    doc["thread"]["post"]["replyCount"] = 4  # one reply in the file
    ctx = ParseContext()
    parse_bluesky_thread(doc, ctx)
    assert ctx.notes == {"bluesky: replies not in file (replyCount > replies)": 3}
    result = import_file(store, write_file(tmp_path, "v1.json", doc), ImportOptions())
    assert result.notes["bluesky: replies not in file (replyCount > replies)"] == 3
