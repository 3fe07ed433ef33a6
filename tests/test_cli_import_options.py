"""`replyscope import` options and its summary: platform names, --thread checks, notes that add
up."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli import main

GOOD = (
    "id,text,likes,author,created_at\n"
    "1,We need leaders who listen,3,ann,2026-03-02T10:00:00Z\n"
    "2,More funding please,1.2K,bob,2026-03-02T11:00:00Z\n"
)


def _import(runner: CliRunner, db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, ["--db", str(db), "import", *args])
    return result.exit_code, result.output


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_platform_alias_is_stored_under_the_canonical_name(
    runner: CliRunner, tmp_path: Path, good_csv: Path
) -> None:
    db = tmp_path / "s.duckdb"
    code, out = _import(runner, db, str(good_csv), "--platform", "Twitter")
    assert code == 0, out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT DISTINCT platform FROM replies").fetchall() == [("x",)]
    con.close()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--platform", "twiter"], "not a platform replyscope knows"),
        (
            [
                "--thread",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                "--platform",
                "x",
            ],
            "is a youtube post but --platform says x",
        ),
        (["--thread", "https://example.org/some/page"], "not a post URL replyscope recognises"),
        (["--thread", "  "], "is empty"),
    ],
)
def test_bad_platform_or_thread_is_refused_before_anything_is_stored(
    runner: CliRunner, tmp_path: Path, good_csv: Path, args: list[str], expected: str
) -> None:
    db = tmp_path / "s.duckdb"
    code, out = _import(runner, db, str(good_csv), *args)
    assert code == 2
    assert expected in out
    assert "Traceback" not in out
    assert not db.exists()


def test_unknown_format_names_the_file_and_lists_each_format_once(
    runner: CliRunner, tmp_path: Path, good_csv: Path
) -> None:
    code, out = _import(runner, tmp_path / "s.duckdb", str(good_csv), "--format", "nosuch")
    assert code == 1
    line = out.strip().splitlines()[-1]
    assert line.startswith(f"Error: {good_csv}: --format nosuch: unknown format")
    assert line.count("apify-facebook-comments") == 1


def test_summary_counts_merged_duplicates_in_the_rows_read(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "thread.json"
    rows = [
        {"id": "100", "text": "What kind of leadership?"},
        {"id": "101", "text": "Leaders who listen", "parent_id": "100"},
        {"id": "101", "text": "Leaders who listen!", "parent_id": "100"},
        {"id": "102", "text": "Fund the front line", "parent_id": "100"},
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    code, out = _import(runner, tmp_path / "s.duckdb", str(path), "--platform", "x")
    assert code == 0, out
    # 4 rows read = 3 added + 1 merged into another row.
    assert "4 rows: 3 added" in out
    assert "1 duplicate row in the file was merged" in out


def test_summary_says_which_rows_were_thread_posts(runner: CliRunner, tmp_path: Path) -> None:
    from tests.conftest import sample

    path = sample("twitter/apify-twitter-scraper_legacy_jihadwatchRS_bom.csv")
    code, out = _import(runner, tmp_path / "s.duckdb", str(path))
    assert code == 0, out
    assert "797 rows: 793 added" in out
    assert "4 rows were the thread's own posts, stored in the threads table." in out


def test_unreadable_counts_and_format_notes_are_in_the_summary(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "likes.csv"
    path.write_text("id,text,likes\n1,first reply,lots\n2,second reply,4\n", encoding="utf-8")
    code, out = _import(runner, tmp_path / "s.duckdb", str(path))
    assert code == 0, out
    assert "Counts that could not be read were left empty: 1 like count." in out


def test_an_unreadable_file_does_not_stop_the_others(
    runner: CliRunner, tmp_path: Path, good_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import collectors.files.pipeline as pipeline

    locked = tmp_path / "locked.csv"
    locked.write_text(GOOD.replace("1,", "7,").replace("2,", "8,"), encoding="utf-8")
    real = pipeline.parse_file

    def parse(con: duckdb.DuckDBPyConnection, path: Path, opts: pipeline.ImportOptions) -> object:
        if path.name == "locked.csv":  # running as root, chmod cannot make a file unreadable
            raise PermissionError(13, "Permission denied")
        return real(con, path, opts)

    monkeypatch.setattr(pipeline, "parse_file", parse)
    db = tmp_path / "s.duckdb"
    code, out = _import(runner, db, str(locked), str(good_csv))
    assert code == 1
    assert f"Error: {locked}: cannot be read (Permission denied)" in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM replies").fetchone() == (2,)
    con.close()


def test_the_same_file_again_stores_no_second_copy_of_raw_rows_or_rejects(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "3,,5,cat,2026-03-02T12:00:00Z\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    first = _import(runner, db, str(path))
    assert first[0] == 0, first[1]
    again = _import(runner, db, str(path))
    assert again[0] == 0, again[1]
    assert "This exact file was imported before (run 1)" in again[1]
    assert "See them all with: replyscope rejects --run 1." in again[1]
    other_options = _import(runner, db, str(path), "--dayfirst")
    assert other_options[0] == 0, other_options[1]
    con = duckdb.connect(str(db), read_only=True)
    # Raw rows (header + 3) and rejects once per distinct set of options: run 2
    # repeated run 1 exactly; run 3 read the file with other options.
    assert con.execute(
        "SELECT run_id, count(*) FROM raw_records GROUP BY 1 ORDER BY 1"
    ).fetchall() == [(1, 4), (3, 4)]
    rejects = con.execute("SELECT run_id, raw FROM rejects ORDER BY run_id").fetchall()
    assert [r[0] for r in rejects] == [1, 3]
    assert all(raw and "cat" in raw for _, raw in rejects)
    assert con.execute("SELECT count(*) FROM runs WHERE kind = 'import'").fetchone() == (3,)
    con.close()


def test_rows_above_the_header_are_kept_as_raw_rows(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Exported by,SomeScraper\nSource URL,https://x.com/someone/status/1765000000000000001\n\n"
        + GOOD,
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    code, out = _import(runner, db, str(path))
    assert code == 0, out
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT record_no, locator, payload FROM raw_records ORDER BY record_no"
    ).fetchall()
    con.close()
    assert rows[0][:2] == (0, "header")
    assert rows[1] == (1, "preamble row 1", '["Exported by", "SomeScraper"]')
    assert rows[2][:2] == (2, "preamble row 2") and "1765000000000000001" in rows[2][2]
    assert [r[0] for r in rows[3:]] == [5, 6]  # the data rows keep their spreadsheet numbers
