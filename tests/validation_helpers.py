"""Shared pieces of the validation tests: a generated thread with known themes, a tagged store,
sheet coding."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from store import Store

CODEBOOK = """name = "Test codebook"
version = "1"
description = "What do staff need?"

[[themes]]
id = "pay"
label = "Pay"
description = "Pay, salaries and wages."
include = ["pay", "salary"]
examples = ["Pay us properly."]

[[themes]]
id = "staff"
label = "Staff"
description = "The people who do the work."
include = ["staff"]
examples = ["Listen to staff."]

[[themes]]
id = "trust"
label = "Trust"
description = "Trusting people."
include = ["trust"]
examples = ["Trust the front line."]
"""

# (text, true themes): keyword tags catch the first form, miss the second.
PHRASES = [
    ("better pay", {"pay"}),
    ("fair wages", {"pay"}),  # missed
    ("our staff are tired", {"staff"}),
    ("the workers are tired", {"staff"}),  # missed
    ("trust the nurses", {"trust"}),
    ("my local NHS trust car park", set()),  # wrongly tagged trust
    ("lovely weather today", set()),
]


def make_thread(path: Path, n: int = 300, seed: int = 3) -> dict[str, set[str]]:
    """Write a CSV of n replies; return reply_id -> true themes."""
    rnd = random.Random(seed)
    truth: dict[str, set[str]] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "author", "date"])
        for i in range(n):
            parts = rnd.sample(PHRASES, rnd.choice([1, 1, 2]))
            text = " and ".join(p for p, _ in parts)
            rid = f"c{i:04d}"
            truth[rid] = set().union(*(t for _, t in parts))
            w.writerow([rid, text, rnd.choice([0, 0, 1, 2, 5, 40]), f"user{i % 97}", "2025-03-01"])
    return truth


@pytest.fixture
def loop(
    tmp_path: Path, runner: CliRunner
) -> tuple[CliRunner, list[str], dict[str, set[str]], Path]:
    """A store with the thread imported and tagged; (runner, base args, truth, folder)."""
    truth = make_thread(tmp_path / "replies.csv")
    (tmp_path / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    for args in (
        ["import", str(tmp_path / "replies.csv"), "--platform", "other"],
        ["tag", "--codebook", str(tmp_path / "codebook.toml")],
    ):
        result = runner.invoke(main, base + args)
        assert result.exit_code == 0, result.output
    return runner, base, truth, tmp_path


def sample_keys(db: Path, sample_id: int | None = None) -> dict[str, str]:
    """sheet_key -> reply_id of a sample (default: the latest)."""
    with Store.open(db, read_only=True) as s:
        rows = s.con.execute(
            """SELECT sheet_key, reply_id FROM validation_sample_replies
               WHERE sample_id = coalesce(?, (SELECT max(sample_id) FROM validation_samples))""",
            [sample_id],
        ).fetchall()
    return dict(rows)


def code_sheet(
    sheet: Path, out: Path, answers: dict[str, set[str]], keys: dict[str, str], flip: int = 0
) -> None:
    """Fill a coding sheet from known answers (flipping the pay code of the first `flip` rows).

    Rows whose sheet key is not in `keys` are left blank (not coded).
    """
    wb = openpyxl.load_workbook(sheet)
    ws = wb["coding"]
    header = [c.value for c in ws[1]]
    for n, row in enumerate(ws.iter_rows(min_row=2)):
        if row[0].value not in keys:
            continue
        themes = set(answers[keys[row[0].value]])
        if n < flip:
            themes ^= {"pay"}
        for c, name in enumerate(header):
            if name in themes:
                row[c].value = "x" if n % 2 else 1
        if not themes:
            row[header.index("none")].value = 1
    wb.save(out)


def run(runner: CliRunner, base: list[str], *args: str) -> str:
    result = runner.invoke(main, base + list(args))
    assert result.exit_code == 0, result.output
    return result.output


def max_sample(db: Path) -> int:
    with Store.open(db, read_only=True) as s:
        row = s.con.execute("SELECT max(sample_id) FROM validation_samples").fetchone()
    assert row is not None
    return int(row[0])


def sheet_order(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["coding"]
    return [str(r[0].value) for r in ws.iter_rows(min_row=2)]
