"""What a semantic tagging run says about itself: how its thresholds were set, what it skipped.

The sentences go to the `tag` summary and into the run's parameters
(`notes`), where `themes` and the report read them, so every place that
shows semantic tags says whether their threshold was fitted to this data.
"""

from __future__ import annotations

from analysis.calibration import MIN_POSITIVES, Calibration, ThemeThreshold
from analysis.semantic_languages import LanguageScope
from textsafety import plural

CALIBRATE_STEPS = (
    "replyscope review sample --n 200 -o sample.xlsx, code the sheet by hand, "
    "replyscope review import sample.xlsx --coder NAME, then tag again: each theme's threshold "
    "is then chosen on the codes"
)
# Demo-tuned thresholds belong to these embedders (see semantic.THRESHOLDS).
DEMO_TUNED = ("wordllama-0.4-256", "all-MiniLM-L6-v2", "tfidf-svd")
LANGUAGE_NAMES = {"en": "English"}


def _num(v: float | None) -> str:
    return "?" if v is None else f"{v:.2f}"


def _calibrated(t: ThemeThreshold) -> str:
    return (
        f"{t.theme_id} {t.threshold:.2f} (cross-validated F1 {_num(t.cv_f1)}; "
        f"F1 {_num(t.default_f1)} with the default)"
    )


# Why a theme kept the default, for themes grouped by reason (per-theme detail: the run's
# parameters.calibration).
KEPT_WHY = {
    "few": "fewer than {n} coded replies carry {them}",
    "one_sided": "too few coded replies lack {them} to cross-validate",
    "as_well": "the default does as well on the coded replies as calibrating under "
    "cross-validation",
    "not_coded": "not in the coded sample",
}


def _kept_groups(kept: list[ThemeThreshold]) -> list[str]:
    """'a, b (why)' per reason, in the order the reasons first appear."""
    groups: dict[str, list[ThemeThreshold]] = {}
    for t in kept:
        groups.setdefault(t.kind, []).append(t)
    out = []
    for kind, themes in groups.items():
        if len(themes) == 1:
            why = themes[0].reason  # with its own figures
        else:
            why = KEPT_WHY.get(kind, "{them}").format(n=MIN_POSITIVES, them="them")
        out.append(f"{', '.join(t.theme_id for t in themes)} ({why})")
    return out


def calibration_notes(
    calibration: Calibration | None, default: float, embedder_name: str, *, forced: bool
) -> list[str]:
    """One sentence on the thresholds: forced, calibrated on a sample, or uncalibrated."""
    if forced:
        return [
            f"Semantic threshold {default:g} set with --threshold for every theme: not calibrated "
            "(leave --threshold out to calibrate on a coded sample)."
        ]
    if calibration is None:
        origin = (
            "tuned on the English demo's hand-coded replies"
            if embedder_name in DEMO_TUNED
            else "a generic default, tuned on no data"
        )
        return [
            f"The semantic threshold {default:g} is uncalibrated for this data ({origin}): the "
            f"share tagged may be far off. To calibrate it: {CALIBRATE_STEPS}."
        ]
    done = [t for t in calibration.themes if t.calibrated]
    kept = [t for t in calibration.themes if not t.calibrated]
    read = (
        f"{plural(calibration.coded, 'coded reply', 'coded replies')} the embedder read, "
        f"{calibration.folds}-fold cross-validation"
    )
    parts = [
        f"Semantic thresholds calibrated on coded sample {calibration.sample_id} ({read}): "
        + "; ".join(_calibrated(t) for t in done)
        if done
        else f"No semantic threshold could be calibrated on coded sample "
        f"{calibration.sample_id} ({read})"
    ]
    if kept:
        parts.append(f"Default {default:g} kept for " + "; ".join(_kept_groups(kept)))
    out = [". ".join(parts) + "."]
    if done:
        out.append(cross_fitting_note(calibration))
    return out


def _span(low: float, high: float) -> str:
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"


def cross_fitting_note(calibration: Calibration) -> str:
    """Why validating on the calibration sample stays honest: it was tagged out-of-fold."""
    ranges = ", ".join(
        f"{t.theme_id} {_span(min(t.fold_cuts), max(t.fold_cuts))}"
        for t in calibration.themes
        if t.calibrated and t.fold_cuts
    )
    sid = calibration.sample_id
    return (
        f"Cross-fitted (Zrnic & Candès 2024): the "
        f"{plural(calibration.coded, 'coded reply', 'coded replies')} of sample {sid} were "
        f"tagged out-of-fold, each with the threshold chosen without its fold ({ranges}), every "
        "other reply with the mean of those thresholds (above). "
        f"So `replyscope validate` on sample {sid} scores held-out tags (its F1 is the "
        "cross-validated F1) and the corrected shares' intervals stay honest."
    )


def language_notes(scope: LanguageScope, embedder_spec: str, replies: int) -> list[str]:
    """One sentence on the replies left out because the embedder reads one language only."""
    if scope.language is None or not scope.n_skipped:
        return []
    name = LANGUAGE_NAMES.get(scope.language, scope.language)
    langs = ", ".join(f"{lang} {n}" for lang, n in list(scope.skipped.items())[:5])
    short = (
        f"; {scope.assumed} of them too short to tell, read as their thread's main language"
        if scope.assumed
        else ""
    )
    return [
        f"Not tagged semantically: {plural(scope.n_skipped, 'reply', 'replies')} of {replies} "
        f"not in {name} ({langs}{short}; languages from {scope.source}). The {embedder_spec} "
        f"embedder reads {name} only, so its similarities on them would be noise. To tag them: "
        "pass an embedder for their language (--embedder FOLDER, a local sentence-transformers "
        "model, e.g. a multilingual one), or tag by keyword with a codebook in their language "
        "(--method keyword --codebook yours.toml)."
    ]
