"""Mastodon context parsing (collectors.platforms.mastodon) and the mastodon-context format."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.model import ParseContext
from collectors.platforms.mastodon import parse_context, parse_status, status_id_from
from tests.conftest import sample
from tests.platform_samples import (
    accepted_by,
    expected_formats,
    first_records,
    parse_all,
)

MAIN = "mastodon/mastodon-api-v1-statuses-context_mastodon.social_109294719267373593.json"
FOSS = "mastodon/mastodon-api-v1-statuses-context_fosstodon_114027213608365869_ancestors-only.json"


def status(sid: str, parent: str | None, text: str = "hi", **extra: Any) -> dict[str, Any]:
    """A minimal status as the API writes it."""
    base: dict[str, Any] = {
        "id": sid,
        "created_at": "2024-05-01T10:00:00.000Z",
        "in_reply_to_id": parent,
        "spoiler_text": "",
        "language": "en",
        "uri": f"https://example.social/users/u{sid}/statuses/{sid}",
        "url": f"https://example.social/@u{sid}/{sid}",
        "replies_count": 0,
        "reblogs_count": 1,
        "favourites_count": 2,
        "content": f"<p>{text}</p>",
        "account": {"id": f"a{sid}", "acct": f"u{sid}", "display_name": f"User {sid}"},
    }
    base.update(extra)
    return base


@pytest.mark.samples
def test_sample_descendants_only() -> None:
    ctx = ParseContext()
    rows = parse_all(sample(MAIN), parse_context, ctx)
    assert len(rows) == 59
    assert not any(r.get("is_root") for r in rows)
    assert {r["thread_native_id"] for r in rows} == {"109294719267373593"}
    assert sum(r["depth"] == 1 for r in rows) == 43
    assert max(r["depth"] for r in rows) == 7
    assert ctx.notes == {}
    deep = next(r for r in rows if r["reply_id"] == "109296731817086780")
    assert deep == {
        "reply_id": "109296731817086780",
        "thread_native_id": "109294719267373593",
        "thread_url": None,
        "parent_id": "109296725027702140",
        "author_id": "109281667260835163",
        "author_handle": "OliKockova@toot.whatever.cz",
        "author_name": "Oli Kočková",
        "text": "@ondra @austinkocher @hugo @Gargron @Mastodon OK, thank you.\n"
        "I'll try to reinstall Mastodon.",
        "created_at": "2022-11-06T11:56:11.000Z",
        "like_count": 0,
        "reply_count": 0,
        "repost_count": 0,
        "lang": "cs",
        # A remote status: its URL is on its home server, with that server's id.
        "url": "https://toot.whatever.cz/@OliKockova/109296731506909380",
        "depth": 7,
    }
    first = next(r for r in rows if r["reply_id"] == "109297452549435392")
    assert first["author_handle"] == "austinkocher"
    assert first["like_count"] == 71
    assert first["depth"] == 1
    assert first["text"].startswith("It's amazing to wake up this morning")


@pytest.mark.samples
def test_sample_descendants_only_with_thread_url() -> None:
    ctx = ParseContext(thread="https://mastodon.social/@Gargron/109294719267373593")
    rows = parse_all(sample(MAIN), parse_context, ctx)
    assert {r["thread_url"] for r in rows} == {ctx.thread}
    assert {r["thread_native_id"] for r in rows} == {"109294719267373593"}


@pytest.mark.samples
def test_sample_ancestors_only() -> None:
    ctx = ParseContext(thread="114027213608365869")
    rows = parse_all(sample(FOSS), parse_context, ctx)
    assert len(rows) == 1
    root = rows[0]
    assert root["is_root"] is True
    assert root["reply_id"] == "114026814291152535"
    assert root["thread_native_id"] == "114026814291152535"
    assert root["author_handle"] == "schochastics"
    assert root["like_count"] == 7
    assert root["created_at"] == "2025-02-18T20:38:26.738Z"
    assert root["thread_url"] == "https://fosstodon.org/@schochastics/114026814291152535"
    # The invisible parts of a shortened link are kept, so the link stays whole.
    assert "https://github.com/schochastics/quarto-url-peek" in root["text"]
    assert "depth" not in root


def test_descendants_depths_and_inferred_root() -> None:
    record = {
        "ancestors": [],
        "descendants": [
            status("2", "1", "first"),
            status("3", "2", "second", spoiler_text="politics"),
            status("4", "3", "third"),
            status("5", "1", "another", content=None),
        ],
    }
    ctx = ParseContext()
    rows = parse_context(record, ctx)
    assert [(r["reply_id"], r["parent_id"], r["depth"]) for r in rows] == [
        ("2", "1", 1),
        ("3", "2", 2),
        ("4", "3", 3),
        ("5", "1", 1),
    ]
    assert {r["thread_native_id"] for r in rows} == {"1"}
    assert rows[1]["text"] == "CW: politics\nsecond"
    assert rows[3]["text"] is None
    assert rows[0]["like_count"] == 2 and rows[0]["repost_count"] == 1
    assert ctx.notes == {}


def test_thread_option_names_the_root() -> None:
    record = {"ancestors": [], "descendants": [status("2", "1"), status("3", "2")]}
    rows = parse_context(record, ParseContext(thread="https://example.social/@x/1"))
    assert [(r["thread_native_id"], r["depth"]) for r in rows] == [("1", 1), ("1", 2)]
    assert rows[0]["thread_url"] == "https://example.social/@x/1"
    # A root that the chains do not reach: the thread id is kept, depths are not.
    rows = parse_context(record, ParseContext(thread="99"))
    assert [(r["thread_native_id"], r.get("depth")) for r in rows] == [("99", None), ("99", None)]


def test_ancestors_and_descendants_of_a_reply() -> None:
    # Context of status "3", which replies to "2", which replies to root "1".
    record = {
        "ancestors": [status("1", None, "root"), status("2", "1", "mid")],
        "descendants": [status("4", "3", "below"), status("5", "4", "further")],
    }
    rows = parse_context(record, ParseContext())
    assert [(r["reply_id"], r.get("depth"), bool(r.get("is_root"))) for r in rows] == [
        ("1", None, True),
        ("2", 1, False),
        ("4", 3, False),
        ("5", 4, False),
    ]
    assert {r["thread_native_id"] for r in rows} == {"1"}
    assert {r["thread_url"] for r in rows} == {"https://example.social/@u1/1"}


def test_truncated_ancestors_and_several_roots_are_noted() -> None:
    ctx = ParseContext()
    rows = parse_context({"ancestors": [status("7", "6")], "descendants": []}, ctx)
    assert rows[0]["thread_native_id"] is None and "depth" not in rows[0]
    assert ctx.notes == {"mastodon: root not in file (ancestors truncated)": 1}

    ctx = ParseContext()
    record = {
        "ancestors": [],
        "descendants": [status("2", "1"), status("3", "1"), status("9", "8")],
    }
    rows = parse_context(record, ctx)
    assert {r["thread_native_id"] for r in rows} == {"1"}
    assert [r.get("depth") for r in rows] == [1, 1, None]
    assert ctx.notes == {"mastodon: several possible roots": 1}


def test_malformed_statuses_are_skipped() -> None:
    ctx = ParseContext()
    record = {
        "ancestors": None,
        "descendants": ["x", {"content": "<p>no id</p>"}, status("2", "1")],
    }
    rows = parse_context(record, ctx)
    assert [r["reply_id"] for r in rows] == ["2"]
    assert ctx.notes == {"mastodon: unusable status": 2}
    assert parse_context({"ancestors": [], "descendants": []}, ParseContext()) == []
    # A parent loop (corrupt file) must not hang; no depth can be told.
    loop = parse_context(
        {"ancestors": [], "descendants": [status("2", "3"), status("3", "2")]}, ctx
    )
    assert [r.get("depth") for r in loop] == [None, None]
    junk: list[object] = [None, "x", 3, [], {}]
    for value in junk:
        assert parse_context(value, ParseContext()) == []


def test_parse_status_minimal() -> None:
    row = parse_status({"id": 123456789012345678901, "uri": "https://x/1"})
    assert row["reply_id"] == "123456789012345678901"
    assert row["url"] == "https://x/1"
    assert row["author_handle"] is None and row["text"] is None and "depth" not in row


def test_status_id_from() -> None:
    assert status_id_from("109294719267373593") == "109294719267373593"
    assert status_id_from("https://mastodon.social/@Gargron/109294719267373593") == (
        "109294719267373593"
    )
    assert status_id_from("https://m.s/api/v1/statuses/42/context?x=1") == "42"
    assert status_id_from("  ") is None
    assert status_id_from(None) is None


def test_detect() -> None:
    for rel, record in first_records().items():
        assert accepted_by(record) == expected_formats(rel), rel
    assert accepted_by({"ancestors": [], "descendants": []}) == {"mastodon-context"}
    # Something else with the same two keys but no statuses inside.
    assert accepted_by({"ancestors": [{"name": "x"}], "descendants": []}) == set()
