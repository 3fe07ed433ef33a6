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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from collectors.formats import record_formats, table_formats
from collectors.formats.base import RecordFormat, TableFormat, norm_header
from collectors.model import ParseContext
from collectors.normalise import BatchOptions, NormalisedBatch, normalise_batch, raw_frame
from collectors.readers import (
    ImportProblem,
    JsonProblem,
    JsonRecord,
    Table,
    check_path,
    decode,
    detect_kind,
    read_csv_cells,
    read_json_records,
    read_xlsx_cells,
)
from collectors.sink import save_batch, save_raw_frame, save_rejects
from collectors.tables import (
    check_duplicate_headers,
    columns_frame,
    find_header,
    plan_columns,
    repair_wide_rows,
)
from store import RunCounts, Store, finish_run, now_utc, start_run

ProgressFn = Callable[[str, int, int], None]


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
    """A file read and parsed, not yet normalised."""

    fmt: str
    platform: str
    raw: pl.DataFrame
    records: pl.DataFrame  # record_no, locator, payload
    rejects: list[tuple[int, str, str, str]]  # record_no, locator, reason, raw
    batch: BatchOptions
    notes: dict[str, Any]


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


def parse_file(path: Path, opts: ImportOptions) -> Parsed:
    """Read and parse a file into raw reply columns (no store access)."""
    check_path(path)
    data = path.read_bytes()
    kind = detect_kind(path, data[:8192])
    if kind == "xls":
        raise ImportProblem(
            f"{path}: old-style .xls workbooks are not supported; save it as .xlsx in Excel."
        )
    if kind == "xlsx":
        cells, sheet = read_xlsx_cells(path, opts.sheet)
        return _parse_table(
            path, cells, list(range(1, len(cells) + 1)), opts, sheet=sheet, delimiter=""
        )
    text, _encoding = decode(data)
    if kind == "json":
        return _parse_json(path, text, opts)
    rows, lines, dialect = read_csv_cells(path, text)
    csv_cells: list[list[str | None]] = [list(r) for r in rows]
    return _parse_table(path, csv_cells, lines, opts, sheet=None, delimiter=dialect["delimiter"])


def _find_format(name: str, kind: str) -> RecordFormat | TableFormat:
    """The format called name among the JSON ('json') or spreadsheet ('table') formats."""
    records, tables = record_formats(), table_formats()
    pool: list[RecordFormat | TableFormat] = [*records] if kind == "json" else [*tables]
    for fmt in pool:
        if fmt.name == name:
            return fmt
    if any(f.name == name for f in records) or any(f.name == name for f in tables):
        other = "spreadsheet/CSV" if kind == "json" else "JSON"
        raise ImportProblem(f"--format {name} is a {other} format, but this file is not {other}.")
    names = ", ".join(n for n, _ in all_formats())
    raise ImportProblem(f"--format {name}: unknown format. Known formats: {names}.")


def _parse_json(path: Path, text: str, opts: ImportOptions) -> Parsed:
    records: list[JsonRecord] = []
    rejects: list[tuple[int, str, str, str]] = []
    for item in read_json_records(path, text):
        if isinstance(item, JsonProblem):
            rejects.append((item.record_no, item.locator, item.reason, item.raw))
        else:
            records.append(item)
    if not records:
        raise ImportProblem(f"{path}: no JSON records could be read; is this the right file?")
    forced = _find_format(opts.fmt, "json") if opts.fmt and opts.fmt != "generic" else None
    assert forced is None or isinstance(forced, RecordFormat)
    fmt = forced or _detect_record_format(records)
    ctx = ParseContext(
        platform=opts.platform, thread=opts.thread, source=str(path), dayfirst=opts.dayfirst
    )
    rows: list[dict[str, Any]] = []
    payloads: list[tuple[int, str, str]] = []
    for rec in records:
        payload = rec.raw if rec.raw is not None else json.dumps(rec.value, ensure_ascii=False)
        payloads.append((rec.record_no, rec.locator, payload))
        if fmt is None:
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
        for row in parsed:
            rows.append({**row, "_record_no": rec.record_no, "_locator": rec.locator})
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    return Parsed(
        fmt=fmt.name if fmt else "generic-json",
        platform=platform,
        raw=raw_frame(rows),
        records=pl.DataFrame(
            payloads,
            schema={"record_no": pl.Int64, "locator": pl.String, "payload": pl.String},
            orient="row",
        ),
        rejects=rejects,
        batch=BatchOptions(
            platform=platform, thread=opts.thread, dayfirst=True if opts.dayfirst else None
        ),
        notes=dict(ctx.notes),
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


def _generic_record(value: Any, opts: ImportOptions) -> dict[str, Any]:
    """A flat JSON object read with the generic column names (and --map)."""
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
        if col in flat:
            row[map_field(fld)] = flat[col]
    return row


def _parse_table(
    path: Path,
    cells: list[list[str | None]],
    lines: list[int],
    opts: ImportOptions,
    *,
    sheet: str | None,
    delimiter: str,
) -> Parsed:
    where = f"{path}" + (f" (sheet {sheet!r})" if sheet else "")
    if not any(any(c not in (None, "") for c in row) for row in cells):
        raise ImportProblem(f"{where}: the file has no rows. Export it again.")
    forced = _find_format(opts.fmt, "table") if opts.fmt and opts.fmt != "generic" else None
    assert forced is None or isinstance(forced, TableFormat)
    h, fmt = find_header(cells, forced)
    if opts.fmt == "generic":
        fmt = None
    header = [str(c or "") for c in cells[h]]
    check_duplicate_headers(header, where)
    meta = {
        norm_header(row[0]): row[1]
        for row in cells[:h]
        if len(row) >= 2 and row[0] not in (None, "") and row[1] not in (None, "")
    }
    plan = plan_columns(header, fmt, opts.mapping, where)
    body = cells[h + 1 :]
    numbers = lines[h + 1 :]
    # Drop fully blank rows (Excel leaves them) without counting them as rows.
    keep = [i for i, row in enumerate(body) if any(c not in (None, "") for c in row)]
    body = [body[i] for i in keep]
    numbers = [numbers[i] for i in keep]
    rejects: list[tuple[int, str, str, str]] = []
    notes: dict[str, Any] = {}
    if delimiter and any(len(r) > len(header) for r in body):
        body, bad = repair_wide_rows(header, body, delimiter, plan.columns["text"])
        wide = sum(1 for r in body if len(r) > len(header))
        repaired = sum(1 for r in cells[h + 1 :] if len(r) > len(header)) - wide
        if repaired > 0:
            notes["rows_rejoined"] = (
                f"{repaired} rows had unquoted commas; their cells were re-joined"
            )
        bad_set = set(bad)
        for i in bad:
            rejects.append(
                (
                    numbers[i],
                    f"line {numbers[i]}",
                    f"row has {len(body[i])} cells but the header has {len(header)}, and the extra "
                    "cells cannot be told apart safely; re-export with quoted fields",
                    delimiter.join(str(c or "") for c in body[i])[:10_000],
                )
            )
        body = [r for i, r in enumerate(body) if i not in bad_set]
        numbers = [n for i, n in enumerate(numbers) if i not in bad_set]
    table = Table(
        header=header,
        rows=body,
        row_numbers=numbers,
        preamble=cells[:h],
        header_row=h + 1,
        sheet=sheet,
    )
    frame = columns_frame(table, plan)
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    ctx = ParseContext(
        platform=platform, thread=opts.thread, source=str(path), dayfirst=opts.dayfirst, meta=meta
    )
    raw = frame
    if fmt is not None and fmt.derive is not None:
        raw = fmt.derive(raw, ctx)
    src_cols = [c for c in frame.columns if c.startswith("src:")]
    payload = frame.select(
        "_record_no",
        "_locator",
        pl.struct([pl.col(c).alias(c[4:]) for c in src_cols]).struct.json_encode().alias("payload"),
    ).rename({"_record_no": "record_no", "_locator": "locator"})
    if h:
        notes["header_row"] = h + 1
    return Parsed(
        fmt=plan.name,
        platform=platform,
        raw=raw.drop(src_cols),
        records=payload,
        rejects=rejects,
        batch=BatchOptions(
            platform=platform,
            thread=opts.thread
            or (str(meta.get("source url") or meta.get("post url") or "") or None),
            dayfirst=True if (opts.dayfirst or (fmt is not None and fmt.dayfirst)) else None,
            date_formats=tuple(fmt.date_formats) if fmt else (),
            blank_counts_zero=True,
        ),
        notes=notes,
    )


def import_file(store: Store, path: Path, opts: ImportOptions) -> ImportResult:
    """Import one file as one run; raise ImportProblem (store untouched) if nothing is usable."""
    parsed = parse_file(path, opts)
    batch = normalise_batch(parsed.raw, parsed.batch)
    rows_in = parsed.raw.height + len(parsed.rejects)
    rejects = _reject_frame(parsed, batch)
    usable = batch.replies.height + batch.roots.height
    if usable == 0:
        reasons = (
            "; ".join(sorted({str(r) for r in rejects["reason"].head(3).to_list()}))
            or "no rows found"
        )
        raise ImportProblem(f"{path}: no usable replies ({rows_in} rows read: {reasons}).")
    notes = {**parsed.notes, **batch.notes}
    sha = sha256_file(path)
    now = now_utc()
    with store.transaction():
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
        save_raw_frame(store, run_id, parsed.records, source=str(path), retrieved_at=now)
        save_rejects(store, run_id, rejects, source=str(path))
        merged = save_batch(store, run_id, batch, seen_at=now)
        first_last = batch.replies.select(
            pl.col("created_at").min().alias("first"), pl.col("created_at").max().alias("last")
        ).row(0)
        threads = sorted(
            set(batch.replies["thread_id"].drop_nulls().unique().to_list())
            | set(batch.roots["thread_id"].to_list())
        )
        counts = RunCounts(
            rows_in=rows_in,
            rows_added=merged.added,
            rows_updated=merged.updated,
            rows_unchanged=merged.unchanged,
            rows_rejected=rejects.height,
            summary={
                **notes,
                "threads": threads[:50],
                "first": first_last[0],
                "last": first_last[1],
            },
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
        rejected=rejects.height,
        first=first_last[0],
        last=first_last[1],
        threads=threads,
        notes=notes,
        reject_examples=[
            f"{loc}: {why}" for loc, why in rejects.select("locator", "reason").head(3).iter_rows()
        ],
    )


def _reject_frame(parsed: Parsed, batch: NormalisedBatch) -> pl.DataFrame:
    """Rejects from reading (bad lines/rows) and from normalising (no text, ...), with raw rows."""
    early = pl.DataFrame(
        parsed.rejects,
        schema={"record_no": pl.Int64, "locator": pl.String, "reason": pl.String, "raw": pl.String},
        orient="row",
    )
    late = batch.rejects.rename({"_record_no": "record_no", "_locator": "locator"})
    if late.height:
        late = late.join(
            parsed.records.select("record_no", pl.col("payload").alias("raw")).unique("record_no"),
            on="record_no",
            how="left",
        ).select("record_no", "locator", "reason", "raw")
    else:
        late = early.clear()
    return pl.concat([early, late], how="vertical_relaxed")
