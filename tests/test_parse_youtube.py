"""YouTube parsing (collectors.platforms.youtube) and the three YouTube JSON formats;
youtube-comment-downloader's computed times are no dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collectors.files import ImportOptions, import_file
from collectors.model import ParseContext
from collectors.platforms.youtube import (
    comment_url,
    parse_comment_list,
    parse_comment_threads,
    parse_downloader,
    threads_needing_replies,
    video_id_from,
)
from store import Store
from tests.conftest import sample
from tests.import_helpers import cli_import, ndjson, query, write_file
from tests.platform_samples import (
    accepted_by,
    expected_formats,
    first_records,
    parse_all,
    records,
)

API = "youtube/youtube-data-api-v3_commentThreads_wtLJPvx7-ys.json"
DL_2021 = "youtube/youtube-comment-downloader_2021_ScMzIvxBSi4_urdu-relative-times.ndjson.json"
DL_2023 = "youtube/youtube-comment-downloader_2023_ScMzIvxBSi4.ndjson.json"


def comment(cid: str, text: str, parent: str | None = None, **snippet: Any) -> dict[str, Any]:
    """A youtube#comment resource as the current API returns it."""
    base: dict[str, Any] = {
        "authorDisplayName": "@some-handle",
        "authorChannelId": {"value": f"UC{cid}"},
        "textDisplay": f"<b>{text}</b>",
        "textOriginal": text,
        "likeCount": 3,
        "publishedAt": "2024-01-02T03:04:05Z",
        "updatedAt": "2024-01-02T03:04:05Z",
    }
    if parent:
        base["parentId"] = parent
    base.update(snippet)
    return {"kind": "youtube#comment", "id": cid, "snippet": base}


@pytest.mark.samples
def test_sample_comment_threads() -> None:
    ctx = ParseContext()
    path = sample(API)
    rows = parse_all(path, parse_comment_threads, ctx)
    assert len(rows) == 20
    assert {r["depth"] for r in rows} == {1}
    assert {r["thread_native_id"] for r in rows} == {"wtLJPvx7-ys"}
    assert {r["parent_id"] for r in rows} == {"wtLJPvx7-ys"}
    # Every 2016 text ended in U+FEFF; none is left.
    assert not any(r["text"].endswith("\ufeff") for r in rows)
    assert ctx.notes == {"youtube: replies not in file (totalReplyCount > embedded)": 5}
    row = next(r for r in rows if r["reply_id"] == "z132ur055uyrc3dj404celczdy2ttlkaemw0k")
    assert row == {
        "reply_id": "z132ur055uyrc3dj404celczdy2ttlkaemw0k",
        "thread_native_id": "wtLJPvx7-ys",
        "thread_url": "https://www.youtube.com/watch?v=wtLJPvx7-ys",
        "parent_id": "wtLJPvx7-ys",
        "depth": 1,
        "author_id": "UCnB5fxsrmtsXgAAB0K1kvYA",
        "author_handle": None,
        "author_name": "Nick Colonna",
        # textDisplay is HTML: &lt; becomes <.
        "text": "OoO PORTER ROBINSON RAC REMIX IN BEGINNING THO <<<333",
        "created_at": "2016-02-12T07:30:25.000Z",
        "like_count": 1,
        "url": "https://www.youtube.com/watch?v=wtLJPvx7-ys&lc=z132ur055uyrc3dj404celczdy2ttlkaemw0k",
        "reply_count": 1,
    }
    linked = next(r for r in rows if r["reply_id"] == "z12wd5gj3vjtzpz3323oc5izcxj0hztko")
    assert linked["text"] == "18:51... I burst out laughing."
    assert threads_needing_replies(records(path)[0]) == [
        ("z12hf1fjqubvdhwd223qznvoqwuyst5qu04", 2, 0),
        ("z12wd5gj3vjtzpz3323oc5izcxj0hztko", 1, 0),
        ("z132ur055uyrc3dj404celczdy2ttlkaemw0k", 1, 0),
        ("z132i5hjttiacfr4w04cdhm5aybpvzt4km00k", 1, 0),
    ]


@pytest.mark.samples
def test_sample_downloader_2021_relative_urdu_times() -> None:
    ctx = ParseContext(thread="https://www.youtube.com/watch?v=ScMzIvxBSi4")
    rows = parse_all(sample(DL_2021), parse_downloader, ctx)
    assert len(rows) == 1269
    assert sum(r["depth"] == 2 for r in rows) == 455
    assert {r["thread_native_id"] for r in rows} == {"ScMzIvxBSi4"}
    assert {r["parent_id"] for r in rows if r["depth"] == 1} == {"ScMzIvxBSi4"}
    # votes is an int in some lines and a string in others; both kept raw.
    assert {type(r["like_count"]) for r in rows} == {int, str}
    row = next(r for r in rows if r["reply_id"].startswith("UgzPBgkkxtZYW-qEVXl4AaABAg."))
    assert row == {
        "reply_id": "UgzPBgkkxtZYW-qEVXl4AaABAg.9IM1Opu7jTA9IN5ThGfSmQ",
        "thread_native_id": "ScMzIvxBSi4",
        "thread_url": "https://www.youtube.com/watch?v=ScMzIvxBSi4",
        "parent_id": "UgzPBgkkxtZYW-qEVXl4AaABAg",
        "depth": 2,
        "author_id": "UC9VJim1dBwr86OL18lQ3WWg",
        "author_handle": None,
        "author_name": "Void Gunner",
        "text": "The daughter he never met went to my school and her cousins go to school with me",
        # Relative time ("1 week ago (edited)"), kept raw for the normaliser to count.
        "created_at": "1 ہفتہ پہلے (ترمیم کردہ)",
        "like_count": "1",
        "url": "https://www.youtube.com/watch?v=ScMzIvxBSi4"
        "&lc=UgzPBgkkxtZYW-qEVXl4AaABAg.9IM1Opu7jTA9IN5ThGfSmQ",
    }


@pytest.mark.samples
def test_sample_downloader_2023() -> None:
    ctx = ParseContext()
    rows = parse_all(sample(DL_2023), parse_downloader, ctx)
    assert len(rows) == 82
    assert sum(r["depth"] == 2 for r in rows) == 6
    # Without --thread the video is unknown: top-level comments have no parent.
    assert {r["thread_native_id"] for r in rows} == {None}
    assert {r["parent_id"] for r in rows if r["depth"] == 1} == {None}
    assert all(isinstance(r["created_at"], float) for r in rows)
    row = next(
        r for r in rows if r["reply_id"] == "UgyNUQYJ-g7D88SakjR4AaABAg.9MOv_D9Hd6d9MPvOgf-vUa"
    )
    assert row["parent_id"] == "UgyNUQYJ-g7D88SakjR4AaABAg"
    assert row["author_handle"] == "thundercloud2733"
    assert row["author_name"] == "@thundercloud2733"
    assert row["author_id"] == "UC2IABtlde7sISHZV6Xezt5g"
    assert row["text"] == "not"
    assert row["like_count"] == "1"
    assert row["created_at"] == 1627091570.2762
    assert row["url"] is None


def test_comment_threads_with_embedded_replies() -> None:
    page = {
        "kind": "youtube#commentThreadListResponse",
        "items": [
            {
                "kind": "youtube#commentThread",
                "id": "T1",
                "snippet": {
                    "videoId": "vid12345678",
                    "topLevelComment": comment("T1", "top & level", videoId="vid12345678"),
                    "totalReplyCount": 4,
                },
                "replies": {
                    "comments": [
                        comment("T1.r1", "first reply", "T1", authorDisplayName="Plain Name"),
                        # An embedded reply without parentId still answers T1.
                        comment("T1.r2", "second reply"),
                        "junk",
                    ]
                },
            },
            {"kind": "youtube#commentThread", "id": "T2", "snippet": {"videoId": "v"}},
            None,
        ],
    }
    ctx = ParseContext()
    rows = parse_comment_threads(page, ctx)
    assert [(r["reply_id"], r["parent_id"], r["depth"]) for r in rows] == [
        ("T1", "vid12345678", 1),
        ("T1.r1", "T1", 2),
        ("T1.r2", "T1", 2),
    ]
    top, first = rows[0], rows[1]
    # textOriginal wins over the HTML textDisplay.
    assert top["text"] == "top & level"
    assert top["author_handle"] == "some-handle" and top["author_name"] == "@some-handle"
    assert top["reply_count"] == 4 and "reply_count" not in first
    assert first["author_handle"] is None and first["author_name"] == "Plain Name"
    assert first["thread_native_id"] == "vid12345678"
    assert first["url"] == "https://www.youtube.com/watch?v=vid12345678&lc=T1.r1"
    assert ctx.notes == {
        "youtube: unusable comment": 1,
        "youtube: thread without topLevelComment": 1,
        "youtube: unusable comment thread": 1,
        "youtube: replies not in file (totalReplyCount > embedded)": 1,
    }
    assert threads_needing_replies(page) == [("T1", 4, 3)]
    # A single commentThread item (a saved items[] array element) works too.
    assert len(parse_comment_threads(page["items"][0], ParseContext())) == 3


def test_comment_list_replies_take_video_from_thread_option() -> None:
    page = {
        "kind": "youtube#commentListResponse",
        "items": [
            comment("P.a", "reply a", "P", textOriginal=None, textDisplay="a<br>b\ufeff"),
            comment("P.b", "reply b", "P", authorChannelId="UCbare"),
            {"kind": "youtube#comment", "id": "no-snippet"},
        ],
    }
    ctx = ParseContext(thread="https://youtu.be/dQw4w9WgXcQ?t=3")
    rows = parse_comment_list(page, ctx)
    assert [(r["reply_id"], r["parent_id"], r["depth"]) for r in rows] == [
        ("P.a", "P", 2),
        ("P.b", "P", 2),
    ]
    assert rows[0]["text"] == "a\nb"
    assert rows[0]["thread_native_id"] == "dQw4w9WgXcQ"
    assert rows[1]["author_id"] == "UCbare"
    assert ctx.notes == {"youtube: unusable comment": 1}
    # Without a video id the rows still parse; thread and URL stay empty.
    bare = parse_comment_list(page, ParseContext())
    assert bare[0]["thread_native_id"] is None and bare[0]["url"] is None


def test_downloader_edge_cases() -> None:
    ctx = ParseContext(thread="abcdefghijk")
    line = {"cid": "Ugx1", "text": "t", "time": "2 hours ago", "author": "A", "votes": "1.2K"}
    [row] = parse_downloader(line, ctx)
    assert (row["parent_id"], row["depth"], row["like_count"]) == ("abcdefghijk", 1, "1.2K")
    assert row["created_at"] == "2 hours ago" and row["author_id"] is None
    # time_parsed: null falls back to the raw relative time.
    [row] = parse_downloader({**line, "time_parsed": None}, ctx)
    assert row["created_at"] == "2 hours ago"
    # reply: true without a dotted cid: a reply whose parent is unknown.
    [row] = parse_downloader({**line, "reply": True}, ctx)
    assert (row["parent_id"], row["depth"]) == (None, 2)
    assert parse_downloader({"text": "no cid"}, ctx) == []
    assert ctx.notes == {"youtube: downloader line without cid": 1}
    assert parse_downloader([], ctx) == []


@pytest.mark.parametrize(
    "record", [None, "x", 1, [], {}, {"kind": "youtube#commentThreadListResponse"}]
)
def test_malformed_pages_give_no_rows(record: object) -> None:
    assert parse_comment_threads(record, ParseContext()) == []
    assert parse_comment_list(record, ParseContext()) == []
    assert threads_needing_replies(record) == []


def test_video_id_from() -> None:
    assert video_id_from("ScMzIvxBSi4") == "ScMzIvxBSi4"
    assert video_id_from("https://www.youtube.com/watch?v=ScMzIvxBSi4&t=1") == "ScMzIvxBSi4"
    assert video_id_from("youtube.com/watch?v=ScMzIvxBSi4") == "ScMzIvxBSi4"
    assert video_id_from("https://youtu.be/ScMzIvxBSi4") == "ScMzIvxBSi4"
    assert video_id_from("https://www.youtube.com/shorts/ScMzIvxBSi4") == "ScMzIvxBSi4"
    assert video_id_from("https://www.youtube.com/@someone") is None
    assert video_id_from(None) is None
    assert comment_url("v", None) is None


def test_detect() -> None:
    for rel, record in first_records().items():
        assert accepted_by(record) == expected_formats(rel), rel
    assert accepted_by({"kind": "youtube#commentListResponse", "items": []}) == {
        "youtube-api-comments"
    }
    assert accepted_by(comment("x", "y")) == {"youtube-api-comments"}
    assert accepted_by({"kind": "youtube#commentThread"}) == {"youtube-api-commentthreads"}
    # TikTok scrapers also use cid/text; without time/author/votes it is not ours.
    assert accepted_by({"cid": "1", "text": "t", "createTime": 1, "diggCount": 2}) == set()


# --- youtube-comment-downloader's computed times, imported: no dates -------------


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
    path = write_file(tmp_path, "yt.json", ndjson(line, {**line, "cid": "UgzBBB", "reply": False}))
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert query(db, "SELECT DISTINCT created_at FROM replies") == [(None,)]
    assert "2 dates were relative" in " ".join(lines)
    [(payload,)] = query(db, "SELECT payload FROM raw_records WHERE record_no = 1")
    assert json.loads(payload)["time_parsed"] == 1671850370.01851


@pytest.mark.samples
def test_youtube_downloader_2023_sample_has_relative_times_only(store: Store) -> None:
    path = next(sample("youtube").glob("youtube-comment-downloader_2023_*.json"))
    result = import_file(store, path, ImportOptions())
    assert result.first is None and result.last is None
    assert result.notes.get("relative_times") == result.added
