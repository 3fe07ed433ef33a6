"""The Instagram/Facebook/TikTok JSON formats (collectors.formats.social_json), and comments
without text (GIF, sticker) rejected on import with the true reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from collectors.files import ImportOptions, import_file
from collectors.formats import social_json as sj
from collectors.model import ParseContext, RawReply
from store import Store
from tests.conftest import FIXTURES, sample
from tests.import_helpers import cli_import, query, write_file

IG_SAMPLE = "instagram/apify-instagram-comment-scraper_comments.jsonl"
FB_XLSX_SAMPLE = "facebook/apify-facebook-comments-scraper_2024-04-25_15-10-54-200_benin-pages.xlsx"
TT_SAMPLE = "tiktok/apify-tiktok-comments-scraper_2025-05-25_kumparan-video.json"
DYI_SAMPLE = "facebook/facebook-dyi-export_comments_v2_tiny-mojibake.json"

# JSON samples of the other formats; none of our detectors may accept them.
OTHER_JSON_SAMPLES = (
    "twitter/apify-tweet-scraper-v2_dataset_2025-11-23_08-41-43-867.json",
    "twitter/snscrape-jsonl_2021-content_relax-hashtag.json",
    "twitter/snscrape-jsonl_2022-rawContent_elon-musk-2011-search.json",
    "twitter/twarc1-replies_api-v1.1-extended_replies-to-1329503762583531526.jsonl",
    "twitter/twarc2-search-page_api-v2_noflat.jsonl",
    "twitter/twarc2-search-page_dfw_bro_source-of-csv.jsonl",
    "twitter/twitter-archive_data-tweets.js_smithjd_first600.js",
    "bluesky/getPostThread_response_170-replies.json",
    "bluesky/getPostThread_response_simple-1-reply-threadgate.json",
    "mastodon/mastodon-api-v1-statuses-context_fosstodon_114027213608365869_ancestors-only.json",
    "mastodon/mastodon-api-v1-statuses-context_mastodon.social_109294719267373593.json",
    "reddit/pushshift-dump_comments_r-ufc-2018.ndjson",
    "reddit/reddit-api_comments-listing_r-SpainPolitics_thread17.json",
    "youtube/youtube-comment-downloader_2021_ScMzIvxBSi4_urdu-relative-times.ndjson.json",
    "youtube/youtube-comment-downloader_2023_ScMzIvxBSi4.ndjson.json",
    "youtube/youtube-data-api-v3_commentThreads_wtLJPvx7-ys.json",
)

DETECTORS = {f.name: f.detect for f in sj.FORMATS}


def load_records(path: Path, limit: int | None = None) -> list[Any]:
    """Top-level records as the reader yields them: array items, NDJSON lines or the object."""
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("window.YTD"):
        text = text.split("=", 1)[1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        records = data if isinstance(data, list) else [data]
    return records[:limit] if limit is not None else records


def parse_all(fmt_parse: Any, records: list[Any], ctx: ParseContext) -> list[RawReply]:
    """Parse every record with one parser and concatenate the rows."""
    return [row for record in records for row in fmt_parse(record, ctx)]


def by_id(rows: list[RawReply], reply_id: str) -> RawReply:
    """The one row with this reply_id."""
    found = [r for r in rows if r.get("reply_id") == reply_id]
    assert len(found) == 1, f"{reply_id}: {len(found)} rows"
    return found[0]


def test_registry() -> None:
    assert [f.name for f in sj.FORMATS] == [
        "apify-instagram-comments",
        "apify-facebook-comments",
        "apify-tiktok-comments",
        "facebook-dyi-comments",
    ]
    assert {f.name: f.platform for f in sj.FORMATS} == {
        "apify-instagram-comments": "instagram",
        "apify-facebook-comments": "facebook",
        "apify-tiktok-comments": "tiktok",
        "facebook-dyi-comments": "facebook",
    }


# ---------------------------------------------------------------------------
# Instagram
# ---------------------------------------------------------------------------


@pytest.mark.samples
def test_instagram_sample() -> None:
    records = load_records(sample(IG_SAMPLE))
    assert len(records) == 267
    assert all(sj.detect_apify_instagram(r) for r in records)
    ctx = ParseContext()
    rows = parse_all(sj.parse_apify_instagram, records, ctx)
    assert len(rows) == 270
    assert Counter(r["depth"] for r in rows) == {1: 267, 2: 3}
    assert len({r["thread_native_id"] for r in rows}) == 19
    # Seven GIF comments have empty text; the rows are made (the importer
    # rejects them: nothing to analyse) and counted.
    assert ctx.notes == {"instagram comment without text (GIF): rejected, no text to analyse": 7}

    top = by_id(rows, "18104610508835486")
    assert top["text"] == "Está guapisimo. VAMOOOOS 😍👏"
    assert top["author_handle"] == "ekaitzgilf1"
    assert top["like_count"] == 83
    assert top["reply_count"] == 2
    assert top["created_at"] == "2026-02-09T10:39:32.000Z"
    assert top["thread_native_id"] == "DUiKuzejPJx"
    assert top["parent_id"] == "DUiKuzejPJx"
    assert top["depth"] == 1
    assert top["url"] == "https://www.instagram.com/p/DUiKuzejPJx/c/18104610508835486"

    reply = by_id(rows, "18037922546746408")
    assert reply["text"] == "@ekaitzgilf1 Nos alegra que os guste. 💚"
    assert reply["author_handle"] == "astonmartinf1"
    assert reply["author_id"] == "314709045"
    assert reply["like_count"] == 9
    assert reply["created_at"] == "2026-02-09T15:32:01.000Z"
    assert reply["parent_id"] == "18104610508835486"
    assert reply["thread_native_id"] == "DUiKuzejPJx"
    assert reply["thread_url"] == "https://www.instagram.com/p/DUiKuzejPJx/"
    assert reply["depth"] == 2
    assert reply["url"] is None  # nested replies carry no commentUrl


def test_instagram_mini_payload() -> None:
    record = {
        "postUrl": "https://www.instagram.com/reel/AbC_12-x/",
        "commentUrl": "https://www.instagram.com/reel/AbC_12-x/c/111",
        "id": 111,
        "text": "top",
        # Only the nested owner.username and snake_case counts (other actors).
        "owner": {"id": 9007199254740993, "username": "alice", "full_name": "Alice A"},
        "timestamp": "2024-01-01T00:00:00.000Z",
        "likes_count": "1.2K",
        "replies_count": 2,
        "replies": [
            {"id": "112", "text": "", "ownerUsername": "bob", "timestamp": 1700000000},
            "not an object",
            {
                "id": "113",
                "text": "deeper",
                "ownerUsername": "carol",
                "owner": None,
                "replies": [{"id": "114", "text": "deepest", "ownerUsername": "dan"}],
            },
        ],
    }
    assert sj.detect_apify_instagram(record)
    ctx = ParseContext()
    rows = sj.parse_apify_instagram(record, ctx)
    assert [r["reply_id"] for r in rows] == ["111", "112", "113", "114"]
    assert [r["depth"] for r in rows] == [1, 2, 2, 3]
    assert [r["parent_id"] for r in rows] == ["AbC_12-x", "111", "111", "113"]
    assert {r["thread_native_id"] for r in rows} == {"AbC_12-x"}
    top = rows[0]
    assert top["author_handle"] == "alice"
    assert top["author_name"] == "Alice A"
    assert top["author_id"] == "9007199254740993"  # exact, never via float
    assert top["like_count"] == "1.2K"
    assert top["reply_count"] == 2
    assert rows[1]["created_at"] == 1700000000
    assert rows[2]["author_name"] is None
    assert ctx.notes == {
        "instagram comment without text (GIF): rejected, no text to analyse": 1,
        "instagram reply that is not an object skipped": 1,
    }


def test_instagram_old_scraper_item_and_garbage() -> None:
    # apify/instagram-scraper "comments" items: postId shortcode, flat owner keys.
    old = {
        "id": "17900515570488496",
        "postId": "BwrsO1Bho2N",
        "text": "nice",
        "timestamp": "2020-06-07T12:54:20.000Z",
        "ownerId": "5319127183",
        "ownerUsername": "someone",
        "ownerProfilePicUrl": "https://example.invalid/p.jpg",
    }
    assert sj.detect_apify_instagram(old)
    (row,) = sj.parse_apify_instagram(old, ParseContext())
    assert row["thread_native_id"] == "BwrsO1Bho2N"
    assert row["parent_id"] == "BwrsO1Bho2N"
    assert row["author_id"] == "5319127183"
    assert row["thread_url"] is None
    # An Instagram *post* item is not a comment.
    post = {
        "id": "3687361308854381515",
        "shortCode": "DMsI5LsyOvL",
        "url": "https://www.instagram.com/p/DMsI5LsyOvL/",
        "caption": "hello",
        "ownerUsername": "someone",
        "commentsCount": 3,
    }
    assert not sj.detect_apify_instagram(post)
    assert sj.parse_apify_instagram("text", ParseContext()) == []
    assert sj.instagram_shortcode("https://www.instagram.com/someone/p/XyZ/") == "XyZ"
    assert sj.instagram_shortcode(None) is None


# ---------------------------------------------------------------------------
# Facebook (Apify)
# ---------------------------------------------------------------------------


def _xlsx_records(path: Path) -> list[dict[str, Any]]:
    """The XLSX rows as the JSON items they came from (empty cells = absent keys)."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["Data"].iter_rows(values_only=True))
    header = rows[0]
    return [{k: v for k, v in zip(header, row, strict=False) if v is not None} for row in rows[1:]]


@pytest.mark.samples
def test_facebook_sample_xlsx_rows_through_json_parser() -> None:
    # The real sample is the actor's XLSX; read as dicts it is the JSON shape.
    path = sample(FB_XLSX_SAMPLE)
    records = _xlsx_records(path)
    assert len(records) == 200
    assert all(sj.detect_apify_facebook(r) for r in records)
    ctx = ParseContext()
    rows = parse_all(sj.parse_apify_facebook, records, ctx)
    assert len(rows) == 200
    # threadingDepth: empty 131, 1 -> 28, 2 -> 41 (the 69 replies).
    assert Counter(r["depth"] for r in rows) == {1: 131, 2: 28, 3: 41}
    assert len({r["thread_native_id"] for r in rows}) == 6
    assert ctx.notes == {
        "facebook comment without text (sticker/GIF): rejected, no text to analyse": 9
    }
    ids = {r["reply_id"] for r in rows}
    for r in rows:
        assert r["parent_id"] in ids or r["parent_id"] == r["thread_native_id"]

    reply = by_id(rows, "Y29tbWVudDoyNDA3NTAxMjQ5NDg2MjdfMTY0OTU0MjgxODc5MzQzNw==")
    assert reply["text"].startswith("Rodrigue Soumari Séké Florent est vraiment")
    assert reply["author_name"] == "Fréjus Ahononga"
    assert reply["author_handle"] is None
    assert reply["author_id"] == "100073785346931"
    assert reply["like_count"] == 1
    assert reply["created_at"] == "2023-01-24T23:29:43.000Z"
    assert reply["parent_id"] == "Y29tbWVudDoyNDA3NTAxMjQ5NDg2MjdfMzQyMzQ2MjA0MTI3MTc0Mg=="
    assert reply["thread_native_id"] == "240750124948627"
    assert reply["depth"] == 3
    assert reply["url"].endswith("?comment_id=1649542818793437")
    # Facebook attaches a reply-to-a-reply to the top-level comment: the
    # parent given is depth 1 although threadingDepth says 2.
    assert by_id(rows, reply["parent_id"])["depth"] == 1

    top = by_id(rows, "Y29tbWVudDo4NTMzMDU0NTY4MzY1ODFfMzQ3NTExMTY4MzI0MzI2")
    assert top["author_name"] == "Mafous Djima II"
    assert top["depth"] == 1
    assert top["parent_id"] == "853305456836581"
    assert top["thread_native_id"] == "853305456836581"
    assert top["created_at"] == "2024-04-20T18:36:56.000Z"


@pytest.mark.samples
def test_facebook_field_map_matches_xlsx_header() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(sample(FB_XLSX_SAMPLE), read_only=True)
    header = next(wb["Data"].iter_rows(values_only=True))
    assert set(sj.APIFY_FACEBOOK_FIELDS.values()) <= set(header)


def test_facebook_fixture() -> None:
    records = json.loads((FIXTURES / "social_apify_facebook_comments.json").read_text("utf-8"))
    assert all(sj.detect_apify_facebook(r) for r in records)
    ctx = ParseContext()
    rows = parse_all(sj.parse_apify_facebook, records, ctx)
    assert len(rows) == 4
    alice, bob, carol, dan = rows
    assert alice["reply_id"] == "Y29tbWVudDo0MTAwMDAwMDAwMDAwMDAxXzUyMDAwMDAwMDAwMDAwMDE="
    assert alice["depth"] == 1
    assert alice["parent_id"] == alice["thread_native_id"] == "4100000000000001"
    assert alice["thread_url"] == "https://www.facebook.com/examplepage/posts/pfbid0ExamplePostAAAA"
    assert alice["text"] == "Top-level comment &amp; an entity left alone"
    assert alice["like_count"] == "14"
    assert alice["reply_count"] == 2
    assert alice["author_handle"] is None
    assert alice["author_name"] == "Alice Example"
    assert alice["author_id"] == "pfbid0AliceExample"
    assert alice["created_at"] == "2024-03-01T10:00:00.000Z"
    assert (bob["depth"], bob["parent_id"]) == (2, alice["reply_id"])
    assert (carol["depth"], carol["parent_id"]) == (3, bob["reply_id"])
    assert carol["reply_count"] is None
    # No facebookId: the post id comes from the URL, for thread and parent alike.
    assert dan["thread_native_id"] == dan["parent_id"] == "pfbid0OtherPostBBBB"
    assert dan["depth"] == 1
    assert dan["url"] is None
    assert dan["author_id"] is None
    assert ctx.notes == {}


def test_facebook_nested_comments_and_edges() -> None:
    record = {
        "facebookUrl": "https://www.facebook.com/page/videos/123456/",
        "id": "c1",
        "text": "top",
        "profileName": "P",
        "commentUrl": "https://www.facebook.com/page/videos/123456/?comment_id=1",
        "comments": [{"id": "c2", "text": "child", "profileName": "Q"}, 7],
    }
    assert sj.detect_apify_facebook(record)
    ctx = ParseContext()
    rows = sj.parse_apify_facebook(record, ctx)
    assert [(r["reply_id"], r["parent_id"], r["depth"]) for r in rows] == [
        ("c1", "123456", 1),
        ("c2", "c1", 2),
    ]
    assert ctx.notes == {"facebook reply that is not an object skipped": 1}
    assert sj.parse_apify_facebook(None, ParseContext()) == []
    assert sj.facebook_post_id("https://www.facebook.com/groups/1/permalink/99/") == "99"
    assert sj.facebook_post_id("https://www.facebook.com/photo/?fbid=42&set=a.1") == "42"
    assert sj.facebook_post_id("https://www.facebook.com/someone") is None
    # A Facebook *post* scraper item (no comment keys) is not a comment.
    post = {"facebookUrl": "u", "facebookId": "1", "text": "post", "user": {"name": "n"}}
    assert not sj.detect_apify_facebook(post)


# ---------------------------------------------------------------------------
# TikTok
# ---------------------------------------------------------------------------


@pytest.mark.samples
def test_tiktok_sample() -> None:
    records = load_records(sample(TT_SAMPLE))
    assert len(records) == 500
    assert all(sj.detect_apify_tiktok(r) for r in records)
    ctx = ParseContext()
    rows = parse_all(sj.parse_apify_tiktok, records, ctx)
    assert len(rows) == 500
    assert {r["depth"] for r in rows} == {1}
    assert {r["thread_native_id"] for r in rows} == {"7507890376124992786"}
    assert ctx.notes == {}

    row = by_id(rows, "7507899910831096597")
    assert row["text"] == (
        "yang kaya makin kaya\nyang miskin dapat bantuan\nyang menengah nangis dipojokan😩"
    )
    assert row["author_handle"] == "carljst"
    assert row["author_id"] == "6874024900040737793"
    assert row["like_count"] == 643
    assert row["reply_count"] == 30
    assert row["created_at"] == "2025-05-24T06:46:19.000Z"
    assert row["parent_id"] == "7507890376124992786"
    assert row["thread_url"] == "https://www.tiktok.com/@kumparan/video/7507890376124992786"
    assert row["url"] == row["thread_url"]


def test_tiktok_mini_payload() -> None:
    top = {
        "videoWebUrl": "https://www.tiktok.com/@someone/video/7000000000000000001",
        "cid": 7000000000000000123,
        "createTime": 1748132065,
        "text": "hi",
        "diggCount": 5,
        "repliesToId": None,
        "replyCommentTotal": 1,
        "uid": "42",
        "uniqueId": "someone_else",
    }
    reply = {
        "submittedVideoUrl": "https://www.tiktok.com/@someone/video/7000000000000000001",
        "cid": "7000000000000000124",
        "createTimeISO": "2025-05-25T00:14:25.000Z",
        "createTime": 1748132065,
        "text": "re",
        "diggCount": None,
        "repliesToId": "7000000000000000123",
        "uniqueId": "third",
    }
    assert sj.detect_apify_tiktok(top) and sj.detect_apify_tiktok(reply)
    ctx = ParseContext()
    (a,) = sj.parse_apify_tiktok(top, ctx)
    (b,) = sj.parse_apify_tiktok(reply, ctx)
    assert a["reply_id"] == "7000000000000000123"  # exact big int
    assert (a["depth"], a["parent_id"]) == (1, "7000000000000000001")
    assert a["created_at"] == 1748132065
    assert (b["depth"], b["parent_id"]) == (2, "7000000000000000123")
    assert b["thread_native_id"] == "7000000000000000001"
    assert b["created_at"] == "2025-05-25T00:14:25.000Z"
    assert b["like_count"] is None
    assert b["author_id"] is None
    # No video URL at all: no thread, parent unknown for a top-level comment.
    (c,) = sj.parse_apify_tiktok({"cid": "1", "text": "x", "diggCount": 0, "uniqueId": "u"}, ctx)
    assert c["thread_native_id"] is None and c["parent_id"] is None
    assert sj.parse_apify_tiktok({"cid": None, "diggCount": 1, "uniqueId": "u"}, ctx) == []
    assert ctx.notes == {"tiktok comment without cid or text skipped": 1}


# ---------------------------------------------------------------------------
# Facebook DYI
# ---------------------------------------------------------------------------


@pytest.mark.samples
def test_facebook_dyi_sample() -> None:
    (record,) = load_records(sample(DYI_SAMPLE))
    assert sj.detect_facebook_dyi(record)
    ctx = ParseContext()
    rows = sj.parse_facebook_dyi(record, ctx)
    assert len(rows) == 3
    assert ctx.notes == {"facebook DYI entry without data skipped": 3}
    first = rows[0]
    assert first["reply_id"] is None
    assert first["text"] == "davs :i"
    assert first["author_name"] == "Gustav Johansen"
    assert first["created_at"] == 1257938047
    assert first["parent_author"] == "Anders Jacobsen"
    assert "thread_native_id" not in first and "depth" not in first
    # The mojibake entry is returned raw ("TØS" as UTF-8 bytes read as latin-1);
    # the normaliser repairs it, not the parser.
    mojibake = rows[2]
    assert mojibake["text"] == "T\u00c3\u0098S\n"
    assert mojibake["text"].encode("latin-1").decode("utf-8") == "TØS\n"
    assert mojibake["parent_author"] == "Martin Levin Lembrecht"
    assert mojibake["created_at"] == 1264260229


def test_facebook_dyi_mini_payload_old_key() -> None:
    record = {
        "comments": [
            {
                "timestamp": 1500000000,
                "data": [{"comment": {"comment": "hello", "author": "Jo Doe"}}],
                "title": "Jo Doe commented on Sam Smith's post.",
            },
            {
                "timestamp": 1500000100,
                "data": [
                    {"comment": {"timestamp": 1500000101, "comment": "me", "author": "Jo Doe"}},
                    {"external_context": {"url": "https://example.invalid"}},
                ],
                "title": "Jo Doe replied to her own comment.",
            },
            {"timestamp": 1500000200, "title": "Jo Doe commented on a post."},
            {"timestamp": 1500000300, "data": [{"comment": {"comment": "x"}}], "title": None},
            "junk",
        ]
    }
    assert sj.detect_facebook_dyi(record)
    ctx = ParseContext()
    rows = sj.parse_facebook_dyi(record, ctx)
    assert [r["text"] for r in rows] == ["hello", "me", "x"]
    # The entry's timestamp stands in when the comment has none.
    assert [r["created_at"] for r in rows] == [1500000000, 1500000101, 1500000300]
    assert [r["parent_author"] for r in rows] == ["Sam Smith", "Jo Doe", None]
    assert rows[2]["author_name"] is None
    assert ctx.notes == {
        "facebook DYI data item without comment text skipped": 1,
        "facebook DYI entry without data skipped": 1,
        "facebook DYI entry that is not an object skipped": 1,
    }
    assert sj.detect_facebook_dyi({"comments_v2": []})
    assert sj.parse_facebook_dyi({"comments_v2": []}, ctx) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("A B commented on C D's post.", "C D"),
        ("A B commented on James' photo.", "James"),
        ("A B commented on C's profile picture.", "C"),
        ("A B commented on his own post.", "A B"),
        ("A B commented on a post.", None),
        ("A B replied to C's comment on D's post.", None),
        ("A B har kommenteret Anders Jacobsens opslag.", "Anders Jacobsen"),
        ("A B har kommenteret Hans' billede.", "Hans"),
        ("A B har kommenteret sit eget opslag.", "A B"),
        ("A B har kommenteret et opslag.", None),
        ("Ein Titel in einer anderen Sprache.", None),
        (None, None),
    ],
)
def test_dyi_parent_author(title: str | None, expected: str | None) -> None:
    assert sj.dyi_parent_author(title, "A B") == expected


# ---------------------------------------------------------------------------
# Detection: no format steals another's records, nothing raises
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 0, 1.5, "text", [], [{"id": 1}], {}, {"comments": 3}])
def test_detectors_reject_odd_values(value: Any) -> None:
    for name, detect in DETECTORS.items():
        assert detect(value) is False, name


@pytest.mark.samples
@pytest.mark.parametrize("rel", OTHER_JSON_SAMPLES)
def test_detectors_reject_other_samples(rel: str) -> None:
    for record in load_records(sample(rel), limit=5):
        for name, detect in DETECTORS.items():
            assert not detect(record), f"{name} accepted a record of {rel}"


@pytest.mark.samples
def test_detectors_reject_each_other() -> None:
    own = {
        "apify-instagram-comments": load_records(sample(IG_SAMPLE), limit=5),
        "apify-tiktok-comments": load_records(sample(TT_SAMPLE), limit=5),
        "facebook-dyi-comments": load_records(sample(DYI_SAMPLE)),
        "apify-facebook-comments": json.loads(
            (FIXTURES / "social_apify_facebook_comments.json").read_text("utf-8")
        ),
    }
    for owner, records in own.items():
        for name, detect in DETECTORS.items():
            for record in records:
                assert detect(record) is (name == owner), (name, owner)


# ---------------------------------------------------------------------------
# Comments without text (GIF, sticker), imported: rejected, and said so truly
# ---------------------------------------------------------------------------


def test_instagram_gif_reply_rejected_truthfully(tmp_path: Path) -> None:
    item = {
        "id": "111",
        "postUrl": "https://www.instagram.com/p/AbC/",
        "commentUrl": "https://www.instagram.com/p/AbC/c/111",
        "text": "a real comment",
        "ownerUsername": "alice",
        "replies": [{"id": "112", "text": "", "ownerUsername": "bob"}],
    }
    path = write_file(tmp_path, "ig.json", [item])
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    [(locator, reason, raw)] = query(db, "SELECT locator, reason, raw FROM rejects")
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
    path = write_file(tmp_path, "fb.json", records)
    code, lines, db = cli_import(tmp_path, path)
    assert code == 0, lines
    assert query(db, "SELECT locator, reason FROM rejects") == [
        ("item 2", "no text: sticker/GIF-only reply")
    ]
    assert "(sticker/GIF): rejected, no text to analyse: 1" in " ".join(lines)


@pytest.mark.samples
def test_instagram_sample_gif_rejects(store: Store) -> None:
    path = next(sample("instagram").glob("*.jsonl"))
    result = import_file(store, path, ImportOptions())
    reasons = store.con.execute(
        "SELECT DISTINCT reason FROM rejects WHERE run_id = ?", [result.run_id]
    ).fetchall()
    assert reasons == [("no text: GIF-only reply",)]
    assert result.rejected == 7
