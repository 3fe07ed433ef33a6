"""Reply quality: language, exact and near duplicates, coordinated campaigns, low-content and spam.

One `replyscope quality` run writes one `reply_quality` row per reply and one
`campaigns` row per campaign; earlier runs are kept and the views read the
latest. Everything is vectorised (polars, numpy, scipy.sparse) so a million
replies take well under a minute:

- language: py3langid's naive Bayes model (shipped inside the wheel, no
  download), run for all texts at once -- the byte automaton is stepped
  across every text together and the feature counts are one sparse matrix
  product -- giving the same label and normalised probability as
  `LanguageIdentifier.classify(norm_probs=True)`. Too little text is
  "unknown" (null), not a guess.
- duplicates: the normalised text (`analysis.text.match_form`: case, accents,
  URLs, @mentions, emoji and punctuation folded) gives exact groups; MinHash
  signatures of word 2-shingles with LSH banding find near copies (a word
  changed, a name added), verified by estimated Jaccard similarity and joined
  with connected components. Texts under NEAR_MIN_WORDS words group only exactly.
- campaigns: a duplicate group posted by at least `min_authors` different
  authors, whose text has at least CAMPAIGN_MIN_WORDS words ("first" said by
  fifty people is a duplicate, not a campaign).
- low content (empty, emoji only, mentions/hashtags only, link only, a single
  word) and spam (a link, or a "check my bio" pointer, with promotion words);
  each flag comes with a reason sentence.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from analysis.text import _MENTION, _URL, fold, match_form
from store import RunCounts, Store, fetch_one, finish_run, start_run

MIN_AUTHORS = 3
NEAR_THRESHOLD = 0.6  # estimated Jaccard of word 2-shingles for a near copy
NEAR_MIN_WORDS = 5
CAMPAIGN_MIN_WORDS = 4
LANG_MIN_WORDS = 4
LANG_MIN_LETTERS = 20
LANG_MIN_CJK = 8  # scripts written without spaces: characters instead of words
LANG_MAX_CHARS = 600  # the first 600 characters decide the language of a long reply
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: pairs at Jaccard 0.6 become candidates 89% of the time
MINHASH_SEED = 20260302
MINHASH_BLOCK = 16_000_000  # hashes per block: 128 MB of uint64 at a time
LANG_BATCH = 50_000

_EMOJI = (
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\x{FE0F}\x{200D}\x{20E3}\x{1F3FB}-\x{1F3FF}]"
)
_HASHTAG = r"#[\p{L}\p{M}\p{N}_]+"
_NO_SPACE_SCRIPT = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
# Promotion words: with a link (or a pointer to the profile) they make a reply spam.
_NOT_WORDS = f"(?:{_URL})|(?:{_MENTION})|{_HASHTAG}|{_EMOJI}"
_PROMO = (
    r"(?i)\b(?:dm me|dm for|message me|inbox me|text me|whats ?app|telegram|follow me|follow back"
    r"|follow my|follow us|free followers|crypto\w*|bitcoin|btc|ethereum|forex|binary options"
    r"|giveaway|earn(?:ed|ing|ings)?|passive income|make money|making money|investment plan"
    r"|daily profit|click|check my bio|link in (?:my )?bio|cheap\w*|promo code|discount code"
    r"|coupon|onlyfans|only fans|sign up|airdrop|nft|casino|betting|slot gacor|gacor|maxwin"
    r"|togel|deposit bonus|welcome bonus|cuan)\b|\d+ ?% ?off\b"
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


class _LangModel:
    """py3langid's model as numpy arrays, classifying a whole batch of texts at once."""

    def __init__(self, languages: tuple[str, ...] | None) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if languages:
            ident.set_languages(list(languages))  # ValueError names unknown codes
        nextmove = np.asarray(ident.tk_nextmove, dtype=np.int64)
        rowbase = np.asarray(ident.tk_row, dtype=np.int32) << 8
        output = np.asarray(ident.tk_output, dtype=np.int32)
        # Indexed by (row base of the current state + byte): the next state's row
        # base and the feature it emits, so one step of the automaton is two gathers.
        self.start = int(rowbase[0])
        self.next_base = rowbase[nextmove]
        self.next_feat = output[nextmove]
        self.ptc = np.asarray(ident.nb_ptc, dtype=np.float32)
        self.pc = np.asarray(ident.nb_pc, dtype=np.float32)
        self.classes = np.asarray(ident.nb_classes, dtype=object)
        self.alias = list(ident._alias_pairs)

    def classify(self, data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(label index, probability) per text, given UTF-8 bytes and offsets (n + 1)."""
        from scipy import sparse

        lengths = np.diff(offsets)
        n = len(lengths)
        # Longest first, so the texts still being read at byte j are a prefix.
        order = np.argsort(-lengths, kind="stable")
        starts, lens = offsets[:-1][order], lengths[order]
        active = np.searchsorted(-lens, -np.arange(int(lens[0]) if n else 0), side="left")
        base = np.full(n, self.start, dtype=np.int32)
        rows: list[np.ndarray] = []
        feats: list[np.ndarray] = []
        for j, k in enumerate(active.tolist()):
            addr = base[:k] + data[starts[:k] + j]
            f = self.next_feat[addr]
            base[:k] = self.next_base[addr]
            hit = np.flatnonzero(f >= 0).astype(np.int32)
            rows.append(hit)
            feats.append(f[hit])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
        c = np.concatenate(feats) if feats else np.zeros(0, dtype=np.int32)
        counts = sparse.csr_matrix(
            (np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, self.ptc.shape[0])
        )
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self.ptc) + self.pc
        # A text without features scores 0 everywhere (uniform), as in py3langid.
        scores[np.diff(counts.indptr) == 0] = 0.0
        scores *= (1.0 / np.sqrt(np.maximum(lens, 1)))[:, None].astype(np.float32)
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, dup in self.alias:  # script variants of one language share a label
            scores[:, i] += scores[:, dup]
            scores[:, dup] = 0.0
        best = scores.argmax(axis=1)
        prob = scores[np.arange(n), best]
        label = np.empty(n, dtype=np.int64)
        conf = np.empty(n, dtype=np.float64)
        label[order], conf[order] = best, prob
        return label, conf


@lru_cache(maxsize=4)
def _lang_model(languages: tuple[str, ...] | None) -> _LangModel:
    return _LangModel(languages)


def _prepare(texts: pl.Series) -> pl.DataFrame:
    """What language and content checks share: the text without URLs, mentions, tags, emoji."""
    s = texts.cast(pl.String).fill_null("")
    core = s.str.replace_all(_NOT_WORDS, " ")
    return pl.DataFrame(
        {
            "text": s,
            "core": core,
            "url": s.str.contains(_URL),
            "tag": s.str.contains(_MENTION) | s.str.contains(_HASHTAG),
            "emoji": s.str.contains(_EMOJI),
            "words": core.str.count_matches(r"[\p{L}\p{M}\p{N}]+"),
            "letters": core.str.count_matches(r"\p{L}"),
            "unspaced": core.str.count_matches(_NO_SPACE_SCRIPT),
        }
    )


def compute_languages(
    texts: pl.Series, *, languages: list[str] | None = None, prepared: pl.DataFrame | None = None
) -> pl.DataFrame:
    """lang (null when there is too little text to tell) and lang_confidence for each text."""
    prep = _prepare(texts) if prepared is None else prepared
    enough = ((pl.col("words") >= LANG_MIN_WORDS) & (pl.col("letters") >= LANG_MIN_LETTERS)) | (
        pl.col("unspaced") >= LANG_MIN_CJK
    )
    frame = prep.select(
        t=pl.when(enough).then(
            pl.col("core")
            .str.replace_all(r"\s+", " ")
            .str.strip_chars()
            .str.slice(0, LANG_MAX_CHARS)
        )
    )
    todo = frame.select(pl.col("t").drop_nulls().unique())["t"]
    # py3langid lower-cases text written all in capitals, then reads NFC UTF-8.
    shouting = (todo == todo.str.to_uppercase()) & (todo != todo.str.to_lowercase())
    read = pl.select(pl.when(shouting).then(todo.str.to_lowercase()).otherwise(todo)).to_series()
    read = read.str.normalize("NFC")
    model = _lang_model(tuple(sorted(languages)) if languages else None)

    def run(lo: int) -> tuple[np.ndarray, np.ndarray]:
        arr = pc.cast(read.slice(lo, LANG_BATCH).cast(pl.Binary).to_arrow(), pa.large_binary())
        buffers = arr.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        return model.classify(np.frombuffer(buffers[2], dtype=np.uint8), offsets)

    # numpy and scipy release the GIL in the heavy steps, so threads use every core.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(run, range(0, todo.len(), LANG_BATCH)))
    label = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    conf = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    codes = pl.Series(model.classes.tolist(), dtype=pl.String)
    known = pl.DataFrame({"t": todo, "lang": codes.gather(label), "lang_confidence": conf})
    return frame.join(known, on="t", how="left", maintain_order="left").drop("t")


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
    return frame.select(
        content_flag=pl.when(pl.col("words") > 0)
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
        .otherwise(pl.lit("empty")),
        spam_flag=pl.when(pl.col("promo").is_null())
        .then(None)
        .when("url")
        .then(pl.lit("link-promo"))
        .when("pointer")
        .then(pl.lit("bio-promo")),
        promo="promo",
    ).with_columns(
        low_content=pl.col("content_flag").is_not_null(), spam=pl.col("spam_flag").is_not_null()
    )


# --- duplicates -----------------------------------------------------------------


def compute_minhash(norms: pl.Series, *, permutations: int = PERMUTATIONS) -> np.ndarray:
    """MinHash signatures (n x permutations, uint32) of the words and word pairs of each text.

    Words and word pairs, not word triples: one changed word in a ten-word
    reply still leaves two thirds of the set shared, so edited copies stay
    above the threshold while unrelated replies stay far below it.
    """
    n = norms.len()
    words = pl.DataFrame({"i": np.arange(n, dtype=np.int64), "w": norms.str.split(" ")})
    words = words.explode("w").filter(pl.col("w") != "")
    idx = words["i"].to_numpy()
    wh = words["w"].hash(seed=MINHASH_SEED).to_numpy()
    same = idx[:-1] == idx[1:]
    pairs = wh[:-1][same] * np.uint64(0x9E3779B97F4A7C15) + (wh[1:][same] ^ np.uint64(0xA5A5))
    sh = np.concatenate([wh, pairs])
    sidx = np.concatenate([idx, idx[:-1][same]])
    order = np.argsort(sidx, kind="stable")
    sh, sidx = sh[order], sidx[order]
    bounds = np.searchsorted(sidx, np.arange(0, n + 1))
    if (np.diff(bounds) == 0).any():
        raise ValueError("every text needs at least one word")
    rng = np.random.default_rng(MINHASH_SEED)
    mult = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    add = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)
    sig = np.empty((n, permutations), dtype=np.uint32)
    step = max(1, MINHASH_BLOCK // permutations)
    lo = 0
    while lo < n:
        # Whole texts per block, about MINHASH_BLOCK hashes at a time (bounded memory).
        hi = int(np.searchsorted(bounds, bounds[lo] + step, side="right")) - 1
        hi = min(n, max(hi, lo + 1))
        block = sh[bounds[lo] : bounds[hi]]
        # Universal multiply-add hashing mod 2**64; the high bits are the well-mixed ones.
        h = block[:, None] * mult[None, :] + add[None, :]
        mins = np.minimum.reduceat(h, bounds[lo:hi] - bounds[lo], axis=0)
        sig[lo:hi] = (mins >> np.uint64(32)).astype(np.uint32)
        lo = hi
    return sig


def compute_near_groups(
    norms: pl.Series,
    weights: np.ndarray | None = None,
    *,
    threshold: float = NEAR_THRESHOLD,
    bands: int = BANDS,
) -> np.ndarray:
    """A component label per distinct normalised text: near copies share a label.

    weights (replies per text) pick each bucket's hub: the most-posted text,
    usually the unedited original, which every edited copy resembles most.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    n = norms.len()
    label = np.arange(n, dtype=np.int64)
    wc = (norms.str.count_matches(" ") + 1).to_numpy()
    eligible = np.flatnonzero((wc >= NEAR_MIN_WORDS) & (norms.str.len_bytes() > 0).to_numpy())
    if len(eligible) < 2:
        return label
    m = len(eligible)
    sig = compute_minhash(norms.gather(eligible))
    rows = sig.shape[1] // bands
    mixed = np.zeros((m, bands), dtype=np.uint64)
    for r in range(rows):
        mixed = mixed * np.uint64(1_000_003) + sig[:, r::rows][:, :bands].astype(np.uint64)
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)[eligible]
    by_rank = np.lexsort((np.arange(m), -w))  # most replies first, then lowest index
    rank = np.empty(m, dtype=np.int64)
    rank[by_rank] = np.arange(m)
    buckets = pl.DataFrame(
        {
            "rank": np.repeat(rank, bands),
            "band": np.tile(np.arange(bands, dtype=np.int16), m),
            "key": mixed.ravel(),
        }
    )
    # Each member of a bucket is linked to its hub (a star, not all pairs):
    # connected components join the rest, at a cost linear in bucket size.
    edges = (
        buckets.with_columns(hub=pl.col("rank").min().over("band", "key"))
        .filter(pl.col("rank") != pl.col("hub"))
        .select("rank", "hub")
        .unique()
    )
    u, v = by_rank[edges["rank"].to_numpy()], by_rank[edges["hub"].to_numpy()]
    keep = np.zeros(len(u), dtype=bool)
    step = 200_000
    for lo in range(0, len(u), step):
        same = sig[u[lo : lo + step]] == sig[v[lo : lo + step]]
        keep[lo : lo + step] = same.mean(axis=1) >= threshold
    u, v = u[keep], v[keep]
    graph = sparse.coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    # A component's label is its smallest member's own index, so labels stay distinct.
    first = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, comp, eligible)
    label[eligible] = first[comp]
    return label


def _hash12(texts: list[str]) -> list[str]:
    return [hashlib.md5(t.encode("utf-8")).hexdigest()[:12] for t in texts]


def normalise(texts: pl.Series) -> pl.Series:
    """The duplicate-matching form: match_form without its padding ('' for nothing left)."""
    return match_form(texts).str.strip_chars().alias("norm")


def compute_duplicates(
    frame: pl.DataFrame, *, min_authors: int = MIN_AUTHORS, near_threshold: float = NEAR_THRESHOLD
) -> pl.DataFrame:
    """norm_hash, duplicate_group, duplicate_kind, campaign_id, group_size, group_authors per reply.

    frame has text and author (any id; null when unknown), one row per reply.
    """
    norm = normalise(frame["text"])
    per = pl.DataFrame({"norm": norm, "author": frame["author"].cast(pl.String)})
    counted = per.filter(pl.col("norm") != "").group_by("norm").len().sort("norm")
    uniq = counted["norm"]
    label = compute_near_groups(uniq, counted["len"].to_numpy(), threshold=near_threshold)
    hashes = _hash12(uniq.to_list())
    groups = pl.DataFrame(
        {"norm": uniq, "norm_hash": hashes, "comp": label, "words": uniq.str.count_matches(" ") + 1}
    ).with_columns(
        # The id is the smallest hash in the group: stable whatever the row order.
        group_hash=pl.col("norm_hash").min().over("comp")
    )
    per = per.with_row_index("row").join(
        groups.select("norm", "norm_hash", "group_hash", "words"), on="norm", how="left"
    )
    stats = (
        per.filter(pl.col("group_hash").is_not_null())
        .group_by("group_hash")
        .agg(
            group_size=pl.len(),
            group_texts=pl.col("norm").n_unique(),
            group_authors=pl.col("author").drop_nulls().n_unique(),
            group_words=pl.col("words").max(),
        )
        .filter(pl.col("group_size") > 1)
    )
    out = per.join(stats, on="group_hash", how="left").sort("row")
    grouped = pl.col("group_size").is_not_null()
    return out.select(
        "norm_hash",
        duplicate_group=pl.when(grouped).then(pl.lit("d") + pl.col("group_hash")),
        duplicate_kind=pl.when(grouped).then(
            pl.when(pl.col("group_texts") > 1).then(pl.lit("near")).otherwise(pl.lit("exact"))
        ),
        campaign_id=pl.when(
            grouped
            & (pl.col("group_authors") >= min_authors)
            & (pl.col("group_words") >= CAMPAIGN_MIN_WORDS)
        ).then(pl.lit("c") + pl.col("group_hash")),
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
    """(one quality row per reply, one row per campaign) from platform, reply_id, author, created_at, text."""
    prepared = _prepare(frame["text"])
    lang = compute_languages(frame["text"], languages=languages, prepared=prepared)
    content = compute_content_flags(frame["text"], prepared=prepared)
    del prepared
    dups = compute_duplicates(frame, min_authors=min_authors, near_threshold=near_threshold)
    rows = pl.concat(
        [frame.select("platform", "reply_id", "author", "created_at", "text"), lang, content, dups],
        how="horizontal",
    )
    kind = pl.col("duplicate_kind")
    others = (pl.col("group_size") - 1).cast(pl.String)
    dup_sentence = (
        pl.when(pl.col("campaign_id").is_not_null())
        .then(
            pl.lit("Campaign ")
            + pl.col("campaign_id")
            + ": one of "
            + pl.col("group_size").cast(pl.String)
            + pl.when(kind == "exact")
            .then(pl.lit(" identical"))
            .otherwise(pl.lit(" near-identical"))
            + " replies by "
            + pl.col("group_authors").cast(pl.String)
            + " authors."
        )
        .when(kind == "exact")
        .then(
            pl.lit("Exact duplicate of ")
            + others
            + " other replies ("
            + pl.col("duplicate_group")
            + ")."
        )
        .when(kind == "near")
        .then(
            pl.lit("Near duplicate of ")
            + others
            + " other replies ("
            + pl.col("duplicate_group")
            + ")."
        )
    )
    spam_sentence = (
        pl.when(pl.col("spam_flag") == "link-promo")
        .then(pl.lit("Spam: a link with promotion ('") + pl.col("promo") + "').")
        .when(pl.col("spam_flag") == "bio-promo")
        .then(pl.lit("Spam: promotion ('") + pl.col("promo") + "') pointing to the profile.")
    )
    content_sentence = pl.col("content_flag").replace_strict(
        LOW_CONTENT_REASONS, default=None, return_dtype=pl.String
    )
    flags = pl.concat_list(
        pl.col("content_flag"),
        pl.lit("spam-") + pl.col("spam_flag"),
        pl.when(pl.col("campaign_id").is_null()).then(kind + "-duplicate"),
        pl.when(pl.col("campaign_id").is_not_null()).then(pl.lit("campaign")),
    ).list.drop_nulls()
    rows = rows.with_columns(
        flags=flags,
        reason=pl.concat_str(
            [content_sentence, spam_sentence, dup_sentence], separator=" ", ignore_nulls=True
        ),
    ).with_columns(reason=pl.when(pl.col("reason") != "").then("reason"))
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
            """INSERT INTO reply_quality SELECT ?, platform, reply_id, lang, lang_confidence, norm_hash,
                   duplicate_group, duplicate_kind, campaign_id, low_content, spam, flags, reason
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
                  count(*) FILTER (low_content), count(*) FILTER (spam), count(*) FILTER (lang IS NULL)
           FROM reply_quality WHERE run_id = ?""",
        [run_id],
    )
    assert row is not None
    total, camps, camp_rows, groups, dup_rows, low, spam, unknown = (int(v) for v in row)
    langs = store.con.execute(
        """SELECT lang, count(*) AS n FROM reply_quality WHERE run_id = ? AND lang IS NOT NULL
           GROUP BY lang ORDER BY n DESC, lang LIMIT 5""",
        [run_id],
    ).fetchall()

    def pct(n: int) -> str:
        return f"{n} ({n / total:.0%})" if total else str(n)

    top = ", ".join(f"{lang} {n / total:.0%}" for lang, n in langs) if total else ""
    return "\n".join(
        [
            f"Reply quality (run {run_id}, {total} replies)",
            f"  campaigns:    {camps} ({camp_rows} replies by >= their min. authors)",
            f"  duplicates:   {pct(dup_rows)} in {groups} groups (exact or near copies)",
            f"  low content:  {pct(low)}",
            f"  spam:         {pct(spam)}",
            f"  languages:    {top or 'none detected'}; unknown {pct(unknown)}",
        ]
    )


def campaign_weights(store: Store) -> pl.DataFrame:
    """platform, reply_id, weight: each of a campaign's k replies weighs 1/k, any other reply 1."""
    run_id = _latest_run(store)
    frame = pl.from_arrow(
        store.con.execute(
            """SELECT r.platform, r.reply_id,
                      CASE WHEN q.campaign_id IS NULL THEN 1.0
                           ELSE 1.0 / count(*) OVER (PARTITION BY q.campaign_id) END AS weight
               FROM replies r
               LEFT JOIN (SELECT platform, reply_id, campaign_id FROM reply_quality WHERE run_id = ?) q
                 USING (platform, reply_id)
               ORDER BY r.platform, r.reply_id""",
            [run_id if run_id is not None else -1],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("weight").cast(pl.Float64))
