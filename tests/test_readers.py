"""Reading export files (collectors.files.readers): encodings, NUL bytes, what kind of file it
is (and one clear line when it is none we read), CSV quotes, XLSX cells and which sheet."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from cli import main
from collectors.files import ImportOptions, import_file
from collectors.files.readers import (
    ImportProblem,
    _cell_text,
    decode,
    decode_bytes,
    detect_kind,
    parse_csv_text,
)
from store import Store
from tests.conftest import run_cli
from tests.import_helpers import workbook


def _cli(tmp_path: Path, path: Path, *extra: str) -> Result:
    return run_cli("--db", str(tmp_path / "s.duckdb"), "import", str(path), *extra)


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


# --- encodings ----------------------------------------------------------------


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


def test_decode_is_lossless_and_the_head_sniff_ignores_a_cut_character() -> None:
    assert decode("Grüße".encode()) == ("Grüße", "utf-8")
    assert decode("Grüße".encode("cp1252"))[0] == "Grüße"
    mixed = decode_bytes("é ".encode() + b"\x93x\x94 \x81")
    assert mixed.text == "é “x” \x81" and mixed.cp1252_bytes == 3
    # A head cut inside a character: the cut character is dropped, not misread.
    head = ("abc\n" + "é" * 10).encode()[:-1]
    assert decode(head, strict=False) == ("abc\n" + "é" * 9, "utf-8")


# --- NUL bytes ----------------------------------------------------------------


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


# --- what kind of file: clear messages ----------------------------------------


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


def test_detect_kind_errors_are_import_problems(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    with pytest.raises(ImportProblem, match=r"gunzip -c x\.csv"):
        detect_kind(path, path.read_bytes())


# --- XLSX cells: ids Excel rounded --------------------------------------------


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


# --- CSV quotes ---------------------------------------------------------------


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


# --- which sheet --------------------------------------------------------------


def test_cover_sheet_is_skipped_for_the_sheet_with_replies(tmp_path: Path) -> None:
    path = workbook(
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
    path = workbook(
        tmp_path / "none.xlsx",
        {"Cover": [["About", "this file"]], "Numbers": [["id", "likes"], ["1", 2]]},
    )
    line = _refused(tmp_path, path)
    assert "'Cover', 'Numbers'" in line and "--sheet NAME" in line and "--map text=" in line


def test_a_chart_sheet_before_the_data_is_skipped(tmp_path: Path, runner: CliRunner) -> None:
    import openpyxl
    from openpyxl.chart import BarChart, Reference

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
    ok = runner.invoke(main, ["--db", db, "import", str(path)])
    assert ok.exit_code == 0 and "2 added" in ok.output, ok.output
    chart_only = runner.invoke(main, ["--db", db, "import", str(path), "--sheet", "Chart"])
    assert chart_only.exit_code == 1 and "is a chart, not a table of replies" in chart_only.output
