"""Rows above a spreadsheet's header (the preamble): facts an export writes before its table.

ExportComments writes a title, the post's "Source URL" and the "Timezone" of
its dates above the header; TikTokCommentScraper a "Post URL". Every table
import reads them the same way: rows of two cells are facts (first cell, in
lower case, -> second cell), handed to the formats as ParseContext.meta; the
post URL becomes the thread when --thread is not given, and a time zone the
zone of dates without an offset. The rows are kept verbatim in raw_records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from collectors.formats.base import norm_header
from collectors.rows.dates import source_zone


@dataclass
class Preamble:
    """The rows above a table's header and the facts they state."""

    meta: dict[str, Any]  # first cell (normalised) -> second cell, for rows with both
    rows: list[tuple[int, list[str]]]  # (row number, cells) of every non-blank row

    @property
    def thread(self) -> str | None:
        """The post URL the preamble names (ExportComments "Source URL", TikTok "Post URL")."""
        return str(self.meta.get("source url") or self.meta.get("post url") or "") or None

    def timezone(self) -> tuple[str | None, str | None]:
        """The zone the dates are in (None: UTC), and a note for the summary."""
        zone, note = preamble_timezone(self.meta.get("timezone"))
        try:
            source_zone(zone)
        except ValueError:
            zone = None
            note = (
                "the preamble names the time zone "
                f"{str(self.meta.get('timezone'))[:40]!r}, which is not known; "
                "dates were read as UTC"
            )
        return zone, note


def read_preamble(cells: list[list[str | None]], header_row: int) -> Preamble:
    """The preamble of a table whose header is at index `header_row` of its first rows."""
    above = cells[:header_row]
    meta = {
        norm_header(row[0]): row[1]
        for row in above
        if len(row) >= 2 and row[0] not in (None, "") and row[1] not in (None, "")
    }
    rows = [(i + 1, [c or "" for c in row]) for i, row in enumerate(above) if any(row)]
    return Preamble(meta=meta, rows=rows)


_UTC_NAMES = {"utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt", "universal"}
_OFFSET = re.compile(r"^(?:\(?\s*(?:utc|gmt)\s*)?([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*\)?$", re.I)
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+")


def preamble_timezone(value: object) -> tuple[str | None, str | None]:
    """The time zone a preamble names (ExportComments' "Timezone" row), and a note for the summary.

    Gives an IANA name ("Europe/Berlin", "UTC", or "Etc/GMT-2" for "UTC+2")
    and None when the value is not a zone replyscope can use; the note then
    says dates were read as UTC.
    """
    from zoneinfo import ZoneInfo

    text = str(value or "").strip()
    if not text:
        return None, None
    if len(text) > 64:
        # No zone name is this long; the cell holds something else (and the
        # patterns below must not run on a huge untrusted cell).
        return (
            None,
            "the preamble's Timezone cell does not name a time zone; dates were read as UTC",
        )
    if text.lower() in _UTC_NAMES:
        return "UTC", None
    m = _OFFSET.match(text)
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if hours == minutes == 0:
            return "UTC", None
        if minutes == 0 and hours <= 14:
            # POSIX-style Etc names have the sign the other way round: UTC+2 is Etc/GMT-2.
            zone = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
            return (
                zone,
                f"dates were read in the preamble's time zone {text} ({zone}) and stored as UTC",
            )
    for candidate in [text, *_ZONE_NAME.findall(text)]:
        try:
            ZoneInfo(candidate)
        except Exception:  # unknown or malformed key
            continue
        return (
            candidate,
            f"dates were read in the preamble's time zone {candidate} and stored as UTC",
        )
    return (
        None,
        f"the preamble names the time zone {text!r}, which is not known; dates were read as UTC",
    )
