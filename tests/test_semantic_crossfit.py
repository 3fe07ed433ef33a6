"""Cross-fitting: the coded sample's replies get semantic tags from thresholds fitted without them,
so `validate` on that sample scores held-out tags and the corrected shares stay unbiased."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import analysis.semantic
from analysis.calibration import FOLDS, SEED, fold_ids, reply_ranks
from analysis.codebook import Codebook
from store import Store
from tests.validation_helpers import code_sheet, max_sample, run, sample_keys

CODEBOOK = """name = "Pay"
version = "1"
description = "What do staff need?"

[[themes]]
id = "pay"
label = "Pay"
description = "Pay, salaries and wages."
include = ["salary"]
examples = ["Pay us properly."]

[[themes]]
id = "staff"
label = "Staff"
description = "The people who do the work."
include = ["rota"]
examples = ["Listen to staff."]
"""


def _score(text: str) -> float:
    """The pay similarity the fake embedder gives a reply: written at the end of its text."""
    return float(np.float32(text.rsplit(" ", 1)[1]))  # as the embedders' float32 gives it


def _fake_similarity(
    store: Store | None, replies: list[str], codebook: Codebook, spec: str
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], str]:
    """Noisy similarities: pay as written in the text, staff never close."""
    best = np.array([[_score(t), -1.0] for t in replies], dtype=np.float32).reshape(-1, 2)
    nearest = np.array([[0, 1]] * len(replies), dtype=np.int64).reshape(-1, 2)
    return best, nearest, ["pay", "staff"], ["Pay.", "Staff."], "fake-embedder"


def _thread(path: Path, n: int = 300, seed: int = 7) -> dict[str, set[str]]:
    """Pay claims (similarity ~0.62) and the rest (~0.45), overlapping; a few say "salary"."""
    rnd = random.Random(seed)
    truth: dict[str, set[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "date"])
        for i in range(n):
            pay = rnd.random() < 0.2
            sim = min(0.99, max(0.01, rnd.gauss(0.62 if pay else 0.45, 0.08)))
            word = "salary" if rnd.random() < 0.15 else "reply"
            rid = f"c{i:04d}"
            truth[rid] = {"pay"} if pay else set()
            w.writerow([rid, f"{word} number {i} {sim:.3f}", rnd.randint(0, 5), "2025-03-01"])
    return truth


@pytest.fixture
def coded(tmp_path: Path, runner: CliRunner) -> Iterator[tuple[list[str], Path]]:
    """A store of 300 replies, a coded random sample of 70, and the fake embedder in place."""
    truth = _thread(tmp_path / "replies.csv")
    (tmp_path / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "replies.csv"), "--platform", "other")
    run(runner, base, "tag", "--codebook", str(tmp_path / "codebook.toml"))
    run(
        runner, base, "review", "sample", "--n", "70", "--seed", "3", "-o", str(tmp_path / "s.xlsx")
    )
    code_sheet(tmp_path / "s.xlsx", tmp_path / "c.xlsx", truth, sample_keys(tmp_path / "t.duckdb"))
    run(runner, base, "review", "import", str(tmp_path / "c.xlsx"), "--coder", "ann")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analysis.semantic, "similarity_matrix", _fake_similarity)
        yield base, tmp_path


def _state(db: Path) -> tuple[dict[str, object], dict[str, set[str]], dict[str, str], float]:
    """The latest tag run's calibration, its tags, every reply's text, validate's pay F1."""
    with Store.open(db, read_only=True) as s:
        run_id, params = s.con.execute(
            "SELECT run_id, parameters FROM runs WHERE kind = 'tag' ORDER BY run_id DESC LIMIT 1"
        ).fetchone() or (0, "{}")
        tags: dict[str, set[str]] = {}
        for rid, theme in s.con.execute(
            "SELECT reply_id, theme_id FROM reply_themes WHERE run_id = ?", [run_id]
        ).fetchall():
            tags.setdefault(rid, set()).add(theme)
        texts = dict(s.con.execute("SELECT reply_id, text FROM replies").fetchall())
        row = s.con.execute(
            """SELECT f1 FROM validation_scores WHERE tag_run_id = ? AND theme_id = 'pay'
               ORDER BY run_id DESC LIMIT 1""",
            [run_id],
        ).fetchone()
    assert row is not None
    return json.loads(params)["calibration"], tags, texts, float(row[0])


def _coded(db: Path, sid: int) -> dict[str, float]:
    """reply_id -> the coders' pay code (share who ticked it) on sample sid."""
    with Store.open(db, read_only=True) as s:
        rows = s.con.execute(
            """SELECT reply_id, avg(value::INT) FROM human_codes
               WHERE sample_id = ? AND theme_id = 'pay' GROUP BY ALL""",
            [sid],
        ).fetchall()
    return {str(r): float(v) for r, v in rows}


def _f1(tagged: dict[str, bool], human: dict[str, float]) -> float:
    tp = sum(human[r] for r in human if tagged[r])
    fp = sum(1 - human[r] for r in human if tagged[r])
    fn = sum(human[r] for r in human if not tagged[r])
    return 2 * tp / (2 * tp + fp + fn)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("method", ["semantic", "both"])
def test_coded_replies_are_tagged_out_of_fold(
    coded: tuple[list[str], Path], runner: CliRunner, method: str
) -> None:
    base, tmp = coded
    db = tmp / "t.duckdb"
    out = run(
        runner, base, "tag", "--codebook", str(tmp / "codebook.toml"), "--method", method,
        "--embedder", "tfidf",
    )  # fmt: skip
    sid = max_sample(db)
    cal, tags, texts, validate_f1 = _state(db)
    assert isinstance(cal, dict)
    pay = cal["themes"]["pay"]
    assert pay["calibrated"], pay
    assert cal["cross_fitting"]["cross_fitted"] and cal["cross_fitting"]["seed"] == SEED
    assert "were tagged out-of-fold" in out and "optimistic" not in out
    cut, fold_cuts, all_codes = pay["threshold"], pay["fold_thresholds"], pay["threshold_all_codes"]
    assert len(fold_cuts) == FOLDS and sum(pay["fold_sizes"]) == 70
    assert cut == pytest.approx(np.mean(fold_cuts), abs=1e-4)  # the fold taggers' mean

    # The folds, redone from the stored seed and rule: each coded reply is tagged with the
    # threshold chosen without its fold, not with the one fitted on all coded replies.
    human = _coded(db, sid)
    keys = sorted(human)
    fold = fold_ids(
        np.array([human[r] >= 0.5 for r in keys]),
        FOLDS,
        reply_ranks([("other", r) for r in keys], sid, cal["cross_fitting"]["seed"]),
    )
    keyword = {r for r, t in texts.items() if t.startswith("salary")} if method == "both" else set()
    out_of_fold = {
        r: r in keyword or _score(texts[r]) >= fold_cuts[f] for r, f in zip(keys, fold, strict=True)
    }
    in_sample = {r: r in keyword or _score(texts[r]) >= all_codes for r in keys}
    assert {r: "pay" in tags.get(r, set()) for r in keys} == out_of_fold
    assert sum(out_of_fold[r] != in_sample[r] for r in keys) >= 2  # where it matters
    # Every other reply: the mean of the fold thresholds (the taggers the sample measures).
    others = set(texts) - set(keys)
    assert {r for r in others if "pay" in tags.get(r, set())} == {
        r for r in others if r in keyword or _score(texts[r]) >= cut
    }
    low, high = sorted((cut, all_codes))
    assert any(low <= _score(texts[r]) < high for r in others - keyword)  # which one matters

    # `validate` (run by `tag`) scores held-out tags: its F1 is calibration's cross-validated F1,
    # below what the in-sample threshold would have claimed.
    assert validate_f1 == pytest.approx(pay["cv_f1"], abs=1e-3)
    assert _f1(out_of_fold, human) == pytest.approx(validate_f1, abs=1e-9)
    assert _f1(in_sample, human) > validate_f1 + 0.02


@pytest.mark.usefixtures("no_network")
def test_cross_fitting_is_reproducible(coded: tuple[list[str], Path], runner: CliRunner) -> None:
    base, tmp = coded
    db = tmp / "t.duckdb"
    tag = ["tag", "--codebook", str(tmp / "codebook.toml"), "--method", "semantic"]
    run(runner, base, *tag, "--embedder", "tfidf")
    first_cal, first_tags, _texts, first_f1 = _state(db)
    run(runner, base, *tag, "--embedder", "tfidf")
    again_cal, again_tags, _texts, again_f1 = _state(db)
    assert again_tags == first_tags and again_f1 == first_f1
    assert again_cal == first_cal

    # A reply's fold depends on the seed, the sample and the reply only: not on row order ...
    keys = [("other", f"c{i:04d}") for i in range(70)]
    positive = np.array([i % 5 == 0 for i in range(70)])
    folds = fold_ids(positive, FOLDS, reply_ranks(keys, 1))
    shuffled = fold_ids(positive[::-1], FOLDS, reply_ranks(keys[::-1], 1))
    assert folds.tolist() == shuffled[::-1].tolist()
    # ... each fold gets its share of positives, and another seed deals other folds.
    assert np.bincount(folds[positive], minlength=FOLDS).tolist() == [3] * 4 + [2]
    assert fold_ids(positive, FOLDS, reply_ranks(keys, 1, seed=SEED + 1)).tolist() != folds.tolist()
