"""Reading CSV/XLSX exports: encodings, NULs, clear refusals, quotes, wide rows, sheets, zones."""

from __future__ import annotations

import csv
import gzip
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from cli import main
from collectors.files import ImportOptions, import_file
from collectors.readers import (
    ImportProblem,
    _cell_text,
    decode,
    decode_bytes,
    detect_kind,
    parse_csv_text,
)
from store import Store

from .conftest import sample


def _cli(tmp_path: Path, path: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main, ["--db", str(tmp_path / "s.duckdb"), "import", str(path), *extra]
    )


def _refused(tmp_path: Path, path: Path, *extra: str) -> str:
    """The one-line error of a refused import (and the store untouched)."""
    result = _cli(tmp_path, path, *extra)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error:") and path.name in lines[0], lines[0]
    return lines[0]


def _rows(db: Path, sql: str = "SELECT reply_id, text, like_count FROM replies") -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql + " ORDER BY 1").fetchall()
    finally:
        con.close()


def _notes(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return str(con.execute("SELECT summary FROM runs ORDER BY run_id DESC LIMIT 1").fetchone())
    finally:
        con.close()


# --- 1. encodings -------------------------------------------------------------


def test_cp1252_file_with_accents_only_at_the_end_keeps_them(tmp_path: Path) -> None:
    rows = "".join(f"{i},plain reply number {i},1\n" for i in range(1, 4000))
    data = ("id,text,likes\n" + rows + "4000,Café déjà vu – “ok”,2\n").encode("cp1252")
    assert len(data) > 100_000 and data.index(b"\xe9") > 0.9 * len(data)
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    texts = dict((r[0], r[1]) for r in _rows(tmp_path / "s.duckdb"))
    assert texts["4000"] == "Café déjà vu – “ok”"
    assert "were read as Windows-1252 (cp1252)" in result.output


def test_utf8_file_with_stray_cp1252_quotes_is_read_both_ways(tmp_path: Path) -> None:
    data = "id,text,likes\n1,Müller sagt nein,1\n2,".encode() + b"\x93smart\x94 quotes" + b",2\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert [r[1] for r in _rows(tmp_path / "s.duckdb")] == ["Müller sagt nein", "“smart” quotes"]
    assert "2 bytes were not UTF-8 and were read as Windows-1252 (cp1252)" in result.output


def test_cp1252_bytes_after_the_head_leave_the_fast_path(tmp_path: Path) -> None:
    rows = "".join(f"{i},plain reply number {i} with some more words,1\n" for i in range(1, 30_000))
    data = ("id,text,likes\n" + rows).encode() + b"30000,na\xefve caf\xe9,3\n"
    assert len(data) > 1 << 20
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.added == 30_000
        text = store.con.execute("SELECT text FROM replies WHERE reply_id = '30000'").fetchone()
        assert text == ("naïve café",)
        assert "cp1252" in str(result.notes)


def test_decode_is_lossless_and_the_head_sniff_ignores_a_cut_character() -> None:
    assert decode("Grüße".encode()) == ("Grüße", "utf-8")
    assert decode("Grüße".encode("cp1252"))[0] == "Grüße"
    mixed = decode_bytes("é ".encode() + b"\x93x\x94 \x81")
    assert mixed.text == "é “x” \x81" and mixed.cp1252_bytes == 3
    # A head cut inside a character: the cut character is dropped, not misread.
    head = ("abc\n" + "é" * 10).encode()[:-1]
    assert decode(head, strict=False) == ("abc\n" + "é" * 9, "utf-8")


# --- 2. NUL bytes ---------------------------------------------------------------


def test_a_few_nul_bytes_are_removed_not_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text,likes\n1,hello\x00 world,1\n2,second,2\n")
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert [r[1] for r in _rows(tmp_path / "s.duckdb")] == ["hello world", "second"]


def test_many_nul_bytes_are_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(b"id,text\n" + b"\x00\x01\x02abc\x00\x00" * 500)
    assert "binary" in _refused(tmp_path, path)


# --- 3. clear messages ----------------------------------------------------------


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_a_data_download_zip_says_unzip_it(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "facebook-me-2025.zip",
        {
            "personal_information/profile.json": b"{}",
            "your_facebook_activity/comments_and_reactions/comments.json": b"{}",
        },
    )
    line = _refused(tmp_path, path)
    assert "ZIP archive" in line and "unzip it" in line
    assert "comments_and_reactions/comments.json" in line


def test_an_ods_spreadsheet_says_save_as_xlsx(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "comments.ods",
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
    )
    assert "save it as .xlsx or .csv" in _refused(tmp_path, path)


def test_gzip_says_decompress_first(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv.gz"
    path.write_bytes(gzip.compress(b"id,text\n1,hello\n"))
    line = _refused(tmp_path, path)
    assert "gzip-compressed; decompress it first" in line and "gunzip comments.csv.gz" in line


@pytest.mark.parametrize("start", ["<!DOCTYPE html>", "\ufeff  <html lang='en'>"])
def test_a_saved_web_page_is_named_as_such(tmp_path: Path, start: str) -> None:
    path = tmp_path / "comments.xls"
    path.write_text(start + "<head><title>Log in</title></head><body>x</body></html>\n")
    assert "this is a web page" in _refused(tmp_path, path)


def test_header_without_rows_and_blank_file(tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,text,likes\r\n\r\n")
    assert "header row but no data rows; export it again" in _refused(tmp_path, header_only)
    blank = tmp_path / "blank.csv"
    blank.write_text("  \n\t\n   \r\n")
    assert "the file is blank" in _refused(tmp_path, blank)


def test_header_only_workbook(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "text", "likes"])
    path = tmp_path / "empty.xlsx"
    book.save(path)
    assert "header row but no data rows" in _refused(tmp_path, path)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("id,text,likes\r\n1,Grüße aus Köln,3\r\n2,مرحبا,4\r\n".encode(codec))
    assert detect_kind(path, path.read_bytes()) == "csv"
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert _rows(tmp_path / "s.duckdb") == [("1", "Grüße aus Köln", 3), ("2", "مرحبا", 4)]


# --- 4. a workbook under another name --------------------------------------------


def test_xlsx_named_csv_is_opened_by_its_contents(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["id", "text", "likes"], ["1", "from a workbook", 3]):
        sheet.append(row)
    path = tmp_path / "really-a-workbook.csv"
    book.save(tmp_path / "w.xlsx")
    shutil.copy(tmp_path / "w.xlsx", path)
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert _rows(tmp_path / "s.duckdb") == [("1", "from a workbook", 3)]


# --- 5. ids Excel rounded ------------------------------------------------------------


def test_float_cells_beyond_2_53_are_not_exact_ids(tmp_path: Path) -> None:
    import openpyxl

    assert _cell_text(1.765000000000000001e18) == "1.765e+18"
    assert _cell_text(12.0) == "12" and _cell_text(0.1 + 0.2) == "0.3"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "text", "likes"])
    for i, value in enumerate(
        (1.765000000000000001e18, 1.765000000000000002e18, 1.765000000000000003e18), start=1
    ):
        sheet.append([value, f"distinct reply {i}", i])
    path = tmp_path / "ids.xlsx"
    book.save(path)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.added == 3
        ids = [r[0] for r in store.con.execute("SELECT reply_id FROM replies").fetchall()]
        assert len(set(ids)) == 3 and all(i.startswith("h") for i in ids)
        assert "scientific notation" in str(result.notes.get("scientific_ids"))


# --- 6. a quote that is never closed -----------------------------------------------


def _rows_csv(n: int) -> list[str]:
    return [f"{i},text {i},{i}" for i in range(1, n + 1)]


def test_unclosed_quote_rejects_its_row_and_keeps_the_rest(tmp_path: Path) -> None:
    lines = _rows_csv(200)
    lines[3] = '4,"quoted start but never closed,4'
    path = tmp_path / "quote.csv"
    path.write_text("id,text,likes\n" + "\n".join(lines) + "\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert (result.added, result.rejected) == (199, 1)
        locator, reason = store.con.execute("SELECT locator, reason FROM rejects").fetchone()  # type: ignore[misc]
        assert locator == "row 5" and "never closed" in reason
        assert store.con.execute("SELECT text FROM replies WHERE reply_id = '200'").fetchone() == (
            "text 200",
        )


def test_quote_closed_by_a_stray_quote_far_below_is_caught_on_the_fast_path(
    tmp_path: Path,
) -> None:
    # DuckDB reads this "fine": row 5 swallows rows 6..60 and the row count stays consistent.
    lines = _rows_csv(200)
    lines[3] = '4,"quoted start but never closed,4'
    lines[59] = '60,x",60'
    path = tmp_path / "stray.csv"
    path.write_text("id,text,likes\n" + "\n".join(lines) + "\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert (result.added, result.rejected) == (199, 1)
        assert store.con.execute(
            "SELECT count(*) FROM replies WHERE text LIKE '%\n%'"
        ).fetchone() == (0,)


def test_long_multiline_comment_is_not_a_broken_quote(tmp_path: Path) -> None:
    poem = "\n".join(f"line {i} of a long poem" for i in range(40))
    path = tmp_path / "poem.csv"
    path.write_text('id,text,likes\n1,"' + poem + '",3\n2,short,1\n')
    rows, problems = parse_csv_text(path, path.read_text(), {"delimiter": ","})
    assert not problems and rows[1][1] == poem
    result = _cli(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert _rows(tmp_path / "s.duckdb")[0][1] == poem


def test_unclosed_quote_on_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "last.csv"
    text = 'id,text,likes\n1,fine,1\n2,"never closed,2\n'
    rows, problems = parse_csv_text(path, text, {"delimiter": ","})
    assert rows == [["id", "text", "likes"], ["1", "fine", "1"], []]
    assert [p.index for p in problems] == [2] and "never closed" in problems[0].reason


# --- 7. wide rows -------------------------------------------------------------------


def test_trailing_delimiter_on_every_row_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("id,text,likes\n" + "".join(f"{i},text {i},{i},\n" for i in range(1, 8)))
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert (result.added, result.rejected) == (7, 0)
        rows = store.con.execute(
            "SELECT reply_id, text, like_count FROM replies ORDER BY 1"
        ).fetchall()
        assert rows[0] == ("1", "text 1", 1)
        assert "rows_rejoined" not in result.notes


def test_wide_rows_with_nothing_to_compare_are_rejected_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "allwide.csv"
    path.write_text("id,text,likes\n1,hello, world,3\n2,one, two,4\n3,ok\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.rejected == 2
        reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejects").fetchall()]
        assert all("no row of the file has the header's 3 cells" in r for r in reasons)
        assert store.con.execute("SELECT text FROM replies").fetchall() == [("ok",)]


# --- 8. which sheet ---------------------------------------------------------------------


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_cover_sheet_is_skipped_for_the_sheet_with_replies(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "two.xlsx",
        {
            "Cover": [["Export of comments — see next sheet"], ["Exported on", "2025-01-02"]],
            "Comments": [["id", "text", "likes"], ["1", "the reply", 2]],
        },
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, ImportOptions())
        assert result.added == 1
        assert store.con.execute("SELECT text FROM replies").fetchall() == [("the reply",)]


def test_no_sheet_with_text_lists_the_sheets(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "none.xlsx",
        {"Cover": [["About", "this file"]], "Numbers": [["id", "likes"], ["1", 2]]},
    )
    line = _refused(tmp_path, path)
    assert "'Cover', 'Numbers'" in line and "--sheet NAME" in line and "--map text=" in line


# --- 9. ExportComments time zone ------------------------------------------------------------


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
    return _book(path, {"ExportComments.com": rows})


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


# --- 10. TikTokCommentScraper advice ---------------------------------------------------------


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


def test_detect_kind_errors_are_import_problems(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    with pytest.raises(ImportProblem, match=r"gunzip -c x\.csv"):
        detect_kind(path, path.read_bytes())


def test_a_comment_of_many_paragraphs_keeps_the_fast_path(tmp_path: Path) -> None:
    import duckdb

    from collectors.tableload import load_csv_fast

    essay = "\n".join(f"Paragraph {i} about leadership and trust." for i in range(30))
    path = tmp_path / "essay.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes"])
        w.writerow(["1", essay, "3"])
        w.writerow(["2", "short", "1"])
    con = duckdb.connect()
    expected = [["1", essay, "3"], ["2", "short", "1"]]
    assert load_csv_fast(con, path, 1, 3, {"delimiter": ","}, expected) is True
    # Rows swallowed by a quote left open (each line shaped like a row) do not.
    swallowed = "\n".join(f"{i},reply {i},{i}" for i in range(30))
    path2 = tmp_path / "swallowed.csv"
    path2.write_text(f'id,text,likes\n1,"{swallowed}",3\n', encoding="utf-8")
    assert load_csv_fast(con, path2, 1, 3, {"delimiter": ","}, [["1", swallowed, "3"]]) is False


def test_a_chart_sheet_before_the_data_is_skipped(tmp_path: Path) -> None:
    import openpyxl
    from click.testing import CliRunner
    from openpyxl.chart import BarChart, Reference

    from cli import main

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Data"
    ws.append(["id", "text", "likes"])
    ws.append(["1", "leaders who listen", "3"])
    ws.append(["2", "more funding", "4"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=3), titles_from_data=True)
    wb.create_chartsheet("Chart", 0).add_chart(chart)
    path = tmp_path / "chart.xlsx"
    wb.save(path)
    db = str(tmp_path / "c.duckdb")
    ok = CliRunner().invoke(main, ["--db", db, "import", str(path)])
    assert ok.exit_code == 0 and "2 added" in ok.output, ok.output
    chart_only = CliRunner().invoke(main, ["--db", db, "import", str(path), "--sheet", "Chart"])
    assert chart_only.exit_code == 1 and "is a chart, not a table of replies" in chart_only.output
