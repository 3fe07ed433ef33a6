"""Language-aware words: the replies' languages, stop words per language and Snowball stemmers.

Topics, topic labels, word clouds, drafted codebooks and `codebook check`
all ask the same two questions of a set of replies: which languages are
they in, and which words of those languages carry no meaning. One answer
lives here so a German thread gets German stop words everywhere.

Stop words come from stopwordsiso (58 languages, kept lists, no download),
except English: its 1,298-word stopwordsiso list holds content words that
matter in public-service threads ("computer", "billion", "changes",
"downing", "believe"), so English keeps scikit-learn's 318-word list that
the demo's topic labels were tuned on. Stemmers are PyStemmer's Snowball
algorithms (C, cached), so stemming a million replies takes seconds.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

import polars as pl

from textsafety import plural

if TYPE_CHECKING:
    from store import Store

NO_LANGUAGE = {"zxx", "und"}  # "no linguistic content" / undetermined: like too short to tell
MIN_SHARE = 0.05  # a language used by fewer replies than this adds no stop words
SAMPLE = 5000  # replies read to tell a thread's languages (detection is per reply)
SEED = 7

# ISO 639-1 code -> Snowball algorithm name (PyStemmer / snowballstemmer).
SNOWBALL: dict[str, str] = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}


class Stemmer(Protocol):
    """What a Snowball stemmer offers (PyStemmer's Stemmer)."""

    def stemWord(self, word: str) -> str: ...  # PyStemmer spells it so

    def stemWords(self, words: Sequence[str]) -> list[str]: ...


def fold_word(word: str) -> str:
    """A word lower-cased without accents, the form keyword matching reads (Süße -> suße)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _stop_words(lang: str) -> frozenset[str]:
    if lang == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        words: set[str] = set(ENGLISH_STOP_WORDS)
    else:
        import stopwordsiso

        words = set(stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else set()
    words = {w.lower().replace("’", "'") for w in words}
    # Both spellings: labels keep accents, keyword matching folds them away.
    return frozenset(words | {fold_word(w) for w in words})


def stop_words_for(languages: Iterable[str]) -> frozenset[str]:
    """The stop words of every language given (ISO 639-1 codes), accented and folded forms."""
    out: frozenset[str] = frozenset()
    for lang in languages:
        out |= _stop_words(lang.lower())
    return out


def has_stop_words(lang: str) -> bool:
    """Whether a kept stop-word list exists for this language."""
    return bool(_stop_words(lang.lower()))


@cache
def stemmer_for(lang: str) -> Stemmer | None:
    """PyStemmer's Snowball stemmer for an ISO 639-1 code, or None when Snowball has none."""
    name = SNOWBALL.get(lang.lower())
    if name is None:
        return None
    import Stemmer as pystemmer

    stemmer: Stemmer = pystemmer.Stemmer(name)
    return stemmer


def compute_language_shares(texts: pl.Series) -> dict[str, float]:
    """Share of replies per detected language, largest first (on a sample of 5,000 at most).

    Replies too short to tell are left out of the shares, so a thread of
    "👏👏" and "Yes" does not dilute its one real language.
    """
    from analysis.quality import compute_languages

    texts = texts.drop_nulls()
    if texts.len() > SAMPLE:
        texts = texts.sample(SAMPLE, seed=SEED)
    if texts.len() == 0:
        return {}
    langs = compute_languages(texts)["lang"].drop_nulls()
    if langs.len() == 0:
        return {}
    counts = langs.value_counts(sort=True)
    total = langs.len()
    return {str(lang): n / total for lang, n in counts.iter_rows()}


def main_languages(shares: dict[str, float], *, min_share: float = MIN_SHARE) -> list[str]:
    """Languages used by at least min_share of the replies, largest first; English when unknown."""
    langs = [lang for lang, share in shares.items() if share >= min_share]
    return langs or ["en"]


def compute_stop_words(texts: pl.Series, extra: Iterable[str] = ()) -> frozenset[str]:
    """Stop words for these replies: those of their main languages, plus the extra words."""
    langs = main_languages(compute_language_shares(texts))
    return stop_words_for(langs) | {w.lower() for w in extra}


@dataclass(frozen=True)
class ReplyLanguages:
    """The languages a set of replies is written in, and where that was read."""

    shares: dict[str, float]  # share of the replies with a language, largest first
    languages: list[str]  # the main ones (share >= MIN_SHARE), largest first; ["en"] when unknown
    source: str  # "quality run 3", "detected" or "quality run 3, 12 replies detected"

    @property
    def main(self) -> str:
        """The language most replies are written in ("en" when unknown)."""
        return self.languages[0]


def _detected_counts(texts: pl.Series, scale: float) -> Counter[str]:
    """Replies per language among texts, detected on the fly, times scale."""
    from analysis.quality import compute_languages

    if texts.len() == 0:
        return Counter()
    langs = compute_languages(texts)["lang"].drop_nulls()
    return Counter({str(k): n * scale for k, n in langs.value_counts().iter_rows()})


def compute_reply_languages(store: Store, replies: pl.DataFrame | None = None) -> ReplyLanguages:
    """The languages of these replies (platform, reply_id, text; default: every stored reply).

    Each reply's language comes from the latest `replyscope quality` run
    when that run read it, else it is detected now (on a seeded sample of
    at most 5,000 of the replies the run did not cover).
    """
    from analysis.quality import latest_run

    run = latest_run(store)
    con = store.con
    src = "replies"
    if replies is not None:
        con.register("_lang_rows", replies.select("platform", "reply_id", "text").to_arrow())
        src = "_lang_rows"
    try:
        counts: Counter[str] = Counter()
        rest = f"SELECT platform, reply_id, text FROM {src}"
        if run is not None:
            counts.update(
                dict(
                    con.execute(
                        f"SELECT q.lang, count(*) FROM {src} r JOIN reply_quality q "
                        "USING (platform, reply_id) WHERE q.run_id = ? AND q.lang IS NOT NULL "
                        "GROUP BY q.lang",
                        [run],
                    ).fetchall()
                )
            )
            rest += (
                " r ANTI JOIN (SELECT platform, reply_id FROM reply_quality "
                f"WHERE run_id = {int(run)}) q USING (platform, reply_id)"
            )
        row = con.execute(f"SELECT count(*) FROM ({rest}) WHERE text IS NOT NULL").fetchone()
        missing = int(row[0]) if row else 0
        picked = con.execute(
            f"SELECT text FROM ({rest}) WHERE text IS NOT NULL "
            f"ORDER BY hash(platform, reply_id, {SEED}) LIMIT {SAMPLE}"
        ).fetchall()
    finally:
        if replies is not None:
            con.unregister("_lang_rows")
    texts = pl.Series([r[0] for r in picked], dtype=pl.String)
    counts += _detected_counts(texts, missing / max(texts.len(), 1))
    return _reply_languages(counts, run, missing)


def _reply_languages(counts: Counter[str], run: int | None, detected: int) -> ReplyLanguages:
    total = sum(counts.values())
    shares = {k: v / total for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
    if run is None:
        source = "detected"
    elif detected:
        source = f"quality run {run}, {plural(detected, 'reply', 'replies')} detected"
    else:
        source = f"quality run {run}"
    return ReplyLanguages(shares, main_languages(shares), source)


def snowball_stem(lang: str) -> Callable[[str], str] | None:
    """One word -> its Snowball stem in this language (None when Snowball has none)."""
    stemmer = stemmer_for(lang)
    return None if stemmer is None else stemmer.stemWord


def _quality_languages(store: Store, keys: pl.DataFrame) -> tuple[list[str | None], bool]:
    """Each reply's language from the latest quality run (None where it has none) and if it ran."""
    from analysis.quality import latest_run

    run = latest_run(store)
    if run is None:
        return [None] * keys.height, False
    store.con.register("_lang_keys", keys.with_row_index("row").to_arrow())
    try:
        rows = store.con.execute(
            """SELECT k.row, q.lang, q.run_id IS NOT NULL FROM _lang_keys k
               LEFT JOIN reply_quality q ON q.run_id = ? AND q.platform = k.platform
                    AND q.reply_id = k.reply_id
               ORDER BY k.row""",
            [run],
        ).fetchall()
    finally:
        store.con.unregister("_lang_keys")
    # A reply imported after the quality run has no row there: detected below.
    return [lang if checked else "?" for _, lang, checked in rows], True


def load_each_reply_language(
    store: Store | None, replies: pl.DataFrame
) -> tuple[list[str | None], str]:
    """Each reply's language (None when too short to tell) and where it came from.

    From the latest quality run when it read the reply, else detected now
    (every such reply: callers need one language per reply, not shares).
    """
    from analysis.quality import compute_languages

    n = replies.height
    keyed = store is not None and {"platform", "reply_id"} <= set(replies.columns)
    langs: list[str | None] = [None] * n
    source = "detected now (run `replyscope quality` to keep them)"
    todo = list(range(n))
    if keyed:
        assert store is not None
        got, ran = _quality_languages(store, replies.select("platform", "reply_id"))
        if ran:
            source = "the latest quality run"
            langs = [None if g == "?" else g for g in got]
            todo = [i for i, g in enumerate(got) if g == "?"]
    if todo:
        texts = replies["text"].gather(todo).fill_null("")
        for i, lang in zip(todo, compute_languages(texts)["lang"].to_list(), strict=True):
            langs[i] = lang
    return [None if lang in NO_LANGUAGE else lang for lang in langs], source
