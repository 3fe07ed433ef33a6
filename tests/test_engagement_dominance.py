"""One reply driving a theme's likes figures: the rule, the figures without it, where it shows."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from analysis.engagement import compute_like_dominance
from tests.store_helpers import run_ok, write_replies_csv

# r1 holds 45 of theme a's 100 likes; theme b is one reply; theme c's likes are spread.
REPLIES = pl.DataFrame(
    {
        "key": [f"r{i}" for i in range(1, 11)],
        "like_count": [45, 11, 11, 11, 11, 11, 25, 25, 25, 25],
    }
)
TAGS = pl.DataFrame(
    {
        "key": ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r2", "r3", "r4", "r5", "r6"],
        "theme_id": ["a"] * 6 + ["b"] + ["c"] * 5,
    }
)


def test_a_reply_holding_45_percent_of_a_theme_drives_it_and_the_figures_without_it() -> None:
    out = {
        r["theme_id"]: r for r in compute_like_dominance(REPLIES, TAGS, ["a", "b", "c"]).to_dicts()
    }
    a = out["a"]
    assert a["driver_key"] == "r1" and a["driver_in_theme"]
    assert a["driver_theme_share"] == pytest.approx(0.45)
    assert a["driver_all_share"] == pytest.approx(45 / 200)
    assert a["likes_share"] == pytest.approx(0.5)
    assert a["resonance"] == pytest.approx(0.5 / 0.6)
    # Without r1: 55 of 155 likes, 5 of 9 replies.
    assert a["likes_share_without"] == pytest.approx(55 / 155)
    assert a["resonance_without"] == pytest.approx((55 / 155) / (5 / 9))
    # A theme of one liked reply is that reply: nothing is left without it.
    assert out["b"]["driver_theme_share"] == pytest.approx(1.0)
    assert out["b"]["likes_share_without"] == 0.0 and out["b"]["resonance_without"] is None
    assert "c" not in out  # its largest reply holds 20% of its likes


def test_a_reply_holding_a_quarter_of_all_likes_drives_every_theme() -> None:
    replies = REPLIES.with_columns(
        like_count=pl.Series([5, 1, 1, 1, 1, 1, 200, 1, 1, 1])
    )  # r7 (theme b) holds 200 of 213 likes
    out = {r["theme_id"]: r for r in compute_like_dominance(replies, TAGS, ["a", "c"]).to_dicts()}
    assert set(out) == {"a", "c"}
    c = out["c"]
    assert c["driver_key"] == "r7" and not c["driver_in_theme"]
    assert c["driver_all_share"] == pytest.approx(200 / 213)
    assert c["likes_share_without"] == pytest.approx(5 / 13)


def test_campaign_weights_count_each_copy_as_a_part() -> None:
    replies = pl.DataFrame(
        {
            "key": ["x1", "x2", "y", "z"],
            "like_count": [30, 30, 20, 50],
            "weight": [0.5, 0.5, 1.0, 1.0],
        }
    )
    tags = pl.DataFrame({"key": ["x1", "x2", "y"], "theme_id": ["t", "t", "t"]})
    out = compute_like_dominance(replies, tags, ["t"]).to_dicts()
    # Weighted likes 15, 15, 20 of the theme's 50: the largest holds 40%.
    assert out[0]["driver_key"] == "y" and out[0]["driver_theme_share"] == pytest.approx(0.4)
    assert out[0]["likes_share_without"] == pytest.approx(30 / 80)


def test_a_driver_that_moves_nothing_is_not_worth_a_warning() -> None:
    # d holds 30% of theme t's 100 likes, but of 1,000 likes in all: without it
    # t's likes share moves 2.8 points (10% -> 7.2%) and its resonance 0.07.
    others = [20, 25] * 20  # 40 untagged replies, 900 likes
    replies = pl.DataFrame(
        {
            "key": ["d", "e", "f", "g"] + [f"o{i}" for i in range(40)],
            "like_count": [30, 25, 25, 20, *others],
        }
    )
    tags = pl.DataFrame({"key": ["d", "e", "f", "g"], "theme_id": ["t"] * 4})
    assert compute_like_dominance(replies, tags, ["t"]).height == 0
    # The same reply with ten times the likes moves them: then it is named.
    replies = replies.with_columns(
        like_count=pl.when(pl.col("key") == "d").then(300).otherwise(pl.col("like_count"))
    )
    assert compute_like_dominance(replies, tags, ["t"])["driver_key"].to_list() == ["d"]


def test_no_likes_no_warning() -> None:
    replies = REPLIES.with_columns(like_count=pl.lit(0))
    assert compute_like_dominance(replies, TAGS, ["a"]).height == 0


def _funding_store(tmp_path: Path) -> Path:
    """20 replies: 6 about funding, one of them with 45 of the funding replies' 100 likes."""
    rows = [
        (
            f"f{i}",
            f"We need proper funding {i}, the cuts are killing services",
            likes,
            f"a{i}",
            f"2025-03-{i + 1:02d}T10:00:00Z",
        )
        for i, likes in enumerate([45, 11, 11, 11, 11, 11])
    ]
    rows += [
        (
            f"o{i}",
            f"Honestly the pizza number {i} was the best part of the day",
            1,
            f"b{i}",
            f"2025-03-{i + 1:02d}T11:00:00Z",
        )
        for i in range(14)
    ]
    db = tmp_path / "d.duckdb"
    run_ok(db, "import", str(write_replies_csv(tmp_path / "r.csv", rows)))
    run_ok(db, "tag")
    return db


def test_themes_warns_and_gives_the_figures_without_the_reply(tmp_path: Path) -> None:
    db = _funding_store(tmp_path)
    out = run_ok(db, "themes").output
    assert re.search(r"resources .*87\.7% \([^)]*\) \*\s+2\.92 \*", out), out
    # Without it: 55 of 69 likes, 5 of 19 replies.
    assert "One reply holds 45% of this theme's likes" in out
    assert "without it the likes share is 80% (not 88%) and resonance 3.03 (not 2.92)" in out


def test_report_warns_and_no_headline_states_the_resonance(tmp_path: Path) -> None:
    db = _funding_store(tmp_path)
    run_ok(db, "--quiet", "report", "-o", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="likes-driven"' in html
    assert html.count("One reply holds 45% of this theme&#39;s likes") == 2  # list + theme section
    assert "resonance 3.03 (not 2.92)" in html
    assert "most resonant" not in html


def test_note_for_a_theme_without_the_driving_reply_does_not_call_its_figures_that_reply() -> None:
    from reports.trust import dominance_note

    replies = REPLIES.with_columns(like_count=pl.Series([5, 1, 1, 1, 1, 1, 200, 1, 1, 1]))
    row = compute_like_dominance(replies, TAGS, ["c"]).to_dicts()[0]
    note = dominance_note(row)
    assert "not in this theme" in note
    assert "as one reply's" not in note  # its figures are not that reply's: it lacks it
    assert "without it the likes share is 38% (not 2.3%)" in note  # small shares keep a decimal
