"""Parse JSON-shaped exports (arrays, NDJSON, tweets.js, wrapped lists) into the raw table `_raw`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from collectors import jsonrecords as jr
from collectors.formats import record_formats
from collectors.formats.base import RecordFormat, RecordRejected
from collectors.model import ParseContext
from collectors.normalise import BatchOptions
from collectors.parsing import ImportOptions, Parsed, find_format
from collectors.rawframes import raw_frame, register_raw
from collectors.readers import ImportProblem, JsonProblem, JsonRecord, read_json_records
from collectors.tableload import RAW_T
from collectors.tables import GENERIC_COLUMNS, map_field, squash


def parse_json(
    con: duckdb.DuckDBPyConnection, path: Path, text: str, opts: ImportOptions
) -> Parsed:
    """Read a JSON-shaped file's records, detect the format and fill the raw table `_raw`."""
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
    forced = find_format(opts.fmt, "json") if opts.fmt and not generic else None
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
        except RecordRejected as err:  # the format knows this record and why it is unusable
            rejects.append((rec.record_no, rec.locator, str(err), payload[:10_000]))
            continue
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
        fmt=fmt.name if fmt else "generic",
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
    for fld in opts.mapping:
        map_field(fld)
    jr.check_mapping(path, [r.value for r in records], opts.mapping)


def _generic_record(value: Any, opts: ImportOptions) -> dict[str, Any]:
    """A JSON object read with the generic key names (and --map, dotted paths allowed)."""
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
        found, mapped = jr.lookup(value, col)
        name = map_field(fld)
        if found and not isinstance(mapped, dict | list):
            row[name] = mapped
        else:
            # The record lacks the key the person named: the guessed key must
            # not stand in for it.
            row.pop(name, None)
    return row
