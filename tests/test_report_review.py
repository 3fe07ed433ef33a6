"""Report and export review fixes: linear redaction, output paths, reproducible reports, honest numbers and wording."""

from __future__ import annotations

import csv
import random
import re
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from analysis.engagement import compute_theme_stats
from cli import main
from reports.data import load_report_data
from reports.export import XLSX_CELL_LIMIT, xlsx_cell
from reports.privacy import Pseudonymiser
from reports.sections import over_time
from store import Store
from textsafety import _EMAIL, _redact_emails, redact_contacts, redact_contacts_series

THREE = [
    (
        "1",
        "Leaders should listen to front line staff and trust them",
        3,
        "a",
        "2025-03-01T10:00:00Z",
    ),
    ("2", "We need proper funding, the cuts are killing services", 0, "b", "2025-03-02T10:00:00Z"),
    ("3", "Honestly the pizza for 40 staff was the best part", 12, "c", "2025-03-03T10:00:00Z"),
]


def _csv(path: Path, rows: list[tuple[Any, ...]], head: tuple[str, ...] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head or ("id", "text", "likes", "author", "created_at"))
        w.writerows(rows)
    return path


def _run(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result


def _store(tmp_path: Path, rows: list[tuple[Any, ...]], *steps: str, name: str = "s") -> Path:
    db = tmp_path / f"{name}.duckdb"
    _run(db, "import", str(_csv(tmp_path / f"{name}.csv", rows)))
    for step in steps:
        _run(db, step)
    return db


def _text(html: str) -> str:
    """The report's visible text (no CSS, script or SVG), whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>|<style>.*?</style>|<script>.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


def _report(db: Path, tmp_path: Path, name: str = "r.html") -> tuple[str, str]:
    out = tmp_path / name
    result = _run(db, "report", "-o", str(out))
    return out.read_text(encoding="utf-8"), result.output


# S1 / S2: redaction in linear time, same results as the regex it replaces


def test_long_word_is_redacted_in_linear_time() -> None:
    p = Pseudonymiser(b"salt")
    for text in (
        "data:" + "A" * 1_000_000 + " please listen",
        "x" * 500_000 + "@" + "y" * 500_000,
        "a." * 500_000 + "@b",
        "a@" * 300_000,
    ):
        start = time.perf_counter()
        p.text(text)
        assert time.perf_counter() - start < 2.0  # minutes before the fix


def test_phone_pattern_stays_linear_on_digit_runs() -> None:
    for text in ("1 " * 200_000 + "x", "1" * 400_000 + "x", "(" * 400_000, "+1" * 200_000 + "a"):
        start = time.perf_counter()
        redact_contacts(text)
        assert time.perf_counter() - start < 2.0


def test_email_redaction_matches_the_regex_it_replaces() -> None:
    rng = random.Random(7)
    alphabet = "ab.+-@_ x1é"
    samples = [
        "mail jo@example.org now",
        "a@b@c.com",
        "x@a.b.+c@d.com",
        "jane.doe.whistle@protonmail.com.",
        "@@a.b",
        "a@.b",
        "é@ü.de and bob+tag@mail.example.co.uk",
    ]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20_000)
    ]
    for s in samples:
        assert _redact_emails(s) == _EMAIL.sub("[email removed]", s), s
    p = Pseudonymiser(b"salt", enabled=False)
    assert p.text(samples[0]) == "mail [email removed] now"
    assert p.text("x@a.b.+c@d.com") == "[email removed][email removed]"


def test_redact_contacts_for_word_counts() -> None:
    text = "whistleblow to jane.doe.whistle@protonmail.com or call 07700 900123 about the ward"
    out = redact_contacts(text)
    assert "jane" not in out and "protonmail" not in out and "900123" not in out
    assert out == "whistleblow to [email removed] or call [phone removed] about the ward"
    assert redact_contacts("on 2025-03-01 we had 40 staff") == "on 2025-03-01 we had 40 staff"
    series = pl.Series(["mail jo@example.org", None, "plain words", "ring +44 20 7946 0958 now"])
    assert redact_contacts_series(series).to_list() == [
        "mail [email removed]",
        None,
        "plain words",
        "ring [phone removed] now",
    ]
    assert series[0] == "mail jo@example.org"  # the input is left alone


# B5: unusable -o paths


def test_output_paths_give_one_line_errors(tmp_path: Path) -> None:
    db = _store(tmp_path, THREE)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (
        ["report", "-o", str(afile / "r.html")],
        ["export", "-o", str(afile / "r.csv")],
        ["report", "-o", "/proc/replyscope-test/r.html"],
        ["export", "-o", str(tmp_path)],  # a directory, no --format
    ):
        result = CliRunner().invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert (
        "afile is a file, not a folder"
        in CliRunner().invoke(main, ["--db", str(db), "report", "-o", str(afile / "r.html")]).output
    )
    outdir = tmp_path / "out"
    outdir.mkdir()
    result = _run(db, "report", "-o", str(outdir))
    assert (outdir / "report.html").is_file() and "is a directory" in result.output
    _run(db, "export", "-o", str(outdir), "--format", "csv")
    assert (outdir / "replies.csv").is_file()


# B6: reproducible reports


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
    db = _store(tmp_path, rows, "tag")
    first, _ = _report(db, tmp_path, "a.html")
    second, _ = _report(db, tmp_path, "b.html")
    strip = re.compile(r"Generated [^<]* by|report generated [^<]*</footer>")
    assert strip.sub("", first) == strip.sub("", second)
    store = Store.open(db, read_only=True)
    try:
        rows_top = load_report_data(store, Pseudonymiser(b"salt")).top_themes
    finally:
        store.close()
    assert rows_top == sorted(rows_top, key=lambda r: (-r[1], r[0]))
    assert len({n for _, n, _ in rows_top}) < len(rows_top)  # there are ties to break


# W2 / W3: campaigns counted once


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
    return _store(tmp_path, rows, "quality", "tag", name="partial")


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
    once = _run(db, "themes", "--count-campaigns-once").output
    listening = next(line for line in once.splitlines() if line.startswith("listening"))
    assert re.search(r"\s1\.5\s+50\.0%", listening), listening  # not "2  50.0%"
    html, _ = _report(db, tmp_path)
    text = _text(html)
    assert "Campaign copies counted once" in text
    assert "replyscope themes --count-campaigns-once gives the same table" in text
    assert re.search(r"Listening, humility and empathy 1\.5 50\.0%", text)
    # The recompute SQL shown for "themes" reproduces the table's counts and shares.
    sql = re.search(r"<summary>themes</summary><pre>(.*?)</pre>", html, re.S)
    assert sql
    from html import unescape

    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r for r in con.execute(unescape(sql.group(1))).fetchall()}
    con.close()
    assert rows["listening"][2] == pytest.approx(1.5) and rows["listening"][3] == pytest.approx(0.5)
    assert rows["listening"][5] == 3


# W4, U1, U3: what the report says when analyses are missing


def test_untagged_store_does_not_claim_every_reply_lacks_a_theme(tmp_path: Path) -> None:
    db = _store(tmp_path, THREE)
    text = _text(_report(db, tmp_path)[0])
    assert "carry no theme" not in text
    assert "No codebook has been applied yet" in text


def test_tone_split_shows_without_themes_or_topics(tmp_path: Path) -> None:
    db = _store(tmp_path, THREE, "tone")
    html, output = _report(db, tmp_path)
    text = _text(html)
    assert "No tone scores yet" not in text
    assert re.search(r"Tone of 3 replies \(VADER; English only\): positive \d", text)
    assert "no tone yet" not in output


def test_empty_store_and_missing_threads_are_described(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    _run(db, "import", str(_csv(tmp_path / "one.csv", [THREE[0]])))
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM replies")
    con.close()
    html, output = _report(db, tmp_path, "empty.html")
    text = _text(html)
    assert "No replies in this store yet: run replyscope import FILE" in text
    assert "one thread" not in text and "? to ?" not in text
    assert "no replies yet" in output
    db3 = _store(tmp_path, THREE, "tag", name="three")
    text = _text(_report(db3, tmp_path, "three.html")[0])
    assert "0 threads" not in text and "one thread" not in text
    assert "no thread information" in text


# W5: topics over time on a real date axis


def test_topics_over_time_orders_dates_across_years_and_fills_gaps() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TEMP TABLE _report_replies (topic_id INT, topic_label VARCHAR, created_at TIMESTAMPTZ)"
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


# U4: XLSX cell limit


def test_xlsx_marks_cut_cells_and_says_so(tmp_path: Path) -> None:
    long = ("word " * 20_000)[:99_999]
    db = _store(tmp_path, [("1", long, 1, "a", "2025-03-01T10:00:00Z"), THREE[1]])
    out = tmp_path / "x.xlsx"
    result = _run(db, "export", "-o", str(out))
    assert "1 cell cut to Excel's 32,767-character limit" in result.output
    ws = openpyxl.load_workbook(out).active
    col = [c.value for c in ws[1]].index("text")
    texts = [ws.cell(row=r, column=col + 1).value for r in (2, 3)]
    cut = next(t for t in texts if t and len(t) > 1000)
    assert len(cut) == XLSX_CELL_LIMIT
    assert cut.endswith("more characters; full text in the CSV or Parquet export]")
    kept = int(re.search(r"\[cut: ([\d,]+) more", cut).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert cut.index("… [cut:") + kept == len(long)
    assert xlsx_cell("short") == ("short", False)
    csv_out = tmp_path / "x.csv"
    assert "limit" not in _run(db, "export", "-o", str(csv_out)).output


# Nits: code formatting, wrapping, grammar


def test_report_wording_and_layout_nits(tmp_path: Path) -> None:
    db = _store(tmp_path, THREE, "tag")
    html, output = _report(db, tmp_path)
    assert "3 replies, 3 listed" in output
    text = _text(html)
    assert "`" not in text  # commands in <code>, not Markdown backticks
    assert "<code>replyscope topics</code>" in html
    assert re.search(r"td\.kw \{[^}]*overflow-wrap: anywhere", html)
    assert not re.search(r"\b1 (replies|likes|themes)\b", text), re.findall(
        r".{40}\b1 replies.{10}", text
    )
    assert ": 1 reply (33% of all)" in text
    themes = _run(db, "themes").output
    assert "3 replies in scope" in themes
    one = _store(tmp_path, [THREE[0]], "tag", name="one")
    assert "1 reply in scope" in _run(one, "themes").output


# W1: negative like counts (Reddit net score)


def test_negative_likes_get_their_own_bucket(tmp_path: Path) -> None:
    db = _store(tmp_path, THREE, "tag")
    con = duckdb.connect(str(db))
    con.execute("UPDATE replies SET like_count = -4 WHERE reply_id = '2'")
    con.close()
    html, _ = _report(db, tmp_path)
    svg = re.search(r'aria-label="Replies by number of likes".*?</svg>', html, re.S)
    assert svg
    labels = re.findall(r'class="val">([^<]*)</text>', svg.group(0))
    assert "&lt; 0" in labels and labels.index("&lt; 0") < labels.index("2–4")
    text = _text(html)
    assert "below zero 1" in text
    out = tmp_path / "r.csv"
    _run(db, "export", "-o", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert next(r for r in rows if r["reply_id"] == "2")["likes_band"] == "below zero"
