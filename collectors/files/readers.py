"""Read export files as they are: kinds, encodings, CSV dialects (JSON: jsonread, XLSX: xlsx).

Readers only get records or cells out of a file; they never guess what the
fields mean (that is the formats' job). Problems the user must fix raise
ImportProblem with the file, the row and the remedy.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from collectors.errors import ImportProblem
from store import is_symlink_loop

MAX_CELL_BYTES = 1_000_000
# No cell of any file is read beyond this: its row is rejected instead (the
# reply text has its own, smaller limit when rows are normalised).
CELL_LIMIT_BYTES = 64 * MAX_CELL_BYTES
EXCEL_COLUMNS = 16_384  # Excel's columns, A to XFD: a cell further right is a damaged file
# Columns a table may have. Exports have dozens (flattened JSON exports a few
# hundred); every column costs DuckDB memory and time in each step, so a
# wider file is refused rather than read at a gigabyte for a few kilobytes.
MAX_COLUMNS = 4_096


def check_path(path: Path) -> None:
    """Fail early, clearly, for missing files, directories and empty files."""
    if not path.exists():
        if is_symlink_loop(path):
            raise ImportProblem(
                f"{path}: symlink loop (the link leads back to itself); "
                "point it at the export file, or pass the file itself."
            )
        if path.is_symlink():
            raise ImportProblem(
                f"{path}: a symbolic link to {os.readlink(path)}, which does not exist. "
                "Check the link, or pass the export file itself."
            )
        raise ImportProblem(
            f"{path}: no such file. Check the path (and quote it if it has spaces)."
        )
    if path.is_dir():
        raise ImportProblem(
            f"{path} is a directory. Pass the export files inside it, e.g. {path}/*.csv."
        )
    if not path.is_file():
        # Reading a FIFO would wait for a writer for ever.
        raise ImportProblem(
            f"{path}: not a regular file (a FIFO, socket or device); save the export to a "
            "file and import that."
        )
    if path.stat().st_size == 0:
        raise ImportProblem(f"{path}: the file is empty (0 bytes). Export it again.")


_ARCHIVES = {
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\xfd7zXZ\x00": "xz-compressed",
    b"BZh": "bzip2-compressed",
}
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body", "<table")


def detect_kind(path: Path, head: bytes) -> str:
    """Return 'xlsx', 'xls', 'json' or 'csv' from the first bytes (not the extension).

    Files that are none of these but look like something a person may pick by
    mistake (a ZIP data download, a gzip file, an .ods, a saved web page, a
    blank file) raise ImportProblem saying what to do instead.
    """
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"\x1f\x8b"):
        how = (
            f"gunzip {path.name}"
            if path.suffix.lower() == ".gz"
            else f"gunzip -c {path.name} > {path.stem}-unpacked.csv"
        )
        raise ImportProblem(
            f"{path}: this file is gzip-compressed; decompress it first (e.g. {how}) "
            "and import the file that comes out."
        )
    for magic, what in _ARCHIVES.items():
        if head.startswith(magic) and _looks_binary(head):
            raise ImportProblem(
                f"{path}: this file is {what}; extract it first and import the export file inside."
            )
    text = decode(head[:4096], strict=False)[0].lstrip("\ufeff \t\r\n\x00")
    if not text.strip() and path.stat().st_size <= len(head):
        raise ImportProblem(
            f"{path}: the file is blank (only spaces or empty lines). Export it again."
        )
    if text.startswith(("{", "[")) or text.startswith("window.YTD"):
        return "json"
    if path.stat().st_size <= len(head) and _is_json_scalar(text):
        return "json"  # `42` or `"hello"`: the JSON reader says what an export looks like
    if text[:100].lower().startswith(_HTML_STARTS):
        raise ImportProblem(
            f"{path}: this is a web page (HTML), not an export file; it was probably saved from "
            "the browser or is a login/error page. Download the export again (CSV, XLSX or JSON)."
        )
    if _looks_binary(head):
        raise ImportProblem(
            f"{path}: this is a binary file, not a CSV, XLSX or JSON export. "
            "Check you picked the export file itself."
        )
    return "csv"


def _is_json_scalar(text: str) -> bool:
    """A whole (small) file that is one JSON number, string, true, false or null."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return not isinstance(value, dict | list)


_EXPORT_SUFFIXES = (".csv", ".json", ".xlsx", ".js", ".ndjson", ".jsonl", ".tsv", ".txt")


def _zip_kind(path: Path) -> str:
    """'xlsx' for a workbook; a clear ImportProblem for any other ZIP (data downloads, .ods)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            mimetype = b""
            if "mimetype" in names:
                with zf.open("mimetype") as member:  # never the whole member: it may be huge
                    mimetype = member.read(200)
    except (zipfile.BadZipFile, OSError, KeyError):
        return "xlsx"  # a damaged workbook: openpyxl's error says to save it again
    if "xl/workbook.xml" in names or any(n.startswith("xl/workbook") for n in names):
        return "xlsx"
    if b"opendocument.spreadsheet" in mimetype:
        raise ImportProblem(
            f"{path}: this is an OpenDocument spreadsheet (.ods); open it in LibreOffice or "
            "Excel and save it as .xlsx or .csv, then import that file."
        )
    files = [n for n in names if not n.endswith("/") and n.lower().endswith(_EXPORT_SUFFIXES)]
    comments = [n for n in files if "comment" in n.lower()] or [
        n for n in files if "repl" in n.lower()
    ]
    example = (comments or files or ["the .csv or .json file with the comments"])[0]
    raise ImportProblem(
        f"{path}: this is a ZIP archive (e.g. a Facebook/Instagram data download), not one "
        f"export file; unzip it and import the comments file inside (e.g. {example})."
    )


def utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when text looks like UTF-16 written without a BOM, else None.

    ASCII characters (delimiters, digits, Latin letters) in UTF-16 have a NUL
    byte at every odd (LE) or even (BE) position and almost none at the others.
    """
    sample = sample[:4096]
    n = len(sample) // 2 * 2
    if n < 8:
        return None
    half = n // 2
    even, odd = sample[0:n:2].count(0), sample[1:n:2].count(0)
    if odd >= 0.2 * half and even <= 0.02 * half:
        codec = "utf-16-le"
    elif even >= 0.2 * half and odd <= 0.02 * half:
        codec = "utf-16-be"
    else:
        return None
    text = sample[:n].decode(codec, errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n"))
    return codec if bad <= 0.02 * len(text) else None


def _looks_binary(head: bytes) -> bool:
    """True for files that are not text: many NUL or control bytes.

    A few NULs (a broken export) do not make a file binary: they are removed
    when it is read. UTF-16 text, with or without a BOM, is text.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = head[:4096]
    if utf16_without_bom(sample):
        return False
    if sample.count(0) > max(len(sample) * 0.01, 2):
        return True
    control = sum(1 for b in sample if 0 < b < 9 or 13 < b < 32)
    return control > len(sample) * 0.05


# Bytes that are not UTF-8 are read as Windows-1252 (Excel on Windows writes
# it); the five bytes cp1252 leaves undefined are read as Latin-1, so that
# nothing is lost.
_CP1252 = tuple(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))
_CP1252_HANDLER = "replyscope-cp1252"
_fallback = threading.local()


def _cp1252_for_invalid(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chunk = err.object[err.start : err.end]
    _fallback.count = getattr(_fallback, "count", 0) + len(chunk)
    return "".join(_CP1252[b] for b in chunk), err.end


codecs.register_error(_CP1252_HANDLER, _cp1252_for_invalid)


@dataclass
class Decoded:
    """Text of a file and how it was read."""

    text: str
    encoding: str  # utf-8, utf-8-sig, utf-8+cp1252, utf-16, utf-16-le, utf-16-be
    cp1252_bytes: int = 0  # bytes that were not UTF-8 and were read as cp1252

    @property
    def note(self) -> str | None:
        """A line for the import summary when some bytes were not UTF-8."""
        if not self.cp1252_bytes:
            return None
        n = self.cp1252_bytes
        return (
            f"{n} byte{'s were' if n != 1 else ' was'} not UTF-8 and "
            f"{'were' if n != 1 else 'was'} read as Windows-1252 (cp1252)"
        )


def decode_bytes(data: bytes, *, final: bool = True) -> Decoded:
    """Decode losslessly: UTF-8 (BOM or not), UTF-16 (BOM, or detected without one).

    Byte runs that are not valid UTF-8 are read as cp1252, each on its own, so
    a cp1252 file and a UTF-8 file with a few cp1252 bytes both come out right.
    `final=False` is for the head of a file, which may end inside a character:
    the cut character is left out instead of being read as cp1252.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not final:
            data = data[: len(data) // 2 * 2]
        return Decoded(data.decode("utf-16", errors="replace"), "utf-16")
    codec16 = None if data.startswith(codecs.BOM_UTF8) else utf16_without_bom(data[:4096])
    if codec16:
        if not final:
            data = data[: len(data) // 2 * 2]
        return Decoded(data.decode(codec16, errors="replace"), codec16)
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    name = "utf-8-sig" if bom else "utf-8"
    try:
        return Decoded(body.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    _fallback.count = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors=_CP1252_HANDLER)
    text = decoder.decode(body, final=final)
    count, _fallback.count = _fallback.count, 0
    return Decoded(text, name + "+cp1252" if count else name, count)


def decode(data: bytes, *, strict: bool = True) -> tuple[str, str]:
    """(text, encoding) of bytes, as decode_bytes reads them; strict=False for a file's head."""
    decoded = decode_bytes(data, final=strict)
    return decoded.text, decoded.encoding


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


@dataclass
class CsvProblem:
    """A CSV record that could not be read; a blank row holds its place in the rows."""

    index: int  # 0-based position in the rows parse_csv_text returns
    reason: str
    raw: str


# A quoted cell spanning this many lines shaped like rows of the file is a
# quote that was never closed, not a long comment.
SWALLOWED_ROWS = 20


def parse_csv_text(
    path: Path, text: str, dialect: dict[str, Any], limit: int | None = None
) -> tuple[list[list[str]], list[CsvProblem]]:
    """CSV rows of text with the given dialect (at most `limit`), and the records that failed.

    A quote that is opened and never closed would swallow the rest of the file
    into one cell: such a record (one running to the end of the file, or over
    many lines that look like rows) becomes a CsvProblem, and reading goes on
    from the next physical line.
    """
    # Cells of any size are read (the text is in memory already), and a row
    # with one over CELL_LIMIT_BYTES becomes a problem, not the whole file.
    csv.field_size_limit(sys.maxsize)
    rows: list[list[str]] = []
    problems: list[CsvProblem] = []
    widths: Counter[int] = Counter()
    lines_before = 0  # physical lines before the current reader's start
    # One buffer for the whole text: a restart after a bad quote seeks in it
    # rather than copying the rest of the file (which made many restarts quadratic).
    buf = io.StringIO(text, newline="")
    while True:
        reader = csv.reader(buf, **dialect)
        restart: int | None = None
        try:
            while limit is None or len(rows) < limit:
                start, line_no = buf.tell(), reader.line_num
                try:
                    row = next(reader)
                except StopIteration:
                    break
                span = reader.line_num - line_no
                end = buf.tell()
                if (span > SWALLOWED_ROWS or end == len(text)) and _quote_left_open(
                    text[start:end], dialect, widths, at_end=end == len(text)
                ):
                    first = _first_line(text, start)
                    problems.append(
                        CsvProblem(
                            len(rows),
                            f"a quote opened in this row (line {lines_before + line_no + 1}) is "
                            "never closed; the rest of the row could not be read",
                            first.rstrip("\r\n")[:10_000],
                        )
                    )
                    rows.append([])
                    restart = start + len(first)
                    lines_before += line_no + 1
                    break
                if sum(map(len, row)) > CELL_LIMIT_BYTES and (big := _oversized(row)):
                    problems.append(CsvProblem(len(rows), big, _row_excerpt(row)))
                    rows.append([])
                    continue
                rows.append(row)
                if len(row) >= 2:
                    widths[len(row)] += 1
        except csv.Error as err:
            raise ImportProblem(
                f"{path}: row {len(rows) + 1} (near line {lines_before + reader.line_num}) cannot "
                f"be read as CSV ({err}). Re-export the file, or open and save it as "
                "CSV UTF-8 in Excel."
            ) from err
        if restart is None or restart >= len(text):
            return rows, problems
        buf.seek(restart)


def _oversized(row: list[str]) -> str | None:
    """Why a CSV row cannot be kept when one of its cells is over CELL_LIMIT_BYTES."""
    for i, cell in enumerate(row, start=1):
        if len(cell) > CELL_LIMIT_BYTES:
            return (
                f"cell {i} holds {len(cell) / 1e6:.1f} MB of text, more than a cell is read "
                f"({CELL_LIMIT_BYTES / 1e6:.0f} MB): the row was not read"
            )
    return None


def _row_excerpt(row: list[str], cut: int = 200) -> str:
    """A row's cells, each cut short, for `rejects` (never the huge cell itself)."""
    return ",".join(c if len(c) <= cut else c[:cut] + "…" for c in row)[:10_000]


def _first_line(text: str, start: int) -> str:
    """The physical line of text that begins at start, with its line break."""
    m = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?").match(text, start)
    assert m is not None
    return m.group(0)


def _quote_left_open(
    raw: str, dialect: dict[str, Any], widths: Counter[int], *, at_end: bool
) -> bool:
    """Whether a record's text is a quote that never closes rather than a cell with line breaks."""
    if at_end:
        try:
            for _ in csv.reader(io.StringIO(raw, newline=""), **{**dialect, "strict": True}):
                pass
        except csv.Error as err:
            if "unexpected end of data" in str(err):
                return True
    if not widths:
        return False
    typical = widths.most_common(1)[0][0]
    shaped = 0
    for line in io.StringIO(raw, newline="").readlines()[1:]:
        cells = next(csv.reader([line], **dialect), [])
        if len(cells) == typical:
            shaped += 1
            if shaped >= SWALLOWED_ROWS:
                return True
    return False


EXACT_FLOAT_LIMIT = 2**53  # above this a float cell is no longer an exact integer


def _cell_text(value: Any) -> str | None:
    """Spreadsheet cell -> text; dates as ISO so the normaliser reads them one way.

    A float cell at or above 2**53 (an id Excel rounded to 15 digits) is written
    in scientific form, so that it is never taken for an exact id.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
