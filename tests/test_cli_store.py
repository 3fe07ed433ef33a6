"""The store commands: status, rejects, sql, --db / REPLYSCOPE_DB, demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

CSV = (
    "id,text,likes,author,created_at,thread_id\n"
    "1,Leaders who listen,12,ann,2026-03-02T10:00:00Z,99\n"
    "2,,3,bob,2026-03-02T11:00:00Z,99\n"
    "3,More funding for the front line,1.2K,cat,2026-03-02T12:00:00Z,99\n"
)


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    path = tmp_path / "replies.csv"
    path.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(path), "--platform", "x"])
    assert result.exit_code == 0, result.output
    assert (
        "read as generic (x)" in result.output
        and "2 added" in result.output
        and "1 rejected" in result.output
    )
    return db


def test_status_shows_platform_thread_and_run(imported: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(imported), "status"])
    assert result.exit_code == 0, result.output
    assert "2 replies" in result.output
    assert "x:99" in result.output
    assert "import" in result.output and "replies.csv" in result.output


def test_rejects_lists_reason_and_row(imported: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(imported), "rejects", "--run", "1"])
    assert result.exit_code == 0
    assert "row 3" in result.output and "no text" in result.output and "bob" in result.output
    assert (
        "No rejected rows in run 7"
        in CliRunner().invoke(main, ["--db", str(imported), "rejects", "--run", "7"]).output
    )


def test_sql_formats(imported: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "--db",
            str(imported),
            "sql",
            "SELECT reply_id, like_count FROM replies ORDER BY 1",
            "--format",
            "json",
        ],
    )
    assert json.loads(out.output) == [
        {"reply_id": "1", "like_count": 12},
        {"reply_id": "3", "like_count": 1200},
    ]
    out = runner.invoke(
        main,
        [
            "--db",
            str(imported),
            "sql",
            "SELECT reply_id FROM replies ORDER BY 1",
            "--format",
            "csv",
        ],
    )
    assert out.output.splitlines() == ["reply_id", "1", "3"]
    bad = runner.invoke(main, ["--db", str(imported), "sql", "SELECT nope FROM replies"])
    assert bad.exit_code != 0 and "SQL error" in bad.output and "Traceback" not in bad.output


def test_sql_is_read_only(imported: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(imported), "sql", "DELETE FROM replies"])
    assert result.exit_code != 0
    count = CliRunner().invoke(
        main,
        ["--db", str(imported), "sql", "SELECT count(*) AS n FROM replies", "--format", "json"],
    )
    assert json.loads(count.output) == [{"n": 2}]


def test_db_from_environment(imported: Path) -> None:
    result = CliRunner().invoke(main, ["status"], env={"REPLYSCOPE_DB": str(imported)})
    assert result.exit_code == 0 and "2 replies" in result.output


def test_status_on_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "status"])
    assert result.exit_code != 0 and "import something first" in result.output


def test_demo_imports_the_bundled_thread(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "read as bluesky-thread" in result.output
    assert "591 replies" in result.output
    assert (tmp_path / "demo" / "demo.duckdb").exists()
    again = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "demo")])
    assert again.exit_code == 0 and "591 added" in again.output  # a fresh database each time
