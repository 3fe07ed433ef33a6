"""Semantic tagging with an offline embedder; embeddings are cached in the store."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from analysis.codebook import Codebook, Theme
from analysis.embed import EmbedderError, embed_cached, load_embedder
from analysis.semantic import THRESHOLDS, compute_semantic_tags
from analysis.themes import tag_store
from store import Store, fetch_one

CB = Codebook(
    "s",
    "1",
    [
        Theme(
            "resources",
            "Funding and money",
            "Budgets, cuts and funding for public services",
            include=["funding"],
            examples=[
                "We need more funding",
                "The cuts have gone too far",
                "Councils have no money left",
            ],
        ),
        Theme(
            "hybrid_work",
            "Remote working",
            "Working from home and hybrid offices",
            include=["remote"],
            examples=["Working from home works for us", "Stop forcing staff back into the office"],
        ),
    ],
)
TEXTS = [
    "The budget cuts are killing our council services",
    "I do my best work from my kitchen table at home",
    "lol",
]


@pytest.mark.usefixtures("no_network")
def test_wordllama_semantic_tags_and_cache(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        frame = pl.DataFrame({"text": TEXTS})
        semantic = compute_semantic_tags(store, frame, CB, embedder="wordllama", threshold=0.3)
        tags = semantic.tags
        got = {(r, t) for r, t in tags.select("row", "theme_id").iter_rows()}
        assert (0, "resources") in got and (1, "hybrid_work") in got
        assert not any(r == 2 for r, _ in got)
        assert semantic.embedder == "wordllama-0.4-256" and semantic.threshold == 0.3
        assert all(e.startswith("nearest: ") for e in tags["evidence"])
        cached = fetch_one(store.con, "SELECT count(*) FROM embeddings")
        embedder = load_embedder("wordllama")
        _, new = embed_cached(store, embedder, TEXTS)
        assert (
            new == 0 and cached == store.con.execute("SELECT count(*) FROM embeddings").fetchone()
        )


@pytest.mark.parametrize(("method", "cut"), [("semantic", 0), ("both", 1)])
def test_semantic_run_records_embedder_and_threshold(tmp_path: Path, method: str, cut: int) -> None:
    # The report's method section reads parameters.embedder and .threshold of the tag run.
    with Store.open(tmp_path / "s.duckdb") as store:
        store.con.executemany(
            """INSERT INTO replies (platform, reply_id, thread_id, text, like_count,
                                    first_seen_at, last_seen_at, source_run_id)
               VALUES ('x', ?, 'x:1', ?, 0, now(), now(), 0)""",
            [[f"r{i}", text] for i, text in enumerate(TEXTS)],
        )
        result = tag_store(store, CB, method=method, embedder="tfidf")
        row = fetch_one(store.con, "SELECT parameters FROM runs WHERE run_id = ?", [result.run_id])
    assert row is not None
    params = json.loads(row[0])
    assert params["method"] == method and params["codebook_hash"] == CB.hash
    assert params["embedder"] == "tfidf-svd"
    assert params["threshold"] == THRESHOLDS["tfidf-svd"][cut]
    assert params["max_themes"] == 3


def test_tfidf_needs_no_weights() -> None:
    embedder = load_embedder(
        "tfidf", fit_texts=[*TEXTS, "more text about funding cuts", "remote work from home"]
    )
    vectors, new = embed_cached(None, embedder, TEXTS)
    assert vectors.shape[0] == 3 and new == 3


def test_unknown_embedder_says_what_to_use(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="wordllama, minilm, tfidf"):
        load_embedder(str(tmp_path / "nothing-here"))


@pytest.mark.usefixtures("no_network")
def test_tag_both_methods_from_the_cli(tmp_path: Path, runner: CliRunner) -> None:
    from cli import main

    src = tmp_path / "r.csv"
    src.write_text(
        "id,text,likes\n"
        "1,The funding cuts are killing our council services,3\n"
        "2,Remote work from my kitchen table at home is fine,1\n"
        "3,lol,0\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(main, ["--db", db, "import", str(src)]).exit_code == 0
    result = runner.invoke(main, ["--db", db, "tag", "--method", "both"])
    assert result.exit_code == 0, result.output
    with Store.open(Path(db), read_only=True) as store:
        methods = {r[0] for r in store.con.execute("SELECT method FROM reply_themes").fetchall()}
    # Keyword hits are there whatever the semantic step adds.
    assert methods and all(m in {"keyword", "semantic", "keyword+semantic"} for m in methods)
    assert any("keyword" in m for m in methods)
