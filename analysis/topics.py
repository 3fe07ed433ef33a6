"""Topic models of the replies (BERTopic, offline and reproducible), kept as runs in the store.

A topics run embeds every reply with an offline embedder (cached in the
store's `embeddings` table), reduces the vectors with UMAP and clusters them
with HDBSCAN through BERTopic, moves outliers to their nearest topic (at most
MAX_OUTLIER_SHARE stay unassigned), names each topic from its c-TF-IDF words
and keeps three representative replies. Results go to `topic_runs`,
`topics` and `reply_topics`; the view `topic_summary` shows the latest run.

Reproducible: replies are modelled in (platform, reply_id) order with a seeded
UMAP (single-threaded, as its seeding requires); HDBSCAN, k-means with a fixed
seed, c-TF-IDF and the representative choice are deterministic, so the same
data, seed and parameters give the same assignments.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from analysis.embed import Embedder, embed_cached, load_embedder, set_offline
from analysis.text import redact_contacts
from analysis.topic_env import library_versions, prepare_numba
from analysis.topic_labels import (
    TOP_WORDS,
    choose_vectorizer,
    compute_topic_table,
    load_question_texts,
    question_words,
)

# Re-exported so the whole topics API is importable from here.
from analysis.topic_labels import TopicError as TopicError
from analysis.topic_labels import compute_codebook_suggestions as compute_codebook_suggestions
from analysis.topic_labels import compute_topic_theme_crosstab as compute_topic_theme_crosstab
from analysis.topic_labels import compute_topics_over_time as compute_topics_over_time
from analysis.topic_labels import latest_topic_run as latest_topic_run
from store import RunCounts, Store, fetch_one, finish_run, start_run
from textsafety import plural

# Chosen on the demo data and the hand-coded validation set (README "Topics").
DEFAULT_EMBEDDER = "wordllama"
DEFAULT_SEED = 42
SMALL_DATA = 50  # below this, no UMAP/HDBSCAN: k-means with k = 2-3 (or one group)
TINY_DATA = 10  # below this, one group
MAX_OUTLIER_SHARE = 0.20
BLOB_SHARE = 0.5  # an eom cluster holding more than this share of replies is a blob
# Above this many replies UMAP/HDBSCAN are fitted on a seeded sample of this
# size and the other replies join their nearest topic: UMAP is single-threaded
# when seeded and would take minutes on 100,000 replies.
FIT_SAMPLE = 30_000

Progress = Callable[[str], None]


@dataclass
class TopicOptions:
    """The knobs of a topics run (all recorded in topic_runs.parameters)."""

    embedder: str = DEFAULT_EMBEDDER
    seed: int = DEFAULT_SEED
    min_topic_size: int | None = None  # None: max(10, 1% of the replies fitted)
    topics: int | None = None  # None: as many as HDBSCAN finds; N: merged down to N
    n_neighbors: int = 15
    n_components: int = 5
    fit_sample: int = FIT_SAMPLE


@dataclass
class TopicAssignment:
    """What the model computed, before it is stored: one topic per input row."""

    topics: np.ndarray  # int, -1 = outlier
    probabilities: np.ndarray  # float, NaN where HDBSCAN gave none (k-means, moved outliers)
    keywords: dict[int, list[tuple[str, float]]]
    method: str
    note: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class TopicRunResult:
    """What a stored topics run did."""

    run_id: int
    embedder: str
    replies: int
    topics: int
    outlier_share: float
    note: str | None
    new_embeddings: int
    seconds: float
    table: pl.DataFrame  # topic_id, label, size, likes, keywords, representative


def _backend(embedder: Embedder) -> Any:
    """Our embedder as a BERTopic backend, so BERTopic never picks (or downloads) its own."""
    from bertopic.backend import BaseEmbedder

    class ReplyscopeEmbedder(BaseEmbedder):
        def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
            return embedder.encode([str(d) for d in documents])

    return ReplyscopeEmbedder()


def _errors_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def _quiet_libraries() -> None:
    # BERTopic logs a warning on every custom topic list (and resets its level
    # on each call, hence a filter); UMAP warns that a seed forces one thread.
    # Both are expected here.
    bertopic_log = logging.getLogger("BERTopic")
    if _errors_only not in bertopic_log.filters:
        bertopic_log.addFilter(_errors_only)
    warnings.filterwarnings("ignore", module="umap")
    warnings.filterwarnings("ignore", module="sklearn")
    warnings.filterwarnings("ignore", category=FutureWarning)


def _choose_k(embeddings: np.ndarray, seed: int, candidates: Sequence[int]) -> int:
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


def _centroids(embeddings: np.ndarray, topics: np.ndarray) -> tuple[list[int], np.ndarray]:
    ids = sorted(t for t in np.unique(topics).tolist() if t != -1)
    cents = np.vstack([embeddings[topics == t].mean(axis=0) for t in ids])
    norms = np.linalg.norm(cents, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return ids, cents / norms


def _nearest(
    embeddings: np.ndarray, ids: list[int], cents: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    sims = embeddings @ cents.T
    arg = sims.argmax(axis=1)
    return np.asarray(ids)[arg], sims[np.arange(len(embeddings)), arg]


class _BlobAwareHDBSCAN:
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

    def fit(self, X: np.ndarray, y: object = None) -> _BlobAwareHDBSCAN:
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


def _exact_knn(embeddings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
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


def _outlier_threshold(embeddings: np.ndarray, topics: np.ndarray) -> float:
    """Similarity an outlier needs to join a topic: that of the least typical 5% of members."""
    ids, cents = _centroids(embeddings, topics)
    clustered = topics != -1
    own = (embeddings[clustered] * cents[np.searchsorted(ids, topics[clustered])]).sum(axis=1)
    return float(np.quantile(own, 0.05))


def _cap_outliers(
    embeddings: np.ndarray, topics: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """Move the outliers nearest a topic into it until at most MAX_OUTLIER_SHARE remain."""
    out = topics.copy()
    allowed = int(np.floor(MAX_OUTLIER_SHARE * len(out)))
    rows = np.flatnonzero(out == -1)
    if len(rows) <= allowed or not (out != -1).any():
        return out
    ids, cents = _centroids(embeddings, out)
    nearest, sims = _nearest(embeddings[rows], ids, cents)
    order = np.lexsort((rows, -sims))[: len(rows) - allowed]
    out[rows[order]] = nearest[order]
    probabilities[rows[order]] = np.nan
    return out


def compute_topic_assignment(
    texts: Sequence[str],
    embeddings: np.ndarray,
    embedder: Embedder,
    options: TopicOptions,
    extra_stop_words: Sequence[str] = (),
    progress: Progress | None = None,
) -> TopicAssignment:
    """Topics for texts (with their embeddings, rows in a stable order): BERTopic, or k-means on small data."""
    say = progress or (lambda _msg: None)
    n = len(texts)
    if n == 0:
        raise TopicError("there are no replies with text to model; import some first.")
    docs = list(texts)
    vectorizer = choose_vectorizer(docs, extra_stop_words)
    set_offline()
    say("loading BERTopic")
    prepare_numba()
    _quiet_libraries()
    from bertopic import BERTopic

    backend = _backend(embedder)
    details: dict[str, Any] = {"stop_words_added": list(extra_stop_words)}
    if n < SMALL_DATA:
        if options.topics:
            k = max(1, min(options.topics, n // 3))
        else:
            k = 1 if n < TINY_DATA else _choose_k(embeddings, options.seed, (2, 3))
        how = (
            "so they are shown as one group with its most frequent words."
            if k == 1
            else f"so they were split into {plural(k, 'group')} with k-means instead; read them as a rough first look."
        )
        note = (
            f"Only {plural(n, 'reply', 'replies')}: too few for a topic model "
            f"(it needs about {SMALL_DATA} or more), {how}"
        )
        method = "kmeans" if k > 1 else "single"
        return _kmeans_assignment(
            docs, embeddings, backend, vectorizer, k, options, method, note, details
        )

    from umap import UMAP

    rng = np.random.default_rng(options.seed)
    if n > options.fit_sample:
        fit_rows = np.sort(rng.choice(n, options.fit_sample, replace=False))
    else:
        fit_rows = np.arange(n)
    m = len(fit_rows)
    fit_docs = [docs[i] for i in fit_rows]
    fit_emb = embeddings[fit_rows]
    min_size = options.min_topic_size or max(10, round(m / 100))
    min_samples = min(min_size, 5)
    details.update(
        method="bertopic",
        fit_rows=m,
        min_topic_size=min_size,
        min_samples=min_samples,
        n_neighbors=min(options.n_neighbors, m - 1),
        n_components=min(options.n_components, m - 2),
    )
    # Above 4,096 rows UMAP finds neighbours with a seeded NN-descent itself.
    knn = _exact_knn(fit_emb, details["n_neighbors"]) if m < 4096 else (None, None, None)
    umap_model = UMAP(
        precomputed_knn=knn,
        n_neighbors=details["n_neighbors"],
        n_components=details["n_components"],
        min_dist=0.0,
        metric="cosine",
        # PCA start: the default spectral start costs minutes on large graphs and
        # gives the same clusters here.
        init="pca",
        random_state=options.seed,
        n_jobs=1,
        low_memory=True,
    )
    hdbscan_model = _BlobAwareHDBSCAN(min_size, min_samples)
    model = BERTopic(
        embedding_model=backend,
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        nr_topics=options.topics,
        top_n_words=TOP_WORDS,
    )
    say(f"clustering {m:,} replies (UMAP + HDBSCAN)")
    fitted, probs = model.fit_transform(fit_docs, fit_emb)
    fit_topics = np.asarray(fitted, dtype=np.int64)
    details["cluster_selection"] = hdbscan_model.selection
    if len(set(fit_topics.tolist()) - {-1}) < 2:
        details["hdbscan_topics"] = len(set(fit_topics.tolist()) - {-1})
        k = options.topics or _choose_k(embeddings, options.seed, range(2, 7))
        note = (
            (
                f"HDBSCAN found no distinct groups in these replies; they were split into {k} groups "
                "with k-means instead, so read the topics as a rough first look."
            )
            if k > 1
            else "HDBSCAN found no distinct groups in these replies (they are very alike), "
            "so they are shown as one group with its most frequent words."
        )
        return _kmeans_assignment(
            docs, embeddings, backend, vectorizer, k, options, "kmeans-fallback", note, details
        )
    details["outlier_share_before"] = round(float((fit_topics == -1).mean()), 4)
    probabilities = np.full(n, np.nan)
    fit_probs = np.asarray(probs, dtype=np.float64) if probs is not None else np.full(m, np.nan)
    threshold = _outlier_threshold(fit_emb, fit_topics)
    details["outlier_threshold"] = round(threshold, 4)
    say("moving outliers to their nearest topic")
    if (fit_topics == -1).any():
        reduced = np.asarray(
            model.reduce_outliers(
                fit_docs,
                fit_topics.tolist(),
                strategy="embeddings",
                embeddings=fit_emb,
                threshold=threshold,
            ),
            dtype=np.int64,
        )
    else:
        reduced = fit_topics
    fit_probs[reduced != fit_topics] = np.nan
    topics = np.full(n, -1, dtype=np.int64)
    topics[fit_rows] = reduced
    probabilities[fit_rows] = fit_probs
    rest = np.setdiff1d(np.arange(n), fit_rows, assume_unique=True)
    if len(rest):
        ids, cents = _centroids(fit_emb, reduced)
        nearest, sims = _nearest(embeddings[rest], ids, cents)
        topics[rest] = np.where(sims >= threshold, nearest, -1)
    topics = _cap_outliers(embeddings, topics, probabilities)
    say("naming topics (c-TF-IDF)")
    model.update_topics(
        docs, topics=topics.tolist(), vectorizer_model=vectorizer, top_n_words=TOP_WORDS
    )
    keywords = _keywords(model, topics)
    return TopicAssignment(topics, probabilities, keywords, "bertopic", None, details)


def _keywords(model: Any, topics: np.ndarray) -> dict[int, list[tuple[str, float]]]:
    out: dict[int, list[tuple[str, float]]] = {}
    for t in np.unique(topics).tolist():
        words = model.get_topic(int(t)) or []
        out[int(t)] = [(str(w), round(float(v), 6)) for w, v in words if w and float(v) > 0]
    return out


def _kmeans_assignment(
    docs: list[str],
    embeddings: np.ndarray,
    backend: Any,
    vectorizer: Any,
    k: int,
    options: TopicOptions,
    method: str,
    note: str,
    details: dict[str, Any],
) -> TopicAssignment:
    """k-means groups (no UMAP, no outliers) named through the same BERTopic c-TF-IDF."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    model = BERTopic(
        embedding_model=backend,
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=KMeans(k, random_state=options.seed, n_init=10),
        vectorizer_model=vectorizer,
        top_n_words=TOP_WORDS,
    )
    fitted, _ = model.fit_transform(docs, embeddings)
    topics = np.asarray(fitted, dtype=np.int64)
    details.update(method=method, k=k)
    nan = np.full(len(docs), np.nan)
    return TopicAssignment(topics, nan, _keywords(model, topics), method, note, details)


def _renumber(assignment: TopicAssignment) -> TopicAssignment:
    """Topic ids by size (0 = largest, ties by first row), outliers stay -1."""
    topics = assignment.topics
    ids = [t for t in np.unique(topics).tolist() if t != -1]
    first = {t: int(np.argmax(topics == t)) for t in ids}
    order = sorted(ids, key=lambda t: (-int((topics == t).sum()), first[t]))
    mapping = {old: new for new, old in enumerate(order)} | {-1: -1}
    lookup = np.vectorize(mapping.__getitem__, otypes=[np.int64])
    new_topics = lookup(topics) if len(topics) else topics
    keywords = {mapping[t]: kw for t, kw in assignment.keywords.items() if t in mapping}
    return replace(assignment, topics=new_topics, keywords=keywords)


# Any letter or digit of any script (DuckDB's RE2 knows Unicode classes; its
# [[:alnum:]] is ASCII-only and would leave out Arabic, Chinese, Greek, Russian ...).
HAS_WORDS = r"[\p{L}\p{N}]"


def load_topic_inputs(store: Store) -> pl.DataFrame:
    """platform, reply_id, text, like_count of replies with any letter or digit (any script), in (platform, reply_id) order."""
    frame = pl.from_arrow(
        store.con.sql(
            "SELECT platform, reply_id, text, coalesce(like_count, 0) AS like_count FROM replies "
            f"WHERE regexp_matches(text, '{HAS_WORDS}') ORDER BY platform, reply_id"
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def _left_out_note(total: int, modelled: int) -> str | None:
    """Why some stored replies are not in the model, or None when all are."""
    left = total - modelled
    if left <= 0:
        return None
    return (
        f"{plural(left, 'reply', 'replies')} of {total} left out: "
        f"{'it has' if left == 1 else 'they have'} no letters or digits (emoji-only or empty)."
    )


def compute_topic_run(
    store: Store, options: TopicOptions | None = None, progress: Progress | None = None
) -> TopicRunResult:
    """Model the stored replies' topics and save the run; returns its summary."""
    started = time.perf_counter()
    opts = options or TopicOptions()
    say = progress or (lambda _msg: None)
    replies = load_topic_inputs(store)
    stored = int(fetch_one(store.con, "SELECT count(*) FROM replies")[0])  # type: ignore[index]
    if replies.is_empty():
        if stored:
            raise TopicError(
                f"{plural(stored, 'reply', 'replies')} in the store, none with words to model "
                "(emoji-only or empty)."
            )
        raise TopicError(
            "there are no replies with text in the store; import some first (replyscope import FILE)."
        )
    # E-mail addresses and phone numbers never reach the embedder, the topic
    # words or the labels (the stored representative replies keep their text;
    # reports redact them when they show it).
    texts = redact_contacts(replies["text"]).to_list()
    say(f"loading the {opts.embedder} embedder")
    # transformers draws a "Loading weights" bar on stderr even when piped; progress is ours.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    embedder = load_embedder(opts.embedder, fit_texts=texts, seed=opts.seed)
    vectors, new = embed_cached(
        store,
        embedder,
        texts,
        progress=lambda done, total: say(f"embedding {done:,}/{total:,} new replies"),
    )
    assignment = _renumber(
        compute_topic_assignment(
            texts, vectors, embedder, opts, question_words(load_question_texts(store)), say
        )
    )
    notes = [n for n in (assignment.note, _left_out_note(stored, len(texts))) if n]
    assignment = replace(assignment, note=" ".join(notes) or None)
    if stored > len(texts):
        assignment.details["left_out_no_words"] = stored - len(texts)
    say("saving")
    table = compute_topic_table(
        replies, vectors, assignment.topics, assignment.keywords, label_texts=texts
    )
    run_id = save_topic_run(store, replies, assignment, table, opts, embedder.name, new)
    return TopicRunResult(
        run_id=run_id,
        embedder=embedder.name,
        replies=len(texts),
        topics=table.filter(pl.col("topic_id") != -1).height,
        outlier_share=float((assignment.topics == -1).mean()),
        note=assignment.note,
        new_embeddings=new,
        seconds=time.perf_counter() - started,
        table=table,
    )


def _insert_rows(store: Store, frame: pl.DataFrame, sql: str, run_id: int) -> None:
    store.con.register("_topic_rows", frame.to_arrow())
    try:
        store.con.execute(sql, [run_id])
    finally:
        store.con.unregister("_topic_rows")


def save_topic_run(
    store: Store,
    replies: pl.DataFrame,
    assignment: TopicAssignment,
    table: pl.DataFrame,
    options: TopicOptions,
    embedder_name: str,
    new_embeddings: int,
) -> int:
    """Write topic_runs, topics and reply_topics (one transaction); return the run_id."""
    parameters = {
        **asdict(options),
        "topics": options.topics or "auto",
        "max_outlier_share": MAX_OUTLIER_SHARE,
        **assignment.details,
    }
    assigned = replies.select("platform", "reply_id").with_columns(
        pl.Series("topic_id", assignment.topics, dtype=pl.Int32),
        pl.Series("probability", assignment.probabilities, dtype=pl.Float64).fill_nan(None),
    )
    share = float((assignment.topics == -1).mean())
    topics = table.filter(pl.col("topic_id") != -1).height
    versions = library_versions(options.embedder)
    with store.transaction():
        run_id = start_run(store, "topics", parameters=parameters)
        row: list[Any] = [run_id, embedder_name, options.seed, json.dumps(parameters, default=str)]
        row += [json.dumps(versions), replies.height, topics, share, assignment.note]
        store.con.execute("INSERT INTO topic_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        _insert_rows(
            store,
            table,
            "INSERT INTO topics SELECT ?, topic_id, label, keywords::JSON, size, likes, "
            "representative::JSON FROM _topic_rows",
            run_id,
        )
        _insert_rows(
            store,
            assigned,
            "INSERT INTO reply_topics SELECT ?, platform, reply_id, topic_id, probability FROM _topic_rows",
            run_id,
        )
        summary = {"topics": topics, "outlier_share": round(share, 4), "embedded": new_embeddings}
        counts = RunCounts(rows_in=replies.height, rows_added=replies.height, summary=summary)
        finish_run(store, run_id, counts, message=assignment.note)
    return run_id
