"""Parse spreadsheet exports (CSV in any dialect and encoding, XLSX) into `_src`/`_raw`.

Steps: probe the first rows; find the header row (below any preamble) and the
format it fits (collectors.files.header); plan which column holds each field;
load the data rows into `_src` (DuckDB's fast reader for clean UTF-8 CSV, else
Python's csv module with the repairs: cut empty trailing cells, re-join rows
split by unquoted commas, reject the rest); build `_raw` from `_src`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from collectors.errors import ImportProblem
from collectors.files.header import (
    HEADER_SCAN_ROWS,
    TablePlan,
    check_duplicate_headers,
    drop_empty_tails,
    find_header,
    plan_columns,
    repair_wide_rows,
)
from collectors.files.options import ImportOptions, Parsed, ParseNotes, find_format
from collectors.files.preamble import read_preamble
from collectors.files.readers import MAX_COLUMNS, decode_bytes, parse_csv_text, sniff_dialect
from collectors.files.tableload import SRC_T, build_raw, load_cells, load_csv_fast
from collectors.formats.base import TableFormat
from collectors.model import ParseContext
from collectors.rows.normalise import BatchOptions
from collectors.rows.sink import Reject
from store import fetch_one

if TYPE_CHECKING:
    from collectors.files.xlsx import SheetRows

Cells = list[list[str | None]]
BATCH_CELLS = 2_000_000  # cells per batch of rows put into _src (a few tens of MB)


def _forced_format(opts: ImportOptions) -> TableFormat | None:
    """The spreadsheet format given with --format (None: detect it, or generic)."""
    forced = find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
    assert forced is None or isinstance(forced, TableFormat)
    return forced


def has_text_column(opts: ImportOptions) -> Callable[[Cells], bool]:
    """Whether a sheet's first rows hold a header with a reply-text column (sheet choice)."""

    def test(rows: Cells) -> bool:
        forced = _forced_format(opts)
        try:
            h, fmt = find_header(rows, forced)
            header = [str(c or "") for c in rows[h]]
            plan_columns(header, None if opts.fmt == "generic" else fmt, opts.mapping, "")
        except ImportProblem:
            return False
        return True

    return test


def parse_table(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cells: Cells | None,
    opts: ImportOptions,
    *,
    sheet: str | None,
    csv_text: tuple[str, str] | None,
    sheets: list[str] | None = None,
    more: SheetRows | None = None,
) -> Parsed:
    """Find header and format, load the rows into _src (DuckDB or Python), build _raw.

    For XLSX, `cells` are the sheet's first rows and `more` streams the rest.
    """
    where = f"{path}" + (f" (sheet {sheet!r})" if sheet else "")
    probe, dialect = _probe(path, cells, csv_text)
    _check_width(probe, where)
    if not any(any(c not in (None, "") for c in row) for row in probe):
        raise ImportProblem(f"{where}: the file has no rows. Export it again.")
    h, fmt = find_header(probe, _forced_format(opts))
    if opts.fmt == "generic":
        fmt = None
    header = [str(c or "") for c in probe[h]]
    check_duplicate_headers(header, where)
    preamble = read_preamble(probe, h)
    plan = _plan(header, fmt, opts, where, sheet, sheets)
    notes = ParseNotes()
    fast = csv_text is not None and _load_fast(con, path, csv_text[1], dialect, probe, h)
    if fast:
        rejects = []
    elif more is not None:
        rejects = _load_sheet(con, cells or [], more, h, plan, notes)
    else:
        rejects = _load_carefully(con, path, cells, dialect, h, plan, notes)
    if not rejects and (fetch_one(con, f"SELECT count(*) FROM {SRC_T}") or (0,))[0] == 0:
        raise ImportProblem(
            f"{where}: the file has a header row but no data rows; export it again "
            "(the export may have been cut off or made before any replies came in)."
        )
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    ctx = ParseContext(
        platform=platform,
        thread=opts.thread,
        source=str(path),
        dayfirst=opts.dayfirst,
        meta=preamble.meta,
    )
    build_raw(con, plan, fmt, ctx)
    if h:
        notes.header_row = h + 1
    zone, notes.preamble_time_zone = preamble.timezone()
    return Parsed(
        fmt=plan.name,
        platform=platform,
        batch=BatchOptions(
            platform=platform,
            thread=opts.thread or preamble.thread,
            dayfirst=True if (opts.dayfirst or (fmt is not None and fmt.dayfirst)) else None,
            blank_counts_zero=True,
            locator_prefix=f"sheet {sheet!r} row " if sheet else "row ",
            timezone=zone,
        ),
        notes=notes,
        rejects=rejects,
        header=header,
        # Rows above the header (an export's title, source URL, time zone) are
        # raw rows too: kept verbatim with their row numbers.
        preamble=preamble.rows,
    )


def _probe(
    path: Path, cells: Cells | None, csv_text: tuple[str, str] | None
) -> tuple[Cells, dict[str, Any]]:
    """The first rows (all of them for XLSX) and, for CSV, the dialect they were read with."""
    if csv_text is None:
        assert cells is not None
        return cells, {}
    text, _encoding = csv_text
    dialect = sniff_dialect(text)
    head_rows, _ = parse_csv_text(path, text, dialect, limit=HEADER_SCAN_ROWS + 5)
    return [list(r) for r in head_rows], dialect


def _check_width(probe: Cells, where: str) -> None:
    """Refuse a table wider than a spreadsheet can be, before anything works on its columns."""
    for i, row in enumerate(probe, start=1):
        if len(row) > MAX_COLUMNS:
            raise ImportProblem(
                f"{where}: row {i} has {len(row):,} cells, more than the {MAX_COLUMNS:,} columns "
                "replyscope reads (a reply export has a few dozen): it is not a table of replies, "
                "or its delimiter was misread. If it is real, keep only the columns you need."
            )


def _too_wide(body: Cells, numbers: list[int]) -> tuple[Cells, list[int], list[Reject]]:
    """Rows with more cells than a spreadsheet has columns become rejects."""
    if all(len(r) <= MAX_COLUMNS for r in body):
        return body, numbers, []
    keep = [i for i, r in enumerate(body) if len(r) <= MAX_COLUMNS]
    rejects = [
        Reject(
            numbers[i],
            f"row {numbers[i]}",
            f"row has {len(r):,} cells, more than the {MAX_COLUMNS:,} columns replyscope reads",
            ",".join(str(c or "") for c in r[:100])[:10_000],
        )
        for i, r in enumerate(body)
        if len(r) > MAX_COLUMNS
    ]
    return [body[i] for i in keep], [numbers[i] for i in keep], rejects


def _plan(
    header: list[str],
    fmt: TableFormat | None,
    opts: ImportOptions,
    where: str,
    sheet: str | None,
    sheets: list[str] | None,
) -> TablePlan:
    """plan_columns, saying --sheet when the workbook's replies may be on another sheet."""
    try:
        return plan_columns(header, fmt, opts.mapping, where)
    except ImportProblem as err:
        others = [s for s in sheets or [] if s != sheet]
        if opts.sheet is None and others:
            shown = ", ".join(repr(s) for s in sheets or [])
            raise ImportProblem(
                f"{err} No sheet of the workbook has a reply-text column (sheets: {shown}); "
                "if the replies are on another sheet, say which with --sheet NAME."
            ) from err
        raise


def _load_fast(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    encoding: str,
    dialect: dict[str, Any],
    probe: Cells,
    h: int,
) -> bool:
    """The data rows of a UTF-8 CSV into _src by DuckDB's reader; False if it cannot be used."""
    width = len(probe[h])
    expected = [list(map(str, r)) for r in probe[h + 1 : h + 21]]
    return encoding in ("utf-8", "utf-8-sig") and load_csv_fast(
        con, path, h + 1, width, dialect, expected
    )


def _load_carefully(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cells: Cells | None,
    dialect: dict[str, Any],
    h: int,
    plan: TablePlan,
    notes: ParseNotes,
) -> list[Reject]:
    """The data rows into _src through Python (XLSX cells, or CSV DuckDB refused), repaired.

    Returns the rows that could not be read or repaired.
    """
    rejects: list[Reject] = []
    if cells is None:
        decoded = decode_bytes(path.read_bytes())
        notes.file_encoding = decoded.note
        full = decoded.text.replace("\x00", "")
        rows, problems = parse_csv_text(path, full, dialect)
        cells = [list(r) for r in rows]
        rejects += [
            Reject(p.index + 1, f"row {p.index + 1}", p.reason, p.raw)
            for p in problems
            if p.index > h
        ]
    width = len(plan.header)
    body, numbers = _body_rows(cells, h)
    body, numbers, wide = _too_wide(body, numbers)
    rejects += wide
    if dialect and any(len(r) > width for r in body):
        trimmed = drop_empty_tails(body, width)
        if trimmed:
            notes.empty_trailing_cells = (
                f"{trimmed} rows ended in empty cells beyond the header's "
                f"{width} columns (a trailing delimiter); they were dropped"
            )
    if dialect and any(len(r) > width for r in body):
        body, numbers, wide_rejects, repaired = _repair(body, numbers, dialect["delimiter"], plan)
        rejects += wide_rejects
        if repaired:
            notes.rows_rejoined = f"{repaired} rows had unquoted commas; their cells were re-joined"
    load_cells(con, [(body, numbers)], width)
    return rejects


def _load_sheet(
    con: duckdb.DuckDBPyConnection,
    head: Cells,
    more: SheetRows,
    h: int,
    plan: TablePlan,
    notes: ParseNotes,
) -> list[Reject]:
    """An XLSX sheet's data rows into _src, streamed in batches (never all in memory at once)."""
    body, numbers = _body_rows(head, h)
    load_cells(con, chain([(body, numbers)], _batches(more)), len(plan.header))
    if more.cut_rows:
        notes.cells_beyond_header = more.cut_rows
    where = f"sheet {more.name!r} row "
    return [Reject(p.row_no, f"{where}{p.row_no}", p.reason, p.raw) for p in more.problems]


def _batches(rows: SheetRows) -> Iterator[tuple[Cells, list[int]]]:
    """The streamed rows in batches of about BATCH_CELLS cells."""
    batch: Cells = []
    numbers: list[int] = []
    size = 0
    for number, row in rows:
        batch.append(row)
        numbers.append(number)
        size += len(row)
        if size >= BATCH_CELLS:
            yield batch, numbers
            batch, numbers, size = [], [], 0
    if batch:
        yield batch, numbers


def _body_rows(cells: Cells, h: int) -> tuple[Cells, list[int]]:
    """Data rows below the header (fully blank rows dropped) with their row numbers."""
    body: Cells = []
    numbers: list[int] = []
    for i in range(h + 1, len(cells)):
        if any(c not in (None, "") for c in cells[i]):
            body.append(cells[i])
            numbers.append(i + 1)
    return body, numbers


def _repair(
    body: Cells, numbers: list[int], delimiter: str, plan: TablePlan
) -> tuple[Cells, list[int], list[Reject], int]:
    """Re-join rows split by unquoted commas; reject the ones that stay ambiguous."""
    header = plan.header
    width = len(header)
    wide_before = sum(1 for r in body if len(r) > width)
    comparable = any(len(r) == width for r in body)
    body, bad = repair_wide_rows(header, body, delimiter, plan.columns["text"])
    bad_set = set(bad)
    why = (
        "the extra cells cannot be told apart safely"
        if comparable
        else f"no row of the file has the header's {width} cells to compare it with, so "
        "the extra cells cannot be placed"
    )
    rejects = [
        Reject(
            numbers[i],
            f"row {numbers[i]}",
            f"row has {len(body[i])} cells but the header has {width}, and {why}; "
            f"{plan.wide_rows_fix}",
            delimiter.join(str(c or "") for c in body[i])[:10_000],
        )
        for i in bad
    ]
    keep = [i for i in range(len(body)) if i not in bad_set]
    return [body[i] for i in keep], [numbers[i] for i in keep], rejects, wide_before - len(bad)
