"""Agreement: automatic tags against human codes, and coders against each other.

Tags against people: precision, recall, F1 and Cohen's kappa per theme, with
each coded reply weighted by its sampling weight (N_h / n_h: a stratified
sample that oversampled a rare theme must not inflate its recall) and a
bootstrap interval that resamples the coded replies within their strata.
With several coders a reply's human code is the share of its coders who
ticked the theme (0, ½, 1 for two coders): the counts are then the expected
counts against a coder drawn at random, and with one coder they are the
ordinary ones.

Coders against coders: Cohen's kappa per theme for each pair of coders (the
mean over pairs when there are more than two), and Krippendorff's alpha
(nominal) per theme and over all (reply, theme) decisions pooled; alpha
allows replies that only some coders coded.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

AGREEMENT_SEED = 20261203
AGREEMENT_REPLICATES = 1000
MEASURABLE_MIN = 10  # replies coded with a theme before its agreement means anything
RELIABLE_F1 = 0.6


@dataclass(frozen=True)
class Counts:
    """Weighted confusion counts of the automatic tags against the human codes for one theme."""

    tp: float
    fp: float
    fn: float
    tn: float


def confusion(auto: np.ndarray, human: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """tp, fp, fn, tn per theme (rows: coded replies, columns: themes) as a 4 x K array."""
    a = np.asarray(auto, dtype=np.float64)
    h = np.asarray(human, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    return np.stack([w @ (a * h), w @ (a * (1 - h)), w @ ((1 - a) * h), w @ ((1 - a) * (1 - h))])


def scores_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """precision, recall, F1 and kappa from 4 x ... confusion counts (NaN where undefined)."""
    tp, fp, fn, tn = counts
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = np.where(pe < 1 - 1e-12, (po - pe) / (1 - pe), np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": kappa}


def bootstrap_scores(
    auto: np.ndarray,
    human: np.ndarray,
    weights: np.ndarray,
    strata: Sequence[str],
    *,
    replicates: int = AGREEMENT_REPLICATES,
    seed: int = AGREEMENT_SEED,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """2.5% and 97.5% percentiles of each score per theme (coded replies resampled per stratum)."""
    a = np.asarray(auto, dtype=np.float64)
    h = np.asarray(human, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    labels = np.asarray(list(strata), dtype=object)
    rng = np.random.default_rng(seed)
    draws = np.zeros((replicates, len(w)))
    for stratum in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == stratum)
        counts = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=replicates)
        draws[:, idx] = counts
    bw = draws * w  # B x n: each replicate's weights
    counts = np.stack(
        [bw @ (a * h), bw @ (a * (1 - h)), bw @ ((1 - a) * h), bw @ ((1 - a) * (1 - h))]
    )  # 4 x B x K
    scores = scores_from_counts(counts)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, values in scores.items():
        with np.errstate(all="ignore"):
            lo = _nanpercentile(values, 2.5)
            hi = _nanpercentile(values, 97.5)
        out[name] = (lo, hi)
    return out


def _nanpercentile(values: np.ndarray, q: float) -> np.ndarray:
    """Percentile over replicates (axis 0), NaN for a theme where every replicate is undefined."""
    result = np.full(values.shape[1], np.nan)
    for k in range(values.shape[1]):
        column = values[:, k]
        column = column[~np.isnan(column)]
        if len(column):
            result[k] = float(np.percentile(column, q))
    return result


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa of two coders' yes/no decisions on the same items (None if undefined)."""
    n = len(a)
    if n == 0 or n != len(b):
        return None
    both = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    neither = sum(1 for x, y in zip(a, b, strict=True) if not x and not y)
    pa, pb = sum(map(bool, a)) / n, sum(map(bool, b)) / n
    po = (both + neither) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1 - 1e-12:
        return None
    return (po - pe) / (1 - pe)


def krippendorff_alpha(units: Sequence[Sequence[bool]]) -> float | None:
    """Krippendorff's alpha (nominal) over units, each the values its coders gave (≥ 2 to count).

    alpha = 1 − (n − 1) × Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k, where o is the
    coincidence matrix (each ordered pair of values within a unit weighs
    1 / (m_u − 1)) and n_c the total of value c over pairable values.
    """
    o = np.zeros((2, 2))
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[int(values[i]), int(values[j])] += 1.0 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    expected = n_c[0] * n_c[1] * 2
    if n < 2 or expected == 0:
        return None
    observed = o[0, 1] + o[1, 0]
    return float(1 - (n - 1) * observed / expected)


@dataclass(frozen=True)
class CoderAgreement:
    """Agreement between coders on one theme (or `_overall`, all decisions pooled)."""

    theme_id: str
    coders: int
    items: int
    kappa: float | None
    alpha: float | None


def compute_coder_agreement(
    codes: Mapping[str, Mapping[str, Mapping[str, bool]]], theme_ids: Sequence[str]
) -> list[CoderAgreement]:
    """Per theme and overall, from codes[coder][reply][theme] (replies coded by ≥ 2 coders)."""
    coders = sorted(codes)
    if len(coders) < 2:
        return []
    replies = sorted({r for c in coders for r in codes[c]})
    shared = [r for r in replies if sum(r in codes[c] for c in coders) >= 2]
    out = []
    pooled_units: list[list[bool]] = []
    pooled_pairs: dict[tuple[str, str], tuple[list[bool], list[bool]]] = {}
    for theme in theme_ids:
        units = [[codes[c][r][theme] for c in coders if r in codes[c]] for r in shared]
        pooled_units += units
        kappas = []
        for x, y in itertools.combinations(coders, 2):
            both = [r for r in shared if r in codes[x] and r in codes[y]]
            a = [codes[x][r][theme] for r in both]
            b = [codes[y][r][theme] for r in both]
            pa, pb = pooled_pairs.setdefault((x, y), ([], []))
            pa += a
            pb += b
            k = cohen_kappa(a, b)
            if k is not None:
                kappas.append(k)
        out.append(
            CoderAgreement(
                theme,
                len(coders),
                len(shared),
                sum(kappas) / len(kappas) if kappas else None,
                krippendorff_alpha(units),
            )
        )
    pair_kappas = [k for a, b in pooled_pairs.values() if (k := cohen_kappa(a, b)) is not None]
    out.append(
        CoderAgreement(
            "_overall",
            len(coders),
            len(shared),
            sum(pair_kappas) / len(pair_kappas) if pair_kappas else None,
            krippendorff_alpha(pooled_units),
        )
    )
    return out


def recall_words(recall: float) -> str:
    """Plain words for a recall: 'about half', 'about a third', 'most'…"""
    if math.isnan(recall):
        return "an unknown share"
    for limit, words in (
        (0.15, "very few"),
        (0.29, "about a quarter"),
        (0.40, "about a third"),
        (0.58, "about half"),
        (0.72, "about two thirds"),
        (0.85, "about three quarters"),
        (0.95, "most"),
    ):
        if recall < limit:
            return words
    return "nearly all"
