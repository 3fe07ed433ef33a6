"""Calibrating semantic thresholds on the validation sample: which tags keep validation honest?

`tag --method semantic` fits each theme's threshold on the coded sample that
`validate` then scores and uses to correct the theme shares. This simulates
a population of replies with one theme, a noisy similarity score (theme:
normal around --signal, others around 0.45, sd 0.08), draws simple random
samples, "codes" them with the truth, fits thresholds with replyscope's own
calibration code and corrects the share with its own PPI code
(estimates.compute_ppi_share), for three ways of tagging:

  in-sample   every reply at the threshold fitted on all coded replies
              (before cross-fitting: the sample's tags were fitted on it)
  all-codes   coded replies out-of-fold (threshold chosen without their
              fold), every other reply at the threshold fitted on all codes
  fold-mean   coded replies out-of-fold, every other reply at the mean of
              the fold thresholds (what `tag` does)

and prints, per way: the corrected share's bias, RMSE, 95% interval coverage
and width; the tags' F1 on the sample (what `validate` reports) and their F1
on the replies outside it (the truth `validate` should estimate).

    python benchmarks/crossfit_bench.py [--population 3000] [--n 100] [--samples 600]
                                        [--prevalence 0.12] [--signal 0.62] [--seed 1]
"""

from __future__ import annotations

import argparse

import numpy as np

from analysis.calibration import FOLDS, best_threshold, cross_fit, reply_ranks
from analysis.estimates import compute_ppi_share

WAYS = ("in-sample", "all-codes", "fold-mean")


def _f1(tagged: np.ndarray, truth: np.ndarray) -> float:
    tp = float((tagged & truth).sum())
    return 2 * tp / max(1.0, 2 * tp + float((tagged & ~truth).sum() + (~tagged & truth).sum()))


def _one_sample(
    rng: np.random.Generator, args: argparse.Namespace, draw: int
) -> dict[str, tuple[float, float, float, float, float]] | None:
    """Per way: (estimate − truth, half width, covered, F1 on the sample, F1 outside it)."""
    n_pop = args.population
    truth = rng.random(n_pop) < args.prevalence
    scores = np.where(truth, rng.normal(args.signal, 0.08, n_pop), rng.normal(0.45, 0.08, n_pop))
    idx = rng.choice(n_pop, args.n, replace=False)
    y, s = truth[idx].astype(float), scores[idx]
    if y.sum() < 10:  # calibration needs 10 coded replies with the theme (MIN_POSITIVES)
        return None
    ones, none = np.ones(args.n), np.zeros(args.n, dtype=bool)
    fit = cross_fit(s, y, ones, none, FOLDS, reply_ranks([("x", str(i)) for i in idx], draw))
    out_of_fold = s >= np.asarray(fit.cuts)[fit.fold]
    rest = np.setdiff1d(np.arange(n_pop), idx)
    out = {}
    for way in WAYS:
        cut = float(np.mean(fit.cuts)) if way == "fold-mean" else best_threshold(s, y, ones, none)
        tags = scores >= cut
        if way != "in-sample":
            tags[idx] = out_of_fold
        est = compute_ppi_share(
            float(tags.sum()), n_pop, y - tags[idx], ["all"] * args.n, {"all": float(n_pop)}
        )
        err = est.share - float(truth.mean())
        out[way] = (
            err,
            (est.high - est.low) / 2,
            float(est.low <= truth.mean() <= est.high),
            _f1(tags[idx], truth[idx]),
            _f1(tags[rest], truth[rest]),
        )
    return out


def main() -> None:
    """Run the simulation and print one line per way of tagging."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=3000)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--samples", type=int, default=600)
    ap.add_argument("--prevalence", type=float, default=0.12)
    ap.add_argument("--signal", type=float, default=0.62)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = [r for d in range(args.samples) if (r := _one_sample(rng, args, d)) is not None]
    print(
        f"{len(rows)} samples of {args.n} from {args.population} replies, prevalence "
        f"{args.prevalence}, theme similarity ~{args.signal} vs 0.45 (sd 0.08)"
    )
    for way in WAYS:
        a = np.array([r[way] for r in rows])
        rmse = np.sqrt((a[:, 0] ** 2).mean())
        print(
            f"{way:10s} bias {a[:, 0].mean() * 100:+.2f} pt  RMSE {rmse * 100:.2f} pt  "
            f"coverage {a[:, 2].mean():.3f}  half-width {a[:, 1].mean() * 100:.2f} pt  "
            f"F1 on sample {a[:, 3].mean():.3f}  F1 outside {a[:, 4].mean():.3f}"
        )


if __name__ == "__main__":
    main()
