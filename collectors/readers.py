"""Read export files as they are: encodings, JSON/NDJSON/JS, CSV dialects, XLSX.

Readers only get records or cells out of a file; they never guess what the
fields mean (that is the formats' job). Problems the user must fix raise
ImportProblem with the file, the row and the remedy.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

MAX_CELL_BYTES = 1_000_000


class ImportProblem(Exception):
    """A problem with an input file, worded for the person who gave it."""


def check_path(path: Path) -> None:
    """Fail early, clearly, for missing files, directories and empty files."""
    if not path.exists():
        raise ImportProblem(
            f"{path}: no such file. Check the path (and quote it if it has spaces)."
        )
    if path.is_dir():
        raise ImportProblem(
            f"{path} is a directory. Pass the export files inside it, e.g. {path}/*.csv."
        )
    if path.stat().st_size == 0:
        raise ImportProblem(f"{path}: the file is empty (0 bytes). Export it again.")


def detect_kind(path: Path, head: bytes) -> str:
    """Return 'xlsx', 'xls', 'json' or 'csv' from the first bytes (not the extension)."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    text = decode(head[:4096], strict=False)[0].lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")) or text.startswith("window.YTD"):
        return "json"
    if _looks_binary(head):
        raise ImportProblem(
            f"{path}: this is a binary file, not a CSV, XLSX or JSON export. "
            "Check you picked the export file itself."
        )
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = head[:4096]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) * 0.05


def decode(data: bytes, *, strict: bool = True) -> tuple[str, str]:
    """Decode bytes from UTF-8 (with/without BOM), UTF-16 (BOM) or cp1252; return (text, encoding)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict" if strict else "replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        if not strict:
            return data.decode("utf-8", errors="replace"), "utf-8"
        # A file that is UTF-8 almost everywhere with one broken byte late on is
        # still UTF-8; cp1252 is the Excel-on-Windows default otherwise.
        if err.start > len(data) * 0.9 and len(data) > 100_000:
            return data.decode("utf-8", errors="replace"), "utf-8"
        return data.decode("cp1252", errors="replace"), "cp1252"


@dataclass
class JsonRecord:
    """One top-level record of a JSON-shaped file."""

    record_no: int
    locator: str
    value: Any
    raw: str | None = None  # the record's own text when cheap to keep (NDJSON line)


@dataclass
class JsonProblem:
    """A record that could not be parsed (an NDJSON line), kept for `rejects`."""

    record_no: int
    locator: str
    reason: str
    raw: str


_JS_PREFIX = re.compile(r"^\s*window\.YTD\.[\w.]+\s*=\s*")


def read_json_records(path: Path, text: str) -> Iterator[JsonRecord | JsonProblem]:
    """Yield top-level records: array elements, NDJSON lines, or the one object."""
    body = text.lstrip("\ufeff")
    m = _JS_PREFIX.match(body)
    if m:
        body = body[m.end() :]
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as err:
        if err.msg.startswith("Extra data"):
            yield from _read_ndjson(body)
            return
        line = err.lineno
        raise ImportProblem(
            f"{path}: the JSON is broken at line {line}, column {err.colno} ({err.msg}); "
            "the file may be truncated. Export or download it again."
        ) from err
    if isinstance(doc, list):
        for i, item in enumerate(doc, start=1):
            yield JsonRecord(record_no=i, locator=f"item {i}", value=item)
    else:
        yield JsonRecord(record_no=1, locator="document", value=doc)


def _read_ndjson(body: str) -> Iterator[JsonRecord | JsonProblem]:
    for lineno, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            yield JsonProblem(lineno, f"line {lineno}", f"invalid JSON ({err.msg})", line[:10_000])
            continue
        yield JsonRecord(record_no=lineno, locator=f"line {lineno}", value=value, raw=line)


# --- tables -----------------------------------------------------------------


def sniff_dialect(text: str) -> dict[str, Any]:
    """Pick the CSV delimiter and quoting that give the most consistent rows."""
    sample = text[:200_000]
    best: tuple[float, dict[str, Any]] = (-1.0, {"delimiter": ","})
    for delim in (",", ";", "\t", "|"):
        if delim not in sample:
            continue
        for escape in (None, "\\"):
            if escape and "\\" not in sample:
                continue
            opts: dict[str, Any] = {"delimiter": delim}
            if escape:
                opts.update(escapechar="\\", doublequote=False)
            rows = _csv_rows(sample, opts, limit=400)
            if len(rows) < 1:
                continue
            widths = [len(r) for r in rows[:-1] or rows]
            top = max(set(widths), key=widths.count)
            if top < 2:
                continue
            score = widths.count(top) / len(widths) + 0.001 * top
            # A tie goes to backslash escaping when the text has \" in it
            # (LinkedIn): plain reading would leave stray quotes in cells.
            if score > best[0] or (escape and score == best[0] and '\\"' in sample):
                best = (score, opts)
    return best[1]


def _csv_rows(text: str, opts: dict[str, Any], limit: int | None = None) -> list[list[str]]:
    out = []
    reader = csv.reader(io.StringIO(text), **opts)
    try:
        for row in reader:
            out.append(row)
            if limit and len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def parse_csv_text(
    path: Path, text: str, dialect: dict[str, Any], limit: int | None = None
) -> tuple[list[list[str]], int]:
    """CSV rows of text with the given dialect (at most `limit`); returns (rows, rows read)."""
    csv.field_size_limit(64 * MAX_CELL_BYTES)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), **dialect)
    try:
        for row in reader:
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as err:
        raise ImportProblem(
            f"{path}: row {len(rows) + 1} (near line {reader.line_num}) cannot be read as CSV ({err}). "
            "Re-export the file, or open and save it as CSV UTF-8 in Excel."
        ) from err
    return rows, len(rows)


def _cell_text(value: Any) -> str | None:
    """Spreadsheet cell -> text; dates as ISO so the normaliser reads them one way."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_xlsx_cells(path: Path, sheet: str | None) -> tuple[list[list[str | None]], str]:
    """All cells of one sheet as text (the named one, else the first with data)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise ImportProblem(
            f"{path}: cannot be opened as an Excel workbook ({type(err).__name__}: {err}). "
            "Open it in Excel and save it again as .xlsx."
        ) from err
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise ImportProblem(
                f"{path}: there is no sheet {sheet!r}; the sheets are {', '.join(map(repr, names))}. "
                "Use --sheet NAME."
            )
        candidates = [sheet] if sheet else names
        for name in candidates:
            ws = wb[name]
            rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            if any(any(c not in (None, "") for c in row) for row in rows):
                return rows, str(name)
        raise ImportProblem(f"{path}: the workbook has no data in any sheet.")
    finally:
        wb.close()
