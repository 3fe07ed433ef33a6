"""A coordinated campaign counts once in the theme figures when asked (and in the report)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from analysis.themes import latest_stats
from cli import main
from store import Store

SLOGAN = "Councils need proper funding now, stop the cuts to local services today"


def test_campaign_counts_once(tmp_path: Path) -> None:
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
    runner = CliRunner()
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
