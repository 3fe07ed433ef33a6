"""Semantic tagging that knows when it does not know: thresholds calibrated on the coded sample,
an "uncalibrated" note without one, and replies the English embedders cannot read left out."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.calibration import (
    MIN_POSITIVES,
    best_threshold,
    compute_theme_threshold,
    cross_validated_f1,
)
from cli import main
from store import Store
from tests.conftest import sample
from tests.validation_helpers import code_sheet, max_sample, run, sample_keys

CODEBOOK = """name = "Pay"
version = "1"
description = "What do staff need?"

[[themes]]
id = "pay"
label = "Pay"
description = "Pay, salaries and wages."
include = ["salary"]
examples = ["Pay us properly.", "Our salaries are far too low."]

[[themes]]
id = "staff"
label = "Staff"
description = "The people who do the work."
include = ["staff"]
examples = ["Listen to staff."]
"""
# wordllama similarity to the pay examples: the claims 0.50-1.00; the near misses 0.35-0.42,
# above the demo-tuned 0.27, so the default tags them all as pay.
CLAIMS = [
    "Pay us properly now",
    "Pay the nurses properly",
    "Our salaries are far too low",
    "Nurses salaries are far too low",
    "Salaries must rise",
    "Our pay is far too low",
]
NEAR_MISSES = [
    "I paid for parking",
    "taxes are too low for the rich",
    "the budget is too low",
    "salary of the CEO is obscene",
]
OFF_TOPIC = ["lovely weather today", "the car park is full"]


def _thread(path: Path, n: int = 150, seed: int = 2) -> dict[str, set[str]]:
    """A CSV of pay claims, near misses and small talk; returns reply_id -> true themes."""
    rnd = random.Random(seed)
    truth: dict[str, set[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "date"])
        for i in range(n):
            kind = rnd.choice(["claim", "near", "near", "off"])
            pool = {"claim": CLAIMS, "near": NEAR_MISSES, "off": OFF_TOPIC}[kind]
            rid = f"c{i:04d}"
            truth[rid] = {"pay"} if kind == "claim" else set()
            w.writerow([rid, rnd.choice(pool), rnd.randint(0, 5), "2025-03-01"])
    return truth


@pytest.fixture
def coded(tmp_path: Path, runner: CliRunner) -> tuple[list[str], dict[str, set[str]], Path]:
    """A store with the thread, a keyword tagging run and a coded random sample of 70 replies."""
    truth = _thread(tmp_path / "replies.csv")
    (tmp_path / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "replies.csv"), "--platform", "other")
    run(runner, base, "tag", "--codebook", str(tmp_path / "codebook.toml"))
    sheet = str(tmp_path / "s.xlsx")
    run(runner, base, "review", "sample", "--n", "70", "--seed", "3", "-o", sheet)
    code_sheet(tmp_path / "s.xlsx", tmp_path / "c.xlsx", truth, sample_keys(tmp_path / "t.duckdb"))
    run(runner, base, "review", "import", str(tmp_path / "c.xlsx"), "--coder", "ann")
    return base, truth, tmp_path


def _tags(db: Path, run_id: int | None = None) -> dict[str, set[str]]:
    with Store.open(db, read_only=True) as s:
        rows = s.con.execute(
            """SELECT reply_id, theme_id FROM reply_themes
               WHERE run_id = coalesce(?, (SELECT max(run_id) FROM reply_themes))""",
            [run_id],
        ).fetchall()
    out: dict[str, set[str]] = {}
    for rid, theme in rows:
        out.setdefault(rid, set()).add(theme)
    return out


def _params(db: Path) -> dict[str, object]:
    with Store.open(db, read_only=True) as s:
        row = s.con.execute(
            "SELECT parameters FROM runs WHERE kind = 'tag' ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    params: dict[str, object] = json.loads(row[0])
    return params


@pytest.mark.usefixtures("no_network")
def test_calibration_fits_the_threshold_the_default_gets_wrong(
    coded: tuple[list[str], dict[str, set[str]], Path], runner: CliRunner
) -> None:
    base, truth, tmp = coded
    db = tmp / "t.duckdb"
    cb = str(tmp / "codebook.toml")
    # The demo-tuned threshold, forced: every near miss is tagged pay.
    semantic = ["tag", "--codebook", cb, "--method", "semantic"]
    forced = run(runner, base, *semantic, "--threshold", "0.27")
    assert "set with --threshold for every theme: not calibrated" in forced
    wrong = {r for r, t in _tags(db).items() if "pay" in t and "pay" not in truth[r]}
    assert len(wrong) > 40

    out = run(runner, base, *semantic)
    sid = max_sample(db)
    assert f"Semantic thresholds calibrated on coded sample {sid} (70 coded replies" in out
    assert "Default 0.27 kept for staff (only 0 coded replies carry it" in out
    assert f"Cross-fitted (Zrnic & Candès 2024): the 70 coded replies of sample {sid}" in out
    params = _params(db)
    cal = params["calibration"]
    assert isinstance(cal, dict) and cal["sample_id"] == sid and cal["coded"] == 70
    pay = cal["themes"]["pay"]
    assert pay["calibrated"] and pay["positives"] >= MIN_POSITIVES
    assert f"pay {pay['threshold']:.2f} (cross-validated F1 1.00; F1 0." in out
    assert 0.42 < pay["threshold"] < 0.56  # between the near misses and the weakest claim
    assert pay["cv_f1"] > 0.95 > 0.6 > pay["default_f1"]
    assert not cal["themes"]["staff"]["calibrated"]
    assert params["thresholds"] == {"pay": pay["threshold"], "staff": 0.27}
    tagged = {r for r, t in _tags(db).items() if "pay" in t}
    assert tagged == {r for r, t in truth.items() if "pay" in t}  # every reply, not only coded

    # The trust panel of `themes` carries the calibration (validated) ...
    themes = run(runner, base, "themes")
    assert f"Note: Semantic thresholds calibrated on coded sample {sid}" in themes
    # ... and the report's method section names the per-theme thresholds.
    run(runner, base, "report", "-o", str(tmp / "r.html"))
    page = (tmp / "r.html").read_text(encoding="utf-8")
    assert f"calibrated per theme on coded sample {sid}: pay {pay['threshold']}, staff" in page
    assert "the sample's coded replies were tagged out-of-fold (cross-fitting)" in page
    assert "optimistic" not in themes + page and "were tagged out-of-fold" in themes

    # With `both` (default 0.61, above every near miss) the default already finds every coded
    # claim (the keyword "salary" wrongly tags the CEO's, which no threshold undoes):
    # calibrating cannot beat it, so it is kept, and the summary says why.
    out = run(runner, base, "tag", "--codebook", cb, "--method", "both")
    both = _params(db)["calibration"]
    assert isinstance(both, dict) and not both["themes"]["pay"]["calibrated"]
    assert "Default 0.61 kept for pay (the default does as well: F1 0.72, calibrated 0.72" in out
    assert f"No semantic threshold could be calibrated on coded sample {sid}" in out


@pytest.mark.usefixtures("no_network")
def test_uncalibrated_threshold_is_said_and_shown(tmp_path: Path, runner: CliRunner) -> None:
    _thread(tmp_path / "replies.csv", n=40)
    (tmp_path / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "replies.csv"), "--platform", "other")
    cb = ["--codebook", str(tmp_path / "codebook.toml")]
    out = run(runner, base, "tag", *cb, "--method", "semantic")
    assert "The semantic threshold 0.27 is uncalibrated for this data" in out
    assert "replyscope review sample --n 200 -o sample.xlsx" in out
    assert "review import sample.xlsx --coder NAME, then tag again" in out
    params = _params(tmp_path / "t.duckdb")
    skip = params["language_skip"]
    assert params["calibration"] is None and isinstance(skip, dict) and skip["skipped"] == 0
    themes = run(runner, base, "themes")
    assert "Note: The semantic threshold 0.27 is uncalibrated" in themes
    run(runner, base, "report", "-o", str(tmp_path / "r.html"))
    assert "is uncalibrated for this data" in (tmp_path / "r.html").read_text(encoding="utf-8")
    # Keyword tagging has no threshold: no note, and --threshold is refused with the fix.
    assert "uncalibrated" not in run(runner, base, "tag", *cb)
    bad = runner.invoke(main, [*base, "tag", *cb, "--threshold", "0.3"])
    assert bad.exit_code == 1 and "add --method semantic" in bad.output
    # An embedder that is not there: one line naming it and what to use, no traceback.
    missing = str(tmp_path / "no-model")
    bad = runner.invoke(main, [*base, "tag", *cb, "--method", "semantic", "--embedder", missing])
    assert bad.exit_code == 1 and bad.output.startswith("Error: unknown embedder")
    assert "wordllama, minilm, tfidf or the folder" in bad.output


GERMAN = [
    "Sie ist die beste Kanzlerin die wir je hatten",
    "Ich werde sie auf keinen Fall wählen, nie wieder",
    "Wie peinlich ist das denn bitte für unser Land",
    "NICH WÄHLEN",  # too short to tell: its thread's language (German)
]
ENGLISH = [
    "Pay us properly now, the nurses are leaving",
    "Our salaries are far too low for this work",
    "Listen to the staff who do the work every day",
    "ok",  # too short to tell: its thread's language (English)
]


@pytest.mark.usefixtures("no_network")
def test_english_embedder_skips_german_replies(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "t.duckdb"
    with Store.open(db) as store:
        store.con.executemany(
            """INSERT INTO replies (platform, reply_id, thread_id, text, like_count,
                                    first_seen_at, last_seen_at, source_run_id)
               VALUES ('x', ?, ?, ?, 0, now(), now(), 0)""",
            [[f"de{i}", "x:de", t] for i, t in enumerate(GERMAN)]
            + [[f"en{i}", "x:en", t] for i, t in enumerate(ENGLISH)],
        )
    (tmp_path / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(db)]
    cb = ["--codebook", str(tmp_path / "codebook.toml")]
    out = run(runner, base, "tag", *cb, "--method", "semantic", "--threshold", "0.05")
    assert "Not tagged semantically: 4 replies of 8 not in English (de 4; 1 of them too" in out
    assert "detected now" in out and "--embedder FOLDER" in out and "--method keyword" in out
    tagged = _tags(db)
    assert not any(r.startswith("de") for r in tagged)
    assert {"en0", "en1", "en2"} <= set(tagged)
    skip = _params(db)["language_skip"]
    assert isinstance(skip, dict) and skip["skipped"] == 4 and skip["by_language"] == {"de": 4}
    # An embedder the user chose (tfidf, or a local model folder) reads every reply.
    out = run(runner, base, "tag", *cb, "--method", "semantic", "--embedder", "tfidf")
    assert "Not tagged semantically" not in out and _params(db)["language_skip"] is None


def test_best_threshold_and_cross_validation_on_separable_scores() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.35, 0.3, 0.1] * 3)
    human = np.array([1, 1, 1, 1, 0, 0, 0, 0] * 3, dtype=float)
    weights = np.ones(len(scores))
    none = np.zeros(len(scores), dtype=bool)
    assert best_threshold(scores, human, weights, none) == pytest.approx(0.5)
    assert cross_validated_f1(scores, human, weights, none, 3) == 1.0
    # Too few positives: the default is kept, and the reason says so.
    t = compute_theme_threshold("x", scores[:8], human[:8], weights[:8], none[:8], 0.27)
    assert not t.calibrated and t.threshold == 0.27 and "only 4 coded replies" in t.reason
    # Keyword tags that already find every positive leave nothing to add.
    assert best_threshold(scores, human, weights, human == 1) > 0.9


@pytest.mark.usefixtures("no_network")
def test_german_tiktok_thread_is_not_tagged_semantically(tmp_path: Path, runner: CliRunner) -> None:
    src = sample("tiktok/tiktokcommentscraper_funke-baerbock-post_comments.csv")
    db = tmp_path / "t.duckdb"
    (tmp_path / "de.toml").write_text(
        """name = "Baerbock"
version = "1"
description = "Was sagen die Leute über Annalena Baerbock?"

[[themes]]
id = "zustimmung"
label = "Zustimmung"
description = "Unterstützung und Sympathie für Baerbock"
include = ["sympathisch"]
examples = ["Sie ist so sympathisch", "Ich wähle sie", "Tolle Frau, weiter so"]

[[themes]]
id = "kritik"
label = "Kritik"
description = "Kritik an Baerbock und ihrer Kompetenz"
include = ["inkompetent"]
examples = ["Sie ist völlig inkompetent", "Wie peinlich", "Bloß nicht wählen"]
""",
        encoding="utf-8",
    )
    base = ["--db", str(db)]
    run(runner, base, "import", str(src))
    run(runner, base, "quality")
    out = run(runner, base, "tag", "--codebook", str(tmp_path / "de.toml"), "--method", "semantic")
    # Before: 45% of these German replies got a theme from the English embedder.
    assert "Not tagged semantically: 9" in out and "not in English (de 9" in out
    assert "languages from the latest quality run" in out
    with Store.open(db, read_only=True) as s:
        row = s.con.execute(
            """SELECT count(DISTINCT t.reply_id), count(*) FILTER (q.lang = 'de')
               FROM reply_themes t LEFT JOIN reply_quality q USING (platform, reply_id)"""
        ).fetchone()
    assert row is not None and row[0] <= 2 and row[1] == 0  # at most the two English replies
