"""The one set of conversion rules every source goes through (collectors.rows: normalise,
rawframes): ids, counts, dates and the source's time zone, text repairs, threads and depths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.rows.normalise import BatchOptions
from collectors.rows.rawframes import NormalisedBatch, _to_str, normalise_batch, raw_frame


def _one(row: dict[str, object], **opts: object) -> dict[str, object]:
    batch = normalise_batch(raw_frame([{"text": "t", **row}]), BatchOptions(platform="x", **opts))  # type: ignore[arg-type]
    assert batch.replies.height == 1, batch.rejects
    return batch.replies.row(0, named=True)


def _batch(field: str, values: list[object], **opts: object) -> NormalisedBatch:
    rows = [{"text": f"t{i}", "reply_id": str(i + 1), field: v} for i, v in enumerate(values)]
    return normalise_batch(raw_frame(rows), BatchOptions(platform="x", **opts))  # type: ignore[arg-type]


def _values(field: str, values: list[object], **opts: object) -> list[object]:
    """The normalised `field` of one row per value, in the order given."""
    batch = _batch(field, values, **opts)
    got = dict(zip(batch.replies["reply_id"], batch.replies[field], strict=True))
    return [got[str(i + 1)] for i in range(len(values))]


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


# --- ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1,765E+18",  # European Excel: decimal comma
        "1,76543E+18",
        "1.765e+18",  # Python's repr of a float
        "1.765E18",
        " 1.765E+18 ",
        "'1.765E+18",  # stored as text, still rounded
    ],
)
def test_scientific_ids_are_refused_and_noted(raw: str) -> None:
    batch = normalise_batch(
        raw_frame([{"text": "t", "reply_id": raw, "parent_id": raw}]), BatchOptions()
    )
    row = batch.replies.row(0, named=True)
    assert row["reply_id"].startswith("h") and row["parent_id"] is None
    assert batch.notes["scientific_ids"].startswith("1 ids were in scientific notation")


def test_excel_text_apostrophe_is_dropped_from_every_id() -> None:
    batch = normalise_batch(
        raw_frame(
            [
                {
                    "text": "t",
                    "reply_id": "'1765000000000000002",
                    "parent_id": "'1765000000000000001",
                    "thread_native_id": "'1765000000000000000",
                    "author_id": "'42",
                }
            ]
        ),
        BatchOptions(platform="x"),
    )
    row = batch.replies.row(0, named=True)
    assert row["reply_id"] == "1765000000000000002"
    assert row["parent_id"] == "1765000000000000001"
    assert row["thread_id"] == "x:1765000000000000000"
    assert row["author_id"] == "42"
    assert "scientific_ids" not in batch.notes


def test_ids_that_only_look_numeric_are_kept() -> None:
    # base-36 ids (Reddit) may read like "12e45"; plain and float-written ids as before
    ids = ["12e45", "1542236063791566848", "1541498855061164034.0", "t1_abc"]
    assert _values("parent_id", ids) == [
        "12e45",
        "1542236063791566848",
        "1541498855061164034",
        "t1_abc",
    ]


def test_float_to_str_never_invents_exact_ids() -> None:
    assert _to_str(12.0) == "12"
    assert _to_str(-3.0) == "-3"
    assert _to_str(2.5) == "2.5"
    assert _to_str(1671850370.01851) == "1671850370.01851"
    assert _to_str(float(2**53 - 1)) == str(2**53 - 1)
    assert _to_str(1.765000000000000001e18) == "1.765e+18"
    assert _to_str(float(2**53)) == "9.00719925474099e+15"


# --- counts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2,5K", 2500),  # decimal comma before a suffix
        ("2,5k", 2500),
        ("12,75K", 12750),
        ("1,2 M", 1_200_000),
        ("1,234K", 1_234_000),  # three digits after the comma: thousands
        ("1.234", 1234),  # dot groups of three: European thousands
        ("12.345.678", 12_345_678),
        ("1\u00a0234", 1234),  # no-break space
        ("1\u202f234", 1234),  # narrow no-break space (French)
        ("12\u202f345\u202f678", 12_345_678),
        ("-5", None),
        ("-1,234", None),
        ("-1.2K", None),
        # unchanged
        ("1,234", 1234),
        ("1.2K", 1200),
        ("26.5K", 26500),
        ("3M", 3_000_000),
        ("12.0", 12),
        ("1.5", 2),  # a decimal that is not a thousands group is rounded, as before
        ("0.500", 1),
        ("6711", 6711),
        ("+5", 5),
        ("", None),
    ],
)
def test_decimal_commas_thousands_groups_and_signs_in_counts(
    raw: str, expected: int | None
) -> None:
    assert _values("like_count", [raw]) == [expected]


def test_negative_and_unreadable_counts_are_flagged() -> None:
    batch = _batch("like_count", ["-5", "7", "n/a", ""], blank_counts_zero=True)
    assert batch.replies["like_count"].to_list() == [None, 7, None, 0]
    assert batch.replies["_bad_like_count"].to_list() == [True, False, True, False]
    assert batch.notes["unparsed_like_count"] == 2


# --- dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05 14:03:00 +0100", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
        ("2024-03-05 14:03:00 -0500", datetime(2024, 3, 5, 19, 3, tzinfo=UTC)),
        ("2024-03-05 14:03:00 +01:00", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
        ("2024-03-05T14:03:00+0100", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
        ("2024-03-05T14:03:00-0500", datetime(2024, 3, 5, 19, 3, tzinfo=UTC)),
        ("2024-03-05 2:03 PM", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
        ("2024-03-05 02:03:09 pm", datetime(2024, 3, 5, 14, 3, 9, tzinfo=UTC)),
        ("2024-03-05 12:03 AM", datetime(2024, 3, 5, 0, 3, tzinfo=UTC)),
        ("5 March 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("5 Mar 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("05 March 2024 14:03", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
        ("5 Sep 2024 14:03:09", datetime(2024, 9, 5, 14, 3, 9, tzinfo=UTC)),
        # numbers
        ("20240305", datetime(2024, 3, 5, tzinfo=UTC)),  # YYYYMMDD, not epoch seconds
        ("45000.5", datetime(2023, 3, 15, 12, 0, tzinfo=UTC)),  # Excel serial
        ("1656532705", datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC)),
        ("1656532705000", datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC)),
        ("1656532705000000", datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC)),
        # unchanged
        ("2024-03-05T14:03:00Z", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
        ("2024-03-05 14:03:00 UTC", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
    ],
)
def test_offsets_am_pm_month_names_and_numbers_in_dates(raw: str, expected: datetime) -> None:
    assert _values("created_at", [raw]) == [expected]


def test_numbers_outside_1990_to_2100_are_unreadable_dates() -> None:
    raw = ["0", "12", "123456", "-1656532705", "20000", "19891231", "20241332", "99999", "5e12"]
    batch = _batch("created_at", [*raw, "1656532705"])
    got = dict(zip(batch.replies["reply_id"], batch.replies["created_at"], strict=True))
    assert [got[str(i + 1)] for i in range(len(raw))] == [None] * len(raw)
    assert got[str(len(raw) + 1)] == datetime(2022, 6, 29, 19, 58, 25, tzinfo=UTC)
    assert batch.notes["unparsed_dates"] == len(raw)


def test_day_first_slash_dates_with_am_pm() -> None:
    # 13/03 proves the file day-first; 05/03 then is 5 March
    assert _values("created_at", ["13/03/2024 2:03 PM", "05/03/2024 9:15:30 AM"]) == [
        datetime(2024, 3, 13, 14, 3, tzinfo=UTC),
        datetime(2024, 3, 5, 9, 15, 30, tzinfo=UTC),
    ]
    assert _values("created_at", ["05/03/2024 2:03 PM"], dayfirst=True) == [
        datetime(2024, 3, 5, 14, 3, tzinfo=UTC)
    ]
    assert _values("created_at", ["05/03/2024 2:03 PM"]) == [
        datetime(2024, 5, 3, 14, 3, tzinfo=UTC)
    ]


# --- the source's time zone ---------------------------------------------------

BERLIN = [
    # no zone in the cell: Berlin local time (CET +1 in March, CEST +2 in July)
    ("2024-03-05 14:03:00", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
    ("2024-07-05 14:03:00", datetime(2024, 7, 5, 12, 3, tzinfo=UTC)),
    ("2024-03-05T14:03:00.250", datetime(2024, 3, 5, 13, 3, 0, 250000, tzinfo=UTC)),
    ("2024-03-05", datetime(2024, 3, 4, 23, 0, tzinfo=UTC)),
    ("2024-03-05 2:03 PM", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
    ("13/03/2024 14:03", datetime(2024, 3, 13, 13, 3, tzinfo=UTC)),
    ("5 March 2024 14:03", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
    ("Mar 05, 2024", datetime(2024, 3, 4, 23, 0, tzinfo=UTC)),
    ("45356.5", datetime(2024, 3, 5, 11, 0, tzinfo=UTC)),  # Excel serial, noon local
    ("20240305", datetime(2024, 3, 4, 23, 0, tzinfo=UTC)),
    # the cell says its zone, or is an instant: unaffected
    ("2024-03-05T14:03:00Z", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
    ("2024-03-05 14:03:00.5Z", datetime(2024, 3, 5, 14, 3, 0, 500000, tzinfo=UTC)),
    ("2024-03-05 14:03:00+02:00", datetime(2024, 3, 5, 12, 3, tzinfo=UTC)),
    ("2024-03-05T14:03:00-0500", datetime(2024, 3, 5, 19, 3, tzinfo=UTC)),
    ("2024-03-05 14:03:00 +0100", datetime(2024, 3, 5, 13, 3, tzinfo=UTC)),
    ("2024-03-05 14:03:00 UTC", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
    ("2024-03-05 14:03:00 GMT", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),
    ("Sat Nov 22 23:36:59 +0000 2025", datetime(2025, 11, 22, 23, 36, 59, tzinfo=UTC)),
    ("1709647380", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),  # epoch seconds
    ("1709647380000", datetime(2024, 3, 5, 14, 3, tzinfo=UTC)),  # epoch ms
]


def test_source_time_zone_applies_to_dates_without_their_own() -> None:
    raw = [r for r, _ in BERLIN]
    assert _values("created_at", raw, timezone="Europe/Berlin") == [e for _, e in BERLIN]


def test_source_time_zone_west_of_utc() -> None:
    assert _values(
        "created_at", ["03/10/2024 01:30", "2024-11-05 09:00"], timezone="America/New_York"
    ) == [
        datetime(2024, 3, 10, 6, 30, tzinfo=UTC),  # EST, before the change to summer time
        datetime(2024, 11, 5, 14, 0, tzinfo=UTC),
    ]


def test_source_time_zone_as_a_fixed_offset() -> None:
    # ExportComments' preamble may say "UTC+2" (ICU reads it as 2 hours ahead of UTC)
    assert _values(
        "created_at", ["2024-03-05 14:03:00", "2024-03-05T14:03:00Z"], timezone="UTC+2"
    ) == [
        datetime(2024, 3, 5, 12, 3, tzinfo=UTC),
        datetime(2024, 3, 5, 14, 3, tzinfo=UTC),
    ]


@pytest.mark.parametrize("zone", [None, "UTC", "Etc/UTC", "utc", "GMT", ""])
def test_utc_source_zone_changes_nothing(zone: str | None) -> None:
    raw = [r for r, _ in BERLIN]
    assert _values("created_at", raw, timezone=zone) == _values("created_at", raw)


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Europe", "Berlin'; DROP TABLE x; --", "+01:00"]
)
def test_unknown_source_zone_is_a_clear_error(zone: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BatchOptions(timezone=zone)
    opts = BatchOptions()
    opts.timezone = zone  # set after construction: still refused before any work
    with pytest.raises(ValueError, match="unknown time zone"):
        normalise_batch(raw_frame([{"text": "t", "created_at": "2024-03-05 14:03"}]), opts)


# --- Reddit's net scores ------------------------------------------------------


def test_reddit_scores_may_be_negative_other_likes_may_not() -> None:
    rows = [
        {"text": f"t{i}", "reply_id": str(i + 1), "like_count": v}
        for i, v in enumerate(["-4", "12", " -16 ", "1.2K"])
    ]
    reddit = normalise_batch(raw_frame(rows), BatchOptions(platform="reddit"))
    got = dict(zip(reddit.replies["reply_id"], reddit.replies["like_count"], strict=True))
    assert [got[k] for k in ("1", "2", "3", "4")] == [-4, 12, -16, 1200]
    assert not reddit.replies["_bad_like_count"].any()
    other = normalise_batch(raw_frame(rows), BatchOptions(platform="x"))
    got = dict(zip(other.replies["reply_id"], other.replies["like_count"], strict=True))
    assert got["1"] is None and got["3"] is None


def test_reddit_told_by_the_thread_url_keeps_negative_scores() -> None:
    rows = [{"text": "t", "reply_id": "1", "like_count": "-3"}]
    opts = BatchOptions(
        platform="other", thread="https://www.reddit.com/r/ukpolitics/comments/abc123/x/"
    )
    batch = normalise_batch(raw_frame(rows), opts)
    assert batch.replies["platform"].to_list() == ["reddit"]
    assert batch.replies["like_count"].to_list() == [-3]
