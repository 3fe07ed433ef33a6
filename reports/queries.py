"""Small query helpers shared by the report's modules."""

from __future__ import annotations

from typing import Any

from store import Store, fetch_one


def query_rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Query results as dicts keyed by column name."""
    cur = store.con.execute(sql, params or [])
    names = [d[0] for d in cur.description] if cur.description else []
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def has_any_rows(store: Store, table: str) -> bool:
    """Whether `table` holds any row."""
    return bool((fetch_one(store.con, f"SELECT count(*) FROM {table}") or (0,))[0])
