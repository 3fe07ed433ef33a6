"""Parse JSON-shaped exports (arrays, NDJSON, tweets.js, wrapped lists) into the raw table `_raw`.

Steps: read the top-level records (a broken NDJSON line is a reject); unwrap a
`{"data": [...]}`-style object no format knows; detect the format (or read the
records by their key names, the generic way); parse every record into rows,
each failure a reject with the record's place and JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from collectors.errors import ImportProblem
from collectors.files import jsonkeys as jk
from collectors.files import jsonrecords as jr
from collectors.files.header import GENERIC_COLUMNS, map_field, squash
from collectors.files.jsonread import JsonProblem, JsonRecord, member_items, read_json_records
from collectors.files.options import ImportOptions, Parsed, ParseNotes, find_format
from collectors.files.tableload import RAW_T
from collectors.formats import record_formats
from collectors.formats.base import RecordFormat, RecordRejected
from collectors.model import ParseContext
from collectors.rows.normalise import BatchOptions
from collectors.rows.rawframes import raw_frame, register_raw
from collectors.rows.sink import Reject

RAW_CUT = 10_000  # characters of a record kept in `rejects`


@dataclass
class _Records:
    """The records of a file, and what reading them kept aside."""

    records: list[JsonRecord]
    rejects: list[Reject] = field(default_factory=list)
    # raw_records rows that are not records (an unwrapped object's other keys).
    extra: list[tuple[int, str, str]] = field(default_factory=list)
    notes: ParseNotes = field(default_factory=ParseNotes)


def parse_json(
    con: duckdb.DuckDBPyConnection, path: Path, text: str, opts: ImportOptions
) -> Parsed:
    """Read a JSON-shaped file's records, detect the format and fill the raw table `_raw`."""
    found = _read_records(path, text)
    generic = opts.fmt in ("generic", "generic-json")
    forced = find_format(opts.fmt, "json") if opts.fmt and not generic else None
    assert forced is None or isinstance(forced, RecordFormat)
    _unwrap_document(found, forced, generic)
    twice = [r for r in found.records if r.duplicate_keys]
    if twice:
        found.notes.duplicate_keys = (len(twice), twice[0].locator, twice[0].duplicate_keys[0])
    problem = jr.not_records_problem(path, found.records)
    if problem is not None:
        raise problem
    fmt = None if generic else forced or _detect_record_format(found.records)
    _check_mapping(path, found.records, fmt, forced, opts)
    ctx = ParseContext(
        platform=opts.platform, thread=opts.thread, source=str(path), dayfirst=opts.dayfirst
    )
    rows: list[dict[str, Any]] = []
    payloads: list[tuple[int, str, str]] = list(found.extra)
    # Generic records: where the reply fields sit when not at the top (value.post.record.text).
    nested = jk.NestedReader(
        jk.plan_keys([r.value for r in found.records[: jk.SAMPLE_RECORDS]])
        if fmt is None
        else jk.KeyPlan()
    )
    for rec in found.records:
        payload = rec.raw if rec.raw is not None else json.dumps(rec.value, ensure_ascii=False)
        payloads.append((rec.record_no, rec.locator, payload))
        if fmt is None:
            _generic_rows(rec, payload, opts, nested, rows, found.rejects)
        else:
            _format_rows(rec, payload, fmt, ctx, rows, found.rejects)
    if fmt is None and not any("text" in row for row in rows):
        raise jr.no_text_problem(path, [r.value for r in found.records])
    if nested.note():
        ctx.note(str(nested.note()), n=len(rows))
    platform = opts.platform or (fmt.platform if fmt else None) or "other"
    register_raw(con, raw_frame(rows), RAW_T)
    found.notes.formats = ctx.notes
    return Parsed(
        fmt=fmt.name if fmt else "generic",
        platform=platform,
        batch=BatchOptions(
            platform=platform, thread=opts.thread, dayfirst=True if opts.dayfirst else None
        ),
        notes=found.notes,
        rejects=found.rejects,
        records=pl.DataFrame(
            payloads,
            schema={"record_no": pl.Int64, "locator": pl.String, "payload": pl.String},
            orient="row",
        ),
    )


def _read_records(path: Path, text: str) -> _Records:
    """The file's top-level records (broken NDJSON lines as rejects); an error if there are none."""
    found = _Records(records=[])
    for item in read_json_records(path, text):
        if isinstance(item, JsonProblem):
            found.rejects.append(Reject(item.record_no, item.locator, item.reason, item.raw))
        else:
            found.records.append(item)
    if found.records:
        return found
    if found.rejects:
        first = found.rejects[0]
        raise ImportProblem(
            f"{path}: no JSON record could be read ({first.locator}: {first.reason}); "
            "is this the right file? Export or download it again."
        )
    raise ImportProblem(
        f"{path}: the JSON is an empty list: the export holds no replies. "
        "Check you picked the right file."
    )


def _unwrap_document(found: _Records, forced: RecordFormat | None, generic: bool) -> None:
    """A single object no format knows, holding a list of objects: its items are the records.

    {"data": [...]}, {"comments": [...], "count": 3}; the object's other keys
    are kept as a raw record of their own.
    """
    if len(found.records) != 1 or found.records[0].locator != "document":
        return
    doc = found.records[0].value
    known = (
        _safe_detect(forced, doc)
        if forced
        else not generic and _detect_record_format(found.records) is not None
    )
    key = None if known else jr.wrapped_key(doc)
    if key is None:
        return
    document = found.records[0]
    found.records, rest = jr.unwrap(doc, key)
    found.notes.unwrapped = (key, len(found.records))
    # Each item keeps its own text as read (and the keys it gives twice).
    texts = member_items(document.raw, key) if document.raw is not None else None
    if texts is not None and len(texts) == len(found.records):
        for rec, (raw, dups) in zip(found.records, texts, strict=True):
            rec.raw, rec.duplicate_keys = raw, dups
    if rest:
        found.extra.append((0, f'document (without "{key}")', json.dumps(rest, ensure_ascii=False)))


def _check_mapping(
    path: Path,
    records: list[JsonRecord],
    fmt: RecordFormat | None,
    forced: RecordFormat | None,
    opts: ImportOptions,
) -> None:
    """--map only on generic records: known field names, and keys that some record has."""
    if fmt is not None and opts.mapping:
        how = "given with --format" if forced else "detected"
        raise ImportProblem(
            f"{path}: --map only applies to generic files; this file is read as {fmt.name} "
            f"({how}), whose fields are known. Drop --map, or add --format generic to read it "
            "by its key names (then --map works)."
        )
    if fmt is None:
        for fld in opts.mapping:
            map_field(fld)
        jr.check_mapping(path, [r.value for r in records], opts.mapping)


def _generic_rows(
    rec: JsonRecord,
    payload: str,
    opts: ImportOptions,
    nested: jk.NestedReader,
    rows: list[dict[str, Any]],
    rejects: list[Reject],
) -> None:
    """A record read by its key names (and --map); anything but an object is a reject."""
    if not isinstance(rec.value, dict):
        what = jr.describe(rec.value)
        reason = f"record is {what}, not an object with reply fields"
        rejects.append(Reject(rec.record_no, rec.locator, reason, payload[:RAW_CUT]))
        return
    rows.append(
        {
            **_generic_record(rec.value, opts, nested),
            "_record_no": rec.record_no,
            "_locator": rec.locator,
        }
    )


def _format_rows(
    rec: JsonRecord,
    payload: str,
    fmt: RecordFormat,
    ctx: ParseContext,
    rows: list[dict[str, Any]],
    rejects: list[Reject],
) -> None:
    """A record parsed by its format: rows, or a reject saying why not."""

    def reject(reason: str) -> None:
        rejects.append(Reject(rec.record_no, rec.locator, reason, payload[:RAW_CUT]))

    if not fmt.detect(rec.value):
        reject(f"record is not in the {fmt.name} shape")
        return
    try:
        parsed = fmt.parse(rec.value, ctx)
    except RecordRejected as err:  # the format knows this record and why it is unusable
        reject(str(err))
        return
    except Exception as err:  # a parser bug must not lose the rest of the file
        reject(f"could not be parsed ({type(err).__name__}: {err})")
        return
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


def _generic_record(value: Any, opts: ImportOptions, nested: jk.NestedReader) -> dict[str, Any]:
    """A JSON object read by its key names, nested ones too (and --map, dotted paths allowed)."""
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
    nested.read(value, row)
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
