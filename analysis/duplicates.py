"""Exact and near duplicates and coordinated campaigns, from normalised reply texts.

The normalised text (analysis.quality.normalise) gives exact groups; MinHash
signatures of each text's words and word pairs, banded for LSH, find near
copies (a word changed, a name added), verified by estimated Jaccard
similarity and joined by connected components. A duplicate group posted by at
least `min_authors` different authors whose text has at least
CAMPAIGN_MIN_WORDS words is a campaign.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

MIN_AUTHORS = 3
NEAR_THRESHOLD = 0.6  # estimated Jaccard of the word + word-pair sets
NEAR_MIN_WORDS = 5
CAMPAIGN_MIN_WORDS = 6
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair at Jaccard 0.6 is a candidate 89% of the time
SEED = 20260302
MINHASH_MAX_WORDS = 60
MINHASH_BATCH = 200_000


def _words(norms: pl.Series) -> pl.Series:
    # The first MINHASH_MAX_WORDS words stand for a long text (copies share their start).
    return norms.str.split(" ").list.head(MINHASH_MAX_WORDS)


def _minhash(split: pl.Series, permutations: int) -> np.ndarray:
    """MinHash signatures (n x permutations, uint32) of each text's set of words and word pairs.

    Words and word pairs, not word triples: a ten-word reply with one word
    changed and a name added still shares two thirds of its set with the
    original, while unrelated replies share little beyond a few stopwords.
    """
    n = split.len()
    if n == 0:
        return np.zeros((0, permutations), dtype=np.uint32)
    words = pl.DataFrame({"i": np.arange(n, dtype=np.int64), "w": split})
    words = words.explode("w").filter(pl.col("w") != "")
    idx = words["i"].to_numpy()
    if len(idx) == 0 or idx[0] != 0 or np.count_nonzero(np.diff(idx)) != n - 1:
        raise ValueError("every text needs at least one word")
    wh = words["w"].hash(SEED).to_numpy()
    same = idx[:-1] == idx[1:]
    pair = wh[:-1][same] * np.uint64(0x9E3779B97F4A7C15) + (wh[1:][same] ^ np.uint64(0xA5A5))
    pair_idx = idx[:-1][same]
    has_pair = np.bincount(pair_idx, minlength=n) > 0
    uni_at = np.searchsorted(idx, np.arange(n))
    pair_at = np.minimum(np.searchsorted(pair_idx, np.arange(n)), max(len(pair) - 1, 0))
    x_uni = ((wh >> np.uint64(32)) ^ wh).astype(np.uint32)
    x_pair = ((pair >> np.uint64(32)) ^ pair).astype(np.uint32)
    rng = np.random.default_rng(SEED)
    mult = rng.integers(0, 2**31, size=permutations, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    add = rng.integers(0, 2**32, size=permutations, dtype=np.uint32)
    sig = np.empty((n, permutations), dtype=np.uint32)
    buf_uni = np.empty_like(x_uni)
    buf_pair = np.empty_like(x_pair)
    for k in range(permutations):
        # Universal hashing on 32 bits: a*x + b mod 2**32 (a odd) permutes the shingle hashes.
        np.multiply(x_uni, mult[k], out=buf_uni)
        buf_uni += add[k]
        low = np.minimum.reduceat(buf_uni, uni_at)
        if len(pair):
            np.multiply(x_pair, mult[k], out=buf_pair)
            buf_pair += add[k]
            low_pair = np.minimum.reduceat(buf_pair, pair_at)
            np.minimum(low, low_pair, out=low, where=has_pair)
        sig[:, k] = low
    return sig


def compute_near_groups(
    norms: pl.Series,
    weights: np.ndarray | None = None,
    *,
    threshold: float = NEAR_THRESHOLD,
    bands: int = BANDS,
) -> np.ndarray:
    """A component label per distinct normalised text (an index into norms): near copies share one.

    Each LSH bucket links its members to its hub -- the text posted most
    (weights), usually the unedited original that every edited copy resembles
    most -- and only links whose estimated Jaccard reaches the threshold count.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    n = norms.len()
    label = np.arange(n, dtype=np.int64)
    chosen, sigs = [np.zeros(0, dtype=np.int64)], [np.zeros((0, PERMUTATIONS), dtype=np.uint32)]
    for lo in range(0, n, MINHASH_BATCH):  # in batches: a word per row costs memory
        part = norms.slice(lo, MINHASH_BATCH)
        split = _words(part)
        # Distinct words: "the we the the we" is two words, too few to compare by overlap.
        ok = (split.list.n_unique() >= NEAR_MIN_WORDS) & (part != "")
        sigs.append(_minhash(split.filter(ok), PERMUTATIONS))
        chosen.append(ok.arg_true().to_numpy().astype(np.int64) + lo)
    eligible = np.concatenate(chosen)
    if len(eligible) < 2:
        return label
    m = len(eligible)
    sig = np.concatenate(sigs)
    del sigs
    rows = sig.shape[1] // bands
    key = np.zeros((m, bands), dtype=np.uint64)
    for r in range(rows):
        key = key * np.uint64(1_000_003) + sig[:, r::rows][:, :bands].astype(np.uint64)
    key += np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # bands apart
    # Most buckets hold one text. A cheap count over 22 bits of each band's keys
    # drops most of those before the exact (costlier) duplicate test.
    shared = np.zeros((m, bands), dtype=bool)
    for b in range(bands):
        low = (key[:, b] & np.uint64(0x3FFFFF)).astype(np.int64)
        shared[:, b] = np.bincount(low, minlength=0x400000)[low] > 1
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)[eligible]
    by_rank = np.lexsort((np.arange(m), -w))  # most replies first, then the lowest index
    rank = np.empty(m, dtype=np.int64)
    rank[by_rank] = np.arange(m)
    buckets = pl.DataFrame({"rank": np.repeat(rank, bands)[shared.ravel()], "key": key[shared]})
    # Most buckets hold one text; only shared ones make links (a star, linear in size).
    edges = (
        buckets.filter(pl.col("key").is_duplicated())
        .with_columns(hub=pl.col("rank").min().over("key"))
        .filter(pl.col("rank") != pl.col("hub"))
        .select("rank", "hub")
        .unique()
    )
    u, v = by_rank[edges["rank"].to_numpy()], by_rank[edges["hub"].to_numpy()]
    keep = np.zeros(len(u), dtype=bool)
    for lo in range(0, len(u), 200_000):
        same = sig[u[lo : lo + 200_000]] == sig[v[lo : lo + 200_000]]
        keep[lo : lo + 200_000] = same.mean(axis=1) >= threshold
    u, v = u[keep], v[keep]
    graph = sparse.coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    # A component's label is its smallest member's own index, so labels stay distinct.
    first = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, comp, eligible)
    label[eligible] = first[comp]
    return label


def compute_duplicates(
    norms: pl.Series,
    authors: pl.Series,
    *,
    min_authors: int = MIN_AUTHORS,
    near_threshold: float = NEAR_THRESHOLD,
) -> pl.DataFrame:
    """Duplicate group, kind and campaign of each reply, from its normalised text.

    Columns: norm, duplicate_group, duplicate_kind, campaign_id, group_size,
    group_authors (norms as made by analysis.quality.normalise).
    authors: any author id per reply, null when unknown (never counted as an author).
    """
    norm = norms
    per = pl.DataFrame(
        {"norm": norm, "key": norm.hash(SEED), "author": authors.cast(pl.String).hash(SEED)}
    ).with_columns(pl.when(pl.col("norm") != "").then("key").alias("key"))
    per = per.with_columns(author=pl.when(authors.is_not_null()).then("author"))
    uniq = (
        per.drop_nulls("key")
        .group_by("key")
        .agg(pl.col("norm").first(), n=pl.len())
        .sort("key")  # a fixed order, so the same data always gives the same groups
    )
    label = compute_near_groups(uniq["norm"], uniq["n"].to_numpy(), threshold=near_threshold)
    uniq = uniq.with_columns(comp=label)
    per = per.join(uniq.select("key", "comp"), on="key", how="left", maintain_order="left")
    stats = (
        per.drop_nulls("comp")
        .group_by("comp")
        .agg(
            group_size=pl.len(),
            group_texts=pl.col("key").n_unique(),
            group_authors=pl.col("author").drop_nulls().n_unique(),
        )
        .filter(pl.col("group_size") > 1)
    )
    # The group's id comes from its most-posted text (then the first in sort order).
    reps = (
        uniq.join(stats.select("comp"), on="comp")
        .sort("n", "norm", descending=[True, False])
        .group_by("comp")
        .agg(pl.col("norm").first())
    )
    reps = reps.with_columns(
        group=pl.Series([hashlib.md5(t.encode()).hexdigest()[:12] for t in reps["norm"]]),
        group_words=pl.col("norm").str.split(" ").list.n_unique(),
    )
    stats = stats.join(reps.select("comp", "group", "group_words"), on="comp")
    out = per.join(stats, on="comp", how="left", maintain_order="left")
    grouped = pl.col("group").is_not_null()
    campaign = (pl.col("group_authors") >= min_authors) & (
        pl.col("group_words") >= CAMPAIGN_MIN_WORDS
    )
    return out.select(
        "norm",
        duplicate_group=pl.lit("d") + pl.col("group"),
        duplicate_kind=pl.when(grouped).then(
            pl.when(pl.col("group_texts") > 1).then(pl.lit("near")).otherwise(pl.lit("exact"))
        ),
        campaign_id=pl.when(grouped & campaign).then(pl.lit("c") + pl.col("group")),
        group_size=pl.col("group_size").fill_null(1),
        group_authors=pl.col("group_authors").fill_null(0),
    )
