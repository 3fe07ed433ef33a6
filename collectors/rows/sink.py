"""Write normalised batches into the store: merge replies, snapshots, threads.

Replies merge on (platform, reply_id): a reply seen again updates its counts
and last_seen_at and never becomes a second row; changed counts are kept in
metric_snapshots so likes can be followed across re-harvests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from collectors.rows.normalise import REJECTS_T, REPLIES_T, ROOTS_T
from store import Store, fetch_one, tool_version

REPLY_COLUMNS = (
    "platform",
    "reply_id",
    "thread_id",
    "parent_id",
    "parent_author",
    "depth",
    "author_id",
    "author_handle",
    "author_name",
    "text",
    "created_at",
    "like_count",
    "reply_count",
    "repost_count",
    "quote_count",
    "lang",
    "url",
)


@dataclass(frozen=True)
class Reject:
    """A row or record found unusable while reading a file, for the `rejects` table."""

    record_no: int
    locator: str  # where it is, for a person: "row 7", "line 12", "data[3]"
    reason: str
    raw: str  # the row or record as the file had it


@dataclass
class MergeCounts:
    """How a batch landed: new rows, rows whose values changed, rows seen unchanged."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


def save_raw_records(
    store: Store,
    run_id: int,
    records: Iterable[tuple[int, str, str]],
    *,
    source: str,
    retrieved_at: datetime,
) -> int:
    """Keep every raw record/row (record_no, locator, payload) of a run."""
    frame = pl.DataFrame(
        list(records),
        schema={"record_no": pl.Int64, "locator": pl.String, "payload": pl.String},
        orient="row",
    )
    return save_raw_frame(store, run_id, frame, source=source, retrieved_at=retrieved_at)


def save_raw_frame(
    store: Store, run_id: int, frame: pl.DataFrame, *, source: str, retrieved_at: datetime
) -> int:
    """Bulk version of save_raw_records for a (record_no, locator, payload) frame."""
    if frame.height == 0:
        return 0
    store.con.register("_raw_in", frame.to_arrow())
    try:
        store.con.execute(
            """INSERT INTO raw_records
                   (run_id, record_no, locator, source, retrieved_at, tool_version, payload)
               SELECT ?, record_no, locator, ?, ?, ?, payload FROM _raw_in""",
            [run_id, source, retrieved_at, tool_version()],
        )
    finally:
        store.con.unregister("_raw_in")
    return frame.height


def save_rejects(store: Store, run_id: int, early: list[Reject], *, source: str) -> int:
    """Store rejected rows: read-time problems, then the normaliser's (raw row from raw_records)."""
    con = store.con
    if early:
        frame = pl.DataFrame(
            [(r.record_no, r.locator, r.reason, r.raw) for r in early],
            schema={
                "record_no": pl.Int64,
                "locator": pl.String,
                "reason": pl.String,
                "raw": pl.String,
            },
            orient="row",
        )
        con.register("_rej_in", frame.to_arrow())
        try:
            con.execute(
                """INSERT INTO rejects (run_id, record_no, locator, source, reason, raw)
                   SELECT ?, record_no, locator, ?, reason, raw FROM _rej_in""",
                [run_id, source],
            )
        finally:
            con.unregister("_rej_in")
    con.execute(
        f"""INSERT INTO rejects (run_id, record_no, locator, source, reason, raw)
            SELECT ?, j.record_no, j.locator, ?, j.reason, r.payload
            FROM {REJECTS_T} j
            LEFT JOIN (SELECT record_no, payload FROM raw_records WHERE run_id = ?) r
                 USING (record_no)""",
        [run_id, source, run_id],
    )
    row = fetch_one(con, "SELECT count(*) FROM rejects WHERE run_id = ?", [run_id])
    return int(row[0]) if row else 0


def save_batch(store: Store, run_id: int, *, seen_at: datetime) -> MergeCounts:
    """Merge the normalised replies, record metric snapshots and upsert threads."""
    counts = _merge_replies(store, run_id, seen_at)
    _upsert_threads(store, seen_at)
    return counts


# Changed counts are kept as snapshots, so likes can be followed across re-harvests.
_SNAPSHOT = (
    "INSERT INTO metric_snapshots (platform, reply_id, observed_at, run_id, like_count,"
    " reply_count, repost_count, quote_count) SELECT platform, reply_id, ?, ?, like_count,"
    " reply_count, repost_count, quote_count FROM {source}"
    " WHERE coalesce(like_count, reply_count, repost_count, quote_count) IS NOT NULL"
)
_COLUMNS = ", ".join(REPLY_COLUMNS)


def _merge_replies(store: Store, run_id: int, seen_at: datetime) -> MergeCounts:
    con = store.con
    known = fetch_one(
        con,
        "SELECT count(*) FROM replies"
        f" WHERE platform IN (SELECT DISTINCT platform FROM {REPLIES_T})",
    )
    if not known or not known[0]:
        return _insert_all(store, run_id, seen_at)
    counts = _stage(store)
    if counts.updated or counts.unchanged:
        _update_existing(store, seen_at)
    if counts.added:
        con.execute(
            f"""INSERT INTO replies ({_COLUMNS}, first_seen_at, last_seen_at, source_run_id)
                SELECT {_COLUMNS}, ?, ?, ? FROM {REPLIES_T} b JOIN _stage k USING (_i)
                WHERE NOT k.existed ORDER BY b._i""",
            [seen_at, seen_at, run_id],
        )
    changed = (
        f"(SELECT b.* FROM {REPLIES_T} b JOIN _stage k USING (_i) WHERE NOT k.existed OR k.changed)"
    )
    con.execute(_SNAPSHOT.format(source=changed), [seen_at, run_id])
    con.execute("DROP TABLE _stage")
    return counts


def _insert_all(store: Store, run_id: int, seen_at: datetime) -> MergeCounts:
    """Nothing of these platforms is stored yet: every row is new.

    The batch is already in file order (DuckDB keeps insertion order): no sort needed.
    """
    con = store.con
    con.execute(
        f"""INSERT INTO replies ({_COLUMNS}, first_seen_at, last_seen_at, source_run_id)
            SELECT {_COLUMNS}, ?, ?, ? FROM {REPLIES_T}""",
        [seen_at, seen_at, run_id],
    )
    con.execute(_SNAPSHOT.format(source=REPLIES_T), [seen_at, run_id])
    added = fetch_one(con, f"SELECT count(*) FROM {REPLIES_T}")
    return MergeCounts(added=int(added[0]) if added else 0)


def _stage(store: Store) -> MergeCounts:
    """The temp table _stage: which rows exist already, and which of those changed (keys only)."""
    con = store.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _stage AS
           SELECT b._i,
                  r.reply_id IS NOT NULL AS existed,
                  r.reply_id IS NOT NULL AND (
                      r.like_count IS DISTINCT FROM coalesce(b.like_count, r.like_count)
                   OR r.reply_count IS DISTINCT FROM coalesce(b.reply_count, r.reply_count)
                   OR r.repost_count IS DISTINCT FROM coalesce(b.repost_count, r.repost_count)
                   OR r.quote_count IS DISTINCT FROM coalesce(b.quote_count, r.quote_count)
                   OR r.text IS DISTINCT FROM b.text) AS changed
           FROM {REPLIES_T} b LEFT JOIN replies r USING (platform, reply_id)"""
    )
    row = fetch_one(
        con,
        "SELECT count(*) FILTER (NOT existed), count(*) FILTER (changed), "
        "count(*) FILTER (existed AND NOT changed) FROM _stage",
    )
    assert row is not None
    return MergeCounts(added=int(row[0]), updated=int(row[1]), unchanged=int(row[2]))


def _update_existing(store: Store, seen_at: datetime) -> None:
    """Later observations win for counts and text; facts the new source lacks are kept.

    A thread, a date or a handle the old row has stays when the new source
    does not give it.
    """
    store.con.execute(
        f"""UPDATE replies AS r SET
               like_count = coalesce(s.like_count, r.like_count),
               reply_count = coalesce(s.reply_count, r.reply_count),
               repost_count = coalesce(s.repost_count, r.repost_count),
               quote_count = coalesce(s.quote_count, r.quote_count),
               text = s.text,
               thread_id = coalesce(r.thread_id, s.thread_id),
               parent_id = coalesce(r.parent_id, s.parent_id),
               parent_author = coalesce(r.parent_author, s.parent_author),
               depth = coalesce(r.depth, s.depth),
               author_id = coalesce(r.author_id, s.author_id),
               author_handle = coalesce(r.author_handle, s.author_handle),
               author_name = coalesce(r.author_name, s.author_name),
               created_at = coalesce(r.created_at, s.created_at),
               lang = coalesce(r.lang, s.lang),
               url = coalesce(r.url, s.url),
               last_seen_at = ?
           FROM (SELECT b.* FROM {REPLIES_T} b JOIN _stage k USING (_i) WHERE k.existed) s
           WHERE r.platform = s.platform AND r.reply_id = s.reply_id""",
        [seen_at],
    )


def _upsert_threads(store: Store, seen_at: datetime) -> None:
    store.con.execute(
        f"""INSERT INTO threads (thread_id, platform, native_id, url, author, text, created_at,
                                first_seen_at, last_harvested_at)
           SELECT thread_id, any_value(platform), any_value(native_id), any_value(url),
                  any_value(author), any_value(text), any_value(created_at), ?, ?
           FROM (
               SELECT thread_id, platform, reply_id AS native_id, coalesce(url, thread_url) AS url,
                      coalesce(author_handle, author_name) AS author, text, created_at
               FROM {ROOTS_T}
               UNION ALL
               SELECT thread_id, platform, substr(thread_id, strpos(thread_id, ':') + 1),
                      thread_url, NULL, NULL, NULL
               FROM {REPLIES_T} WHERE thread_id IS NOT NULL
           )
           GROUP BY thread_id
           ON CONFLICT (thread_id) DO UPDATE SET
               url = coalesce(excluded.url, threads.url),
               author = coalesce(excluded.author, threads.author),
               text = coalesce(excluded.text, threads.text),
               created_at = coalesce(excluded.created_at, threads.created_at),
               last_harvested_at = excluded.last_harvested_at""",
        [seen_at, seen_at],
    )


def fill_depths_from_store(store: Store, thread_ids: list[str], rounds: int = 200) -> int:
    """Fill missing depth (and thread) of replies from parents already in the store.

    A harvest saves page by page, and APIs often return the newest replies
    first, so a reply's parent may arrive pages later than the reply.
    """
    if not thread_ids:
        return 0
    filled = 0
    for _ in range(rounds):
        row = fetch_one(
            store.con,
            """UPDATE replies AS c
               SET depth = p.depth + 1, thread_id = coalesce(c.thread_id, p.thread_id)
               FROM replies p
               WHERE c.depth IS NULL AND c.parent_id IS NOT NULL
                 AND p.platform = c.platform AND p.reply_id = c.parent_id AND p.depth IS NOT NULL
                 AND (c.thread_id IN (SELECT unnest(?::VARCHAR[])) OR c.thread_id IS NULL)""",
            [thread_ids],
        )
        changed = int(row[0]) if row else 0
        filled += changed
        if not changed:
            break
    return filled
