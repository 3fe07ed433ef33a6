"""Semantic tagging: replies compared with each theme's description and examples.

Each theme is represented by its description and its example replies,
embedded with the same offline embedders as the topic models (cached in the
store). A reply gets a theme when its cosine similarity to the nearest of
those texts reaches the threshold, at most MAX_THEMES themes per reply; the
evidence is the nearest example and the similarity. Each theme's threshold
is calibrated on the latest coded sample when there is one (calibration.py;
the sample's own replies are tagged out-of-fold, so validating on it stays
honest), and English-only embedders leave replies in other languages untagged
(semantic_languages.py); the run's notes say which (semantic_notes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from analysis.calibration import Calibration, compute_calibration, load_coded_replies
from analysis.codebook import Codebook
from analysis.embed import embed_cached, load_embedder
from analysis.semantic_languages import LanguageScope, compute_language_scope
from analysis.semantic_notes import calibration_notes, language_notes
from store import Store

DEFAULT_EMBEDDER = "wordllama"
# Thresholds chosen on the hand-coded validation set (tests/fixtures/
# validation_demo.csv) by benchmarks/validation_scores.py; see README.
# (alone, added to keyword tags in --method both)
THRESHOLDS = {
    "wordllama-0.4-256": (0.27, 0.61),
    "all-MiniLM-L6-v2": (0.41, 0.60),
    "tfidf-svd": (0.13, 0.73),
}
MAX_THEMES = 3


@dataclass
class SemanticTags:
    """The semantic tags of a set of replies and the parameters that produced them."""

    tags: pl.DataFrame  # row, theme_id, score, method, evidence
    embedder: str  # the embedder's name (its cache key), e.g. "wordllama-0.4-256"
    threshold: float  # the default (or forced) similarity a reply needed to get a theme
    max_themes: int = MAX_THEMES
    thresholds: dict[str, float] = field(default_factory=dict)  # per theme, as used
    calibration: Calibration | None = None
    scope: LanguageScope | None = None
    notes: list[str] = field(default_factory=list)  # what the summary and report say

    def parameters(self) -> dict[str, object]:
        """What a tagging run records about this step in runs.parameters."""
        return {
            "embedder": self.embedder,
            "threshold": self.threshold,
            "max_themes": self.max_themes,
            "thresholds": self.thresholds,
            "calibration": self.calibration.as_dict() if self.calibration else None,
            "language_skip": self.scope.as_dict() if self.scope and self.scope.language else None,
            "notes": self.notes,
        }


def theme_prototypes(codebook: Codebook) -> tuple[list[str], list[str]]:
    """(theme id, text) pairs that stand for each theme: description and examples."""
    ids: list[str] = []
    texts: list[str] = []
    for t in codebook.themes:
        for text in [f"{t.label}. {t.description}".strip(), *t.examples]:
            if text.strip(". "):
                ids.append(t.id)
                texts.append(text)
    return ids, texts


def similarity_matrix(
    store: Store | None, replies: list[str], codebook: Codebook, embedder_spec: str
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], str]:
    """Best similarity per (reply, theme) and the index of the nearest prototype.

    Returns (best, nearest, prototype ids, prototype texts, embedder name);
    benchmarks/validation_scores.py reads the first and the last.
    """
    proto_ids, proto_texts = theme_prototypes(codebook)
    embedder = load_embedder(embedder_spec, fit_texts=[*replies, *proto_texts])
    reply_vecs, _ = embed_cached(store, embedder, replies)
    proto_vecs, _ = embed_cached(store, embedder, proto_texts)
    sims = reply_vecs @ proto_vecs.T  # unit vectors: cosine similarity
    themes = [t.id for t in codebook.themes]
    best = np.full((len(replies), len(themes)), -1.0, dtype=np.float32)
    nearest = np.zeros((len(replies), len(themes)), dtype=np.int64)
    for k, theme in enumerate(themes):
        cols = [j for j, pid in enumerate(proto_ids) if pid == theme]
        if not cols:
            continue
        block = sims[:, cols]
        arg = block.argmax(axis=1)
        best[:, k] = block[np.arange(len(replies)), arg]
        nearest[:, k] = np.asarray(cols)[arg]
    return best, nearest, proto_ids, proto_texts, embedder.name


def default_threshold(embedder_name: str, *, combined: bool) -> float:
    """The demo-tuned threshold of a known embedder (0.5 / 0.6 for any other)."""
    return THRESHOLDS.get(embedder_name, (0.5, 0.6))[1 if combined else 0]


def top_scores(best: np.ndarray) -> np.ndarray:
    """best, -inf outside each reply's MAX_THEMES most similar themes (they cannot be tagged)."""
    order = np.argsort(-best, axis=1)[:, :MAX_THEMES]
    top = np.zeros_like(best, dtype=bool)
    np.put_along_axis(top, order, True, axis=1)
    return np.where(top, best, -np.inf)


def compute_semantic_tags(
    store: Store | None,
    replies: pl.DataFrame,
    codebook: Codebook,
    *,
    embedder: str | None = None,
    threshold: float | None = None,
    combined: bool = False,
    base: pl.DataFrame | None = None,
    calibrate: bool = True,
) -> SemanticTags:
    """Tags (row, theme_id, score, method, evidence) and the parameters used.

    Replies an English-only embedder cannot read are skipped (see
    semantic_languages). Without a forced `threshold`, each theme's threshold
    is calibrated on the latest coded sample when there is one (`base`: the
    keyword tags, row and theme_id, that method `both` adds anyway).
    """
    spec = embedder or DEFAULT_EMBEDDER
    scope = compute_language_scope(store, replies, spec)
    rows = np.flatnonzero(scope.keep)
    texts = [t or "" for t in replies["text"].gather(rows.tolist()).to_list()]
    best, nearest, _ids, proto_texts, name = similarity_matrix(store, texts, codebook, spec)
    themes = [t.id for t in codebook.themes]
    default = threshold if threshold is not None else default_threshold(name, combined=combined)
    scores = top_scores(best)
    keys = _row_keys(replies, rows)
    calibration = None
    if threshold is None and calibrate and store is not None and keys is not None:
        calibration = _calibrate(store, keys, rows, scores, base, themes, default)
    cuts = calibration.thresholds() if calibration else dict.fromkeys(themes, default)
    keep_r, keep_k = (
        a.tolist() for a in np.nonzero(scores >= _row_cuts(cuts, calibration, keys, themes))
    )
    frame = _tag_frame(rows, keep_r, keep_k, themes, best, nearest, proto_texts)
    notes = [
        *language_notes(scope, spec, replies.height),
        *calibration_notes(calibration, default, name, forced=threshold is not None),
    ]
    return SemanticTags(frame, name, default, MAX_THEMES, cuts, calibration, scope, notes)


def _tag_frame(
    rows: np.ndarray,
    keep_r: list[int],
    keep_k: list[int],
    themes: list[str],
    best: np.ndarray,
    nearest: np.ndarray,
    proto_texts: list[str],
) -> pl.DataFrame:
    """The tags (row, theme_id, score, method, evidence) of the kept (reply, theme) cells."""
    return pl.DataFrame(
        {
            "row": pl.Series(rows[keep_r].tolist() if keep_r else [], dtype=pl.UInt32),
            "theme_id": [themes[k] for k in keep_k],
            "score": [float(best[r, k]) for r, k in zip(keep_r, keep_k, strict=True)],
            "method": ["semantic"] * len(keep_r),
            "evidence": [
                f"nearest: “{proto_texts[nearest[r, k]][:80]}” ({best[r, k]:.2f})"
                for r, k in zip(keep_r, keep_k, strict=True)
            ],
        },
        schema={
            "row": pl.UInt32,
            "theme_id": pl.String,
            "score": pl.Float64,
            "method": pl.String,
            "evidence": pl.String,
        },
    )


def _row_keys(replies: pl.DataFrame, rows: np.ndarray) -> list[tuple[str, str]] | None:
    """(platform, reply_id) of each reply the embedder read (None when the frame has no keys)."""
    if not {"platform", "reply_id"} <= set(replies.columns):
        return None
    read = replies.select("platform", "reply_id").gather(rows.tolist())
    return [(str(p), str(r)) for p, r in read.rows()]


def _row_cuts(
    cuts: dict[str, float],
    calibration: Calibration | None,
    keys: list[tuple[str, str]] | None,
    themes: list[str],
) -> np.ndarray:
    """The threshold of each (read reply, theme): the theme's, but out-of-fold on the coded sample.

    Cross-fitting: a coded reply is tagged with the threshold chosen without
    its fold, so `validate` on that sample scores held-out tags and the
    corrected shares' rectifier stays unbiased (see calibration.py).
    """
    flat = np.array([[cuts[t] for t in themes]], dtype=np.float64)
    if calibration is None or keys is None or not calibration.cross_fitted():
        return flat
    out = np.repeat(flat, len(keys), axis=0)
    position = {key: i for i, key in enumerate(keys)}
    col = {t: k for k, t in enumerate(themes)}
    for key, per_theme in calibration.sample_cuts().items():
        for theme, cut in per_theme.items():
            out[position[key], col[theme]] = cut
    return out


def _calibrate(
    store: Store,
    keys: list[tuple[str, str]],
    rows: np.ndarray,
    scores: np.ndarray,
    base: pl.DataFrame | None,
    themes: list[str],
    default: float,
) -> Calibration | None:
    """Per-theme thresholds on the coded replies the embedder read (None without codes)."""
    coded = load_coded_replies(store, themes)
    if coded is None:
        return None
    position = {key: i for i, key in enumerate(keys)}
    read = [j for j, key in enumerate(coded.keys) if key in position]
    at = np.array([position[coded.keys[j]] for j in read], dtype=np.int64)
    base_m = np.zeros((len(read), len(themes)), dtype=bool)
    if base is not None and base.height and read:
        # base rows are rows of all replies; coded row j is reply rows[at[j]].
        where = {int(r): j for j, r in enumerate(rows[at].tolist())}
        col = {t: k for k, t in enumerate(themes)}
        for r, t in base.select("row", "theme_id").iter_rows():
            if int(r) in where and t in col:
                base_m[where[int(r)], col[t]] = True
    subset = replace(
        coded,
        keys=[coded.keys[j] for j in read],
        human=coded.human[read],
        weights=coded.weights[read],
    )
    return compute_calibration(subset, scores[at], base_m, themes, default)
