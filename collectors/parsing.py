"""What an import was asked for and what parsing a file gives: options, the parsed batch, format lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from collectors.formats import record_formats, table_formats
from collectors.formats.base import RecordFormat, TableFormat
from collectors.normalise import BatchOptions
from collectors.readers import ImportProblem


@dataclass
class ImportOptions:
    """What the person said on the command line about the files."""

    fmt: str | None = None
    platform: str | None = None
    thread: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    dayfirst: bool = False


@dataclass
class Parsed:
    """A file read into the temp table _raw (RawReply fields as text), not yet normalised."""

    fmt: str
    platform: str
    batch: BatchOptions
    notes: dict[str, Any]
    rejects: list[tuple[int, str, str, str]]  # record_no, locator, reason, raw (read-time problems)
    header: list[str] | None = None  # tables: raw rows are in _src
    records: pl.DataFrame | None = None  # JSON: record_no, locator, payload
    preamble: list[tuple[int, list[str]]] = field(
        default_factory=list
    )  # tables: (row number, cells)


def all_formats() -> list[tuple[str, str]]:
    """(name, one-line description) of every format, for `replyscope formats`."""
    rows = [(f.name, f"{f.description} [{f.platform or 'any'}]") for f in table_formats()]
    rows += [(f.name, f"{f.description} [{f.platform or 'any'}]") for f in record_formats()]
    rows.append(
        ("generic", "Any CSV/XLSX/JSON/NDJSON with recognisable column names; --map fills gaps")
    )
    return sorted(rows)


def find_format(name: str, kind: str) -> RecordFormat | TableFormat:
    """The format called name among the JSON ('json') or spreadsheet ('table') formats."""
    records, tables = record_formats(), table_formats()
    pool: list[RecordFormat | TableFormat] = [*records] if kind == "json" else [*tables]
    for fmt in pool:
        if fmt.name == name:
            return fmt
    if any(f.name == name for f in records) or any(f.name == name for f in tables):
        other = "spreadsheet/CSV" if kind == "json" else "JSON"
        raise ImportProblem(
            f"--format {name} is a {other} format, but this file is not {other}; "
            "leave out --format to detect the format from the contents."
        )
    # One name may cover a tool's CSV and JSON exports: list it once.
    names = ", ".join(sorted({n for n, _ in all_formats()}))
    raise ImportProblem(
        f"--format {name}: unknown format. Known formats: {names} (see replyscope formats)."
    )
