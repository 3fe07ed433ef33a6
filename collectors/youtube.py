"""YouTube: URL builders, parsers and fetchers.

This module holds the parsing layer, shared by `replyscope import` and the
live collector (pure functions over decoded JSON):

- YouTube Data API v3 `commentThreads.list` pages: each thread is a
  top-level comment plus *some* of its replies (`replies.comments[]`); the
  rest must be fetched with `comments.list?parentId=` (`comments.list` pages).
- youtube-comment-downloader NDJSON lines (cid, text, time, author, ...),
  where a reply's cid is `<parent cid>.<reply id>`.

YouTube has two levels only: top-level comments (depth 1, parent = the
video) and replies to them (depth 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from collectors.model import ParseContext, RawReply, get_path
from collectors.textutil import as_str, html_to_text

_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def _mapping(value: Any) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one (malformed input)."""
    return value if isinstance(value, Mapping) else {}


def video_id_from(thread: str | None) -> str | None:
    """The video id in `ctx.thread`: a bare id or a watch/youtu.be/shorts/embed URL."""
    if not thread or not thread.strip():
        return None
    text = thread.strip()
    if "://" not in text and not text.startswith(("www.", "youtube.", "youtu.be", "m.")):
        return text
    parts = urlsplit(text if "://" in text else "https://" + text)
    query_v = parse_qs(parts.query).get("v")
    if query_v:
        return query_v[0]
    segments = [s for s in parts.path.split("/") if s]
    if parts.netloc.endswith("youtu.be") and segments:
        return segments[0]
    if len(segments) >= 2 and segments[0] in {"shorts", "embed", "live", "v"}:
        return segments[1]
    # Not a URL form we know; keep the last segment only if it looks like an id.
    return segments[-1] if segments and _VIDEO_ID.match(segments[-1]) else None


def comment_url(video_id: str | None, comment_id: str | None) -> str | None:
    """The permalink that opens a video with one comment highlighted."""
    if not video_id or not comment_id:
        return None
    return f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}"


def _handle(display_name: Any) -> str | None:
    """Since 2022 the display name of most accounts is their '@handle'."""
    if isinstance(display_name, str) and display_name.startswith("@") and len(display_name) > 1:
        return display_name[1:]
    return None


def _text(snippet: Mapping[str, Any]) -> str | None:
    """textOriginal when the API gave it, else textDisplay (HTML) as plain text."""
    original = snippet.get("textOriginal")
    if isinstance(original, str):
        text: str | None = original
    else:
        display = snippet.get("textDisplay")
        text = html_to_text(display) if isinstance(display, str) else None
    # Older API versions end every text with a zero-width no-break space.
    return text.rstrip("\ufeff") if text is not None else None


def parse_comment(
    comment: Mapping[str, Any],
    video_id: str | None = None,
    total_reply_count: Any = None,
) -> RawReply:
    """Turn one `youtube#comment` resource into a RawReply (top-level or reply)."""
    snippet = _mapping(comment.get("snippet"))
    comment_id = as_str(comment.get("id"))
    video = as_str(snippet.get("videoId")) or video_id
    channel = snippet.get("authorChannelId")
    parent = as_str(snippet.get("parentId"))
    row: RawReply = {
        "reply_id": comment_id,
        "thread_native_id": video,
        "thread_url": f"https://www.youtube.com/watch?v={video}" if video else None,
        # A reply names its top-level comment; a top-level comment hangs off the video.
        "parent_id": parent or video,
        "depth": 2 if parent else 1,
        # authorChannelId is {"value": ...} in v3; tolerate a bare string.
        "author_id": channel.get("value") if isinstance(channel, Mapping) else channel,
        "author_handle": _handle(snippet.get("authorDisplayName")),
        "author_name": snippet.get("authorDisplayName"),
        "text": _text(snippet),
        "created_at": snippet.get("publishedAt"),
        "like_count": snippet.get("likeCount"),
        "url": comment_url(video, comment_id),
    }
    if total_reply_count is not None and not parent:
        row["reply_count"] = total_reply_count
    return row


def _thread_rows(thread: Mapping[str, Any], ctx: ParseContext) -> list[RawReply]:
    """Rows of one `youtube#commentThread`: its top-level comment, then embedded replies."""
    snippet = _mapping(thread.get("snippet"))
    top = snippet.get("topLevelComment")
    video = as_str(snippet.get("videoId")) or video_id_from(ctx.thread)
    if not isinstance(top, Mapping):
        ctx.note("youtube: thread without topLevelComment")
        return []
    rows = [parse_comment(top, video, snippet.get("totalReplyCount"))]
    replies = get_path(thread, "replies", "comments")
    embedded = replies if isinstance(replies, list) else []
    for reply in embedded:
        if isinstance(reply, Mapping):
            row = parse_comment(reply, video)
            # Embedded replies always answer this thread's top-level comment.
            if row.get("depth") != 2:
                row["parent_id"], row["depth"] = rows[0].get("reply_id"), 2
            rows.append(row)
        else:
            ctx.note("youtube: unusable comment")
    total = snippet.get("totalReplyCount")
    if isinstance(total, int) and total > len(embedded):
        ctx.note(
            "youtube: replies not in file (totalReplyCount > embedded)", n=total - len(embedded)
        )
    return rows


def parse_comment_threads(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Flatten a commentThreads.list page (or one commentThread item) into rows."""
    if not isinstance(record, Mapping):
        return []
    items = [record] if record.get("kind") == "youtube#commentThread" else record.get("items")
    if not isinstance(items, list):
        return []
    rows: list[RawReply] = []
    for item in items:
        if isinstance(item, Mapping):
            rows.extend(_thread_rows(item, ctx))
        else:
            ctx.note("youtube: unusable comment thread")
    return rows


def parse_comment_list(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Flatten a comments.list page (e.g. replies fetched with parentId=) into rows."""
    if not isinstance(record, Mapping):
        return []
    items = [record] if record.get("kind") == "youtube#comment" else record.get("items")
    if not isinstance(items, list):
        return []
    # Reply snippets do not always carry videoId; ctx.thread can supply it.
    video = video_id_from(ctx.thread)
    rows: list[RawReply] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("snippet"), Mapping):
            rows.append(parse_comment(item, video))
        else:
            ctx.note("youtube: unusable comment")
    return rows


def threads_needing_replies(page: Any) -> list[tuple[str, int, int]]:
    """(thread id, totalReplyCount, embedded replies) for threads whose replies are incomplete."""
    items = page.get("items") if isinstance(page, Mapping) else None
    out: list[tuple[str, int, int]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        total = get_path(item, "snippet", "totalReplyCount")
        replies = get_path(item, "replies", "comments")
        embedded = len(replies) if isinstance(replies, list) else 0
        thread_id = as_str(item.get("id")) or as_str(
            get_path(item, "snippet", "topLevelComment", "id")
        )
        if thread_id and isinstance(total, int) and total > embedded:
            out.append((thread_id, total, embedded))
    return out


def parse_downloader(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Parse one youtube-comment-downloader NDJSON line."""
    if not isinstance(record, Mapping):
        return []
    cid = as_str(record.get("cid"))
    if cid is None:
        ctx.note("youtube: downloader line without cid")
        return []
    video = video_id_from(ctx.thread)
    # A reply's cid is "<parent cid>.<reply id>"; newer versions also say reply: true.
    parent_cid, dot, _ = cid.partition(".")
    is_reply = bool(dot) or record.get("reply") is True
    author = record.get("author")
    time_parsed = record.get("time_parsed")
    row: RawReply = {
        "reply_id": cid,
        "thread_native_id": video,
        "thread_url": f"https://www.youtube.com/watch?v={video}" if video else None,
        "parent_id": parent_cid if is_reply and dot else (None if is_reply else video),
        "depth": 2 if is_reply else 1,
        "author_id": record.get("channel"),
        "author_handle": _handle(author),
        "author_name": author,
        "text": record.get("text"),
        # time_parsed is an epoch the tool computed; without it only the
        # relative, localised "time" string exists. It is kept raw so the
        # normaliser counts it as an unusable relative time.
        "created_at": time_parsed if time_parsed is not None else record.get("time"),
        # votes is an int, a digit string or an abbreviation like "1.2K".
        "like_count": record.get("votes"),
        "url": comment_url(video, cid),
    }
    return [row]
