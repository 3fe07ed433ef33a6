"""Clustering helpers for topic runs: k for k-means, centroids, a blob-aware HDBSCAN, outlier caps.

Kept apart from analysis/topics.py (the run itself) so each stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_OUTLIER_SHARE = 0.20
BLOB_SHARE = 0.5  # an eom cluster holding more than this share of replies is a blob


def choose_k(embeddings: np.ndarray, seed: int, candidates: Sequence[int]) -> int:
    """The k of candidates whose k-means split has the best cosine silhouette (ties: smaller k)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    sample = embeddings[:5000]  # rows are in a stable order; enough to compare a few k
    scores = {}
    for k in candidates:
        labels = KMeans(k, random_state=seed, n_init=3).fit_predict(sample)
        if len(set(labels.tolist())) > 1:
            scores[k] = float(silhouette_score(sample, labels, metric="cosine"))
    return max(scores, key=lambda k: (scores[k], -k)) if scores else 1


def centroids(embeddings: np.ndarray, topics: np.ndarray) -> tuple[list[int], np.ndarray]:
    ids = sorted(t for t in np.unique(topics).tolist() if t != -1)
    cents = np.vstack([embeddings[topics == t].mean(axis=0) for t in ids])
    norms = np.linalg.norm(cents, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return ids, cents / norms


def nearest_topic(
    embeddings: np.ndarray, ids: list[int], cents: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    sims = embeddings @ cents.T
    arg = sims.argmax(axis=1)
    return np.asarray(ids)[arg], sims[np.arange(len(embeddings)), arg]


class BlobAwareHDBSCAN:
    """HDBSCAN with "eom" cluster selection, or "leaf" when eom returns one blob.

    When every reply answers the same question, eom often keeps one cluster
    holding most replies (2-3 topics on the demo data with minilm or tfidf);
    the leaf clusters under it are the sub-topics people want. Leaf alone
    splits well-separated topics in two, so it is only the fallback.
    """

    def __init__(self, min_cluster_size: int, min_samples: int, blob_share: float = BLOB_SHARE):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.blob_share = blob_share
        self.selection = "eom"
        self.labels_ = np.zeros(0, dtype=np.int64)
        self.probabilities_ = np.zeros(0)

    def fit(self, X: np.ndarray, y: object = None) -> BlobAwareHDBSCAN:
        """Cluster X (BERTopic reads labels_ and probabilities_)."""
        from hdbscan import HDBSCAN

        for selection in ("eom", "leaf"):
            model = HDBSCAN(
                min_cluster_size=self.min_cluster_size,
                min_samples=self.min_samples,
                metric="euclidean",
                cluster_selection_method=selection,
                prediction_data=False,
                core_dist_n_jobs=1,
            ).fit(X)
            labels = np.asarray(model.labels_)
            sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(1)
            self.selection, self.labels_ = selection, labels
            self.probabilities_ = np.asarray(model.probabilities_)
            if sizes.max() <= self.blob_share * len(labels):
                break
        return self


def exact_knn(embeddings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
    """Exact cosine neighbours (self first) for UMAP's precomputed_knn.

    Below 4,096 rows UMAP computes all pairwise distances by calling a numba
    function once per pair from Python (30 s for 3,000 replies); one matrix
    product gives the same neighbours in well under a second.
    """
    dist = np.clip(1.0 - embeddings @ embeddings.T, 0.0, None)
    np.fill_diagonal(dist, -1.0)  # self first, even among identical replies
    idx = np.argsort(dist, axis=1, kind="stable")[:, :k]
    dists = np.take_along_axis(dist, idx, axis=1)
    dists[:, 0] = 0.0
    return idx.astype(np.int64), dists.astype(np.float32), None


def outlier_threshold(embeddings: np.ndarray, topics: np.ndarray) -> float:
    """Similarity an outlier needs to join a topic: that of the least typical 5% of members."""
    ids, cents = centroids(embeddings, topics)
    clustered = topics != -1
    own = (embeddings[clustered] * cents[np.searchsorted(ids, topics[clustered])]).sum(axis=1)
    return float(np.quantile(own, 0.05))


def cap_outliers(
    embeddings: np.ndarray, topics: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """Move the outliers nearest a topic into it until at most MAX_OUTLIER_SHARE remain."""
    out = topics.copy()
    allowed = int(np.floor(MAX_OUTLIER_SHARE * len(out)))
    rows = np.flatnonzero(out == -1)
    if len(rows) <= allowed or not (out != -1).any():
        return out
    ids, cents = centroids(embeddings, out)
    nearest, sims = nearest_topic(embeddings[rows], ids, cents)
    order = np.lexsort((rows, -sims))[: len(rows) - allowed]
    out[rows[order]] = nearest[order]
    probabilities[rows[order]] = np.nan
    return out
