"""Everything the report shows, read from the store (read-only queries).

Each figure comes with the SQL that recomputes it from the store, shown in
the report's method section, so an analyst can check any number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from reports.privacy import Pseudonymiser
from reports.queries import query_rows
from reports.trust import Trust
from store import Store
from textsafety import count, plural

TABLE_ROWS = 2000  # replies listed in the report's table; aggregates cover all

SQL = {
    "summary": """SELECT count(*) AS replies, count(DISTINCT platform) AS platforms,
       count(DISTINCT thread_id) AS threads, count(*) FILTER (thread_id IS NULL) AS no_thread,
       min(created_at) AS first, max(created_at) AS last,
       count(DISTINCT coalesce(author_id, author_handle, author_name)) AS authors
FROM replies""",
    "themes": "SELECT * FROM theme_summary",
    "likes_bands": "SELECT likes_band AS band, count(*) FROM replies_tagged GROUP BY 1",
    "topics": (
        "SELECT topic_id, label, size, likes, share FROM topic_summary "
        "ORDER BY topic_id = -1, size DESC, topic_id"
    ),
    "topic_theme": """SELECT rt.topic_id, tt.theme_id, count(*) AS replies
FROM reply_topics rt JOIN reply_theme_tags tt USING (platform, reply_id)
WHERE rt.run_id = (SELECT max(run_id) FROM topic_runs) GROUP BY ALL""",
    "tone_theme": """SELECT tt.theme_id, avg(t.compound) AS mean_tone, count(*) AS replies
FROM reply_tone t JOIN reply_theme_tags tt USING (platform, reply_id)
WHERE t.run_id = (SELECT max(run_id) FROM reply_tone) GROUP BY 1 ORDER BY 1""",
    "tone": """SELECT tone, count(*) AS replies FROM reply_tone
WHERE run_id = (SELECT max(run_id) FROM reply_tone) GROUP BY 1
ORDER BY array_position(['positive', 'neutral', 'negative'], tone), tone""",
    "comparison": """SELECT r.platform, r.thread_id, tt.theme_id, count(DISTINCT r.reply_id) AS replies
FROM replies r LEFT JOIN reply_theme_tags tt USING (platform, reply_id) GROUP BY ALL""",  # noqa: E501 (shown in the report as is)
    "validation": (
        "SELECT * FROM validation_scores WHERE run_id = "
        "(SELECT max(run_id) FROM validation_scores) ORDER BY theme_id"
    ),
    "runs": (
        "SELECT run_id, kind, status, started_at, input_path, input_sha256, input_url, format, "
        "rows_in, rows_added, rows_updated, rows_rejected FROM runs ORDER BY run_id"
    ),
}

# The theme table when each coordinated campaign counts once (W2): replies and
# shares; `replyscope themes --count-campaigns-once` adds the bootstrap
# intervals, likes shares and resonance.
THEMES_ONCE_SQL = """-- Each coordinated campaign counts once: its k copies weigh 1/k each.
-- The same table with intervals: replyscope --db {db} themes --count-campaigns-once
WITH w AS (
    SELECT r.platform, r.reply_id, greatest(coalesce(r.like_count, 0), 0) AS likes,
           CASE WHEN q.campaign_id IS NULL THEN 1.0
                ELSE 1.0 / count(*) OVER (PARTITION BY q.campaign_id) END AS weight
    FROM replies r LEFT JOIN (SELECT platform, reply_id, campaign_id FROM reply_quality
                              WHERE run_id = (SELECT max(run_id) FROM reply_quality)) q
      USING (platform, reply_id)
)
SELECT s.theme_id, s.label, round(coalesce(sum(w.weight), 0), 1) AS replies,
       coalesce(sum(w.weight), 0) / (SELECT sum(weight) FROM w) AS share,
       coalesce(sum(w.weight * w.likes), 0) / nullif((SELECT sum(weight * likes) FROM w), 0) AS likes_share,
       (SELECT round(sum(weight)) FROM w) AS replies_in_scope
FROM theme_summary s
LEFT JOIN themes th ON th.codebook_hash = s.codebook_hash AND th.theme_id = s.theme_id
LEFT JOIN reply_theme_tags t ON t.theme_id = s.theme_id
LEFT JOIN w ON w.platform = t.platform AND w.reply_id = t.reply_id
GROUP BY s.theme_id, s.label, th.position
ORDER BY th.position"""  # noqa: E501 (shown in the report as is)


@dataclass
class Reply:
    """One reply as the report shows it (text already privacy-filtered)."""

    key: str
    author: str
    text: str
    likes: int
    created: str
    themes: list[str]
    topic: str
    band: str
    evidence: list[str] = field(default_factory=list)
    flags: str = ""


@dataclass
class ReportData:
    """All sections' data."""

    title: str
    question: str
    summary: dict[str, Any]
    headlines: list[Markup]
    themes: list[dict[str, Any]]
    theme_replies: dict[str, dict[str, list[Reply]]]
    bands: list[tuple[str, int]]
    likes_hist: list[tuple[str, int]]
    top_themes: list[tuple[str, int, float]]
    topics: list[dict[str, Any]]
    topic_theme: tuple[list[str], list[str], list[list[float]]] | None
    topics_over_time: tuple[list[str], list[tuple[str, list[float]]]] | None
    untagged: dict[str, Any]
    tone_theme: list[dict[str, Any]]
    tone_topic: list[dict[str, Any]]
    tone_overall: list[dict[str, Any]]
    comparison: tuple[list[str], list[str], list[list[float]]] | None
    validation: list[dict[str, Any]]
    quality: dict[str, Any]
    method: dict[str, Any]
    runs: list[dict[str, Any]]
    replies: list[Reply]
    replies_total: int
    show_authors: bool
    campaigns_once: bool = False
    over_time_unit: str = "day"
    trust: Trust | None = None
    unvalidated_sample: int | None = None
    sql: dict[str, str] = field(default_factory=lambda: dict(SQL))
    # Every thread by its post (Comparison), and how many more `replyscope threads` lists.
    comparison_threads: list[dict[str, Any]] = field(default_factory=list)
    comparison_more: int = 0
    # The one thread a `--thread` report covers (label, id, threads in the store), else None.
    scope: dict[str, Any] | None = None


def reply_rows(
    store: Store,
    where: str,
    order: str,
    limit: int,
    p: Pseudonymiser,
    params: list[Any] | None = None,
) -> list[Reply]:
    rows = query_rows(
        store,
        f"""SELECT platform, reply_id, coalesce(author_handle, author_name) AS who, text,
                   coalesce(like_count, 0) AS likes,
                   strftime(created_at, '%Y-%m-%d %H:%M') AS created, themes,
                   coalesce(topic_label, '') AS topic, coalesce(likes_band, '') AS band, evidence,
                   concat_ws(' ', CASE WHEN spam THEN 'spam' END,
                             CASE WHEN low_content THEN 'low-content' END,
                             CASE WHEN campaign_id IS NOT NULL THEN 'campaign' END,
                             CASE WHEN duplicate_group IS NOT NULL AND campaign_id IS NULL
                                  THEN 'duplicate' END) AS flags
            FROM _report_replies WHERE {where} ORDER BY {order} LIMIT {int(limit)}""",
        params,
    )
    out = []
    for r in rows:
        terms = re.findall(r"(?:^|\| )[a-z_0-9]+: ([^|]*)", r["evidence"] or "")
        evidence = sorted(
            {
                t.strip()
                for group in terms
                for t in group.split(",")
                if t.strip() and not t.startswith("nearest")
            }
        )
        out.append(
            Reply(
                key=f"{r['platform']}:{r['reply_id']}",
                author=p.name(r["who"]),
                text=p.text(r["text"] or ""),
                likes=int(r["likes"]),
                created=r["created"] or "",
                themes=list(r["themes"] or []),
                topic=r["topic"],
                band=r["band"],
                evidence=evidence,
                flags=r["flags"] or "",
            )
        )
    return out


THEME_SAMPLE_SQL = """
WITH t AS (
    SELECT unnest(themes) AS theme_id, platform, reply_id, coalesce(like_count, 0) AS likes,
           like_count IS NULL AS no_likes
    FROM _report_replies WHERE len(themes) > 0
), m AS (SELECT theme_id, median(likes) AS med FROM t GROUP BY theme_id)
SELECT 'liked' AS kind, theme_id,
       min_by({'platform': platform, 'reply_id': reply_id},
              {'n': no_likes, 'l': -likes, 'r': reply_id, 'p': platform}, 3) AS picks
FROM t GROUP BY theme_id
UNION ALL
SELECT 'typical', theme_id,
       min_by({'platform': platform, 'reply_id': reply_id},
              {'h': hash(reply_id), 'r': reply_id, 'p': platform}, 3)
FROM t JOIN m USING (theme_id) WHERE likes <= med GROUP BY theme_id
"""


def theme_samples(
    store: Store, theme_ids: list[str], p: Pseudonymiser
) -> dict[str, dict[str, list[Reply]]]:
    """Per theme: its 3 most liked replies and 3 typical ones (around its median likes).

    One pass over the tags picks every theme's keys; only those ~6 replies per
    theme are then read in full (a report of a million replies stays fast).
    """
    picks = store.con.execute(THEME_SAMPLE_SQL).fetchall()
    keys = sorted({(k["platform"], k["reply_id"]) for _, _, chosen in picks for k in chosen})
    full: dict[str, Reply] = {}
    for lo in range(0, len(keys), 500):
        part = keys[lo : lo + 500]
        cond = " OR ".join("(platform = ? AND reply_id = ?)" for _ in part)
        for r in reply_rows(
            store, cond, "reply_id, platform", len(part), p, [v for k in part for v in k]
        ):
            full[r.key] = r
    chosen: dict[tuple[str, str], list[str]] = {
        (kind, tid): [f"{k['platform']}:{k['reply_id']}" for k in ks] for kind, tid, ks in picks
    }
    out: dict[str, dict[str, list[Reply]]] = {}
    for tid in theme_ids:
        liked = [full[k] for k in chosen.get(("liked", tid), []) if k in full]
        typical = [full[k] for k in chosen.get(("typical", tid), []) if k in full]
        seen = {r.key for r in liked}
        out[tid] = {"liked": liked, "typical": [r for r in typical if r.key not in seen]}
    return out


def _automatic_findings(themes: list[dict[str, Any]]) -> list[Markup]:
    """Before validation: the largest theme and the most resonant one, by the automatic tags."""
    voiced = [t for t in themes if t["replies_shown"]]
    if not voiced:
        return []
    big = max(voiced, key=lambda t: t["share"] or 0)
    out = [
        Markup(
            "The largest theme by the automatic tags (not validated) is “{}”: {} ({:.0f}% of all)."
        ).format(
            big["label"],
            plural(big["replies_shown"], "reply", "replies"),
            (big["share"] or 0) * 100,
        )
    ]
    # Resonance only means something with enough replies behind it, and not
    # when one reply holds its likes (the figure would be that reply's).
    solid = [
        t
        for t in voiced
        if t["replies_shown"] >= max(5, 0.02 * t["replies_in_scope"])
        and t["resonance"] is not None
        and not t.get("dominance")
    ]
    if solid:
        res = max(solid, key=lambda t: (t["resonance"], t["theme_id"]))
        out.append(
            Markup(
                "The most resonant theme by the automatic tags is “{}”: {:.0f}% of replies but "
                "{:.0f}% of likes (resonance {:.1f}; not corrected for tagging error)."
            ).format(
                res["label"],
                (res["share"] or 0) * 100,
                (res["likes_share"] or 0) * 100,
                res["resonance"],
            )
        )
    return out


def _codebook_gap(
    themes: list[dict[str, Any]], topics: list[dict[str, Any]], untagged: dict[str, Any]
) -> list[Markup]:
    """The biggest topic no theme covers (or what to run to find it)."""
    missed = untagged.get("topics") or []
    if missed and themes:
        top = missed[0]
        size, none = int(top["size"]), int(top["untagged"])
        return [
            Markup("The biggest topic the codebook misses is “{}”: {}.").format(
                top["label"],
                "its one reply carries no theme"
                if size == 1
                else f"none of its {count(size)} replies carries a theme"
                if none == size
                else f"{count(none)} of its {count(size)} replies carry no theme",
            )
        ]
    if not topics:
        return [
            Markup(
                "Topics have not been modelled yet: run <code>replyscope topics</code> "
                "to see what the codebook misses."
            )
        ]
    return []


def headlines(
    themes: list[dict[str, Any]],
    topics: list[dict[str, Any]],
    untagged: dict[str, Any],
    replies: int,
    trust: Trust | None = None,
) -> list[Markup]:
    """The summary's headline findings, computed from the data."""
    if not replies:
        return [
            Markup(
                "No replies in this store yet: run <code>replyscope import FILE</code> "
                "(or <code>replyscope collect URL</code>) first."
            )
        ]
    if trust is not None and trust.themes:
        out = [_largest_corrected(trust)]
    else:
        out = _automatic_findings(themes)
    return out + _codebook_gap(themes, topics, untagged)


def _largest_corrected(trust: Trust) -> Markup:
    """The largest theme by its corrected share, with its interval and the automatic figure."""
    big = max(trust.themes.values(), key=lambda t: (t.get("share") or 0, t.theme_id))
    return Markup(
        "The largest theme is “{}”: about {:.0f}% of replies ({:.0f}–{:.0f}%, corrected for "
        "tagging "
        "error with {} hand-coded replies; the automatic tags alone count {:.0f}%)."
    ).format(
        big.label,
        (big.get("share") or 0) * 100,
        (big.get("share_low") or 0) * 100,
        (big.get("share_high") or 0) * 100,
        count(trust.n_coded),
        (big.get("raw_share") or 0) * 100,
    )
