"""Parse spreadsheet exports (CSV in any dialect and encoding, XLSX) into `_src`/`_raw`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from collectors.formats.base import TableFormat, norm_header
from collectors.formats.tables import preamble_timezone
from collectors.model import ParseContext
from collectors.normalise import BatchOptions, source_zone
from collectors.parsing import ImportOptions, Parsed, find_format
from collectors.readers import ImportProblem, decode_bytes, parse_csv_text, sniff_dialect
from collectors.tableload import SRC_T, build_raw, load_cells, load_csv_fast
from collectors.tables import (
    HEADER_SCAN_ROWS,
    TablePlan,
    check_duplicate_headers,
    drop_empty_tails,
    find_header,
    plan_columns,
    repair_wide_rows,
)
from store import fetch_one


def has_text_column(opts: ImportOptions) -> Callable[[list[list[str | None]]], bool]:
    """Whether a sheet's first rows hold a header with a reply-text column (sheet choice)."""

    def test(rows: list[list[str | None]]) -> bool:
        forced = find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
        assert forced is None or isinstance(forced, TableFormat)
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
    cells: list[list[str | None]] | None,
    opts: ImportOptions,
    *,
    sheet: str | None,
    csv_text: tuple[str, str] | None,
    sheets: list[str] | None = None,
) -> Parsed:
    """Find header and format, load the rows into _src (DuckDB or Python), build _raw."""
    where = f"{path}" + (f" (sheet {sheet!r})" if sheet else "")
    dialect: dict[str, Any] = {}
    if csv_text is not None:
        text, _encoding = csv_text
        dialect = sniff_dialect(text)
        head_rows, _ = parse_csv_text(path, text, dialect, limit=HEADER_SCAN_ROWS + 5)
        probe: list[list[str | None]] = [list(r) for r in head_rows]
    else:
        assert cells is not None
        probe = cells
    if not any(any(c not in (None, "") for c in row) for row in probe):
        raise ImportProblem(f"{where}: the file has no rows. Export it again.")
    forced = find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
    assert forced is None or isinstance(forced, TableFormat)
    h, fmt = find_header(probe, forced)
    if opts.fmt == "generic":
        fmt = None
    header = [str(c or "") for c in probe[h]]
    check_duplicate_headers(header, where)
    meta = {
        norm_header(row[0]): row[1]
        for row in probe[:h]
        if len(row) >= 2 and row[0] not in (None, "") and row[1] not in (None, "")
    }
    try:
        plan = plan_columns(header, fmt, opts.mapping, where)
    except ImportProblem as err:
        others = [s for s in sheets or [] if s != sheet]
        if opts.sheet is None and others:
            shown = ", ".join(repr(s) for s in sheets or [])
            raise ImportProblem(
                f"{err} No sheet of the workbook has a reply-text column (sheets: {shown}); "
                "if the replies are on another sheet, say which with --sheet NAME."
            ) from err
        raise
    rejects: list[tuple[int, str, str, str]] = []
    notes: dict[str, Any] = {}
    fast = (
        csv_text is not None
        and csv_text[1] in ("utf-8", "utf-8-sig")
        and load_csv_fast(
            con,
            path,
            h + 1,
            len(header),
            dialect,
            [list(map(str, r)) for r in probe[h + 1 : h + 21]],
        )
    )
    if not fast:
        if cells is None:
            decoded = decode_bytes(path.read_bytes())
            if decoded.note:
                notes["file encoding"] = decoded.note
            full = decoded.text.replace("\x00", "")
            rows, problems = parse_csv_text(path, full, dialect)
            cells = [list(r) for r in rows]
            rejects += [
                (p.index + 1, f"row {p.index + 1}", p.reason, p.raw)
                for p in problems
                if p.index > h
            ]
        body, numbers = _body_rows(cells, h)
        if dialect and any(len(r) > len(header) for r in body):
            trimmed = drop_empty_tails(body, len(header))
            if trimmed:
                notes["empty trailing cells"] = (
                    f"{trimmed} rows ended in empty cells beyond the header's "
                    f"{len(header)} columns (a trailing delimiter); they were dropped"
                )
        if dialect and any(len(r) > len(header) for r in body):
            body, numbers, wide_rejects, repaired = _repair(
                header, body, numbers, dialect["delimiter"], plan
            )
            rejects += wide_rejects
            if repaired:
                notes["rows_rejoined"] = (
                    f"{repaired} rows had unquoted commas; their cells were re-joined"
                )
        load_cells(con, body, numbers, len(header))
    if not rejects and (fetch_one(con, f"SELECT count(*) FROM {SRC_T}") or (0,))[0] == 0:
        raise ImportProblem(
            f"{where}: the file has a header row but no data rows; export it again "
            "(the export may have been cut off or made before any replies came in)."
        )
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    ctx = ParseContext(
        platform=platform, thread=opts.thread, source=str(path), dayfirst=opts.dayfirst, meta=meta
    )
    build_raw(con, plan, fmt, ctx)
    if h:
        notes["header_row"] = h + 1
    # ExportComments writes the zone of its dates in a "Timezone" preamble row.
    zone, zone_note = preamble_timezone(meta.get("timezone"))
    try:
        source_zone(zone)
    except ValueError:
        zone = None
        zone_note = (
            f"the preamble names the time zone {str(meta.get('timezone'))[:40]!r}, which is not known; "
            "dates were read as UTC"
        )
    if zone_note:
        notes["preamble time zone"] = zone_note
    return Parsed(
        fmt=plan.name,
        platform=platform,
        batch=BatchOptions(
            platform=platform,
            thread=opts.thread
            or (str(meta.get("source url") or meta.get("post url") or "") or None),
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
        preamble=[(i + 1, [c or "" for c in row]) for i, row in enumerate(probe[:h]) if any(row)],
    )


def _body_rows(cells: list[list[str | None]], h: int) -> tuple[list[list[str | None]], list[int]]:
    """Data rows below the header (fully blank rows dropped) with their row numbers."""
    body: list[list[str | None]] = []
    numbers: list[int] = []
    for i in range(h + 1, len(cells)):
        if any(c not in (None, "") for c in cells[i]):
            body.append(cells[i])
            numbers.append(i + 1)
    return body, numbers


def _repair(
    header: list[str],
    body: list[list[str | None]],
    numbers: list[int],
    delimiter: str,
    plan: TablePlan,
) -> tuple[list[list[str | None]], list[int], list[tuple[int, str, str, str]], int]:
    """Re-join rows split by unquoted commas; reject the ones that stay ambiguous."""
    width = len(header)
    wide_before = sum(1 for r in body if len(r) > width)
    comparable = any(len(r) == width for r in body)
    body, bad = repair_wide_rows(header, body, delimiter, plan.columns["text"])
    bad_set = set(bad)
    if plan.name == "tiktokcommentscraper":
        # That tool cannot quote its CSV; its XLSX export has the same comments, cell by cell.
        fix = "import the XLSX export TikTokCommentScraper makes of the same comments instead"
    else:
        fix = "re-export with quoted fields (or as XLSX)"
    why = (
        "the extra cells cannot be told apart safely"
        if comparable
        else f"no row of the file has the header's {width} cells to compare it with, so "
        "the extra cells cannot be placed"
    )
    rejects = [
        (
            numbers[i],
            f"row {numbers[i]}",
            f"row has {len(body[i])} cells but the header has {width}, and {why}; {fix}",
            delimiter.join(str(c or "") for c in body[i])[:10_000],
        )
        for i in bad
    ]
    keep = [i for i in range(len(body)) if i not in bad_set]
    return [body[i] for i in keep], [numbers[i] for i in keep], rejects, wide_before - len(bad)
