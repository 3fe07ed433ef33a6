"""The two kinds of import format, and the registry `replyscope formats` lists.

- A RecordFormat reads JSON-shaped files (JSON, NDJSON, tweets.js): a reader
  yields top-level records; `detect` says whether a record is of this format;
  `parse` turns one record into zero or more RawReply rows (nested replies
  give several). Records are what `raw_records` keeps. `locate` (optional)
  says where each reply sits inside a record, so a rejected reply names its
  own place and JSON rather than the whole record.
- A TableFormat reads CSV/XLSX: a reader finds the header row (skipping any
  preamble); `score` rates a header against `required`/`optional`; `columns`
  maps RawReply fields to header names; `derive` (optional) adds fields that
  need several columns; `wide_rows_fix` (optional) is the format's advice for
  rows its CSV splits on unquoted commas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from collectors.model import ParseContext, RawReply

RecordParser = Callable[[Any, ParseContext], list[RawReply]]
RecordDetector = Callable[[Any], bool]
TableDeriver = Callable[[pl.DataFrame, ParseContext], pl.DataFrame]


@dataclass(frozen=True)
class SubRecord:
    """One reply inside a record: where it is, its own JSON, and what it holds instead of text.

    `path` is relative to the record ("thread.replies[3] (at://...)",
    "replies[0]"; "" for the record itself); `media` names what a reply
    without text carries ("image", "GIF", "sticker/GIF"), when the format knows.
    """

    path: str
    value: Any
    media: str | None = None


class RecordRejected(Exception):
    """Raised by a parser for a record it recognises but cannot use.

    The message is the reject reason: the importer stores the record in
    `rejects` with it (worded for a person: what the record is and why it
    holds no reply) and goes on.
    """


# Record -> {reply_id: SubRecord}: lets a rejected reply name its own place
# and JSON instead of the whole record (a Bluesky thread file is one record).
RecordLocator = Callable[[Any], dict[str, SubRecord]]


def norm_header(name: object) -> str:
    """Header names compared case-, space- and BOM-insensitively."""
    return str(name or "").replace("\ufeff", "").strip().lower()


@dataclass(frozen=True)
class RecordFormat:
    """A JSON-shaped export: how to recognise one record and parse it."""

    name: str
    description: str
    platform: str | None
    detect: RecordDetector
    parse: RecordParser
    # Higher wins when several formats accept the same record.
    priority: int = 0
    # Optional: where each reply of a record is (see SubRecord).
    locate: RecordLocator | None = None


@dataclass(frozen=True)
class TableFormat:
    """A spreadsheet-shaped export: header signature and column mapping."""

    name: str
    description: str
    platform: str | None
    # Every one of these (normalised) header names must be present.
    required: frozenset[str]
    # RawReply field -> header name (normalised) to take it from.
    columns: dict[str, str]
    # Extra derivation over the raw string columns, after `columns` mapping;
    # receives the mapped frame plus every source column (prefixed "src:").
    derive: TableDeriver | None = None
    dayfirst: bool = False
    priority: int = 0
    # Headers that, when present, make a match stronger (tie-breaks).
    optional: frozenset[str] = field(default_factory=frozenset)
    # What to tell the person about CSV rows with more cells than the header
    # that cannot be re-joined safely (None: re-export with quoted fields).
    wide_rows_fix: str | None = None

    def score(self, headers: Sequence[str]) -> int:
        """0 when the header does not fit; otherwise higher is a better fit."""
        have = {norm_header(h) for h in headers}
        if not self.required <= have:
            return 0
        return 100 + 10 * self.priority + len(self.required) + len(self.optional & have)
