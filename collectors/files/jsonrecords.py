"""Helpers for JSON-shaped files: wrapped record lists, --map on keys, what a file holds.

`collectors.files.json_parse.parse_json` uses these to read records that are
not a plain list of reply objects (a `{"data": [...]}` wrapper), to apply
`--map` to record keys (dotted paths reach into nested objects), and to say in
plain words what a JSON file holds when it holds no reply records at all.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from collectors.errors import ImportProblem
from collectors.files.jsonkeys import leaf_paths, prose_path
from collectors.files.jsonread import JsonRecord
from collectors.formats.base import SubRecord
from collectors.rows.sink import Reject

# Keys that, by convention, hold the records of a wrapped export, in the order
# we prefer them when an object has several lists of objects.
WRAPPER_KEYS = ("data", "items", "comments", "results", "replies")

EXPORT_SHAPE = (
    "A reply export is a list of objects, one per reply "
    '([{"id": "1", "text": "..."}, ...]), or one such object per line (NDJSON).'
)


def is_blank_text(value: Any) -> bool:
    """A text value the normaliser will refuse as empty (None or only whitespace)."""
    return value is None or (isinstance(value, str) and not value.strip())


# --- what a JSON value is ------------------------------------------------------


def _kind(value: Any, plural: bool = False) -> str:
    if isinstance(value, bool):
        name = "true/false value"
    elif isinstance(value, int | float):
        name = "number"
    elif isinstance(value, str):
        name = "string"
    elif value is None:
        name = "null"
    elif isinstance(value, list):
        name = "list"
    else:
        name = "object"
    return name + ("s" if plural and name != "null" else "")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(value: Any) -> str:
    """A JSON value in words: 'a number (42)', 'a list of 2 strings ("hello", "world")'."""
    if isinstance(value, list):
        if not value:
            return "an empty list"
        kinds = {_kind(v) for v in value}
        what = _kind(value[0], plural=len(value) > 1) if len(kinds) == 1 else "values"
        shown = ", ".join(_short(v) for v in value[:2]) + (", ..." if len(value) > 2 else "")
        return f"a list of {len(value)} {what} ({shown})"
    if value is None:
        return "null"
    return f"{'an' if _kind(value) == 'object' else 'a'} {_kind(value)} ({_short(value)})"


def not_records_problem(path: Path, records: list[JsonRecord]) -> ImportProblem | None:
    """The error for a file whose records are no JSON objects at all (42, ["a", "b"])."""
    if any(isinstance(r.value, dict) and r.value for r in records):
        return None
    if len(records) == 1 and records[0].locator == "document":
        what = describe(records[0].value)
    elif all(r.locator.startswith("item ") for r in records):
        what = describe([r.value for r in records])
    else:
        what = describe([r.value for r in records]).removeprefix("a list of ") + ", one per line"
    return ImportProblem(f"{path}: the JSON holds {what}, not reply records. {EXPORT_SHAPE}")


# --- wrapped lists ---------------------------------------------------------------


def _list_of_objects(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    head = value[:100]
    return sum(isinstance(v, dict) for v in head) * 2 > len(head)


def wrapped_key(doc: Any) -> str | None:
    """The key of an object that holds the records: the only list of objects, or data/items/…."""
    if not isinstance(doc, Mapping):
        return None
    lists = [k for k, v in doc.items() if isinstance(k, str) and _list_of_objects(v)]
    if len(lists) == 1:
        return lists[0]
    return next((k for k in WRAPPER_KEYS if k in lists), None)


def unwrap(doc: Mapping[str, Any], key: str) -> tuple[list[JsonRecord], dict[str, Any]]:
    """The items of doc[key] as records (locator 'data[3]'), and the object's other keys."""
    items = doc[key]
    records = [
        JsonRecord(record_no=i, locator=f"{key}[{i - 1}]", value=item)
        for i, item in enumerate(items, start=1)
    ]
    return records, {k: v for k, v in doc.items() if k != key}


# --- keys and --map ----------------------------------------------------------------


def lookup(obj: Any, key: str) -> tuple[bool, Any]:
    """(found, value) of key in obj: the exact key, else a dotted path.

    Dotted paths reach into nested objects and lists (comment.body,
    replies.0.text). Each step matches exactly first, then ignoring case and
    surrounding spaces.
    """
    if not isinstance(obj, Mapping):
        return False, None
    if key in obj:
        return True, obj[key]
    cur: Any = obj
    for step in key.split(".") if "." in key else [key]:
        if isinstance(cur, Mapping):
            if step in cur:
                cur = cur[step]
                continue
            folded = step.strip().lower()
            match = next(
                (k for k in cur if isinstance(k, str) and k.strip().lower() == folded), None
            )
            if match is None:
                return False, None
            cur = cur[match]
        elif isinstance(cur, list) and step.isdigit() and int(step) < len(cur):
            cur = cur[int(step)]
        else:
            return False, None
    return True, cur


def record_keys(values: Iterable[Any], limit: int = 1000) -> list[str]:
    """Keys seen in the first records, in order: top-level keys, then nested leaves (comment.body).

    Nested leaves are found at any depth (bounded), shallowest first.
    """
    seen: dict[str, None] = {}
    sample = list(itertools.islice(values, limit))
    for value in sample:
        if isinstance(value, Mapping):
            for k in value:
                seen.setdefault(str(k), None)
    for path in leaf_paths(sample):
        seen.setdefault(path, None)
    return list(seen)


def _shown(keys: list[str], most: int = 40) -> str:
    shown = ", ".join(repr(k) for k in keys[:most]) or "(none)"
    return shown + (f" and {len(keys) - most} more" if len(keys) > most else "")


def check_mapping(path: Path, values: list[Any], mapping: Mapping[str, str]) -> None:
    """Refuse a --map key that no record has (or that only ever holds objects/lists)."""
    for fld, col in mapping.items():
        found = [v for ok, v in (lookup(value, col) for value in values) if ok]
        if not found:
            raise ImportProblem(
                f"{path}: --map {fld}={col}: there is no key {col!r} in the records. "
                f"The keys are: {_shown(record_keys(values))}."
            )
        if all(isinstance(v, dict | list) for v in found):
            inner = next((v for v in found if isinstance(v, dict) and v), None)
            hint = f", e.g. --map {fld}={col}.{next(iter(inner))}" if inner else ""
            raise ImportProblem(
                f"{path}: --map {fld}={col}: {col!r} holds "
                f"{'an object' if isinstance(found[0], dict) else 'a list'}, not a value; "
                f"name a key inside it{hint}."
            )


def no_text_problem(path: Path, values: list[Any]) -> ImportProblem:
    """The error for generic records in which no key holds the reply text.

    The --map example is the leaf whose values read like prose (words, letters),
    never an id or a URL; when none does, the example names no key.
    """
    keys = record_keys(values)
    prose = prose_path(values)
    if prose is None:
        hint = "e.g. --map text=KEY (no key holds sentences in the first records)"
    else:
        example = prose[1] if len(prose[1]) <= 40 else prose[1][:37] + "..."
        hint = f"e.g. --map text={prose[0]!r} (it holds {example!r})"
    return ImportProblem(
        f"{path}: no key with the reply text was found in the records. The keys are: "
        f"{_shown(keys)}. Say which one holds the text, {hint}."
    )


# --- rejected replies inside a record ------------------------------------------------


def no_text_reject(record_no: int, record_locator: str, payload: str, sub: SubRecord) -> Reject:
    """A reject row for a reply without text: its own place, what it holds, its own JSON."""
    if not sub.path:
        locator, raw = record_locator, payload
    else:
        locator = sub.path if record_locator == "document" else f"{record_locator}, {sub.path}"
        raw = json.dumps(sub.value, ensure_ascii=False)
    reason = f"no text: {sub.media}-only reply" if sub.media else "no text: the reply text is empty"
    return Reject(record_no, locator, reason, raw)
