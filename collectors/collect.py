"""Live collection: harvest every reply to a post, resumably.

Each platform module (collectors/platforms/) has a generator
`fetch_thread(client, target, state, ctx)` that yields one `Step` per response
page: the page (kept in raw_records), the reply rows parsed from it, and the
cursor state after it. This module saves each step in its own transaction
— page, replies and cursor together — so a run killed at any moment keeps
everything it received, and running the same command again resumes from the
saved cursor instead of starting over.

Every run ends by itself: each request has an overall deadline and a
bounded number of attempts (`HttpPolicy`), and the client carries the run's
`RequestLedger`, rebuilt from the stored pages on resume, so nothing is asked
for twice; a server that repeats itself ends the run as interrupted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from collectors.errors import ImportProblem
from collectors.http import (
    Event,
    FetchError,
    HttpClient,
    HttpPolicy,
    RequestLedger,
    ServerRepeated,
)
from collectors.model import ParseContext
from collectors.platforms import COLLECTABLE, platform_module
from collectors.platforms.base import Harvester, Step, Target
from collectors.rows.normalise import REJECTS_T, REPLIES_T, ROOTS_T, BatchOptions, normalise_into
from collectors.rows.rawframes import drop_temp, raw_frame, register_raw
from collectors.rows.sink import MergeCounts, fill_depths_from_store, save_batch, save_raw_records
from collectors.urls import parse_post_url
from store import RunCounts, Store, fetch_one, finish_run, now_utc, start_run

__all__ = [
    "CollectResult",
    "ServerRepeated",
    "Target",
    "client_for",
    "collect",
    "resolve_target",
]


@dataclass
class CollectResult:
    """What a harvest did, for the summary."""

    run_id: int
    target: Target
    resumed: bool
    pages: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    requests: int = 0
    waited: float = 0.0
    notes: dict[str, int] = field(default_factory=dict)
    finished: bool = False
    message: str = ""
    _state: dict[str, Any] = field(default_factory=dict, repr=False)  # where a resumed run was


def resolve_target(url: str, *, api_base: str | None = None, archive: bool = False) -> Target:
    """Which platform and post a pasted URL means; a clear error when none."""
    parsed = parse_post_url(url)
    if parsed is None or parsed[0] not in COLLECTABLE:
        raise ImportProblem(
            f"{url}: not a post URL replyscope can collect. Use a link to the post itself, e.g. "
            "https://bsky.app/profile/NAME/post/ID, https://mastodon.social/@NAME/ID, "
            "https://www.reddit.com/r/SUB/comments/ID/..., https://x.com/NAME/status/ID or "
            "https://www.youtube.com/watch?v=ID."
        )
    platform, native = parsed
    return Target(
        platform=platform,
        native_id=native,
        url=url.strip(),
        api_base=api_base.rstrip("/") if api_base else None,
        archive=archive,
    )


def harvester_for(platform: str) -> Harvester:
    """The fetch_thread generator of a platform module."""
    harvest: Harvester = platform_module(platform).fetch_thread
    return harvest


def client_for(
    target: Target,
    *,
    on_event: Callable[[Event], None] | None = None,
    deadline: float | None = None,
    attempts: int | None = None,
    **kw: Any,
) -> HttpClient:
    """An HttpClient with the platform's pacing (credentials are added by the harvester).

    `deadline` (seconds for one request, connect to last byte) and `attempts`
    (tries per request) override the defaults of `HttpPolicy`.
    """
    policy: HttpPolicy = platform_module(target.platform).http_policy(os.environ)
    if deadline is not None:
        policy = replace(policy, deadline=deadline, timeout=min(policy.timeout, deadline))
    if attempts is not None:
        policy = replace(policy, max_attempts=attempts)
    return HttpClient(target.platform, policy=policy, on_event=on_event, **kw)


def _unfinished(store: Store, target: Target) -> tuple[int, dict[str, Any], int] | None:
    row = fetch_one(
        store.con,
        """SELECT s.run_id, s.state, s.pages FROM collect_state s JOIN runs r USING (run_id)
           WHERE s.thread_id = ? AND r.status IN ('running', 'interrupted')
           ORDER BY s.run_id DESC LIMIT 1""",
        [target.thread_id],
    )
    if row is None:
        return None
    return int(row[0]), json.loads(row[1]) if row[1] else {}, int(row[2])


def _open_run(store: Store, target: Target, limit: int | None) -> CollectResult:
    """Resume the unfinished run of this post (its state in `_state`), or start one."""
    previous = _unfinished(store, target)
    if previous:
        run_id, state, pages = previous
        store.con.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", [run_id])
        return CollectResult(run_id, target, resumed=True, pages=pages, _state=state)
    run_id = start_run(
        store,
        "collect",
        parameters={
            "url": target.url,
            "limit": limit,
            "api_base": target.api_base,
            "archive": target.archive,
        },
        input_url=target.url,
        fmt=f"{target.platform}-api",
        platform=target.platform,
    )
    store.con.execute(
        "INSERT INTO collect_state (run_id, thread_id, platform, url, state, pages, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 0, ?)",
        [run_id, target.thread_id, target.platform, target.url, json.dumps({}), now_utc()],
    )
    return CollectResult(run_id, target, resumed=False)


def _ledger(store: Store, run_id: int, platform: str) -> RequestLedger:
    """What the run has fetched so far, from its stored pages (empty for a new run)."""
    keys_of = getattr(platform_module(platform), "request_keys", None)
    ledger = RequestLedger(keys_of=keys_of) if keys_of else RequestLedger()
    pages = store.con.execute(
        "SELECT locator, sha256(payload) FROM raw_records WHERE run_id = ? ORDER BY record_no",
        [run_id],
    ).fetchall()
    for url, digest in pages:
        ledger.remember(str(url), str(digest))
    return ledger


def repeat_message(platform: str, ledger: RequestLedger) -> str:
    """What to tell the person when the server repeated itself during a run."""
    n = ledger.repeat_count
    times = "once" if n == 1 else f"{n} times"
    return (
        f"{platform}: the server repeated itself {times} ({'; '.join(ledger.repeats)}). "
        "Nothing was asked for twice: everything else it sent is stored, and the run is "
        "marked interrupted. Running the same command again will not get more from this server."
    )


def collect(
    store: Store,
    target: Target,
    *,
    client: HttpClient,
    limit: int | None = None,
    on_step: Callable[[CollectResult], None] | None = None,
) -> CollectResult:
    """Harvest the replies of target into the store, resuming an unfinished run of it.

    Ends by itself however the server answers: when it repeats itself (see
    `collectors.platforms.base`) the run is marked interrupted and
    `ServerRepeated` says so, after everything else was fetched and stored.
    """
    # Missing credentials are said before a run exists, not as an empty interrupted run.
    checker = getattr(platform_module(target.platform), "check_credentials", None)
    if checker is not None:
        checker(os.environ)
    result = _open_run(store, target, limit)
    ctx = ParseContext(platform=target.platform, thread=target.native_id, source=target.url)
    client.ledger = ledger = _ledger(store, result.run_id, target.platform)
    try:
        _harvest(store, target, client, ctx, result, limit, on_step)
    except (FetchError, KeyboardInterrupt) as err:
        result.message = str(err) or type(err).__name__
        _finish(store, result, status="interrupted", ctx=ctx)
        raise
    except Exception as err:  # a parser or store bug: keep what was saved, say so
        result.message = f"{type(err).__name__}: {err}"
        _finish(store, result, status="interrupted", ctx=ctx)
        raise
    finally:
        client.ledger = None
    if ledger.repeat_count:
        result.finished = False
        result.message = repeat_message(target.platform, ledger)
        _finish(store, result, status="interrupted", ctx=ctx)
        raise ServerRepeated(result.message)
    _finish(store, result, status="ok", ctx=ctx)
    return result


def _harvest(
    store: Store,
    target: Target,
    client: HttpClient,
    ctx: ParseContext,
    result: CollectResult,
    limit: int | None,
    on_step: Callable[[CollectResult], None] | None,
) -> None:
    """Run the platform's fetcher, saving each step, until it ends or --limit is reached."""
    for step in harvester_for(target.platform)(client, target, result._state, ctx):
        _save_step(store, result.run_id, target, step, result)
        result.requests, result.waited = client.requests, client.waited
        if on_step:
            on_step(result)
        if limit is not None and result.added + result.updated + result.unchanged >= limit:
            result.message = f"stopped at --limit {limit}"
            break
    result.finished = True


def _finish(store: Store, result: CollectResult, *, status: str, ctx: ParseContext) -> None:
    threads = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT thread_id FROM replies"
            " WHERE source_run_id = ? AND thread_id IS NOT NULL",
            [result.run_id],
        ).fetchall()
    ]
    fill_depths_from_store(store, threads)
    for key, n in ctx.notes.items():
        result.notes[key] = result.notes.get(key, 0) + n
    ctx.notes.clear()
    totals = fetch_one(
        store.con,
        "SELECT rows_added, rows_updated, rows_unchanged, rows_rejected FROM runs WHERE run_id = ?",
        [result.run_id],
    )
    added, updated, unchanged, rejected = (int(v or 0) for v in (totals or (0, 0, 0, 0)))
    counts = RunCounts(
        rows_in=added + updated + unchanged + rejected,
        rows_added=added,
        rows_updated=updated,
        rows_unchanged=unchanged,
        rows_rejected=rejected,
        summary={
            "pages": result.pages,
            "requests": result.requests,
            "waited_seconds": round(result.waited, 1),
            **result.notes,
        },
    )
    finish_run(store, result.run_id, counts, status=status, message=result.message or None)


def _save_step(
    store: Store, run_id: int, target: Target, step: Step, result: CollectResult
) -> None:
    """Page, replies and cursor in one transaction: a kill never splits them."""
    con = store.con
    with store.transaction():
        result.pages += 1
        save_raw_records(
            store,
            run_id,
            [(result.pages, step.page.url, step.page.text)],
            source=step.page.url,
            retrieved_at=step.page.retrieved_at,
        )
        merged, rejected = MergeCounts(), 0
        if step.rows:
            merged, rejected = _save_rows(store, run_id, target, step, result.pages)
        result.added += merged.added
        result.updated += merged.updated
        result.unchanged += merged.unchanged
        con.execute(
            """UPDATE runs SET rows_added = rows_added + ?, rows_updated = rows_updated + ?,
                   rows_unchanged = rows_unchanged + ?, rows_rejected = rows_rejected + ?
               WHERE run_id = ?""",
            [merged.added, merged.updated, merged.unchanged, rejected, run_id],
        )
        con.execute(
            "UPDATE collect_state SET state = ?, pages = ?, updated_at = ? WHERE run_id = ?",
            [json.dumps(step.state), result.pages, now_utc(), run_id],
        )


def _save_rows(
    store: Store, run_id: int, target: Target, step: Step, page_no: int
) -> tuple[MergeCounts, int]:
    """Normalise a page's rows and merge them into the store; (merge counts, rows rejected)."""
    con = store.con
    rows = [{**r, "_record_no": page_no, "_locator": f"page {page_no}"} for r in step.rows]
    register_raw(con, raw_frame(rows))
    normalised = normalise_into(
        con,
        "_raw",
        BatchOptions(platform=target.platform, thread=target.native_id, keep_roots=True),
    )
    merged = save_batch(store, run_id, seen_at=step.page.retrieved_at)
    rejected = normalised.rejects
    if rejected:
        con.execute(
            f"""INSERT INTO rejects (run_id, record_no, locator, source, reason, raw)
                SELECT ?, record_no, locator, ?, reason, NULL FROM {REJECTS_T}""",
            [run_id, step.page.url],
        )
    drop_temp(con, REPLIES_T, ROOTS_T, REJECTS_T, "_raw")
    return merged, rejected
