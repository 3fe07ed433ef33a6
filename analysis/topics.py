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
from analysis.languages import compute_reply_languages
from analysis.text import redact_contacts
from analysis.topic_clusters import (
    MAX_OUTLIER_SHARE,
    BlobAwareHDBSCAN,
    cap_outliers,
    centroids,
    choose_k,
    exact_knn,
    nearest_topic,
    outlier_threshold,
)
from analysis.topic_env import library_versions, prepare_numba
from analysis.topic_labels import (
    TOP_WORDS,
    choose_vectorizer,
    compute_topic_table,
    label_stemmer,
    load_question_texts,
    question_words,
)

# Re-exported so the whole topics API is importable from here.
from analysis.topic_labels import TopicError as TopicError
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
    thread: str | None = None  # the one thread modelled (`--thread`); None: the whole store


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


@dataclass
class _ModelInputs:
    """What every assignment strategy works from."""

    docs: list[str]
    embeddings: np.ndarray
    backend: Any  # our embedder as a BERTopic backend
    vectorizer: Any  # the c-TF-IDF vectorizer (stop words, question words, n-grams)
    options: TopicOptions
    details: dict[str, Any]  # what was done, recorded in topic_runs.parameters


@dataclass
class _Fit:
    """A BERTopic fit on some rows of the input (all of them, or a seeded sample)."""

    model: Any
    rows: np.ndarray  # the input rows fitted, in order
    docs: list[str]
    embeddings: np.ndarray
    topics: np.ndarray  # int, -1 = outlier
    probabilities: np.ndarray  # float, NaN where HDBSCAN gave none


def compute_topic_assignment(
    texts: Sequence[str],
    embeddings: np.ndarray,
    embedder: Embedder,
    options: TopicOptions,
    extra_stop_words: Sequence[str] = (),
    progress: Progress | None = None,
    languages: Sequence[str] = ("en",),
) -> TopicAssignment:
    """Topics for texts and their embeddings (rows in a stable order).

    BERTopic from SMALL_DATA replies up; k-means below that, or when HDBSCAN
    finds no distinct groups. Topic words leave out the stop words of
    `languages` and the extra (question) words.
    """
    say = progress or (lambda _msg: None)
    n = len(texts)
    if n == 0:
        raise TopicError("there are no replies with text to model; import some first.")
    docs = list(texts)
    vectorizer = choose_vectorizer(docs, extra_stop_words, languages)
    set_offline()
    say("loading BERTopic")
    prepare_numba()
    _quiet_libraries()
    inputs = _ModelInputs(
        docs,
        embeddings,
        _backend(embedder),
        vectorizer,
        options,
        details={
            "stop_words_added": list(extra_stop_words),
            "stop_word_languages": list(languages),
        },
    )
    if n < SMALL_DATA:
        return _small_data_assignment(inputs)
    return _bertopic_assignment(inputs, say)


def _small_data_assignment(inputs: _ModelInputs) -> TopicAssignment:
    """Too few replies for a topic model: k-means with k = 2-3, or one group, and a note."""
    n, options = len(inputs.docs), inputs.options
    if options.topics:
        k = max(1, min(options.topics, n // 3))
    else:
        k = 1 if n < TINY_DATA else choose_k(inputs.embeddings, options.seed, (2, 3))
    how = (
        "so they are shown as one group with its most frequent words."
        if k == 1
        else f"so they were split into {plural(k, 'group')} with k-means instead; "
        "read them as a rough first look."
    )
    note = (
        f"Only {plural(n, 'reply', 'replies')}: too few for a topic model "
        f"(it needs about {SMALL_DATA} or more), {how}"
    )
    return _kmeans_assignment(inputs, k, "kmeans" if k > 1 else "single", note)


def _bertopic_assignment(inputs: _ModelInputs, say: Progress) -> TopicAssignment:
    """UMAP + HDBSCAN through BERTopic; outliers moved to their nearest topic, then named."""
    fit = _fit_bertopic(inputs, say)
    if len(set(fit.topics.tolist()) - {-1}) < 2:
        return _kmeans_fallback(inputs, fit.topics)
    details = inputs.details
    details["outlier_share_before"] = round(float((fit.topics == -1).mean()), 4)
    threshold = outlier_threshold(fit.embeddings, fit.topics)
    details["outlier_threshold"] = round(threshold, 4)
    say("moving outliers to their nearest topic")
    reduced = _reduce_outliers(fit, threshold)
    topics, probabilities = _assign_all_rows(fit, reduced, inputs.embeddings, threshold)
    topics = cap_outliers(inputs.embeddings, topics, probabilities)
    say("naming topics (c-TF-IDF)")
    fit.model.update_topics(
        inputs.docs,
        topics=topics.tolist(),
        vectorizer_model=inputs.vectorizer,
        top_n_words=TOP_WORDS,
    )
    keywords = _keywords(fit.model, topics)
    return TopicAssignment(topics, probabilities, keywords, "bertopic", None, details)


def _fit_rows(n: int, options: TopicOptions) -> np.ndarray:
    """All rows, or a seeded sample of options.fit_sample rows (in order) of a larger input."""
    rng = np.random.default_rng(options.seed)
    if n > options.fit_sample:
        return np.sort(rng.choice(n, options.fit_sample, replace=False))
    return np.arange(n)


def _fit_bertopic(inputs: _ModelInputs, say: Progress) -> _Fit:
    """BERTopic with a seeded UMAP and the blob-aware HDBSCAN, fitted on the fit rows."""
    from bertopic import BERTopic

    options, details = inputs.options, inputs.details
    fit_rows = _fit_rows(len(inputs.docs), options)
    m = len(fit_rows)
    fit_docs = [inputs.docs[i] for i in fit_rows]
    fit_emb = inputs.embeddings[fit_rows]
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
    hdbscan_model = BlobAwareHDBSCAN(min_size, min_samples)
    model = BERTopic(
        embedding_model=inputs.backend,
        umap_model=_umap(fit_emb, details, options.seed),
        hdbscan_model=hdbscan_model,
        vectorizer_model=inputs.vectorizer,
        nr_topics=options.topics,
        top_n_words=TOP_WORDS,
    )
    say(f"clustering {m:,} replies (UMAP + HDBSCAN)")
    fitted, probs = model.fit_transform(fit_docs, fit_emb)
    details["cluster_selection"] = hdbscan_model.selection
    fit_probs = np.asarray(probs, dtype=np.float64) if probs is not None else np.full(m, np.nan)
    topics = np.asarray(fitted, dtype=np.int64)
    return _Fit(model, fit_rows, fit_docs, fit_emb, topics, fit_probs)


def _umap(fit_emb: np.ndarray, details: dict[str, Any], seed: int) -> Any:
    """A seeded, single-threaded UMAP with the neighbours and components in details."""
    from umap import UMAP

    # Above 4,096 rows UMAP finds neighbours with a seeded NN-descent itself.
    knn = exact_knn(fit_emb, details["n_neighbors"]) if len(fit_emb) < 4096 else (None, None, None)
    return UMAP(
        precomputed_knn=knn,
        n_neighbors=details["n_neighbors"],
        n_components=details["n_components"],
        min_dist=0.0,
        metric="cosine",
        # PCA start: the default spectral start costs minutes on large graphs and
        # gives the same clusters here.
        init="pca",
        random_state=seed,
        n_jobs=1,
        low_memory=True,
    )


def _kmeans_fallback(inputs: _ModelInputs, fit_topics: np.ndarray) -> TopicAssignment:
    """HDBSCAN found fewer than two topics: k-means groups instead, and a note saying so."""
    inputs.details["hdbscan_topics"] = len(set(fit_topics.tolist()) - {-1})
    k = inputs.options.topics or choose_k(inputs.embeddings, inputs.options.seed, range(2, 7))
    note = (
        (
            f"HDBSCAN found no distinct groups in these replies; they were split into {k} "
            "groups with k-means instead, so read the topics as a rough first look."
        )
        if k > 1
        else "HDBSCAN found no distinct groups in these replies (they are very alike), "
        "so they are shown as one group with its most frequent words."
    )
    return _kmeans_assignment(inputs, k, "kmeans-fallback", note)


def _reduce_outliers(fit: _Fit, threshold: float) -> np.ndarray:
    """The fit's topics with outliers near enough a topic (by embedding) moved into it."""
    if not (fit.topics == -1).any():
        return fit.topics
    return np.asarray(
        fit.model.reduce_outliers(
            fit.docs,
            fit.topics.tolist(),
            strategy="embeddings",
            embeddings=fit.embeddings,
            threshold=threshold,
        ),
        dtype=np.int64,
    )


def _assign_all_rows(
    fit: _Fit, reduced: np.ndarray, embeddings: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(topic, probability) of every row: the fitted rows' own, the others' nearest topic."""
    n = len(embeddings)
    fit_probs = fit.probabilities
    fit_probs[reduced != fit.topics] = np.nan  # a moved outlier has no HDBSCAN probability
    topics = np.full(n, -1, dtype=np.int64)
    topics[fit.rows] = reduced
    probabilities = np.full(n, np.nan)
    probabilities[fit.rows] = fit_probs
    rest = np.setdiff1d(np.arange(n), fit.rows, assume_unique=True)
    if len(rest):
        # Rows outside the fit sample join their nearest topic when near enough.
        ids, cents = centroids(fit.embeddings, reduced)
        nearest, sims = nearest_topic(embeddings[rest], ids, cents)
        topics[rest] = np.where(sims >= threshold, nearest, -1)
    return topics, probabilities


def _keywords(model: Any, topics: np.ndarray) -> dict[int, list[tuple[str, float]]]:
    out: dict[int, list[tuple[str, float]]] = {}
    for t in np.unique(topics).tolist():
        words = model.get_topic(int(t)) or []
        out[int(t)] = [(str(w), round(float(v), 6)) for w, v in words if w and float(v) > 0]
    return out


def _kmeans_assignment(inputs: _ModelInputs, k: int, method: str, note: str) -> TopicAssignment:
    """k-means groups (no UMAP, no outliers) named through the same BERTopic c-TF-IDF."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    model = BERTopic(
        embedding_model=inputs.backend,
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=KMeans(k, random_state=inputs.options.seed, n_init=10),
        vectorizer_model=inputs.vectorizer,
        top_n_words=TOP_WORDS,
    )
    fitted, _ = model.fit_transform(inputs.docs, inputs.embeddings)
    topics = np.asarray(fitted, dtype=np.int64)
    inputs.details.update(method=method, k=k)
    nan = np.full(len(inputs.docs), np.nan)
    return TopicAssignment(topics, nan, _keywords(model, topics), method, note, inputs.details)


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
    """platform, reply_id, text, like_count of replies with any letter or digit (any script).

    Rows in (platform, reply_id) order, so the same replies always give the same model.
    """
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
            "there are no replies with text in the store; import some first "
            "(replyscope import FILE)."
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
    langs = compute_reply_languages(store, replies)
    assignment = _renumber(
        compute_topic_assignment(
            texts,
            vectors,
            embedder,
            opts,
            question_words(load_question_texts(store)),
            say,
            languages=langs.languages,
        )
    )
    assignment.details["languages_from"] = langs.source
    notes = [n for n in (assignment.note, _left_out_note(stored, len(texts))) if n]
    assignment = replace(assignment, note=" ".join(notes) or None)
    if stored > len(texts):
        assignment.details["left_out_no_words"] = stored - len(texts)
    say("saving")
    table = compute_topic_table(
        replies,
        vectors,
        assignment.topics,
        assignment.keywords,
        label_texts=texts,
        stem=label_stemmer(langs.languages),
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
            "INSERT INTO reply_topics "
            "SELECT ?, platform, reply_id, topic_id, probability FROM _topic_rows",
            run_id,
        )
        summary = {"topics": topics, "outlier_share": round(share, 4), "embedded": new_embeddings}
        counts = RunCounts(rows_in=replies.height, rows_added=replies.height, summary=summary)
        finish_run(store, run_id, counts, message=assignment.note)
    return run_id
