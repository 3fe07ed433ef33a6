"""Tests for the X/Twitter JSON-shaped formats (collectors/formats/x_json.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collectors.formats.x_json import FORMATS
from collectors.model import ParseContext, RawReply
from tests.conftest import FIXTURES, sample

FMT = {f.name: f for f in FORMATS}


def load_records(path: Path) -> list[Any]:
    """Top-level records the way the reader hands them to formats."""
    raw = path.read_text(encoding="utf-8-sig")
    if raw.lstrip().startswith("window."):  # tweets.js: strip `window.YTD... =`
        raw = raw[raw.index("=") + 1 :]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    return value if isinstance(value, list) else [value]


def parse_all(name: str, records: list[Any], ctx: ParseContext | None = None) -> list[RawReply]:
    """Rows of every record through one format."""
    ctx = ctx if ctx is not None else ParseContext()
    return [row for rec in records for row in FMT[name].parse(rec, ctx)]


def by_id(rows: list[RawReply], reply_id: str) -> RawReply:
    """The one row with this reply_id."""
    (row,) = [r for r in rows if r.get("reply_id") == reply_id]
    return row


def test_registry() -> None:
    assert [f.name for f in FORMATS] == [
        "apify-tweet-scraper-v2",
        "twarc1",
        "twarc2",
        "twarc2-flat",
        "snscrape",
        "twitter-archive",
    ]
    assert all(f.platform == "x" and f.description for f in FORMATS)


# ---------------------------------------------------------------- real samples

APIFY = "twitter/apify-tweet-scraper-v2_dataset_2025-11-23_08-41-43-867.json"
TWARC1 = "twitter/twarc1-replies_api-v1.1-extended_replies-to-1329503762583531526.jsonl"
NOFLAT = "twitter/twarc2-search-page_api-v2_noflat.jsonl"
DFW = "twitter/twarc2-search-page_dfw_bro_source-of-csv.jsonl"
SNS2022 = "twitter/snscrape-jsonl_2022-rawContent_elon-musk-2011-search.json"
SNS2021 = "twitter/snscrape-jsonl_2021-content_relax-hashtag.json"
ARCHIVE = "twitter/twitter-archive_data-tweets.js_smithjd_first600.js"


@pytest.mark.samples
def test_apify_sample() -> None:
    records = load_records(sample(APIFY))
    rows = parse_all("apify-tweet-scraper-v2", records)
    assert len(records) == len(rows) == 10
    assert sum(bool(r.get("is_root")) for r in rows) == 7
    assert sum(r.get("parent_id") is not None for r in rows) == 3
    row = by_id(rows, "1992352125737984261")
    assert row["author_handle"] == "perfectrose2011"
    assert row["text"].startswith("@allenanalysis When one considers during the years")
    assert row["like_count"] == 35
    assert row["created_at"] == "Sat Nov 22 21:58:57 +0000 2025"
    assert row["parent_id"] == row["thread_native_id"] == "1992308482192572603"
    assert row["depth"] == 1
    assert row["parent_author"] == "allenanalysis"
    assert row["repost_count"] == 7
    assert row["url"] == "https://x.com/perfectrose2011/status/1992352125737984261"


@pytest.mark.samples
def test_twarc1_sample() -> None:
    records = load_records(sample(TWARC1))
    rows = parse_all("twarc1", records)
    assert len(rows) == 428
    root = rows[0]
    assert root["is_root"] is True and root["author_handle"] == "moallemi"
    assert root["reply_id"] == root["thread_native_id"] == "1329503762583531526"
    # display_text_range drops the attached-media link at the end
    assert root["text"].endswith("https://t.co/WNw29hjoQw)")
    replies = rows[1:]
    assert all(r["parent_id"] == r["thread_native_id"] == "1329503762583531526" for r in replies)
    assert all(not r.get("is_root") and r["parent_author"] == "moallemi" for r in replies)
    # only one reply keeps a mention: the one its author typed as the content
    assert [r["text"] for r in replies if r["text"].startswith("@")] == ["@Hosseinyekeh"]
    row = by_id(rows, "1329712652084514816")
    assert row["text"] == "حالا چرا ۲۵ اردیبهشت؟ چرا ۲۶ شهریور نه؟"
    assert row["author_handle"] == "mohamad_nateghi"
    assert row["author_id"] == "43098237"
    assert row["like_count"] == 1
    assert row["created_at"] == "Fri Nov 20 09:06:15 +0000 2020"
    assert "depth" not in row  # v1.1 cannot tell the depth
    assert root["like_count"] == 138
    # a chain of two leading mentions is stripped too
    assert by_id(rows, "1329671456704368641")["text"] == "3"


@pytest.mark.samples
def test_twarc2_noflat_sample() -> None:
    records = load_records(sample(NOFLAT))
    assert len(records) == 1
    ctx = ParseContext()
    rows = parse_all("twarc2", records, ctx)
    data_rows, included_roots = rows[:100], rows[100:]
    assert sum(r.get("parent_id") is not None for r in data_rows) == 31
    # conversation roots found in includes.tweets, one row each
    assert len(included_roots) == 16
    assert all(r["is_root"] for r in included_roots)
    assert ctx.notes["x: twarc2 page errors (missing referenced items)"] == 1
    row = by_id(rows, "1380242318188494850")
    assert row["text"] == "@_alex_joshua Barack Obama 2004 or Barbara Jordan 1976"
    assert row["author_handle"] == "un_a_valeable" and row["author_name"] == "Reconstructionist"
    assert row["like_count"] == 1
    assert row["created_at"] == "2021-04-08T19:33:06.000Z"
    assert row["parent_id"] == row["thread_native_id"] == "1380010236363300872"
    assert row["depth"] == 1
    deeper = by_id(rows, "1380242586288328707")
    assert deeper["parent_id"] == "1380229267770933248"
    assert deeper["thread_native_id"] == "1380220754978086917"
    assert "depth" not in deeper


@pytest.mark.samples
def test_twarc2_dfw_sample() -> None:
    rows = parse_all("twarc2", load_records(sample(DFW)))
    assert len(rows) == 33  # 30 results + 3 conversation roots from includes
    assert sum(r.get("parent_id") is not None for r in rows[:30]) == 6
    row = by_id(rows, "1412360883582418945")
    assert row["author_handle"] == "JeyyLowe"
    assert row["text"].startswith("@TomKealy2 @aveek18 @maybeavalon Imo the great")
    assert row["like_count"] == 2 and row["reply_count"] == 2
    assert row["created_at"] == "2021-07-06T10:40:49.000Z"
    assert row["parent_id"] == "1412360683237355524"
    assert row["thread_native_id"] == "1412043478301880331"
    assert row["parent_author"] == "TomKealy2"


@pytest.mark.samples
def test_snscrape_2022_sample() -> None:
    records = load_records(sample(SNS2022))
    rows = parse_all("snscrape", records)
    assert len(rows) == 295
    assert sum(r.get("parent_id") is not None for r in rows) == 25
    assert sum(bool(r.get("is_root")) for r in rows) == 267
    row = by_id(rows, "95665657215062017")  # above 2^53, still exact
    assert row["text"].startswith("@jradruss A. Elon Musk B. Raphael Lempkin")
    assert row["author_handle"] == "ktransier" and row["author_id"] == "255370666"
    assert row["like_count"] == 0
    assert row["created_at"] == "2011-07-26T01:24:04+00:00"
    assert row["parent_id"] == row["thread_native_id"] == "95657438937755649"
    assert row["depth"] == 1
    assert row["parent_author"] == "jasonrussell"
    # replies to deleted tweets: in a conversation, no parent, not roots
    orphan = by_id(rows, "95636582995984384")
    assert orphan["thread_native_id"] == "95636144775114752"
    assert "parent_id" not in orphan and not orphan.get("is_root")


@pytest.mark.samples
def test_snscrape_2021_sample() -> None:
    rows = parse_all("snscrape", load_records(sample(SNS2021)))
    assert len(rows) == 100
    assert sum(r.get("parent_id") is not None for r in rows) == 5
    row = by_id(rows, "1278103455522009088")
    assert row["text"].startswith("@AnneScottlin Beautiful quote and video")  # `content`
    assert row["author_handle"] == "hindustanse"
    assert row["like_count"] == 6
    assert row["created_at"] == "2020-06-30T23:09:44+00:00"
    assert row["parent_id"] == row["thread_native_id"] == "1278101491463512065"
    assert row["depth"] == 1


@pytest.mark.samples
def test_twitter_archive_sample() -> None:
    records = load_records(sample(ARCHIVE))
    assert len(records) == 600
    ctx = ParseContext(meta={"archive_owner": "smithjd"})
    rows = parse_all("twitter-archive", records, ctx)
    assert len(rows) == 600
    assert sum(r.get("parent_id") is not None for r in rows) == 45
    assert sum(bool(r.get("is_root")) for r in rows) == 555
    assert ctx.notes["x: retweets kept as posts"] == 56
    row = by_id(rows, "1582825767519809536")
    # this archive's display_text_range starts at 0, so the mentions stay
    assert row["text"] == "@sharon000 @lorenzwalthert @krlmlr Does it work OK with .qmd files?"
    assert row["author_handle"] == "smithjd"
    assert row["like_count"] == "1"  # numbers are strings in archives; kept raw
    assert row["created_at"] == "Wed Oct 19 20:07:25 +0000 2022"
    assert row["parent_id"] == row["thread_native_id"] == "1582702502297755653"
    assert row["parent_author"] == "sharon000"
    assert row["url"] == "https://x.com/smithjd/status/1582825767519809536"
    unknown = parse_all("twitter-archive", records[:1])[0]
    assert unknown["author_handle"] is None
    assert unknown["url"] == "https://x.com/i/status/1582825767519809536"


# Every JSON-shaped sample, and the one x format (if any) that owns it.
OWNERS = {
    APIFY: "apify-tweet-scraper-v2",
    TWARC1: "twarc1",
    NOFLAT: "twarc2",
    DFW: "twarc2",
    SNS2022: "snscrape",
    SNS2021: "snscrape",
    ARCHIVE: "twitter-archive",
    "bluesky/getPostThread_response_170-replies.json": None,
    "bluesky/getPostThread_response_simple-1-reply-threadgate.json": None,
    "facebook/facebook-dyi-export_comments_v2_tiny-mojibake.json": None,
    "instagram/apify-instagram-comment-scraper_comments.jsonl": None,
    "mastodon/mastodon-api-v1-statuses-context_mastodon.social_109294719267373593.json": None,
    "mastodon/mastodon-api-v1-statuses-context_fosstodon_114027213608365869"
    "_ancestors-only.json": None,
    "reddit/reddit-api_comments-listing_r-SpainPolitics_thread17.json": None,
    "reddit/pushshift-dump_comments_r-ufc-2018.ndjson": None,
    "tiktok/apify-tiktok-comments-scraper_2025-05-25_kumparan-video.json": None,
    "youtube/youtube-data-api-v3_commentThreads_wtLJPvx7-ys.json": None,
    "youtube/youtube-comment-downloader_2021_ScMzIvxBSi4_urdu-relative-times.ndjson.json": None,
    "youtube/youtube-comment-downloader_2023_ScMzIvxBSi4.ndjson.json": None,
}


@pytest.mark.samples
@pytest.mark.parametrize("rel", sorted(OWNERS))
def test_detect_samples(rel: str) -> None:
    records = load_records(sample(rel))
    for fmt in FORMATS:
        accepted = [fmt.detect(rec) for rec in records]
        assert all(accepted) if fmt.name == OWNERS[rel] else not any(accepted), fmt.name


# ------------------------------------------------------ hand-written payloads

APIFY_MINI: list[dict[str, Any]] = [
    {
        "type": "tweet",
        "id": "10",
        "url": "https://x.com/poster/status/10",
        "twitterUrl": "https://twitter.com/poster/status/10",
        "text": "short",
        "fullText": "The root post",
        "likeCount": 5,
        "retweetCount": 1,
        "replyCount": 2,
        "quoteCount": 0,
        "createdAt": "Sat Nov 22 23:36:59 +0000 2025",
        "lang": "en",
        "conversationId": "10",
        "isReply": False,
        "author": {"userName": "poster", "name": "Poster", "id": "1"},
    },
    {
        "type": "tweet",
        "id": "11",
        "text": "@poster a reply without fullText",
        "likeCount": 0,
        "createdAt": "Sat Nov 22 23:40:00 +0000 2025",
        "conversationId": "10",
        "inReplyToId": "10",
        "inReplyToUsername": "poster",
        "author": {"userName": "replier", "name": None, "id": "2"},
    },
    {
        "type": "tweet",
        "id": "12",
        "fullText": "RT @poster: The root post",
        "isRetweet": True,
        "conversationId": "12",
        "author": {"userName": "fan"},
    },
]


def test_apify_mini() -> None:
    ctx = ParseContext()
    rows = parse_all("apify-tweet-scraper-v2", APIFY_MINI, ctx)
    root, reply, retweet = rows
    assert root["is_root"] and root["thread_native_id"] == "10"
    assert root["text"] == "The root post"  # fullText wins over text
    assert (root["like_count"], root["repost_count"], root["reply_count"]) == (5, 1, 2)
    assert root["quote_count"] == 0
    assert "parent_id" not in root  # inReplyTo* keys are absent on non-replies
    assert reply["text"] == "@poster a reply without fullText"
    assert reply["parent_id"] == "10" and reply["depth"] == 1
    assert reply["author_name"] is None and reply["parent_author"] == "poster"
    assert reply["url"] == "https://x.com/replier/status/11"  # built when missing
    assert "repost_count" not in reply
    assert retweet["is_root"] and ctx.notes["x: retweets kept as posts"] == 1
    # another item type still parses, and is counted
    odd = {**APIFY_MINI[1], "type": "mock_tweet"}
    assert parse_all("apify-tweet-scraper-v2", [odd], ctx)[0]["reply_id"] == "11"
    assert ctx.notes["x: apify item of a type other than tweet parsed"] == 1
    assert FMT["apify-tweet-scraper-v2"].parse({"type": "tweet", "author": {}}, ctx) == []
    assert FMT["apify-tweet-scraper-v2"].parse([1, 2], ctx) == []


def v1_tweet(**over: Any) -> dict[str, Any]:
    """A minimal API v1.1 extended-mode tweet."""
    base: dict[str, Any] = {
        "created_at": "Thu Nov 19 19:16:12 +0000 2020",
        "id": 1329503762583531526,
        "id_str": "1329503762583531526",
        "full_text": "Root text https://t.co/Media123",
        "display_text_range": [0, 9],
        "in_reply_to_status_id_str": None,
        "in_reply_to_screen_name": None,
        "user": {"id_str": "86039811", "screen_name": "root_user", "name": "Root"},
        "retweet_count": 4,
        "favorite_count": 138,
        "lang": "en",
    }
    base.update(over)
    return base


def test_twarc1_mini() -> None:
    ctx = ParseContext()
    root = parse_all("twarc1", [v1_tweet()], ctx)[0]
    assert root["is_root"] is True and root["thread_native_id"] == "1329503762583531526"
    assert root["text"] == "Root text"  # trailing media link cut by the range
    assert root["like_count"] == 138 and root["repost_count"] == 4
    assert "reply_count" not in root
    assert root["url"] == "https://x.com/root_user/status/1329503762583531526"
    reply = v1_tweet(
        id=1329719019725873158,  # `id` is ignored; only id_str is trusted
        id_str="1329719019725873158",
        full_text="@root_user @other  5 &amp; 6",
        display_text_range=[19, 28],
        in_reply_to_status_id_str="1329503762583531526",
        in_reply_to_screen_name="root_user",
        user={"id_str": "9", "screen_name": "r", "name": None},
        reply_count=0,
        quote_count=0,
    )
    row = parse_all("twarc1", [reply], ctx)[0]
    assert row["text"] == "5 &amp; 6"  # entities are left for the normaliser
    assert row["parent_id"] == row["thread_native_id"] == "1329503762583531526"
    assert row["parent_author"] == "root_user" and "depth" not in row
    assert row["reply_count"] == 0 and row["quote_count"] == 0
    # a range that would cut into words is ignored on that side
    odd = parse_all("twarc1", [v1_tweet(full_text="Hello world", display_text_range=[3, 5])])
    assert odd[0]["text"] == "Hello world"
    junk = parse_all("twarc1", [v1_tweet(display_text_range=["a", None], full_text="x")])
    assert junk[0]["text"] == "x"
    # streaming API: long text lives in extended_tweet
    long = v1_tweet(
        text="cut…",
        extended_tweet={"full_text": "@a the whole text", "display_text_range": [3, 17]},
        in_reply_to_status_id_str="5",
        in_reply_to_screen_name="a",
    )
    del long["full_text"]
    assert parse_all("twarc1", [long])[0]["text"] == "the whole text"
    rt = v1_tweet(full_text="RT @x: hi", retweeted_status={"id_str": "1"}, display_text_range=None)
    parse_all("twarc1", [rt], ctx)
    assert ctx.notes["x: retweets kept as posts"] == 1
    assert FMT["twarc1"].parse("not a tweet", ctx) == []


def test_twitter_archive_mini() -> None:
    entry = {
        "tweet": {
            "id_str": "500",
            "id": "500",
            "full_text": "@friend thanks! https://t.co/abc",
            "display_text_range": ["8", "15"],
            "favorite_count": "3",
            "retweet_count": "0",
            "created_at": "Wed Oct 19 20:07:25 +0000 2022",
            "in_reply_to_status_id_str": "499",
            "in_reply_to_screen_name": "friend",
            "lang": "en",
        }
    }
    owner = {"username": "me", "accountId": "77", "accountDisplayName": "Me Myself"}
    ctx = ParseContext(meta={"archive_owner": owner})
    row = parse_all("twitter-archive", [entry], ctx)[0]
    assert row["text"] == "thanks!"  # string indices work too
    assert (row["author_handle"], row["author_id"], row["author_name"]) == ("me", "77", "Me Myself")
    assert row["like_count"] == "3" and row["parent_id"] == row["thread_native_id"] == "499"
    # older archives: bare tweet dicts, no wrapper
    bare = {
        "id_str": "400",
        "full_text": "A post",
        "created_at": "Mon Jan 01 00:00:00 +0000 2018",
        "display_text_range": ["0", "6"],
        "favorite_count": "0",
    }
    assert FMT["twitter-archive"].detect(bare)
    root = parse_all("twitter-archive", [bare], ParseContext(meta={"archive_owner": "@me"}))[0]
    assert root["is_root"] and root["author_handle"] == "me" and root["text"] == "A post"
    assert not FMT["twitter-archive"].detect({"tweet": "junk"})
    assert FMT["twitter-archive"].parse({"tweet": "junk"}, ctx) == []
    assert FMT["twitter-archive"].parse({"tweet": {"lang": "en"}}, ctx) == []
    assert ctx.notes["x: v1.1 tweet without id_str or text skipped"] == 1


TWARC2_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "21",
            "conversation_id": "20",
            "author_id": "2",
            "created_at": "2021-04-08T19:33:06.000Z",
            "text": "@root yes",
            "lang": "en",
            "in_reply_to_user_id": "1",
            "referenced_tweets": [{"type": "replied_to", "id": "20"}],
            "public_metrics": {"like_count": 1, "reply_count": 0, "retweet_count": 0},
        },
        {
            "id": "22",
            "conversation_id": "20",
            "author_id": "404",  # not in includes (suspended)
            "text": "@replier no",
            "referenced_tweets": [
                {"type": "quoted", "id": "9"},
                {"type": "replied_to", "id": "21"},
            ],
            "in_reply_to_user_id": "2",
        },
        "not a tweet",
    ],
    "includes": {
        "users": [
            {"id": "1", "username": "root", "name": "Root"},
            {"id": "2", "username": "replier", "name": "Replier"},
        ],
        "tweets": [
            {"id": "20", "conversation_id": "20", "author_id": "1", "text": "The root"},
            {"id": "9", "conversation_id": "9", "author_id": "1", "text": "Quoted, not a root"},
        ],
    },
    "errors": [{"title": "Not Found Error", "resource_id": "404"}],
    "meta": {"result_count": 2},
    "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent", "version": "2.8.2"},
}


def test_twarc2_mini() -> None:
    ctx = ParseContext()
    rows = parse_all("twarc2", [TWARC2_PAGE], ctx)
    reply, deeper, root = rows
    assert reply["author_handle"] == "replier" and reply["author_name"] == "Replier"
    assert reply["parent_id"] == "20" and reply["depth"] == 1 and reply["parent_author"] == "root"
    assert reply["url"] == "https://x.com/replier/status/21"
    assert "quote_count" not in reply
    assert deeper["author_id"] == "404" and deeper["author_handle"] is None
    assert deeper["url"] == "https://x.com/i/status/22"
    assert deeper["parent_id"] == "21" and deeper["thread_native_id"] == "20"
    assert "depth" not in deeper and deeper["parent_author"] == "replier"
    assert root == {
        "reply_id": "20",
        "text": "The root",
        "created_at": None,
        "author_id": "1",
        "author_handle": "root",
        "author_name": "Root",
        "lang": None,
        "url": "https://x.com/root/status/20",
        "is_root": True,
        "thread_native_id": "20",
    }
    assert ctx.notes["x: twarc2 data item that is not a tweet skipped"] == 1
    assert ctx.notes["x: twarc2 page errors (missing referenced items)"] == 1
    # an empty search page is still this format, with nothing in it
    empty = {"meta": {"result_count": 0}, "__twarc": {"version": "2.8.2"}}
    assert FMT["twarc2"].detect(empty) and FMT["twarc2"].parse(empty, ctx) == []
    assert FMT["twarc2"].detect({**empty, "data": []})
    # tweet lookup: `data` is one tweet
    lookup = {"data": {"id": "20", "text": "The root", "author_id": "1", "conversation_id": "20"}}
    assert FMT["twarc2"].detect(lookup)
    assert parse_all("twarc2", [lookup])[0]["is_root"] is True


def test_twarc2_flat_fixture() -> None:
    records = load_records(FIXTURES / "x_twarc2_flat.jsonl")
    assert all(FMT["twarc2-flat"].detect(r) for r in records)
    ctx = ParseContext()
    root, reply, deeper, anonymous, retweet = parse_all("twarc2-flat", records, ctx)
    assert root["is_root"] and root["thread_native_id"] == "1600000000000000001"
    assert root["author_handle"] == "rootuser" and root["like_count"] == 42
    assert reply["text"] == "@rootuser Call it Ada &amp; friends"
    assert reply["author_handle"] == "alice" and reply["author_name"] == "Alice A."
    assert reply["parent_id"] == "1600000000000000001" and reply["depth"] == 1
    assert reply["parent_author"] == "rootuser"
    assert reply["like_count"] == 7 and reply["created_at"] == "2023-01-05T09:05:00.000Z"
    assert deeper["text"].endswith("and the rest of it.")  # note_tweet holds the long text
    assert deeper["parent_id"] == "1600000000000000002" and "depth" not in deeper
    assert deeper["thread_native_id"] == "1600000000000000001"
    assert anonymous["author_id"] == "444" and anonymous["author_handle"] is None
    assert "parent_author" not in anonymous and "like_count" not in anonymous
    assert retweet["is_root"] and ctx.notes["x: retweets kept as posts"] == 1


SNSCRAPE_MINI: list[dict[str, Any]] = [
    {
        "_type": "snscrape.modules.twitter.Tweet",
        "url": "https://twitter.com/u/status/1278114622743158786",
        "date": "2020-06-30T23:54:06+00:00",
        "content": "@op old layout",
        "id": 1278114622743158786,
        "user": {"_type": "snscrape.modules.twitter.User", "username": "u", "id": 5},
        "likeCount": 2,
        "retweetCount": 0,
        "replyCount": 1,
        "quoteCount": 0,
        "conversationId": 1278107055677636608,
        "inReplyToTweetId": 1278107055677636608,
        "inReplyToUser": {"username": "op"},
        "lang": "fr",
    },
    {
        "_type": "snscrape.modules.twitter.Tweet",
        "rawContent": "new layout, no user",
        "id": 9007199254740993,  # 2^53 + 1: a float would round it
        "user": None,
        "conversationId": 9007199254740993,
        "inReplyToTweetId": None,
        "retweetedTweet": {"_type": "snscrape.modules.twitter.Tweet", "id": 1},
    },
    {"_type": "snscrape.modules.twitter.Tombstone", "text": "This Tweet was deleted"},
]


def test_snscrape_mini() -> None:
    ctx = ParseContext()
    old, new = parse_all("snscrape", SNSCRAPE_MINI, ctx)
    assert old["text"] == "@op old layout" and old["author_id"] == "5"
    assert old["reply_id"] == "1278114622743158786"
    assert old["parent_id"] == old["thread_native_id"] == "1278107055677636608"
    assert old["depth"] == 1 and old["parent_author"] == "op" and old["like_count"] == 2
    assert new["reply_id"] == "9007199254740993" and new["is_root"]
    assert new["author_handle"] is None and new["url"] == "https://x.com/i/status/9007199254740993"
    assert ctx.notes["x: snscrape non-tweet object skipped"] == 1
    assert ctx.notes["x: retweets kept as posts"] == 1


MINI_OWNERS: list[tuple[Any, str]] = [
    (APIFY_MINI[0], "apify-tweet-scraper-v2"),
    (v1_tweet(), "twarc1"),
    (TWARC2_PAGE, "twarc2"),
    (SNSCRAPE_MINI[0], "snscrape"),
    ({"tweet": {"id_str": "1", "full_text": "x"}}, "twitter-archive"),
    *((rec, "twarc2-flat") for rec in load_records(FIXTURES / "x_twarc2_flat.jsonl")),
]


@pytest.mark.parametrize(("record", "owner"), MINI_OWNERS)
def test_detect_mini_payloads_exclusive(record: Any, owner: str) -> None:
    assert [f.name for f in FORMATS if f.detect(record)] == [owner]


JUNK: list[Any] = [
    None,
    1,
    "text",
    [],
    [{"data": []}],
    {},
    {"data": "x"},
    {"data": [1, 2]},
    {"tweet": None},
    {"id_str": 1, "user": "x", "full_text": "a"},
    {"_type": 5},
    {"author": "x", "type": "tweet"},
    {"id": "1", "text": "generic comment", "author": {"name": "n"}},
    {"kind": "Listing", "data": {"children": []}},
]


@pytest.mark.parametrize("record", JUNK)
def test_junk_is_rejected_and_never_raises(record: Any) -> None:
    ctx = ParseContext()
    for fmt in FORMATS:
        assert fmt.detect(record) is False
        assert isinstance(fmt.parse(record, ctx), list)
