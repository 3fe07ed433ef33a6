"""Codebooks with a `language` (analysis.codebook, keywords: Snowball-stemmed matching) and
`codebook check` on the stored replies (analysis.codebook_check: close stored words, too-broad
terms), on small German fixtures and on the real German TikTok sample."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from analysis.codebook import CodebookError, load_codebook, parse_codebook, to_toml
from analysis.keywords import compute_keyword_tags, term_patterns
from tests.store_helpers import GERMAN, german_sample_store, make_db, run, run_ok

GERMAN_CODEBOOK = """name = "Baerbock"
version = "1"
language = "de"

[[themes]]
id = "sympathie"
label = "Sympathisch"
include = ["sympathisch", "bodenständig", "kanzler*"]
exclude = ["unsympathisch"]

[[themes]]
id = "gruene"
label = "Die Grünen"
include = ["grüne partei", "steuer"]
"""


def _tags(codebook_text: str, texts: list[str]) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {}
    cb = parse_codebook(codebook_text)
    for row, theme, _score, evidence in compute_keyword_tags(pl.Series(texts), cb).iter_rows():
        out.setdefault(row, {})[theme] = evidence
    return out


def test_a_codebook_language_matches_inflected_forms_of_terms_and_phrases() -> None:
    texts = [t for _, t in GERMAN]
    got = _tags(GERMAN_CODEBOOK, texts)
    assert got[0] == {"sympathie": ["sympathisch"]}  # "Sympathischen"
    assert got[1] == {"sympathie": ["bodenständig"]}  # "bodenständige"
    assert got[2] == {"gruene": ["grüne partei"]}  # "Grünen Parteien": each word of a phrase
    assert got[3] == {"sympathie": ["kanzler*"]}  # a prefix term still matches word starts
    assert got[6] == {"gruene": ["steuer"]}  # "Steuern"
    assert got[4] == got[7] == {"sympathie": ["sympathisch"]}
    assert set(got) == {0, 1, 2, 3, 4, 6, 7}
    # Without the language the terms match as written, exactly as before.
    plain = _tags(GERMAN_CODEBOOK.replace('language = "de"\n', ""), texts)
    assert plain == {
        3: {"sympathie": ["kanzler*"]},
        4: {"sympathie": ["sympathisch"]},
        7: {"sympathie": ["sympathisch"]},
    }


def test_stemmed_matching_keeps_word_boundaries_and_exclusions() -> None:
    got = _tags(
        GERMAN_CODEBOOK,
        [
            "so unsympathisch",
            "unsympathischen Leuten nie",
            "sympathischer als gedacht",
            "Steuerung",
        ],
    )
    # "unsympathisch" is another word (and an exclusion); "Steuerung" has another stem.
    assert got == {2: {"sympathie": ["sympathisch"]}}


def test_language_is_read_written_shown_and_checked(tmp_path: Path) -> None:
    cb = parse_codebook(GERMAN_CODEBOOK)
    assert cb.language == "de"
    assert parse_codebook(to_toml(cb)).language == "de"
    assert parse_codebook(to_toml(cb)).hash == cb.hash
    # The language is part of the codebook's identity; a codebook without one keeps its hash.
    assert replace(cb, language=None).hash != cb.hash
    assert parse_codebook(GERMAN_CODEBOOK.replace('"de"', '"German"')).language == "de"
    path = tmp_path / "de.toml"
    path.write_text(GERMAN_CODEBOOK.replace('"de"', '"klingon"'), encoding="utf-8")
    with pytest.raises(CodebookError, match=r"de\.toml: language 'klingon' has no Snowball"):
        load_codebook(path)
    path.write_text(GERMAN_CODEBOOK, encoding="utf-8")
    out = run_ok(tmp_path / "s.duckdb", "codebook", "show", str(path)).output
    assert "language: de (terms match every form with the same Snowball stem: german)" in out
    # Terms of a codebook without a language become the same patterns as ever.
    assert term_patterns("Grüne Partei") == [" grune partei ", " grunepartei "]


def test_close_words_by_edit_distance_from_a_deletion_index() -> None:
    from analysis.codebook_check import Vocabulary, edit_distance

    assert edit_distance("sympathsch", "sympathisch", 2) == 1
    assert edit_distance("sympahtisch", "sympathisch", 2) == 2
    assert edit_distance("kanzler", "sympathisch", 2) == 3
    vocab = Vocabulary({"sympathisch": 9, "sympatisch": 2, "symbol": 4, "sympathie": 1})
    assert vocab.near("sympathsch") == [(1, "sympathisch"), (1, "sympatisch")]
    assert vocab.near("sympahtisch") == [(1, "sympatisch"), (2, "sympathisch")]
    assert [w for _, w in vocab.near_prefix("sympati")] == ["sympathie", "sympathisch"]


def _check(db: Path, tmp_path: Path, codebook_text: str, *args: str) -> list[str]:
    path = tmp_path / "check.toml"
    path.write_text(codebook_text, encoding="utf-8")
    code, out = run(db, "codebook", "check", str(path), *args)
    assert code == 0, out
    return out.splitlines()


def test_check_suggests_close_words_and_flags_broad_terms(tmp_path: Path) -> None:
    db = make_db(tmp_path, GERMAN)
    text = """name = "x"
[[themes]]
id = "a"
include = ["sympathsch", "bodenständig", "die", "wahlkampf", "zeppelin"]
"""
    lines = _check(db, tmp_path, text)
    assert (
        "warning: a: term 'sympathsch' matches none of the 10 stored replies; closest stored "
        "words: sympathisch (2 replies)" in lines
    )
    # An inflected form without a language: the stored form with its stem, and the fix.
    assert any(
        line.startswith("warning: a: term 'bodenständig' matches none")
        and "closest stored words: bodenstandige (1 reply)" in line
        and 'add language = "de" to the codebook' in line
        for line in lines
    ), lines
    assert "warning: a: term 'zeppelin' matches none of the 10 stored replies" in lines
    broad = [line for line in lines if "too broad" in line]
    assert broad == [
        "warning: a: term 'die' matches 6 of 10 replies (60%), more than 15%: too broad to tell "
        "themes apart; it is a common word of German (a stop word); remove it, or use a phrase "
        "or a rarer word that only this theme's replies use"
    ]
    # "wahlkampf" (1 of 10) is neither dead nor broad; --broad moves the line.
    assert not any("'wahlkampf'" in line for line in lines)
    assert not any("too broad" in line for line in _check(db, tmp_path, text, "--broad", "0.7"))
    # With the language the inflected form matches, so it is no longer reported.
    lines = _check(db, tmp_path, 'language = "de"\n' + text)
    assert not any("'bodenständig'" in line for line in lines)


# --- the real German sample ------------------------------------------------------------


@pytest.mark.samples
def test_german_sample_codebook_matches_inflections_and_check_flags_die(tmp_path: Path) -> None:
    db = german_sample_store(tmp_path)
    path = tmp_path / "de.toml"
    path.write_text(GERMAN_CODEBOOK, encoding="utf-8")
    run_ok(db, "tag", "--codebook", str(path))
    from store import Store

    with Store.open(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT r.text, t.evidence::VARCHAR FROM reply_themes t JOIN replies r "
            "USING (platform, reply_id) WHERE t.theme_id = 'sympathie'"
        ).fetchall()
    words = {w.lower() for text, _ in rows for w in re.findall(r"\w+", text)}
    # Inflected forms of the plain terms are tagged, with the term as evidence.
    assert {"sympathischen", "sympathische", "sympathischer", "bodenständige"} <= words
    assert not {"unsympathisch"} & words
    lines = _check(
        db,
        tmp_path,
        'name = "x"\n[[themes]]\nid = "a"\ninclude = ["die", "sympathsch", "sympathisch"]\n',
    )
    die = next(line for line in lines if "term 'die'" in line)
    assert "too broad" in die and "common word of German" in die
    share = int(re.search(r"\((\d+)%\)", die).group(1))  # type: ignore[union-attr]
    assert share >= 20
    dead = next(line for line in lines if "term 'sympathsch'" in line)
    assert "closest stored words: sympathisch (" in dead


def test_check_flags_terms_of_one_stem_in_two_themes_only_with_a_language() -> None:
    from analysis.codebook import check_codebook

    text = """name = "t"
{language}
[[themes]]
id = "simse"
label = "Simse"
include = ["simse"]

[[themes]]
id = "simsen"
label = "Simsen"
include = ["simsen"]
"""
    stemmed = check_codebook(parse_codebook(text.format(language='language = "de"')))
    assert [f.theme for f in stemmed] == ["simse,simsen"]
    assert "same stem 'sims'" in str(stemmed[0])
    assert check_codebook(parse_codebook(text.format(language=""))) == []
