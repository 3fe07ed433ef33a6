"""Keyword matching (analysis.keywords) edge cases, and codebooks (analysis.codebook): reading,
checks, and `tag` and `codebook check` refusing a codebook with errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analysis.codebook import (
    Codebook,
    CodebookError,
    Theme,
    check_codebook,
    codebook_from_sheet,
    load_codebook,
    parse_codebook,
    to_toml,
)
from analysis.keywords import compute_keyword_tags, term_patterns
from analysis.themes import tag_store
from store import Store, fetch_one
from tests.store_helpers import THREE_TEXTS, make_db, run

CB = Codebook(
    "test",
    "1",
    [
        Theme("listening", "Listening", include=["listen*", "humility", "humble"]),
        Theme(
            "distributed",
            "Distributed",
            include=["front line", "empower*", "trust the front line"],
            exclude=["empower yourself"],
        ),
        Theme("place", "Place", include=["public services", "place based"], regex=[r"\bics\b"]),
        Theme("relationships", "Relationships", include=["trust"], exclude=["nhs trust"]),
    ],
)


def tags(*texts: str | None) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {}
    for row, theme, _score, evidence in compute_keyword_tags(
        pl.Series(list(texts), dtype=pl.String), CB
    ).iter_rows():
        out.setdefault(row, {})[theme] = evidence
    return out


def test_wildcards_match_word_starts_only() -> None:
    got = tags("We need leaders who LISTEN", "listening matters", "they glisten", "listen.")
    assert got[0]["listening"] == ["listen*"] and got[1]["listening"] == ["listen*"] and got[3]
    assert 2 not in got  # glisten: not at a word start


def test_whole_words_only() -> None:
    assert 0 not in tags("humbled? no: humbleness")  # "humble" is a whole word, no wildcard


def test_phrases_across_punctuation_and_compounds() -> None:
    got = tags("front-line staff", "Front   line", "the frontline", "front, line", "frontliners")
    assert all(got[i]["distributed"] == ["front line"] for i in range(4))
    assert 4 not in got


def test_hashtags_are_split() -> None:
    got = tags("#PublicServices need #PlaceBased leaders", "#publicservices")
    assert got[0]["place"] == ["place based", "public services"]
    assert got[1]["place"] == ["public services"]  # lower-case hashtags match the joined form


def test_accents_and_case_are_folded() -> None:
    cb = Codebook("a", "1", [Theme("resources", "R", include=["financement", "café"])])
    found = compute_keyword_tags(pl.Series(["Le FINANCEMENT manque", "cafe culture"]), cb)
    assert found["row"].to_list() == [0, 1]


def test_exclusions_cancel_the_theme_only() -> None:
    got = tags(
        "empower yourself lol",
        "Empower the team; empower yourself",
        "our NHS trust board",
        "trust staff, not the NHS trust",
    )
    assert 0 not in got and 1 not in got
    assert 2 not in got and 3 not in got  # the exclude matches, so relationships is cancelled
    assert tags("I trust my team")[0]["relationships"] == ["trust"]


def test_overlapping_terms_all_count_as_evidence() -> None:
    got = tags("trust the front line to decide")
    assert got[0]["distributed"] == ["front line", "trust the front line"]
    assert got[0]["relationships"] == ["trust"]


def test_regex_terms() -> None:
    assert tags("the ICS should lead")[0]["place"] == [r"\bics\b"]


def test_empty_emoji_and_missing_text() -> None:
    assert tags("", None, "🔥🔥🔥", "   ") == {}


def test_urls_and_mentions_do_not_match() -> None:
    assert tags("https://example.org/listen-here", "@listen_to_me hi") == {}


def test_term_patterns() -> None:
    assert term_patterns("Front-Line") == [" front line ", " frontline "]
    assert term_patterns("listen*") == [" listen"]
    assert term_patterns("a*b") == []


def test_check_finds_problems() -> None:
    cb = Codebook(
        "c",
        "1",
        [
            Theme("a", "A", include=["ok", "@handle", "***"]),
            Theme("a", "A2"),
            Theme("b", "B", include=["ok"], regex=["("], parent="zz"),
        ],
    )
    messages = [str(f) for f in check_codebook(cb)]
    assert any("used by two themes" in m for m in messages)
    assert any("can never be tagged" in m for m in messages)
    assert any("@handle" in m for m in messages)
    assert any("does not compile" in m for m in messages)
    assert any("parent 'zz'" in m for m in messages)
    assert any("in several themes" in m for m in messages)


def test_toml_round_trip_keeps_the_hash() -> None:
    again = parse_codebook(to_toml(CB))
    assert again.hash == CB.hash and again.themes[1].exclude == ["empower yourself"]


def test_bad_toml_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "cb.toml"
    path.write_text('name = "x"\n[[themes]]\nid = "Bad Id"\ninclude = ["a"]\n', encoding="utf-8")
    with pytest.raises(CodebookError, match="Bad Id"):
        load_codebook(path)


def test_sheet_import(tmp_path: Path) -> None:
    path = tmp_path / "codebook.csv"
    path.write_text(
        "theme,label,description,term,kind\n"
        "listening,Listening,Leaders who listen,listen*,\n"
        "listening,,,humility,\n"
        "resources,Funding,Money and capacity,funding,\n"
        "resources,,,crowdfunding,exclude\n",
        encoding="utf-8",
    )
    cb = codebook_from_sheet(path)
    assert [t.id for t in cb.themes] == ["listening", "resources"]
    assert cb.theme("listening").include == ["listen*", "humility"]
    assert cb.theme("resources").exclude == ["crowdfunding"]
    assert cb.theme("resources").label == "Funding"


def test_default_codebook_has_the_required_themes() -> None:
    cb = load_codebook(None)
    assert [t.id for t in cb.themes] == [
        "place",
        "community",
        "relationships",
        "listening",
        "distributed",
        "command_control",
        "wellbeing",
        "values",
        "collaboration",
        "innovation",
        "outcomes",
        "resources",
        "development",
        "hybrid_work",
    ]
    assert not [f for f in check_codebook(cb) if f.level == "error"]
    assert all(t.description and len(t.examples) >= 3 and len(t.include) >= 8 for t in cb.themes)


def test_term_form_folds_like_the_reply_text() -> None:
    """Terms and replies fold the same way, so accented terms and texts still meet."""
    import polars as pl

    from analysis.text import fold, fold_one

    words = ["Café", "ÉCOLE", "naïve", "Straße", "Ωμέγα", "ﬁne", "Co-Production", "ǅemal"]
    assert [fold_one(w) for w in words] == fold(pl.Series(words)).to_list()


def test_parallel_match_form_and_chunked_scans_equal_the_plain_ones() -> None:
    """Slicing the work across threads changes nothing in the result."""
    import polars as pl

    from analysis.keywords import by_chunks
    from analysis.text import match_form, match_form_parallel

    texts = pl.Series(
        [f"Reply {i}: #PublicServices need Café culture @bob https://x.co/{i}" for i in range(997)]
        + [None, "", "ÉCOLE naïve"]
    )
    assert match_form_parallel(texts, chunk_rows=50).equals(match_form(texts))
    form = match_form(texts)
    import analysis.keywords as kw

    old = kw.CHUNK_ROWS
    kw.CHUNK_ROWS = 10
    try:
        chunked = by_chunks(form, lambda c: c.str.extract_many([" cafe ", " public "]))
    finally:
        kw.CHUNK_ROWS = old
    assert chunked.to_list() == form.str.extract_many([" cafe ", " public "]).to_list()


# --- codebook errors refused by `codebook check` and `tag` alike --------------


def tag_runs(db: Path) -> int:
    with Store.open(db, read_only=True) as s:
        row = fetch_one(s.con, "SELECT count(*) FROM runs WHERE kind = 'tag'")
    return int(row[0]) if row else 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = 'name = "t"\nversion = "1"\n'


def test_regex_only_theme_tags_and_checks(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE_TEXTS)
    cb = write(
        tmp_path,
        "ro.toml",
        HEAD + '[[themes]]\nid = "a"\nlabel = "A"\nregex = ["\\\\bpizza\\\\b"]\n',
    )
    code, out = run(db, "tag", "--codebook", str(cb))
    assert code == 0, out
    assert "1 reply (33%) carries at least one theme" in out and "(1 theme," in out
    with Store.open(db, read_only=True) as s:
        rows = s.con.execute("SELECT reply_id, theme_id, evidence FROM reply_themes").fetchall()
    assert rows == [("3", "a", "\\bpizza\\b")]
    # `codebook check` with replies in the store counts term matches: no crash either.
    code, out = run(db, "codebook", "check", str(cb))
    assert code == 0 and "1 theme, 0 errors, 0 warnings." in out


@pytest.mark.parametrize(
    ("pattern", "why"),
    [("listen(?= to)", "look-around"), ("(\\\\w+) \\\\1", "backreferences")],
)
def test_regex_polars_cannot_run_is_refused_by_check_and_tag(
    tmp_path: Path, pattern: str, why: str
) -> None:
    db = make_db(tmp_path, THREE_TEXTS)
    cb = write(
        tmp_path,
        "la.toml",
        HEAD + f'[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["staff"]\nregex = ["{pattern}"]\n',
    )
    shown = pattern.replace("\\\\", "\\")
    code, out = run(db, "codebook", "check", str(cb))
    assert code == 1
    line = next(ln for ln in out.splitlines() if ln.startswith("error:"))
    assert line.startswith("error: a: regex ") and shown in line.replace("\\\\", "\\")
    assert why in line
    code, out = run(db, "tag", "--codebook", str(cb))
    assert code == 1 and "Traceback" not in out
    first = out.splitlines()[0]
    assert first.startswith(f"Error: {cb}: theme a: regex ") and why in first
    assert tag_runs(db) == 0


BAD = {
    "dup": (
        '[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["listen"]\n'
        '[[themes]]\nid = "a"\nlabel = "A again"\ninclude = ["trust"]\n',
        "theme a: this id is used by two themes",
    ),
    "emptyterm": (
        '[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["", "*", "   "]\n',
        "theme a: term '*' has no letters",
    ),
    "bad_regex": (
        '[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["listen"]\n'
        'regex = ["(unclosed", "ok\\\\b"]\n',
        "theme a: regex '(unclosed' does not compile",
    ),
    "parent": (
        '[[themes]]\nid = "a"\nlabel = "A"\nparent = "zzz"\ninclude = ["listen"]\n',
        "theme a: parent 'zzz' is not a theme",
    ),
    "self_parent": (
        '[[themes]]\nid = "b"\nlabel = "B"\nparent = "b"\ninclude = ["trust"]\n',
        "theme b: parent is the theme itself",
    ),
    "circle": (
        '[[themes]]\nid = "a"\nlabel = "A"\nparent = "b"\ninclude = ["listen"]\n'
        '[[themes]]\nid = "b"\nlabel = "B"\nparent = "a"\ninclude = ["trust"]\n',
        "theme a: parents go round in a circle: a -> b -> a",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_tag_refuses_codebooks_with_errors(tmp_path: Path, name: str) -> None:
    db = make_db(tmp_path, THREE_TEXTS)
    body, expected = BAD[name]
    cb = write(tmp_path, f"{name}.toml", HEAD + body)
    code, out = run(db, "tag", "--codebook", str(cb))
    assert code == 1, out
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert all(ln.startswith(f"Error: {cb}: ") for ln in lines), out
    assert any(expected in ln for ln in lines), out
    assert tag_runs(db) == 0
    # `codebook check` finds the same error.
    code, out = run(db, "codebook", "check", str(cb))
    assert code == 1 and expected.split(": ", 1)[1] in out


def test_tag_store_refuses_too(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE_TEXTS)
    cb = parse_codebook(HEAD + BAD["bad_regex"][0], source="bad.toml")
    with Store.open(db) as s:
        with pytest.raises(CodebookError, match=r"bad\.toml: theme a: regex '\(unclosed'"):
            tag_store(s, cb)
        assert fetch_one(s.con, "SELECT count(*) FROM runs WHERE kind = 'tag'") == (0,)


def test_many_errors_show_the_first_few(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE_TEXTS)
    themes = "".join(f'[[themes]]\nid = "t{i}"\nlabel = "T"\ninclude = ["*"]\n' for i in range(8))
    cb = write(tmp_path, "many.toml", HEAD + themes)
    code, out = run(db, "tag", "--codebook", str(cb))
    lines = out.strip().splitlines()
    assert code == 1 and len(lines) == 6
    assert "3 more errors" in lines[-1] and "replyscope codebook check" in lines[-1]


def test_combined_regexes_that_clash_still_tag() -> None:
    """Two regexes with the same group name compile alone but not joined into one pass."""
    cb = parse_codebook(
        HEAD
        + '[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["honestly"]\nregex = ["(?P<w>pizza)"]\n'
        + '[[themes]]\nid = "b"\nlabel = "B"\nregex = ["(?P<w>funding)"]\n'
    )
    assert not [f for f in check_codebook(cb) if f.level == "error"]
    tags = compute_keyword_tags(pl.Series([t for _, t in THREE_TEXTS]), cb)
    assert tags.select("row", "theme_id").rows() == [(1, "b"), (2, "a")]


def test_a_blank_term_is_a_warning_and_tagging_goes_on(tmp_path: Path) -> None:
    cb = tmp_path / "blank.toml"
    cb.write_text(
        'name = "b"\nversion = "1"\n[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["listen", ""]\n',
        encoding="utf-8",
    )
    findings = check_codebook(load_codebook(cb))
    assert [(f.level, f.theme) for f in findings if "empty term" in f.message] == [("warning", "a")]
