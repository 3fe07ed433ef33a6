"""Semantic tagging: replies compared with each theme's description and examples.

Each theme is represented by its description and its example replies,
embedded with the same offline embedders as the topic models (cached in the
store). A reply gets a theme when its cosine similarity to the nearest of
those texts reaches the threshold, at most MAX_THEMES themes per reply; the
evidence is the nearest example and the similarity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.codebook import Codebook
from analysis.embed import embed_cached, load_embedder
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
    threshold: float  # the similarity a reply needed to get a theme
    max_themes: int = MAX_THEMES

    def parameters(self) -> dict[str, object]:
        """What a tagging run records about this step in runs.parameters."""
        return {
            "embedder": self.embedder,
            "threshold": self.threshold,
            "max_themes": self.max_themes,
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


def compute_semantic_tags(
    store: Store | None,
    replies: pl.DataFrame,
    codebook: Codebook,
    *,
    embedder: str | None = None,
    threshold: float | None = None,
    combined: bool = False,
) -> SemanticTags:
    """Tags (row, theme_id, score, method, evidence) and the parameters used."""
    spec = embedder or DEFAULT_EMBEDDER
    texts = [t or "" for t in replies["text"].to_list()]
    best, nearest, _ids, proto_texts, name = similarity_matrix(store, texts, codebook, spec)
    cut = (
        threshold
        if threshold is not None
        else THRESHOLDS.get(name, (0.5, 0.6))[1 if combined else 0]
    )
    themes = [t.id for t in codebook.themes]
    # Keep at most MAX_THEMES per reply, the most similar first.
    order = np.argsort(-best, axis=1)[:, :MAX_THEMES]
    top = np.zeros_like(best, dtype=bool)
    np.put_along_axis(top, order, True, axis=1)
    keep_r, keep_k = (a.tolist() for a in np.nonzero(top & (best >= cut)))
    frame = pl.DataFrame(
        {
            "row": pl.Series(keep_r, dtype=pl.UInt32),
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
    return SemanticTags(frame, embedder=name, threshold=cut, max_themes=MAX_THEMES)
