"""Raw rows as polars frames and temp tables: build, register, drop; normalise small batches.

The normaliser (collectors.rows.normalise) works on DuckDB tables; these helpers
bring Python-parsed rows (JSON records, live pages) to it, and give tests and
small batches its results as polars frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from collectors.model import RAW_FIELDS
from collectors.rows.normalise import (
    REJECTS_T,
    REPLIES_T,
    ROOTS_T,
    BatchOptions,
    normalise_into,
)


@dataclass
class NormalisedBatch:
    """The same result as polars frames (for tests and small batches)."""

    replies: pl.DataFrame
    roots: pl.DataFrame
    rejects: pl.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)  # as runs.summary stores them


def raw_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build the all-string raw frame from RawReply dicts (+ _record_no/_locator)."""
    cols: dict[str, list[Any]] = {name: [] for name in (*RAW_FIELDS, "_record_no", "_locator")}
    for row in rows:
        for name in RAW_FIELDS:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                value = _to_str(value)
            cols[name].append(value)
        cols["_record_no"].append(row.get("_record_no"))
        cols["_locator"].append(row.get("_locator"))
    schema = {name: pl.String for name in (*RAW_FIELDS, "_locator")} | {"_record_no": pl.Int64}
    return pl.DataFrame(cols, schema=schema)


# Above 2**53 a float no longer holds every integer: 1.765000000000000001e18
# and ...002e18 are the same float, printed "1765000000000000000".
_EXACT_FLOAT_LIMIT = 2**53


def _to_str(value: Any) -> str:
    """A JSON value as raw text; a float never becomes an exact-looking integer it is not.

    Integral floats below 2**53 are exact ("12.0" -> "12"); larger ones are
    rounded already and are written in scientific form ("1.765e+18"), which
    the normaliser refuses as an id (the row gets a derived id) instead of
    storing a rounded id that could merge distinct replies.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        if abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        return format(value, ".15g")
    return str(value)


def register_raw(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, name: str = "_raw") -> str:
    """Copy a polars raw frame into a temp table (ids and text stay exact strings)."""
    con.register("_raw_frame", frame.to_arrow())
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _raw_frame')
    finally:
        con.unregister("_raw_frame")
    return name


def normalise_batch(raw: pl.DataFrame, opts: BatchOptions) -> NormalisedBatch:
    """normalise_into on a private in-memory DuckDB; results as polars frames."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if raw.height == 0:
            raw = raw_frame([])
        result = normalise_into(con, register_raw(con, raw), opts)

        def frame(table: str) -> pl.DataFrame:
            return pl.from_arrow(con.sql(f"SELECT * FROM {table}").to_arrow_table())  # type: ignore[return-value]

        return NormalisedBatch(
            replies=frame(REPLIES_T),
            roots=frame(ROOTS_T),
            rejects=frame(REJECTS_T).rename({"record_no": "_record_no", "locator": "_locator"}),
            notes=result.notes.summary(),
        )
    finally:
        con.close()


def drop_temp(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop temp tables or views by name, whichever each one is."""
    for name in names:
        rows = con.execute(
            "SELECT table_type FROM information_schema.tables"
            " WHERE table_catalog = 'temp' AND table_name = ?",
            [name],
        ).fetchall()
        for (kind,) in rows:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS temp.{name}")
