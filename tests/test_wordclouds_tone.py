"""Word clouds (frequencies, stop words, deterministic PNGs, per theme, no contact details) and
VADER tone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from wordcloud import WordCloud

import analysis.tone as tone_mod
from analysis.codebook import parse_codebook
from analysis.languages import stop_words_for
from analysis.themes import tag_store
from analysis.tone import (
    ToneError,
    compute_store_tone,
    compute_tone,
    compute_tone_summary,
    latest_tone_run,
    tone_is_current,
)
from analysis.wordclouds import (
    DEFAULT_QUESTION,
    WordcloudError,
    build_stopwords,
    compute_question_words,
    compute_word_frequencies,
    emoji_name,
    font_path,
    load_question_words,
    load_stopwords,
    load_wordcloud_groups,
    render_wordcloud_png,
    render_wordclouds,
    wordcloud_png_bytes,
)
from cli import main
from collectors.files import ImportOptions, import_file
from commands.visuals import COMMANDS
from store import Store, fetch_one
from tests.store_helpers import ADDRESS, ADDRESS_PARTS, german_sample_store

# The lead registers COMMANDS in cli.py; until then the tests add them here.
for _cmd in COMMANDS:
    if _cmd.name not in main.commands:
        main.add_command(_cmd)

DEMO_ROOT = (
    "What kind of leadership do our public services need? Tell us in the replies 👇 "
    "#PublicServices #Leadership"
)
DEMO_WORDS = {
    "kind",
    "kinds",
    "leadership",
    "leaderships",
    "need",
    "needs",
    "public",
    "publics",
    "service",
    "services",
}

REPLIES = [
    ("1", "I love how our leaders listen. Wonderful!", 10),
    ("2", "Leaders never listen. Terrible and awful.", 3),
    ("3", "More funding for the front line please", 0),
    ("4", "Funding cuts are a disaster", 5),
    ("5", "The meeting is on Tuesday", 0),
    ("6", "@bob front line staff need trust https://t.co/x 2024", 1),
]

CODEBOOK = """
name = "tiny"
version = "1"
[[themes]]
id = "listening"
label = "Listening"
include = ["listen*"]
[[themes]]
id = "resources"
label = "Resources"
include = ["funding", "cuts"]
[[themes]]
id = "distributed"
label = "Front line"
include = ["front line"]
[[themes]]
id = "hybrid"
label = "Hybrid work"
include = ["hybrid", "remote"]
"""


def _write_csv(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    path.write_text(
        "id,text,likes,thread_id\n"
        + "".join(f'{i},"{t.replace(chr(34), chr(34) * 2)}",{likes},99\n' for i, t, likes in rows),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def tagged(store: Store, tmp_path: Path) -> Store:
    """The tiny corpus imported and tagged (3 of 4 themes get replies)."""
    import_file(store, _write_csv(tmp_path / "r.csv", REPLIES), ImportOptions(platform="x"))
    tag_store(store, parse_codebook(CODEBOOK), method="keyword")
    return store


# --- word frequencies ---------------------------------------------------------------


def test_question_words_come_from_the_question_sentence_and_hashtags() -> None:
    # "Tell us in the replies" is not the question: tell/replies stay in clouds.
    assert compute_question_words(DEMO_ROOT) == DEMO_WORDS
    assert compute_question_words(DEFAULT_QUESTION) == DEMO_WORDS
    # No question mark: every content word of the post counts.
    assert compute_question_words("Share your views on #NHSFunding") == {
        "share",
        "shares",
        "view",
        "views",
        "nhs",
        "nhss",
        "funding",
        "fundings",
    }
    assert compute_question_words(None) == set()


def test_stop_words_noise_handles_urls_and_numbers_are_removed() -> None:
    texts = [
        "@alice Leaders must LISTEN to staff https://t.co/abc 2024",
        "RT @bob.bsky.social: listen to staff &amp; patients via www.example.com 42 t.co/xyz",
        "What kind of leadership do public services need? Trust, 100%.",
        "Trust the nurses' judgement",
    ]
    stop = build_stopwords(compute_question_words(DEMO_ROOT), extra=["Patients", " "])
    freqs = compute_word_frequencies(texts, None, stop, "count", collocations=False)
    # LISTEN/listen tie: lower case shown; "Trust" is never written in lower
    # case; "Leaders"/"nurses" stay plural because their singulars never
    # occur; "nurses'" loses its apostrophe.
    assert freqs == {
        "Trust": 2.0,
        "listen": 2.0,
        "staff": 2.0,
        "Leaders": 1.0,
        "judgement": 1.0,
        "must": 1.0,
        "nurses": 1.0,
    }


def test_plurals_merge_and_common_spelling_is_shown() -> None:
    texts = ["NHS nurses", "the NHS nurse", "nhs Trust", "Trust matters", "trust"]
    freqs = compute_word_frequencies(texts, None, build_stopwords(), collocations=False)
    # NHS: the acronym wins; Trust: a sentence start, shown in lower case.
    # "matters" stays: "matter" itself never occurs.
    assert freqs == {"NHS": 3.0, "trust": 3.0, "nurse": 2.0, "matters": 1.0}
    assert list(freqs)[:2] == ["NHS", "trust"]


def test_likes_weighting_counts_likes_plus_one_per_occurrence() -> None:
    texts = ["trust trust staff", "trust", "staff budget"]
    likes = [4, None, 0]
    freqs = compute_word_frequencies(texts, likes, build_stopwords(), "likes", collocations=False)
    assert freqs == {"trust": 11.0, "staff": 6.0, "budget": 1.0}
    counts = compute_word_frequencies(texts, likes, build_stopwords(), "count", collocations=False)
    assert counts == {"trust": 3.0, "staff": 2.0, "budget": 1.0}
    with pytest.raises(ValueError, match="like counts"):
        compute_word_frequencies(texts, None, build_stopwords(), "likes")


FEELINGS = (
    "exhausted proud tired stretched brilliant ignored underpaid resilient overlooked essential "
    "invisible heroic"
)


def _collocation_corpus() -> list[str]:
    return [f"the front line is {w}" for w in FEELINGS.split()] + [
        "front door",
        "line manager",
        "staff morale",
        "morale matters",
    ]


def test_collocations_become_one_entry_with_counts_taken_off_the_words() -> None:
    texts = _collocation_corpus()
    freqs = compute_word_frequencies(texts, None, build_stopwords())
    assert freqs["front line"] == 12.0
    assert freqs["front"] == 1.0  # 13 uses, 12 of them in "front line"
    assert freqs["line"] == 1.0
    no_pairs = compute_word_frequencies(texts, None, build_stopwords(), collocations=False)
    assert no_pairs["front"] == 13.0 and "front line" not in no_pairs
    # With likes, the phrase weighs the likes + 1 of the replies it is in.
    likes = [2] * 12 + [0] * 4
    weighted = compute_word_frequencies(texts, likes, build_stopwords(), "likes")
    assert weighted["front line"] == 36.0
    assert weighted["front"] == 1.0


def test_counting_matches_wordclouds_own_for_plain_text() -> None:
    texts = _collocation_corpus()
    stop = build_stopwords()
    ours = compute_word_frequencies(texts, None, stop)
    # Joined with a stop word so that no pair spans two replies.
    theirs = WordCloud(stopwords=set(stop), collocations=True).process_text(" and ".join(texts))
    assert ours == {k: float(v) for k, v in theirs.items()}


def test_emoji_are_dropped_by_default_and_named_when_kept() -> None:
    texts = ["great leaders 👏🏽👏 ❤️ leader", "👏 clap"]
    assert compute_word_frequencies(texts, None, build_stopwords()) == {
        "leader": 2.0,
        "clap": 1.0,
        "great": 1.0,
    }
    kept = compute_word_frequencies(texts, None, build_stopwords(), emoji=True)
    assert kept == {
        "(clapping hands)": 3.0,
        "leader": 2.0,
        "(red heart)": 1.0,
        "clap": 1.0,
        "great": 1.0,
    }
    assert emoji_name("🫡") == "(saluting face)"  # newer than VADER's lexicon


def test_empty_input_gives_no_words() -> None:
    assert compute_word_frequencies([], None, build_stopwords()) == {}
    assert (
        compute_word_frequencies(
            [None, "", "the and of 123 https://x.org"], None, build_stopwords()
        )
        == {}
    )
    with pytest.raises(ValueError, match="no words"):
        wordcloud_png_bytes({})


# --- PNGs ------------------------------------------------------------------------------


def test_png_is_byte_identical_for_the_same_input(tmp_path: Path) -> None:
    freqs = compute_word_frequencies(_collocation_corpus(), None, build_stopwords())
    first = wordcloud_png_bytes(freqs, width=300, height=150)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert wordcloud_png_bytes(dict(reversed(freqs.items())), width=300, height=150) == first
    path = render_wordcloud_png(freqs, tmp_path / "sub" / "c.png", width=300, height=150)
    assert path.read_bytes() == first
    assert wordcloud_png_bytes(freqs, width=300, height=150, seed=7) != first
    assert font_path().name == "DroidSansMono.ttf" and font_path().is_file()


def test_by_theme_writes_one_file_per_theme_with_replies(tagged: Store, tmp_path: Path) -> None:
    # The CSV has no root post text: no question's words are dropped (not the demo's either).
    assert load_question_words(tagged) == set()
    notes: list[str] = []
    paths = render_wordclouds(tagged, "theme", "likes", tmp_path / "out", say=notes.append)
    assert [p.name for p in paths] == [
        "theme-distributed.png",
        "theme-listening.png",
        "theme-resources.png",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in paths]
    assert notes == []
    (all_png,) = render_wordclouds(tagged, "none", "count", tmp_path / "out")
    assert all_png.name == "all.png"
    with pytest.raises(WordcloudError, match="replyscope topics"):
        render_wordclouds(tagged, "topic", "count", tmp_path / "out")


def test_by_theme_without_tagging_and_empty_store(store: Store, tmp_path: Path) -> None:
    notes: list[str] = []
    assert render_wordclouds(store, "none", "count", tmp_path / "o", say=notes.append) == []
    assert notes == ["No replies to draw: the store has no replies. No file written."]
    assert not (tmp_path / "o").exists()
    with pytest.raises(WordcloudError, match="replyscope tag"):
        render_wordclouds(store, "theme", "count", tmp_path / "o")


def test_group_with_only_stop_words_is_skipped(store: Store, tmp_path: Path) -> None:
    import_file(
        store, _write_csv(tmp_path / "r.csv", [("1", "the and of", 0)]), ImportOptions(platform="x")
    )
    notes: list[str] = []
    assert render_wordclouds(store, "none", "count", tmp_path / "o", say=notes.append) == []
    assert notes == ["all: 1 replies but no words left after the stop words; no file."]


# --- tone ------------------------------------------------------------------------------


def test_tone_of_clear_sentences() -> None:
    frame = compute_tone(
        [
            "I love this, it is wonderful!",
            "This is terrible and awful.",
            "The meeting is on Tuesday.",
            None,
        ]
    )
    assert frame.columns == ["compound", "positive", "neutral", "negative", "tone"]
    assert frame["tone"].to_list() == ["positive", "negative", "neutral", "neutral"]
    assert frame["compound"].to_list() == [0.8478, -0.7269, 0.0, 0.0]
    assert frame.row(1) == (-0.7269, 0.0, 0.33, 0.67, "negative")


def test_tone_scores_each_distinct_text_once_and_reports_progress() -> None:
    seen: list[tuple[int, int]] = []
    frame = compute_tone(["good", "bad", "good", "good"], progress=lambda d, t: seen.append((d, t)))
    assert frame["tone"].to_list() == ["positive", "negative", "positive", "positive"]
    assert seen == [(0, 2), (2, 2)]


def test_parallel_scoring_matches_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"{w} reply number {i}" for i in range(60) for w in ("great", "awful", "plain")]
    serial = compute_tone(texts, workers=1)
    monkeypatch.setattr(tone_mod, "PARALLEL_FROM", 10)
    monkeypatch.setattr(tone_mod, "CHUNK", 50)
    assert compute_tone(texts, workers=2).equals(serial)


def test_store_tone_and_summaries(tagged: Store) -> None:
    with pytest.raises(ToneError, match="replyscope tone"):
        compute_tone_summary(tagged, "theme")
    result = compute_store_tone(tagged)
    assert (result.replies, result.positive, result.neutral, result.negative) == (6, 3, 1, 2)
    assert tone_is_current(tagged)
    assert latest_tone_run(tagged) == result.run_id
    row = fetch_one(
        tagged.con, "SELECT status, rows_in, summary FROM runs WHERE run_id = ?", [result.run_id]
    )
    assert row is not None and row[:2] == ("ok", 6)
    assert json.loads(row[2]) == {"positive": 3, "neutral": 1, "negative": 2, "distinct_texts": 6}
    # replies_tagged shows the tone.
    tones = dict(tagged.con.execute("SELECT text, tone FROM replies_tagged").fetchall())
    assert tones["The meeting is on Tuesday"] == "neutral"

    by_theme = compute_tone_summary(tagged, "theme")
    assert by_theme.columns == [
        "group",
        "replies",
        "mean_compound",
        "positive_share",
        "neutral_share",
        "negative_share",
    ]
    # Codebook order; the hybrid theme has no replies and no row.
    assert by_theme["group"].to_list() == ["listening", "resources", "distributed"]
    assert by_theme["replies"].to_list() == [2, 2, 2]
    assert by_theme["positive_share"].to_list() == [0.5, 0.5, 1.0]
    assert by_theme["negative_share"].to_list() == [0.5, 0.5, 0.0]
    assert by_theme["neutral_share"].to_list() == [0.0, 0.0, 0.0]
    assert by_theme["mean_compound"].round(4).to_list() == [0.3667, -0.2124, 0.4144]

    overall = compute_tone_summary(tagged, "none")
    assert overall.row(0)[:2] == ("all", 6)
    assert overall["neutral_share"].round(4).to_list() == [0.1667]


def test_tone_by_topic(tagged: Store) -> None:
    compute_store_tone(tagged)
    with pytest.raises(ToneError, match="replyscope topics"):
        compute_tone_summary(tagged, "topic")
    ids = [
        r[0]
        for r in tagged.con.execute("SELECT reply_id FROM replies ORDER BY reply_id").fetchall()
    ]
    tagged.con.execute("INSERT INTO topic_runs (run_id, embedder) VALUES (900, 'tfidf')")
    tagged.con.executemany(
        "INSERT INTO reply_topics VALUES (900, 'x', ?, ?, 1.0)",
        [[rid, topic] for rid, topic in zip(ids, [0, 0, 1, 1, -1, 1], strict=True)],
    )
    frame = compute_tone_summary(tagged, "topic")
    assert frame["group"].to_list() == ["0", "1", "-1"]
    assert frame["replies"].to_list() == [2, 3, 1]
    assert frame["negative_share"].round(4).to_list() == [0.5, 0.3333, 0.0]


# --- CLI -------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "s.duckdb"
    csv = _write_csv(tmp_path / "r.csv", REPLIES)
    (tmp_path / "cb.toml").write_text(CODEBOOK, encoding="utf-8")
    assert (
        runner.invoke(main, ["--db", str(path), "import", str(csv), "--platform", "x"]).exit_code
        == 0
    )
    result = runner.invoke(
        main, ["--db", str(path), "tag", "--codebook", str(tmp_path / "cb.toml")]
    )
    assert result.exit_code == 0, result.output
    return path


def _tone_runs(db: Path) -> int:
    with Store.open(db, read_only=True) as s:
        row = fetch_one(s.con, "SELECT count(*) FROM runs WHERE kind = 'tone' AND status = 'ok'")
    assert row is not None
    return int(row[0])


def test_cli_wordcloud(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "clouds"
    args = ["--db", str(db), "wordcloud", "--by", "theme", "--weight", "likes", "-o", str(out)]
    result = runner.invoke(main, [*args, "--stopword", "funding", "--emoji"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "theme-distributed.png",
        "theme-listening.png",
        "theme-resources.png",
    ]
    first = (out / "theme-listening.png").read_bytes()
    assert runner.invoke(main, [*args, "--stopword", "funding", "--emoji"]).exit_code == 0
    assert (out / "theme-listening.png").read_bytes() == first
    assert "Wrote 3 word clouds" in result.output
    result = runner.invoke(main, ["--db", str(db), "wordcloud", "--by", "topic", "-o", str(out)])
    assert result.exit_code == 1 and "no topic model yet" in result.output


def test_cli_wordcloud_empty_store(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "empty.duckdb"
    Store.open(db).close()
    result = runner.invoke(main, ["--db", str(db), "wordcloud", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "No replies to draw" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_tone(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["--db", str(db), "tone", "--by", "theme"])
    assert result.exit_code == 0, result.output
    assert "Scored 6 replies (6 distinct texts)" in result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["listening", "Listening", "2"] for line in lines)
    assert any(line.split()[-4:] == ["+0.414", "100.0%", "0.0%", "0.0%"] for line in lines)
    assert _tone_runs(db) == 1
    # The latest run covers every reply: reused, unless --recompute.
    assert runner.invoke(main, ["--db", str(db), "tone", "--by", "theme"]).exit_code == 0
    assert _tone_runs(db) == 1
    assert (
        runner.invoke(main, ["--db", str(db), "tone", "--by", "theme", "--recompute"]).exit_code
        == 0
    )
    assert _tone_runs(db) == 2
    # A new reply makes the latest run stale: it is scored again.
    csv = _write_csv(tmp_path / "more.csv", [("7", "Brilliant, thank you", 2)])
    assert (
        runner.invoke(main, ["--db", str(db), "import", str(csv), "--platform", "x"]).exit_code == 0
    )
    result = runner.invoke(main, ["--db", str(db), "tone"])
    assert result.exit_code == 0, result.output
    assert _tone_runs(db) == 3
    assert any(line.split()[:2] == ["all", "7"] for line in result.output.splitlines())
    result = runner.invoke(main, ["--db", str(db), "tone", "--by", "topic"])
    assert result.exit_code == 1 and "no topic model yet" in result.output


def test_cli_tone_checks_the_grouping_before_scoring(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "untagged.duckdb"
    csv = _write_csv(tmp_path / "r.csv", REPLIES)
    assert (
        runner.invoke(main, ["--db", str(db), "import", str(csv), "--platform", "x"]).exit_code == 0
    )
    result = runner.invoke(main, ["--db", str(db), "tone", "--by", "theme"])
    assert result.exit_code == 1 and "run `replyscope tag` first" in result.output
    assert _tone_runs(db) == 0


def test_by_topic_writes_one_file_per_topic_but_not_outliers(tagged: Store, tmp_path: Path) -> None:
    ids = [r[0] for r in tagged.con.execute("SELECT reply_id FROM replies").fetchall()]
    tagged.con.execute("INSERT INTO topic_runs (run_id, embedder) VALUES (5, 'tfidf')")
    tagged.con.executemany(
        "INSERT INTO reply_topics VALUES (5, 'x', ?, ?, 1.0)",
        [[rid, 3 if rid in ("1", "2") else -1] for rid in ids],
    )
    paths = render_wordclouds(tagged, "topic", "count", tmp_path / "t")
    assert [p.name for p in paths] == ["topic-3.png"]


def test_sampled_groups_are_a_steady_subset(store: Store, tmp_path: Path) -> None:
    """sample= keeps about that many replies of a big group, the same ones each time."""
    rows = [(str(i), f"reply {i} about funding and budget cuts", i % 7) for i in range(400)]
    import_file(store, _write_csv(tmp_path / "big.csv", rows), ImportOptions(platform="x"))
    full = load_wordcloud_groups(store, "none")
    assert [(s, f.height) for s, f in full] == [("all", 400)]
    first = load_wordcloud_groups(store, "none", sample=100)
    again = load_wordcloud_groups(store, "none", sample=100)
    assert first[0][1].equals(again[0][1])
    assert 50 <= first[0][1].height <= 160
    assert set(first[0][1]["text"]) <= set(full[0][1]["text"])
    # A group no bigger than the sample is kept whole.
    assert load_wordcloud_groups(store, "none", sample=400)[0][1].height == 400


# --- contact details never reach word clouds ----------------------------------


def test_addresses_never_reach_word_clouds() -> None:
    texts = [f"email {ADDRESS} please", "contact jsmith@nhs.net now", "joe.bloggs@example.com"] * 3
    freqs = compute_word_frequencies(texts, None, build_stopwords([]), "count")
    parts = {p for k in freqs for p in k.lower().split()}
    assert not parts & (ADDRESS_PARTS | {"jsmith", "nhs", "net", "joe", "bloggs", "example"})
    assert {"email", "contact"} <= parts


# --- languages ---------------------------------------------------------------------------


def test_stop_words_follow_the_replies_languages() -> None:
    german = build_stopwords(languages=["de"])
    assert {"die", "sie", "ist", "und", "für", "fur"} <= german and "the" in build_stopwords()
    assert "the" not in german and "don't" not in german
    # English keeps wordcloud's own list (with its contractions), so English clouds are unchanged.
    assert build_stopwords(languages=["en"]) == build_stopwords()
    assert "front" not in build_stopwords() and "don't" in build_stopwords()


@pytest.mark.samples
def test_german_thread_word_cloud_has_no_german_stop_words(tmp_path: Path) -> None:
    db = german_sample_store(tmp_path)
    with Store.open(db, read_only=True) as s:
        stop = load_stopwords(s)
        ((_, frame),) = load_wordcloud_groups(s, "none")
    freqs = compute_word_frequencies(frame["text"], frame["like_count"], stop, "count")
    top = [w.lower() for w in list(freqs)[:100]]
    assert "sympathisch" in top[:3]
    words = {p for w in top for p in w.split()}
    assert not words & stop_words_for(["de"]), sorted(words & stop_words_for(["de"]))
    # No post in the file: no other thread's question words are left out.
    assert not {"leadership", "public", "services"} & stop
