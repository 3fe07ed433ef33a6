"""One thread of many: `threads`, `--thread` on themes, tag, export, topics and report, the
Comparison's thread list, the report title kept in the store, and the `--freq` suggestion."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from store import Store, fetch_one
from tests.conftest import sample
from tests.store_helpers import run, run_ok, visible_text, write_replies_csv

URL_A = "https://www.youtube.com/watch?v=AAAAAAAAAAA"
URL_B = "https://www.youtube.com/watch?v=BBBBBBBBBBB"
A, B = "youtube:AAAAAAAAAAA", "youtube:BBBBBBBBBBB"
# Thread A: two replies; thread B: three. Words no other reply uses mark each thread.
ROWS_A = [
    ("a1", "Leaders should listen to front line staff, says Aardvark", 3, "ann", "2025-03-01"),
    ("a2", "We need proper funding, Aardvark agrees", 0, "bob", "2025-03-02"),
]
ROWS_B = [
    ("b1", "Honestly the pizza was the best part, Bumblebee", 5, "cat", "2025-04-01"),
    ("b2", "The cuts to funding hurt everyone, Bumblebee", 1, "dan", "2025-04-02"),
    ("b3", "Zebra crossings everywhere, Bumblebee", 0, "eve", "2025-04-03"),
]
POST_B = "<b>Should the council</b> fund buses? Write to jane.doe@example.org " + "x" * 80
CODEBOOK = """[codebook]
name = "Buses"
version = "1"
[[themes]]
id = "zebra"
label = "Zebra crossings"
include = ["zebra"]
[[themes]]
id = "pizza"
label = "Pizza"
include = ["pizza"]
"""


@pytest.fixture
def two_threads(tmp_path: Path) -> Path:
    """Two threads imported from two files; thread B's post text is stored, A has none."""
    db = tmp_path / "two.duckdb"
    run_ok(db, "import", str(write_replies_csv(tmp_path / "a.csv", ROWS_A)), "--thread", URL_A)
    run_ok(db, "import", str(write_replies_csv(tmp_path / "b.csv", ROWS_B)), "--thread", URL_B)
    with Store.open(db) as s:
        s.con.execute(
            "UPDATE threads SET url = ?, text = ? WHERE thread_id = ?", [URL_B, POST_B, B]
        )
    return db


def test_threads_lists_posts_replies_dates_and_says_when_more_exist(two_threads: Path) -> None:
    out = run_ok(two_threads, "threads", "--limit", "1").output
    assert B in out and A not in out  # most replies first
    assert "Should the council" in out and "jane.doe" not in out  # trimmed, redacted
    assert "2025-04-01" in out and "2025-04-03" in out and " 3 " in out
    assert "Showing 1 of 2 threads" in out and "--limit 2" in out
    full = run_ok(two_threads, "threads").output
    assert A in full and "Showing" not in full


def test_unknown_thread_is_one_line_naming_the_threads_command(two_threads: Path) -> None:
    for command in (["themes"], ["report", "-o", str(two_threads.parent / "r.html")]):
        code, out = run(two_threads, *command, "--thread", "youtube:nope")
        assert code == 1
        assert "no such thread" in out and "replyscope threads" in out
        assert len(out.strip().splitlines()) == 1


def test_tag_and_themes_on_one_thread(two_threads: Path) -> None:
    codebook = two_threads.parent / "buses.toml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    run_ok(two_threads, "tag")
    run_ok(two_threads, "tag", "--thread", URL_B, "--codebook", str(codebook))  # a URL works
    with Store.open(two_threads, read_only=True) as s:
        tagged = fetch_one(
            s.con,
            "SELECT count(DISTINCT reply_id) FROM reply_themes WHERE run_id = "
            "(SELECT max(run_id) FROM runs WHERE kind = 'tag')",
        )
        thread = fetch_one(s.con, "SELECT max(parameters->>'thread') FROM runs")
    assert tagged == (2,) and thread == (B,)  # only B's replies were tagged
    on_b = run_ok(two_threads, "themes", "--thread", B).output
    assert "Zebra crossings" in on_b and "3 replies in scope" in on_b
    assert "One thread: youtube:BBBBBBBBBBB" in on_b
    # The whole store and thread A keep the whole-store run (the default codebook).
    whole = run_ok(two_threads, "themes").output
    assert "Zebra crossings" not in whole and "5 replies in scope" in whole
    on_a = run_ok(two_threads, "themes", "--thread", "AAAAAAAAAAA").output
    assert "Zebra crossings" not in on_a and "2 replies in scope" in on_a
    assert "Listening" in on_a


def test_export_on_one_thread(two_threads: Path) -> None:
    out = two_threads.parent / "b.csv.out.csv"
    run_ok(two_threads, "tag")
    run_ok(two_threads, "export", "--thread", B, "-o", str(out), "--format", "csv")
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["reply_id"] for r in rows) == ["b1", "b2", "b3"]
    themes = two_threads.parent / "themes.csv"
    run_ok(two_threads, "export", "--what", "themes", "--thread", B, "-o", str(themes))
    with themes.open(encoding="utf-8") as fh:
        scopes = {r["replies_in_scope"] for r in csv.DictReader(fh)}
    assert scopes == {"3"}


def test_topics_on_one_thread(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    words = ["bus", "train", "tram", "ferry", "bike", "road", "lane", "stop", "fare", "route"]
    rows_a = [
        (f"a{i}", f"The {w} {words[(i + 3) % 10]} Aardvark", 1, f"u{i}", "2025-03-01")
        for i, w in enumerate(words)
    ]
    rows_b = [(f"b{i}", f"My {w} Bumblebee", 1, f"v{i}", "2025-03-02") for i, w in enumerate(words)]
    run_ok(db, "import", str(write_replies_csv(tmp_path / "a.csv", rows_a)), "--thread", URL_A)
    run_ok(db, "import", str(write_replies_csv(tmp_path / "b.csv", rows_b)), "--thread", URL_B)
    out = run_ok(db, "topics", "--embedder", "tfidf", "--thread", A).output
    assert "Only 10 replies" in out and "Bumblebee" not in out
    with Store.open(db, read_only=True) as s:
        ids = s.con.execute("SELECT DISTINCT reply_id FROM reply_topics").fetchall()
        params = fetch_one(s.con, "SELECT parameters->>'thread' FROM topic_runs")
    assert sorted(r[0] for r in ids) == sorted(r[0] for r in rows_a)
    assert params == (A,)
    # A whole-store export does not present thread A's topics as the store's.
    code, out = run(db, "export", "--what", "topics", "-o", str(tmp_path / "t.csv"))
    assert code == 1 and "no topic model yet" in out


def test_report_on_one_thread_and_the_comparison_of_all(two_threads: Path) -> None:
    run_ok(two_threads, "tag")
    one = two_threads.parent / "b.html"
    run_ok(two_threads, "report", "--thread", B, "-o", str(one))
    text = visible_text(one.read_text(encoding="utf-8"))
    assert "One thread of 2." in text and "3 replies" in text
    assert "Bumblebee" in text and "Aardvark" not in text
    # Without --title the thread's report is named after its post (escaped, redacted).
    assert "<b>Should the council</b>" in one.read_text(encoding="utf-8").replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert "<b>Should" not in one.read_text(encoding="utf-8")
    whole = two_threads.parent / "all.html"
    run_ok(two_threads, "report", "-o", str(whole))
    html = whole.read_text(encoding="utf-8")
    table = html[
        html.index('id="thread-list"') : html.index("</table>", html.index('id="thread-list"'))
    ]
    assert "&lt;b&gt;Should the council&lt;/b&gt; fund buses?" in table  # labelled by its post
    assert "jane.doe" not in table and "<b>" not in table
    assert A in table and "5 replies" not in table
    assert re.search(r"youtube:AAAAAAAAAAA</code></td><td class=\"num\">2<", table)


def test_second_report_keeps_the_title(two_threads: Path) -> None:
    first, second = two_threads.parent / "1.html", two_threads.parent / "2.html"
    run_ok(two_threads, "report", "--title", "Buses & <trams>", "-o", str(first))
    run_ok(two_threads, "report", "-o", str(second))
    assert "<h1>Buses &amp; &lt;trams&gt;</h1>" in second.read_text(encoding="utf-8")


def test_freq_suggestion_names_a_bucket_that_works(tmp_path: Path) -> None:
    words = ["bus", "train", "tram", "ferry", "bike", "road", "lane", "stop", "fare", "route"]
    rows = [
        (str(i), f"The {w} and the {words[(i + 1) % 10]}", 1, f"u{i}", f"2025-{1 + i:02d}-15")
        for i, w in enumerate(words)
    ]
    db = tmp_path / "f.duckdb"
    run_ok(db, "import", str(write_replies_csv(tmp_path / "f.csv", rows)))
    out = run_ok(db, "topics", "--embedder", "tfidf", "--freq", "1d").output
    found = re.search(
        r"too many to show \(replies from 2025-01-15 to 2025-10-15\); use --freq (\w+)", out
    )
    assert found, out
    again = run_ok(db, "topics", "--embedder", "tfidf", "--freq", found.group(1)).output
    assert "too many" not in again and f"Replies per {found.group(1)} bucket" in again


def test_report_thread_on_the_pushshift_sample(tmp_path: Path) -> None:
    path = sample("reddit/pushshift-dump_comments_r-ufc-2018.ndjson")
    db = tmp_path / "ufc.duckdb"
    run_ok(db, "import", str(path))
    run_ok(db, "tag")
    run_ok(db, "quality")
    thread = "https://www.reddit.com/r/ufc/comments/9mpl3m/rematch/"
    out = tmp_path / "rematch.html"
    said = run_ok(db, "report", "--thread", thread, "-o", str(out)).output
    with Store.open(db, read_only=True) as s:
        mine = s.con.execute(
            "SELECT text FROM replies WHERE thread_id = 'reddit:9mpl3m' ORDER BY like_count DESC"
        ).fetchall()
        other = s.con.execute(
            "SELECT text FROM replies WHERE thread_id = 'reddit:9mu3ty' AND length(text) > 60 "
            "ORDER BY like_count DESC LIMIT 5"
        ).fetchall()
    assert len(mine) == 46 and "46 replies" in said
    text = visible_text(out.read_text(encoding="utf-8"))
    assert "46 replies" in text and "One thread of 20." in text and "1 thread on reddit" in text
    assert "All 46 replies." in text
    for (t,) in other:
        assert " ".join(t.split())[:60] not in text
    whole = tmp_path / "all.html"
    run_ok(db, "report", "-o", str(whole))
    html = whole.read_text(encoding="utf-8")
    listed = html[html.index('id="thread-list"') :]
    assert listed.count("reddit.com/r/ufc/comments/") >= 20
    assert "9mpl3m/rematch" in listed


def test_thread_picked_by_the_key_and_url_that_threads_lists(tmp_path: Path) -> None:
    """A Bluesky thread id embeds a DID: `threads` shows a key, and --thread takes it."""
    db = tmp_path / "bsky.duckdb"
    run_ok(db, "import", str(Path(__file__).parent / "fixtures" / "bsky_thread_v2.json"))
    listed = run_ok(db, "threads").output
    assert "did:plc" not in listed
    key = re.search(r"bluesky:id-[0-9a-f]{16}", listed)
    url = re.search(r"https://bsky\.app/profile/\S+/post/\w+", listed)
    assert key and url
    assert run_ok(db, "threads").output == listed  # the same keys every time
    for i, value in enumerate((key.group(0), url.group(0))):
        out = tmp_path / f"t{i}.csv"
        run_ok(db, "export", "--thread", value, "-o", str(out))
        text = out.read_text(encoding="utf-8")
        assert len(text.strip().splitlines()) == 6 and "did:plc" not in text


def test_themes_after_tagging_one_thread_only_says_so(two_threads: Path) -> None:
    codebook = two_threads.parent / "buses.toml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    run_ok(two_threads, "tag", "--thread", B, "--codebook", str(codebook))
    code, out = run(two_threads, "themes")
    assert code == 1 and "made on single threads" in out and f"themes --thread {B}" in out
    code, out = run(two_threads, "themes", "--thread", A)
    assert code == 1 and f"no tagging run covers thread {A}" in out
    assert "Zebra crossings" in run_ok(two_threads, "themes", "--thread", B).output


def test_codebook_draft_on_one_thread_of_the_pushshift_sample(tmp_path: Path) -> None:
    path = sample("reddit/pushshift-dump_comments_r-ufc-2018.ndjson")
    db = tmp_path / "ufc.duckdb"
    imported = run_ok(db, "import", str(path)).output
    assert "1,431 rows: 1,431 added" in imported  # one number format in one line
    one = tmp_path / "one.toml"
    run_ok(db, "--quiet", "codebook", "draft", "-o", str(one), "--thread", "reddit:9mu3ty")
    assert one.read_text(encoding="utf-8").startswith('name = "Khabibs win is so sad"')
    with Store.open(db, read_only=True) as s:
        runs = s.con.execute("SELECT parameters->>'thread' FROM topic_runs").fetchall()
    assert runs == [("reddit:9mu3ty",)]  # topics were modelled on that thread only
    # A whole-store draft does not reuse the one-thread run: it models the store.
    run_ok(db, "--quiet", "codebook", "draft", "-o", str(tmp_path / "all.toml"))
    with Store.open(db, read_only=True) as s:
        runs = s.con.execute(
            "SELECT parameters->>'thread' FROM topic_runs ORDER BY run_id"
        ).fetchall()
    assert runs == [("reddit:9mu3ty",), (None,)]


def test_a_post_url_shows_the_authors_own_pseudonym() -> None:
    from reports.privacy import Pseudonymiser
    from reports.threads import public_url

    p = Pseudonymiser(b"0123456789abcdef" * 2, enabled=True)
    # The same pseudonym as the author's replies get, not a pseudonym of it.
    assert (
        public_url("https://x.com/jane/status/1", p) == f"https://x.com/{p.name('jane')}/status/1"
    )
    bsky = public_url("https://bsky.app/profile/jane.bsky.social/post/3k", p)
    assert bsky == f"https://bsky.app/profile/{p.name('jane.bsky.social')}/post/3k"
    assert public_url("https://example.org/profile/jane", p).endswith(p.name("jane"))
    shown = Pseudonymiser(b"0123456789abcdef" * 2, enabled=False)
    assert public_url("https://x.com/jane/status/1", shown) == "https://x.com/jane/status/1"
