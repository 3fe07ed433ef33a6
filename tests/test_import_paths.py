"""CSV import paths (collectors.files.tableload, table_parse): the DuckDB fast path and the
Python path agree; encodings, dialects, quotes left open and wide rows are read right."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from collectors.files import ImportOptions, import_file
from store import Store

ROWS = [
    ["id", "text", "likes", "author", "created_at"],
    ["1", "Café leadership, with a comma", "3", "ann", "2026-03-02T10:00:00Z"],
    ["2", "", "5", "bob", "2026-03-02T11:00:00Z"],
    ["3", 'She said "listen"\nthen left', "1.2K", "cat", "02/03/2026 12:00"],
]


def _csv(rows: list[list[str]], delim: str = ",") -> str:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'{delim}"\n') else v

    return "".join(delim.join(cell(v) for v in r) + "\r\n" for r in rows)


def _replies(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT reply_id, text, like_count, author_handle, created_at FROM replies "
        "ORDER BY reply_id"
    ).fetchall()


def _rejects(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT record_no, locator, reason FROM rejects ORDER BY record_no"
    ).fetchall()


@pytest.mark.parametrize(
    ("encoding", "delim"),
    [("utf-8-sig", ","), ("utf-16", ","), ("cp1252", ","), ("utf-8", ";"), ("utf-8", "\t")],
)
def test_encodings_and_delimiters_give_the_same_rows(
    tmp_path: Path, encoding: str, delim: str
) -> None:
    reference = tmp_path / "ref.csv"
    reference.write_text(_csv(ROWS), encoding="utf-8")
    other = tmp_path / f"other-{encoding}.csv"
    other.write_bytes(_csv(ROWS, delim).encode(encoding))
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        ra = import_file(a, reference, ImportOptions(dayfirst=True))
        rb = import_file(b, other, ImportOptions(dayfirst=True))
        assert (ra.added, ra.rejected) == (rb.added, rb.rejected) == (2, 1)
        assert _replies(a) == _replies(b)
        assert _rejects(a) == _rejects(b) == [(3, "row 3", "no text: the reply text cell is empty")]
        text = {r[0]: r[1] for r in _replies(a)}
        assert text["1"] == "Café leadership, with a comma"
        assert text["3"] == 'She said "listen"\nthen left'


def test_preamble_rows_are_skipped_on_both_paths(tmp_path: Path) -> None:
    body = "Exported by,Some tool\nSource URL,https://x.com/a/status/99\n\n" + _csv(ROWS)
    fast = tmp_path / "pre.csv"
    fast.write_text(body, encoding="utf-8")
    slow = tmp_path / "pre-1252.csv"
    slow.write_bytes(body.encode("cp1252"))
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        import_file(a, fast, ImportOptions(dayfirst=True))
        import_file(b, slow, ImportOptions(dayfirst=True))
        assert _replies(a) == _replies(b)
        assert _rejects(a) == _rejects(b) == [(6, "row 6", "no text: the reply text cell is empty")]


def test_backslash_escaped_quotes(tmp_path: Path) -> None:
    path = tmp_path / "Comments.csv"
    path.write_text(
        "Date,Link,Message\n"
        "2025-07-13 08:15:21,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7,"
        '"He said \\"yes\\", then, no"\n',
        encoding="utf-8",
    )
    with Store.open(tmp_path / "s.duckdb") as s:
        result = import_file(s, path, ImportOptions())
        assert result.fmt == "linkedin-comments"
        assert _replies(s)[0][1] == 'He said "yes", then, no'


def test_raw_records_keep_every_row_and_the_header(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as s:
        import_file(s, path, ImportOptions())
        rows = s.con.execute(
            "SELECT record_no, locator, payload FROM raw_records ORDER BY record_no"
        ).fetchall()
        assert [r[0] for r in rows] == [0, 2, 3, 4]
        assert rows[0][1] == "header" and '"created_at"' in rows[0][2]
        assert (
            rows[2][2] == '["2","","5","bob","2026-03-02T11:00:00Z"]'
            or rows[2][2] == '["2",null,"5","bob","2026-03-02T11:00:00Z"]'
        )


def test_rejected_rows_are_located_by_sheet_and_row(tmp_path: Path) -> None:
    """A rejected spreadsheet row says where it is, as Excel numbers it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Replies"
    for row in (["id", "text", "likes"], ["1", "fine reply", "3"], ["2", "", "4"]):
        sheet.append(row)
    path = tmp_path / "r.xlsx"
    book.save(path)
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("id,text,likes\n1,fine reply,3\n2,,4\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        import_file(store, path, ImportOptions(sheet="Replies"))
        import_file(store, csv_path, ImportOptions())
        assert [r[1] for r in _rejects(store)] == ["sheet 'Replies' row 3", "row 3"]


# --- bytes that are not UTF-8 after the head ----------------------------------


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


# --- quotes left open, and long comments that are none ------------------------


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


def test_a_comment_of_many_paragraphs_keeps_the_fast_path(tmp_path: Path) -> None:
    from collectors.files.tableload import load_csv_fast

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


# --- wide rows ----------------------------------------------------------------


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
