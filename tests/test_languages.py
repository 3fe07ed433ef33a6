"""Languages: stop words per language, folded forms, stemmers, language shares of replies."""

from __future__ import annotations

import polars as pl

from analysis import languages


def test_german_stop_words_come_from_the_kept_list_in_both_spellings() -> None:
    words = languages.stop_words_for(["de"])
    assert {"die", "ein", "das", "nur", "nicht", "alle", "sie", "ist"} <= words
    assert "für" in words and "fur" in words  # folded form for keyword matching
    assert "kanzlerin" not in words and "sympathisch" not in words


def test_english_keeps_the_short_list_without_domain_words() -> None:
    words = languages.stop_words_for(["en"])
    assert {"the", "and", "would"} <= words
    assert not {"computer", "billion", "downing", "leadership"} & words
    assert "die" not in words


def test_unknown_language_has_no_stop_words() -> None:
    assert not languages.has_stop_words("xx")
    assert languages.stop_words_for(["xx"]) == frozenset()


def test_stemmer_joins_inflected_german_forms() -> None:
    stem = languages.stemmer_for("de")
    assert stem is not None
    assert stem.stemWord("sympathisch") == stem.stemWord("sympathischen")
    assert stem.stemWord("bodenständig") == stem.stemWord("bodenständige")
    assert languages.stemmer_for("zz") is None


def test_language_shares_pick_the_main_language() -> None:
    german = [
        "Ich finde sie sehr sympathisch und bodenständig, das muss man sagen",
        "Die Kanzlerin hat das nicht verdient, ganz ehrlich nicht",
        "Sie ist die beste Wahl für unser Land und für die Zukunft",
    ] * 10
    texts = pl.Series([*german, "I think she is great and honest", "👏👏"])
    shares = languages.compute_language_shares(texts)
    assert max(shares, key=lambda k: shares[k]) == "de"
    assert languages.main_languages(shares) == ["de"]
    assert "die" in languages.compute_stop_words(texts)
    assert languages.main_languages({}) == ["en"]
