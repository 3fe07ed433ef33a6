"""How far to trust the theme figures: the latest validation of the latest tags, from the store.

Used by `replyscope themes` and the report. When a coded sample has been
scored against the latest tagging run (`theme_trust` view), every theme gets
its error-corrected share and interval, the automatic share beside it, the
tags' agreement with the coders, and plain-language notes; otherwise the
figures are the automatic tags', labelled "not validated".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from analysis.agreement import MEASURABLE_MIN, RELIABLE_F1, recall_words
from analysis.sample_validation import latest_coded_sample
from reports.queries import query_rows
from store import Store, fetch_one
from textsafety import plural

TRUST_SQL = "SELECT * FROM theme_trust"

# The corrected shares recomputed from the tables (shown in the report's
# method section). It reproduces theme_estimates' shares exactly. Its
# intervals use the sample's variance alone; replyscope's are at least as
# wide: each stratum's variance is kept at or above a model-based floor
# (smoothed disagreement rates and the known likes of every reply — this is
# what keeps likes-weighted intervals honest), a stratum with one coded reply
# borrows the whole sample's variance, and a theme with no disagreement keeps
# a 3/n half-width.
PPI_SQL = """-- Theme shares corrected for tagging error (prediction-powered inference): validation run {run},
-- tagging run {tag}, coded sample {sample}. Stored in theme_estimates (method 'ppi'), view theme_trust.
-- share = (units the tags count + sum over strata h of N_h * mean_h(human - automatic)) / N
-- 95% interval: share +- 1.96 * sqrt(sum_h N_h^2 * (1 - n_h/N_h) * var_h / n_h) / N, with var_h the
-- sample variance here; replyscope keeps var_h at or above a model-based floor (README, "How far can
-- you trust the theme figures?"), so its stored intervals can be wider, never narrower.
WITH q AS (
    SELECT platform, reply_id, campaign_id FROM reply_quality
    WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'quality' AND status = 'ok')
), scope AS (   -- every reply; a coordinated campaign is one unit, its k copies weigh 1/k
    SELECT r.platform, r.reply_id,
           CASE WHEN q.campaign_id IS NULL THEN 'r:' || r.platform || ':' || r.reply_id
                ELSE 'c:' || q.campaign_id END AS unit_id,
           CASE WHEN q.campaign_id IS NULL THEN 1.0
                ELSE 1.0 / count(*) OVER (PARTITION BY q.campaign_id) END AS w,
           greatest(coalesce(r.like_count, 0), 0) AS likes
    FROM replies r LEFT JOIN q USING (platform, reply_id)
), ovr AS (
    SELECT platform, reply_id, theme_id, arg_max(tagged, created_at) AS tagged
    FROM reply_overrides GROUP BY ALL
), tags AS (    -- the tagging run's tags, human corrections applied
    SELECT DISTINCT coalesce(a.platform, o.platform) AS platform,
           coalesce(a.reply_id, o.reply_id) AS reply_id, coalesce(a.theme_id, o.theme_id) AS theme_id
    FROM (SELECT platform, reply_id, theme_id FROM reply_themes WHERE run_id = {tag}) a
    FULL OUTER JOIN ovr o
      ON a.platform = o.platform AND a.reply_id = o.reply_id AND a.theme_id = o.theme_id
    WHERE coalesce(o.tagged, true)
), pop AS (SELECT sum(w) AS n, sum(w * likes) AS total_likes FROM scope
), auto AS (    -- the automatic totals over everything in scope
    SELECT t.theme_id, sum(s.w) AS tagged, sum(s.w * s.likes) AS tagged_likes
    FROM tags t JOIN scope s USING (platform, reply_id) GROUP BY 1
), human AS (   -- each coded reply: the share of its coders who ticked the theme
    SELECT h.platform, h.reply_id, h.theme_id, avg(h.value::INT) AS y, any_value(sr.stratum) AS stratum
    FROM human_codes h JOIN validation_sample_replies sr USING (sample_id, platform, reply_id)
    WHERE h.sample_id = {sample}
      AND h.theme_id IN (SELECT theme_id FROM theme_estimates WHERE run_id = {run})
    GROUP BY ALL
), unit_auto AS (   -- the coded reply's unit: automatic tag, likes and tagged likes
    SELECT h.platform, h.reply_id, h.theme_id, h.y, h.stratum,
           sum(m.w * (t.theme_id IS NOT NULL)::INT) AS f, sum(m.w * m.likes) AS l,
           sum(m.w * m.likes * (t.theme_id IS NOT NULL)::INT) AS fl
    FROM human h JOIN scope u USING (platform, reply_id)
    JOIN scope m ON m.unit_id = u.unit_id
    LEFT JOIN tags t ON t.platform = m.platform AND t.reply_id = m.reply_id AND t.theme_id = h.theme_id
    GROUP BY ALL
), strata AS (  -- N_h: units per stratum when the sample was drawn, scaled to today's scope
    SELECT s.key AS stratum, (s.value->>'units')::DOUBLE * (SELECT n FROM pop) / vs.population AS size
    FROM validation_samples vs, json_each(vs.strata) s WHERE vs.sample_id = {sample}
), per AS (
    SELECT theme_id, stratum, any_value(size) AS size, count(*) AS nh,
           avg(y - f) AS mean_c, coalesce(var_samp(y - f), 0) AS var_c,
           avg(l * y - fl) AS mean_l, coalesce(var_samp(l * y - fl), 0) AS var_l
    FROM unit_auto JOIN strata USING (stratum) GROUP BY ALL
), est AS (
    SELECT per.theme_id, any_value(p.n) AS n, any_value(p.total_likes) AS t,
           coalesce(any_value(a.tagged), 0) + sum(size * mean_c) AS total,
           sum(size * size * (1 - nh / size) * var_c / nh) AS var_total,
           coalesce(any_value(a.tagged_likes), 0) + sum(size * mean_l) AS likes_total,
           sum(size * size * (1 - nh / size) * var_l / nh) AS var_likes,
           coalesce(any_value(a.tagged), 0) AS tagged, coalesce(any_value(a.tagged_likes), 0) AS tagged_likes
    FROM per LEFT JOIN auto a USING (theme_id) CROSS JOIN pop p GROUP BY per.theme_id
)
SELECT theme_id,
       greatest(least(total / n, 1), 0) AS share,
       greatest(total / n - 1.959964 * sqrt(var_total) / n, 0) AS share_low,
       least(total / n + 1.959964 * sqrt(var_total) / n, 1) AS share_high,
       tagged / n AS raw_share,
       greatest(least(likes_total / t, 1), 0) AS likes_share,
       greatest(likes_total / t - 1.959964 * sqrt(var_likes) / t, 0) AS likes_share_low,
       least(likes_total / t + 1.959964 * sqrt(var_likes) / t, 1) AS likes_share_high,
       tagged_likes / t AS raw_likes_share
FROM est ORDER BY theme_id"""  # noqa: E501 (shown in the report as is)


def ppi_sql(trust: Trust) -> str:
    """The recompute SQL for one validation run's corrected shares."""
    return PPI_SQL.format(run=trust.run_id, tag=trust.tag_run_id, sample=trust.sample_id)


@dataclass
class TrustTheme:
    """One theme's figures and agreement from the latest validation."""

    theme_id: str
    label: str
    figures: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def get(self, key: str) -> Any:
        """A figure by name (None when it is missing or not a number)."""
        v = self.figures.get(key)
        return None if isinstance(v, float) and math.isnan(v) else v


@dataclass
class Trust:
    """The latest validation of the latest tagging run."""

    run_id: int
    tag_run_id: int
    sample_id: int
    design: str
    seed: int | None
    n_coded: int
    population: int
    coders: int
    drawn_from: int
    agreement: dict[str, dict[str, Any]]
    themes: dict[str, TrustTheme]
    warnings: list[str]

    @property
    def reliable(self) -> list[str]:
        """Theme ids whose tags are reliable (measurable and F1 ≥ 0.6)."""
        return [t for t, x in self.themes.items() if x.get("reliable")]


def _pct(v: float | None) -> str:
    return "?" if v is None else f"{v * 100:.0f}%"


UNCERTAIN_WIDTH = 0.15  # wider than 15 points: show the range, not a figure to quote


def share_text(value: float | None, low: float | None, high: float | None) -> str:
    """'9.4% (6.5%–12.2%)', or only the range when it is too wide for one figure to mean much."""
    if value is None:
        return "–"
    if low is None or high is None:
        return f"{value * 100:.1f}%"
    if high - low > UNCERTAIN_WIDTH:
        return f"{low * 100:.0f}%–{high * 100:.0f}% (too uncertain for one figure)"
    return f"{value * 100:.1f}% ({low * 100:.1f}%–{high * 100:.1f}%)"


def theme_notes(t: TrustTheme) -> list[str]:
    """Plain-language notes on how far one theme's figure can be trusted."""
    notes = []
    label = t.label
    coded = t.get("coded_with_theme") or 0
    recall, precision = t.get("recall"), t.get("precision")
    if not t.get("measurable"):
        notes.append(
            f"Only {coded:.0f} coded {'reply is' if coded == 1 else 'replies are'} about “{label}” "
            f"(fewer than {MEASURABLE_MIN}): too few to measure the tagger on it, so its corrected "
            "figure rests on few examples. A larger random sample narrows it; `review sample "
            "--stratify theme` finds more replies about rare themes to measure the tagger on, but "
            "widens the shares' intervals."
        )
        return notes
    if recall is not None and recall < 0.85:
        notes.append(
            f"The tagger finds {recall_words(recall)} of the replies about “{label}” "
            f"(recall {recall:.2f}); the corrected figure accounts for that."
        )
    if precision is not None and precision < 0.8:
        notes.append(
            f"About {_pct(1 - precision)} of the replies tagged “{label}” are not about it "
            f"(precision {precision:.2f}); the corrected figure removes them."
        )
    share, raw = t.get("share"), t.get("raw_share")
    if share is not None and raw is not None and abs(share - raw) >= 0.02:
        notes.append(
            f"The automatic count puts “{label}” at {_pct(raw)}; corrected, it is {_pct(share)} "
            f"({_pct(t.get('share_low'))}–{_pct(t.get('share_high'))})."
        )
    f1 = t.get("f1")
    if f1 is not None and f1 < RELIABLE_F1:
        notes.append(
            f"The tags for “{label}” are not reliable (F1 {f1:.2f} < {RELIABLE_F1}): read its "
            "replies as examples, and quote the corrected share with its interval."
        )
    return notes


def _trust_themes(store: Store, rows: list[dict[str, Any]], run_id: int) -> dict[str, TrustTheme]:
    """Each theme's figures: the corrected shares, agreement intervals and the sample-only share."""
    labels = dict(
        store.con.execute(
            """SELECT th.theme_id, th.label FROM themes th JOIN runs r
               ON th.codebook_hash = json_extract_string(r.parameters, '$.codebook_hash')
               WHERE r.run_id = ?""",
            [int(rows[0]["tag_run_id"])],
        ).fetchall()
    )
    sample_rows = {
        r["theme_id"]: r
        for r in query_rows(
            store,
            "SELECT theme_id, share, share_low, share_high FROM theme_estimates WHERE run_id = ? "
            "AND method = 'sample'",
            [run_id],
        )
    }
    scores = {
        r["theme_id"]: r
        for r in query_rows(store, "SELECT * FROM validation_scores WHERE run_id = ?", [run_id])
    }
    themes: dict[str, TrustTheme] = {}
    for r in rows:
        tid = r["theme_id"]
        figures = dict(r)
        s = scores.get(tid, {})
        for m in ("precision", "recall", "f1", "kappa"):
            figures[f"{m}_low"], figures[f"{m}_high"] = s.get(f"{m}_low"), s.get(f"{m}_high")
        sample = sample_rows.get(tid, {})
        figures.update({f"sample_{k}": sample.get(k) for k in ("share", "share_low", "share_high")})
        t = TrustTheme(tid, labels.get(tid, tid), figures)
        t.notes = theme_notes(t)
        themes[tid] = t
    return themes


def load_trust(store: Store) -> Trust | None:
    """The latest validation of the latest tagging run (None when there is none)."""
    try:
        rows = query_rows(store, TRUST_SQL)
    except Exception:
        return None  # a store from before schema 8 opened read-only
    if not rows:
        return None
    first = rows[0]
    run_id, sample_id = int(first["run_id"]), int(first["sample_id"])
    info = fetch_one(
        store.con,
        "SELECT design, seed, population FROM validation_samples WHERE sample_id = ?",
        [sample_id],
    )
    coders = fetch_one(
        store.con,
        "SELECT count(DISTINCT coder) FROM human_code_rows WHERE sample_id = ?",
        [sample_id],
    )
    agreement = {
        r["theme_id"]: r
        for r in query_rows(store, "SELECT * FROM coder_agreement WHERE run_id = ?", [run_id])
    }
    return Trust(
        run_id=run_id,
        tag_run_id=int(first["tag_run_id"]),
        sample_id=sample_id,
        design=str(info[0]) if info else "random",
        seed=None if not info or info[1] is None else int(info[1]),
        n_coded=int(first["n_coded"]),
        population=int(first["population"]),
        coders=int(coders[0]) if coders else 0,
        drawn_from=int(info[2]) if info else int(first["population"]),
        agreement=agreement,
        themes=_trust_themes(store, rows, run_id),
        warnings=_validation_notes(store, run_id)
        + _staleness(store, run_id, sample_id)
        + tag_run_notes(store, int(first["tag_run_id"])),
    )


def tag_run_notes(store: Store, run_id: int) -> list[str]:
    """What a tagging run said about itself: semantic thresholds (calibrated or not), skips."""
    row = fetch_one(
        store.con, "SELECT json_extract(parameters, '$.notes') FROM runs WHERE run_id = ?", [run_id]
    )
    if not row or row[0] is None:
        return []
    notes = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return [str(n) for n in notes or []]


def _validation_notes(store: Store, run_id: int) -> list[str]:
    """The notes the validation run stored (scope changes, strata left uncoded)."""
    row = fetch_one(
        store.con, "SELECT json_extract(summary, '$.notes') FROM runs WHERE run_id = ?", [run_id]
    )
    if not row or row[0] is None:
        return []
    notes = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return [str(n) for n in notes or []]


STALE_SQL = """SELECT
    count(*) FILTER (kind = 'code' AND json_extract(parameters, '$.sample_id')::BIGINT = ?),
    coalesce(sum(rows_added) FILTER (kind IN ('import', 'collect')), 0),
    count(*) FILTER (kind = 'quality')
FROM runs WHERE status = 'ok' AND run_id > ?"""


def _staleness(store: Store, run_id: int, sample_id: int) -> list[str]:
    """Warnings when codes, replies, quality checks or corrections arrived after the validation."""
    out = []
    codes, imported, quality = fetch_one(store.con, STALE_SQL, [sample_id, run_id]) or (0, 0, 0)
    if codes:
        out.append(
            "Codes were imported after this validation: run `replyscope validate` to include them."
        )
    if imported:
        out.append(
            f"{plural(int(imported), 'reply was', 'replies were')} added after this validation: "
            "they carry no tags and the coded sample does not cover them. Run `replyscope tag` "
            "(and draw a new sample to cover them)."
        )
    if quality:
        out.append(
            "Reply quality was checked again after this validation: run `replyscope validate`."
        )
    later_overrides = fetch_one(
        store.con,
        """SELECT count(*) FROM reply_overrides
           WHERE created_at > (SELECT started_at FROM runs WHERE run_id = ?)""",
        [run_id],
    )
    if later_overrides and later_overrides[0]:
        out.append(
            "Tags were corrected (review import) after this validation: run `replyscope validate` "
            "so the corrected shares use them."
        )
    return out


def unvalidated_sample(store: Store) -> int | None:
    """A coded sample that exists but was not scored against the latest tagging run."""
    try:
        return latest_coded_sample(store)
    except Exception:
        return None  # a store from before schema 8 opened read-only


def _res(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _share(v: float | None) -> str:
    """A likes share, with a decimal under 10% so "0% (not 0%)" never happens."""
    return "?" if v is None else f"{v * 100:.1f}%" if v < 0.1 else f"{v * 100:.0f}%"


def dominance_note(row: dict[str, Any]) -> str:
    """The warning for one compute_like_dominance row: who holds the likes, figures without it."""
    figures = (
        f"without it the likes share is {_share(row['likes_share_without'])} "
        f"(not {_share(row['likes_share'])}) and resonance {_res(row['resonance_without'])} "
        f"(not {_res(row['resonance'])})"
    )
    if not row["driver_in_theme"]:
        # The theme lacks that reply: its figures are pulled down by it, not made of it.
        return (
            f"One reply (not in this theme) holds {_pct(row['driver_all_share'])} of all likes, "
            f"which makes every other theme's likes share look small: {figures}."
        )
    if row["driver_theme_share"] > row["driver_all_share"]:
        held = f"One reply holds {_pct(row['driver_theme_share'])} of this theme's likes"
    else:
        held = f"One reply (in this theme) holds {_pct(row['driver_all_share'])} of all likes"
    return f"{held}: {figures}. Treat this theme's likes figures as one reply's, not the theme's."


def load_dominance_notes(store: Store, *, campaigns_once: bool = False) -> dict[str, str]:
    """theme_id -> warning, for the themes whose likes figures one reply drives."""
    from analysis.themes import load_like_dominance

    frame = load_like_dominance(store, campaigns_once=campaigns_once)
    return {row["theme_id"]: dominance_note(row) for row in frame.iter_rows(named=True)}
