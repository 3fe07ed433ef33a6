"""Validate the tags on a coded sample: agreement, and theme shares corrected for tagging error.

For the latest tagging run and a hand-coded validation sample (default: the
latest sample with codes) this computes, per theme:
- the tags' precision, recall, F1 and kappa against the human codes, each
  with a bootstrap interval over the sample, and whether the theme is
  measurable (at least 10 coded replies carry it);
- the share of replies and the likes-weighted share, corrected for tagging
  error by prediction-powered inference (see analysis/estimates.py), beside
  the automatic share in the same scope, and the plain sample share with a
  Wilson interval as a second opinion;
- with several coders, their agreement (Cohen's kappa, Krippendorff's alpha).
It stores them as one `validate` run (validation_scores, coder_agreement,
theme_estimates). The scope is the report's: each coordinated campaign is
one unit, its copies weighing 1/k each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analysis import agreement as ag
from analysis.estimates import (
    NAN_ESTIMATE,
    CellTotals,
    Estimate,
    compute_model_variance,
    compute_ppi_share,
    compute_sample_share,
    smoothed_rate,
)
from analysis.quality import latest_run
from analysis.sampling import (
    ALL_STRATUM,
    SampleError,
    SampleInfo,
    compute_units,
    latest_tag_run,
    load_run_tags,
    load_sample,
    load_scope,
    load_theme_ids,
)
from store import RunCounts, Store, fetch_one, finish_run, start_run


@dataclass(frozen=True)
class ValidationInputs:
    """Everything the estimates need, as arrays (rows: coded units, columns: themes)."""

    theme_ids: list[str]
    human: np.ndarray  # n x K, share of coders who ticked the theme
    auto: np.ndarray  # n x K, the unit's automatic tag (a fraction for a split campaign)
    likes: np.ndarray  # n, the unit's likes (a campaign's mean)
    auto_likes: np.ndarray  # n x K, likes of the unit's tagged copies
    strata: list[str]  # n
    sizes: dict[str, float]  # N_h, scaled to today's population
    population: float  # N: units in scope
    total_likes: float  # T
    auto_total: np.ndarray  # K: units tagged, over the population
    auto_likes_total: np.ndarray  # K: likes of tagged units, over the population
    codes: dict[str, dict[str, dict[str, bool]]]  # coder -> reply key -> theme -> code
    # Population totals per (stratum, theme), split by automatic tag: for the
    # model-based variance floor (see estimates.compute_model_variance).
    cells: dict[tuple[str, str], CellTotals] = field(default_factory=dict)


@dataclass(frozen=True)
class ThemeScore:
    """Agreement of the tags with the human codes on one theme (or _micro / _macro)."""

    theme_id: str
    coded: float
    measurable: bool
    counts: tuple[float, float, float, float]
    values: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]

    @property
    def reliable(self) -> bool:
        """Measurable and F1 ≥ 0.6."""
        f1 = self.values.get("f1", float("nan"))
        return self.measurable and not np.isnan(f1) and f1 >= ag.RELIABLE_F1


@dataclass(frozen=True)
class ThemeEstimate:
    """One theme's estimated shares by one method ('ppi' or 'sample')."""

    theme_id: str
    method: str
    share: Estimate
    likes_share: Estimate
    raw_share: float
    raw_likes_share: float
    coded_with_theme: float


@dataclass
class SampleValidation:
    """What one validation of a coded sample found."""

    run_id: int
    info: SampleInfo
    tag_run_id: int
    coders: list[str]
    n_coded: int
    population: int
    scores: list[ThemeScore]
    estimates: list[ThemeEstimate]
    agreement: list[ag.CoderAgreement]
    notes: list[str] = field(default_factory=list)


def latest_coded_sample(store: Store) -> int | None:
    """The sample whose codes were imported last (what `validate` scores by default)."""
    row = fetch_one(
        store.con, "SELECT sample_id FROM human_code_rows ORDER BY import_run_id DESC LIMIT 1"
    )
    return int(row[0]) if row and row[0] is not None else None


def _codes(
    store: Store, sample_id: int, theme_ids: list[str]
) -> dict[str, dict[str, dict[str, bool]]]:
    """coder -> 'platform:reply_id' -> theme -> code, for the themes both codebooks share."""
    out: dict[str, dict[str, dict[str, bool]]] = {}
    for platform, reply_id, coder, theme, value in store.con.execute(
        "SELECT platform, reply_id, coder, theme_id, value FROM human_codes WHERE sample_id = ?",
        [sample_id],
    ).fetchall():
        if theme in theme_ids:
            out.setdefault(coder, {}).setdefault(f"{platform}:{reply_id}", {})[theme] = bool(value)
    return out


def _unit_matrix(
    scope: pl.DataFrame, tags: pl.DataFrame, units: list[str], theme_ids: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(auto n x K, likes n, auto_likes n x K): one row per coded reply, from its unit.

    A unit is a reply or a whole campaign (its copies weighted 1/k); two coded
    replies of one unit each get the unit's figures.
    """
    distinct = sorted(set(units))
    index = {u: i for i, u in enumerate(distinct)}
    members = scope.filter(pl.col("unit_id").is_in(distinct))
    auto = np.zeros((len(distinct), len(theme_ids)))
    auto_likes = np.zeros((len(distinct), len(theme_ids)))
    likes = np.zeros(len(distinct))
    for unit, weight, like in members.select("unit_id", "weight", "likes").iter_rows():
        likes[index[unit]] += weight * like
    col = {t: k for k, t in enumerate(theme_ids)}
    tagged = tags.join(members, on=["platform", "reply_id"]).select(
        "unit_id", "theme_id", "weight", "likes"
    )
    for unit, theme, weight, like in tagged.iter_rows():
        if theme in col:
            auto[index[unit], col[theme]] += weight
            auto_likes[index[unit], col[theme]] += weight * like
    rows = [index[u] for u in units]
    return auto[rows], likes[rows], auto_likes[rows]


def _coded_rows(
    store: Store, info: SampleInfo, scope: pl.DataFrame, coded_keys: list[str]
) -> pl.DataFrame:
    """key, platform, reply_id, stratum and current unit of each coded reply."""
    sample = pl.from_arrow(
        store.con.sql(
            """SELECT platform || ':' || reply_id AS key, platform, reply_id, stratum
               FROM validation_sample_replies WHERE sample_id = ?""",
            params=[info.sample_id],
        ).to_arrow_table()
    )
    assert isinstance(sample, pl.DataFrame)
    return (
        pl.DataFrame({"key": coded_keys}, schema={"key": pl.String})
        .join(sample, on="key", how="left", maintain_order="left")
        .join(
            scope.select("platform", "reply_id", "unit_id"), on=["platform", "reply_id"], how="left"
        )
        .with_columns(pl.col("unit_id").fill_null(""), pl.col("stratum").fill_null(ALL_STRATUM))
    )


def _automatic_totals(
    scope: pl.DataFrame, tags: pl.DataFrame, theme_ids: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Units and likes the tags count per theme over the whole scope (copies weighted 1/k)."""
    totals = {
        t: (w, wl)
        for t, w, wl in tags.join(scope, on=["platform", "reply_id"])
        .group_by("theme_id")
        .agg(pl.col("weight").sum(), (pl.col("weight") * pl.col("likes")).sum().alias("wl"))
        .iter_rows()
    }
    return (
        np.array([totals.get(t, (0.0, 0.0))[0] for t in theme_ids]),
        np.array([totals.get(t, (0.0, 0.0))[1] for t in theme_ids]),
    )


def _scope_notes(store: Store, info: SampleInfo, population: float, strata: list[str]) -> list[str]:
    """What the user must know about the scope: growth since the draw, strata left uncoded."""
    notes = []
    drawn = float(info.population) or population
    if abs(population - drawn) >= 0.5:
        notes.append(
            f"{population - drawn:+,.0f} units since the sample was drawn ({drawn:,.0f} then, "
            f"{population:,.0f} now): the sample only represents the replies stored then; "
            "draw a new sample to cover the rest."
        )
    latest = latest_run(store)
    if latest != info.quality_run_id:
        notes.append(
            "Reply quality was checked again after the sample was drawn: these figures keep the "
            "campaigns as they were then (the report's other figures use the latest check)."
        )
    coded = set(strata)
    for h, v in sorted(info.strata.items()):
        if h not in coded and int(v.get("drawn", 0)):
            notes.append(
                f"No reply of stratum {h!r} is coded (its {v['drawn']} rows on the sheet are "
                "blank): it is estimated from the other strata, which can bias every figure. Code "
                "those rows and import the sheet again with --replace."
            )
    return notes


def load_validation_inputs(
    store: Store, info: SampleInfo, tag_run_id: int, theme_ids: list[str]
) -> tuple[ValidationInputs, list[str]]:
    """Read the scope (as drawn), the tags and the codes; return the arrays and scope notes."""
    scope = load_scope(store, quality_run=info.quality_run_id)
    tags = load_run_tags(store, tag_run_id, blind_to=info).filter(
        pl.col("theme_id").is_in(theme_ids)
    )
    codes = _codes(store, info.sample_id, theme_ids)
    coded_keys = sorted({k for per in codes.values() for k in per})
    coded = _coded_rows(store, info, scope, coded_keys)
    auto, likes, auto_likes = _unit_matrix(scope, tags, coded["unit_id"].to_list(), theme_ids)
    human = np.array(
        [
            [np.mean([codes[c][key][t] for c in codes if key in codes[c]]) for t in theme_ids]
            for key in coded_keys
        ]
    ).reshape(len(coded_keys), len(theme_ids))
    population = float(scope["weight"].sum())
    scale = population / (float(info.population) or population)
    sizes = {h: float(v["units"]) * scale for h, v in info.strata.items()} or {
        ALL_STRATUM: population
    }
    strata = coded["stratum"].to_list()
    auto_total, auto_likes_total = _automatic_totals(scope, tags, theme_ids)
    inputs = ValidationInputs(
        theme_ids=theme_ids,
        human=human,
        auto=auto,
        likes=likes,
        auto_likes=auto_likes,
        strata=strata,
        sizes=sizes,
        population=population,
        total_likes=float((scope["weight"] * scope["likes"]).sum()),
        auto_total=auto_total,
        auto_likes_total=auto_likes_total,
        codes=codes,
        cells=population_cells(
            scope, tags, _unit_strata(store, info, scope), theme_ids, sizes=set(sizes)
        ),
    )
    return inputs, _scope_notes(store, info, population, strata)


def _unit_strata(store: Store, info: SampleInfo, scope: pl.DataFrame) -> pl.DataFrame:
    """unit_id -> stratum as drawn (a stratified sample's strata come from its tag run)."""
    units = scope.select("unit_id").unique()
    if info.design != "stratified" or info.tag_run_id is None:
        return units.with_columns(stratum=pl.lit(ALL_STRATUM))
    order = load_theme_ids(store, info.codebook_hash)
    drawn_with = compute_units(scope, load_run_tags(store, info.tag_run_id, blind_to=info), order)
    return drawn_with.select("unit_id", pl.col("stratum_theme").alias("stratum"))


def population_cells(
    scope: pl.DataFrame,
    tags: pl.DataFrame,
    strata: pl.DataFrame,
    theme_ids: list[str],
    *,
    sizes: set[str],
) -> dict[tuple[str, str], CellTotals]:
    """Units, Σ likes and Σ likes² per stratum and theme, for untagged and tagged units."""
    units = (
        scope.group_by("unit_id")
        .agg((pl.col("weight") * pl.col("likes")).sum().alias("likes"))
        .join(strata, on="unit_id", how="left")
        .with_columns(pl.col("stratum").fill_null(ALL_STRATUM))
    )
    per_unit = (
        tags.join(scope, on=["platform", "reply_id"])
        .group_by("unit_id", "theme_id")
        .agg(pl.col("weight").sum().alias("f"))
        .filter(pl.col("f") >= 0.5)
        .join(units, on="unit_id")
    )
    totals = {
        h: (float(n), float(sl), float(sl2))
        for h, n, sl, sl2 in units.group_by("stratum")
        .agg(pl.len(), pl.col("likes").sum(), (pl.col("likes") ** 2).sum().alias("l2"))
        .iter_rows()
    }
    tagged = {
        (h, t): (float(n), float(sl), float(sl2))
        for h, t, n, sl, sl2 in per_unit.group_by("stratum", "theme_id")
        .agg(pl.len(), pl.col("likes").sum(), (pl.col("likes") ** 2).sum().alias("l2"))
        .iter_rows()
    }
    out: dict[tuple[str, str], CellTotals] = {}
    for h in sizes:
        n, sl, sl2 = totals.get(h, (0.0, 0.0, 0.0))
        for t in theme_ids:
            n1, sl1, sl21 = tagged.get((h, t), (0.0, 0.0, 0.0))
            out[(h, t)] = CellTotals((n - n1, n1), (sl - sl1, sl1), (sl2 - sl21, sl21))
    return out


def variance_floors(inputs: ValidationInputs, k: int) -> tuple[dict[str, float], dict[str, float]]:
    """Model-based per-unit variance floors (counts, likes) per stratum for theme k."""
    theme = inputs.theme_ids[k]
    diff = inputs.human[:, k] - inputs.auto[:, k]
    tagged = inputs.auto[:, k] >= 0.5
    labels = np.asarray(inputs.strata, dtype=object)
    pooled = {
        f: (float(np.sum(np.abs(diff[tagged == f]) >= 0.5)), float(np.sum(tagged == f)))
        for f in (False, True)
    }
    counts: dict[str, float] = {}
    likes: dict[str, float] = {}
    for h in inputs.sizes:
        cell = inputs.cells.get((h, theme))
        if cell is None:
            continue
        rates, means = [], []
        for f in (False, True):
            mask = (labels == h) & (tagged == f)
            m = float(mask.sum())
            events = float(np.sum(np.abs(diff[mask]) >= 0.5)) if m else pooled[f][0]
            # A stratum with few coded units of this kind may show no error by
            # chance: the rate over all strata (more units) keeps a floor under it.
            rate = smoothed_rate(events, m if m else pooled[f][1])
            rates.append(max(rate, smoothed_rate(*pooled[f])))
            means.append(float(diff[mask].mean()) if m else 0.0)
        counts[h], likes[h] = compute_model_variance(
            cell, (rates[0], rates[1]), (means[0], means[1])
        )
    return counts, likes


def compute_scores(inputs: ValidationInputs) -> list[ThemeScore]:
    """Per-theme agreement with bootstrap intervals, then the _micro and _macro rows."""
    n_h: dict[str, int] = {}
    for h in inputs.strata:
        n_h[h] = n_h.get(h, 0) + 1
    weights = np.array([inputs.sizes[h] / n_h[h] for h in inputs.strata])
    counts = ag.confusion(inputs.auto, inputs.human, weights)  # 4 x K
    values = ag.scores_from_counts(counts)
    boot = ag.bootstrap_scores(inputs.auto, inputs.human, weights, inputs.strata)
    coded_with = (inputs.human >= 0.5).sum(axis=0)
    out = []
    for k, theme in enumerate(inputs.theme_ids):
        out.append(
            ThemeScore(
                theme_id=theme,
                coded=float(coded_with[k]),
                measurable=bool(coded_with[k] >= ag.MEASURABLE_MIN),
                counts=tuple(float(c) for c in counts[:, k]),  # type: ignore[arg-type]
                values={m: float(v[k]) for m, v in values.items()},
                low={m: float(lo[k]) for m, (lo, _hi) in boot.items()},
                high={m: float(hi[k]) for m, (_lo, hi) in boot.items()},
            )
        )
    pooled = counts.sum(axis=1)
    micro = ag.scores_from_counts(pooled[:, None])
    out.append(
        ThemeScore(
            "_micro",
            float(coded_with.sum()),
            False,
            tuple(float(c) for c in pooled),  # type: ignore[arg-type]
            {m: float(v[0]) for m, v in micro.items()},
            {},
            {},
        )
    )
    f1s = [s.values["f1"] for s in out[:-1] if s.coded > 0 and not np.isnan(s.values["f1"])]
    out.append(
        ThemeScore(
            "_macro",
            float(coded_with.sum()),
            False,
            (np.nan, np.nan, np.nan, np.nan),
            {"f1": float(np.mean(f1s)) if f1s else np.nan},
            {},
            {},
        )
    )
    return out


def compute_estimates(inputs: ValidationInputs) -> list[ThemeEstimate]:
    """PPI and sample-only shares (counts and likes) for every theme."""
    out = []
    n = inputs.population
    t = inputs.total_likes
    for k, theme in enumerate(inputs.theme_ids):
        y, f = inputs.human[:, k], inputs.auto[:, k]
        raw = inputs.auto_total[k] / n if n else np.nan
        raw_likes = inputs.auto_likes_total[k] / t if t else np.nan
        coded_with = float((y >= 0.5).sum())
        floor_counts, floor_likes = variance_floors(inputs, k) if inputs.cells else ({}, {})
        ppi = compute_ppi_share(
            inputs.auto_total[k], n, y - f, inputs.strata, inputs.sizes, var_floor=floor_counts
        )
        ppi_likes = compute_ppi_share(
            inputs.auto_likes_total[k],
            t,
            inputs.likes * y - inputs.auto_likes[:, k],
            inputs.strata,
            inputs.sizes,
            var_floor=floor_likes,
        )
        out.append(ThemeEstimate(theme, "ppi", ppi, ppi_likes, raw, raw_likes, coded_with))
        sample = compute_sample_share(y, inputs.strata, inputs.sizes)
        # No sample-only likes share: likes sit on few replies, and a sample
        # that missed them cannot know (benchmarks/estimate_bench.py: its
        # intervals held the truth in only 55–73% of samples).
        out.append(ThemeEstimate(theme, "sample", sample, NAN_ESTIMATE, raw, raw_likes, coded_with))
    return out


def _themes_to_validate(
    store: Store, sample_id: int, codebook_hash: str
) -> tuple[list[str], list[str]]:
    """(themes of the current codebook that the sample was coded with, notes on the others)."""
    current = load_theme_ids(store, codebook_hash)
    coded_themes = {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT theme_id FROM human_codes WHERE sample_id = ?", [sample_id]
        ).fetchall()
    }
    if not coded_themes:
        raise SampleError(
            f"sample {sample_id} has no codes yet: fill in its sheet and load it with "
            "`replyscope review import SHEET.xlsx --coder NAME`."
        )
    theme_ids = [t for t in current if t in coded_themes]
    if not theme_ids:
        raise SampleError(
            f"sample {sample_id} was coded with other themes ({', '.join(sorted(coded_themes))}) "
            "than the latest tagging run's codebook; tag with a codebook keeping those theme ids."
        )
    skipped = [t for t in current if t not in coded_themes]
    notes = []
    if skipped:
        notes.append(
            f"Not in the coded sample, so not validated: {', '.join(skipped)} (the sample was "
            "coded with an earlier codebook). Draw a new sample to validate them."
        )
    return theme_ids, notes


def validate_sample(store: Store, sample_id: int | None = None) -> SampleValidation:
    """Score the latest tagging run on a coded sample and store agreement and corrected shares."""
    chosen = sample_id if sample_id is not None else latest_coded_sample(store)
    if chosen is None:
        raise SampleError(
            "no coded sample yet: draw one with `replyscope review sample --n 200 -o sample.xlsx`, "
            "code it, and load it with `replyscope review import sample.xlsx --coder NAME`."
        )
    info = load_sample(store, chosen)
    tag_run, codebook_hash = latest_tag_run(store)
    theme_ids, notes = _themes_to_validate(store, chosen, codebook_hash)
    inputs, scope_notes = load_validation_inputs(store, info, tag_run, theme_ids)
    notes += scope_notes
    agreement = ag.compute_coder_agreement(inputs.codes, theme_ids)
    if agreement and agreement[-1].items == 0:
        notes.append(
            f"The {len(inputs.codes)} coders coded no reply in common, so their agreement cannot "
            "be measured: give some replies to every coder (each codes a copy of the whole sheet)."
        )
        agreement = []
    result = SampleValidation(
        run_id=0,
        info=info,
        tag_run_id=tag_run,
        coders=sorted(inputs.codes),
        n_coded=len(inputs.strata),
        population=round(inputs.population),
        scores=compute_scores(inputs),
        estimates=compute_estimates(inputs),
        agreement=agreement,
        notes=notes,
    )
    result.run_id = save_validation(store, result)
    return result


def _nan_none(v: float) -> float | None:
    return None if v is None or np.isnan(v) else float(v)


def save_validation(store: Store, v: SampleValidation) -> int:
    """Store one validation run: scores, coder agreement and theme estimates."""
    with store.transaction():
        run_id = start_run(
            store,
            "validate",
            parameters={
                "sample_id": v.info.sample_id,
                "tag_run_id": v.tag_run_id,
                "coders": len(v.coders),
            },
        )
        store.con.executemany(
            """INSERT INTO validation_scores (run_id, tag_run_id, theme_id, support, tp, fp, fn, tn,
                   precision, recall, f1, kappa, sample_id, coded, measurable,
                   precision_low, precision_high, recall_low, recall_high, f1_low, f1_high,
                   kappa_low, kappa_high)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [_score_row(run_id, v, s) for s in v.scores],
        )
        if v.agreement:
            store.con.executemany(
                "INSERT INTO coder_agreement VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [run_id, v.info.sample_id, a.theme_id, a.coders, a.items, a.kappa, a.alpha]
                    for a in v.agreement
                ],
            )
        store.con.executemany(
            "INSERT INTO theme_estimates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    v.tag_run_id,
                    v.info.sample_id,
                    e.theme_id,
                    e.method,
                    _nan_none(e.share.share),
                    _nan_none(e.share.low),
                    _nan_none(e.share.high),
                    _nan_none(e.raw_share),
                    _nan_none(e.likes_share.share),
                    _nan_none(e.likes_share.low),
                    _nan_none(e.likes_share.high),
                    _nan_none(e.raw_likes_share),
                    v.n_coded,
                    e.coded_with_theme,
                    v.population,
                ]
                for e in v.estimates
            ],
        )
        finish_run(
            store,
            run_id,
            RunCounts(rows_in=v.n_coded, rows_added=len(v.scores), summary={"notes": v.notes}),
        )
    return run_id


def _score_row(run_id: int, v: SampleValidation, s: ThemeScore) -> list[object]:
    tp, _fp, fn, _tn = s.counts
    return [
        run_id,
        v.tag_run_id,
        s.theme_id,
        _nan_none(tp + fn),
        *(_nan_none(c) for c in s.counts),
        *(_nan_none(s.values.get(m, np.nan)) for m in ("precision", "recall", "f1", "kappa")),
        v.info.sample_id,
        s.coded,
        s.measurable if not s.theme_id.startswith("_") else None,
        *(
            _nan_none(side.get(m, np.nan))
            for m in ("precision", "recall", "f1", "kappa")
            for side in (s.low, s.high)
        ),
    ]
