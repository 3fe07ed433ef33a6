"""Shared helpers for the harvest tests (tests/test_collect_*.py): a harvest against a fake API
on 127.0.0.1, `replyscope collect --api-base`, a Ctrl-C after some pages, and reads of the store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from click.testing import Result

from collectors.collect import CollectResult, collect, resolve_target
from collectors.http import Event, HttpClient, HttpPolicy
from store import Store
from tests.conftest import run_cli

# What most harvest tests compare: each stored reply's place in the thread, likes and text.
REPLY_COLUMNS = "reply_id, parent_id, depth, thread_id, like_count, text"
# Where a token or key that leaked would be stored.
SECRET_TABLES = ("raw_records", "runs", "collect_state", "replies", "threads")


def harvest(
    db: Path,
    url: str,
    base: str,
    platform: str,
    policy: HttpPolicy,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = lambda s: None,
    on_event: Callable[[Event], None] | None = None,
    archive: bool = False,
    **kw: Any,
) -> CollectResult:
    """Collect `url` into the store at `db` from the fake API at `base` (no real sleeping)."""
    with Store.open(db) as store:
        target = resolve_target(url, api_base=base, archive=archive)
        client = HttpClient(platform, policy=policy, clock=clock, sleep=sleep, on_event=on_event)
        with client:
            return collect(store, target, client=client, **kw)


def collect_cli(db: Path | str, url: str, base: str) -> Result:
    """`replyscope --db DB collect URL --api-base BASE`."""
    return run_cli("--db", str(db), "collect", url, "--api-base", base)


def stop_after(pages: int) -> Callable[[CollectResult], None]:
    """An `on_step` callback that stops the harvest like Ctrl-C once `pages` pages are saved."""

    def step(progress: CollectResult) -> None:
        if progress.pages == pages:
            raise KeyboardInterrupt

    return step


def fetch_all(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """All rows of a query on the store at `db`, opened read-only."""
    with Store.open(db, read_only=True) as store:
        return store.con.execute(sql, params or []).fetchall()


def fetch_one(db: Path, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query on the store at `db`, opened read-only."""
    with Store.open(db, read_only=True) as store:
        return store.con.execute(sql, params or []).fetchone()


def stored_replies(db: Path, columns: str = REPLY_COLUMNS) -> list[tuple[Any, ...]]:
    """These columns of every stored reply, by reply_id."""
    return fetch_all(db, f"SELECT {columns} FROM replies ORDER BY reply_id")


def run_count_and_status(db: Path) -> tuple[Any, ...] | None:
    """(number of runs, the status of one): (1, "ok") after a resumed harvest."""
    return fetch_one(db, "SELECT count(*), any_value(status) FROM runs")


def last_run(db: Path) -> tuple[str, str, int, dict[str, Any]]:
    """(status, message, rows added, summary) of the latest run."""
    row = fetch_one(
        db, "SELECT status, message, rows_added, summary FROM runs ORDER BY run_id DESC LIMIT 1"
    )
    assert row is not None, "no run recorded"
    return str(row[0]), str(row[1] or ""), int(row[2]), json.loads(row[3] or "{}")


def snapshot_counts(db: Path) -> tuple[Any, ...] | None:
    """(metric snapshots, runs that wrote them)."""
    return fetch_one(db, "SELECT count(*), count(DISTINCT run_id) FROM metric_snapshots")


def table_texts(db: Path, tables: Sequence[str] = SECRET_TABLES) -> dict[str, str]:
    """Each table's rows as one string (to look for a leaked secret table by table)."""
    out: dict[str, str] = {}
    for table in tables:
        row = fetch_one(db, f"SELECT string_agg(CAST(t AS VARCHAR), '') FROM {table} t")
        out[table] = (row[0] if row else "") or ""
    return out


def stored_text(db: Path, tables: Sequence[str] | None = None) -> str:
    """Everything these tables (default: all of them) hold, as text (to look for secrets)."""
    with Store.open(db, read_only=True) as store:
        names = tables or [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        return "\n".join(
            repr(store.con.execute(f'SELECT * FROM "{name}"').fetchall()) for name in names
        )
