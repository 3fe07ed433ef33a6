"""The store commands: status, rejects, sql, --db / REPLYSCOPE_DB, demo."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
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
def imported(tmp_path: Path, runner: CliRunner) -> Path:
    db = tmp_path / "s.duckdb"
    path = tmp_path / "replies.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(main, ["--db", str(db), "import", str(path), "--platform", "x"])
    assert result.exit_code == 0, result.output
    assert (
        "read as generic (x)" in result.output
        and "2 added" in result.output
        and "1 rejected" in result.output
    )
    return db


def test_status_shows_platform_thread_and_run(imported: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["--db", str(imported), "status"])
    assert result.exit_code == 0, result.output
    assert "2 replies" in result.output
    assert "x:99" in result.output
    assert "import" in result.output and "replies.csv" in result.output


def test_rejects_lists_reason_and_row(imported: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["--db", str(imported), "rejects", "--run", "1"])
    assert result.exit_code == 0
    assert "row 3" in result.output and "no text" in result.output and "bob" in result.output
    # A run that does not exist is an error, not "no rejected rows".
    missing = runner.invoke(main, ["--db", str(imported), "rejects", "--run", "7"])
    assert missing.exit_code == 1 and "there is no run 7" in missing.output


def test_sql_formats(imported: Path, runner: CliRunner) -> None:
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


def test_sql_is_read_only(imported: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["--db", str(imported), "sql", "DELETE FROM replies"])
    assert result.exit_code != 0
    count = runner.invoke(
        main,
        ["--db", str(imported), "sql", "SELECT count(*) AS n FROM replies", "--format", "json"],
    )
    assert json.loads(count.output) == [{"n": 2}]


def test_db_from_environment(imported: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["status"], env={"REPLYSCOPE_DB": str(imported)})
    assert result.exit_code == 0 and "2 replies" in result.output


def test_status_on_a_missing_database_says_what_to_do(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["--db", str(tmp_path / "none.duckdb"), "status"])
    assert result.exit_code != 0 and "import something first" in result.output


def test_demo_imports_the_bundled_thread(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["demo", "-o", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "read as bluesky-thread" in result.output
    assert "591 replies" in result.output
    assert (tmp_path / "demo" / "demo.duckdb").exists()
    again = runner.invoke(main, ["demo", "-o", str(tmp_path / "demo")])
    assert again.exit_code == 0 and "591 added" in again.output  # a fresh database each time


def _old_store(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A store as replyscope's schema `version` left it (open: the caller adds rows)."""
    import store

    con = duckdb.connect(str(path))
    for statements in store.MIGRATIONS[:version]:
        for statement in statements:
            con.execute(statement)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', ?)", [str(version)])
    return con


def test_older_store_is_migrated_step_by_step_and_keeps_its_rows(tmp_path: Path) -> None:
    """A store made by an earlier version opens, migrates to the current schema, loses nothing."""
    import store

    path = tmp_path / "old.duckdb"
    con = _old_store(path, 5)
    con.execute(
        "INSERT INTO replies (platform, reply_id, text, like_count, first_seen_at, last_seen_at, "
        "source_run_id) "
        "VALUES ('x', '1600000000000000001', 'hello there', 3, now(), now(), 1)"
    )
    con.execute("INSERT INTO raw_records VALUES (1, 2, 'row 2', 'f.csv', now(), '0.1', '[\"a\"]')")
    con.close()
    with store.Store.open(path) as s:
        assert store.schema_version(s.con) == store.SCHEMA_VERSION
        assert s.con.execute("SELECT reply_id, text, like_count FROM replies").fetchall() == [
            ("1600000000000000001", "hello there", 3)
        ]
        assert s.con.execute("SELECT record_no, payload FROM raw_records").fetchall() == [
            (2, '["a"]')
        ]
        # The views read the rebuilt tables.
        assert s.con.execute("SELECT count(*) FROM replies_tagged").fetchall() == [(1,)]
        ddl = s.con.execute(
            "SELECT sql FROM duckdb_tables() WHERE table_name IN ('replies', 'raw_records')"
        ).fetchall()
        assert all("ZSTD" in d[0] for d in ddl)


def test_negative_net_scores_have_their_own_likes_band(tmp_path: Path, runner: CliRunner) -> None:
    src = tmp_path / "reddit.csv"
    src.write_text(
        "id,text,likes,parent_id,thread_id\n"
        "a1,leaders must listen,-3,t1,t1\na2,funding now,5,t1,t1\na3,trust staff,0,t1,t1\n",
        encoding="utf-8",
    )
    db = tmp_path / "r.duckdb"
    result = runner.invoke(main, ["--db", str(db), "import", str(src), "--platform", "reddit"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    bands = dict(con.execute("SELECT reply_id, likes_band FROM reply_engagement").fetchall())
    con.close()
    assert bands["a1"] == "below zero" and bands["a3"] == "none"


def test_read_only_commands_migrate_an_older_store(tmp_path: Path, runner: CliRunner) -> None:
    import store

    path = tmp_path / "old6.duckdb"
    _old_store(path, 6).close()
    result = runner.invoke(main, ["--db", str(path), "status"])
    assert result.exit_code == 0, result.output
    with store.Store.open(path, read_only=True) as s:
        assert store.schema_version(s.con) == store.SCHEMA_VERSION


def test_read_only_commands_refuse_a_duckdb_file_that_is_not_a_store(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    result = runner.invoke(main, ["--db", str(path), "status"])
    assert result.exit_code == 1
    assert "is not a replyscope store yet" in result.output
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["t"]
    con.close()
