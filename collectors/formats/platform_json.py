"""Import formats for the JSON the live-collectable platforms return.

The parsers live in the platform modules, collectors.platforms.* (the live
collectors use them on the same JSON shapes); this module only says how to
recognise a saved record of each shape. Detectors must never raise: records can be any
JSON value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordDetector, RecordFormat, RecordLocator, SubRecord
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms import bluesky, mastodon, reddit, youtube
from collectors.textutil import as_str

_REDDIT_KINDS = {"t1", "t3", "more"}


def _is_bluesky_thread(record: Any) -> bool:
    """getPostThread response `{"thread": ...}`, or a bare threadViewPost."""
    if not isinstance(record, Mapping):
        return False
    if "thread" in record:
        node = record["thread"]
        if not isinstance(node, Mapping):
            return False
        kind = node.get("$type")
        if isinstance(kind, str) and kind.startswith("app.bsky.feed.defs#"):
            return True
        uri = node.get("post", {}).get("uri") if isinstance(node.get("post"), Mapping) else None
        return isinstance(uri, str) and uri.startswith("at://")
    return record.get("$type") == "app.bsky.feed.defs#threadViewPost" and isinstance(
        record.get("post"), Mapping
    )


def _is_mastodon_context(record: Any) -> bool:
    """statuses/:id/context response: both lists, and statuses look like statuses."""
    if not isinstance(record, Mapping):
        return False
    ancestors, descendants = record.get("ancestors"), record.get("descendants")
    if not isinstance(ancestors, list) or not isinstance(descendants, list):
        return False
    return all(
        isinstance(s, Mapping) and "in_reply_to_id" in s and "content" in s
        for s in [*ancestors[:1], *descendants[:1]]
    )


def _is_reddit_listing(record: Any) -> bool:
    """A Reddit Listing whose children are posts, comments or more stubs."""
    if not isinstance(record, Mapping) or record.get("kind") != "Listing":
        return False
    data = record.get("data")
    children = data.get("children") if isinstance(data, Mapping) else None
    if not isinstance(children, list):
        return False
    # An empty Listing is a post without comments; otherwise posts/comments show up early.
    return not children or any(
        isinstance(c, Mapping) and c.get("kind") in _REDDIT_KINDS for c in children[:5]
    )


def _is_pushshift_comment(record: Any) -> bool:
    """A flat Reddit comment dict (Pushshift dump line): body + link_id + parent_id."""
    if not isinstance(record, Mapping) or "kind" in record:
        return False
    link = record.get("link_id")
    return (
        isinstance(record.get("body"), str)
        and isinstance(link, str)
        and link.startswith("t3_")
        and isinstance(record.get("parent_id"), str)
        and "id" in record
        and "created_utc" in record
    )


def _kind_in(*kinds: str) -> RecordDetector:
    """Detector for YouTube API resources, which name themselves in `kind`."""

    def detect(record: Any) -> bool:
        return isinstance(record, Mapping) and record.get("kind") in kinds

    return detect


def _is_youtube_downloader(record: Any) -> bool:
    """youtube-comment-downloader line: cid/text/time/author plus votes or channel."""
    return (
        isinstance(record, Mapping)
        and isinstance(record.get("cid"), str)
        and all(k in record for k in ("text", "time", "author"))
        and ("votes" in record or "channel" in record)
    )


# --- where each reply of a document-shaped record is, for rejects ---------------

# Bluesky embed $type (without the "#view" suffix) -> what a post without text shows.
_BSKY_MEDIA = {
    "app.bsky.embed.images": "image",
    "app.bsky.embed.video": "video",
    "app.bsky.embed.external": "link",
    "app.bsky.embed.record": "quote",
}


def bluesky_media(post: Any) -> str | None:
    """What a post without text carries (image, video, link, quote), from its embed."""
    embed = get_path(post, "embed") or get_path(post, "record", "embed")
    kind = get_path(embed, "$type")
    if not isinstance(kind, str):
        return None
    kind = kind.removesuffix("#view")
    if kind == "app.bsky.embed.recordWithMedia":
        inner = get_path(embed, "media", "$type")
        return _BSKY_MEDIA.get(inner.removesuffix("#view")) if isinstance(inner, str) else "quote"
    return _BSKY_MEDIA.get(kind)


def locate_bluesky_thread(record: Any) -> dict[str, SubRecord]:
    """at:// URI -> the post's path in the document and its postView.

    Paths read like "thread.replies[3].replies[0] (at://...)".
    """
    out: dict[str, SubRecord] = {}
    if not isinstance(record, Mapping):
        return out
    start = ("thread", record["thread"]) if "thread" in record else ("", record)
    stack: list[tuple[str, Any]] = [start]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        post = node.get("post")
        uri = as_str(get_path(post, "uri"))
        if uri is not None and uri not in out:
            where = f"{path} ({uri})" if path else uri
            out[uri] = SubRecord(where, post, bluesky_media(post))
        parent = node.get("parent")
        if isinstance(parent, Mapping):
            stack.append((f"{path}.parent" if path else "parent", parent))
        replies = node.get("replies")
        if isinstance(replies, list):
            for i, child in enumerate(replies):
                stack.append((f"{path}.replies[{i}]" if path else f"replies[{i}]", child))
    return out


def note_posts_without_text(
    rows: list[RawReply], record: Any, locate: RecordLocator, ctx: ParseContext
) -> list[RawReply]:
    """Count Bluesky posts without text by what they hold (rejected: nothing to analyse)."""
    blank = [r for r in rows if not (isinstance(r.get("text"), str) and r["text"].strip())]
    where = locate(record) if blank else {}
    for row in blank:
        sub = where.get(str(row.get("reply_id")))
        media = f" ({sub.media})" if sub and sub.media else ""
        ctx.note(f"bluesky post without text{media}: rejected, no text to analyse")
    return rows


def _replies_left_out(record: Any) -> int:
    """Replies the posts of a getPostThread tree count (replyCount) but the file does not hold."""
    missing = 0
    stack = [record.get("thread") if isinstance(record, Mapping) else None]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        replies = node.get("replies")
        children: list[Any] = replies if isinstance(replies, list) else []
        count = get_path(node, "post", "replyCount")
        if isinstance(count, int) and count > len(children):
            missing += count - len(children)
        stack.extend(children)
    return missing


def parse_bluesky_thread(record: Any, ctx: ParseContext) -> list[RawReply]:
    """bluesky.parse_thread, noting posts without text and replies counted but not in the file."""
    rows = bluesky.parse_thread(record, ctx)
    missing = _replies_left_out(record)
    if missing:
        ctx.note("bluesky: replies not in file (replyCount > replies)", n=missing)
    return note_posts_without_text(rows, record, locate_bluesky_thread, ctx)


# Mastodon media_attachments[].type -> what a status without text shows.
_MASTODON_MEDIA = {"image": "image", "gifv": "GIF", "video": "video", "audio": "audio"}


def locate_mastodon_context(record: Any) -> dict[str, SubRecord]:
    """status id -> its place ("descendants[4] (id)") and JSON in a context response."""
    out: dict[str, SubRecord] = {}
    if not isinstance(record, Mapping):
        return out
    for key in ("ancestors", "descendants"):
        statuses = record.get(key)
        if not isinstance(statuses, list):
            continue
        for i, status in enumerate(statuses):
            sid = as_str(get_path(status, "id"))
            if sid is None or sid in out:
                continue
            kinds = [
                _MASTODON_MEDIA.get(str(get_path(m, "type")), "attachment")
                for m in status.get("media_attachments") or []
                if isinstance(m, Mapping)
            ]
            out[sid] = SubRecord(f"{key}[{i}] (status {sid})", status, kinds[0] if kinds else None)
    return out


def parse_youtube_downloader(record: Any, ctx: ParseContext) -> list[RawReply]:
    """youtube.parse_downloader, but the date is the relative `time` the page showed.

    `time_parsed` is an epoch the scraper computed from "7 months ago" at
    scraping time: storing it would invent an exact date. The relative time
    is kept (the normaliser leaves it empty and counts it); time_parsed stays
    visible in raw_records.
    """
    rows = youtube.parse_downloader(record, ctx)
    if isinstance(record, Mapping):
        for row in rows:
            row["created_at"] = record.get("time")
    return rows


FORMATS: list[RecordFormat] = [
    RecordFormat(
        name="bluesky-thread",
        description="Bluesky app.bsky.feed.getPostThread response (nested replies)",
        platform="bluesky",
        detect=_is_bluesky_thread,
        parse=parse_bluesky_thread,
        locate=locate_bluesky_thread,
    ),
    RecordFormat(
        name="mastodon-context",
        description="Mastodon GET /api/v1/statuses/:id/context response",
        platform="mastodon",
        detect=_is_mastodon_context,
        parse=mastodon.parse_context,
        locate=locate_mastodon_context,
    ),
    RecordFormat(
        name="reddit-listing",
        description="Reddit /comments/<id>.json Listing (post, comment tree, more stubs)",
        platform="reddit",
        detect=_is_reddit_listing,
        parse=reddit.parse_listing,
    ),
    RecordFormat(
        name="pushshift",
        description="Pushshift Reddit comment dump (NDJSON, one comment per line)",
        platform="reddit",
        detect=_is_pushshift_comment,
        parse=reddit.parse_pushshift,
    ),
    RecordFormat(
        name="youtube-api-commentthreads",
        description="YouTube Data API v3 commentThreads.list page",
        platform="youtube",
        detect=_kind_in("youtube#commentThreadListResponse", "youtube#commentThread"),
        parse=youtube.parse_comment_threads,
    ),
    RecordFormat(
        name="youtube-api-comments",
        description="YouTube Data API v3 comments.list page (replies via parentId)",
        platform="youtube",
        detect=_kind_in("youtube#commentListResponse", "youtube#comment"),
        parse=youtube.parse_comment_list,
    ),
    RecordFormat(
        name="youtube-comment-downloader",
        description="youtube-comment-downloader NDJSON (cid, text, relative time, author, votes)",
        platform="youtube",
        detect=_is_youtube_downloader,
        parse=parse_youtube_downloader,
    ),
]
