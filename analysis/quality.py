"""Reply quality: language, exact and near duplicates, coordinated campaigns, low-content and spam.

One `replyscope quality` run writes one `reply_quality` row per reply and one
`campaigns` row per campaign; earlier runs are kept and the views read the
latest. Everything is vectorised (polars, numpy, scipy.sparse):

- language: py3langid's naive Bayes model (inside the wheel, no download),
  run on all texts at once -- its byte automaton stepped across every text
  together, the feature counts one sparse matrix product -- giving the label
  and normalised probability of `classify` with `norm_probs=True`. Text with
  under LANG_MIN_WORDS words or LANG_MIN_LETTERS letters (after URLs,
  mentions, hashtags and emoji are removed) is "unknown" (null), not a guess.
- duplicates: the normalised text (`analysis.text.match_form`: case, accents,
  URLs, @mentions, emoji and punctuation folded) gives exact groups; MinHash
  signatures of each text's words and word pairs, banded for LSH, find near
  copies (a word changed, a name added), verified by estimated Jaccard
  similarity and joined by connected components. Texts with fewer than
  NEAR_MIN_WORDS different words group only exactly.
- campaigns: a duplicate group posted by at least `min_authors` different
  authors whose text has at least CAMPAIGN_MIN_WORDS words ("first" or "so
  true" said by fifty people is a duplicate, not a coordinated campaign).
- low content (empty, emoji only, mentions/hashtags only, link only, a single
  word) and spam (a link, or a "check my bio" pointer, with promotion words),
  each with a reason sentence.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from analysis.langid import lang_model
from analysis.text import _MENTION, _URL, fold, match_form
from store import RunCounts, Store, fetch_one, finish_run, start_run

MIN_AUTHORS = 3
NEAR_THRESHOLD = 0.6  # estimated Jaccard of the word + word-pair sets
NEAR_MIN_WORDS = 5
CAMPAIGN_MIN_WORDS = 6
LANG_MIN_WORDS = 4
LANG_MIN_LETTERS = 20
LANG_MIN_UNSPACED = 8  # Chinese, Japanese, Thai...: characters, as words have no spaces
LANG_MAX_CHARS = 600  # the first 600 characters decide the language of a long reply
LANG_BATCH = 50_000
THREADS = min(4, os.cpu_count() or 1)
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair at Jaccard 0.6 is a candidate 89% of the time
SEED = 20260302
MINHASH_MAX_WORDS = 60
MINHASH_BATCH = 200_000

_EMOJI = (
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\x{FE0F}\x{200D}\x{20E3}\x{1F3FB}-\x{1F3FF}]"
)
_HASHTAG = r"#[\p{L}\p{M}\p{N}_]+"
_UNSPACED = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
# Promotion words: with a link (or a pointer to the profile) they make a reply spam.
# Kept to calls to action: "cheaper", "earned", "sign up", "WhatsApp" alone are news words.
_PROMO = (
    r"\b(?:dm me|dm for|message me|inbox me|text me|(?:whats ?app|telegram) (?:me|us|\+?\d)"
    r"|join (?:my|our) (?:telegram|whats ?app|channel|group)|follow me|follow back|follow my"
    r"|follow us|free followers|cheap (?:followers|likes|views|price)|cheapest|crypto\w*|bitcoin"
    r"|btc|ethereum|forex|binary options|giveaway|earn(?:ing)?s? (?:money|cash|extra|up to|from"
    r" home|daily|\$|\d)|passive income|make money|making money|investment plan|daily profit"
    r"|click (?:here|the link|link|on my)|check my bio|link in (?:my )?bio|promo code|discount"
    r" code|coupon|onlyfans|only fans|airdrop|nft|casino|betting|slot gacor|gacor|maxwin|togel"
    r"|deposit bonus|welcome bonus|cuan)\b|\d+ ?% ?off\b"
)
_BIO_POINTER = (
    r"(?i)\b(?:check (?:my )?(?:bio|profile)|see my (?:bio|profile)|visit my (?:bio|profile|page)"
    r"|link in (?:my )?bio|in my bio|cek bio|link di bio|lihat bio)\b"
)
LOW_CONTENT_REASONS = {
    "empty": "Empty after cleaning (no words, emoji or links).",
    "emoji-only": "Emoji only.",
    "mentions-only": "Only @mentions or #hashtags.",
    "link-only": "Only a link.",
    "single-word": "A single word.",
}


@dataclass
class QualityResult:
    """What a quality run found."""

    run_id: int
    replies: int
    languages: dict[str, int]
    unknown_language: int
    duplicate_groups: int
    duplicates: int
    near_groups: int
    campaigns: int
    campaign_replies: int
    low_content: int
    spam: int
    parameters: dict[str, Any] = field(default_factory=dict)


# --- language -------------------------------------------------------------------


def _where(s: pl.Series, mask: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """fn applied only to the rows under mask (the costly Unicode steps most rows skip)."""
    idx = mask.fill_null(False).arg_true()
    return s.clone().scatter(idx, fn(s.gather(idx))) if idx.len() else s  # scatter is in place


def _prepare(texts: pl.Series) -> pl.DataFrame:
    """What every check shares: the text, its normalised form, its words without URLs, mentions, tags."""
    s = texts.cast(pl.String).fill_null("")
    pre = s.str.replace_all(_URL, " ").str.replace_all(_MENTION, " ")
    hashtag = s.str.contains(_HASHTAG)
    bare = _where(pre, hashtag, lambda x: x.str.replace_all(_HASHTAG, " "))
    # match_form's steps, with its accent folding run only where there is non-ASCII text.
    lower = _where(bare.str.to_lowercase(), ~bare.str.contains(r"^[\x00-\x7F]*$"), fold)
    words_only = lower.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    # The duplicate form keeps hashtags as words (#PublicServices -> public services).
    norm = _where(words_only, hashtag, lambda x: match_form(s.gather(hashtag.arg_true())))
    spaces = words_only.str.count_matches(" ", literal=True)
    words = pl.select(pl.when(words_only == "").then(0).otherwise(spaces + 1)).to_series()
    return pl.DataFrame(
        {
            "text": s,
            "bare": bare.str.replace_all(_EMOJI, "").str.strip_chars(),
            "norm": norm.str.strip_chars(),
            "url": s.str.contains(_URL),
            "tag": s.str.contains(_MENTION) | hashtag,
            "emoji": s.str.contains(_EMOJI),
            "words": words,
            # Letters and digits: close enough to tell a sentence from a few words.
            "letters": words_only.str.len_chars() - spaces,
            "unspaced": bare.str.count_matches(_UNSPACED),
        }
    )


def compute_languages(
    texts: pl.Series, *, languages: list[str] | None = None, prepared: pl.DataFrame | None = None
) -> pl.DataFrame:
    """lang (null when there is too little text to tell) and lang_confidence for each text."""
    prep = _prepare(texts) if prepared is None else prepared
    enough = ((pl.col("words") >= LANG_MIN_WORDS) & (pl.col("letters") >= LANG_MIN_LETTERS)) | (
        pl.col("unspaced") >= LANG_MIN_UNSPACED
    )
    frame = prep.select(t=pl.when(enough).then(pl.col("bare").str.slice(0, LANG_MAX_CHARS)))
    frame = frame.with_columns(key=pl.col("t").hash(SEED))
    todo = frame.drop_nulls("t").unique("key").sort("key")
    # py3langid lower-cases text written all in capitals, then reads NFC UTF-8.
    t = todo["t"]
    shouting = ~t.str.contains(r"\p{Ll}") & t.str.contains(r"\p{Lu}")
    read = _where(t, shouting, lambda x: x.str.to_lowercase())
    read = _where(read, ~read.str.contains(r"^[\x00-\x7F]*$"), lambda x: x.str.normalize("NFC"))
    model = lang_model(tuple(sorted(languages)) if languages else None)

    def classify(lo: int) -> tuple[np.ndarray, np.ndarray]:
        arr = pc.cast(read.slice(lo, LANG_BATCH).cast(pl.Binary).to_arrow(), pa.large_binary())
        buffers = arr.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        return model.classify(np.frombuffer(buffers[2], dtype=np.uint8), offsets)

    # numpy and scipy let go of the GIL in the heavy steps, so batches run side by side.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        parts = [(np.zeros(0, dtype=np.int64), np.zeros(0))]
        parts += list(pool.map(classify, range(0, read.len(), LANG_BATCH)))
    labels, confs = zip(*parts, strict=True)
    codes = pl.Series(model.classes.tolist(), dtype=pl.String)
    known = pl.DataFrame(
        {
            "key": todo["key"],
            "lang": codes.gather(np.concatenate(labels)),
            "lang_confidence": np.concatenate(confs),
        }
    )
    out = frame.join(known, on="key", how="left", maintain_order="left")
    return out.select("lang", "lang_confidence")


# --- content flags ----------------------------------------------------------------


def compute_content_flags(
    texts: pl.Series, *, prepared: pl.DataFrame | None = None
) -> pl.DataFrame:
    """content_flag (one low-content label), spam_flag, promo term, low_content and spam per text."""
    prep = _prepare(texts) if prepared is None else prepared
    pointer = prep["text"].str.contains(_BIO_POINTER)
    # Promotion words only matter with a link or a profile pointer: search just those.
    idx = (prep["url"] | pointer).arg_true()
    promo = pl.Series("promo", [None] * prep.height, dtype=pl.String)
    if idx.len():
        found = fold(prep["text"].gather(idx)).str.extract(f"({_PROMO})", 1)
        promo = promo.scatter(idx, found.str.strip_chars())
    frame = prep.with_columns(promo=promo, pointer=pointer)
    content = (
        pl.when(pl.col("words") > 0)
        .then(
            # One long "word" in a script without spaces is a sentence, not a word.
            pl.when((pl.col("words") == 1) & (pl.col("unspaced") <= 3)).then(pl.lit("single-word"))
        )
        .when("url")
        .then(pl.lit("link-only"))
        .when("emoji")  # "@ana 🔥🔥" is an emoji reply addressed to someone
        .then(pl.lit("emoji-only"))
        .when("tag")
        .then(pl.lit("mentions-only"))
        .otherwise(pl.lit("empty"))
    )
    spam = (
        pl.when(pl.col("promo").is_null())
        .then(None)
        .when("url")
        .then(pl.lit("link-promo"))
        .when("pointer")
        .then(pl.lit("bio-promo"))
    )
    return frame.select(content_flag=content, spam_flag=spam, promo="promo").with_columns(
        low_content=pl.col("content_flag").is_not_null(), spam=pl.col("spam_flag").is_not_null()
    )


# --- duplicates -----------------------------------------------------------------


def normalise(texts: pl.Series) -> pl.Series:
    """The duplicate-matching form: match_form without its padding ('' when nothing is left)."""
    return _prepare(texts)["norm"]


def compute_minhash(norms: pl.Series, *, permutations: int = PERMUTATIONS) -> np.ndarray:
    """MinHash signatures (n x permutations, uint32) of the set of words and word pairs of each text.

    Words and word pairs, not word triples: a ten-word reply with one word
    changed and a name added still shares two thirds of its set with the
    original, while unrelated replies share little beyond a few stopwords.
    """
    return _minhash(_words(norms), permutations)


def _words(norms: pl.Series) -> pl.Series:
    # The first MINHASH_MAX_WORDS words stand for a long text (copies share their start).
    return norms.str.split(" ").list.head(MINHASH_MAX_WORDS)


def _minhash(split: pl.Series, permutations: int) -> np.ndarray:
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
    texts: pl.Series,
    authors: pl.Series,
    *,
    min_authors: int = MIN_AUTHORS,
    near_threshold: float = NEAR_THRESHOLD,
    norms: pl.Series | None = None,
) -> pl.DataFrame:
    """Per reply: norm, duplicate_group, duplicate_kind, campaign_id, group_size, group_authors.

    authors: any author id per reply, null when unknown (never counted as an author).
    """
    norm = normalise(texts) if norms is None else norms
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


def compute_quality(
    frame: pl.DataFrame,
    *,
    min_authors: int = MIN_AUTHORS,
    near_threshold: float = NEAR_THRESHOLD,
    languages: list[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(a quality row per reply, a row per campaign) from platform, reply_id, author, created_at, text."""
    prepared = _prepare(frame["text"])
    # Language detection and duplicate detection share nothing: run them side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        detecting = pool.submit(
            compute_languages, frame["text"], languages=languages, prepared=prepared
        )
        content = compute_content_flags(frame["text"], prepared=prepared)
        dups = compute_duplicates(
            frame["text"],
            frame["author"],
            min_authors=min_authors,
            near_threshold=near_threshold,
            norms=prepared["norm"],
        )
        lang = detecting.result()
    del prepared
    rows = pl.concat(
        [frame.select("platform", "reply_id", "author", "created_at", "text"), lang, content, dups],
        how="horizontal",
    )
    kind, size = pl.col("duplicate_kind"), pl.col("group_size")
    copies = (
        pl.when(kind == "exact").then(pl.lit(" identical")).otherwise(pl.lit(" near-identical"))
    )
    dup_sentence = (
        pl.when(pl.col("campaign_id").is_not_null())
        .then(
            pl.format("Campaign {}: one of {}", "campaign_id", size)
            + copies
            + pl.format(" replies by {} authors.", "group_authors")
        )
        .when(kind.is_not_null())
        .then(
            pl.when(kind == "exact").then(pl.lit("Exact")).otherwise(pl.lit("Near"))
            + pl.format(" duplicate of {} other replies ({}).", size - 1, "duplicate_group")
        )
    )
    spam_sentence = (
        pl.when(pl.col("spam_flag") == "link-promo")
        .then(pl.format("Spam: a link with promotion ('{}').", "promo"))
        .when(pl.col("spam_flag") == "bio-promo")
        .then(pl.format("Spam: promotion ('{}') pointing to the profile.", "promo"))
    )
    content_sentence = pl.col("content_flag").replace_strict(
        LOW_CONTENT_REASONS, default=None, return_dtype=pl.String
    )
    flags = pl.concat_list(
        "content_flag",
        pl.lit("spam-") + pl.col("spam_flag"),
        pl.when(pl.col("campaign_id").is_null()).then(kind + "-duplicate"),
        pl.when(pl.col("campaign_id").is_not_null()).then(pl.lit("campaign")),
    ).list.drop_nulls()
    reason = pl.concat_str(
        [content_sentence, spam_sentence, dup_sentence], separator=" ", ignore_nulls=True
    )
    rows = rows.with_columns(flags=flags, reason=reason).with_columns(
        reason=pl.when(pl.col("reason") != "").then("reason")
    )
    campaigns = (
        rows.filter(pl.col("campaign_id").is_not_null())
        .sort("created_at", "platform", "reply_id", nulls_last=True)
        .group_by("campaign_id")
        .agg(
            replies=pl.len(),
            authors=pl.col("author").drop_nulls().n_unique(),
            first_at=pl.col("created_at").min(),
            last_at=pl.col("created_at").max(),
            example_text=pl.col("text").first(),
        )
        .sort("replies", "campaign_id", descending=[True, False])
    )
    return rows.drop("author", "created_at", "text", "group_size", "group_authors"), campaigns


# --- the store --------------------------------------------------------------------


def load_quality_input(store: Store) -> pl.DataFrame:
    """platform, reply_id, author (platform-qualified id, handle or name), created_at, text."""
    frame = pl.from_arrow(
        store.con.sql(
            """SELECT platform, reply_id,
                      platform || ':' || coalesce(author_id, author_handle, author_name) AS author,
                      created_at, text
               FROM replies ORDER BY platform, reply_id"""
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def save_quality(store: Store, run_id: int, rows: pl.DataFrame, campaigns: pl.DataFrame) -> None:
    """Insert a run's reply_quality and campaigns rows (inside the caller's transaction)."""
    con = store.con
    for name, frame, sql in (
        (
            "_quality_in",
            rows,
            """INSERT INTO reply_quality SELECT ?, platform, reply_id, lang, lang_confidence,
                   CASE WHEN norm <> '' THEN left(md5(norm), 16) END, duplicate_group, duplicate_kind, campaign_id, low_content, spam, flags, reason
               FROM _quality_in""",
        ),
        (
            "_campaigns_in",
            campaigns,
            """INSERT INTO campaigns SELECT ?, campaign_id, replies, authors, first_at, last_at,
                   example_text FROM _campaigns_in""",
        ),
    ):
        if not frame.height:
            continue
        con.register(name, frame.to_arrow())
        try:
            con.execute(sql, [run_id])
        finally:
            con.unregister(name)


def run_quality(
    store: Store,
    *,
    min_authors: int = MIN_AUTHORS,
    near_threshold: float = NEAR_THRESHOLD,
    languages: list[str] | None = None,
) -> QualityResult:
    """Assess every stored reply as one `quality` run and store the rows; earlier runs stay."""
    if min_authors < 2:
        raise ValueError(
            "--min-authors must be at least 2 (one author's copies are not a campaign)."
        )
    if not 0 < near_threshold <= 1:
        raise ValueError("--near-threshold must be between 0 and 1 (e.g. 0.6).")
    params: dict[str, Any] = {
        "min_authors": min_authors,
        "near_threshold": near_threshold,
        "languages": languages,
        "permutations": PERMUTATIONS,
        "bands": BANDS,
        "near_min_words": NEAR_MIN_WORDS,
        "campaign_min_words": CAMPAIGN_MIN_WORDS,
    }
    frame = load_quality_input(store)
    rows, campaigns = compute_quality(
        frame, min_authors=min_authors, near_threshold=near_threshold, languages=languages
    )
    langs = rows.group_by("lang").len().sort("len", "lang", descending=[True, False])
    grouped = rows.filter(pl.col("duplicate_group").is_not_null())
    result = QualityResult(
        run_id=0,
        replies=rows.height,
        languages={k: int(v) for k, v in langs.drop_nulls("lang").iter_rows()},
        unknown_language=int(rows["lang"].null_count()),
        duplicate_groups=grouped["duplicate_group"].n_unique(),
        duplicates=grouped.height,
        near_groups=grouped.filter(pl.col("duplicate_kind") == "near")[
            "duplicate_group"
        ].n_unique(),
        campaigns=campaigns.height,
        campaign_replies=int(rows["campaign_id"].is_not_null().sum()),
        low_content=int(rows["low_content"].sum()),
        spam=int(rows["spam"].sum()),
        parameters=params,
    )
    summary = {k: v for k, v in vars(result).items() if k not in ("run_id", "parameters")}
    with store.transaction():
        run_id = start_run(store, "quality", parameters=params)
        save_quality(store, run_id, rows, campaigns)
        finish_run(
            store, run_id, RunCounts(rows_in=rows.height, rows_added=rows.height, summary=summary)
        )
    result.run_id = run_id
    return result


def _latest_run(store: Store) -> int | None:
    row = fetch_one(
        store.con, "SELECT max(run_id) FROM runs WHERE kind = 'quality' AND status = 'ok'"
    )
    return int(row[0]) if row and row[0] is not None else None


def render_quality_status(store: Store) -> str:
    """A short block for `replyscope status`: campaigns, duplicates, low content, spam, languages."""
    run_id = _latest_run(store)
    if run_id is None:
        return ""
    row = fetch_one(
        store.con,
        """SELECT count(*), count(DISTINCT campaign_id), count(campaign_id),
                  count(DISTINCT duplicate_group), count(duplicate_group),
                  count(*) FILTER (low_content), count(*) FILTER (spam), count(*) FILTER (lang IS NULL),
                  (SELECT json_extract(parameters, '$.min_authors') FROM runs WHERE run_id = ?)
           FROM reply_quality WHERE run_id = ?""",
        [run_id, run_id],
    )
    assert row is not None
    total, camps, camp_rows, groups, dup_rows, low, spam, unknown = (int(v) for v in row[:8])
    langs = store.con.execute(
        """SELECT lang, count(*) AS n FROM reply_quality WHERE run_id = ? AND lang IS NOT NULL
           GROUP BY lang ORDER BY n DESC, lang LIMIT 5""",
        [run_id],
    ).fetchall()

    def pct(n: int) -> str:
        return f"{n} ({n / total:.0%})" if total else str(n)

    top = ", ".join(f"{lang} {pct(int(n))}" for lang, n in langs) or "none detected"
    return "\n".join(
        [
            f"Reply quality (run {run_id}, {total} replies; replyscope quality to refresh)",
            f"  campaigns:    {camps}, {pct(camp_rows)} replies (same text from >= {row[8]} authors)",
            f"  duplicates:   {pct(dup_rows)} replies in {groups} groups of exact or near copies",
            f"  low content:  {pct(low)}",
            f"  spam:         {pct(spam)}",
            f"  languages:    {top}; too short to tell {pct(unknown)}",
        ]
    )


def campaign_weights(store: Store) -> pl.DataFrame:
    """platform, reply_id, weight: each of a campaign's k replies weighs 1/k, any other reply 1."""
    run_id = _latest_run(store)
    frame = pl.from_arrow(
        store.con.sql(
            f"""SELECT r.platform, r.reply_id,
                       CASE WHEN q.campaign_id IS NULL THEN 1.0
                            ELSE 1.0 / count(*) OVER (PARTITION BY q.campaign_id) END AS weight
                FROM replies r
                LEFT JOIN (SELECT platform, reply_id, campaign_id FROM reply_quality
                           WHERE run_id = {int(run_id) if run_id is not None else -1}) q
                  USING (platform, reply_id)
                ORDER BY r.platform, r.reply_id"""
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("weight").cast(pl.Float64))
