"""Reddit Listing and Pushshift parsing (collectors.platforms.reddit) and their formats."""

from __future__ import annotations

import pytest

from collectors.model import ParseContext
from collectors.platforms.reddit import (
    continue_thread_parents,
    more_ids,
    parse_comment,
    parse_listing,
    parse_pushshift,
    strip_prefix,
)
from tests.conftest import sample
from tests.platform_samples import (
    accepted_by,
    expected_formats,
    first_records,
    fixture,
    parse_all,
    records,
)

LISTING = "reddit/reddit-api_comments-listing_r-SpainPolitics_thread17.json"
PUSHSHIFT = "reddit/pushshift-dump_comments_r-ufc-2018.ndjson"
POST_URL = (
    "https://www.reddit.com/r/SpainPolitics/comments/1fcm91n/"
    "la_inmigración_crece_los_delitos_no_los_datos/"
)


@pytest.mark.samples
def test_sample_listing() -> None:
    ctx = ParseContext()
    path = sample(LISTING)
    rows = parse_all(path, parse_listing, ctx)
    assert len(rows) == 44
    roots = [r for r in rows if r.get("is_root")]
    assert len(roots) == 1
    root = roots[0]
    assert root["reply_id"] == root["thread_native_id"] == "1fcm91n"
    assert root["text"].startswith("La inmigración crece, los delitos no")
    assert root["reply_count"] == 69
    assert root["url"] == POST_URL
    comments = [r for r in rows if not r.get("is_root")]
    assert len(comments) == 43
    assert {r["thread_native_id"] for r in comments} == {"1fcm91n"}
    assert {r["thread_url"] for r in comments} == {POST_URL}
    # Reddit depth 0..9 becomes 1..10.
    assert min(r["depth"] for r in comments) == 1
    assert max(r["depth"] for r in comments) == 10
    # Both stubs are "continue this thread" links (id "_", no ids).
    assert ctx.notes == {"reddit: continue-thread stubs (deeper replies not loaded)": 2}
    comment_listing = records(path)[1]
    assert more_ids(comment_listing) == []
    assert continue_thread_parents(comment_listing) == ["lmhdvo2", "lm9r528"]
    deep = next(r for r in rows if r["reply_id"] == "lmhdvo2")
    assert deep == {
        "reply_id": "lmhdvo2",
        "thread_native_id": "1fcm91n",
        "thread_url": POST_URL,
        "parent_id": "lmekyr5",
        "author_handle": "provenzal",
        "author_id": "t2_17ed3z",
        "text": "¿Pero te has molestado en leer mi comentario?\n\n"
        "¿Cuál es 'nuestro sitio'? ¿El gulag?",
        "created_at": 1725994904.0,
        "like_count": -2,
        "url": POST_URL + "lmhdvo2/",
        "depth": 10,
    }
    top = next(r for r in rows if r["reply_id"] == "lm9d3io")
    assert (top["author_handle"], top["like_count"], top["parent_id"], top["depth"]) == (
        "ESPILFIRE",
        13,
        "1fcm91n",
        1,
    )
    deleted = next(r for r in rows if r["reply_id"] == "lm9r528")
    assert deleted["author_handle"] == "[deleted]" and deleted["text"] == "[deleted]"


@pytest.mark.samples
def test_sample_pushshift() -> None:
    ctx = ParseContext()
    rows = parse_all(sample(PUSHSHIFT), parse_pushshift, ctx)
    assert len(rows) == 1431
    assert ctx.notes == {}
    assert sum(r.get("depth") == 1 for r in rows) == 316
    assert sum("depth" not in r for r in rows) == 1115
    assert sum(r["author_handle"] == "[deleted]" for r in rows) == 15
    row = next(r for r in rows if r["reply_id"] == "e8s00ia")
    assert row == {
        "reply_id": "e8s00ia",
        "thread_native_id": "9s8od9",
        "thread_url": "https://www.reddit.com/r/ufc/comments/9s8od9/mcgregor_vs_diaz_3/",
        "parent_id": "e8rzrdu",
        "author_handle": "Cutty015",
        "author_id": "t2_koi31v6",
        "text": "I was expecting hate lol glad to see I am not alone. However I am that "
        "guy whos pissed Stipe didn't get a rematch.",
        "created_at": 1540973056,
        "like_count": 1,
        "url": "https://www.reddit.com/r/ufc/comments/9s8od9/mcgregor_vs_diaz_3/e8s00ia/",
    }
    first = next(r for r in rows if r["reply_id"] == "e7bg6rc")
    assert (first["parent_id"], first["thread_native_id"], first["depth"]) == (
        "9m2taz",
        "9m2taz",
        1,
    )
    assert first["like_count"] == 217


def test_mini_listing() -> None:
    post_listing, comment_listing = fixture("reddit_listing_mini.json")
    ctx = ParseContext()
    post_rows = parse_listing(post_listing, ctx)
    assert post_rows == [
        {
            "reply_id": "post1",
            "thread_native_id": "post1",
            "thread_url": "https://www.reddit.com/r/test/comments/post1/a_title/",
            "author_handle": "op",
            "author_id": "t2_op",
            # Entities are left for the normaliser to unescape.
            "text": "A title\n\nBody &amp; more",
            "created_at": 1699999999.0,
            "like_count": 10,
            "reply_count": 9,
            "url": "https://www.reddit.com/r/test/comments/post1/a_title/",
            "is_root": True,
        }
    ]
    rows = parse_listing(comment_listing, ctx)
    assert [(r["reply_id"], r["parent_id"], r.get("depth")) for r in rows] == [
        ("c1", "post1", 1),
        ("c2", "c1", 2),
        ("c3", "c2", 3),
        ("c4", "c1", 2),  # no depth field: one below its parent
        ("c5", "post1", 1),
    ]
    assert rows[4]["author_handle"] == "[deleted]" and rows[4]["like_count"] == -3
    assert ctx.notes == {
        "reddit: continue-thread stubs (deeper replies not loaded)": 1,
        "reddit: more stubs (unexpanded comments)": 3,
        "reddit: unusable thing": 2,
    }
    assert more_ids(comment_listing) == ["m1", "m2", "m3"]
    assert continue_thread_parents(comment_listing) == ["c3"]


@pytest.mark.parametrize(
    "record",
    [None, "", 5, [], {}, {"kind": "Listing"}, {"kind": "Listing", "data": {"children": ""}}],
)
def test_malformed_listing_gives_no_rows(record: object) -> None:
    assert parse_listing(record, ParseContext()) == []
    assert more_ids(record) == []


def test_parse_comment_edge_cases() -> None:
    # Flat comment (no depth field) replying to another comment: depth unknown.
    row = parse_comment({"id": "x", "parent_id": "t1_y", "link_id": "t3_z", "body": "b"})
    assert (row["parent_id"], row["thread_native_id"], "depth" in row) == ("y", "z", False)
    assert row["url"] is None and row["thread_url"] is None
    row = parse_comment(
        {"id": "x", "parent_id": "t3_z", "link_id": "t3_z", "body": "b", "depth": 0}
    )
    assert row["depth"] == 1
    assert parse_comment({})["reply_id"] is None


def test_parse_pushshift_edge_cases() -> None:
    ctx = ParseContext()
    assert parse_pushshift({"id": "x", "link_id": "t3_z"}, ctx) == []
    assert ctx.notes == {"reddit: pushshift line without body": 1}
    assert parse_pushshift("junk", ctx) == []
    rows = parse_pushshift({"id": "x", "body": "b", "parent_id": "t3_z", "link_id": "t3_z"}, ctx)
    assert rows[0]["depth"] == 1 and rows[0]["author_handle"] is None


def test_strip_prefix() -> None:
    assert strip_prefix("t1_abc") == "abc"
    assert strip_prefix("t3_xyz") == "xyz"
    assert strip_prefix("abc") == "abc"
    assert strip_prefix("tx_abc") == "tx_abc"
    assert strip_prefix(None) is None


def test_detect() -> None:
    for rel, record in first_records().items():
        assert accepted_by(record) == expected_formats(rel), rel
    post_listing, comment_listing = fixture("reddit_listing_mini.json")
    assert accepted_by(post_listing) == accepted_by(comment_listing) == {"reddit-listing"}
    # A Listing of something else (e.g. subreddits, t5) is not ours.
    assert accepted_by({"kind": "Listing", "data": {"children": [{"kind": "t5"}]}}) == set()
    # A listing comment's data dict has `depth` etc. but is only a pushshift line if flat.
    flat = {"id": "x", "body": "b", "parent_id": "t3_z", "link_id": "t3_z", "created_utc": 1}
    assert accepted_by(flat) == {"pushshift"}
    assert accepted_by({"kind": "t1", "data": flat}) == set()
