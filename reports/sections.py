"""Report sections that stand on their own queries: codebook gaps, topics over time, comparison, method."""

from __future__ import annotations

import json
from datetime import date, timedelta
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


def untagged(store: Store, topics: list[dict[str, Any]]) -> dict[str, Any]:
    row = fetch_one(
        store.con, "SELECT count(*) FILTER (len(themes) = 0), count(*) FROM _report_replies"
    )
    out: dict[str, Any] = {
        "untagged": int(row[0]) if row else 0,
        "total": int(row[1]) if row else 0,
        "topics": [],
    }
    if topics:
        out["topics"] = query_rows(
            store,
            """SELECT topic_id, any_value(topic_label) AS label, count(*) FILTER (len(themes) = 0) AS untagged, count(*) AS size
               FROM _report_replies WHERE topic_id IS NOT NULL AND topic_id <> -1 GROUP BY topic_id
               HAVING count(*) FILTER (len(themes) = 0) > 0.5 * count(*) ORDER BY untagged DESC, topic_id LIMIT 5""",
        )
    return out


MAX_DAYS = 120  # longer spans are charted per month


def over_time(store: Store) -> tuple[list[str], list[tuple[str, list[float]]], str] | None:
    """Replies per day (per month over long spans) for the largest topics, on a real time axis.

    Buckets are full UTC dates, ordered by date, with empty days filled in;
    labels drop the year only when every bucket is in the same year.
    """
    span = fetch_one(
        store.con,
        """SELECT min(created_at)::DATE, max(created_at)::DATE FROM _report_replies
           WHERE topic_id IS NOT NULL AND topic_id <> -1 AND created_at IS NOT NULL""",
    )
    if not span or span[0] is None or span[0] == span[1]:
        return None
    first, last = span[0], span[1]
    unit = "day" if (last - first).days < MAX_DAYS else "month"
    rows = store.con.execute(
        f"""SELECT date_trunc('{unit}', created_at)::DATE AS d,
                   coalesce(topic_label, 'topic ' || topic_id) AS t, count(*)
            FROM _report_replies WHERE topic_id IS NOT NULL AND topic_id <> -1 AND created_at IS NOT NULL
            GROUP BY ALL ORDER BY d, t"""
    ).fetchall()
    buckets: list[date] = []
    day = rows[0][0] if rows else first
    while day <= last:
        buckets.append(day)
        day = (
            day + timedelta(days=1)
            if unit == "day"
            else date(day.year + day.month // 12, day.month % 12 + 1, 1)
        )
    by_topic: dict[str, dict[date, float]] = {}
    for d, t, n in rows:
        by_topic.setdefault(t, {})[d] = float(n)
    biggest = sorted(by_topic, key=lambda t: (-sum(by_topic[t].values()), t))[:6]
    one_year = buckets[0].year == buckets[-1].year
    fmt = ("%m-%d" if one_year else "%Y-%m-%d") if unit == "day" else "%Y-%m"
    labels = [b.strftime(fmt) for b in buckets]
    return labels, [(t, [by_topic[t].get(b, 0.0) for b in buckets]) for t in biggest], unit


def comparison(
    store: Store, themes: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[list[float]]] | None:
    groups = store.con.execute(
        "SELECT count(DISTINCT platform), count(DISTINCT thread_id) FROM replies"
    ).fetchall()[0]
    if not themes or (groups[0] < 2 and groups[1] < 2):
        return None
    key = "platform" if groups[0] >= 2 else "thread_id"
    rows = store.con.execute(
        f"""SELECT {key}, theme_id, count(*) FROM (SELECT {key}, unnest(CASE WHEN len(themes) = 0 THEN [NULL] ELSE themes END) AS theme_id FROM _report_replies)
            GROUP BY ALL"""
    ).fetchall()
    totals = dict(store.con.execute(f"SELECT {key}, count(*) FROM replies GROUP BY 1").fetchall())
    names = sorted(totals, key=lambda k: (-totals[k], k is None, str(k)))[:6]
    cols = [t["theme_id"] for t in themes]
    cells = {(g, t): n for g, t, n in rows}
    return (
        ["no thread" if n is None else str(n) for n in names],
        cols,
        [[cells.get((g, c), 0) / max(totals[g], 1) for c in cols] for g in names],
    )


def method(store: Store) -> dict[str, Any]:
    from importlib import metadata

    versions = {}
    for pkg in (
        "replyscope",
        "duckdb",
        "polars",
        "bertopic",
        "umap-learn",
        "hdbscan",
        "wordcloud",
        "vadersentiment",
        "py3langid",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    tag = query_rows(
        store,
        "SELECT run_id, parameters FROM runs WHERE kind = 'tag' AND status = 'ok' ORDER BY run_id DESC LIMIT 1",
    )
    params = json.loads(tag[0]["parameters"]) if tag else {}
    codebook = (
        query_rows(
            store, "SELECT * FROM codebooks WHERE codebook_hash = ?", [params.get("codebook_hash")]
        )
        if tag
        else []
    )
    topic = (
        query_rows(store, "SELECT * FROM topic_runs ORDER BY run_id DESC LIMIT 1")
        if has_any_rows(store, "topic_runs")
        else []
    )
    return {
        "versions": versions,
        "tagging": params,
        "codebook": codebook[0] if codebook else None,
        "topic_run": topic[0] if topic else None,
    }
