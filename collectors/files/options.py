"""What an import was asked for and what parsing a file gives.

ImportOptions (the command line), Parsed (a file read into `_raw`, with its
notes and rejects), and the format lookup behind --format and `replyscope formats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from collectors.errors import ImportProblem
from collectors.formats import record_formats, table_formats
from collectors.formats.base import RecordFormat, TableFormat
from collectors.rows.normalise import BatchOptions
from collectors.rows.sink import Reject


@dataclass
class ImportOptions:
    """What the person said on the command line about the files."""

    fmt: str | None = None
    platform: str | None = None
    thread: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    dayfirst: bool = False

    def run_parameters(self) -> dict[str, Any]:
        """The options as an import run's `parameters` (runs.parameters) stores them."""
        return {
            "format": self.fmt,
            "platform": self.platform,
            "thread": self.thread,
            "map": self.mapping,
            "sheet": self.sheet,
            "dayfirst": self.dayfirst,
        }


@dataclass
class ParseNotes:
    """What reading and parsing a file noticed, for the run summary (each part optional)."""

    file_encoding: str | None = None  # some bytes were not UTF-8 (Decoded.note)
    empty_trailing_cells: str | None = None  # rows cut back to the header's width
    rows_rejoined: str | None = None  # rows split by unquoted commas, re-joined
    header_row: int | None = None  # the header's row number, when rows came above it
    preamble_time_zone: str | None = None  # what the preamble's time zone did to dates
    unwrapped: tuple[str, int] | None = None  # records read from the list under this key
    cells_beyond_header: int = 0  # XLSX rows with cells right of the header's columns
    # JSON records with a key given twice: (how many, first one's place, the key).
    duplicate_keys: tuple[int, str, str] | None = None
    # The format parsers' own notes (ParseContext.notes): plain sentence -> count.
    formats: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The notes as runs.summary stores them (and the import summary reads them)."""
        out: dict[str, Any] = {}
        if self.file_encoding:
            out["file encoding"] = self.file_encoding
        if self.empty_trailing_cells:
            out["empty trailing cells"] = self.empty_trailing_cells
        if self.rows_rejoined:
            out["rows_rejoined"] = self.rows_rejoined
        if self.header_row:
            out["header_row"] = self.header_row
        if self.preamble_time_zone:
            out["preamble time zone"] = self.preamble_time_zone
        if self.cells_beyond_header:
            n = self.cells_beyond_header
            out["cells beyond the header"] = (
                f"{n} row{'s' if n != 1 else ''} had cells right of the header's last column; "
                "those cells were left out"
            )
        if self.duplicate_keys is not None:
            n, where, key = self.duplicate_keys
            out["keys given twice"] = (
                f"{n} record{'s' if n != 1 else ''} gave a key twice in one object (e.g. "
                f"{key[:40]!r} in {where}); the last value was used, as JSON readers do, and "
                "raw_records keeps each record as read"
            )
        if self.unwrapped is not None:
            key, n = self.unwrapped
            out[f'records read from the "{key}" list of the top-level object'] = n
        return {**out, **self.formats}


@dataclass
class Parsed:
    """A file read into the temp table _raw (RawReply fields as text), not yet normalised."""

    fmt: str
    platform: str
    batch: BatchOptions
    notes: ParseNotes
    rejects: list[Reject]  # read-time problems (the normaliser finds the others)
    header: list[str] | None = None  # tables: raw rows are in _src
    records: pl.DataFrame | None = None  # JSON: record_no, locator, payload
    # Tables: rows above the header, as (row number, cells).
    preamble: list[tuple[int, list[str]]] = field(default_factory=list)


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
