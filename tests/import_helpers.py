"""Shared helpers for import tests: files written in the test's folder (JSON, NDJSON, XLSX),
`replyscope import` run on them, and the store queried afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import run_cli


def write_file(tmp: Path, name: str, content: Any) -> Path:
    """`tmp/name` holding `content`: a string as it is, anything else as JSON."""
    path = tmp / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def ndjson(*records: Any) -> str:
    """Records as NDJSON lines."""
    return "".join(json.dumps(r) + "\n" for r in records)


def cli_import(tmp: Path, path: Path, *args: str) -> tuple[int, list[str], Path]:
    """`replyscope import PATH ARGS` into `tmp/store.duckdb`: exit code, non-blank lines, db."""
    db = tmp / "store.duckdb"
    result = run_cli("--db", str(db), "import", str(path), *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    return result.exit_code, lines, db


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query on the database at `db`, opened read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An XLSX file with these sheets (name -> rows), in this order."""
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
