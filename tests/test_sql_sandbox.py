"""`replyscope sql` reads the store and nothing else (store.check_read_query and the sandboxed
connection): files, the network, extensions, second statements and the pseudonym salt are
refused in one line naming the allowed way; `--export FILE` saves a result."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli import main
from store import Store

CSV = (
    "id,text,likes,author,created_at\n"
    "1,Leaders who listen,12,ann,2026-03-02T10:00:00Z\n"
    "2,=HYPERLINK(1) more funding,3,bob,2026-03-02T11:00:00Z\n"
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module (the tests only read it)."""
    runner = CliRunner()
    tmp_path = tmp_path_factory.mktemp("sql")
    path = tmp_path / "s.duckdb"
    src = tmp_path / "replies.csv"
    src.write_text(CSV, encoding="utf-8")
    result = runner.invoke(main, ["--db", str(path), "import", str(src), "--platform", "x"])
    assert result.exit_code == 0, result.output
    # The salt exists once a report or an export has run.
    out = tmp_path / "r.csv"
    assert runner.invoke(main, ["--db", str(path), "export", "-o", str(out)]).exit_code == 0
    return path


def _sql(runner: CliRunner, db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, ["--db", str(db), "sql", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _one_line_refusal(code: int, output: str, allowed: str) -> None:
    assert code != 0
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: replyscope sql only reads the store"), output
    assert allowed in lines[0], output


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("COPY replies TO '{out}'", "--export FILE"),
        ("COPY (SELECT * FROM replies) TO '{out}' (FORMAT csv)", "--export FILE"),
        ("EXPORT DATABASE '{dir}'", "--export FILE"),
        ("SELECT 1; COPY replies TO '{out}'", "one at a time"),
        ("SELECT 1 AS a; SELECT 2 AS b", "one at a time"),
        ("SELECT * FROM read_csv('/etc/passwd')", "replyscope import"),
        ("SELECT * FROM read_text('{db}')", "replyscope import"),
        ("SELECT * FROM read_blob('{db}')", "replyscope import"),
        ("SELECT * FROM read_duckdb('{db}', table_name='store_meta')", "replyscope import"),
        ("SELECT * FROM glob('{db}')", "replyscope import"),
        ("SELECT * FROM glob('/root/**')", "replyscope import"),
        ("INSTALL httpfs", "built-in functions"),
        ("LOAD httpfs", "built-in functions"),
        ("SET enable_external_access = true", "run one SELECT"),
        ("RESET lock_configuration", "run one SELECT"),
        ("ATTACH '{out}' AS other", "on this store"),
        ("PRAGMA show_tables", "SHOW TABLES"),
        ("PIVOT replies ON platform USING count(*)", "FILTER"),
        ("EXPLAIN ANALYZE COPY replies TO '{out}'", "--export FILE"),
        ("DELETE FROM replies", "replyscope commands"),
        ("CREATE TEMP TABLE t AS SELECT 1", "replyscope commands"),
    ],
)
def test_statements_that_reach_outside_are_refused(
    db: Path, tmp_path: Path, runner: CliRunner, no_network: None, statement: str, allowed: str
) -> None:
    out, dump = tmp_path / "leak.csv", tmp_path / "dump"
    before = db.read_bytes()
    code, output = _sql(runner, db, statement.format(out=out, dir=dump, db=db))
    _one_line_refusal(code, output, allowed)
    assert not out.exists() and not dump.exists()
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM store_meta",
        "SELECT value FROM main.store_meta WHERE key = 'pseudonym_salt'",
        "SELECT * FROM query_table('store_meta')",
        "SELECT * FROM query('SELECT * FROM store_meta')",
        "SUMMARIZE store_meta",
        "EXPLAIN ANALYZE SELECT * FROM store_meta",
        "/* a comment */ WITH m AS (FROM store_meta) SELECT * FROM m",
    ],
)
def test_the_pseudonym_salt_is_not_readable(db: Path, runner: CliRunner, statement: str) -> None:
    salt = (
        duckdb.connect(str(db), read_only=True)
        .execute("SELECT value FROM store_meta WHERE key = 'pseudonym_salt'")
        .fetchall()[0][0]
    )
    code, output = _sql(runner, db, statement)
    _one_line_refusal(code, output, "any other table or view")
    assert salt[:6] not in output
    code, output = _sql(runner, db, "SELECT * FROM pragma_storage_info('store_meta')")
    _one_line_refusal(code, output, "replyscope import")
    assert salt[:6] not in output


@pytest.mark.parametrize(
    ("statement", "expect"),
    [
        ("SELECT reply_id, like_count FROM replies ORDER BY 1", "12"),
        ("SELECT count(*) AS n FROM replies_tagged", "2"),
        ("SELECT 'a;b' AS x -- a comment; COPY replies TO 'x'", "a;b"),
        ("SELECT 1 AS x /* ; DROP TABLE replies */", "1"),
        ("SELECT 'store_meta' AS name", "store_meta"),
        ("SHOW TABLES", "replies"),
        ("DESCRIBE replies", "reply_id"),
        ("SUMMARIZE SELECT like_count FROM replies", "like_count"),
        ("EXPLAIN SELECT count(*) FROM replies", "physical_plan"),
        ("EXPLAIN ANALYZE SELECT count(*) FROM replies", "analyzed_plan"),
        ("SELECT * FROM pragma_table_info('replies')", "reply_id"),
        ("SELECT count(*) AS n FROM theme_summary;", "n"),
    ],
)
def test_reads_still_work(db: Path, runner: CliRunner, statement: str, expect: str) -> None:
    code, output = _sql(runner, db, statement)
    assert code == 0, output
    assert expect in output


def test_the_sandbox_holds_without_the_statement_check(db: Path, tmp_path: Path) -> None:
    """The connection itself refuses files and settings: the second line of defence."""
    with Store.open(db, read_only=True, sandboxed=True) as store:
        with pytest.raises(duckdb.PermissionException):
            store.con.execute(f"COPY replies TO '{tmp_path / 'x.csv'}'")
        with pytest.raises(duckdb.PermissionException):
            store.con.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error, match="locked"):
            store.con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error, match="locked"):
            store.con.execute("SET autoinstall_known_extensions = true")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_the_named_file(
    db: Path, tmp_path: Path, runner: CliRunner, fmt: str
) -> None:
    out = tmp_path / f"result.{fmt}"
    code, output = _sql(
        runner,
        db,
        "SELECT reply_id, text, like_count FROM replies ORDER BY 1",
        "--export",
        str(out),
    )
    assert code == 0, output
    assert "2 rows" in output
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["reply_id"] for r in rows] == ["1", "2"]
        assert rows[1]["text"].startswith("'=HYPERLINK")  # defused as in every CSV export
    elif fmt == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))
        assert rows[0] == {"reply_id": "1", "text": "Leaders who listen", "like_count": 12}
    else:
        got = duckdb.connect().execute(f"SELECT reply_id FROM '{out}' ORDER BY 1").fetchall()
        assert got == [("1",), ("2",)]


def test_export_is_checked_like_a_query(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "salt.csv"
    code, output = _sql(runner, db, "SELECT * FROM store_meta", "--export", str(out))
    _one_line_refusal(code, output, "any other table or view")
    assert not out.exists()
    code, output = _sql(runner, db, "SELECT 1", "--export", str(tmp_path / "x.txt"))
    assert code != 0 and ".csv, .parquet or .json" in output
