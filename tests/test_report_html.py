"""The HTML report (reports.html, reports.sections): reproducible, honest about what is missing,
topics over time on a real date axis, negative likes, wording and layout."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

from reports.privacy import Pseudonymiser
from reports.sections import load_report_data, over_time
from store import Store
from tests.store_helpers import (
    THREE,
    render_report,
    run_ok,
    store_from_rows,
    visible_text,
    write_replies_csv,
)

# --- reproducible reports -----------------------------------------------------


def test_report_is_reproducible_apart_from_the_timestamp(tmp_path: Path) -> None:
    words = [
        "listen to staff",
        "trust matters",
        "proper funding please",
        "staff wellbeing",
        "bureaucracy",
    ]
    rows: list[tuple[Any, ...]] = [
        (
            str(i),
            f"{words[i % 5]} and more ({i})",
            100 + i if i < 10 else i % 3,
            f"u{i}",
            "2025-03-01T10:00:00Z",
        )
        for i in range(100)
    ]
    db = store_from_rows(tmp_path, rows, "tag")
    first, _ = render_report(db, tmp_path, "a.html")
    second, _ = render_report(db, tmp_path, "b.html")
    strip = re.compile(r"Generated [^<]* by|report generated [^<]*</footer>")
    assert strip.sub("", first) == strip.sub("", second)
    store = Store.open(db, read_only=True)
    try:
        rows_top = load_report_data(store, Pseudonymiser(b"salt")).top_themes
    finally:
        store.close()
    assert rows_top == sorted(rows_top, key=lambda r: (-r[1], r[0]))
    assert len({n for _, n, _ in rows_top}) < len(rows_top)  # there are ties to break


# --- what the report says when analyses are missing ---------------------------


def test_untagged_store_does_not_claim_every_reply_lacks_a_theme(tmp_path: Path) -> None:
    db = store_from_rows(tmp_path, THREE)
    text = visible_text(render_report(db, tmp_path)[0])
    assert "carry no theme" not in text
    assert "No codebook has been applied yet" in text


def test_tone_split_shows_without_themes_or_topics(tmp_path: Path) -> None:
    db = store_from_rows(tmp_path, THREE, "tone")
    html, output = render_report(db, tmp_path)
    text = visible_text(html)
    assert "No tone scores yet" not in text
    assert re.search(r"Tone of 3 replies \(VADER; English only\): positive \d", text)
    assert "no tone yet" not in output


def test_empty_store_and_missing_threads_are_described(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    run_ok(db, "import", str(write_replies_csv(tmp_path / "one.csv", [THREE[0]])))
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM replies")
    con.close()
    html, output = render_report(db, tmp_path, "empty.html")
    text = visible_text(html)
    assert "No replies in this store yet: run replyscope import FILE" in text
    assert "one thread" not in text and "? to ?" not in text
    assert "no replies yet" in output
    db3 = store_from_rows(tmp_path, THREE, "tag", name="three")
    text = visible_text(render_report(db3, tmp_path, "three.html")[0])
    assert "0 threads" not in text and "one thread" not in text
    assert "no thread information" in text


# --- topics over time on a real date axis -------------------------------------


def test_topics_over_time_orders_dates_across_years_and_fills_gaps() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TEMP TABLE _report_replies "
        "(topic_id INT, topic_label VARCHAR, created_at TIMESTAMPTZ)"
    )
    days = ["2024-12-28", "2024-12-30", "2024-12-31", "2025-01-01", "2025-01-03", "2025-12-28"][:5]
    for i, day in enumerate(days * 4):
        con.execute(
            "INSERT INTO _report_replies VALUES (?, ?, ?)",
            [i % 2, f"t{i % 2}", f"{day} 12:00:00+00"],
        )
    result = over_time(SimpleNamespace(con=con))  # type: ignore[arg-type]
    assert result
    labels, series, unit = result
    assert unit == "day"
    assert labels == [
        "2024-12-28",
        "2024-12-29",
        "2024-12-30",
        "2024-12-31",
        "2025-01-01",
        "2025-01-02",
        "2025-01-03",
    ]
    assert all(len(vals) == len(labels) for _, vals in series)
    assert sum(sum(v) for _, v in series) == 20 and series[0][1][1] == 0.0  # the empty day is there
    con.execute("DELETE FROM _report_replies WHERE created_at < '2025-01-01'")
    con.execute("INSERT INTO _report_replies VALUES (0, 't0', '2025-01-05 12:00:00+00')")
    labels, _, _ = over_time(SimpleNamespace(con=con))  # type: ignore[arg-type,misc]
    assert labels[0] == "01-01" and labels[-1] == "01-05"  # one year: no year in the label
    assert date(2025, 1, 1).strftime("%m-%d") == labels[0]


# --- negative like counts (Reddit's net score) --------------------------------


def test_negative_likes_get_their_own_bucket(tmp_path: Path) -> None:
    db = store_from_rows(tmp_path, THREE, "tag")
    con = duckdb.connect(str(db))
    con.execute("UPDATE replies SET like_count = -4 WHERE reply_id = '2'")
    con.close()
    html, _ = render_report(db, tmp_path)
    svg = re.search(r'aria-label="Replies by number of likes".*?</svg>', html, re.S)
    assert svg
    labels = re.findall(r'class="val">([^<]*)</text>', svg.group(0))
    assert "&lt; 0" in labels and labels.index("&lt; 0") < labels.index("2–4")
    text = visible_text(html)
    assert "below zero 1" in text
    out = tmp_path / "r.csv"
    run_ok(db, "export", "-o", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert next(r for r in rows if r["reply_id"] == "2")["likes_band"] == "below zero"


# --- wording and layout -------------------------------------------------------


def test_report_wording_and_layout_nits(tmp_path: Path) -> None:
    db = store_from_rows(tmp_path, THREE, "tag")
    html, output = render_report(db, tmp_path)
    assert "3 replies, 3 listed" in output
    text = visible_text(html)
    assert "`" not in text  # commands in <code>, not Markdown backticks
    assert "<code>replyscope topics</code>" in html
    assert re.search(r"td\.kw \{[^}]*overflow-wrap: anywhere", html)
    assert not re.search(r"\b1 (replies|likes|themes)\b", text), re.findall(
        r".{40}\b1 replies.{10}", text
    )
    assert ": 1 reply (33% of all)" in text
    themes = run_ok(db, "themes").output
    assert "3 replies in scope" in themes
    one = store_from_rows(tmp_path, [THREE[0]], "tag", name="one")
    assert "1 reply in scope" in run_ok(one, "themes").output
