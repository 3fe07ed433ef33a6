"""Topic models (analysis.topics, topic_labels): planted clusters found, reproducible, cached,
offline; small data; labels; drafts; time; every script kept, contact details never topic words."""

from __future__ import annotations

import json
import random
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from analysis.codebook import Codebook, Theme, check_codebook, load_codebook
from analysis.draft_terms import theme_id_from_label
from analysis.languages import stop_words_for
from analysis.themes import tag_store
from analysis.topic_clusters import cap_outliers
from analysis.topic_labels import (
    OUTLIER_LABEL,
    clean_for_words,
    compute_label,
    make_vectorizer,
    question_words,
    stop_words,
)
from analysis.topics import (
    MAX_OUTLIER_SHARE,
    TopicError,
    TopicOptions,
    compute_topic_run,
    compute_topic_theme_crosstab,
    compute_topics_over_time,
    load_topic_inputs,
)
from commands.common import Ctx
from commands.topics import codebook_suggest_cmd, topics_cmd
from store import Store, fetch_one
from tests.store_helpers import (
    ADDRESS,
    ADDRESS_PARTS,
    THREE_TEXTS,
    german_sample_store,
    make_db,
    run,
    run_ok,
)

# Four planted clusters of clearly different vocabulary.
CLUSTERS = {
    "roads": "potholes roads tarmac gritting pavements resurfacing junction traffic".split(),
    "health": "nurses wards patients shifts hospital beds doctors clinic".split(),
    "libraries": "libraries books reading librarians archives shelves novels study".split(),
    "waste": "bins recycling waste collection landfill compost litter rubbish".split(),
}
FILLER = "we really the our and more please about need".split()
QUESTION = "What should the council sort out first? #LocalServices"
START = datetime(2026, 3, 2, tzinfo=UTC)


def planted_replies(per_cluster: int = 40, seed: int = 3) -> list[tuple[str, str, str, int]]:
    """(reply_id, cluster, text, likes): council (a question word) and platform noise in many
    replies."""
    rng = random.Random(seed)
    out = []
    for cluster, words in CLUSTERS.items():
        for i in range(per_cluster):
            picked = rng.sample(words, 4)
            noise = rng.choice(["", " @someone", " https://t.co/Ab12", " rt", " &amp; 2024", ""])
            text = (
                f"The council {picked[0]} and {picked[1]}, {rng.choice(FILLER)} {picked[2]} "
                f"{picked[3]}{noise}"
            )
            out.append((f"{cluster}-{i:02d}", cluster, text, i % 7))
    return out


def fill_store(store: Store, replies: list[tuple[str, str, str, int]]) -> None:
    """Insert the thread's question and the replies (spread over three days) straight into the
    store."""
    store.con.execute(
        "INSERT INTO threads (thread_id, platform, text, first_seen_at, last_harvested_at) "
        "VALUES ('x:1', 'x', ?, now(), now())",
        [QUESTION],
    )
    frame = pl.DataFrame(
        {
            "reply_id": [r[0] for r in replies],
            "text": [r[2] for r in replies],
            "like_count": [r[3] for r in replies],
            "created_at": [START + timedelta(hours=(7 * i) % 72) for i in range(len(replies))],
        }
    )
    store.con.register("_in", frame.to_arrow())
    store.con.execute(
        """INSERT INTO replies (platform, reply_id, thread_id, text, like_count, created_at,
                                first_seen_at, last_seen_at, source_run_id)
           SELECT 'x', reply_id, 'x:1', text, like_count, created_at, now(), now(), 0 FROM _in"""
    )
    store.con.unregister("_in")


def assignments(store: Store, run_id: int) -> dict[str, int]:
    """reply_id -> topic_id of a run."""
    return dict(
        store.con.execute(
            "SELECT reply_id, topic_id FROM reply_topics WHERE run_id = ?", [run_id]
        ).fetchall()
    )


FAST = TopicOptions(embedder="wordllama", n_neighbors=10)


@pytest.mark.usefixtures("no_network")
def test_planted_clusters_found_reproducible_and_cached(store: Store) -> None:
    replies = planted_replies()
    fill_store(store, replies)
    first = compute_topic_run(store, FAST)
    assert first.replies == 160 and first.new_embeddings == 160
    assert first.topics >= 3 and first.outlier_share <= MAX_OUTLIER_SHARE
    got = assignments(store, first.run_id)
    majority = {}
    for cluster in CLUSTERS:
        topic, n = Counter(got[r[0]] for r in replies if r[1] == cluster).most_common(1)[0]
        assert topic != -1 and n >= 32, (cluster, n)  # at least 80% of each cluster in one topic
        majority[cluster] = topic
    assert len(set(majority.values())) >= 3
    # Topic words: cluster vocabulary, never the question's words, noise or numbers.
    banned = {"council", "rt", "amp", "https", "tco", "someone", "2024", "services", "local"}
    table = {
        r[0]: r
        for r in store.con.execute(
            "SELECT topic_id, label, keywords::VARCHAR, size, likes, representative::VARCHAR "
            "FROM topics WHERE run_id = ?",
            [first.run_id],
        ).fetchall()
    }
    for cluster, topic in majority.items():
        _, label, keywords, size, likes, reps = table[topic]
        words = [w for w, _ in json.loads(keywords)]
        assert not banned & {p for w in words for p in w.split()}
        assert words[0] in CLUSTERS[cluster] and words[0].title() in label
        members = [r for r in replies if got[r[0]] == topic]
        assert size == len(members) and likes == sum(r[3] for r in members)
        assert len(json.loads(reps)) == 3
    # The same data, seed and options give the same topics; nothing is embedded again.
    cached = fetch_one(store.con, "SELECT count(*) FROM embeddings")
    second = compute_topic_run(store, FAST)
    assert second.new_embeddings == 0
    assert fetch_one(store.con, "SELECT count(*) FROM embeddings") == cached == (160,)
    assert assignments(store, second.run_id) == got
    assert second.table.equals(first.table)
    row = fetch_one(
        store.con,
        "SELECT embedder, seed, replies, topics, outlier_share, note, versions->>'bertopic' "
        "FROM topic_runs WHERE run_id = ?",
        [second.run_id],
    )
    assert row == ("wordllama-0.4-256", 42, 160, first.topics, first.outlier_share, None, "0.17.4")


@pytest.mark.parametrize("n", [10, 40])
def test_small_data_gives_a_plain_note(tmp_path: Path, n: int, runner: CliRunner) -> None:
    db = tmp_path / "small.duckdb"
    with Store.open(db) as s:
        fill_store(s, planted_replies(per_cluster=(n + 3) // 4)[:n])
    result = runner.invoke(
        topics_cmd, ["--embedder", "tfidf"], obj=Ctx(str(db), quiet=True), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert f"Note: Only {n} replies: too few for a topic model" in result.output
    assert "Traceback" not in result.output
    with Store.open(db, read_only=True) as s:
        note, topics, outliers = fetch_one(
            s.con, "SELECT note, topics, outlier_share FROM topic_runs"
        ) or (None, None, None)
        assert note is not None and note.startswith(f"Only {n} replies") and "k-means" in note
        assert topics in (2, 3) and outliers == 0.0
        assert fetch_one(s.con, "SELECT count(*) FROM reply_topics") == (n,)


def test_no_replies_and_unknown_embedder_are_plain_errors(
    tmp_path: Path, runner: CliRunner
) -> None:
    db = tmp_path / "empty.duckdb"
    Store.open(db).close()
    result = runner.invoke(topics_cmd, [], obj=Ctx(str(db), quiet=True))
    assert result.exit_code == 1 and "no replies with text" in result.output
    with Store.open(db) as s:
        fill_store(s, planted_replies(per_cluster=3))
    result = runner.invoke(topics_cmd, ["--embedder", "nope"], obj=Ctx(str(db), quiet=True))
    assert result.exit_code == 1 and "unknown embedder 'nope'" in result.output
    result = runner.invoke(topics_cmd, ["--topics", "many"], obj=Ctx(str(db), quiet=True))
    assert result.exit_code == 1 and "use auto or a whole number" in result.output
    result = runner.invoke(topics_cmd, ["--freq", "daily"], obj=Ctx(str(db), quiet=True))
    assert result.exit_code == 1 and "like 1d or 6h" in result.output
    with Store.open(db, read_only=True) as s:
        assert fetch_one(s.con, "SELECT count(*) FROM topic_runs") == (0,)


@pytest.fixture
def tagged_db(tmp_path: Path) -> Path:
    """Planted replies, a tfidf topics run and a tagging run whose codebook covers only roads."""
    db = tmp_path / "tagged.duckdb"
    with Store.open(db) as s:
        fill_store(s, planted_replies())
        compute_topic_run(s, TopicOptions(embedder="tfidf", n_neighbors=10))
        roads = Theme("roads", "Roads", "Potholes and roads", include=CLUSTERS["roads"])
        tag_store(s, Codebook("local", "1", [roads]), method="keyword")
    return db


def test_codebook_suggest_drafts_uncovered_topics(
    tagged_db: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "draft.toml"
    result = runner.invoke(
        codebook_suggest_cmd, ["-o", str(out)], obj=Ctx(str(tagged_db), quiet=True)
    )
    assert result.exit_code == 0, result.output
    tomllib.loads(out.read_text(encoding="utf-8"))
    cb = load_codebook(out)
    assert cb.themes[0].id == "roads" and len(cb.themes) >= 4
    assert not [f for f in check_codebook(cb) if f.level == "error"]
    vocab = {w for c in ("health", "libraries", "waste") for w in CLUSTERS[c]}
    for draft in cb.themes[1:]:
        assert draft.description.startswith("Drafted from topic ")
        assert set(draft.include) & vocab and len(draft.examples) == 3
        assert not set(draft.include) & set(CLUSTERS["roads"])
    # Again: the file exists, so it is kept unless --force.
    again = runner.invoke(
        codebook_suggest_cmd, ["-o", str(out)], obj=Ctx(str(tagged_db), quiet=True)
    )
    assert again.exit_code == 1 and "exists" in again.output


def test_topics_over_time_and_theme_crosstab(tagged_db: Path) -> None:
    with Store.open(tagged_db, read_only=True) as s:
        run_id = int((fetch_one(s.con, "SELECT max(run_id) FROM topic_runs") or (0,))[0])
        topics = {
            t
            for (t,) in s.con.execute(
                "SELECT DISTINCT topic_id FROM reply_topics WHERE run_id = ?", [run_id]
            ).fetchall()
        }
        daily = compute_topics_over_time(s, run_id, "1d")
        assert daily.columns == ["bucket", "topic_id", "replies"]
        assert daily.height == 3 * len(topics) and daily["replies"].sum() == 160
        assert daily["bucket"].n_unique() == 3
        assert compute_topics_over_time(s, run_id, "12h")["bucket"].n_unique() == 6
        cross = compute_topic_theme_crosstab(s, run_id)
        assert cross.columns == ["topic_id", "theme_id", "replies"]
        roads = cross.filter(pl.col("theme_id") == "roads")
        assert roads["replies"].sum() == 40
        assert cross.filter(pl.col("theme_id").is_null())["replies"].sum() == 120


def test_outliers_capped_at_the_share_nearest_first() -> None:
    emb = np.array(
        [
            [1, 0],
            [1, 0],
            [0, 1],
            [0, 1],
            [0.9, 0.1],
            [0.1, 0.9],
            [0.6, 0.4],
            [0.5, 0.5],
            [0.3, -0.6],
            [-1, 0],
        ],
        dtype=np.float32,
    )
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    probs = np.ones(10)
    out = cap_outliers(emb, np.array([0, 0, 1, 1, -1, -1, -1, -1, -1, -1]), probs)
    # 10 replies allow 2 outliers: the 4 nearest a topic centroid join it, the 2 farthest stay.
    assert out.tolist() == [0, 0, 1, 1, 0, 1, 0, 0, -1, -1]
    assert np.isnan(probs[4:8]).all() and (probs[[0, 1, 2, 3, 8, 9]] == 1).all()


def test_topic_words_leave_out_noise_and_keep_phrases() -> None:
    assert clean_for_words(
        "Don't @bob see https://t.co/x 2024 &amp; Café #PublicServices"
    ).split() == [
        "dont",
        "see",
        "cafe",
        "public",
        "services",
    ]
    analyze = make_vectorizer(stop_words(["council"])).build_analyzer()
    assert analyze("The council agree. New fruit bowl, psychological safety!") == [
        "agree",
        "new",
        "fruit",
        "bowl",
        "new fruit",
        "fruit bowl",
        "psychological",
        "safety",
        "psychological safety",
    ]
    kw = [
        ("psychological", 0.5),
        ("nhs", 0.4),
        ("psychological safety", 0.45),
        ("listening", 0.3),
        ("listen", 0.2),
        ("pay", 0.1),
    ]
    assert (
        compute_label(kw, 3, ["The NHS is great", "nhs"]) == "Psychological Safety, NHS, Listening"
    )
    assert compute_label(kw, -1) == OUTLIER_LABEL
    assert (
        theme_id_from_label("Fair, Artists, Audience Organically", set()) == "fair_artists_audience"
    )
    assert theme_id_from_label("Pizza, Fruit Bowl", {"pizza_fruit_bowl"}) == "pizza_fruit_bowl_2"


def test_theme_ids_from_long_words() -> None:
    """A first word longer than an id is cut, not dropped."""
    word = "arbeitsplatzsicherheitsbestimmungen"  # 35 letters
    assert theme_id_from_label(word, set()) == word[:32]
    assert theme_id_from_label(f"{word[:32]}, Pay", set()) == word[:32]


# --- every script, and what was left out --------------------------------------

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


def test_one_reply_topics_note_is_singular(tmp_path: Path) -> None:
    db = make_db(tmp_path, THREE_TEXTS[:1])
    code, out = run(db, "topics")
    assert code == 0, out
    assert "Only 1 reply: too few" in out and "1 topic in 1 reply" in out
    assert "1 replies" not in out and "1 topics" not in out


# --- contact details never become topic words ---------------------------------


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


# --- languages: the replies' own stop words, no other question's words ----------------


def test_question_words_come_only_from_the_stores_own_posts() -> None:
    assert question_words([]) == []  # not the demo's "leadership, public, services"
    assert question_words(["Was haltet ihr von Baerbock?"]) == [
        "baerbock",
        "haltet",
        "ihr",
        "von",
        "was",
    ]
    assert "die" in stop_words(languages=["de"]) and "die" not in stop_words()
    assert "dont" in stop_words() and "dont" not in stop_words(languages=["de"])


@pytest.mark.samples
@pytest.mark.usefixtures("no_network")
def test_german_thread_topic_labels_have_no_german_stop_words(tmp_path: Path) -> None:
    db = german_sample_store(tmp_path, "quality")
    run_ok(db, "topics")
    with Store.open(db, read_only=True) as s:
        labels = [
            r[0] for r in s.con.execute("SELECT label FROM topics WHERE topic_id >= 0").fetchall()
        ]
        details = json.loads(
            s.con.execute("SELECT parameters::VARCHAR FROM topic_runs").fetchone()[0]  # type: ignore[index]
        )
    german = stop_words_for(["de"])
    words = {w for label in labels for w in label.lower().replace(",", " ").split()}
    assert len(labels) >= 5
    assert not words & german, sorted(words & german)
    # The file holds no post: no question's words (not the demo's) are left out of this run.
    assert details["stop_words_added"] == []
    assert details["stop_word_languages"] == ["de"]
    assert details["languages_from"].startswith("quality run ")
