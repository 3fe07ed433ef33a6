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
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Protocol

import polars as pl

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
