"""Drafting a codebook from the replies' topics (`codebook draft`, `codebook suggest`) and the
warning `tag` gives when its codebook fits the replies badly: fixtures, and the real UFC (English)
and Baerbock (German) samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.codebook import THEME_ID, Codebook, Theme, load_codebook
from analysis.codebook_fit import compute_fit_problems
from analysis.draft_terms import ascii_words, redact_example, theme_id_from_label
from analysis.languages import stop_words_for
from analysis.text import term_form
from analysis.themes import tag_store
from analysis.topics import TopicOptions, compute_topic_run
from cli import main
from store import Store, fetch_one
from tests.conftest import sample
from tests.test_topics import CLUSTERS, QUESTION, fill_store, planted_replies

UFC = "reddit/pushshift-dump_comments_r-ufc-2018.ndjson"
BAERBOCK = "tiktok/tiktokcommentscraper_funke-baerbock-post_comments.csv"
REMEDY = "replyscope codebook draft -o mine.toml"


def invoke(db: Path, *args: str) -> tuple[int, str]:
    """`replyscope --db DB ARGS`: exit code and output (stdout and stderr), no traceback."""
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def words_of(cb: Codebook) -> set[str]:
    """Every word of every include term, in the match form tagging uses."""
    return {w for t in cb.themes for term in t.include for w in term_form(term).split()}


# --- ids, examples, fit rules (always run) --------------------------------------


def test_theme_ids_are_ascii_folded() -> None:
    # The "Süß, Süße" became su_su_e; German writes the umlauts out, ß is ss.
    assert theme_id_from_label("Süß, Süße, Voll", set(), "de") == "suess_suesse_voll"
    assert theme_id_from_label("Süß, Süße", set()) == "suss_susse"
    assert theme_id_from_label("Straße, Æble, Øl, Café", set()) == "strasse_aeble_ol_cafe"
    assert theme_id_from_label("Grüne Herz", {"gruene_herz"}, "de") == "gruene_herz_2"
    # A decomposed ü (u + combining diaeresis) folds the same way.
    assert ascii_words("Gru\u0308n", "de") == ["gruen"]
    assert theme_id_from_label("Москва, 2024", set()) == "topic_2024"
    for label in ("Süß", "Œuvre", "Ærø", "Łódź"):
        tid = theme_id_from_label(label, set())
        assert THEME_ID.match(tid) and tid.isascii(), (label, tid)


def test_examples_leave_out_contacts_links_and_handles() -> None:
    text = (
        "Ask @bob.smith or u/throwaway_42 at jane@example.org / +44 7700 900123, "
        "see https://example.com/x"
    )
    out = redact_example(text)
    for gone in ("bob.smith", "throwaway_42", "jane@example.org", "7700", "example.com"):
        assert gone not in out
    assert out.startswith("Ask @someone or u/someone")
    assert len(redact_example("word " * 200)) <= 300


def test_fit_rules() -> None:
    fits = compute_fit_problems(
        replies=600,
        tagged=300,
        theme_counts={"a": 40, "b": 30, "c": 6},
        language="en",
        reply_languages={"en": 0.97, "fr": 0.03},
    )
    assert fits == []
    other_language = compute_fit_problems(
        replies=600,
        tagged=300,
        theme_counts={"a": 40},
        language="en",
        reply_languages={"de": 0.98, "en": 0.02},
    )
    assert other_language == ["it is written in en, but 98% of the replies are in de"]
    # A codebook of unknown language is not judged on language.
    assert (
        compute_fit_problems(
            replies=600, tagged=300, theme_counts={"a": 40}, reply_languages={"de": 1.0}
        )
        == []
    )
    few = compute_fit_problems(replies=1000, tagged=99, theme_counts={"a": 60, "b": 39})
    assert few == ["it tags only 10% of the replies (under 10%)"]
    # 11% tagged, but 3 of 4 themes under 1% each (the default codebook on a UFC thread).
    quiet = compute_fit_problems(
        replies=1000, tagged=110, theme_counts={"a": 100, "b": 9, "c": 0, "d": 3}
    )
    assert quiet == ["3 of its 4 themes tag (almost) none of them (under 1% each)"]
    assert compute_fit_problems(replies=0, tagged=0, theme_counts={"a": 0}) == []


# --- draft and suggest on planted topics (always run) ---------------------------


def test_draft_runs_topics_itself_and_names_the_codebook_after_the_post(tmp_path: Path) -> None:
    db = tmp_path / "planted.duckdb"
    replies = planted_replies(per_cluster=12)
    # Contact details and handles in replies must not reach the examples.
    replies[0] = (replies[0][0], "roads", replies[0][2] + " mail me: jo@example.org", 50)
    replies[1] = (replies[1][0], "roads", "@roadfan " + replies[1][2], 40)
    with Store.open(db) as s:
        fill_store(s, replies)
    out = tmp_path / "mine.toml"
    code, output = invoke(db, "codebook", "draft", "-o", str(out))
    assert code == 0, output
    cb = load_codebook(out)
    assert cb.name == QUESTION.rstrip()
    assert "(replyscope default)" not in out.read_text(encoding="utf-8")
    assert "What should the council sort out first?" in cb.description
    with Store.open(db, read_only=True) as s:
        runs = fetch_one(s.con, "SELECT count(*), max(topics) FROM topic_runs")
    assert runs is not None and runs[0] == 1  # no topics run yet: the draft ran one
    assert len(cb.themes) == runs[1] >= 2
    vocab = {w for words in CLUSTERS.values() for w in words}
    for theme in cb.themes:
        assert THEME_ID.match(theme.id) and theme.id.isascii()
        assert set(theme.include) & vocab and len(theme.examples) == 3
        assert theme.description.startswith("Drafted from topic ")
        for example in theme.examples:
            assert "jo@example.org" not in example and "@roadfan" not in example
    assert not words_of(cb) & stop_words_for(["en"])
    assert not words_of(cb) & {"council", "2024", "amp", "https", "rt"}
    assert "Wrote" in output and f"replyscope tag --codebook {out}" in output
    # The file exists: kept unless --force.
    code, output = invoke(db, "codebook", "draft", "-o", str(out))
    assert code == 1 and "exists" in output


@pytest.fixture
def four_topics(tmp_path: Path) -> Path:
    """48 planted replies in four k-means topics (tfidf: no UMAP, fast)."""
    db = tmp_path / "four.duckdb"
    with Store.open(db) as s:
        fill_store(s, planted_replies(per_cluster=12))
        compute_topic_run(s, TopicOptions(embedder="tfidf", topics=4))
    return db


def test_suggest_without_a_tagging_run_drafts_every_topic(four_topics: Path) -> None:
    out = four_topics.parent / "draft.toml"
    code, output = invoke(four_topics, "codebook", "suggest", "-o", str(out))
    assert code == 0, output
    assert "No tagging run yet" in output
    assert len(load_codebook(out).themes) == 4


def test_suggest_judges_coverage_on_the_replies_not_on_term_names(four_topics: Path) -> None:
    # A theme named and worded like the health topic that tags none of its replies
    # (every reply says "council"): the topic is not covered, so it gets a draft.
    health = Theme("health", "Health", include=CLUSTERS["health"], exclude=["council"])
    roads = Theme("roads", "Roads", include=CLUSTERS["roads"])
    with Store.open(four_topics) as s:
        tag_store(s, Codebook("local", "1", [health, roads]), method="keyword")
    out = four_topics.parent / "draft.toml"
    code, output = invoke(four_topics, "codebook", "suggest", "-o", str(out))
    assert code == 0, output
    cb = load_codebook(out)
    assert [t.id for t in cb.themes[:2]] == ["health", "roads"]
    drafts = cb.themes[2:]
    assert len(drafts) == 3  # health, libraries, waste; roads is covered
    assert len({t.id for t in cb.themes}) == len(cb.themes)
    assert any(set(t.include) & set(CLUSTERS["health"]) for t in drafts)
    assert not any(set(t.include) & set(CLUSTERS["roads"]) for t in drafts)
    assert cb.name == "local + drafted themes"


# --- the real samples ------------------------------------------------------------


def imported(tmp_path: Path, rel: str) -> Path:
    """A store with the sample imported through the CLI."""
    db = tmp_path / "sample.duckdb"
    code, output = invoke(db, "import", str(sample(rel)))
    assert code == 0, output
    return db


def drafted(db: Path) -> tuple[Codebook, int]:
    """`codebook draft` on the store (it runs topics): the codebook and its topics run."""
    out = db.parent / "mine.toml"
    code, output = invoke(db, "codebook", "draft", "-o", str(out))
    assert code == 0, output
    with Store.open(db, read_only=True) as s:
        run = fetch_one(s.con, "SELECT max(run_id) FROM topic_runs")
    assert run is not None
    return load_codebook(out), int(run[0])


def test_ufc_draft_covers_every_topic_and_default_codebook_warns(tmp_path: Path) -> None:
    db = imported(tmp_path, UFC)
    code, output = invoke(db, "tag")
    assert code == 0
    assert (
        "Warning: the bundled default codebook" in output and "fits these replies badly" in output
    )
    assert "of its 14 themes tag (almost) none of them" in output and REMEDY in output
    cb, run = drafted(db)
    with Store.open(db, read_only=True) as s:
        topics = [
            t
            for (t,) in s.con.execute(
                "SELECT topic_id FROM topics WHERE run_id = ? AND topic_id <> -1", [run]
            ).fetchall()
        ]
    # Every topic of the run became a theme: none is tiny or without distinctive words.
    assert len(topics) >= 5 and len(cb.themes) == len(topics)
    sources = [
        re.search(r"from topic (\d+) of topics run (\d+) ", t.description) for t in cb.themes
    ]
    assert {(int(m[1]), int(m[2])) for m in sources if m} == {(t, run) for t in topics}
    assert not words_of(cb) & stop_words_for(["en"])
    assert all(THEME_ID.match(t.id) and t.id.isascii() for t in cb.themes)
    assert not any(re.fullmatch(r"\d+", w) for w in words_of(cb))
    assert "(replyscope default)" not in cb.name and "ufc" in cb.name.lower()
    # The drafted codebook fits: no warning, and it tags far more replies.
    code, output = invoke(db, "tag", "--codebook", str(db.parent / "mine.toml"))
    assert code == 0 and "Warning" not in output
    share = re.search(r"\((\d+)%\) carry", output)
    assert share and int(share.group(1)) >= 30, output


def test_german_draft_has_no_german_stop_words_and_folded_ids(tmp_path: Path) -> None:
    db = imported(tmp_path, BAERBOCK)
    # Plain `tag` refuses the bundled (English) codebook on German replies...
    code, output = invoke(db, "tag")
    assert code == 1 and "it is written in en, but" in output and "are in de" in output
    assert "codebook draft" in output and "--codebook default" in output
    # ...asked for by name it tags, with the warning.
    code, output = invoke(db, "tag", "--codebook", "default")
    assert code == 0 and "Warning" in output and "are in de" in output
    cb, _ = drafted(db)
    assert len(cb.themes) >= 5
    words = words_of(cb)
    assert not words & stop_words_for(["de"])
    assert not words & {"die", "ein", "das", "nur", "nicht", "alle", "sie", "ist"}
    for theme in cb.themes:
        assert THEME_ID.match(theme.id) and theme.id.isascii()
        assert "su_su" not in theme.id
        parts = re.sub(r"_\d+$", "", theme.id).split("_")
        assert ascii_words(theme.label, "de")[: len(parts)] == parts, theme
        if "Süß" in theme.label.split(", ")[0]:
            assert theme.id.startswith("suess"), theme


def test_plain_tag_refuses_the_bundled_codebook_on_another_question(tmp_path: Path) -> None:
    from tests.store_helpers import run, run_ok, write_replies_csv

    rows = [
        (str(i), f"What a goal in minute {i}, the keeper had no chance at all", i, f"u{i}")
        for i in range(30)
    ]
    csv_path = write_replies_csv(tmp_path / "r.csv", rows, ("id", "text", "likes", "author"))
    db = tmp_path / "d.duckdb"
    run_ok(db, "import", str(csv_path))
    code, output = run(db, "tag")
    assert code == 1 and "does not fit these replies" in output and "under 10%" in output
    assert "replyscope codebook draft -o mine.toml" in output
    runs = run_ok(db, "sql", "SELECT count(*) AS n FROM runs WHERE kind = 'tag'").output
    assert re.search(r"\b0\b", runs), runs  # nothing was tagged
    output = run_ok(db, "tag", "--codebook", "default").output
    assert "Warning" in output and "fits these replies badly" in output
