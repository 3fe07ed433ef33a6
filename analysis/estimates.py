"""Theme shares that carry the tagging error: prediction-powered inference on a coded sample.

The automatic tags cover every reply but are wrong on some; a hand-coded
random sample is right but small. Prediction-powered inference (PPI;
Angelopoulos et al., Science 2023) uses both: the share the tags give over
the whole population, plus the mean of (human − automatic) over the coded
sample, which measures and removes the tags' bias. Its 95% interval comes from
the variance of that difference, so a tagger that misses half the replies
widens it and a perfect tagger narrows it to almost nothing.

With a stratified sample (rare themes oversampled) each stratum h of N_h units
has n_h coded ones: the correction is Σ_h (N_h / N) × mean_h(difference), and
its variance Σ_h (N_h / N)² (1 − n_h / N_h) s²_h / n_h — the standard
stratified estimator, with the finite-population correction (1 − n_h / N_h)
that matters when the sample is a large part of the population. A simple
random sample is the case of one stratum.

Everything here is pure numpy on arrays; the store-facing code is in
`analysis/sample_validation.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile
# When the sample shows no disagreement at all, the variance of the
# difference is 0 and a plain interval would have no width; the "rule of
# three" (3/n bounds the 95% upper limit of a rate never observed in n draws)
# keeps an honest minimum half-width instead.
RULE_OF_THREE = 3.0


@dataclass(frozen=True)
class Estimate:
    """A share with its 95% interval and standard error (NaN when it cannot be estimated)."""

    share: float
    low: float
    high: float
    se: float


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class StratumMoments:
    """Per-stratum population size, coded count, mean and sample variance of a value."""

    size: float
    n: int
    mean: float
    var: float


def stratum_moments(
    values: np.ndarray,
    strata: Sequence[str],
    sizes: Mapping[str, float],
    var_floor: Mapping[str, float] | None = None,
) -> dict[str, StratumMoments]:
    """Mean and sample variance of `values` within each stratum of the coded units.

    A stratum with a single coded unit has no variance of its own: it borrows
    the variance of the whole sample (pooling), so it neither vanishes from
    the interval nor makes it undefined. `var_floor` (per stratum) keeps the
    variance at least at a model-based value (see `compute_model_variance`).
    """
    labels = np.asarray(list(strata), dtype=object)
    pooled = float(np.var(values, ddof=1)) if len(values) > 1 else 0.0
    out: dict[str, StratumMoments] = {}
    for h, size in sizes.items():
        v = values[labels == h]
        if len(v) == 0:
            out[h] = StratumMoments(float(size), 0, math.nan, math.nan)
            continue
        var = float(np.var(v, ddof=1)) if len(v) > 1 else pooled
        if var_floor is not None:
            var = max(var, var_floor.get(h, 0.0))
        out[h] = StratumMoments(float(size), len(v), float(np.mean(v)), var)
    return out


def _stratified_total(moments: dict[str, StratumMoments]) -> tuple[float, float]:
    """(estimated population total, its variance) from per-stratum moments.

    Strata without a single coded unit cannot be measured: the total of the
    measured strata is scaled up to the whole population (their mean stands
    in for the missing strata), and the caller is told through `coverage`.
    """
    measured = [m for m in moments.values() if m.n > 0]
    if not measured:
        return math.nan, math.nan
    covered = sum(m.size for m in measured)
    everyone = sum(m.size for m in moments.values())
    scale = everyone / covered if covered else math.nan
    total = sum(m.size * m.mean for m in measured) * scale
    var = sum(
        m.size**2 * max(0.0, 1.0 - m.n / m.size) * m.var / m.n for m in measured if m.size > 0
    ) * (scale**2)
    return total, var


def compute_ppi_share(
    auto_total: float,
    denominator: float,
    correction: np.ndarray,
    strata: Sequence[str],
    sizes: Mapping[str, float],
    *,
    var_floor: Mapping[str, float] | None = None,
    z: float = Z95,
) -> Estimate:
    """PPI estimate of (Σ truth) / denominator from Σ automatic and the coded sample's corrections.

    `auto_total` is the automatic tags' total over the population (replies
    tagged, or likes of tagged replies); `correction` holds, per coded unit,
    human − automatic on the same scale (0/±1 for counts, likes × (human −
    automatic) for likes); `sizes` gives each stratum's population size N_h.
    """
    if denominator <= 0 or len(correction) == 0:
        return NAN_ESTIMATE
    moments = stratum_moments(np.asarray(correction, dtype=np.float64), strata, sizes, var_floor)
    total, var = _stratified_total(moments)
    if math.isnan(total):
        return NAN_ESTIMATE
    share = (auto_total + total) / denominator
    se = math.sqrt(var) / denominator
    half = z * se
    if not np.any(correction):
        # No disagreement seen: keep at least the rule-of-three width (the
        # 95% upper bound of a disagreement rate never observed in n draws).
        population = sum(sizes.values())
        n = len(correction)
        fpc = max(0.0, 1.0 - n / population) if population else 0.0
        half = max(half, RULE_OF_THREE / n * fpc)
    # A share lies in [0, 1]: the correction can push a small share below 0
    # (or a large one above 1) by chance; the point is clipped, the interval too.
    clipped = min(1.0, max(0.0, share))
    return Estimate(clipped, max(0.0, share - half), min(1.0, share + half), se)


def compute_stratified_mean(
    values: np.ndarray, strata: Sequence[str], sizes: Mapping[str, float]
) -> tuple[float, float]:
    """Stratified estimate of the population mean of `values` and its variance."""
    moments = stratum_moments(np.asarray(values, dtype=np.float64), strata, sizes)
    total, var = _stratified_total(moments)
    population = sum(sizes.values())
    if math.isnan(total) or population <= 0:
        return math.nan, math.nan
    return total / population, var / population**2


def wilson_interval(p: float, n_eff: float, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion p observed over n_eff draws."""
    if n_eff <= 0 or math.isnan(p):
        return math.nan, math.nan
    z2 = z * z
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = z * math.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff)) / (1 + z2 / n_eff)
    return max(0.0, centre - half), min(1.0, centre + half)


def compute_sample_share(
    human: np.ndarray, strata: Sequence[str], sizes: Mapping[str, float], *, z: float = Z95
) -> Estimate:
    """The share in the coded sample alone (weighted by stratum), as a second opinion.

    A simple random sample gets the Wilson interval over n (n / (1 − n/N) with
    the finite-population correction). A stratified one gets the stratified
    normal interval with each stratum's variance kept at least at p̃(1 − p̃),
    p̃ = (k + ½) / (n_h + 1): a Wilson interval over a Kish effective size held
    the truth in only about half of the samples on rare themes, because a
    stratum that happened to show no case claimed no variance.
    """
    values = np.asarray(human, dtype=np.float64)
    if len(values) == 0:
        return NAN_ESTIMATE
    if len(sizes) > 1:
        labels = np.asarray(list(strata), dtype=object)
        floors = {}
        for h in sizes:
            v = values[labels == h]
            rate = smoothed_rate(float(v.sum()), float(len(v)))
            floors[h] = rate * (1 - rate)
        return compute_ppi_share(
            0.0, sum(sizes.values()), values, strata, sizes, var_floor=floors, z=z
        )
    p, var = compute_stratified_mean(values, strata, sizes)
    if math.isnan(p):
        return NAN_ESTIMATE
    population = sum(sizes.values())
    fpc = max(1e-9, 1.0 - len(values) / population) if population else 1.0
    low, high = wilson_interval(p, len(values) / fpc, z=z)
    return Estimate(p, low, high, math.sqrt(max(var, 0.0)))


@dataclass(frozen=True)
class CellTotals:
    """Population totals of a stratum for one theme, by automatic tag (index 1 tagged, 0 not)."""

    units: tuple[float, float]  # (untagged, tagged) units
    likes: tuple[float, float]  # Σ likes
    likes2: tuple[float, float]  # Σ likes²


def smoothed_rate(events: float, trials: float) -> float:
    """A rate that is never 0 or 1 on little data: (k + ½) / (m + 1)."""
    return (events + 0.5) / (trials + 1.0)


def compute_model_variance(
    cells: CellTotals,
    disagree: tuple[float, float],
    mean_diff: tuple[float, float],
) -> tuple[float, float]:
    """Per-unit variance of (human − automatic) and likes × (human − automatic), by model.

    The coded sample gives, separately for untagged and tagged units, the rate
    of disagreement (smoothed, so a cell that showed none still may have
    some) and the mean difference; the population's own likes (known for
    every reply) then give the variance a unit of the stratum would have.
    This matters for likes: a heavily liked reply that happens not to be in
    the sample is still in the population, and the sample's variance alone
    cannot know it. The estimator uses the larger of this and the sample's
    variance, so the interval never looks more precise than the data allow.
    """
    n = cells.units[0] + cells.units[1]
    if n <= 0:
        return 0.0, 0.0
    second = sum(cells.units[f] * disagree[f] for f in (0, 1)) / n
    first = sum(cells.units[f] * mean_diff[f] for f in (0, 1)) / n
    second_l = sum(cells.likes2[f] * disagree[f] for f in (0, 1)) / n
    first_l = sum(cells.likes[f] * mean_diff[f] for f in (0, 1)) / n
    return max(0.0, second - first * first), max(0.0, second_l - first_l * first_l)
