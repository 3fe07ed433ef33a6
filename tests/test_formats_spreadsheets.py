"""Known CSV/XLSX export layouts (collectors.formats.spreadsheets): ExportComments' time zone
row, and TikTokCommentScraper rows that cannot be re-joined."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.files import ImportOptions, import_file
from store import Store
from tests.conftest import sample
from tests.import_helpers import workbook

# --- ExportComments: the time zone row ----------------------------------------


EC_HEADER = [
    None,
    None,
    "Name (click to view profile)",
    "Profile ID",
    "Date",
    "Likes",
    "Live video timestamp",
    "Comment",
    "(view source)",
]


def _exportcomments(path: Path, zone: str) -> Path:
    rows: list[list[object]] = [
        ["Exported by", "ExportComments.com"],
        ["Source URL", "https://www.facebook.com/somepage/posts/pfbid0abc"],
        ["Timezone", zone],
        [],
        [],
        [],
        EC_HEADER,
        [1, None, "Ann Example", "1000001", datetime(2024, 7, 1, 12, 0, 0), 3, "-", "first", "v"],
        [
            2,
            None,
            "Bob Example",
            "1000002",
            datetime(2024, 7, 1, 13, 30, 0),
            None,
            "-",
            "second",
            "v",
        ],
    ]
    return workbook(path, {"ExportComments.com": rows})


@pytest.mark.parametrize(
    ("zone", "first_utc", "note"),
    [
        ("Europe/Berlin", datetime(2024, 7, 1, 10, 0, tzinfo=UTC), "Europe/Berlin"),
        ("UTC+2", datetime(2024, 7, 1, 10, 0, tzinfo=UTC), "Etc/GMT-2"),
        ("UTC", datetime(2024, 7, 1, 12, 0, tzinfo=UTC), None),
        ("Mars/Olympus_Mons", datetime(2024, 7, 1, 12, 0, tzinfo=UTC), "not known"),
    ],
)
def test_exportcomments_timezone_row_is_used(
    tmp_path: Path, zone: str, first_utc: datetime, note: str | None
) -> None:
    path = _exportcomments(tmp_path / "ec.xlsx", zone)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.fmt == "exportcomments-facebook" and result.added == 2
        first = store.con.execute("SELECT min(created_at) FROM replies").fetchone()
        assert first is not None and first[0] == first_utc
        said = result.notes.get("preamble time zone")
        assert (note is None and said is None) or (note is not None and note in str(said))


def test_exportcomments_sample_with_berlin_timezone(tmp_path: Path) -> None:
    import openpyxl

    original = sample("facebook/exportcomments_facebook-comments_RaniaYoussefofficial-post.xlsx")
    book = openpyxl.load_workbook(original)
    ws = book.active
    assert ws is not None and ws["A3"].value == "Timezone"
    ws["B3"] = "Europe/Berlin"
    berlin = tmp_path / "berlin.xlsx"
    book.save(berlin)
    query = "SELECT text, created_at FROM replies ORDER BY text, created_at"
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        import_file(a, original, ImportOptions())
        import_file(b, berlin, ImportOptions())
        utc, local = a.con.execute(query).fetchall(), b.con.execute(query).fetchall()
        assert len(utc) == len(local) > 0
        shifts = {(u[1] - lo[1]).total_seconds() for u, lo in zip(utc, local, strict=True) if u[1]}
        assert shifts <= {3600.0, 7200.0} and shifts


# --- TikTokCommentScraper: advice for rows that cannot be re-joined -----------


def test_tiktok_rows_that_cannot_be_rejoined_point_to_the_xlsx_export(tmp_path: Path) -> None:
    header = (
        "Comment Number (ID),Nickname,User @,User URL,Comment Text,Time,Likes,"
        "Profile Picture URL,Is 2nd Level Comment,User Replied To,Number of Replies"
    )
    good = [
        f"{i},Name {i},user{i},https://www.tiktok.com/@user{i},comment {i},02.09.21,{i},"
        f"https://p16.example/{i}.jpg,No,---,0"
        for i in range(1, 8)
    ]
    bad = (
        "8,Name 8,user8,https://www.tiktok.com/@user8,a,b,c,d,e,f,g,h,i,j,k,02.09.21,8,"
        "https://p16.example/8.jpg,No,---,0"
    )
    path = tmp_path / "Comments.csv"
    path.write_text(header + "\n" + "\n".join([*good, bad]) + "\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.fmt == "tiktokcommentscraper" and result.rejected == 1
        reason = store.con.execute("SELECT reason FROM rejects").fetchone()
        assert reason is not None and "XLSX export" in reason[0]
        assert "quoted fields" not in reason[0]
