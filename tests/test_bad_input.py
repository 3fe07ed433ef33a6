"""Bad input: a clear one-line error, exit code != 0, and the store unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
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
