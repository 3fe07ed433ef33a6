"""The DuckDB fast CSV path and the Python path agree; encodings and dialects are read right."""

from __future__ import annotations

from pathlib import Path

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
        "SELECT reply_id, text, like_count, author_handle, created_at FROM replies ORDER BY reply_id"
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
        'Date,Link,Message\n2025-07-13 08:15:21,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7,"He said \\"yes\\", then, no"\n',
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
