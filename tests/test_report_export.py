"""Report and exports (reports.export, reports.output): privacy by default, escaping everywhere,
formulas defused in every format, unusable -o paths refused in one line, XLSX cells cut and said."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from reports.export import XLSX_CELL_LIMIT, xlsx_cell
from reports.html import highlight
from reports.privacy import Pseudonymiser
from tests.store_helpers import THREE, run_ok, store_from_rows
from textsafety import defuse_cell

HOSTILE = [
    ("1", "<script>alert('listen')</script> leaders must listen", "alice_real"),
    ("2", '=HYPERLINK("http://evil.example","funding")', "bob_real"),
    ("3", "+SUM(A1:A9) more funding please", "carol_real"),
    (
        "4",
        "-2+3 @dave_real said listen to staff, mail me at jo@example.org or 07700 900123",
        "erin_real",
    ),
    ("5", "@cmd|' /C calc'!A0 listen", "frank_real"),
    ("6", "\tTabbed listen", "gina_real"),
    (
        "7",
        '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">listen</a> </textarea>',
        "hank_real",
    ),
]


@pytest.fixture
def db(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "s.duckdb"
    data = tmp_path / "r.csv"
    with data.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "author"])
        for i, (rid, text, who) in enumerate(HOSTILE):
            w.writerow([rid, text, 10 - i, who])
    assert (
        runner.invoke(main, ["--db", str(path), "import", str(data), "--platform", "x"]).exit_code
        == 0
    )
    assert runner.invoke(main, ["--db", str(path), "tag"]).exit_code == 0
    return path


def test_report_escapes_and_pseudonymises(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["--db", str(db), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    body = html.split("<body>", 1)[1].rsplit("<script>", 1)[0]  # our own script is the only one
    assert "<script" not in body
    assert (
        "<img src=x" not in html
        and 'onerror="alert' not in html
        and 'href="javascript:' not in html
    )
    assert "</textarea>" not in html
    for who in ("alice_real", "bob_real", "dave_real", "hank_real"):
        assert who not in html
    assert "jo@example.org" not in html and "07700 900123" not in html
    assert "[email removed]" in html and "[phone removed]" in html
    assert "<mark>listen</mark>" in html  # matched terms highlighted, still escaped around them


def test_show_authors_says_so(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "named.html"
    assert (
        runner.invoke(main, ["--db", str(db), "report", "-o", str(out), "--show-authors"]).exit_code
        == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "alice_real" in html and "This report shows real account handles" in html


def test_pseudonyms_are_stable_per_database(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        assert runner.invoke(main, ["--db", str(db), "report", "-o", str(out)]).exit_code == 0
    names = re.compile(r"\b[a-z]+-[a-z]+-[0-9a-f]{3}\b")
    assert sorted(set(names.findall(a.read_text()))) == sorted(set(names.findall(b.read_text())))
    other = Pseudonymiser(b"another salt")
    mine = Pseudonymiser(
        bytes.fromhex(
            duckdb.connect(str(db), read_only=True)
            .execute("SELECT value FROM store_meta WHERE key = 'pseudonym_salt'")
            .fetchall()[0][0]
        )
    )
    assert other.name("alice_real") != mine.name("alice_real") and mine.name(
        "@Alice_Real"
    ) == mine.name("alice_real")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_exports_defuse_formulas_and_pseudonymise(
    db: Path, tmp_path: Path, fmt: str, runner: CliRunner
) -> None:
    out = tmp_path / f"replies.{fmt}"
    result = runner.invoke(main, ["--db", str(db), "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        texts = [r["text"] for r in rows]
        authors = [r["author"] for r in rows]
    elif fmt == "xlsx":
        ws = openpyxl.load_workbook(out).active
        assert ws is not None and ws.freeze_panes == "A2" and ws.auto_filter.ref
        header = [c.value for c in ws[1]]
        texts = [str(ws.cell(r, header.index("text") + 1).value) for r in range(2, ws.max_row + 1)]
        authors = [
            str(ws.cell(r, header.index("author") + 1).value) for r in range(2, ws.max_row + 1)
        ]
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    else:
        con = duckdb.connect()
        texts = [r[0] for r in con.execute(f"SELECT text FROM '{out}'").fetchall()]
        authors = [r[0] for r in con.execute(f"SELECT author FROM '{out}'").fetchall()]
    assert not any("_real" in a for a in authors)
    if fmt != "parquet":  # Parquet is data, not a spreadsheet: text stays as written
        assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
        assert any(t.startswith("'=HYPERLINK") for t in texts)
        assert any(t.startswith("'+SUM") for t in texts) and any(
            t.startswith("'-2+3") for t in texts
        )


def test_theme_and_topic_exports(db: Path, tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "themes.csv"
    assert (
        runner.invoke(
            main, ["--db", str(db), "export", "--what", "themes", "-o", str(out)]
        ).exit_code
        == 0
    )
    assert "theme_id" in out.read_text(encoding="utf-8-sig").splitlines()[0]
    missing = runner.invoke(
        main, ["--db", str(db), "export", "--what", "topics", "-o", str(tmp_path / "t.csv")]
    )
    assert missing.exit_code != 0 and "replyscope topics" in missing.output


def test_highlight_escapes_before_marking() -> None:
    out = str(highlight("<b>Listen</b> & listening", ["listen*"]))
    assert out == "&lt;b&gt;<mark>Listen</mark>&lt;/b&gt; &amp; <mark>listening</mark>"
    assert defuse_cell("=1+1") == "'=1+1" and defuse_cell("fine") == "fine"
    assert (
        defuse_cell("\tx") == "'\tx" and defuse_cell("\rx") == "'\rx" and defuse_cell("@x") == "'@x"
    )


def test_theme_samples_are_most_liked_and_typical(tmp_path: Path, runner: CliRunner) -> None:
    """Each theme shows its 3 most liked replies and typical ones at or below its median likes."""
    from reports.sections import load_report_data
    from store import Store

    path, data = tmp_path / "t.duckdb", tmp_path / "t.csv"
    likes = [0, 3, 50, 7, None, 50, 1, 2, 9, 4]
    with data.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "author"])
        for i, n in enumerate(likes):
            w.writerow(
                [
                    f"r{i}",
                    f"leaders must listen to staff, reply {i}",
                    "" if n is None else n,
                    f"a{i}",
                ]
            )
        w.writerow(["z", "nothing about any theme here", 999, "zed"])
    assert (
        runner.invoke(main, ["--db", str(path), "import", str(data), "--platform", "x"]).exit_code
        == 0
    )
    assert runner.invoke(main, ["--db", str(path), "tag"]).exit_code == 0
    with Store.open(path, read_only=True) as store:
        d = load_report_data(store, Pseudonymiser(salt=b"t", enabled=False))
    picks = d.theme_replies["listening"]
    # Ties (50 and 50) go by reply id; the untagged 999-like reply is never shown.
    assert [r.key for r in picks["liked"]] == ["x:r2", "x:r5", "x:r8"]
    assert picks["typical"] and all(r.likes <= 3 for r in picks["typical"])
    assert not {r.key for r in picks["typical"]} & {r.key for r in picks["liked"]}
    assert all("listening" in r.themes for r in picks["liked"] + picks["typical"])


# --- unusable -o paths --------------------------------------------------------


def test_output_paths_give_one_line_errors(tmp_path: Path, runner: CliRunner) -> None:
    db = store_from_rows(tmp_path, THREE)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (
        ["report", "-o", str(afile / "r.html")],
        ["export", "-o", str(afile / "r.csv")],
        ["report", "-o", "/proc/replyscope-test/r.html"],
        ["export", "-o", str(tmp_path)],  # a directory, no --format
    ):
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert (
        "afile is a file, not a folder"
        in runner.invoke(main, ["--db", str(db), "report", "-o", str(afile / "r.html")]).output
    )
    outdir = tmp_path / "out"
    outdir.mkdir()
    result = run_ok(db, "report", "-o", str(outdir))
    assert (outdir / "report.html").is_file() and "is a directory" in result.output
    run_ok(db, "export", "-o", str(outdir), "--format", "csv")
    assert (outdir / "replies.csv").is_file()


# --- XLSX cell limit ----------------------------------------------------------


def test_xlsx_marks_cut_cells_and_says_so(tmp_path: Path) -> None:
    long = ("word " * 20_000)[:99_999]
    db = store_from_rows(tmp_path, [("1", long, 1, "a", "2025-03-01T10:00:00Z"), THREE[1]])
    out = tmp_path / "x.xlsx"
    result = run_ok(db, "export", "-o", str(out))
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
    assert "limit" not in run_ok(db, "export", "-o", str(csv_out)).output
