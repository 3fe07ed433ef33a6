"""Do the error-corrected theme shares keep their promise? Coverage and bias in simulation.

Simulates a population of 20,000 replies whose true themes are known, and a
tagger with a known recall and precision per theme (default recall 0.45,
precision 0.8: the project's keyword tagger on its hand-coded set). Then
draws 200 samples of 200 replies, "codes" them with the true themes, and for
every sample and theme computes, with replyscope's own code:

  corrected   prediction-powered inference (what `replyscope themes` shows)
  sample      the coded sample alone, Wilson interval (the strongest simple
              baseline: what a careful analyst would do with 200 coded replies)
  automatic   the tags' share with replyscope's bootstrap interval (what the
              report showed before validation: it ignores tagging error)

and prints, per theme and method, the coverage of the 95% intervals (share of
samples whose interval holds the true share), the bias (mean estimate − truth,
in percentage points) and the mean interval width. Targets for the corrected
share: coverage between 0.92 and 0.98 and |bias| < 1 point. The automatic
share is the same in every sample (it uses no sample), so its coverage is 0
or 1 per theme. Both designs are run: simple random samples, and samples
stratified by the rarest automatic theme (weights carried into the estimate).
Likes-weighted shares are reported too (likes: Pareto with shape 1.3, as
heavy-tailed as real reply likes, boosted on one theme and damped on another).
Their corrected intervals use a model-based variance floor (the likes of
every reply are known, only their codes are not), so they are wide rather
than wrong.

    python benchmarks/estimate_bench.py [--population 20000] [--samples 200] [--n 200]
                                        [--seed 12] [--preset default|rare]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.engagement import compute_theme_stats
from analysis.estimates import CellTotals
from analysis.sample_validation import ValidationInputs, compute_estimates, population_cells
from analysis.sampling import ALL_STRATUM, NONE_STRATUM, compute_draw

# (theme, true prevalence, tagger recall, tagger precision, likes multiplier)
RARE_THEMES = [  # --preset rare: themes of 0.5-3% beside one of 12%
    ("p005", 0.005, 0.45, 0.80, 1.0),
    ("p01", 0.01, 0.45, 0.80, 1.0),
    ("p02", 0.02, 0.45, 0.80, 1.0),
    ("p03", 0.03, 0.45, 0.80, 1.0),
    ("p12", 0.12, 0.45, 0.80, 1.0),
]
THEMES = [
    ("rare", 0.03, 0.45, 0.80, 1.0),
    ("small", 0.06, 0.45, 0.80, 3.0),
    ("medium", 0.12, 0.45, 0.80, 1.0),
    ("large", 0.25, 0.45, 0.80, 0.5),
    ("good_tagger", 0.12, 0.85, 0.90, 1.0),
]


@dataclass
class Population:
    """True codes, automatic tags and likes of every unit."""

    truth: np.ndarray  # N x K bool
    auto: np.ndarray  # N x K bool
    likes: np.ndarray  # N


def simulate(n_units: int, seed: int) -> Population:
    """Draw true themes, a tagger with the given recall/precision, and heavy-tailed likes."""
    rng = np.random.default_rng(seed)
    k = len(THEMES)
    truth = np.zeros((n_units, k), dtype=bool)
    auto = np.zeros((n_units, k), dtype=bool)
    base = np.floor(rng.pareto(1.3, n_units) * 2).astype(float)
    likes = base.copy()
    for j, (_name, prev, recall, precision, boost) in enumerate(THEMES):
        truth[:, j] = rng.random(n_units) < prev
        found = truth[:, j] & (rng.random(n_units) < recall)
        # False positives so that precision = TP / (TP + FP) holds in expectation.
        fp_rate = recall * prev * (1 - precision) / precision / (1 - prev)
        wrong = ~truth[:, j] & (rng.random(n_units) < fp_rate)
        auto[:, j] = found | wrong
        likes = np.where(truth[:, j], likes * boost, likes)
    return Population(truth, auto, np.floor(likes))


def units_frame(pop: Population) -> pl.DataFrame:
    """unit_id and stratum theme (rarest automatic theme) as analysis.sampling expects."""
    counts = pop.auto.sum(axis=0)
    order = np.argsort(counts, kind="stable")
    names = [t[0] for t in THEMES]
    stratum = []
    for row in pop.auto:
        tagged = [names[j] for j in order if row[j]]
        stratum.append(tagged[0] if tagged else NONE_STRATUM)
    return pl.DataFrame(
        {"unit_id": [f"u{i:06d}" for i in range(len(stratum))], "stratum_theme": stratum}
    )


def cells_for(
    pop: Population, units: pl.DataFrame, design: str
) -> dict[tuple[str, str], CellTotals]:
    """Population totals per stratum and theme, as replyscope computes them from the store."""
    ids = units["unit_id"]
    scope = pl.DataFrame(
        {
            "platform": ["x"] * len(ids),
            "reply_id": ids,
            "unit_id": ids,
            "weight": [1.0] * len(ids),
            "likes": pop.likes,
        }
    )
    rows = [(ids[int(i)], THEMES[j][0]) for i, j in zip(*np.nonzero(pop.auto), strict=True)]
    tags = pl.DataFrame(rows, schema={"reply_id": pl.String, "theme_id": pl.String}, orient="row")
    tags = tags.with_columns(platform=pl.lit("x"))
    if design == "theme":
        strata = units.select("unit_id", pl.col("stratum_theme").alias("stratum"))
    else:
        strata = units.select("unit_id").with_columns(stratum=pl.lit(ALL_STRATUM))
    names = set(strata["stratum"].unique().to_list())
    return population_cells(scope, tags, strata, [t[0] for t in THEMES], sizes=names)


def estimate(
    pop: Population,
    drawn: pl.DataFrame,
    strata: dict[str, dict[str, int]],
    cells: dict[tuple[str, str], CellTotals],
) -> list:
    """replyscope's estimates for one drawn sample."""
    idx = np.array([int(u[1:]) for u in drawn["unit_id"].to_list()])
    auto = pop.auto[idx].astype(float)
    likes = pop.likes[idx]
    inputs = ValidationInputs(
        theme_ids=[t[0] for t in THEMES],
        human=pop.truth[idx].astype(float),
        auto=auto,
        likes=likes,
        auto_likes=auto * likes[:, None],
        strata=drawn["stratum"].to_list(),
        sizes={h: float(v["units"]) for h, v in strata.items()},
        population=float(len(pop.likes)),
        total_likes=float(pop.likes.sum()),
        auto_total=pop.auto.sum(axis=0).astype(float),
        auto_likes_total=(pop.auto * pop.likes[:, None]).sum(axis=0).astype(float),
        codes={},
        cells=cells,
    )
    return compute_estimates(inputs)


def automatic_intervals(pop: Population) -> dict[str, tuple[float, ...]]:
    """The automatic shares with replyscope's bootstrap intervals (sampling of replies only)."""
    keys = [f"u{i}" for i in range(len(pop.likes))]
    replies = pl.DataFrame({"key": keys, "like_count": pop.likes.astype(np.int64)})
    rows = [(keys[i], THEMES[j][0]) for i, j in zip(*np.nonzero(pop.auto), strict=True)]
    tags = pl.DataFrame(rows, schema={"key": pl.String, "theme_id": pl.String}, orient="row")
    stats = compute_theme_stats(replies, tags, [t[0] for t in THEMES], replicates=500)
    return {
        r["theme_id"]: (
            r["share"],
            r["share_low"],
            r["share_high"],
            r["likes_share"],
            r["likes_share_low"],
            r["likes_share_high"],
        )
        for r in stats.to_dicts()
    }


def run(args: argparse.Namespace) -> None:
    """Simulate, draw, estimate and print the coverage table."""
    started = time.perf_counter()
    pop = simulate(args.population, args.seed)
    truth = pop.truth.mean(axis=0)
    truth_likes = (pop.truth * pop.likes[:, None]).sum(axis=0) / pop.likes.sum()
    units = units_frame(pop)
    auto = automatic_intervals(pop)
    print(
        f"Population {args.population:,} replies; {args.samples} samples of {args.n} per design; "
        f"seed {args.seed}.\n"
    )
    verdicts = []
    for design in ("none", "theme"):
        records: dict[tuple[str, str, str], list[tuple[float, float, float]]] = {}
        cells = cells_for(pop, units, design)
        for rep in range(args.samples):
            drawn, strata = compute_draw(units, args.n, args.seed * 1000 + rep, design)
            for e in estimate(pop, drawn, strata, cells):
                for kind, est in (("share", e.share), ("likes", e.likes_share)):
                    records.setdefault((e.theme_id, e.method, kind), []).append(
                        (est.share, est.low, est.high)
                    )
        name = "simple random samples" if design == "none" else "stratified samples (by theme)"
        print(f"== {name} ==")
        print(
            f"{'theme':<12} {'true':>6} {'R/P':>9}  {'measure':<7} {'method':<10} "
            f"{'coverage':>8} {'bias pts':>8} {'width pts':>9}"
        )
        for j, (theme, _prev, recall, precision, _boost) in enumerate(THEMES):
            for kind, target in (("share", truth[j]), ("likes", truth_likes[j])):
                rows = [("corrected", "ppi"), ("sample", "sample"), ("automatic", None)]
                if kind == "likes":
                    # replyscope computes no sample-only likes share (see sample_validation).
                    rows = [("corrected", "ppi"), ("automatic", None)]
                for label, method in rows:
                    if method is None:
                        a = auto[theme]
                        est, lo, hi = (a[0], a[1], a[2]) if kind == "share" else (a[3], a[4], a[5])
                        values = np.array([[est, lo, hi]] * args.samples)
                    else:
                        values = np.array(records[(theme, method, kind)], dtype=float)
                    cover = float(np.mean((values[:, 1] <= target) & (target <= values[:, 2])))
                    bias = float(np.mean(values[:, 0]) - target) * 100
                    width = float(np.mean(values[:, 2] - values[:, 1])) * 100
                    print(
                        f"{theme:<12} {target * 100:>5.1f}% {recall:.2f}/{precision:.2f}  "
                        f"{kind:<7} "
                        f"{label:<10} {cover:>8.3f} {bias:>+8.2f} {width:>9.2f}"
                    )
                    if method == "ppi" and kind == "share":
                        verdicts.append((design, theme, cover, bias))
        print()
    ok = [0.92 <= c <= 0.98 and abs(b) < 1.0 for _d, _t, c, b in verdicts]
    print(
        "Corrected share targets (coverage 0.92–0.98, |bias| < 1 point): "
        f"{sum(ok)} of {len(ok)} theme × design cells met."
    )
    for (design, theme, cover, bias), good in zip(verdicts, ok, strict=True):
        if not good:
            print(f"  not met: {design} / {theme}: coverage {cover:.3f}, bias {bias:+.2f} points")
    print(f"({time.perf_counter() - started:.0f} s)")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--preset", choices=["default", "rare"], default="default")
    args = parser.parse_args()
    if args.preset == "rare":
        THEMES[:] = RARE_THEMES
    run(args)


if __name__ == "__main__":
    main()
