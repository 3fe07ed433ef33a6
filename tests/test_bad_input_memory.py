"""Hostile spreadsheets: bounded memory and time, a clear refusal or rejects, the store unchanged.

Each file is generated into tmp_path by tests/hostile_files.py (nothing large
is committed). The import runs in a child process so that its own peak RSS
is measured (os.wait4), not this test process's; a child passing 2 GiB or
60 s is killed, so that the old readers (8 GB, minutes) fail fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli import main
from tests import hostile_files as hf

GOOD = "id,text,likes\n1,We need leaders who listen,3\n2,More funding please,1\n"
LIMIT = hf.GIB  # the bound for these cases


def _snapshot(db: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()
            for t in ("replies", "runs", "raw_records", "rejects", "threads")
        )
    finally:
        con.close()


def _store(tmp: Path) -> Path:
    """A store holding one good import already."""
    db = tmp / "store.duckdb"
    good = tmp / "first.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert CliRunner().invoke(main, ["--db", str(db), "import", str(good)]).exit_code == 0
    return db


# DuckDB draws a progress bar on stderr during a slow query; it is not a message.
_BAR = re.compile(r"\s*\d+% ▕[^▏]*▏(?: \([^)]*\))?\s*")


def _lines(output: str) -> list[str]:
    return [line for line in (_BAR.sub("", x) for x in output.splitlines()) if line.strip()]


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "XLSX row 20,000,000": (
        lambda tmp: hf.xlsx_rows_past_excel(tmp / "past.xlsx"),
        "beyond Excel's last row (1,048,576)",
    ),
    "XLSX shared string expanding to 180 GB": (
        lambda tmp: hf.xlsx_expanding_string(tmp / "expanding.xlsx"),
        "the workbook expands to more than",
    ),
    "XLSX rows padded to column XFD": (
        lambda tmp: hf.xlsx_wide_rows(tmp / "wide.xlsx"),
        "more than the 4,096 columns",
    ),
    "CSV with a 100,000-column header": (
        lambda tmp: hf.csv_wide_header(tmp / "wide.csv"),
        "row 1 has 100,000 cells, more than the 4,096 columns",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_hostile_file_is_refused_within_bounds(case: str, tmp_path: Path) -> None:
    make, expected = REFUSED[case]
    db = _store(tmp_path)
    before = _snapshot(db)
    path = make(tmp_path)
    code, output, peak = hf.measured_run(
        ["--db", str(db), "import", str(path)], tmp_path, timeout=60
    )
    lines = _lines(output)
    assert code == 1, output
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}"), output
    assert expected in lines[0], lines[0]
    assert peak < LIMIT, f"peak RSS {peak / hf.GIB:.2f} GiB"
    assert _snapshot(db) == before


def _imported(tmp: Path, path: Path) -> tuple[Path, str, int]:
    db = tmp / "store.duckdb"
    code, output, peak = hf.measured_run(["--db", str(db), "import", str(path)], tmp, timeout=60)
    assert code == 0, output
    lines = _lines(output)
    assert len(lines) == 1, output
    return db, lines[0], peak


def test_xlsx_false_dimension_reads_only_the_rows_it_has(tmp_path: Path) -> None:
    path = hf.xlsx_false_dimension(tmp_path / "dimension.xlsx")
    assert path.stat().st_size < 3000
    db, summary, peak = _imported(tmp_path, path)
    assert "2 rows: 2 added" in summary and "0 rejected" in summary
    assert peak < LIMIT, f"peak RSS {peak / hf.GIB:.2f} GiB"
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT record_no, payload FROM raw_records ORDER BY record_no").fetchall()
    assert rows == [
        (0, '["id", "text", "likes"]'),
        (2, '["1","a reply to keep","3"]'),
        (1_048_576, '["2","the last row Excel has","1"]'),
    ]


def test_xlsx_shared_string_over_the_cell_limit_rejects_only_its_rows(tmp_path: Path) -> None:
    path = hf.xlsx_huge_shared_string(tmp_path / "shared.xlsx", mib=256, uses=5)
    db, summary, peak = _imported(tmp_path, path)
    assert "7 rows: 2 added" in summary and "5 rejected" in summary, summary
    assert peak < LIMIT, f"peak RSS {peak / hf.GIB:.2f} GiB"
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT locator, reason, raw FROM rejects ORDER BY record_no").fetchall()
    assert [r[0] for r in rejects] == [f"sheet 'Sheet1' row {n}" for n in range(2, 7)]
    assert rejects[0][1] == (
        "cell B2 holds 268.4 MB of text, more than a workbook cell is read (1 MB; Excel's own "
        "limit is 32,767 characters): the row was not read"
    )
    assert len(rejects[0][2]) < 200  # the huge string itself is never kept
    texts = con.execute("SELECT text FROM replies ORDER BY reply_id").fetchall()
    assert texts == [("good reply 7",), ("good reply 8",)]


def test_csv_cell_over_64_mb_rejects_its_row_and_imports_the_rest(tmp_path: Path) -> None:
    path = hf.csv_huge_cell(tmp_path / "huge.csv", mib=65)
    size = path.stat().st_size
    db, summary, peak = _imported(tmp_path, path)
    assert "3 rows: 2 added" in summary and "1 rejected" in summary, summary
    assert "cell 2 holds 68.2 MB of text, more than a cell is read (64 MB)" in summary
    assert peak < 10 * size + 500 * hf.MIB, f"peak RSS {peak / hf.GIB:.2f} GiB"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM replies").fetchone() == (2,)
