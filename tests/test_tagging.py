"""Tagging runs, the views, engagement statistics, review round trip and validation, from the
CLI."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from store import Store

REPLIES = [
    ("1", "We need leaders who listen to the front line", 50),
    ("2", "Funding. Fifteen years of cuts.", 30),
    ("3", "Listen, then trust your staff", 10),
    ("4", "first", 0),
    ("5", '=HYPERLINK("http://evil","click") listen', 0),
    ("6", "More money for the front-line please", 5),
    ("7", "lol", 0),
    ("8", "Humility and listening", 5),
]

CODEBOOK = """
name = "tiny"
version = "1"
[[themes]]
id = "listening"
label = "Listening"
description = "Leaders who listen"
include = ["listen*", "humility"]
examples = ["Leaders should listen more"]
[[themes]]
id = "distributed"
label = "Front line"
description = "Trusting the front line"
include = ["front line", "trust your staff"]
examples = ["Trust the front line"]
[[themes]]
id = "resources"
label = "Resources"
description = "Money"
include = ["funding", "money", "cuts"]
examples = ["We need more money"]
"""


@pytest.fixture
def db(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "s.duckdb"
    csv = tmp_path / "r.csv"
    csv.write_text(
        "id,text,likes,thread_id\n"
        + "".join(
            f'{i},"{t.replace(chr(34), chr(34) * 2)}",{likes},99\n' for i, t, likes in REPLIES
        ),
        encoding="utf-8",
    )
    (tmp_path / "cb.toml").write_text(CODEBOOK, encoding="utf-8")
    assert (
        runner.invoke(main, ["--db", str(path), "import", str(csv), "--platform", "x"]).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        ["--db", str(path), "tag", "--codebook", str(tmp_path / "cb.toml"), "--method", "keyword"],
    )
    assert result.exit_code == 0, result.output
    assert "6 replies (75%) carry at least one theme" in result.output
    return path


def _themes(db: Path) -> dict[str, list[str]]:
    with Store.open(db, read_only=True) as s:
        return {
            r[0]: list(r[1])
            for r in s.con.execute(
                "SELECT reply_id, themes FROM replies_tagged ORDER BY reply_id"
            ).fetchall()
        }


def test_tags_evidence_and_views(db: Path) -> None:
    assert _themes(db) == {
        "1": ["distributed", "listening"],
        "2": ["resources"],
        "3": ["distributed", "listening"],
        "4": [],
        "5": ["listening"],
        "6": ["distributed", "resources"],
        "7": [],
        "8": ["listening"],
    }
    with Store.open(db, read_only=True) as s:
        ev = s.con.execute("SELECT evidence FROM reply_themes WHERE reply_id = '8'").fetchone()
        bands = dict(s.con.execute("SELECT reply_id, likes_band FROM replies_tagged").fetchall())
    assert ev == ("humility, listen*",)
    assert (
        bands["4"] == "none"
        and bands["1"] == "top 1%"
        and bands["8"] in ("above median", "below median")
    )


def test_theme_summary_figures(db: Path, runner: CliRunner) -> None:
    with Store.open(db, read_only=True) as s:
        rows = {
            r[0]: r[1:]
            for r in s.con.execute(
                "SELECT theme_id, replies, share, likes, likes_share, resonance, share_low, "
                "share_high FROM theme_summary"
            ).fetchall()
        }
    replies, share, likes, likes_share, resonance, low, high = rows["listening"]
    assert (replies, likes) == (4, 65)
    assert share == pytest.approx(4 / 8) and likes_share == pytest.approx(65 / 100)
    assert resonance == pytest.approx(1.3)
    assert low < share < high
    out = runner.invoke(main, ["--db", str(db), "themes"])
    assert out.exit_code == 0 and "listening" in out.output and "50.0%" in out.output


def test_bootstrap_is_reproducible(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    with Store.open(db, read_only=True) as s:
        first = s.con.execute(
            "SELECT share_low, likes_share_high FROM theme_summary ORDER BY theme_id"
        ).fetchall()
    runner.invoke(
        main,
        ["--db", str(db), "tag", "--codebook", str(tmp_path / "cb.toml"), "--method", "keyword"],
    )
    with Store.open(db, read_only=True) as s:
        second = s.con.execute(
            "SELECT share_low, likes_share_high FROM theme_summary ORDER BY theme_id"
        ).fetchall()
        runs = s.con.execute("SELECT count(DISTINCT run_id) FROM reply_themes").fetchone()
    assert first == second and runs == (2,)  # the earlier run is kept


def test_review_round_trip_changes_exactly_three_cells(
    db: Path, tmp_path: Path, runner: CliRunner
) -> None:
    sheet = tmp_path / "review.xlsx"
    assert (
        runner.invoke(main, ["--db", str(db), "review", "export", "-o", str(sheet)]).exit_code == 0
    )
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}
    assert str(ws.cell(rows["5"], header.index("text") + 1).value).startswith(
        "'="
    )  # formula defused
    col = {name: header.index(name) + 1 for name in ("listening", "distributed", "resources")}
    ws.cell(rows["4"], col["resources"]).value = 1  # add
    ws.cell(rows["5"], col["listening"]).value = None  # remove
    ws.cell(rows["2"], col["resources"]).value = 0  # remove
    wb.save(sheet)
    result = runner.invoke(main, ["--db", str(db), "review", "import", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "3 corrections stored (1 tags added, 2 removed)" in result.output
    after = _themes(db)
    assert after["4"] == ["resources"] and after["5"] == [] and after["2"] == []
    assert after["1"] == ["distributed", "listening"]
    with Store.open(db, read_only=True) as s:
        overrides = s.con.execute(
            "SELECT reply_id, theme_id, tagged FROM reply_overrides ORDER BY 1"
        ).fetchall()
        listening = s.con.execute(
            "SELECT replies FROM theme_summary WHERE theme_id = 'listening'"
        ).fetchone()
    assert overrides == [
        ("2", "resources", False),
        ("4", "resources", True),
        ("5", "listening", False),
    ]
    assert listening == (3,)  # statistics follow the corrections
    again = runner.invoke(main, ["--db", str(db), "review", "import", str(sheet)])
    assert "0 corrections" in again.output


def test_validate_scores(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "reply_id,themes\n1,listening;distributed\n2,resources\n4,\n5,\n6,resources\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["--db", str(db), "validate", str(gold)])
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as s:
        scores = {
            r[0]: r[1:]
            for r in s.con.execute(
                "SELECT theme_id, support, tp, fp, fn, precision, recall, f1 FROM validation_scores"
            ).fetchall()
        }
    # listening: gold {1}, auto {1, 5} -> tp 1, fp 1
    assert scores["listening"][:4] == (1, 1, 1, 0)
    assert scores["listening"][4] == pytest.approx(0.5) and scores["listening"][5] == pytest.approx(
        1.0
    )
    # distributed: gold {1}, auto {1, 6} -> precision 0.5
    assert scores["distributed"][4] == pytest.approx(0.5)
    assert scores["resources"][:4] == (2, 2, 0, 0)
    assert "_micro" in scores and "_macro" in scores
    assert "Micro F1" in result.output


def test_validate_with_theme_columns_and_bad_ids(
    db: Path, tmp_path: Path, runner: CliRunner
) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "reply_id,listening,distributed,resources\n1,1,1,0\n2,0,0,1\n", encoding="utf-8"
    )
    assert runner.invoke(main, ["--db", str(db), "validate", str(gold)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("reply_id,themes\n1,listening;nonsense\n", encoding="utf-8")
    result = runner.invoke(main, ["--db", str(db), "validate", str(bad)])
    assert result.exit_code != 0 and "nonsense" in result.output


def test_codebook_commands(tmp_path: Path, db: Path, runner: CliRunner) -> None:
    out = tmp_path / "init.toml"
    assert runner.invoke(main, ["codebook", "init", "-o", str(out)]).exit_code == 0
    assert runner.invoke(main, ["codebook", "init", "-o", str(out)]).exit_code != 0  # no overwrite
    shown = runner.invoke(main, ["codebook", "show", str(tmp_path / "cb.toml")])
    assert "listening: Listening" in shown.output
    wider = tmp_path / "wider.toml"
    wider.write_text(CODEBOOK.replace('"cuts"]', '"cuts", "bureaucracy"]'), encoding="utf-8")
    checked = runner.invoke(
        main, ["--db", str(db), "codebook", "check", str(wider), "--broad", "0.3"]
    )
    assert checked.exit_code == 0, checked.output
    assert "'bureaucracy' matches none of the 8 stored replies" in checked.output
    assert "'listen*' matches 4 of 8 replies (50%), more than 30%: too broad" in checked.output
    sheet = tmp_path / "cb.csv"
    sheet.write_text(
        "theme,label,description,term\nlistening,Listening,x,listen*\n", encoding="utf-8"
    )
    made = tmp_path / "from_sheet.toml"
    assert runner.invoke(main, ["codebook", "import", str(sheet), "-o", str(made)]).exit_code == 0
    assert "listen*" in made.read_text()
    meta = json.loads(
        Store.open(db, read_only=True)
        .con.execute("SELECT parameters FROM runs WHERE kind = 'tag'")
        .fetchone()[0]
    )  # type: ignore[index]
    assert meta["method"] == "keyword" and len(meta["codebook_hash"]) == 16


def test_bootstrap_draws_do_not_depend_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same intervals with one thread or several; no replicates gives no interval."""
    import polars as pl

    import analysis.engagement as eng

    replies = pl.DataFrame(
        {"key": [str(i) for i in range(3000)], "like_count": [(i * 7) % 50 for i in range(3000)]}
    )
    tags = pl.DataFrame(
        {"key": [str(i) for i in range(0, 3000, 3)], "theme_id": ["a"] * 1000}
    ).vstack(pl.DataFrame({"key": [str(i) for i in range(0, 3000, 5)], "theme_id": ["b"] * 600}))
    monkeypatch.setattr(eng, "BOOTSTRAP_BLOCK_VALUES", 5_000)  # several blocks
    monkeypatch.setattr(eng, "BOOTSTRAP_WORKERS", 1)
    one = eng.compute_theme_stats(replies, tags, ["a", "b"], replicates=300)
    monkeypatch.setattr(eng, "BOOTSTRAP_WORKERS", 3)
    three = eng.compute_theme_stats(replies, tags, ["a", "b"], replicates=300)
    assert one.equals(three)
    none = eng.compute_theme_stats(replies, tags, ["a", "b"], replicates=0)
    assert none["share_low"].is_null().all() and none["share"].to_list() == one["share"].to_list()
