"""Privacy by default in every output (reports.privacy, textsafety): the report, replies exports
(CSV, XLSX, Parquet), review sheets and coding sheets carry no handle, phone number, e-mail
address or account-embedding id (Bluesky at://did:…, profile URLs) in any listed form, keep
years, dates and counts, and keep thread structure through stable keys."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from store import Store

P = "at://did:plc:pppppppppppppppppppppppp/app.bsky.feed.post/3k0"
A = "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3k1"
B = "at://did:plc:bbbbbbbbbbbbbbbbbbbbbbbb/app.bsky.feed.post/3k2"
Q = "at://did:plc:qqqqqqqqqqqqqqqqqqqqqqqq/app.bsky.feed.post/3q0"
URL_ID = "https://mastodon.social/@acct_in_id/109294767623508949"
# (reply id, text, author, parent id, thread id)
ROWS = [
    (A, "Leaders should listen, thanks @Émilie_Dupont and @x", "emilie.bsky.social", P, P),
    (
        B,
        "listen: call07700900123 or 07700\u00a0900123 or 07700\u2009900123",
        "bob.bsky.social",
        A,
        P,
    ),
    ("3k3", "listen, 07700–900123, wa.me/447700900123, 2233 4455", "cat.bsky.social", A, P),
    ("3k4", "listen: o'brien@example.com or @jane@mastodon.social", "dan.bsky.social", P, P),
    (
        URL_ID,
        "listen https://mastodon.social/@acct_real/1 youtube.com/channel/UCabcdefghijklmnopqrstuv",
        "erin.bsky.social",
        P,
        Q,
    ),
    (
        "3k6",
        "listen u/reddit_real x.com/xuser_real/status/1 did:plc:dddddddddddddddddddddddd",
        "f",
        Q,
        Q,
    ),
    ("3k7", "listen: in 2019–2024 on 31.01.2024 we paid £12 345 678 to 40 staff", "g", Q, Q),
]
FORBIDDEN = [
    "Émilie",
    "emilie",
    "bob.bsky",
    "07700",
    "900123",
    "447700900123",
    "2233 4455",
    "brien",
    "jane@",
    "acct_real",
    "acct_in_id",
    "UCabcdefghijklmnopqrstuv",
    "reddit_real",
    "xuser_real",
    "did:plc",
    "at://",
]
KEPT = ["2019–2024", "31.01.2024", "12 345 678"]
CODEBOOK = """
name = "tiny"
version = "1"
[[themes]]
id = "listening"
label = "Listening"
description = "Leaders who listen"
include = ["listen*"]
examples = ["Leaders should listen more"]
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A store of Bluesky replies holding every form, and every output made from it."""
    runner = CliRunner()
    tmp = tmp_path_factory.mktemp("privacy")
    db, src = tmp / "s.duckdb", tmp / "r.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "author", "created_at", "parent_id", "thread_id"])
        for n, (rid, text, who, parent, thread) in enumerate(ROWS):
            w.writerow([rid, text, n, who, f"2025-03-0{n + 1}T10:00:00Z", parent, thread])
    (tmp / "cb.toml").write_text(CODEBOOK, encoding="utf-8")
    out = {
        "report": tmp / "report.html",
        "csv": tmp / "replies.csv",
        "xlsx": tmp / "replies.xlsx",
        "parquet": tmp / "replies.parquet",
        "review": tmp / "review.xlsx",
        "sample": tmp / "sample.xlsx",
        "named": tmp / "named.csv",
        "named_review": tmp / "named-review.xlsx",
    }
    steps = [
        ["import", str(src), "--platform", "bluesky"],
        ["tag", "--codebook", str(tmp / "cb.toml"), "--method", "keyword"],
        ["report", "-o", str(out["report"])],
        *(["export", "-o", str(out[f])] for f in ("csv", "xlsx", "parquet")),
        ["review", "export", "-o", str(out["review"])],
        ["review", "sample", "--n", "7", "--seed", "1", "-o", str(out["sample"])],
        ["export", "-o", str(out["named"]), "--show-authors"],
        ["review", "export", "-o", str(out["named_review"]), "--show-authors"],
    ]
    for step in steps:
        result = runner.invoke(main, ["--db", str(db), *step])
        assert result.exit_code == 0, (step, result.output)
    out["db"] = db
    return out


def _text_of(path: Path) -> str:
    """Everything a person could read in the output file."""
    if path.suffix == ".html":
        return html.unescape(path.read_text(encoding="utf-8"))
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    if path.suffix == ".parquet":
        con = duckdb.connect()
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
        cast = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
        return "\n".join(
            " ".join(map(str, r)) for r in con.execute(f"SELECT {cast} FROM '{path}'").fetchall()
        )
    wb = openpyxl.load_workbook(path)
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


@pytest.mark.parametrize("name", ["report", "csv", "xlsx", "parquet", "review", "sample"])
def test_no_handle_phone_address_or_account_id_in_any_output(
    outputs: dict[str, Path], name: str
) -> None:
    text = _text_of(outputs[name])
    for secret in FORBIDDEN:
        assert secret not in text, f"{secret!r} in {name}"
    assert not re.search(r"@x\b", text), name
    assert "o'[email" not in text  # the whole address goes, not all but "o'"
    if name != "report":  # the report lists examples, not every reply
        assert "[phone removed]" in text and "[email removed]" in text


@pytest.mark.parametrize("name", ["csv", "xlsx", "parquet", "review"])
def test_years_dates_and_counts_stay(outputs: dict[str, Path], name: str) -> None:
    text = _text_of(outputs[name])
    for kept in KEPT:
        assert kept in text, f"{kept!r} lost in {name}"


def test_keys_keep_the_thread_structure(outputs: dict[str, Path]) -> None:
    with outputs["csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["text"][:20]: r for r in csv.DictReader(fh)}
    first = rows["Leaders should liste"]
    second = next(r for t, r in rows.items() if t.startswith("listen: call"))
    assert first["reply_id"].startswith("id-") and second["parent_id"] == first["reply_id"]
    thread = first["thread_id"]
    assert thread.startswith("bluesky:id-") and thread == f"bluesky:{first['parent_id']}"
    plain = next(r for t, r in rows.items() if t.startswith("listen: in 2019"))
    assert plain["reply_id"] == "3k7"  # a plain id names no account: kept


def test_show_authors_keeps_real_handles_and_ids(outputs: dict[str, Path]) -> None:
    for name in ("named", "named_review"):
        text = _text_of(outputs[name])
        assert A in text and "@Émilie_Dupont" in text and "acct_real" in text
        assert "07700" not in text  # contact details go whatever the flag


def test_review_import_maps_keys_back(outputs: dict[str, Path], tmp_path: Path) -> None:
    sheet = tmp_path / "review.xlsx"
    sheet.write_bytes(outputs["review"].read_bytes())
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    col = header.index("listening") + 1
    rows = [r for r in range(2, ws.max_row + 1) if str(ws.cell(r, 2).value).startswith("id-")]
    assert len(rows) == 3  # A, B and the URL id
    for r in rows:
        ws.cell(r, col).value = None  # untag: three corrections on keyed rows
    wb.save(sheet)
    db = tmp_path / "s.duckdb"
    db.write_bytes(outputs["db"].read_bytes())
    result = CliRunner().invoke(main, ["--db", str(db), "review", "import", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "3 corrections stored" in result.output
    with Store.open(db, read_only=True) as store:
        ids = {r[0] for r in store.con.execute("SELECT reply_id FROM reply_overrides").fetchall()}
    assert ids == {A, B, URL_ID}
