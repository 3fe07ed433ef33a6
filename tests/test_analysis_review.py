"""Review fixes in analysis: codebooks `tag` refuses like `codebook check`, regex-only themes,
topics for every script, contact details kept out of topic words and word clouds, plurals."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from analysis import wordclouds as wc
from analysis.codebook import CodebookError, check_codebook, parse_codebook
from analysis.keywords import compute_keyword_tags
from analysis.text import redact_contacts
from analysis.themes import tag_store
from analysis.topic_labels import make_vectorizer, stop_words
from analysis.topics import TopicError, TopicOptions, compute_topic_run, load_topic_inputs
from cli import main
from store import Store, fetch_one
from textsafety import plural

THREE = [
    ("1", "Leaders should listen to front line staff and trust them"),
    ("2", "We need proper funding, the cuts are killing services"),
    ("3", "Honestly the pizza for 40 staff was the best part"),
]


def make_db(tmp_path: Path, texts: list[tuple[str, str]], name: str = "s.duckdb") -> Path:
    """A store holding these (id, text) replies, imported from a CSV through the CLI."""
    path = tmp_path / name
    source = tmp_path / f"{name}.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "likes", "author", "created_at"])
        for i, (rid, text) in enumerate(texts):
            w.writerow([rid, text, i % 5, f"u{i}", "2025-03-01T10:00:00Z"])
    result = CliRunner().invoke(main, ["--db", str(path), "import", str(source)])
    assert result.exit_code == 0, result.output
    return path


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def tag_runs(db: Path) -> int:
    with Store.open(db, read_only=True) as s:
        row = fetch_one(s.con, "SELECT count(*) FROM runs WHERE kind = 'tag'")
    return int(row[0]) if row else 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = 'name = "t"\nversion = "1"\n'


# B1 ---------------------------------------------------------------------------


def test_regex_only_theme_tags_and_checks(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE)
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
    db = make_db(tmp_path, THREE)
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


# B2 / B3 ----------------------------------------------------------------------


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
        '[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["listen"]\nregex = ["(unclosed", "ok\\\\b"]\n',
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
    db = make_db(tmp_path, THREE)
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
    db = make_db(tmp_path, THREE)
    cb = parse_codebook(HEAD + BAD["bad_regex"][0], source="bad.toml")
    with Store.open(db) as s:
        with pytest.raises(CodebookError, match=r"bad\.toml: theme a: regex '\(unclosed'"):
            tag_store(s, cb)
        assert fetch_one(s.con, "SELECT count(*) FROM runs WHERE kind = 'tag'") == (0,)


def test_many_errors_show_the_first_few(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE)
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
    tags = compute_keyword_tags(pl.Series([t for _, t in THREE]), cb)
    assert tags.select("row", "theme_id").rows() == [(1, "b"), (2, "a")]


# B4 / U2 ----------------------------------------------------------------------

SCRIPTS = [
    "نحتاج إلى قادة يستمعون إلى الموظفين",  # Arabic
    "ہمیں ایسی قیادت چاہیے جو سنے",  # Urdu
    "领导需要倾听员工",  # Chinese
    "Руководители должны слушать персонал",  # Russian
    "Οι ηγέτες πρέπει να ακούν",  # Greek
]


def test_topics_keep_every_script_and_say_what_was_left_out(tmp_path: Path) -> None:
    texts = [(f"s{i}", t) for i, t in enumerate(SCRIPTS)]
    texts += [("e1", "😀🔥👏"), ("e2", "👏👏")]
    texts += [(f"x{i}", f"Leaders must listen to staff about funding {i}") for i in range(5)]
    db = make_db(tmp_path, texts)
    with Store.open(db) as s:
        inputs = load_topic_inputs(s)
        assert set(inputs["reply_id"].to_list()) == {r for r, _ in texts} - {"e1", "e2"}
        result = compute_topic_run(s, TopicOptions(embedder="tfidf"))
        assert result.replies == 10
        assert result.note is not None
        assert "2 replies of 12 left out" in result.note and "emoji-only or empty" in result.note
        stored = fetch_one(s.con, "SELECT note, parameters->>'left_out_no_words' FROM topic_runs")
    assert stored is not None and "2 replies of 12 left out" in str(stored[0])
    assert stored[1] == "2"


def test_only_emoji_store_says_so(tmp_path: Path) -> None:
    db = make_db(tmp_path, [(str(i), "😀🔥👏"[i % 3] * (1 + i % 4)) for i in range(6)])
    with (
        Store.open(db) as s,
        pytest.raises(TopicError, match=r"^6 replies in the store, none with words to model"),
    ):
        compute_topic_run(s, TopicOptions(embedder="tfidf"))
    code, out = run(db, "topics", "--embedder", "tfidf")
    assert code == 1 and "emoji-only or empty" in out and "import some first" not in out


def test_topic_words_keep_accents_and_cut_chinese() -> None:
    analyze = make_vectorizer(stop_words()).build_analyzer()
    assert analyze("Führung braucht Zuhören") == [
        "führung",
        "braucht",
        "zuhören",
        "führung braucht",
        "braucht zuhören",
    ]
    # Decomposed ü (u + combining diaeresis) is the same word.
    assert analyze("Zuho\u0308ren") == ["zuhören"]
    # Accented stop words still go ("the" has no accent, but "Café" is no stop word).
    assert analyze("The café") == ["café"]
    assert analyze("领导需要倾听") == ["领导", "导需", "需要", "要倾", "倾听"]


# S2 ---------------------------------------------------------------------------

ADDRESS = "jane.doe.whistle@protonmail.com"
ADDRESS_PARTS = {"jane", "doe", "whistle", "protonmail", "com"}


def test_redact_contacts_removes_addresses_and_phones_fast() -> None:
    s = pl.Series(
        [
            f"write to {ADDRESS} today",
            "call +44 20 7946 0958 or 07700 900123 now",
            "on 2025-03-01 at 10",
            "x" * 1_000_000 + " listen",
            None,
        ]
    )
    started = time.perf_counter()
    out = redact_contacts(s).to_list()
    assert time.perf_counter() - started < 2
    assert out[0].split() == ["write", "to", "today"]
    assert out[1].split() == ["call", "or", "now"]
    assert out[2] == "on 2025-03-01 at 10"  # a date is not a phone number
    assert out[3].endswith(" listen") and out[4] is None


def test_addresses_never_become_topic_words_or_labels(tmp_path: Path) -> None:
    base = [
        "Leaders must listen to front line staff",
        "Funding cuts are the real problem",
        "We need trust and relationships at work",
    ]
    texts = [
        (
            str(i),
            base[i % 3] + (f" - whistleblow to {ADDRESS} about the ward" if i % 3 == 0 else ""),
        )
        for i in range(30)
    ]
    db = make_db(tmp_path, texts)
    with Store.open(db) as s:
        result = compute_topic_run(s, TopicOptions(embedder="tfidf"))
    words = set()
    for row in result.table.iter_rows(named=True):
        for w, _ in json.loads(row["keywords"]):
            words.update(w.split())
        words.update(row["label"].lower().replace(",", " ").split())
    assert "whistleblow" in words  # the rest of those replies is still there
    assert not words & ADDRESS_PARTS, words & ADDRESS_PARTS


def test_addresses_never_reach_word_clouds() -> None:
    texts = [f"email {ADDRESS} please", "contact jsmith@nhs.net now", "joe.bloggs@example.com"] * 3
    freqs = wc.compute_word_frequencies(texts, None, wc.build_stopwords([]), "count")
    parts = {p for k in freqs for p in k.lower().split()}
    assert not parts & (ADDRESS_PARTS | {"jsmith", "nhs", "net", "joe", "bloggs", "example"})
    assert {"email", "contact"} <= parts


# Nits -------------------------------------------------------------------------


def test_plural() -> None:
    assert plural(1, "theme") == "1 theme" and plural(2, "theme") == "2 themes"
    assert (
        plural(1, "reply", "replies") == "1 reply" and plural(0, "reply", "replies") == "0 replies"
    )


def test_one_reply_topics_note_is_singular(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE[:1])
    code, out = run(db, "topics")
    assert code == 0, out
    assert "Only 1 reply: too few" in out and "1 topic in 1 reply" in out
    assert "1 replies" not in out and "1 topics" not in out


def test_a_blank_term_is_a_warning_and_tagging_goes_on(tmp_path: Path) -> None:
    from analysis.codebook import check_codebook, load_codebook

    cb = tmp_path / "blank.toml"
    cb.write_text(
        'name = "b"\nversion = "1"\n[[themes]]\nid = "a"\nlabel = "A"\ninclude = ["listen", ""]\n',
        encoding="utf-8",
    )
    findings = check_codebook(load_codebook(cb))
    assert [(f.level, f.theme) for f in findings if "empty term" in f.message] == [("warning", "a")]
