"""Semantic thresholds calibrated per theme on a hand-coded sample, by cross-validation.

The semantic tagger's default thresholds were tuned on the English demo; on
another thread, language or codebook they can tag far too much or too little.
When a coded sample exists, each theme gets the similarity threshold that
maximises F1 against the human codes:
- the coded replies are split into FOLDS folds (stratified by the human code;
  a reply's place comes from a seeded hash of the sample and the reply, so
  the folds do not depend on row order and a run can be redone); a
  threshold is chosen on the other folds and scored on the held-out one,
  and the held-out counts pooled over the folds give the cross-validated
  F1: the honest estimate of how the calibrated tagger does on replies it
  was not fitted on;
- the coded replies are then cross-fitted: each is tagged with the
  threshold chosen without its fold (the same folds), so their tags are
  out-of-fold predictions, and `validate` on that sample scores held-out
  tags (its F1 is the cross-validated F1);
- every other reply is tagged with the mean of the fold thresholds, not with
  a threshold fitted on all coded replies: the corrected shares add the
  sample's errors to the count of the other replies' tags, so both must come
  from the same taggers. Cross-prediction-powered inference (Zrnic & Candès
  2024, "Cross-prediction-powered inference", PNAS 121(15), arXiv 2309.16598)
  averages the fold models on the unlabelled data; for a threshold, the mean
  threshold does the same to first order and keeps one threshold per theme.
  Measured (benchmarks/crossfit_bench.py; 3,000 replies, 100-200 coded):
  the corrected shares' 95% intervals held the truth 94-95% of the time
  this way, 85-90% with the all-codes threshold for the other replies, and
  90-92% before cross-fitting (whose sample F1 overstated the F1 on the
  other replies by 0.03-0.11); the tags' F1 on uncoded replies is as good;
- a theme keeps the default when fewer than MIN_POSITIVES coded replies carry
  it (a threshold chosen on a handful of examples is noise), or when the
  default does at least as well on the coded replies as the calibrated
  threshold does under cross-validation.
Coded replies count with their sampling weight (1 / inclusion probability),
as in `validate`, and a reply coded by several people counts as the share of
them who ticked the theme.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.agreement import MEASURABLE_MIN
from analysis.sample_validation import latest_coded_sample
from store import Store

MIN_POSITIVES = MEASURABLE_MIN  # coded replies carrying a theme before its threshold is fitted
FOLDS = 5
SEED = 20260414
NEVER = 1.01  # above any cosine similarity: tag nothing
FOLD_RULE = (
    "per theme, coded replies with and without the theme, each ordered by "
    "sha256('seed:sample_id:platform:reply_id'), dealt round the folds in turn"
)


@dataclass(frozen=True)
class CodedReplies:
    """The human codes of one sample: rows are coded replies, columns the codebook's themes."""

    sample_id: int
    keys: list[tuple[str, str]]  # (platform, reply_id) per row
    human: np.ndarray  # n x K: share of the reply's coders who ticked the theme
    weights: np.ndarray  # n: 1 / inclusion probability
    coded_themes: set[str]  # the codebook's themes the sample has codes for


@dataclass(frozen=True)
class ThemeThreshold:
    """One theme's threshold and how it was chosen."""

    theme_id: str
    threshold: float
    calibrated: bool
    positives: int  # coded replies carrying the theme (half or more of their coders)
    cv_f1: float | None  # cross-validated F1 of calibrating (None when not tried)
    default_f1: float | None  # F1 of the default threshold on the coded replies
    reason: str = ""  # why the default was kept
    kind: str = "calibrated"  # or few | one_sided | as_well | not_coded (why, for grouping)
    fold: tuple[int, ...] = ()  # per coded reply (rows as fitted): its fold, when calibrated
    fold_cuts: tuple[float, ...] = ()  # per fold: the threshold chosen without that fold
    all_codes: float | None = None  # the threshold chosen on all coded replies (for the record)

    def as_dict(self) -> dict[str, object]:
        """What a tagging run records about this theme."""
        out: dict[str, object] = {
            "threshold": self.threshold,
            "calibrated": self.calibrated,
            "positives": self.positives,
            "cv_f1": self.cv_f1,
            "default_f1": self.default_f1,
            "reason": self.reason,
            "kind": self.kind,
        }
        if self.calibrated and self.fold_cuts:
            # The coded replies were tagged out-of-fold with these thresholds.
            out["fold_thresholds"] = list(self.fold_cuts)
            out["fold_sizes"] = np.bincount(self.fold, minlength=len(self.fold_cuts)).tolist()
            out["threshold_all_codes"] = self.all_codes
        return out

    def sample_cuts(self) -> np.ndarray:
        """Per coded reply, the threshold chosen without its fold (empty when not calibrated)."""
        if not (self.calibrated and self.fold_cuts):
            return np.zeros(0)
        return np.asarray(self.fold_cuts)[np.asarray(self.fold, dtype=np.int64)]


@dataclass(frozen=True)
class Calibration:
    """Per-theme thresholds calibrated on a coded sample."""

    sample_id: int
    coded: int  # coded replies used (those the semantic step reads)
    folds: int
    default: float
    themes: list[ThemeThreshold]
    keys: tuple[tuple[str, str], ...] = ()  # the coded replies used, rows of sample_cuts()
    seed: int = SEED

    def thresholds(self) -> dict[str, float]:
        """theme id -> the threshold used."""
        return {t.theme_id: t.threshold for t in self.themes}

    def cv_f1(self) -> float | None:
        """Mean cross-validated F1 of the calibrated themes (None when none was calibrated)."""
        f1s = [t.cv_f1 for t in self.themes if t.calibrated and t.cv_f1 is not None]
        return float(np.mean(f1s)) if f1s else None

    def cross_fitted(self) -> bool:
        """Whether some coded replies were tagged out-of-fold (some theme was calibrated)."""
        return any(t.calibrated and t.fold_cuts for t in self.themes)

    def sample_cuts(self) -> dict[tuple[str, str], dict[str, float]]:
        """coded reply -> calibrated theme -> the threshold chosen without the reply's fold.

        Themes that kept the default were fitted on nothing: every reply gets the default.
        """
        columns = {t.theme_id: t.sample_cuts() for t in self.themes if t.calibrated}
        return {
            key: {theme: float(cuts[i]) for theme, cuts in columns.items() if len(cuts)}
            for i, key in enumerate(self.keys)
        }

    def as_dict(self) -> dict[str, object]:
        """What a tagging run records in runs.parameters.calibration."""
        return {
            "sample_id": self.sample_id,
            "coded": self.coded,
            "folds": self.folds,
            "default": self.default,
            "min_positives": MIN_POSITIVES,
            # How the coded replies were tagged: enough, with the stored codes, to redo it.
            "cross_fitting": {
                "cross_fitted": self.cross_fitted(),
                "seed": self.seed,
                "fold_rule": FOLD_RULE,
                "sample_replies": "tagged with the threshold chosen without their fold "
                "(themes.*.fold_thresholds)",
                "other_replies": "tagged with the mean of the fold thresholds (themes.*.threshold)",
            },
            "themes": {t.theme_id: t.as_dict() for t in self.themes},
        }


def load_coded_replies(store: Store, theme_ids: list[str]) -> CodedReplies | None:
    """The latest coded sample's codes for these themes (None when nothing is coded)."""
    found = latest_coded_sample(store)  # the sample `validate` scores by default
    if found is None:
        return None
    sample_id = found
    rows = store.con.execute(
        """SELECT h.platform, h.reply_id, h.theme_id, avg(h.value::INT),
                  coalesce(any_value(s.inclusion_prob), 1.0)
           FROM human_codes h LEFT JOIN validation_sample_replies s
             USING (sample_id, platform, reply_id)
           WHERE h.sample_id = ? GROUP BY ALL ORDER BY 1, 2""",
        [sample_id],
    ).fetchall()
    index: dict[tuple[str, str], int] = {}
    col = {t: k for k, t in enumerate(theme_ids)}
    cells: list[tuple[int, int, float]] = []
    probs: dict[int, float] = {}
    for platform, reply_id, theme, y, prob in rows:
        i = index.setdefault((str(platform), str(reply_id)), len(index))
        probs[i] = float(prob) if prob else 1.0
        if theme in col:
            cells.append((i, col[theme], float(y)))
    human = np.zeros((len(index), len(theme_ids)))
    for i, k, y in cells:
        human[i, k] = y
    weights = np.array([1.0 / probs[i] for i in range(len(index))])
    coded = {theme_ids[k] for _, k, _ in cells}
    return CodedReplies(sample_id, list(index), human, weights, coded)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)


def best_threshold(
    scores: np.ndarray, human: np.ndarray, weights: np.ndarray, base: np.ndarray
) -> float:
    """The threshold that maximises weighted F1 of (base tag or score ≥ threshold).

    Candidates cut between neighbouring scores (the midpoint), so a reply
    just below the last one tagged stays untagged; of equal F1s the highest
    threshold (fewest tags) wins.
    """
    pos = weights * human
    neg = weights * (1 - human)
    tp0, fp0 = float(pos[base].sum()), float(neg[base].sum())
    total = float(pos.sum())
    free = ~base & np.isfinite(scores)
    if not free.any():
        return NEVER
    s, p, n = scores[free], pos[free], neg[free]
    order = np.argsort(-s, kind="stable")
    s, p, n = s[order], p[order], n[order]
    tp = tp0 + np.concatenate([[0.0], np.cumsum(p)])
    fp = fp0 + np.concatenate([[0.0], np.cumsum(n)])
    # A cut may only fall between two different scores (ties go together).
    valid = np.concatenate([[True], np.append(s[1:] < s[:-1], True)])
    f1 = np.where(valid, _f1(tp, fp, total - tp), -1.0)
    j = int(np.argmax(f1))
    if j == 0:
        return NEVER
    below = float(s[j]) if j < len(s) else float(s[j - 1]) - 0.02
    return round((float(s[j - 1]) + below) / 2, 4)


def _counts(
    tagged: np.ndarray, human: np.ndarray, weights: np.ndarray
) -> tuple[float, float, float]:
    return (
        float((weights * human)[tagged].sum()),
        float((weights * (1 - human))[tagged].sum()),
        float((weights * human)[~tagged].sum()),
    )


def reply_ranks(keys: Sequence[tuple[str, str]], sample_id: int, seed: int = SEED) -> np.ndarray:
    """A fixed pseudo-random rank per coded reply, from a hash of the seed, sample and reply.

    A hash (not a shuffle of the rows) so a reply's fold depends on nothing
    but itself and its class: the same store and seed give the same folds.
    """
    digests = [
        hashlib.sha256(f"{seed}:{sample_id}:{platform}:{reply_id}".encode()).hexdigest()[:15]
        for platform, reply_id in keys
    ]
    return np.array([int(d, 16) for d in digests], dtype=np.int64)


def fold_ids(positive: np.ndarray, folds: int, ranks: np.ndarray | None = None) -> np.ndarray:
    """A fold number per row: positives, then negatives, each in rank order, dealt round the folds.

    Without ranks the rows' own order is used (a hash of the reply in `tag`).
    """
    order_of = np.arange(len(positive)) if ranks is None else ranks
    out = np.zeros(len(positive), dtype=np.int64)
    start = 0
    for group in (np.flatnonzero(positive), np.flatnonzero(~positive)):
        ordered = group[np.argsort(order_of[group], kind="stable")]
        # The negatives continue where the positives stopped, so the folds stay even.
        out[ordered] = (start + np.arange(len(ordered))) % folds
        start += len(ordered)
    return out


@dataclass(frozen=True)
class CrossFit:
    """Thresholds chosen without each fold, and the pooled held-out F1."""

    fold: np.ndarray  # per row
    cuts: list[float]  # per fold
    f1: float


def cross_fit(
    scores: np.ndarray,
    human: np.ndarray,
    weights: np.ndarray,
    base: np.ndarray,
    folds: int,
    ranks: np.ndarray | None = None,
) -> CrossFit:
    """Per fold, the threshold chosen on the other folds; F1 of the held-out tags, pooled."""
    fold = fold_ids(human >= 0.5, folds, ranks)
    tp = fp = fn = 0.0
    cuts = []
    for f in range(folds):
        train, test = fold != f, fold == f
        cut = best_threshold(scores[train], human[train], weights[train], base[train])
        cuts.append(cut)
        tagged = base[test] | (scores[test] >= cut)
        a, b, c = _counts(tagged, human[test], weights[test])
        tp, fp, fn = tp + a, fp + b, fn + c
    return CrossFit(fold, cuts, float(_f1(np.array(tp), np.array(fp), np.array(fn))))


def cross_validated_f1(
    scores: np.ndarray,
    human: np.ndarray,
    weights: np.ndarray,
    base: np.ndarray,
    folds: int,
    ranks: np.ndarray | None = None,
) -> float:
    """F1 of thresholds chosen on k-1 folds, counted on the held-out fold and pooled."""
    return cross_fit(scores, human, weights, base, folds, ranks).f1


def compute_theme_threshold(
    theme_id: str,
    scores: np.ndarray,
    human: np.ndarray,
    weights: np.ndarray,
    base: np.ndarray,
    default: float,
    ranks: np.ndarray | None = None,
) -> ThemeThreshold:
    """One theme's threshold: calibrated when enough replies carry it and it beats the default.

    A calibrated theme's threshold is the mean of its fold thresholds; it also
    keeps each coded reply's fold and the threshold chosen without each fold
    (what the coded replies are tagged with).
    """
    positives = int((human >= 0.5).sum())
    tp, fp, fn = _counts(base | (scores >= default), human, weights)
    default_f1 = round(float(_f1(np.array(tp), np.array(fp), np.array(fn))), 4)
    if positives < MIN_POSITIVES:
        why = f"only {positives} coded replies carry it; calibration needs {MIN_POSITIVES}"
        return ThemeThreshold(theme_id, default, False, positives, None, default_f1, why, "few")
    folds = min(FOLDS, positives, len(human) - positives)
    if folds < 2:
        why = "too few coded replies without it to cross-validate"
        return ThemeThreshold(
            theme_id, default, False, positives, None, default_f1, why, "one_sided"
        )
    fit = cross_fit(scores, human, weights, base, folds, ranks)
    cv = round(fit.f1, 4)
    if cv <= default_f1:
        why = f"the default does as well: F1 {default_f1:.2f}, calibrated {cv:.2f} cross-validated"
        return ThemeThreshold(theme_id, default, False, positives, cv, default_f1, why, "as_well")
    # The other replies get the fold taggers' mean threshold: the taggers the sample measures.
    return ThemeThreshold(
        theme_id,
        round(float(np.mean(fit.cuts)), 4),
        True,
        positives,
        cv,
        default_f1,
        fold=tuple(int(f) for f in fit.fold),
        fold_cuts=tuple(fit.cuts),
        all_codes=best_threshold(scores, human, weights, base),
    )


def compute_calibration(
    coded: CodedReplies,
    scores: np.ndarray,
    base: np.ndarray,
    theme_ids: list[str],
    default: float,
    seed: int = SEED,
) -> Calibration:
    """Per-theme thresholds from the coded replies' similarities (rows as in `coded`).

    scores: n x K best similarity per (coded reply, theme), -inf where the
    reply cannot get the theme (not among its most similar themes); base:
    n x K tags the reply has anyway (keyword tags with method `both`). The
    folds come from `seed` and the replies' keys (reply_ranks).
    """
    ranks = reply_ranks(coded.keys, coded.sample_id, seed)
    themes = []
    for k, theme in enumerate(theme_ids):
        if theme not in coded.coded_themes:
            themes.append(
                ThemeThreshold(
                    theme,
                    default,
                    False,
                    0,
                    None,
                    None,
                    f"not coded in sample {coded.sample_id}",
                    "not_coded",
                )
            )
            continue
        themes.append(
            compute_theme_threshold(
                theme, scores[:, k], coded.human[:, k], coded.weights, base[:, k], default, ranks
            )
        )
    return Calibration(
        coded.sample_id, len(coded.keys), FOLDS, default, themes, tuple(coded.keys), seed
    )
