"""One thread of a multi-thread store: temporary views that scope every read to its replies.

`--thread` (on themes, topics, tag, report, export) does not pass a filter
through every query. It shadows the store's tables for this connection only:
a TEMP view named `replies` (and `threads`) holding the thread's rows comes
before the table of the same name, in plain queries and inside the store's
views (`replies_tagged`, `theme_summary`, …) alike, so every figure — counts,
shares, likes bands, topics, tone, quality, the comparison — is computed on
the same replies. The shadows end with the connection; nothing is stored.

Runs can be scoped too: a `tag --thread` or `topics --thread` run records
`"thread"` in its parameters. A session on thread T sees the runs of the
whole store and of T (so "the latest tagging run" is the latest one covering
T); a whole-store session sees only whole-store runs, so one thread's tags
are never shown as the store's. Writers of `runs` use `main_table` (the
table itself, past the shadow).
"""

from __future__ import annotations

import duckdb

from store import Store, fetch_one, main_table

SCOPE_TABLE = "_scope_threads"
# Tables keyed by reply: in a reading session they keep only the scoped replies' rows.
PER_REPLY = ("reply_themes", "reply_overrides", "reply_quality", "reply_topics", "reply_tone")
# A run belongs to the session's scope: whole-store, or one of its threads.
_IN_SCOPE = (
    "json_extract_string(parameters, '$.thread') IS NULL OR "
    f"json_extract_string(parameters, '$.thread') IN (SELECT thread_id FROM {SCOPE_TABLE})"
)


def thread_runs_exist(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any run was made on one thread (then whole-store sessions must hide it)."""
    row = fetch_one(
        con,
        "SELECT count(*) FROM runs WHERE json_extract_string(parameters, '$.thread') IS NOT NULL",
    )
    return bool(row and row[0])


def scope_store(store: Store, threads: list[str] | None, *, reading: bool) -> None:
    """Shadow the store's tables for this connection: the given threads, or the whole store.

    With `threads` None only runs made on one thread are hidden (when any
    exist). `reading` sessions also scope the per-reply result tables,
    topics, campaigns and the validation view; writing ones (tag, topics)
    only the replies and threads they read, so their inserts reach the tables.
    """
    con = store.con
    if threads is None and not thread_runs_exist(con):
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SCOPE_TABLE} (thread_id VARCHAR)")
    if threads:
        con.executemany(f"INSERT INTO {SCOPE_TABLE} VALUES (?)", [[t] for t in threads])
    _view(con, "runs", f"SELECT * FROM {main_table(con, 'runs')} WHERE {_IN_SCOPE}")
    if threads:
        for name in ("replies", "threads"):
            _view(
                con,
                name,
                f"SELECT * FROM {main_table(con, name)} "
                f"WHERE thread_id IN (SELECT thread_id FROM {SCOPE_TABLE})",
            )
    if reading and threads:
        _scope_results(con)
    elif reading:
        _view(con, "topic_runs", f"SELECT * FROM {main_table(con, 'topic_runs')} WHERE {_IN_SCOPE}")


def _view(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")


def _scope_results(con: duckdb.DuckDBPyConnection) -> None:
    """The analysis results of the scoped replies only, with sizes counted within the scope."""
    for name in PER_REPLY:
        _view(
            con,
            name,
            f"SELECT x.* FROM {main_table(con, name)} x "
            "SEMI JOIN replies USING (platform, reply_id)",
        )
    # A topic run's size, share and outliers, as the scoped replies make them up.
    _view(
        con,
        "topic_runs",
        f"""SELECT t.* REPLACE (coalesce(s.n, 0) AS replies, coalesce(s.k, 0) AS topics,
                                s.outliers / nullif(s.n, 0) AS outlier_share,
                                CASE WHEN json_extract_string(parameters, '$.thread') IS NULL
                                     THEN 'Of the run on the whole store: ' || note
                                     ELSE note END AS note)
            FROM {main_table(con, "topic_runs")} t
            LEFT JOIN (SELECT run_id, count(*) AS n, count(DISTINCT topic_id)
                              FILTER (topic_id <> -1) AS k,
                              count(*) FILTER (topic_id = -1) AS outliers
                       FROM reply_topics GROUP BY run_id) s USING (run_id)
            WHERE {_IN_SCOPE}""",
    )
    # Topics keep only their scoped replies: size, likes and representatives.
    _view(
        con,
        "topics",
        f"""WITH s AS (SELECT rt.run_id, rt.topic_id, count(*) AS size,
                              sum(coalesce(r.like_count, 0)) AS likes
                       FROM reply_topics rt JOIN replies r USING (platform, reply_id)
                       GROUP BY ALL),
                 reps AS (SELECT run_id, topic_id, to_json(list(rep ORDER BY i)) AS representative
                          FROM (SELECT t.run_id, t.topic_id, rep, i
                                FROM {main_table(con, "topics")} t,
                                     unnest(from_json(t.representative,
                                        '[{{"platform": "VARCHAR", "reply_id": "VARCHAR",
                                            "text": "VARCHAR"}}]')) WITH ORDINALITY AS u(rep, i)) x
                          WHERE EXISTS (SELECT 1 FROM replies r WHERE r.platform = rep.platform
                                                                 AND r.reply_id = rep.reply_id)
                          GROUP BY ALL)
            SELECT t.* REPLACE (s.size::BIGINT AS size, s.likes::BIGINT AS likes,
                                coalesce(reps.representative, '[]'::JSON) AS representative)
            FROM {main_table(con, "topics")} t JOIN s USING (run_id, topic_id)
            LEFT JOIN reps USING (run_id, topic_id)""",
    )
    # Campaigns with a copy in the scope, counted within it.
    _view(
        con,
        "campaigns",
        f"""SELECT c.* REPLACE (s.n AS replies, s.authors AS authors, s.first_at AS first_at,
                                s.last_at AS last_at)
            FROM {main_table(con, "campaigns")} c
            JOIN (SELECT q.run_id, q.campaign_id, count(*) AS n,
                         count(DISTINCT coalesce(r.author_id, r.author_handle, r.author_name))
                           AS authors,
                         min(r.created_at) AS first_at, max(r.created_at) AS last_at
                  FROM reply_quality q JOIN replies r USING (platform, reply_id)
                  WHERE q.campaign_id IS NOT NULL GROUP BY ALL) s USING (run_id, campaign_id)""",
    )
    # A validation sample is drawn from the whole store: its corrected shares
    # describe the store, not one thread, so a thread's figures stay unvalidated.
    _view(con, "theme_trust", f"SELECT * FROM {main_table(con, 'theme_trust')} WHERE false")


def scoped_threads(store: Store) -> list[str] | None:
    """The threads this session is scoped to, or None for the whole store."""
    exists = fetch_one(
        store.con,
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
        [SCOPE_TABLE],
    )
    if not exists or not exists[0]:
        return None
    rows = store.con.execute(f"SELECT thread_id FROM {SCOPE_TABLE} ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows] or None
