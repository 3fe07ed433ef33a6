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

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from analysis.duplicates import (
    BANDS,
    CAMPAIGN_MIN_WORDS,
    MIN_AUTHORS,
    NEAR_MIN_WORDS,
    NEAR_THRESHOLD,
    PERMUTATIONS,
    SEED,
    compute_duplicates,
)
from analysis.langid import lang_model
from analysis.text import _MENTION, _URL, fold, match_form
from store import RunCounts, Store, fetch_one, finish_run, start_run

# Links as people write them: with a scheme or www. (_URL), and bare domains
# ("free-voucher-uk.click/claim", "bbc.co.uk") as platforms display them.
_BARE_LINK = (
    r"(?i)\b(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*"
    r"|(?i)\b(?:[a-z0-9-]+\.)+(?:com|org|net|co|uk|io|ly|gov|edu|info|me|xyz|click|shop|link|app)\b"
)
# Only texts with a dot right before a letter can hold a bare domain: the
# costly pattern runs on those alone.
_DOT_LETTER = r"\.[A-Za-z]"

LANG_MIN_WORDS = 4
LANG_MIN_LETTERS = 20
LANG_MIN_UNSPACED = 8  # Chinese, Japanese, Thai...: characters, as words have no spaces
LANG_MAX_CHARS = 600  # the first 600 characters decide the language of a long reply
LANG_BATCH = 50_000
THREADS = min(4, os.cpu_count() or 1)

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
    """What every check shares: the text, its normalised form, its words without links and tags."""
    s = texts.cast(pl.String).fill_null("")
    maybe_bare = s.str.contains(_DOT_LETTER)
    bare_link = _where(
        pl.repeat(False, s.len(), eager=True),
        maybe_bare,
        lambda _: s.filter(maybe_bare).str.contains(_BARE_LINK),
    )
    pre = s.str.replace_all(_URL, " ")
    pre = _where(pre, bare_link, lambda x: x.str.replace_all(_BARE_LINK, " "))
    pre = pre.str.replace_all(_MENTION, " ")
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
            "url": s.str.contains(_URL) | bare_link,
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
    """content_flag (a low-content label), spam_flag, promo term, low_content and spam per text."""
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


def compute_quality(
    frame: pl.DataFrame,
    *,
    min_authors: int = MIN_AUTHORS,
    near_threshold: float = NEAR_THRESHOLD,
    languages: list[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(A quality row per reply, a row per campaign) from the replies' key, author, date and text.

    frame: platform, reply_id, author, created_at, text (as load_quality_input gives them).
    """
    prepared = _prepare(frame["text"])
    # Language detection and duplicate detection share nothing: run them side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        detecting = pool.submit(
            compute_languages, frame["text"], languages=languages, prepared=prepared
        )
        content = compute_content_flags(frame["text"], prepared=prepared)
        dups = compute_duplicates(
            prepared["norm"],
            frame["author"],
            min_authors=min_authors,
            near_threshold=near_threshold,
        )
        lang = detecting.result()
    del prepared
    rows = pl.concat(
        [frame.select("platform", "reply_id", "author", "created_at", "text"), lang, content, dups],
        how="horizontal",
    )
    rows = rows.with_columns(flags=_flags(), reason=_reason()).with_columns(
        reason=pl.when(pl.col("reason") != "").then("reason")
    )
    campaigns = _campaigns(rows)
    return rows.drop("author", "created_at", "text", "group_size", "group_authors"), campaigns


def _flags() -> pl.Expr:
    """The reply's flags: its low-content label, spam-*, *-duplicate or campaign."""
    kind = pl.col("duplicate_kind")
    return pl.concat_list(
        "content_flag",
        pl.lit("spam-") + pl.col("spam_flag"),
        pl.when(pl.col("campaign_id").is_null()).then(kind + "-duplicate"),
        pl.when(pl.col("campaign_id").is_not_null()).then(pl.lit("campaign")),
    ).list.drop_nulls()


def _reason() -> pl.Expr:
    """One sentence per flag, joined ('' when the reply has none)."""
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
    return pl.concat_str(
        [content_sentence, spam_sentence, dup_sentence], separator=" ", ignore_nulls=True
    )


def _campaigns(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per campaign, the largest first; its example is its earliest reply."""
    return (
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
                   CASE WHEN norm <> '' THEN left(md5(norm), 16) END, duplicate_group,
                   duplicate_kind, campaign_id, low_content, spam, flags, reason
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


def latest_run(store: Store) -> int | None:
    """run_id of the latest successful quality run (None before any)."""
    row = fetch_one(
        store.con, "SELECT max(run_id) FROM runs WHERE kind = 'quality' AND status = 'ok'"
    )
    return int(row[0]) if row and row[0] is not None else None
