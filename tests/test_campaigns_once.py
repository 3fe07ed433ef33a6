"""A coordinated campaign counts once in the theme figures when asked (analysis.engagement
weights), and the report's table and its recompute SQL say the same."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from analysis.engagement import compute_theme_stats
from analysis.themes import latest_stats
from cli import main
from store import Store
from tests.store_helpers import render_report, run_ok, store_from_rows, visible_text

SLOGAN = "Councils need proper funding now, stop the cuts to local services today"


def test_campaign_counts_once(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "s.duckdb"
    rows = [f"c{i},{SLOGAN}{' please' if i % 2 else ''},1,campaigner{i}" for i in range(6)]
    rows += [
        "r1,We need leaders who listen to staff,10,ann",
        "r2,Trust the front line to make decisions,5,bob",
        "r3,More funding for schools please,2,cat",
        "r4,lol,0,dan",
    ]
    path = tmp_path / "r.csv"
    path.write_text("id,text,likes,author\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for args in (["import", str(path), "--platform", "x"], ["quality"], ["tag"]):
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        plain = {r["theme_id"]: r for r in latest_stats(store, campaigns_once=False).to_dicts()}
        once = {r["theme_id"]: r for r in latest_stats(store, campaigns_once=True).to_dicts()}
    assert plain["resources"]["replies"] == 7 and plain["resources"]["replies_in_scope"] == 10
    assert once["resources"]["replies"] == 2 and once["resources"]["replies_in_scope"] == 5
    assert once["resources"]["share"] == 2 / 5
    shown = runner.invoke(main, ["--db", str(db), "themes", "--count-campaigns-once"])
    assert "Each coordinated campaign counts as one reply" in shown.output
    status = runner.invoke(main, ["--db", str(db), "status"])
    assert "campaign" in status.output.lower()
    report = tmp_path / "r.html"
    assert runner.invoke(main, ["--db", str(db), "report", "-o", str(report)]).exit_code == 0
    assert "each campaign counts once" in report.read_text(encoding="utf-8")


# --- weighted counts, and the report's table and its SQL ----------------------


def _partial(tmp_path: Path) -> Path:
    rows: list[tuple[Any, ...]] = [
        (
            f"c{i}",
            "We really need our senior managers to actually "
            f"{'listen' if i < 3 else 'hear'} more to the nurses on the wards every single day",
            0,
            f"camp{i}",
            "2025-03-01T10:00:00Z",
        )
        for i in range(6)
    ]
    rows.append(("x1", "Leaders should listen to people", 4, "solo1", "2025-03-01T11:00:00Z"))
    rows += [
        (
            f"o{i}",
            f"Funding cuts are hurting services number {i}",
            1,
            f"o{i}",
            "2025-03-01T12:00:00Z",
        )
        for i in range(30)
    ]
    return store_from_rows(tmp_path, rows, "quality", "tag", name="partial")


def test_weighted_count_is_shown_with_its_decimal() -> None:
    replies = pl.DataFrame(
        {"key": ["a", "b", "c", "d"], "like_count": [0, 0, 1, 1], "weight": [0.5, 0.5, 1.0, 1.0]}
    )
    tags = pl.DataFrame({"key": ["a", "c"], "theme_id": ["t", "t"]})
    stats = compute_theme_stats(replies, tags, ["t"], replicates=50).to_dicts()[0]
    assert stats["replies_weighted"] == pytest.approx(1.5)
    assert stats["share"] == pytest.approx(stats["replies_weighted"] / stats["replies_in_scope"])


def test_campaigns_once_report_matches_themes_and_its_sql(tmp_path: Path) -> None:
    db = _partial(tmp_path)
    once = run_ok(db, "themes", "--count-campaigns-once").output
    listening = next(line for line in once.splitlines() if line.startswith("listening"))
    assert re.search(r"\s1\.5\s+50\.0%", listening), listening  # not "2  50.0%"
    html, _ = render_report(db, tmp_path)
    text = visible_text(html)
    assert "Campaign copies counted once" in text
    assert "replyscope themes --count-campaigns-once gives the same table" in text
    assert re.search(r"Listening, humility and empathy 1\.5 50\.0%", text)
    # The recompute SQL shown for "themes" reproduces the table's counts and shares.
    sql = re.search(r"<summary>themes</summary><pre>(.*?)</pre>", html, re.S)
    assert sql
    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r for r in con.execute(unescape(sql.group(1))).fetchall()}
    con.close()
    assert rows["listening"][2] == pytest.approx(1.5) and rows["listening"][3] == pytest.approx(0.5)
    assert rows["listening"][5] == 3
