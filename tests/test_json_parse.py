"""JSON and NDJSON import (collectors.files.json_parse): broken lines, --map on keys, records
wrapped in an object, values that are no records, float ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from collectors.errors import ImportProblem
from collectors.files import ImportOptions, import_file
from store import Store
from tests.import_helpers import cli_import, ndjson, query, write_file


def _error(tmp: Path, path: Path, *args: str) -> str:
    code, lines, db = cli_import(tmp, path, *args)
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


GOOD = [
    {"id": "a", "text": "first good reply"},
    {"id": "b", "text": "second good reply"},
    {"id": "c", "text": "third good reply"},
]


# --- NDJSON with a broken line ----------------------------------------------------


def test_ndjson_broken_first_line_rejects_that_line_and_keeps_the_rest(tmp_path: Path) -> None:
    broken = '{"id": "x", "text": "trunc'
    path = write_file(tmp_path, "replies.ndjson", broken + "\n" + ndjson(*GOOD))
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert sorted(r[0] for r in query(db, "SELECT reply_id FROM replies")) == ["a", "b", "c"]
    [(locator, reason, raw)] = query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator == "line 1"
    assert reason.startswith("invalid JSON")
    assert raw == broken


def test_ndjson_broken_later_line_still_rejected(tmp_path: Path) -> None:
    text = ndjson(GOOD[0]) + '{"id": "y", "text": "cut\n' + ndjson(*GOOD[1:])
    path = write_file(tmp_path, "later.ndjson", text)
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert query(db, "SELECT count(*) FROM replies") == [(3,)]
    assert query(db, "SELECT locator FROM rejects") == [("line 2",)]


def test_truncated_json_document_is_still_refused(tmp_path: Path) -> None:
    # A pretty-printed array cut short: its later lines are no records.
    text = json.dumps(GOOD, indent=2)[:-20]
    line = _error(tmp_path, write_file(tmp_path, "cut.json", text))
    assert "broken at line" in line and "truncated" in line


# --- --map on JSON keys ------------------------------------------------------------


def test_map_to_a_missing_key_is_refused_naming_the_keys(tmp_path: Path) -> None:
    path = write_file(tmp_path, "generic.json", GOOD)
    line = _error(tmp_path, path, "--map", "text=nosuchcol")
    assert "--map text=nosuchcol: there is no key 'nosuchcol'" in line
    assert "The keys are: 'id', 'text'." in line


def test_map_missing_key_in_ndjson_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "generic.ndjson", ndjson(*GOOD))
    line = _error(tmp_path, path, "--map", "likes=hearts")
    assert "no key 'hearts'" in line


def test_map_reaches_into_nested_objects(tmp_path: Path) -> None:
    records = [
        {"id": "1", "comment": {"body": "nested text one", "hearts": 4}},
        {"id": "2", "comment": {"body": "nested text two", "hearts": 0}},
    ]
    path = write_file(tmp_path, "nested.json", records)
    code, lines, db = cli_import(
        tmp_path, path, "--map", "text=comment.body", "--map", "likes=comment.hearts"
    )
    assert code == 0, lines
    assert query(db, "SELECT reply_id, text, like_count FROM replies ORDER BY reply_id") == [
        ("1", "nested text one", 4),
        ("2", "nested text two", 0),
    ]


def test_map_to_an_object_asks_for_a_key_inside_it(tmp_path: Path) -> None:
    path = write_file(tmp_path, "nested.json", [{"id": "1", "comment": {"body": "x y"}}])
    line = _error(tmp_path, path, "--map", "text=comment")
    assert "holds an object" in line and "--map text=comment.body" in line


def test_generic_json_without_text_key_lists_the_keys(tmp_path: Path) -> None:
    path = write_file(tmp_path, "notext.json", [{"id": "1", "payload": {"words": "hello there"}}])
    line = _error(tmp_path, path)
    assert "no key with the reply text" in line
    assert "'payload.words'" in line and "--map text='payload.words'" in line


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
    path = write_file(tmp_path, "ps.ndjson", ndjson(PUSHSHIFT, {**PUSHSHIFT, "id": "e2"}))
    line = _error(tmp_path, path, "--map", "likes=ups")
    assert "--map only applies to generic files" in line
    assert "pushshift" in line and "--format generic" in line
    line = _error(tmp_path, path, "--format", "pushshift", "--map", "likes=ups")
    assert "--map only applies to generic files" in line


def test_format_generic_reads_a_known_shape_by_its_keys(tmp_path: Path) -> None:
    path = write_file(tmp_path, "ps.ndjson", ndjson(PUSHSHIFT))
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        result = import_file(store, path, ImportOptions(fmt="generic", mapping={"likes": "ups"}))
        assert result.fmt == "generic"
        assert store.con.execute("SELECT text, like_count FROM replies").fetchall() == [
            ("a pushshift comment", 7)
        ]


# --- wrapped lists and values that are no records ----------------------------------


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
    path = write_file(tmp_path, "wrapped.json", doc)
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert sorted(r[0] for r in query(db, "SELECT reply_id FROM replies")) == ["a", "b", "c"]
    key = next(k for k, v in doc.items() if v is GOOD)
    assert f'records read from the "{key}" list' in " ".join(lines)
    locators = [r[0] for r in query(db, "SELECT locator FROM raw_records ORDER BY record_no")]
    assert f"{key}[2]" in locators


def test_wrapped_item_without_text_is_rejected_with_its_index(tmp_path: Path) -> None:
    path = write_file(tmp_path, "wrapped.json", {"data": [*GOOD, {"id": "d", "text": ""}]})
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    [(locator, reason, raw)] = query(db, "SELECT locator, reason, raw FROM rejects")
    assert locator == "data[3]" and reason.startswith("no text")
    assert json.loads(raw) == {"id": "d", "text": ""}


def test_two_lists_none_conventional_is_not_guessed(tmp_path: Path) -> None:
    path = write_file(tmp_path, "two.json", {"foo": GOOD, "bar": GOOD})
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
    line = _error(tmp_path, write_file(tmp_path, "values.json", content))
    assert f"the JSON holds {expected}, not reply records" in line
    assert "list of objects, one per reply" in line


def test_json_scalar_says_what_the_json_holds(tmp_path: Path) -> None:
    # `42` alone does not start like JSON, so the file-kind sniffer (not part of
    # the JSON reader) sends it to the CSV reader; the JSON reader's own answer:
    from collectors.files.json_parse import parse_json

    con = duckdb.connect()
    try:
        with pytest.raises(ImportProblem, match=r"the JSON holds a number \(42\), not reply"):
            parse_json(con, tmp_path / "n.json", "42", ImportOptions())
    finally:
        con.close()


def test_empty_object_and_empty_list_say_so(tmp_path: Path) -> None:
    line = _error(tmp_path, write_file(tmp_path, "obj.json", {}))
    assert "the JSON holds an object ({}), not reply records" in line
    line = _error(tmp_path, write_file(tmp_path, "list.json", []))
    assert "empty list" in line


# --- float ids -----------------------------------------------------------------------


def test_float_ids_above_2_53_are_not_stored_or_merged(tmp_path: Path) -> None:
    text = (
        '[{"id": 1.765000000000000001e18, "text": "float id one"},'
        ' {"id": 1.765000000000000002e18, "text": "float id two"},'
        ' {"id": 12.0, "text": "small float id"}]'
    )
    path = write_file(tmp_path, "floats.json", text)
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    ids = dict((t, i) for i, t in query(db, "SELECT reply_id, text FROM replies"))
    assert len(ids) == 3
    assert ids["small float id"] == "12"
    assert "1765000000000000000" not in ids.values()
    assert ids["float id one"] != ids["float id two"]
