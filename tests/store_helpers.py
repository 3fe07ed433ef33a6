"""Shared helpers for tests that build a store through the CLI: replies written to a CSV,
imported, then `tag`, `quality`, `report`… run on it; the report's visible text; reply texts
several tests use."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import run_cli, sample

# Three replies: one about listening, one about funding, one about neither.
THREE: list[tuple[Any, ...]] = [
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
# The same three as (id, text), for `make_db`.
THREE_TEXTS: list[tuple[str, str]] = [(str(r[0]), str(r[1])) for r in THREE]

# 967 real German TikTok comments on a post about Annalena Baerbock (no post text in the file).
BAERBOCK = "tiktok/tiktokcommentscraper_funke-baerbock-post_comments.csv"

# German replies for the always-run language tests: "die" is in 6 of 10.
GERMAN: list[tuple[str, str]] = [
    ("g1", "Ich finde sie so Sympathischen, ehrlich"),
    ("g2", "Eine bodenständige Frau, die zuhört"),
    ("g3", "Die Grünen Parteien wählen wir nicht"),
    ("g4", "Sie ist die Kanzlerin der Herzen"),
    ("g5", "Sympathisch und natürlich, die Frau"),
    ("g6", "Die Politik der Grünen ist teuer"),
    ("g7", "Wer soll das bezahlen? Die Steuern steigen"),
    ("g8", "Sympathisch ist sie schon"),
    ("g9", "Nein danke, niemals"),
    ("g10", "Wahlkampf mit dem Bus quer durch das Land"),
]


def german_sample_store(tmp_path: Path, *steps: str) -> Path:
    """The Baerbock comments imported through the CLI, then each command in `steps` run.

    Skips the test when ../shared/samples is absent.
    """
    db = tmp_path / "baerbock.duckdb"
    run_ok(db, "import", str(sample(BAERBOCK)))
    for step in steps:
        run_ok(db, step)
    return db


# A contact address a reply may hold, and its parts: none may come back as a word anywhere.
ADDRESS = "jane.doe.whistle@protonmail.com"
ADDRESS_PARTS = {"jane", "doe", "whistle", "protonmail", "com"}


def write_replies_csv(
    path: Path, rows: list[tuple[Any, ...]], head: tuple[str, ...] | None = None
) -> Path:
    """A CSV export with these rows (id, text, likes, author, created_at unless `head`)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head or ("id", "text", "likes", "author", "created_at"))
        w.writerows(rows)
    return path


def run_ok(db: Path, *args: str) -> Result:
    """`replyscope --db DB ARGS`, which must succeed."""
    result = run_cli("--db", str(db), *args)
    assert result.exit_code == 0, result.output
    return result


def run(db: Path, *args: str) -> tuple[int, str]:
    """`replyscope --db DB ARGS`: its exit code and output (a failure must be no traceback)."""
    result = run_cli("--db", str(db), *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def store_from_rows(
    tmp_path: Path, rows: list[tuple[Any, ...]], *steps: str, name: str = "s"
) -> Path:
    """A store `name.duckdb` with these CSV rows imported, then each command in `steps` run."""
    db = tmp_path / f"{name}.duckdb"
    run_ok(db, "import", str(write_replies_csv(tmp_path / f"{name}.csv", rows)))
    for step in steps:
        run_ok(db, step)
    return db


def make_db(tmp_path: Path, texts: list[tuple[str, str]], name: str = "s.duckdb") -> Path:
    """A store holding these (id, text) replies, imported from a CSV through the CLI."""
    path = tmp_path / name
    rows = [
        (rid, text, i % 5, f"u{i}", "2025-03-01T10:00:00Z") for i, (rid, text) in enumerate(texts)
    ]
    source = write_replies_csv(tmp_path / f"{name}.csv", rows)
    result = run_cli("--db", str(path), "import", str(source))
    assert result.exit_code == 0, result.output
    return path


def visible_text(html: str) -> str:
    """The report's visible text (no CSS, script or SVG), whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>|<style>.*?</style>|<script>.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


def render_report(db: Path, tmp_path: Path, name: str = "r.html") -> tuple[str, str]:
    """`replyscope report -o NAME`: the HTML and what the command printed."""
    out = tmp_path / name
    result = run_ok(db, "report", "-o", str(out))
    return out.read_text(encoding="utf-8"), result.output
