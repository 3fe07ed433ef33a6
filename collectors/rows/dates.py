"""Dates for the normaliser: the SQL that reads many date shapes into UTC, and source time zones.

Dates arrive as text in dozens of shapes (ISO with or without an offset,
slash dates day- or month-first, month names, epoch numbers, Excel serials).
`date_sql` builds one guarded SQL expression for the shapes a batch actually
has; `epoch_macro` reads numbers; `source_zone` checks a file's stated zone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import duckdb

# Date formats (DuckDB strptime) grouped by the value shape that may use them:
# strptime's %Y happily reads "25" as year 25, so each group has a guard.
_GROUPS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # name: (guard regex, day-first formats, month-first formats)
    "dmy4": (
        r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(\D|$)",
        (
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %I:%M:%S %p",
            "%d/%m/%Y %I:%M %p",
            "%d/%m/%Y %H:%M",
            "%d/%m/%Y",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y",
            "%d-%m-%Y %H:%M:%S",
            "%d-%m-%Y %H:%M",
            "%d-%m-%Y",
        ),
        (
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %H:%M",
            "%m/%d/%Y",
            "%m-%d-%Y %H:%M:%S",
            "%m-%d-%Y",
        ),
    ),
    "dmy2": (
        r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(\D|$)",
        (
            "%d/%m/%y %H:%M:%S",
            "%d/%m/%y %I:%M:%S %p",
            "%d/%m/%y %H:%M",
            "%d/%m/%y",
            "%d.%m.%y %H:%M:%S",
            "%d.%m.%y %H:%M",
            "%d.%m.%y",
            "%d-%m-%y",
        ),
        ("%m/%d/%y %H:%M:%S", "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %H:%M", "%m/%d/%y"),
    ),
    "ymd_slash": (
        r"^\d{4}/\d{1,2}/\d{1,2}",
        ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"),
        (),
    ),
    "words": (
        r"^[A-Za-z]{3}",
        (
            "%a %b %d %H:%M:%S %z %Y",
            "%a, %d %b %Y %H:%M:%S %z",
            "%b %d, %Y %H:%M:%S",
            "%b %d, %Y",
            "%B %d, %Y",
            "%d %b %Y",
        ),
        (),
    ),
    # "5 March 2024", "05 Mar 2024 14:03" (%B is only the full name, %b only the short one)
    "day_month": (
        r"^\d{1,2}\s+[A-Za-z]{3}",
        (
            "%d %B %Y %H:%M:%S",
            "%d %B %Y %H:%M",
            "%d %B %Y",
            "%d %b %Y %H:%M:%S",
            "%d %b %Y %H:%M",
            "%d %b %Y",
        ),
        (),
    ),
}

# ISO dates with a 12-hour clock ("2024-03-05 2:03 PM").
_ISO_12H = ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p", "%Y-%m-%dT%I:%M:%S %p")
# An offset, Z or zone name after an ISO time: the cell says its own zone.
_ISO_OFFSET = r":\d{2}([.,]\d+)?\s*([zZ]|[+-]\d{2}(:?\d{2})?|[A-Za-z][A-Za-z_/+-]*)$"


def _local(timestamp_sql: str, zone: str | None) -> str:
    """A TIMESTAMP (wall clock, no zone) read as local time in `zone` (None: UTC)."""
    if zone is None:
        return f"CAST({timestamp_sql} AS TIMESTAMPTZ)"  # the session time zone is UTC
    return f"timezone('{zone}', {timestamp_sql})"


# A number read as a date must land in 1990..2100: 0, 12 or 123456 are not
# dates in 1970. The bounds of each reading, in its own unit:
_FIRST, _END = 631_152_000, 4_133_980_800  # 1990-01-01, 2101-01-01 in epoch seconds
_EXCEL_FIRST, _EXCEL_END = 32_874, 73_416  # the same days as Excel serials (1899-12-30 = 0)


def epoch_macro(zone: str | None) -> str:
    """rs_epoch(v): epoch s / ms / µs / ns, Excel serial days or YYYYMMDD, as TIMESTAMPTZ.

    Epoch numbers are instants; Excel serials and YYYYMMDD are wall-clock dates,
    read in the source's zone.
    """
    excel = _local("make_timestamp(CAST(round((v - 25569) * 86400e6) AS BIGINT))", zone)
    ymd = _local("try_strptime(CAST(CAST(v AS BIGINT) AS VARCHAR), '%Y%m%d')", zone)
    return f"""CREATE OR REPLACE TEMP MACRO rs_epoch(v) AS
        CASE WHEN v >= {_EXCEL_FIRST} AND v < {_EXCEL_END} THEN {excel}
             WHEN v >= 19900101 AND v <= 21001231 THEN CASE WHEN v = floor(v) THEN {ymd} END
             WHEN v >= {_FIRST} AND v < {_END} THEN to_timestamp(v)
             WHEN v >= {_FIRST}e3 AND v < {_END}e3 THEN to_timestamp(v / 1e3)
             WHEN v >= {_FIRST}e6 AND v < {_END}e6 THEN to_timestamp(v / 1e6)
             WHEN v >= {_FIRST}e9 AND v < {_END}e9 THEN to_timestamp(v / 1e9) END"""


# Source time zones that are UTC: nothing to convert.
_UTC_ZONES = frozenset(
    "UTC ETC/UTC GMT ETC/GMT GMT0 ETC/GMT0 ETC/GMT+0 ETC/GMT-0 Z ZULU ETC/ZULU UCT ETC/UCT"
    " UNIVERSAL ETC/UNIVERSAL GREENWICH ETC/GREENWICH".split()
)


@functools.lru_cache(maxsize=64)
def _zone_known(name: str) -> bool:
    """DuckDB (ICU) does the conversion, so ICU must know the zone."""
    con = duckdb.connect()
    try:
        con.execute("SELECT timezone(?, TIMESTAMP '2000-01-01')", [name])
    except duckdb.Error:
        return False
    finally:
        con.close()
    return True


def source_zone(name: str | None) -> str | None:
    """The zone that dates without an offset are read in; None for UTC.

    Raises ValueError for a name that is not a time zone.
    """
    if name is None or not name.strip() or name.strip().upper() in _UTC_ZONES:
        return None
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+/:-]{0,63}", name) or not _zone_known(name):
        raise ValueError(
            f"unknown time zone {name!r}: "
            "give an IANA name such as Europe/Berlin or America/New_York"
        )
    return name


def _slash_order(sample: list[str]) -> bool | None:
    """True if some a/b/c date has a > 12 (day first), False if b > 12, None if unclear."""
    day_first = month_first = False
    for value in sample:
        m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b", value)
        if m:
            day_first |= int(m.group(1)) > 12
            month_first |= int(m.group(2)) > 12
    return day_first if day_first != month_first else None


def date_sql(
    con: duckdb.DuckDBPyConnection,
    table: str,
    dayfirst: bool | None,
    zone: str | None = None,
) -> tuple[str, bool]:
    """A SQL expression over column `_c` (the date text) that yields TIMESTAMPTZ or NULL.

    Also says whether the dates were ambiguous (03/04/25 with nothing to tell the
    order, and no --dayfirst): they are then read month-first.
    """
    sample = [
        r[0]
        for r in con.execute(
            f"""SELECT DISTINCT c FROM (SELECT trim(created_at) AS c FROM "{table}"
                WHERE created_at IS NOT NULL
                  AND NOT regexp_full_match(trim(created_at), '-?\\d+(\\.\\d+)?')
                LIMIT 20000) LIMIT 2000"""
        ).fetchall()
    ]
    order = dayfirst if dayfirst is not None else _slash_order(sample)
    ambiguous = (
        dayfirst is None
        and order is None
        and any(re.match(r"^\d{1,2}/\d{1,2}/", x) for x in sample)
    )
    parts = [
        "CASE WHEN regexp_matches(_c, '^\\d{4}-\\d{1,2}-\\d{1,2}') "
        f"THEN coalesce({_iso_sql(zone)}) END"
    ]
    for guard, day_formats, month_formats in _GROUPS.values():
        if not any(re.search(guard, s) for s in sample):
            continue
        formats = [*day_formats, *month_formats] if order else [*month_formats, *day_formats]
        # Formats with %z give TIMESTAMPTZ (the cell's own offset); the others
        # give wall-clock TIMESTAMP, local time in the source's zone.
        zoned = [f for f in formats if "%z" in f or "%Z" in f]
        naive = [f for f in formats if f not in zoned]
        reads = [f"CAST(try_strptime(_c, {_sql_list(zoned)}) AS TIMESTAMPTZ)"] if zoned else []
        reads += [_local(f"try_strptime(_c, {_sql_list(naive)})", zone)] if naive else []
        read = reads[0] if len(reads) == 1 else f"coalesce({', '.join(reads)})"
        parts.append(f"CASE WHEN regexp_matches(_c, '{guard}') THEN {read} END")
    return "coalesce(" + ", ".join(parts) + ")", bool(ambiguous)


def _iso_sql(zone: str | None) -> str:
    """The readings of an ISO date (YYYY-MM-DD...), first to last, for coalesce(...)."""
    if zone is None:
        iso = "TRY_CAST(_c AS TIMESTAMPTZ)"
    else:  # an offset, Z or zone name after the time is the cell's own; else local time
        iso = f"""CASE WHEN ends_with(_c, 'Z') OR regexp_matches(_c, '{_ISO_OFFSET}')
                           THEN TRY_CAST(_c AS TIMESTAMPTZ)
                      ELSE {_local("TRY_CAST(_c AS TIMESTAMP)", zone)} END"""
    # Only cells the plain cast refused (coalesce stops at the first value):
    # "... 14:03:00 +0100" (a space before the offset), "... 2:03 PM".
    iso_other = f"""CASE WHEN regexp_matches(_c, '\\d\\s+[+-]\\d{{2}}:?\\d{{2}}$')
                         THEN TRY_CAST(regexp_replace(_c, '\\s+([+-]\\d{{2}}:?\\d{{2}})$', '\\1')
                                       AS TIMESTAMPTZ)
                         WHEN regexp_matches(_c, '(?i)\\d\\s*[ap]m$')
                         THEN {_local(f"try_strptime(_c, {_sql_list(_ISO_12H)})", zone)} END"""
    return f"{iso}, {iso_other}"


def _sql_list(items: Sequence[str]) -> str:
    """Strings as a SQL list literal (the formats are ours, never user text)."""
    return "[" + ", ".join(f"'{item}'" for item in items) + "]"
