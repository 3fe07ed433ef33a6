"""Languages: stop words per language, folded forms, stemmers, language shares of replies."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import languages
from store import Store
from tests.store_helpers import GERMAN, make_db, run_ok


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


def test_reply_languages_come_from_the_quality_run_else_are_detected(tmp_path: Path) -> None:
    english = [
        (f"e{i}", "I think she would make a really good leader for the country") for i in range(3)
    ]
    db = make_db(tmp_path, [*GERMAN, *english])
    with Store.open(db) as store:
        detected = languages.compute_reply_languages(store)
    assert detected.source == "detected" and detected.main == "de"
    assert detected.languages == ["de", "en"]
    run_ok(db, "quality")
    # The quality run wrote each reply's language to reply_quality: it is read, not redone.
    with Store.open(db) as store:
        store.con.execute("UPDATE reply_quality SET lang = 'fr' WHERE reply_id LIKE 'g%'")
        from_run = languages.compute_reply_languages(store)
        assert from_run.source.startswith("quality run ") and from_run.main == "fr"
        # Only the replies asked about, and a reply the run did not see is detected.
        store.con.execute("DELETE FROM reply_quality WHERE reply_id = 'e1'")
        frame = pl.from_arrow(
            store.con.sql(
                "SELECT platform, reply_id, text FROM replies WHERE reply_id LIKE 'e%'"
            ).to_arrow_table()
        )
        assert isinstance(frame, pl.DataFrame)
        some = languages.compute_reply_languages(store, frame)
    assert some.shares == {"en": 1.0} and some.source.endswith(", 1 reply detected")


def test_misses_leave_out_the_replies_stop_words() -> None:
    from analysis.misses import compute_terms, misses_stop_words

    german = misses_stop_words(["de"])
    assert compute_terms(" die kanzlerin ist so sympathisch ", german) == {
        "kanzlerin",
        "sympathisch",
    }
    assert "dont" in misses_stop_words(["en"]) and "dont" not in german
