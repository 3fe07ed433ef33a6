"""The one set of conversion rules every source goes through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.normalise import BatchOptions
from collectors.rawframes import normalise_batch, raw_frame


def _one(row: dict[str, object], **opts: object) -> dict[str, object]:
    batch = normalise_batch(raw_frame([{"text": "t", **row}]), BatchOptions(platform="x", **opts))  # type: ignore[arg-type]
    assert batch.replies.height == 1, batch.rejects
    return batch.replies.row(0, named=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2K", 1200),
        ("26.5K", 26500),
        ("3M", 3_000_000),
        ("6711", 6711),
        ("1,234", 1234),
        (" 12 ", 12),
        ("12.0", 12),
        ("0", 0),
        ("", None),
        (None, None),
        ("n/a", None),
    ],
)
def test_counts(raw: str | None, expected: int | None) -> None:
    assert _one({"like_count": raw})["like_count"] == expected


def test_unreadable_counts_are_counted() -> None:
    batch = normalise_batch(raw_frame([{"text": "a", "like_count": "n/a"}]), BatchOptions())
    assert batch.notes["unparsed_like_count"] == 1


def test_blank_likes_are_zero_in_spreadsheets() -> None:
    frame = raw_frame(
        [{"text": "a", "like_count": ""}, {"text": "b"}, {"text": "c", "like_count": "3"}]
    )
    batch = normalise_batch(frame, BatchOptions(blank_counts_zero=True))
    assert batch.replies["like_count"].to_list() == [0, 0, 3]
    # a column the source does not have at all stays empty, not 0
    assert batch.replies["reply_count"].to_list() == [None, None, None]


@pytest.mark.parametrize(
    ("raw", "dayfirst", "expected"),
    [
        (
            "1656532705000.0",
            None,
            datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC),
        ),  # epoch ms as float
        ("1656532705", None, datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC)),  # epoch s
        (1656532705.5, None, datetime(2022, 6, 29, 19, 58, 25, 500000, tzinfo=UTC)),
        ("2022-08-18T04:55:41.000Z", None, datetime(2022, 8, 18, 4, 55, 41, tzinfo=UTC)),
        ("2025-11-22T23:36:59+02:00", None, datetime(2025, 11, 22, 21, 36, 59, tzinfo=UTC)),
        ("Sat Nov 22 23:36:59 +0000 2025", None, datetime(2025, 11, 22, 23, 36, 59, tzinfo=UTC)),
        ("45000.5", None, datetime(2023, 3, 15, 12, 0, tzinfo=UTC)),  # Excel serial
        ("03/12/25 06:24:13", True, datetime(2025, 12, 3, 6, 24, 13, tzinfo=UTC)),
        ("03/12/25 06:24:13", None, datetime(2025, 3, 12, 6, 24, 13, tzinfo=UTC)),
        ("02.09.21", True, datetime(2021, 9, 2, tzinfo=UTC)),
        ("2-9-2021", True, datetime(2021, 9, 2, tzinfo=UTC)),
        ("5 years ago", None, None),
        ("5 سال پہلے", None, None),
    ],
)
def test_dates(raw: object, dayfirst: bool | None, expected: datetime | None) -> None:
    assert _one({"created_at": raw}, dayfirst=dayfirst)["created_at"] == expected


def test_relative_times_are_counted_not_invented() -> None:
    batch = normalise_batch(
        raw_frame(
            [{"text": "a", "created_at": "5 years ago"}, {"text": "b", "created_at": "2 days ago"}]
        ),
        BatchOptions(),
    )
    assert batch.notes["relative_times"] == 2
    assert batch.replies["created_at"].null_count() == 2


def test_unambiguous_day_first_is_detected() -> None:
    batch = normalise_batch(
        raw_frame(
            [{"text": "a", "created_at": "25/12/2024"}, {"text": "b", "created_at": "03/04/2024"}]
        ),
        BatchOptions(),
    )
    assert batch.replies["created_at"].to_list()[1] == datetime(2024, 4, 3, tzinfo=UTC)


def test_text_repairs() -> None:
    assert _one({"text": "\ufeffFish &amp; chips &lt;3"})["text"] == "Fish & chips <3"
    assert _one({"text": "CafÃ© crÃ¨me"})["text"] == "Café crème"
    assert _one({"text": "T\u00c3\u0098S"})["text"] == "TØS"  # Facebook data-download mojibake
    assert _one({"text": "line one\r\nline two"})["text"] == "line one\nline two"


def test_big_ids_stay_exact_and_excel_rounded_ids_are_not_used() -> None:
    row = _one({"reply_id": 1542236063791566848, "parent_id": "1541498855061164034.0"})
    assert row["reply_id"] == "1542236063791566848"
    assert row["parent_id"] == "1541498855061164034"
    batch = normalise_batch(raw_frame([{"text": "t", "reply_id": "1.54224E+18"}]), BatchOptions())
    assert batch.replies["reply_id"][0].startswith("h")
    assert "scientific" in batch.notes["scientific_ids"]


def test_no_text_and_huge_cells_are_rejected_with_reasons() -> None:
    batch = normalise_batch(
        raw_frame([{"text": "  "}, {"text": "x" * 2_000_000}, {"text": "fine"}]), BatchOptions()
    )
    reasons = batch.rejects["reason"].to_list()
    assert batch.replies["text"].to_list() == ["fine"]
    assert reasons[0].startswith("no text") and "larger than a reply" in reasons[1]


def test_thread_and_depth_follow_parents() -> None:
    batch = normalise_batch(
        raw_frame(
            [
                {"text": "root", "reply_id": "1", "thread_native_id": "1", "is_root": True},
                {"text": "a", "reply_id": "2", "parent_id": "1", "thread_native_id": "1"},
                {"text": "b", "reply_id": "3", "parent_id": "2"},
            ]
        ),
        BatchOptions(platform="x"),
    )
    assert batch.roots["thread_id"].to_list() == ["x:1"]
    rows = {r["reply_id"]: r for r in batch.replies.iter_rows(named=True)}
    assert rows["2"]["depth"] == 1 and rows["3"]["depth"] == 2 and rows["3"]["thread_id"] == "x:1"


def test_lone_root_stays_a_post() -> None:
    batch = normalise_batch(
        raw_frame(
            [{"text": "standalone", "reply_id": "9", "thread_native_id": "9", "is_root": True}]
        ),
        BatchOptions(platform="x"),
    )
    assert batch.roots.height == 0 and batch.replies["depth"].to_list() == [0]


def test_derived_ids_are_stable_and_distinguish_repeats() -> None:
    rows = [{"text": "same", "author_handle": "a"}, {"text": "same", "author_handle": "a"}]
    one = normalise_batch(raw_frame(rows), BatchOptions(thread="https://x.com/a/status/1"))
    two = normalise_batch(raw_frame(rows), BatchOptions(thread="https://x.com/a/status/1"))
    assert one.replies["reply_id"].to_list() == two.replies["reply_id"].to_list()
    assert one.replies["reply_id"].n_unique() == 2
    assert one.replies["thread_id"].to_list() == ["x:1", "x:1"]


def test_relative_times_after_a_date_are_still_noted() -> None:
    """A cell like '2024-01-05 (2 days ago)' is relative, not an unreadable date."""
    rows = [
        {"text": "a", "reply_id": "1", "created_at": "2024-01-05 (2 days ago)"},
        {"text": "b", "reply_id": "2", "created_at": "2024-01-05T10:00:00Z"},
        {"text": "c", "reply_id": "3", "created_at": "3 hours ago"},
    ]
    batch = normalise_batch(raw_frame(rows), BatchOptions(platform="x"))
    assert batch.notes.get("relative_times") == 2
    assert "unparsed_dates" not in batch.notes
    dates = dict(zip(batch.replies["reply_id"], batch.replies["created_at"], strict=True))
    assert dates["2"] == datetime(2024, 1, 5, 10, tzinfo=UTC) and dates["1"] is None
