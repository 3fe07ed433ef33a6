"""JSON/NDJSON import review: broken first lines, --map on keys, wrapped lists, float ids,
media-only replies and youtube-comment-downloader's computed times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from cli import main
from collectors.files import ImportOptions, import_file
from collectors.rawframes import _to_str
from collectors.readers import ImportProblem
from store import Store
from tests.conftest import sample

# --- helpers ---------------------------------------------------------------------


def _write(tmp: Path, name: str, content: Any) -> Path:
    path = tmp / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def _ndjson(*records: Any) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _import(tmp: Path, path: Path, *args: str) -> tuple[int, list[str], Path]:
    db = tmp / "store.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    return result.exit_code, lines, db


def _error(tmp: Path, path: Path, *args: str) -> str:
    code, lines, db = _import(tmp, path, *args)
    assert code != 0
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error:") and path.name in lines[0], lines[0]
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM replies").fetchone() == (0,)
            assert con.execute("SELECT count(*) FROM raw_records").fetchone() == (0,)
        finally:
            con.close()
    return lines[0]


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


GOOD = [
    {"id": "a", "text": "first good reply"},
    {"id": "b", "text": "second good reply"},
    {"id": "c", "text": "third good reply"},
]


# --- 1. NDJSON with a broken first line ---------------------------------------------


def test_ndjson_broken_first_line_rejects_that_line_and_keeps_the_rest(tmp_path: Path) -> None:
    broken = '{"id": "x", "text": "trunc'
    path = _write(tmp_path, "replies.ndjson", broken + "\n" + _ndjson(*GOOD))
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert sorted(r[0] for r in _query(db, "SELECT reply_id FROM replies")) == ["a", "b", "c"]
    [(locator, reason, raw)] = _query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator == "line 1"
    assert reason.startswith("invalid JSON")
    assert raw == broken


def test_ndjson_broken_later_line_still_rejected(tmp_path: Path) -> None:
    text = _ndjson(GOOD[0]) + '{"id": "y", "text": "cut\n' + _ndjson(*GOOD[1:])
    path = _write(tmp_path, "later.ndjson", text)
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert _query(db, "SELECT count(*) FROM replies") == [(3,)]
    assert _query(db, "SELECT locator FROM rejects") == [("line 2",)]


def test_truncated_json_document_is_still_refused(tmp_path: Path) -> None:
    # A pretty-printed array cut short: its later lines are no records.
    text = json.dumps(GOOD, indent=2)[:-20]
    line = _error(tmp_path, _write(tmp_path, "cut.json", text))
    assert "broken at line" in line and "truncated" in line


# --- 2. --map on JSON ------------------------------------------------------------


def test_map_to_a_missing_key_is_refused_naming_the_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "generic.json", GOOD)
    line = _error(tmp_path, path, "--map", "text=nosuchcol")
    assert "--map text=nosuchcol: there is no key 'nosuchcol'" in line
    assert "The keys are: 'id', 'text'." in line


def test_map_missing_key_in_ndjson_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "generic.ndjson", _ndjson(*GOOD))
    line = _error(tmp_path, path, "--map", "likes=hearts")
    assert "no key 'hearts'" in line


def test_map_reaches_into_nested_objects(tmp_path: Path) -> None:
    records = [
        {"id": "1", "comment": {"body": "nested text one", "hearts": 4}},
        {"id": "2", "comment": {"body": "nested text two", "hearts": 0}},
    ]
    path = _write(tmp_path, "nested.json", records)
    code, lines, db = _import(
        tmp_path, path, "--map", "text=comment.body", "--map", "likes=comment.hearts"
    )
    assert code == 0, lines
    assert _query(db, "SELECT reply_id, text, like_count FROM replies ORDER BY reply_id") == [
        ("1", "nested text one", 4),
        ("2", "nested text two", 0),
    ]


def test_map_to_an_object_asks_for_a_key_inside_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "nested.json", [{"id": "1", "comment": {"body": "x y"}}])
    line = _error(tmp_path, path, "--map", "text=comment")
    assert "holds an object" in line and "--map text=comment.body" in line


def test_generic_json_without_text_key_lists_the_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "notext.json", [{"id": "1", "comment": {"body": "hello there"}}])
    line = _error(tmp_path, path)
    assert "no key with the reply text" in line
    assert "'comment.body'" in line and "--map text=" in line


PUSHSHIFT = {
    "id": "e1",
    "body": "a pushshift comment",
    "link_id": "t3_abc",
    "parent_id": "t3_abc",
    "created_utc": 1514764800,
    "author": "someone",
    "score": 3,
    "ups": 7,
}


def test_map_on_a_known_format_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "ps.ndjson", _ndjson(PUSHSHIFT, {**PUSHSHIFT, "id": "e2"}))
    line = _error(tmp_path, path, "--map", "likes=ups")
    assert "--map only applies to generic files" in line
    assert "pushshift" in line and "--format generic" in line
    line = _error(tmp_path, path, "--format", "pushshift", "--map", "likes=ups")
    assert "--map only applies to generic files" in line


def test_format_generic_reads_a_known_shape_by_its_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "ps.ndjson", _ndjson(PUSHSHIFT))
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        result = import_file(store, path, ImportOptions(fmt="generic", mapping={"likes": "ups"}))
        assert result.fmt == "generic"
        assert store.con.execute("SELECT text, like_count FROM replies").fetchall() == [
            ("a pushshift comment", 7)
        ]


# --- 3. wrapped lists and values that are no records -------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"data": GOOD},
        {"comments": GOOD, "count": 3},
        {"items": GOOD, "next": None},
        {"results": GOOD, "meta": {"page": 1}, "tags": ["a", "b"]},
        {"payload": GOOD, "status": "ok"},  # the only list of objects
    ],
    ids=["data", "comments", "items", "results", "only-list"],
)
def test_records_wrapped_in_an_object_are_read(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = _write(tmp_path, "wrapped.json", doc)
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert sorted(r[0] for r in _query(db, "SELECT reply_id FROM replies")) == ["a", "b", "c"]
    key = next(k for k, v in doc.items() if v is GOOD)
    assert f'records read from the "{key}" list' in " ".join(lines)
    locators = [r[0] for r in _query(db, "SELECT locator FROM raw_records ORDER BY record_no")]
    assert f"{key}[2]" in locators


def test_wrapped_item_without_text_is_rejected_with_its_index(tmp_path: Path) -> None:
    path = _write(tmp_path, "wrapped.json", {"data": [*GOOD, {"id": "d", "text": ""}]})
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    [(locator, reason, raw)] = _query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator == "data[3]" and reason.startswith("no text")
    assert json.loads(raw) == {"id": "d", "text": ""}


def test_two_lists_none_conventional_is_not_guessed(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.json", {"foo": GOOD, "bar": GOOD})
    line = _error(tmp_path, path)
    assert "no key with the reply text" in line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (["hello", "world"], 'a list of 2 strings ("hello", "world")'),
        ([42, 43], "a list of 2 numbers (42, 43)"),
        ([[1, 2]], "a list of 1 list ([1, 2])"),
    ],
)
def test_lists_of_non_objects_say_what_the_json_holds(
    tmp_path: Path, content: Any, expected: str
) -> None:
    line = _error(tmp_path, _write(tmp_path, "values.json", content))
    assert f"the JSON holds {expected}, not reply records" in line
    assert "list of objects, one per reply" in line


def test_json_scalar_says_what_the_json_holds(tmp_path: Path) -> None:
    # `42` alone does not start like JSON, so the file-kind sniffer (not part of
    # the JSON reader) sends it to the CSV reader; the JSON reader's own answer:
    from collectors.files_json import parse_json

    con = duckdb.connect()
    try:
        with pytest.raises(ImportProblem, match=r"the JSON holds a number \(42\), not reply"):
            parse_json(con, tmp_path / "n.json", "42", ImportOptions())
    finally:
        con.close()


# --- 4. float ids ------------------------------------------------------------------


def test_float_to_str_never_invents_exact_ids() -> None:
    assert _to_str(12.0) == "12"
    assert _to_str(-3.0) == "-3"
    assert _to_str(2.5) == "2.5"
    assert _to_str(1671850370.01851) == "1671850370.01851"
    assert _to_str(float(2**53 - 1)) == str(2**53 - 1)
    assert _to_str(1.765000000000000001e18) == "1.765e+18"
    assert _to_str(float(2**53)) == "9.00719925474099e+15"


def test_float_ids_above_2_53_are_not_stored_or_merged(tmp_path: Path) -> None:
    text = (
        '[{"id": 1.765000000000000001e18, "text": "float id one"},'
        ' {"id": 1.765000000000000002e18, "text": "float id two"},'
        ' {"id": 12.0, "text": "small float id"}]'
    )
    path = _write(tmp_path, "floats.json", text)
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    ids = dict((t, i) for i, t in _query(db, "SELECT reply_id, text FROM replies"))
    assert len(ids) == 3
    assert ids["small float id"] == "12"
    assert "1765000000000000000" not in ids.values()
    assert ids["float id one"] != ids["float id two"]


# --- 5. media-only replies -----------------------------------------------------------


def _bsky_post(rkey: str, text: str, reply_to: str | None = None, **extra: Any) -> dict[str, Any]:
    uri = f"at://did:plc:abc/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2025-01-01T10:00:00Z",
    }
    if reply_to:
        root = "at://did:plc:abc/app.bsky.feed.post/root"
        record["reply"] = {"root": {"uri": root}, "parent": {"uri": reply_to}}
    return {
        "uri": uri,
        "cid": "c" + rkey,
        "author": {"did": "did:plc:abc", "handle": "a.bsky.social"},
        "record": record,
        "likeCount": 1,
        **extra,
    }


def _node(post: dict[str, Any], *replies: dict[str, Any]) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": post, "replies": list(replies)}


def test_bluesky_image_only_reply_rejected_with_its_own_place_and_json(tmp_path: Path) -> None:
    root = "at://did:plc:abc/app.bsky.feed.post/root"
    image = _bsky_post(
        "img",
        "",
        "at://did:plc:abc/app.bsky.feed.post/r2",
        embed={"$type": "app.bsky.embed.images#view", "images": [{"alt": ""}]},
    )
    doc = {
        "thread": _node(
            _bsky_post("root", "the question " + "x" * 20_000),
            _node(_bsky_post("r1", "a text reply", root)),
            _node(_bsky_post("r2", "another text reply", root), _node(image)),
        )
    }
    path = _write(tmp_path, "thread.json", doc)
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert _query(db, "SELECT count(*) FROM replies") == [(2,)]
    [(locator, reason, raw)] = _query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator.startswith("thread.replies[1].replies[0]")
    assert image["uri"] in locator
    assert reason == "no text: image-only reply"
    assert json.loads(raw) == image
    summary = " ".join(lines)
    assert "bluesky post without text (image): rejected, no text to analyse: 1" in summary


def test_instagram_gif_reply_rejected_truthfully(tmp_path: Path) -> None:
    item = {
        "id": "111",
        "postUrl": "https://www.instagram.com/p/AbC/",
        "commentUrl": "https://www.instagram.com/p/AbC/c/111",
        "text": "a real comment",
        "ownerUsername": "alice",
        "replies": [{"id": "112", "text": "", "ownerUsername": "bob"}],
    }
    path = _write(tmp_path, "ig.json", [item])
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    [(locator, reason, raw)] = _query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator == "item 1, replies[0]"
    assert reason == "no text: GIF-only reply"
    assert json.loads(raw) == item["replies"][0]
    summary = " ".join(lines)
    assert "instagram comment without text (GIF): rejected, no text to analyse: 1" in summary
    assert "kept" not in summary


def test_facebook_sticker_comment_rejected_truthfully(tmp_path: Path) -> None:
    base = {
        "facebookUrl": "https://www.facebook.com/page/posts/123",
        "commentUrl": "https://www.facebook.com/page/posts/123?comment_id=1",
        "profileName": "Ann",
        "threadingDepth": 0,
    }
    records = [{**base, "id": "c1", "text": "words"}, {**base, "id": "c2"}]
    path = _write(tmp_path, "fb.json", records)
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert _query(db, "SELECT locator, reason FROM rejects") == [
        ("item 2", "no text: sticker/GIF-only reply")
    ]
    assert "(sticker/GIF): rejected, no text to analyse: 1" in " ".join(lines)


@pytest.mark.samples
def test_bluesky_sample_rejects_name_each_post(store: Store) -> None:
    path = next(sample("bluesky").glob("*getPostThread*170*"))
    result = import_file(store, path, ImportOptions())
    rows = store.con.execute(
        "SELECT locator, reason, raw FROM rejects WHERE run_id = ?", [result.run_id]
    ).fetchall()
    assert len(rows) == 4
    for locator, reason, raw in rows:
        assert locator.startswith("thread.replies[") and "at://" in locator
        assert reason in ("no text: image-only reply", "no text: link-only reply")
        post = json.loads(raw)
        assert post["uri"] in locator and len(raw) < 10_000


@pytest.mark.samples
def test_instagram_sample_gif_rejects(store: Store) -> None:
    path = next(sample("instagram").glob("*.jsonl"))
    result = import_file(store, path, ImportOptions())
    reasons = store.con.execute(
        "SELECT DISTINCT reason FROM rejects WHERE run_id = ?", [result.run_id]
    ).fetchall()
    assert reasons == [("no text: GIF-only reply",)]
    assert result.rejected == 7


# --- 6. youtube-comment-downloader computed times ---------------------------------------


def test_youtube_downloader_time_parsed_is_not_a_date(tmp_path: Path) -> None:
    line = {
        "cid": "UgzAAA",
        "text": "nice video",
        "time": "7 months ago",
        "author": "@someone",
        "channel": "UC123",
        "votes": "3",
        "time_parsed": 1671850370.01851,
    }
    path = _write(tmp_path, "yt.json", _ndjson(line, {**line, "cid": "UgzBBB", "reply": False}))
    code, lines, db = _import(tmp_path, path)
    assert code == 0, lines
    assert _query(db, "SELECT DISTINCT created_at FROM replies") == [(None,)]
    assert "2 dates were relative" in " ".join(lines)
    [(payload,)] = _query(db, "SELECT payload FROM raw_records WHERE record_no = 1")
    assert json.loads(payload)["time_parsed"] == 1671850370.01851


@pytest.mark.samples
def test_youtube_downloader_2023_sample_has_relative_times_only(store: Store) -> None:
    path = next(sample("youtube").glob("youtube-comment-downloader_2023_*.json"))
    result = import_file(store, path, ImportOptions())
    assert result.first is None and result.last is None
    assert result.notes.get("relative_times") == result.added


def test_empty_object_and_empty_list_say_so(tmp_path: Path) -> None:
    line = _error(tmp_path, _write(tmp_path, "obj.json", {}))
    assert "the JSON holds an object ({}), not reply records" in line
    line = _error(tmp_path, _write(tmp_path, "list.json", []))
    assert "empty list" in line
