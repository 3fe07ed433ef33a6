"""Read JSON-shaped files into top-level records, each with its own text as read.

A file is a JSON array (each item a record), NDJSON (each line a record),
tweets.js (`window.YTD… = [...]`) or one object (the record "document").
Every record keeps its original text (`raw`), which is what raw_records
stores: not a re-serialisation. Items of an array are parsed one at a time,
so each one's span in the file is known.

Limits: a record nesting deeper than MAX_DEPTH levels is rejected (a file too
deep for the parser to finish is refused in one line); a key given twice in
one object keeps its last value, as JSON readers do, and the record says so
(`duplicate_keys`), for a note in the summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.errors import ImportProblem

MAX_DEPTH = 200  # no export nests anywhere near this; deeper records are rejected
_WS = re.compile(r"[ \t\n\r]*")
_JS_PREFIX = re.compile(r"^\s*window\.YTD\.[\w.]+\s*=\s*")


@dataclass
class JsonRecord:
    """One top-level record of a JSON-shaped file."""

    record_no: int
    locator: str
    value: Any
    raw: str | None = None  # the record's own text, as read
    duplicate_keys: tuple[str, ...] = ()  # keys given twice in one of its objects


@dataclass
class JsonProblem:
    """A record that could not be parsed (an NDJSON line), kept for `rejects`."""

    record_no: int
    locator: str
    reason: str
    raw: str


class TooDeep(Exception):
    """The parser gave up: the JSON nests deeper than Python can follow."""


class _Decoder:
    """A JSON decoder that notes keys given twice (the last value is kept, as usual)."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []
        self.decoder = json.JSONDecoder(object_pairs_hook=self._pairs)

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return obj

    def decode(self, text: str, start: int = 0) -> tuple[Any, int, tuple[str, ...]]:
        """(value, end, keys given twice) of the JSON value starting at `start`."""
        self.duplicates = []
        try:
            value, end = self.decoder.raw_decode(text, start)
        except RecursionError as err:
            raise TooDeep() from err
        return value, end, tuple(dict.fromkeys(self.duplicates))


def too_deep(value: Any, raw: str | None, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed value nests more than `limit` objects/lists (iteratively, no recursion)."""
    if raw is not None and raw.count("{") + raw.count("[") <= limit:
        return False  # cannot nest deeper than it has brackets
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _deep_reason(what: str) -> str:
    return (
        f"{what} nests more than {MAX_DEPTH} levels deep; no reply export does "
        "(a broken or hostile file)"
    )


def _record(
    record_no: int, locator: str, value: Any, raw: str, dups: tuple[str, ...]
) -> JsonRecord | JsonProblem:
    if isinstance(value, dict | list) and too_deep(value, raw):
        return JsonProblem(record_no, locator, _deep_reason("the record"), raw[:10_000])
    return JsonRecord(record_no, locator, value, raw, dups)


def array_items(
    text: str, start: int, decoder: _Decoder | None = None
) -> tuple[list[tuple[Any, str, tuple[str, ...]]], int]:
    """(value, own text, keys given twice) of each item of the array at `start`, and its end.

    Items are parsed one at a time, so each one's text is its span in `text`.
    Raises json.JSONDecodeError (positions in `text`) where the array is broken.
    """
    decoder = decoder or _Decoder()
    items: list[tuple[Any, str, tuple[str, ...]]] = []
    i = _skip(text, start + 1)
    if text.startswith("]", i):
        return items, i + 1
    while True:
        value, end, dups = decoder.decode(text, i)
        items.append((value, text[i:end], dups))
        i = _skip(text, end)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif text.startswith("]", i):
            return items, i + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)


def _skip(text: str, i: int) -> int:
    """The position of the first non-whitespace character at or after i."""
    m = _WS.match(text, i)
    return m.end() if m else i


def member_items(text: str, key: str) -> list[tuple[str, tuple[str, ...]]] | None:
    """(own text, keys given twice) of each item of the list under `key` of the object in `text`.

    For records unwrapped from `{"data": [...]}`: their text as read. None if
    `text` is not such an object (the caller then keeps what it has).
    """
    decoder = _Decoder()
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return None
    found: list[tuple[str, tuple[str, ...]]] | None = None
    i = _skip(text, i + 1)
    while text.startswith('"', i):
        name, i, _ = decoder.decode(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            return None
        i = _skip(text, i + 1)
        if name == key and text.startswith("[", i):
            items, i = array_items(text, i, decoder)
            found = [(raw, dups) for _, raw, dups in items]  # a later same key wins, as in JSON
        else:
            i = decoder.decode(text, i)[1]
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
    return found


def _whole(body: str) -> tuple[list[JsonRecord | JsonProblem], int]:
    """The records of a file that is one JSON value, and where that value ends."""
    decoder = _Decoder()
    start = _skip(body, 0)
    if body.startswith("[", start):
        items, end = array_items(body, start, decoder)
        records = [
            _record(n, f"item {n}", value, raw, dups)
            for n, (value, raw, dups) in enumerate(items, start=1)
        ]
        return records, end
    value, end, dups = decoder.decode(body, start)
    return [_record(1, "document", value, body[start:end], dups)], end


def read_json_records(path: Path, text: str) -> Iterator[JsonRecord | JsonProblem]:
    """Yield top-level records: array elements, NDJSON lines, or the one object."""
    body = text.lstrip("\ufeff")
    m = _JS_PREFIX.match(body)
    if m:
        body = body[m.end() :]
    try:
        records, end = _whole(body)
        if body[end:].strip():
            raise json.JSONDecodeError("Extra data", body, _skip(body, end))
    except json.JSONDecodeError as err:
        # NDJSON: the first line parses and more data follows ("Extra data"),
        # or the first line is the broken one and the later lines are records.
        if err.msg.startswith("Extra data") or later_lines_are_records(body):
            yield from _read_ndjson(body)
            return
        raise ImportProblem(
            f"{path}: the JSON is broken at line {err.lineno}, column {err.colno} ({err.msg}); "
            "the file may be truncated. Export or download it again."
        ) from err
    except TooDeep as err:
        if later_lines_are_records(body):
            yield from _read_ndjson(body)  # one deep line: rejected, the others read
            return
        raise ImportProblem(
            f"{path}: the JSON nests far more than {MAX_DEPTH} levels deep, which no reply "
            "export does; check you picked the right file, or export it again."
        ) from err
    yield from records


def later_lines_are_records(body: str, sample: int = 200) -> bool:
    """True when most non-blank lines after the first parse as JSON objects/arrays (NDJSON)."""
    lines = [line for line in body.splitlines()[1:] if line.strip()][:sample]
    if not lines:
        return False
    good = 0
    for line in lines:
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        good += isinstance(value, dict | list)
    return good * 2 > len(lines)


def _read_ndjson(body: str) -> Iterator[JsonRecord | JsonProblem]:
    decoder = _Decoder()
    for lineno, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {lineno}"
        try:
            value, end, dups = decoder.decode(line, _skip(line, 0))
            if line[end:].strip():
                raise json.JSONDecodeError("Extra data", line, _skip(line, end))
        except json.JSONDecodeError as err:
            reason = f"invalid JSON ({err.msg}, column {err.colno}): the line is broken or cut off"
            yield JsonProblem(lineno, where, reason, line[:10_000])
            continue
        except TooDeep:
            yield JsonProblem(lineno, where, _deep_reason("the line"), line[:10_000])
            continue
        yield _record(lineno, where, value, line, dups)
