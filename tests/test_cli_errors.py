"""Misuse of the CLI gets a one-line error with a remedy, never a traceback or a silent empty
result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

GOOD = (
    "id,text,likes,author,created_at\n"
    "1,We need leaders who listen,3,ann,2026-03-02T10:00:00Z\n"
    "2,More funding please,1.2K,bob,2026-03-02T11:00:00Z\n"
)


@pytest.fixture
def filled(tmp_path: Path, runner: CliRunner) -> Path:
    src = tmp_path / "good.csv"
    src.write_text(GOOD, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = runner.invoke(main, ["--db", str(db), "import", str(src)])
    assert result.exit_code == 0, result.output
    return db


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["tag"],
        ["quality"],
        ["tone"],
        ["topics"],
        ["report", "-o", "r.html"],
        ["validate", "gold.csv"],
    ],
)
def test_analysis_on_a_missing_store_is_an_error_and_creates_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    db = tmp_path / "typo.duckdb"
    result = runner.invoke(main, ["--db", str(db), *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    if args[0] != "validate":  # validate checks its gold file first
        assert "does not exist yet" in result.output
    assert not db.exists()


@pytest.mark.parametrize("name", ["notdb.csv", "replies.csv"])
def test_db_path_that_is_not_a_database_is_refused_and_left_alone(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    src = tmp_path / "good.csv"
    src.write_text(GOOD, encoding="utf-8")
    target = tmp_path / name
    target.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["--db", str(target), "import", str(src)])
    assert result.exit_code == 1
    assert "not a replyscope/DuckDB database" in _last_line(result.output)
    assert target.read_text(encoding="utf-8") == GOOD


def test_sql_refuses_an_empty_query(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(main, ["--db", str(filled), "sql", "   "])
    assert result.exit_code == 2
    assert "give a query" in result.output


def test_sql_says_it_only_reads(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(main, ["--db", str(filled), "sql", "DELETE FROM replies"])
    assert result.exit_code == 1
    assert "replyscope sql only reads" in _last_line(result.output)


def test_sql_unknown_table_points_to_the_table_list(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(main, ["--db", str(filled), "sql", "SELECT * FROM nosuch"])
    assert result.exit_code == 1
    line = _last_line(result.output)
    assert line.startswith("Error: SQL error:") and "SHOW TABLES" in line


def test_sql_json_writes_nan_as_null(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(
        main, ["--db", str(filled), "sql", "SELECT 'nan'::DOUBLE AS x, 1 AS y", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"x": None, "y": 1}]


def test_rejects_options_are_checked(runner: CliRunner, filled: Path) -> None:
    zero = runner.invoke(main, ["--db", str(filled), "rejects", "--limit", "0"])
    assert zero.exit_code == 2 and "Traceback" not in zero.output
    negative = runner.invoke(main, ["--db", str(filled), "rejects", "--limit", "-1"])
    assert negative.exit_code == 2 and "Traceback" not in negative.output
    missing = runner.invoke(main, ["--db", str(filled), "rejects", "--run", "999"])
    assert missing.exit_code == 1
    assert "there is no run 999" in missing.output


def test_topics_needs_at_least_two(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(main, ["--db", str(filled), "topics", "--topics", "1"])
    assert result.exit_code == 1
    assert "at least 2" in _last_line(result.output)


def test_demo_out_must_be_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["demo", "-o", str(target)])
    assert result.exit_code == 2
    assert "is a file; the demo needs a folder" in result.output
    assert target.read_text(encoding="utf-8") == "keep me"


def test_quality_language_codes_are_listed_plainly(runner: CliRunner, filled: Path) -> None:
    result = runner.invoke(main, ["--db", str(filled), "quality", "--languages", "EN,xx,zz"])
    assert result.exit_code == 1
    assert "unknown language codes: xx, zz;" in _last_line(result.output)


def test_global_option_after_the_command_says_where_it_goes(runner: CliRunner) -> None:
    result = runner.invoke(main, ["status", "--db", "x.duckdb"])
    assert result.exit_code == 2
    assert "--db is a global option: put it before the command" in result.output
