"""Bad input: a clear one-line error, exit code != 0, and the store unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli import main
from tests.hostile_files import deep_json, text_row, write_xlsx

GOOD = (
    "id,text,likes,author,created_at\n"
    "1,We need leaders who listen,3,ann,2026-03-02T10:00:00Z\n"
    "2,More funding please,1.2K,bob,2026-03-02T11:00:00Z\n"
)


def _write(name: str, content: bytes | str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return make


def _dir(tmp: Path) -> Path:
    (tmp / "exports").mkdir()
    return tmp / "exports"


def _symlink_loop(tmp: Path) -> Path:
    (tmp / "loop-a.csv").symlink_to(tmp / "loop-b.csv")
    (tmp / "loop-b.csv").symlink_to(tmp / "loop-a.csv")
    return tmp / "loop-a.csv"


def _fifo(tmp: Path) -> Path:
    import os

    os.mkfifo(tmp / "pipe.csv")
    return tmp / "pipe.csv"


CASES: dict[str, tuple[Callable[[Path], Path], list[str], str]] = {
    "empty file": (_write("empty.csv", b""), [], "empty"),
    "binary file": (_write("photo.csv", bytes(range(256)) * 40), [], "binary"),
    "truncated JSON": (
        _write("cut.json", json.dumps([{"text": "a", "id": "1"}] * 3)[:-9]),
        [],
        "truncated",
    ),
    "no text column": (_write("notext.csv", "id,likes,author\n1,3,ann\n"), [], "--map text="),
    "wrong --map column": (
        _write("good.csv", GOOD),
        ["--map", "text=Kommentar"],
        "no column 'Kommentar'",
    ),
    "5 MB single cell": (
        _write("huge.csv", "id,text\n1," + "x" * 5_000_000 + "\n"),
        [],
        "larger than a reply",
    ),
    "duplicate header names": (
        _write("dup.csv", "id,text,text\n1,a,b\n"),
        [],
        "two columns named 'text'",
    ),
    "a bare JSON value": (_write("n.json", "42\n"), [], "the JSON holds a number"),
    "a directory": (_dir, [], "is a directory"),
    "a missing file": (lambda tmp: tmp / "nope.csv", [], "no such file"),
    "a symlink loop": (_symlink_loop, [], "symlink loop"),
    "a FIFO": (_fifo, [], "not a regular file"),
    "100k-deep JSON document": (
        _write("deep.json", deep_json(100_000)),
        [],
        "nests far more than 200 levels",
    ),
    "300-deep JSON document": (
        _write("deep300.json", deep_json(300)),
        [],
        "nests more than 200 levels deep",
    ),
}


def _snapshot(db: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()
            for t in ("replies", "runs", "raw_records", "rejects", "threads", "metric_snapshots")
        )
    finally:
        con.close()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_cleanly(case: str, tmp_path: Path, runner: CliRunner) -> None:
    make, extra, expected = CASES[case]
    db = tmp_path / "store.duckdb"
    good = tmp_path / "first.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(main, ["--db", str(db), "import", str(good)]).exit_code == 0
    before = _snapshot(db)
    path = make(tmp_path)
    result = runner.invoke(main, ["--db", str(db), "import", str(path), *extra])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error:")
    assert expected in lines[0], lines[0]
    assert str(path.name) in lines[0] or "--map" in lines[0]
    assert _snapshot(db) == before


def test_good_rows_kept_bad_rows_rejected(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "s.duckdb"
    path = tmp_path / "mixed.csv"
    path.write_text("id,text,likes\n1,fine reply,2\n2,,5\n3,another,x\n", encoding="utf-8")
    result = runner.invoke(main, ["--db", str(db), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 rejected" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM replies").fetchone() == (2,)
    reason, raw = con.execute("SELECT reason, raw FROM rejects").fetchone()  # type: ignore[misc]
    assert reason.startswith("no text") and '"id":"2"' in raw.replace(" ", "")


def test_second_process_gets_a_clear_message(tmp_path: Path, runner: CliRunner) -> None:
    import subprocess
    import sys

    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); "
            "print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = runner.invoke(main, ["--db", str(db), "status"])
        assert result.exit_code != 0
        assert "in use by" in result.output and "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()


def _import(runner: CliRunner, db: Path, path: Path) -> list[str]:
    """Import one file in-process (exit code 0 expected); the lines of its output."""
    result = runner.invoke(main, ["--db", str(db), "import", str(path)])
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line.strip()]


def test_deep_ndjson_line_is_rejected_and_the_good_lines_imported(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / "mixed.ndjson"
    good = [json.dumps({"id": str(i), "text": f"good reply {i}"}) for i in (1, 2, 3)]
    path.write_text(
        "\n".join([good[0], deep_json(100_000), good[1], deep_json(250), good[2]]) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    lines = _import(runner, db, path)
    assert len(lines) == 1 and "3 added" in lines[0] and "2 rejected" in lines[0], lines
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT locator, reason FROM rejects ORDER BY record_no").fetchall()
    assert [loc for loc, _ in rejects] == ["line 2", "line 4"]
    assert all("more than 200 levels" in why for _, why in rejects)


def test_deep_item_of_an_array_is_rejected_alone(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "items.json"
    path.write_text(
        f'[{{"id": "1", "text": "kept"}}, {deep_json(300)}, {{"id": "2", "text": "kept too"}}]',
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    lines = _import(runner, db, path)
    assert "2 added" in lines[0] and "1 rejected" in lines[0] and "item 2" in lines[0]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT locator, reason FROM rejects").fetchall() == [
        (
            "item 2",
            "the record nests more than 200 levels deep; no reply export does "
            "(a broken or hostile file)",
        )
    ]


def test_raw_records_keep_each_record_as_read(tmp_path: Path, runner: CliRunner) -> None:
    # Spacing, escapes and key order exactly as in the file: not re-serialised.
    items = ['{"text": "caf\\u00e9  ok",   "id": "1"}', '{ "id":"2" , "text":"x\\/y" }']
    array = tmp_path / "array.json"
    array.write_text("[\n  " + ",\n  ".join(items) + "\n]\n", encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(
        '{"count": 2, "data": ['
        + items[0].replace('"1"', '"3"')
        + ", "
        + items[1].replace('"2"', '"4"')
        + "]}",
        encoding="utf-8",
    )
    document = tmp_path / "document.json"
    document.write_text('{ "id" : "5",\n  "text" : "one reply as a document" }\n')
    db = tmp_path / "s.duckdb"
    for path in (array, wrapped, document):
        _import(runner, db, path)
    con = duckdb.connect(str(db), read_only=True)
    payloads = [
        r[0]
        for r in con.execute(
            "SELECT payload FROM raw_records WHERE record_no > 0 ORDER BY run_id, record_no"
        ).fetchall()
    ]
    assert payloads == [
        items[0],
        items[1],
        items[0].replace('"1"', '"3"'),
        items[1].replace('"2"', '"4"'),
        '{ "id" : "5",\n  "text" : "one reply as a document" }',
    ]


def test_duplicate_keys_are_noted_and_kept_as_read(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "dup.ndjson"
    line = '{"id": "1", "text": "first value", "text": "second value"}'
    path.write_text(line + '\n{"id": "2", "text": "plain"}\n', encoding="utf-8")
    db = tmp_path / "s.duckdb"
    lines = _import(runner, db, path)
    assert "1 record gave a key twice in one object (e.g. 'text' in line 1)" in lines[0]
    assert "the last value was used" in lines[0]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT text FROM replies WHERE reply_id = '1'").fetchone() == (
        "second value",
    )
    assert con.execute("SELECT payload FROM raw_records WHERE record_no = 1").fetchone() == (line,)


def test_a_newline_in_a_file_name_does_not_split_the_summary(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / "two\nlines\x1b[31m.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["--db", str(tmp_path / "s.duckdb"), "import", str(path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "two\\nlines\\x1b[31m.csv: read as generic" in lines[0]
    bad = tmp_path / "bad\nname.json"
    bad.write_text("42", encoding="utf-8")
    result = runner.invoke(main, ["--db", str(tmp_path / "s.duckdb"), "import", str(bad)])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "bad\\nname.json" in lines[0]


def test_empty_db_option_is_refused(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REPLYSCOPE_DB", raising=False)
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["--db", "", "import", "good.csv"])
    assert result.exit_code != 0
    assert "--db is empty" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "replyscope.duckdb").exists()


def test_symlink_loop_as_db_is_named(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "a.duckdb").symlink_to(tmp_path / "b.duckdb")
    (tmp_path / "b.duckdb").symlink_to(tmp_path / "a.duckdb")
    for command in (["status"], ["import", str(tmp_path / "x.csv")]):
        result = runner.invoke(main, ["--db", str(tmp_path / "a.duckdb"), *command])
        assert result.exit_code != 0
        assert "symlink loop" in result.output, result.output


def test_fifo_as_db_is_refused_without_hanging(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.hostile_files import ROOT

    os.mkfifo(tmp_path / "pipe.duckdb")
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    for command in (["status"], ["import", str(tmp_path / "good.csv")]):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cli import main; main()",
                "--db",
                str(tmp_path / "pipe.duckdb"),
                *command,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode != 0
        assert "is not a regular file" in done.stderr, done.stderr


def test_xlsx_cell_over_1_mb_rejects_its_row_while_reading(
    tmp_path: Path, runner: CliRunner
) -> None:
    big = "w" * 1_500_000
    path = write_xlsx(
        tmp_path / "big.xlsx",
        [
            text_row(1, ["id", "text", "note"]),
            text_row(2, ["1", "kept", "fine"]),
            text_row(3, ["2", "also a fine reply", big]),  # a note column, not the text
            text_row(4, ["3", big, ""]),
            text_row(5, ["4", "kept too", ""]),
        ],
        shared=[big],
    )
    db = tmp_path / "s.duckdb"
    lines = _import(runner, db, path)
    assert "2 added" in lines[0] and "2 rejected" in lines[0], lines
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT locator, reason, raw FROM rejects ORDER BY record_no").fetchall()
    assert [r[0] for r in rejects] == ["sheet 'Sheet1' row 3", "sheet 'Sheet1' row 4"]
    assert rejects[0][1].startswith("cell C3 holds 1.5 MB of text, more than a workbook cell")
    assert rejects[1][1].startswith("cell B4 holds 1.5 MB of text")
    assert all(len(raw) < 200 for _, _, raw in rejects)
