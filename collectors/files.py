"""Import export files (CSV, XLSX, JSON, NDJSON, tweets.js) into the store.

`import_file` is the one entry point: read → detect format → parse → normalise
→ save, all in one transaction, so a file that fails leaves the store exactly
as it was, and a file that half-fits keeps its good rows and lists the rest in
`rejects`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from collectors.formats import record_formats, table_formats
from collectors.formats.base import RecordFormat, TableFormat, norm_header
from collectors.formats.tables import preamble_timezone
from collectors.model import ParseContext
from collectors.normalise import (
    REJECTS_T,
    REPLIES_T,
    ROOTS_T,
    BatchOptions,
    Normalised,
    normalise_into,
    source_zone,
)
from collectors.rawframes import raw_frame, register_raw
from collectors.readers import (
    ImportProblem,
    JsonProblem,
    JsonRecord,
    check_path,
    decode,
    decode_bytes,
    detect_kind,
    parse_csv_text,
    read_json_records,
    read_xlsx_cells,
    sniff_dialect,
)
from collectors.sink import fill_depths_from_store, save_batch, save_raw_frame, save_rejects
from collectors.tableload import (
    RAW_T,
    SRC_T,
    build_raw,
    drop_temp,
    label_rejected_rows,
    load_cells,
    load_csv_fast,
    save_table_records,
)
from collectors.tables import (
    HEADER_SCAN_ROWS,
    TablePlan,
    check_duplicate_headers,
    drop_empty_tails,
    find_header,
    plan_columns,
    repair_wide_rows,
)
from store import RunCounts, Store, fetch_one, finish_run, now_utc, start_run, tool_version

PhaseFn = Callable[[str], None]  # told "reading", "normalising", "saving"


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
class ImportResult:
    """The outcome of one file's import, for the summary paragraph."""

    path: Path
    run_id: int
    fmt: str
    platform: str
    rows_in: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    first: datetime | None
    last: datetime | None
    threads: list[str]
    notes: dict[str, Any]
    reject_examples: list[str]


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


def all_formats() -> list[tuple[str, str]]:
    """(name, one-line description) of every format, for `replyscope formats`."""
    rows = [(f.name, f"{f.description} [{f.platform or 'any'}]") for f in table_formats()]
    rows += [(f.name, f"{f.description} [{f.platform or 'any'}]") for f in record_formats()]
    rows.append(
        ("generic", "Any CSV/XLSX/JSON/NDJSON with recognisable column names; --map fills gaps")
    )
    return sorted(rows)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


HEAD_BYTES = 1 << 20  # enough to sniff the dialect and find a header below a preamble


def parse_file(con: duckdb.DuckDBPyConnection, path: Path, opts: ImportOptions) -> Parsed:
    """Read and parse a file into the temp table _raw of `con` (nothing is stored yet)."""
    check_path(path)
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    kind = detect_kind(path, head[:8192])
    if kind == "xls":
        raise ImportProblem(
            f"{path}: old-style .xls workbooks are not supported; save it as .xlsx in Excel."
        )
    if kind == "xlsx":
        cells, sheet, sheets = read_xlsx_cells(
            path, opts.sheet, _has_text_column(opts), HEADER_SCAN_ROWS + 5
        )
        return _parse_table(con, path, cells, opts, sheet=sheet, csv_text=None, sheets=sheets)
    if kind == "json":
        return _parse_json(con, path, decode(path.read_bytes())[0], opts)
    head_text, encoding = decode(head, strict=False)
    if len(head) == HEAD_BYTES:
        # Cut the partial last line so the sniffer sees whole rows.
        head_text = head_text[: head_text.rfind("\n") + 1] or head_text
    # A few NUL bytes (a broken export) are removed; many make the file binary.
    head_text = head_text.replace("\x00", "")
    return _parse_table(con, path, None, opts, sheet=None, csv_text=(head_text, encoding))


def _has_text_column(opts: ImportOptions) -> Callable[[list[list[str | None]]], bool]:
    """Whether a sheet's first rows hold a header with a reply-text column (sheet choice)."""

    def test(rows: list[list[str | None]]) -> bool:
        forced = _find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
        assert forced is None or isinstance(forced, TableFormat)
        try:
            h, fmt = find_header(rows, forced)
            header = [str(c or "") for c in rows[h]]
            plan_columns(header, None if opts.fmt == "generic" else fmt, opts.mapping, "")
        except ImportProblem:
            return False
        return True

    return test


def _find_format(name: str, kind: str) -> RecordFormat | TableFormat:
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


def _parse_json(
    con: duckdb.DuckDBPyConnection, path: Path, text: str, opts: ImportOptions
) -> Parsed:
    from collectors import jsonrecords as jr

    records: list[JsonRecord] = []
    rejects: list[tuple[int, str, str, str]] = []
    for item in read_json_records(path, text):
        if isinstance(item, JsonProblem):
            rejects.append((item.record_no, item.locator, item.reason, item.raw))
        else:
            records.append(item)
    if not records:
        if rejects:
            raise ImportProblem(
                f"{path}: no JSON record could be read ({rejects[0][1]}: {rejects[0][2]}); "
                "is this the right file? Export or download it again."
            )
        raise ImportProblem(
            f"{path}: the JSON is an empty list: the export holds no replies. "
            "Check you picked the right file."
        )
    generic = opts.fmt in ("generic", "generic-json")
    forced = _find_format(opts.fmt, "json") if opts.fmt and not generic else None
    assert forced is None or isinstance(forced, RecordFormat)
    notes: dict[str, Any] = {}
    extra: list[tuple[int, str, str]] = []  # raw_records rows that are not records
    if len(records) == 1 and records[0].locator == "document":
        # {"data": [...]}, {"comments": [...], "count": 3}: when no format knows
        # the object, the records are the items of its list of objects.
        doc = records[0].value
        known = (
            _safe_detect(forced, doc)
            if forced
            else not generic and _detect_record_format(records) is not None
        )
        key = None if known else jr.wrapped_key(doc)
        if key is not None:
            records, rest = jr.unwrap(doc, key)
            notes[f'records read from the "{key}" list of the top-level object'] = len(records)
            if rest:
                extra.append(
                    (0, f'document (without "{key}")', json.dumps(rest, ensure_ascii=False))
                )
    problem = jr.not_records_problem(path, records)
    if problem is not None:
        raise problem
    fmt = None if generic else forced or _detect_record_format(records)
    if fmt is not None and opts.mapping:
        how = "given with --format" if forced else "detected"
        raise ImportProblem(
            f"{path}: --map only applies to generic files; this file is read as {fmt.name} "
            f"({how}), whose fields are known. Drop --map, or add --format generic to read it "
            "by its key names (then --map works)."
        )
    if fmt is None:
        _check_generic_mapping(path, records, opts)
    ctx = ParseContext(
        platform=opts.platform, thread=opts.thread, source=str(path), dayfirst=opts.dayfirst
    )
    rows: list[dict[str, Any]] = []
    payloads: list[tuple[int, str, str]] = list(extra)
    for rec in records:
        payload = rec.raw if rec.raw is not None else json.dumps(rec.value, ensure_ascii=False)
        payloads.append((rec.record_no, rec.locator, payload))
        if fmt is None:
            if not isinstance(rec.value, dict):
                rejects.append(
                    (
                        rec.record_no,
                        rec.locator,
                        f"record is {jr.describe(rec.value)}, not an object with reply fields",
                        payload[:10_000],
                    )
                )
                continue
            rows.append(
                {
                    **_generic_record(rec.value, opts),
                    "_record_no": rec.record_no,
                    "_locator": rec.locator,
                }
            )
            continue
        if not fmt.detect(rec.value):
            rejects.append(
                (
                    rec.record_no,
                    rec.locator,
                    f"record is not in the {fmt.name} shape",
                    payload[:10_000],
                )
            )
            continue
        try:
            parsed = fmt.parse(rec.value, ctx)
        except Exception as err:  # a parser bug must not lose the rest of the file
            rejects.append(
                (
                    rec.record_no,
                    rec.locator,
                    f"could not be parsed ({type(err).__name__}: {err})",
                    payload[:10_000],
                )
            )
            continue
        if not parsed:
            ctx.note("records with no replies")
        places: dict[str, Any] | None = None
        for row in parsed:
            if fmt.locate is not None and jr.is_blank_text(row.get("text")):
                # No text: rejected here, naming the reply itself (its place and
                # its own JSON, not the whole record) and what it holds instead.
                if places is None:
                    places = _safe_locate(fmt, rec.value)
                sub = places.get(str(row.get("reply_id")))
                if sub is not None:
                    rejects.append(jr.no_text_reject(rec.record_no, rec.locator, payload, sub))
                    continue
            rows.append({**row, "_record_no": rec.record_no, "_locator": rec.locator})
    if fmt is None and not any("text" in row for row in rows):
        raise jr.no_text_problem(path, [r.value for r in records])
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    register_raw(con, raw_frame(rows), RAW_T)
    return Parsed(
        fmt=fmt.name if fmt else "generic-json",
        platform=platform,
        batch=BatchOptions(
            platform=platform, thread=opts.thread, dayfirst=True if opts.dayfirst else None
        ),
        notes={**notes, **ctx.notes},
        rejects=rejects,
        records=pl.DataFrame(
            payloads,
            schema={"record_no": pl.Int64, "locator": pl.String, "payload": pl.String},
            orient="row",
        ),
    )


def _detect_record_format(records: list[JsonRecord]) -> RecordFormat | None:
    """The format that accepts most of the first records (None: generic JSON)."""
    sample = [r.value for r in records[:50]]
    best: tuple[int, RecordFormat | None] = (0, None)
    for fmt in record_formats():
        hits = sum(1 for value in sample if _safe_detect(fmt, value))
        if hits > best[0]:
            best = (hits, fmt)
    return best[1]


def _safe_detect(fmt: RecordFormat, value: Any) -> bool:
    try:
        return bool(fmt.detect(value))
    except Exception:
        return False


def _safe_locate(fmt: RecordFormat, value: Any) -> dict[str, Any]:
    """fmt.locate(value), or {} (the record-level locator then serves) if it fails."""
    try:
        return fmt.locate(value) if fmt.locate is not None else {}
    except Exception:
        return {}


def _check_generic_mapping(path: Path, records: list[JsonRecord], opts: ImportOptions) -> None:
    """--map on generic JSON: known field names, and keys that some record has."""
    from collectors.jsonrecords import check_mapping
    from collectors.tables import map_field

    for fld in opts.mapping:
        map_field(fld)
    check_mapping(path, [r.value for r in records], opts.mapping)


def _generic_record(value: Any, opts: ImportOptions) -> dict[str, Any]:
    """A JSON object read with the generic key names (and --map, dotted paths allowed)."""
    from collectors.jsonrecords import lookup
    from collectors.tables import GENERIC_COLUMNS, map_field, squash

    if not isinstance(value, dict):
        return {}
    flat = {k: v for k, v in value.items() if not isinstance(v, dict | list)}
    keys = {squash(k): k for k in flat}
    row: dict[str, Any] = {}
    for fld, spellings in GENERIC_COLUMNS.items():
        for spelling in spellings:
            if spelling in keys:
                row[fld] = flat[keys[spelling]]
                break
    for fld, col in opts.mapping.items():
        found, mapped = lookup(value, col)
        name = map_field(fld)
        if found and not isinstance(mapped, dict | list):
            row[name] = mapped
        else:
            # The record lacks the key the person named: the guessed key must
            # not stand in for it.
            row.pop(name, None)
    return row


def _parse_table(
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
    forced = _find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
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
            f"the preamble names the time zone {meta.get('timezone')!r}, which is not known; "
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


def import_file(
    store: Store, path: Path, opts: ImportOptions, progress: PhaseFn | None = None
) -> ImportResult:
    """Import one file as one run; raise ImportProblem (store untouched) if nothing is usable."""
    say = progress or (lambda _phase: None)
    con = store.con
    now = now_utc()
    # The file's hash is computed in a thread while DuckDB reads (hashlib
    # releases the GIL): provenance for free on a big file.
    hashing = ThreadPoolExecutor(max_workers=1)
    sha_future = hashing.submit(sha256_file, path) if path.is_file() else None
    # Reading and normalising only touch temp tables: no transaction is needed
    # (and DuckDB's fast CSV reader may fail and fall back, which would abort one).
    try:
        say("reading")
        parsed = parse_file(con, path, opts)
        say("normalising")
        result = normalise_into(con, RAW_T, parsed.batch)
        sha = sha_future.result() if sha_future else None
        # Every row read counts, duplicates merged into another row included,
        # so that added + updated + unchanged + rejected + merged + thread posts add up.
        merged_dups = int(result.notes.get("duplicates_in_input", 0))
        rows_in = result.replies + result.roots + result.rejects + len(parsed.rejects) + merged_dups
        if result.replies + result.roots == 0:
            reasons = [r for *_, r, _ in parsed.rejects] + [
                r[0]
                for r in con.execute(f"SELECT DISTINCT reason FROM {REJECTS_T} LIMIT 3").fetchall()
            ]
            shown = "; ".join(sorted(set(reasons))[:3]) or "no rows found"
            raise ImportProblem(f"{path}: no usable replies ({rows_in} rows read: {shown}).")
        say("saving")
        return _save_import(store, path, opts, parsed, result, rows_in, sha, now)
    finally:
        hashing.shutdown(wait=True)
        drop_temp(con, REPLIES_T, ROOTS_T, REJECTS_T, RAW_T, SRC_T)


def _save_import(
    store: Store,
    path: Path,
    opts: ImportOptions,
    parsed: Parsed,
    result: Normalised,
    rows_in: int,
    sha: str | None,
    now: datetime,
) -> ImportResult:
    """Write one parsed, normalised file into the store in a single transaction."""
    con = store.con
    source = str(path)
    with store.transaction():
        notes = {**parsed.notes, **result.notes}
        run_id = start_run(
            store,
            "import",
            parameters={
                "format": opts.fmt,
                "platform": opts.platform,
                "thread": opts.thread,
                "map": opts.mapping,
                "sheet": opts.sheet,
                "dayfirst": opts.dayfirst,
            },
            input_path=str(path.resolve()),
            input_sha256=sha,
            fmt=parsed.fmt,
            platform=parsed.platform,
        )
        if parsed.header is not None:
            save_table_records(
                con, run_id, parsed.header, source=source, retrieved_at=now, version=tool_version()
            )
        elif parsed.records is not None:
            save_raw_frame(store, run_id, parsed.records, source=source, retrieved_at=now)
        rejected = save_rejects(store, run_id, parsed.rejects, source=source)
        if parsed.header is not None and rejected:
            label_rejected_rows(con, run_id, parsed.header)
        merged = save_batch(store, run_id, seen_at=now)
        orphans = fetch_one(
            con, f"SELECT count(*) FROM {REPLIES_T} WHERE depth IS NULL AND parent_id IS NOT NULL"
        )
        if orphans and orphans[0]:
            # Parents stored by an earlier import give these replies their depth.
            fill_depths_from_store(
                store,
                [
                    r[0]
                    for r in con.execute(
                        f"SELECT DISTINCT thread_id FROM {REPLIES_T} WHERE thread_id IS NOT NULL"
                    ).fetchall()
                ],
            )
        first, last = fetch_one(
            con, f"SELECT min(created_at), max(created_at) FROM {REPLIES_T}"
        ) or (None, None)
        threads = sorted(
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT thread_id FROM {REPLIES_T} WHERE thread_id IS NOT NULL "
                f"UNION SELECT thread_id FROM {ROOTS_T}"
            ).fetchall()
        )
        examples = [
            f"{loc}: {why}"
            for loc, why in con.execute(
                "SELECT locator, reason FROM rejects WHERE run_id = ? ORDER BY record_no LIMIT 3",
                [run_id],
            ).fetchall()
        ]
        counts = RunCounts(
            rows_in=rows_in,
            rows_added=merged.added,
            rows_updated=merged.updated,
            rows_unchanged=merged.unchanged,
            rows_rejected=rejected,
            summary={**notes, "threads": threads[:50], "first": first, "last": last},
        )
        finish_run(store, run_id, counts)
    return ImportResult(
        path=path,
        run_id=run_id,
        fmt=parsed.fmt,
        platform=parsed.platform,
        rows_in=rows_in,
        added=merged.added,
        updated=merged.updated,
        unchanged=merged.unchanged,
        rejected=rejected,
        first=first,
        last=last,
        threads=threads,
        notes=notes,
        reject_examples=examples,
    )
