"""Generic JSON with the reply nested (collectors.files.jsonkeys): fields found at any depth by
their names, leaves of quoted posts and parents not taken for the reply's, bounded search, and
a --map suggestion that holds prose, never an id like `uri`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collectors.files.jsonkeys import MAX_DEPTH, MAX_LEAVES, field_of, leaves, plan_keys, prose_path
from tests.import_helpers import cli_import, query, write_file

DEFS = "app.bsky.unspecced.defs#"


def _comment(cid: str, body: str, likes: int, parent: str | None) -> dict[str, Any]:
    return {
        "data": {
            "comment": {
                "id": cid,
                "body": body,
                "created_at": "2025-03-01T10:00:00Z",
                "like_count": likes,
                "parent_id": parent,
                "author": {"id": f"u-{cid}", "username": f"user_{cid}"},
            }
        },
        "meta": {"id": "page-1", "fetched": "2025-03-02T00:00:00Z"},
    }


def test_data_comment_body_is_read_without_map(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "comments.json",
        [
            _comment("c1", "the first comment here", 3, None),
            _comment("c2", "a reply to it", 1, "c1"),
        ],
    )
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert query(
        db,
        "SELECT reply_id, parent_id, author_id, author_handle, text, like_count, "
        "strftime(created_at, '%Y-%m-%d %H:%M') FROM replies ORDER BY reply_id",
    ) == [
        ("c1", None, "u-c1", "user_c1", "the first comment here", 3, "2025-03-01 10:00"),
        ("c2", "c1", "u-c2", "user_c2", "a reply to it", 1, "2025-03-01 10:00"),
    ]
    # The summary says where the fields were found.
    assert "fields read from nested keys (" in " ".join(lines)
    assert "text=data.comment.body" in " ".join(lines)


def _v2_item(n: int, text: str, kind: str, with_depth: bool = True) -> dict[str, Any]:
    uri = f"at://did:plc:p{n}/app.bsky.feed.post/3k{n}"
    post = {
        "uri": uri,
        "cid": f"bafy{n}",
        "author": {"did": f"did:plc:p{n}", "handle": f"p{n}.test"},
        "record": {
            "text": text,
            "createdAt": "2025-01-01T00:00:00.000Z",
            "reply": {
                "root": {"uri": "at://did:plc:r/app.bsky.feed.post/3root", "cid": "bafyroot"},
                "parent": {"uri": "at://did:plc:r/app.bsky.feed.post/3root", "cid": "bafyp"},
            },
        },
        "embed": {"record": {"value": {"text": "a quoted post, not this reply"}}},
        "likeCount": n,
    }
    item: dict[str, Any] = {"uri": uri, "value": {"$type": DEFS + kind, "post": post}}
    if with_depth:
        item["depth"] = 1
    return item


def test_v2_like_file_with_an_unknown_shape_is_read_by_nested_keys(tmp_path: Path) -> None:
    # No depth: not the getPostThreadV2 shape, so the generic reader gets the items.
    items = [
        _v2_item(1, "first nested reply text", "threadItemPostV9", with_depth=False),
        _v2_item(2, "second nested reply text", "threadItemPostV9", with_depth=False),
    ]
    path = write_file(tmp_path, "future.json", {"thread": items, "hasOtherReplies": False})
    code, lines, db = cli_import(tmp_path, path, "--platform", "bluesky")
    assert code == 0, lines
    # Text from value.post.record.text (not the quoted post's), id the at:// URI (not
    # the parent's cid), parent from reply.parent.uri.
    assert query(db, "SELECT reply_id, parent_id, text, like_count FROM replies ORDER BY 1") == [
        (
            "at://did:plc:p1/app.bsky.feed.post/3k1",
            "at://did:plc:r/app.bsky.feed.post/3root",
            "first nested reply text",
            1,
        ),
        (
            "at://did:plc:p2/app.bsky.feed.post/3k2",
            "at://did:plc:r/app.bsky.feed.post/3root",
            "second nested reply text",
            2,
        ),
    ]


def test_suggestion_names_a_path_with_prose_never_uri(tmp_path: Path) -> None:
    items = [_v2_item(n, "", "threadItemPostV9", with_depth=False) for n in (1, 2)]
    for n, item in enumerate(items):
        record = item["value"]["post"]["record"]
        del record["text"]
        record["wording"] = f"what person number {n} wrote in reply"
    path = write_file(tmp_path, "future.json", {"thread": items, "hasOtherReplies": False})
    code, lines, _ = cli_import(tmp_path, path)
    assert code != 0 and len(lines) == 1, lines
    assert "no key with the reply text" in lines[0]
    assert "--map text='value.post.record.wording'" in lines[0]
    assert "text='uri'" not in lines[0] and "text='value.post.uri'" not in lines[0]


def test_suggestion_without_prose_names_no_key(tmp_path: Path) -> None:
    records = [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "n": {"code": "X1-22"}}]
    code, lines, _ = cli_import(tmp_path, write_file(tmp_path, "ids.json", records))
    assert code != 0 and "--map text=KEY" in lines[0] and "'uri'" in lines[0]  # listed, not hinted
    assert "text='uri'" not in lines[0]


def test_field_names_by_their_last_steps_and_not_inside_other_posts() -> None:
    assert field_of("value.post.record.text") == ("text", 2, 0)
    assert field_of("data.comment.body")[:2] == ("text", 1)  # type: ignore[index]
    assert field_of("post.author.id") == ("author_id", 1, 0)
    assert field_of("record.reply.parent.uri") == ("parent_id", 1, 0)
    assert field_of("record.reply.root.uri") == ("thread_native_id", 1, 0)
    # Inside a parent, an embedded post or an account, a name is not the reply's.
    for path in ("record.reply.parent.cid", "post.embed.record.value.text", "user.profile.id"):
        assert field_of(path) is None, path
    assert field_of("reply.parent.author.handle") is None
    assert field_of("meta.timestamp") is None  # when it was captured, not written


def test_plan_prefers_shallow_paths_and_needs_strings_for_text() -> None:
    records = [{"a": {"text": 5, "b": {"text": "deeper words here"}}, "x": {"c": {"d": {}}}}]
    plan = plan_keys(records)
    assert plan.describe()["text"] == "a.b.text"
    both = [{"a": {"body": "shallow words"}, "z": {"y": {"text": "deeper words"}}}]
    assert plan_keys(both).describe()["text"] == "a.body"


def test_search_is_bounded_in_depth_and_breadth(tmp_path: Path) -> None:
    deep: dict[str, Any] = {"text": "too deep to be looked at"}
    for _ in range(50):
        deep = {"k": deep}
    assert list(leaves(deep)) == []
    wide = {f"k{i}": f"value number {i}" for i in range(100_000)}
    assert len(list(leaves(wide))) == MAX_LEAVES
    # Objects count too: 100,000 nested objects are not all queued and walked.
    assert len(list(leaves({f"k{i}": {"v": i} for i in range(100_000)}))) < MAX_LEAVES
    assert prose_path([deep]) is None

    # Text nested deeper than the search goes: the usual one-line error, not a crash.
    deep = {"text": "a little deeper than the search goes"}
    for _ in range(MAX_DEPTH + 2):
        deep = {"k": deep}
    code, lines, _ = cli_import(tmp_path, write_file(tmp_path, "deep.json", [{"id": 1, **deep}]))
    assert code != 0 and len(lines) == 1 and "no key with the reply text" in lines[0], lines
