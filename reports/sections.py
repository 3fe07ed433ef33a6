"""The report's sections: one builder per section, each with its queries, and the assembly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from reports.data import (
    SQL,
    TABLE_ROWS,
    THEMES_ONCE_SQL,
    ReportData,
    headlines,
    reply_rows,
    theme_samples,
)
from reports.privacy import Pseudonymiser
from reports.queries import has_any_rows, query_rows
from reports.threads import report_title, scope_note, short_labels
from reports.trust import TRUST_SQL, load_dominance_notes, load_trust, ppi_sql, unvalidated_sample
from store import Store, fetch_one


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
            """SELECT topic_id, any_value(topic_label) AS label,
                      count(*) FILTER (len(themes) = 0) AS untagged, count(*) AS size
               FROM _report_replies WHERE topic_id IS NOT NULL AND topic_id <> -1 GROUP BY topic_id
               HAVING count(*) FILTER (len(themes) = 0) > 0.5 * count(*)
               ORDER BY untagged DESC, topic_id LIMIT 5""",
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
            FROM _report_replies
            WHERE topic_id IS NOT NULL AND topic_id <> -1 AND created_at IS NOT NULL
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


CHART_GROUPS = 4  # groups drawn side by side (the legend fits four)
LIST_THREADS = 50  # threads listed in the comparison table; the rest: `replyscope threads`


def comparison(
    store: Store, themes: list[dict[str, Any]], labels: dict[str, str], p: Pseudonymiser
) -> tuple[list[str], list[str], list[list[float]]] | None:
    """Theme shares of the largest platforms or threads (threads named by `labels`)."""
    groups = store.con.execute(
        "SELECT count(DISTINCT platform), count(DISTINCT thread_id) FROM replies"
    ).fetchall()[0]
    if not themes or (groups[0] < 2 and groups[1] < 2):
        return None
    key = "platform" if groups[0] >= 2 else "thread_id"
    rows = store.con.execute(
        f"""SELECT {key}, theme_id, count(*) FROM (
                SELECT {key},
                       unnest(CASE WHEN len(themes) = 0 THEN [NULL] ELSE themes END) AS theme_id
                FROM _report_replies)
            GROUP BY ALL"""
    ).fetchall()
    totals = dict(store.con.execute(f"SELECT {key}, count(*) FROM replies GROUP BY 1").fetchall())
    names = sorted(totals, key=lambda k: (-totals[k], k is None, str(k)))[:CHART_GROUPS]
    cols = [t["theme_id"] for t in themes]
    cells = {(g, t): n for g, t, n in rows}
    shown = [
        "no thread"
        if n is None
        # Thread ids can embed an account (Bluesky at://did:…): keyed like exports.
        else labels.get(n) or p.thread_id(n) or str(n)
        if key == "thread_id"
        else str(n)
        for n in names
    ]
    return (
        short_labels(shown, 24),
        cols,
        [[cells.get((g, c), 0) / max(totals[g], 1) for c in cols] for g in names],
    )


# Per thread: replies with any theme, and the commonest theme (ties: the first id).
THREAD_THEMES_SQL = """SELECT r.thread_id, r.tagged, t.theme_id AS top_theme, t.n AS top_n
FROM (SELECT thread_id, count(*) FILTER (len(themes) > 0) AS tagged
      FROM _report_replies GROUP BY 1) r
LEFT JOIN (SELECT thread_id, theme_id, n FROM (
               SELECT thread_id, theme_id, count(*) AS n FROM (
                   SELECT thread_id, unnest(themes) AS theme_id FROM _report_replies)
               GROUP BY ALL)
           QUALIFY row_number() OVER (PARTITION BY thread_id ORDER BY n DESC, theme_id) = 1) t
  USING (thread_id)"""


def thread_list(store: Store, p: Pseudonymiser) -> tuple[list[dict[str, Any]], int]:
    """Every thread (up to LIST_THREADS) with its label, replies, dates and commonest theme."""
    from reports.threads import load_threads, thread_label

    threads, total = load_threads(store, LIST_THREADS)
    figures = {r["thread_id"]: r for r in query_rows(store, THREAD_THEMES_SQL)}
    out = []
    for t in threads:
        f = figures.get(t["thread_id"], {})
        n = int(t["replies"] or 0)
        out.append(
            {
                "thread_id": t["thread_id"],  # for the chart's labels; not shown
                "label": thread_label(t, p),
                "id": p.thread_id(str(t["thread_id"])),
                "replies": n,
                "first": t["first_at"],
                "last": t["last_at"],
                "tagged": (f.get("tagged") or 0) / n if n else None,
                "top_theme": f.get("top_theme"),
                "top_share": (f.get("top_n") or 0) / n if n else None,
            }
        )
    return out, total


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
        "SELECT run_id, parameters FROM runs WHERE kind = 'tag' AND status = 'ok' ORDER BY run_id "
        "DESC LIMIT 1",
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


# --- the report's sections, in page order --------------------------------------
#
# Each builder reads what its section shows (with the SQL in data.SQL or
# beside it) and returns ReportData fields; later builders may use the
# fields of earlier ones (`so_far`), e.g. the topic × theme grid needs both.

Fields = dict[str, Any]


def _evaluate_replies(store: Store) -> None:
    """Evaluate replies_tagged once for the whole report (it joins and ranks likes per thread)."""
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE _report_replies AS SELECT * FROM replies_tagged"
    )


def build_summary(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 1: replies, authors, threads, dates, rejects and the post replied to."""
    summary = query_rows(store, SQL["summary"])[0]
    rejected = fetch_one(
        store.con,
        "SELECT coalesce(sum(rows_rejected), 0) FROM runs WHERE kind IN ('import', 'collect')",
    )
    summary["rejected"] = rejected[0] if rejected else 0
    dup = fetch_one(
        store.con,
        "SELECT coalesce(sum(CAST(json_extract(summary, '$.duplicates_in_input') AS BIGINT)), 0)"
        " FROM runs",
    )
    summary["duplicates_merged"] = int(dup[0]) if dup and dup[0] is not None else 0
    summary["platform_list"] = [
        r[0]
        for r in store.con.execute("SELECT DISTINCT platform FROM replies ORDER BY 1").fetchall()
    ]
    posts = query_rows(
        store,
        """SELECT t.thread_id, t.text, t.url, count(r.reply_id) AS n
           FROM threads t LEFT JOIN replies r USING (thread_id)
           GROUP BY ALL ORDER BY n DESC, t.thread_id""",
    )
    question = next((x["text"] for x in posts if x["text"]), "") or ""
    return {"summary": summary, "question": p.text(question)}


def _campaigns_once(store: Store) -> bool:
    """Whether the latest quality run found campaigns (then each counts once in theme figures)."""
    row = fetch_one(
        store.con,
        """SELECT count(*) FROM reply_quality WHERE campaign_id IS NOT NULL AND run_id =
           (SELECT max(run_id) FROM runs WHERE kind = 'quality' AND status = 'ok')""",
    )
    return bool(row and row[0])


def build_themes(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 2: theme figures (corrected when validated), descriptions and example replies."""
    from analysis.themes import latest_stats

    # Each coordinated campaign counts once when the replies' quality has been
    # checked (nothing is deleted); only the latest quality run counts.
    campaigns_once = _campaigns_once(store)
    themes = (
        latest_stats(store, campaigns_once=campaigns_once).to_dicts()
        if has_any_rows(store, "theme_stats")
        else []
    )
    descriptions = dict(
        store.con.execute(
            """SELECT theme_id, description FROM themes
               WHERE codebook_hash = (SELECT any_value(codebook_hash) FROM theme_summary)"""
        ).fetchall()
    )
    trust = load_trust(store) if themes else None
    # Counted in the scope the figures beside them use (campaigns once when corrected).
    driven = (
        load_dominance_notes(store, campaigns_once=campaigns_once or trust is not None)
        if themes
        else {}
    )
    for t in themes:
        t["dominance"] = driven.get(t["theme_id"])
        t["description"] = descriptions.get(t["theme_id"], "")
        # With campaigns counted once a count can be fractional (a campaign
        # whose copies only partly carry the theme): show it as it is.
        weighted = t.get("replies_weighted")
        t["replies_shown"] = float(weighted) if weighted is not None else float(t["replies"] or 0)
        if trust is not None:
            t["trust"] = trust.themes.get(t["theme_id"])
    return {
        "campaigns_once": campaigns_once,
        "themes": themes,
        "theme_replies": theme_samples(store, [t["theme_id"] for t in themes], p),
        "trust": trust,
        "unvalidated_sample": unvalidated_sample(store) if themes and trust is None else None,
    }


LIKES_HIST_SQL = """SELECT b, count(*) FROM (
    SELECT CASE WHEN like_count < 0 THEN '< 0' WHEN coalesce(like_count, 0) = 0 THEN '0'
                WHEN like_count = 1 THEN '1' WHEN like_count < 5 THEN '2–4'
                WHEN like_count < 10 THEN '5–9' WHEN like_count < 50 THEN '10–49'
                WHEN like_count < 100 THEN '50–99' ELSE '100+' END AS b
    FROM replies) GROUP BY b
ORDER BY array_position(['< 0', '0', '1', '2–4', '5–9', '10–49', '50–99', '100+'], b)"""

TOP_THEMES_SQL = """SELECT theme_id, count(*) AS n, count(*) / (
    SELECT count(*) FROM _report_replies WHERE likes_band IN ('top 1%', 'top 10%')) AS s
FROM (SELECT unnest(themes) AS theme_id FROM _report_replies
      WHERE likes_band IN ('top 1%', 'top 10%'))
GROUP BY 1 ORDER BY n DESC, theme_id"""


def build_engagement(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 3: likes bands, the likes histogram, themes of the most liked replies."""
    bands = [
        (r[0] or "unknown", int(r[1]))
        for r in store.con.execute(
            """SELECT likes_band, count(*) FROM _report_replies GROUP BY 1
               ORDER BY array_position(['top 1%', 'top 10%', 'above median', 'below median',
                                        'none', 'below zero'], likes_band), likes_band"""
        ).fetchall()
    ]
    # Reddit's like_count is a net score and can be negative: its own bucket.
    hist = [(r[0], int(r[1])) for r in store.con.execute(LIKES_HIST_SQL).fetchall()]
    top_themes = [
        (r[0], int(r[1]), float(r[2] or 0)) for r in store.con.execute(TOP_THEMES_SQL).fetchall()
    ]
    return {"bands": bands, "likes_hist": hist, "top_themes": top_themes}


def _crosstab(
    store: Store, themes: list[dict[str, Any]], topics: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[list[float]]]:
    """Replies per topic (rows) and theme (columns)."""
    cells = {(r[0], r[1]): float(r[2]) for r in store.con.execute(SQL["topic_theme"]).fetchall()}
    rows = [t["label"] or f"topic {t['topic_id']}" for t in topics]
    cols = [t["theme_id"] for t in themes]
    return rows, cols, [[cells.get((t["topic_id"], c), 0.0) for c in cols] for t in topics]


TOPICS_SQL = """SELECT topic_id, label, keywords, size, likes, representative, share
FROM topic_summary ORDER BY topic_id = -1, size DESC, topic_id"""


def build_topics(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 4: topics (keywords, replies, over time, × themes), what the codebook misses."""
    themes = so_far["themes"]
    topics = query_rows(store, TOPICS_SQL) if has_any_rows(store, "topic_runs") else []
    for t in topics:
        t["keywords"] = [
            k[0] if isinstance(k, list) else k for k in json.loads(t["keywords"] or "[]")
        ][:10]
        reps = json.loads(t["representative"] or "[]")
        t["representative"] = [
            p.text(str(x.get("text", ""))) if isinstance(x, dict) else p.text(str(x)) for x in reps
        ][:3]
    missed = untagged(store, topics)
    missed["tagged"] = bool(themes)
    timeline = over_time(store) if topics else None
    return {
        "topics": topics,
        "topic_theme": _crosstab(store, themes, topics) if topics and themes else None,
        "untagged": missed,
        "topics_over_time": timeline[:2] if timeline else None,
        "over_time_unit": timeline[2] if timeline else "day",
    }


TONE_TOPIC_SQL = """SELECT coalesce(x.label, 'topic ' || rt.topic_id) AS label,
       avg(t.compound) AS mean_tone, count(*) AS replies
FROM reply_tone t JOIN reply_topics rt USING (platform, reply_id)
LEFT JOIN topics x ON x.run_id = rt.run_id AND x.topic_id = rt.topic_id
WHERE t.run_id = (SELECT max(run_id) FROM reply_tone)
  AND rt.run_id = (SELECT max(run_id) FROM topic_runs)
GROUP BY 1 ORDER BY replies DESC, label"""


def build_tone(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 5: tone overall, per theme and per topic."""
    has_tone = has_any_rows(store, "reply_tone")
    themes, topics = so_far["themes"], so_far["topics"]
    return {
        "tone_overall": query_rows(store, SQL["tone"]) if has_tone else [],
        "tone_theme": query_rows(store, SQL["tone_theme"]) if has_tone and themes else [],
        "tone_topic": query_rows(store, TONE_TOPIC_SQL) if has_tone and topics else [],
    }


def build_comparison(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 6: theme shares per platform or thread, and every thread by its post."""
    threads, total = thread_list(store, p) if so_far["summary"]["threads"] > 1 else ([], 0)
    labels = {t["thread_id"]: t["label"] for t in threads}
    return {
        "comparison": comparison(store, so_far["themes"], labels, p),
        "comparison_threads": threads,
        "comparison_more": max(total - len(threads), 0),
    }


QUALITY_COUNTS_SQL = """SELECT count(*) FILTER (campaign_id IS NOT NULL) AS in_campaigns,
       count(DISTINCT campaign_id) AS campaigns,
       count(*) FILTER (duplicate_group IS NOT NULL) AS duplicates,
       count(*) FILTER (low_content) AS low_content, count(*) FILTER (spam) AS spam
FROM reply_quality WHERE run_id = (SELECT max(run_id) FROM reply_quality)"""

CAMPAIGNS_SQL = """SELECT campaign_id, replies, authors, first_at, last_at, example_text
FROM campaigns WHERE run_id = (SELECT max(run_id) FROM campaigns)
ORDER BY replies DESC, campaign_id LIMIT 10"""


def build_quality(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 7: duplicates, campaigns, low-content and spam replies with examples."""
    if not has_any_rows(store, "reply_quality"):
        return {"quality": {}}
    counts = query_rows(store, QUALITY_COUNTS_SQL)[0]
    campaigns = query_rows(store, CAMPAIGNS_SQL)
    for c in campaigns:
        c["example_text"] = p.text(c["example_text"] or "")
    examples = reply_rows(
        store, "spam OR low_content", "like_count DESC NULLS LAST, reply_id, platform", 6, p
    )
    return {"quality": {**counts, "campaign_list": campaigns, "examples": examples}}


def build_validation(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 8: the latest validation scores."""
    has_scores = has_any_rows(store, "validation_scores")
    return {"validation": query_rows(store, SQL["validation"]) if has_scores else []}


def build_replies(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 9: the most liked replies (all of them up to TABLE_ROWS)."""
    order = "like_count DESC NULLS LAST, created_at, reply_id, platform"
    return {
        "replies": reply_rows(store, "true", order, TABLE_ROWS, p),
        "replies_total": int(so_far["summary"]["replies"]),
    }


def build_method(store: Store, p: Pseudonymiser, so_far: Fields) -> Fields:
    """Section 10: codebook, runs, versions, and the SQL that recomputes every table."""
    sql = dict(SQL)
    if so_far["campaigns_once"] and so_far["themes"]:
        sql["themes"] = THEMES_ONCE_SQL.replace("{db}", store.path.name)
        sql["themes (every copy counted)"] = SQL["themes"]
    trust = so_far["trust"]
    if trust is not None:
        sql["themes corrected for tagging error (stored)"] = TRUST_SQL
        sql["themes corrected for tagging error (recomputed from the tables)"] = ppi_sql(trust)
    return {"method": method(store), "runs": query_rows(store, SQL["runs"]), "sql": sql}


SECTIONS: list[Callable[[Store, Pseudonymiser, Fields], Fields]] = [
    build_summary,
    build_themes,
    build_engagement,
    build_topics,
    build_tone,
    build_comparison,
    build_quality,
    build_validation,
    build_replies,
    build_method,
]


def load_report_data(store: Store, p: Pseudonymiser, *, title: str | None = None) -> ReportData:
    """Gather every section's figures from the store (all its threads, or the one scoped to)."""
    _evaluate_replies(store)
    fields: Fields = {}
    for build in SECTIONS:
        fields.update(build(store, p, fields))
    return ReportData(
        title=report_title(store, title, p),
        scope=scope_note(store, p),
        headlines=headlines(
            fields["themes"],
            fields["topics"],
            fields["untagged"],
            fields["replies_total"],
            fields["trust"],
        ),
        show_authors=not p.enabled,
        **fields,
    )
