"""X/Twitter JSON-shaped exports: Apify Tweet Scraper V2, twarc1 (API v1.1),
twarc2 raw pages and flattened tweets (API v2), snscrape, and the Twitter
archive's tweets.js.

Three tweet shapes cover the six formats: the v1.1 shape (twarc1, archive),
the v2 shape (twarc2 pages, flattened twarc2) and the camelCase scraper
shapes (Apify, snscrape), which are simple enough to map field by field.
The v2 shape is what the live X API returns: its parser lives with the live
collector in collectors.platforms.x, as does `tweet_row`, which places every
X row in its conversation; this module recognises the records and parses the
other shapes. The web client's GraphQL tweets (Zeeschuimer captures) keep the
v1.1 fields in `legacy`: collectors.formats.x_graphql reads them with
`parse_v1_tweet`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordFormat
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.x import (
    NO_AUTHOR,
    TweetAuthor,
    page_tweets,
    parse_twarc2,
    parse_twarc2_flat,
    tweet_row,
)
from collectors.textutil import as_str

PLATFORM = "x"


# What display_text_range is allowed to cut: the leading "@a @b " reply
# mentions and trailing t.co links (attached media, quoted tweet).
_LEADING_MENTIONS = re.compile(r"(?:\s*@\w+)*\s*")
_TRAILING_LINKS = re.compile(r"(?:\s*https?://t\.co/\w+)*\s*")


def _int_pair(value: Any) -> tuple[int, int] | None:
    """[start, end] as ints; the archive writes them as strings."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    try:
        start, end = int(value[0]), int(value[1])
    except (TypeError, ValueError):
        return None
    return (start, end) if 0 <= start <= end else None


def _display_text(text: str, text_range: Any) -> str:
    """Apply display_text_range, dropping only what it is meant to drop.

    The indices are code points of the text as Twitter counted it, which is
    not always the text we see (HTML-escaped `&amp;`, astral characters), so a
    cut is made only where the dropped part is mentions (head) or t.co links
    (tail); otherwise that side is kept whole rather than cut mid-word.
    """
    bounds = _int_pair(text_range)
    if bounds is None:
        return text
    start, end = bounds
    if end < len(text) and not _TRAILING_LINKS.fullmatch(text[end:]):
        end = len(text)
    if start > end or not _LEADING_MENTIONS.fullmatch(text[:start]):
        start = 0
    return text[start:end]


def _is_v1_retweet(tweet: Mapping[str, Any], text: Any) -> bool:
    """API tweets carry retweeted_status(_result); archive retweets only show "RT @"."""
    return (
        "retweeted_status" in tweet
        or "retweeted_status_result" in tweet
        or (isinstance(text, str) and text.startswith("RT @"))
    )


def parse_v1_tweet(
    tweet: Mapping[str, Any],
    ctx: ParseContext,
    author: TweetAuthor,
    *,
    conversation_id: str | None = None,
) -> RawReply | None:
    """One API v1.1-shaped tweet (twarc1 line, archive entry, GraphQL `legacy`) as a row.

    None if unusable. Only the web client's GraphQL `legacy` object carries
    `conversation_id_str`; its caller passes it so roots are known exactly.
    """
    tweet_id = as_str(tweet.get("id_str"))  # never `id`: a JSON int that JS tools round
    # Streaming-API tweets over 140 chars keep the full text in extended_tweet.
    extended = tweet.get("extended_tweet")
    source: Mapping[str, Any] = extended if isinstance(extended, Mapping) else tweet
    text = source.get("full_text")
    if text is None:
        text = source.get("text")
    if tweet_id is None and text is None:
        ctx.note("x: v1.1 tweet without id_str or text skipped")
        return None
    if isinstance(text, str):
        text = _display_text(text, source.get("display_text_range"))
    if _is_v1_retweet(tweet, text):
        ctx.note("x: retweets kept as posts")
    return tweet_row(
        tweet_id,
        text,
        tweet.get("created_at"),
        author,
        tweet.get("lang"),
        conversation_id=conversation_id,
        parent_id=as_str(tweet.get("in_reply_to_status_id_str")),
        parent_author=tweet.get("in_reply_to_screen_name"),
        # reply_count and quote_count only come from premium/streaming APIs.
        counts=(
            tweet.get("favorite_count"),
            tweet.get("reply_count"),
            tweet.get("retweet_count"),
            tweet.get("quote_count"),
        ),
    )


def detect_twarc1(record: Any) -> bool:
    """An API v1.1 tweet with its user embedded (twarc v1, tweepy dumps)."""
    return (
        isinstance(record, Mapping)
        and isinstance(record.get("id_str"), str)
        and ("full_text" in record or "text" in record or "extended_tweet" in record)
        and isinstance(get_path(record, "user", "screen_name"), str)
    )


def parse_twarc1(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One twarc1 / API v1.1 tweet line -> one row."""
    if not isinstance(record, Mapping):
        return []
    user = record.get("user")
    user = user if isinstance(user, Mapping) else {}
    author = TweetAuthor(as_str(user.get("id_str")), user.get("screen_name"), user.get("name"))
    row = parse_v1_tweet(record, ctx, author)
    return [row] if row is not None else []


def _archive_tweet(record: Any) -> Mapping[str, Any] | None:
    """The tweet inside an archive entry: {"tweet": {...}} or, in old archives, bare."""
    if not isinstance(record, Mapping):
        return None
    inner = record.get("tweet")
    if isinstance(inner, Mapping):
        return inner
    return record if "tweet" not in record else None


def detect_twitter_archive(record: Any) -> bool:
    """A tweets.js entry: v1.1 fields, no user (the owner is implied)."""
    tweet = _archive_tweet(record)
    if tweet is None or "user" in tweet or not isinstance(tweet.get("id_str"), str):
        return False
    if tweet is record:
        # Bare (old-archive) entries: ask for more than an id and a text.
        return "full_text" in tweet and "created_at" in tweet and "display_text_range" in tweet
    return "full_text" in tweet or "text" in tweet


def _archive_owner(value: Any) -> TweetAuthor:
    """ctx.meta["archive_owner"]: a handle, or account.js-style fields."""
    if isinstance(value, str):
        return TweetAuthor(handle=value.lstrip("@") or None)
    if isinstance(value, Mapping):
        handle = value.get("username") or value.get("screen_name") or value.get("handle")
        return TweetAuthor(
            as_str(value.get("accountId") or value.get("id")),
            handle.lstrip("@") if isinstance(handle, str) else None,
            value.get("accountDisplayName") or value.get("name"),
        )
    return NO_AUTHOR


def parse_twitter_archive(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One tweets.js entry -> one row, authored by the archive owner if known."""
    tweet = _archive_tweet(record)
    if tweet is None:
        return []
    row = parse_v1_tweet(tweet, ctx, _archive_owner(ctx.meta.get("archive_owner")))
    return [row] if row is not None else []


# twarc2 pages and flattened tweets are API v2 shapes: collectors.platforms.x parses them.


def _looks_v2_tweet(item: Any) -> bool:
    """id + text + a field only the v2 tweet shape has."""
    return (
        isinstance(item, Mapping)
        and "id" in item
        and "text" in item
        and any(k in item for k in ("author_id", "conversation_id", "edit_history_tweet_ids"))
    )


def detect_twarc2(record: Any) -> bool:
    """A raw API v2 response page (twarc2 default output), possibly empty."""
    if not isinstance(record, Mapping):
        return False
    tweets = page_tweets(record)
    if tweets:
        return _looks_v2_tweet(tweets[0])
    # A search page with no results still has meta and twarc's stamp.
    return "__twarc" in record and "meta" in record and not record.get("data")


def detect_twarc2_flat(record: Any) -> bool:
    """A single v2 tweet with expansions inlined (twarc2 flatten), no page wrapper."""
    return (
        _looks_v2_tweet(record)
        and isinstance(record, Mapping)
        and "data" not in record
        and "_type" not in record
        and ("__twarc" in record or isinstance(record.get("author"), Mapping))
    )


# Apify V2 and snscrape name their counts alike.
_CAMEL_COUNTS = ("likeCount", "replyCount", "retweetCount", "quoteCount")


def detect_apify_tweet_v2(record: Any) -> bool:
    """An Apify Tweet Scraper V2 item: camelCase tweet with author.userName."""
    return (
        isinstance(record, Mapping)
        and isinstance(get_path(record, "author", "userName"), str)
        and ("twitterUrl" in record or "fullText" in record or record.get("type") == "tweet")
    )


def parse_apify_tweet_v2(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One Apify Tweet Scraper V2 item -> one row."""
    if not isinstance(record, Mapping):
        return []
    tweet_id = as_str(record.get("id"))
    text = record.get("fullText")
    if text is None:
        text = record.get("text")
    if tweet_id is None and text is None:
        ctx.note("x: apify item without id or text skipped")
        return []
    if record.get("type") not in (None, "tweet"):
        ctx.note("x: apify item of a type other than tweet parsed")
    if record.get("isRetweet") is True:
        ctx.note("x: retweets kept as posts")
    user = record.get("author")
    user = user if isinstance(user, Mapping) else {}
    author = TweetAuthor(as_str(user.get("id")), user.get("userName"), user.get("name"))
    return [
        tweet_row(
            tweet_id,
            text,
            record.get("createdAt"),
            author,
            record.get("lang"),
            url=record.get("url"),
            conversation_id=as_str(record.get("conversationId")),
            # inReplyTo* keys are missing entirely on non-replies.
            parent_id=as_str(record.get("inReplyToId")),
            parent_author=record.get("inReplyToUsername"),
            counts=[record.get(k) for k in _CAMEL_COUNTS],
        )
    ]


def detect_snscrape(record: Any) -> bool:
    """Any snscrape Twitter object (`_type` names its class)."""
    if not isinstance(record, Mapping):
        return False
    kind = record.get("_type")
    return isinstance(kind, str) and kind.startswith("snscrape.modules.twitter")


def parse_snscrape(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One snscrape --jsonl tweet -> one row (2022 rawContent or 2021 content)."""
    if not isinstance(record, Mapping):
        return []
    if not str(record.get("_type")).endswith(".Tweet"):
        # Tombstones, users, tweet refs: nothing to import.
        ctx.note("x: snscrape non-tweet object skipped")
        return []
    tweet_id = as_str(record.get("id"))
    text = record.get("rawContent")
    if text is None:
        text = record.get("content")
    if tweet_id is None and text is None:
        ctx.note("x: snscrape tweet without id or text skipped")
        return []
    if record.get("retweetedTweet") is not None:
        ctx.note("x: retweets kept as posts")
    user = record.get("user")
    user = user if isinstance(user, Mapping) else {}
    author = TweetAuthor(as_str(user.get("id")), user.get("username"), user.get("displayname"))
    return [
        tweet_row(
            tweet_id,  # ids are bare ints above 2^53; as_str keeps them exact
            text,
            record.get("date"),
            author,
            record.get("lang"),
            url=record.get("url"),
            conversation_id=as_str(record.get("conversationId")),
            parent_id=as_str(record.get("inReplyToTweetId")),
            parent_author=get_path(record, "inReplyToUser", "username"),
            counts=[record.get(k) for k in _CAMEL_COUNTS],
        )
    ]


FORMATS: list[RecordFormat] = [
    RecordFormat(name, description, PLATFORM, detect, parse)
    for name, description, detect, parse in (
        (
            "apify-tweet-scraper-v2",
            "Apify Tweet Scraper V2 (apidojo) JSON items",
            detect_apify_tweet_v2,
            parse_apify_tweet_v2,
        ),
        ("twarc1", "twarc v1 / Twitter API v1.1 tweets, one per line", detect_twarc1, parse_twarc1),
        (
            "twarc2",
            "twarc2 raw API v2 response pages (data + includes), one per line",
            detect_twarc2,
            parse_twarc2,
        ),
        (
            "twarc2-flat",
            "twarc2 flattened API v2 tweets (author inlined), one per line",
            detect_twarc2_flat,
            parse_twarc2_flat,
        ),
        ("snscrape", "snscrape --jsonl twitter output", detect_snscrape, parse_snscrape),
        (
            "twitter-archive",
            "Twitter 'Download your archive' data/tweets.js entries",
            detect_twitter_archive,
            parse_twitter_archive,
        ),
    )
]
