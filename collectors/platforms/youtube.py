"""YouTube: URL builders, parsers and fetchers.

This module holds the parsing layer, shared by `replyscope import` and the
live collector (pure functions over decoded JSON), and at the bottom the
live collector itself (YouTube Data API v3 with an API key):

- YouTube Data API v3 `commentThreads.list` pages: each thread is a
  top-level comment plus *some* of its replies (`replies.comments[]`); the
  rest must be fetched with `comments.list?parentId=` (`comments.list` pages).
- youtube-comment-downloader NDJSON lines (cid, text, time, author, ...),
  where a reply's cid is `<parent cid>.<reply id>`.

YouTube has two levels only: top-level comments (depth 1, parent = the
video) and replies to them (depth 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from collectors.http import AuthError, Event, FetchError, HttpClient, HttpPolicy, Page, RateLimited
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.base import Step, Target, asked_before
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


# --- live collection -------------------------------------------------------------

API_BASE = "https://www.googleapis.com/youtube/v3"
PACIFIC = ZoneInfo("America/Los_Angeles")

KEY_HELP = (
    "Get a key in the Google Cloud console (https://console.cloud.google.com/): pick or create "
    "a project, enable 'YouTube Data API v3' (APIs & Services → Library), then APIs & Services → "
    "Credentials → Create credentials → API key. Then: export YOUTUBE_API_KEY=... and run the "
    "same command again."
)

# Google's error reasons (error.errors[].reason, or error.details[].reason in
# the newer error format), grouped by what we do about them.
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
SHORT_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
KEY_REASONS = {
    "keyInvalid",
    "keyExpired",
    "API_KEY_INVALID",
    "API_KEY_EXPIRED",
    "accessNotConfigured",
    "SERVICE_DISABLED",
    "ipRefererBlocked",
    "API_KEY_SERVICE_BLOCKED",
    "API_KEY_HTTP_REFERRER_BLOCKED",
    "API_KEY_IP_ADDRESS_BLOCKED",
}
# Per-minute limits clear quickly: wait this long (seconds) before each retry.
SHORT_LIMIT_WAITS = (10.0, 30.0, 60.0)

NOTE_DISABLED = "youtube: comments are disabled on this video"
NOTE_GONE = "youtube: comment threads deleted while collecting"
NOTE_HELD_BACK = "youtube: replies the API did not return (held for review or deleted)"
# The import parser's hint that a file lacks some replies; the live collector fetches them.
_NOTE_NOT_IN_FILE = "youtube: replies not in file (totalReplyCount > embedded)"


def http_policy(env: Mapping[str, str]) -> HttpPolicy:
    """Pacing for the Data API: the limit is a daily unit quota, not a rate, so pace lightly."""
    del env  # the key is read by fetch_thread and sent as a header
    return HttpPolicy(min_interval=0.1)


def _query(params: Mapping[str, Any]) -> str:
    # Keep commas in part=snippet,replies readable in stored URLs.
    return urlencode({k: v for k, v in params.items() if v is not None}, safe=",")


def video_url(base: str, video_id: str) -> str:
    """URL of videos.list for one video (1 quota unit): title, description, channel, counts."""
    return f"{base}/videos?{_query({'part': 'snippet,statistics', 'id': video_id})}"


def comment_threads_url(base: str, video_id: str, page_token: str | None = None) -> str:
    """URL of one commentThreads.list page (1 unit, up to 100 threads with some replies)."""
    query = _query(
        {
            "part": "snippet,replies",
            "videoId": video_id,
            "maxResults": 100,
            "order": "time",
            "textFormat": "plainText",
            "pageToken": page_token,
        }
    )
    return f"{base}/commentThreads?{query}"


def comments_url(base: str, parent_id: str, page_token: str | None = None) -> str:
    """URL of one comments.list page of replies to a top-level comment (1 unit, up to 100)."""
    query = _query(
        {
            "part": "snippet",
            "parentId": parent_id,
            "maxResults": 100,
            "textFormat": "plainText",
            "pageToken": page_token,
        }
    )
    return f"{base}/comments?{query}"


def parse_video(record: Any, video_id: str) -> RawReply | None:
    """The thread's root row from a videos.list page; None when the video is not listed."""
    items = record.get("items") if isinstance(record, Mapping) else None
    item = next(
        (i for i in items or [] if isinstance(i, Mapping) and i.get("id") == video_id), None
    )
    if item is None:
        return None
    snippet = _mapping(item.get("snippet"))
    stats = _mapping(item.get("statistics"))
    title, description = snippet.get("title"), snippet.get("description")
    parts = [t for t in (title, description) if isinstance(t, str) and t.strip()]
    url = f"https://www.youtube.com/watch?v={video_id}"
    return {
        "reply_id": video_id,
        "thread_native_id": video_id,
        "thread_url": url,
        "is_root": True,
        "author_id": snippet.get("channelId"),
        "author_name": snippet.get("channelTitle"),
        "text": "\n\n".join(parts) if parts else None,
        "created_at": snippet.get("publishedAt"),
        "like_count": stats.get("likeCount"),
        # commentCount counts replies too: every comment under the video.
        "reply_count": stats.get("commentCount"),
        "url": url,
    }


def error_reasons(body: Any) -> list[str]:
    """The reasons in a Google API error body (old `errors[].reason` and new `details[].reason`)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return []
    out: list[str] = []
    for key in ("errors", "details"):
        entries = error.get(key)
        for entry in entries if isinstance(entries, list) else []:
            reason = entry.get("reason") if isinstance(entry, Mapping) else None
            if isinstance(reason, str) and reason not in out:
                out.append(reason)
    return out


def _error_message(body: Any) -> str:
    """Google's own words (error.message, which may hold HTML links), as plain text."""
    message = get_path(body, "error", "message")
    return (html_to_text(message) or "").strip() if isinstance(message, str) else ""


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight Pacific Time after `now` (when the daily quota resets), in UTC."""
    pacific = now.astimezone(PACIFIC)
    # Midnight always exists once in Los Angeles (DST changes at 02:00).
    midnight = datetime.combine(pacific.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def quota_message(now: datetime, reset_at: datetime, reason: str) -> str:
    """Tell the person when the daily quota comes back and that re-running continues."""
    left = max(0, int((reset_at - now).total_seconds()) // 60)
    local = reset_at.astimezone()
    return (
        f"youtube: the API key's daily quota is used up ({reason}). It resets at midnight "
        f"Pacific Time: {reset_at:%Y-%m-%d %H:%M} UTC, {local:%Y-%m-%d %H:%M} {local.tzname()} "
        f"local time (in {left // 60} h {left % 60:02d} min). Run the same command again after "
        "that and it continues where it stopped."
    )


class CommentsUnavailable(FetchError):
    """The comments asked for cannot be had (disabled, or the thread was deleted)."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(f"youtube: comments unavailable ({reason})", status=403, url=url)
        self.reason = reason


def explain_error(err: FetchError, now: datetime) -> FetchError:
    """Turn the API's error into what the person should know and do (pure)."""
    reasons = error_reasons(err.body)
    said = _error_message(err.body)
    why = f" ({': '.join(t for t in (', '.join(reasons), said) if t)})" if reasons or said else ""
    quota = next((r for r in reasons if r in QUOTA_REASONS), None)
    if quota:
        reset_at = next_quota_reset(now)
        return RateLimited(quota_message(now, reset_at, quota), reset_at=reset_at, url=err.url)
    if "commentsDisabled" in reasons:
        return CommentsUnavailable("commentsDisabled", url=err.url)
    if "commentNotFound" in reasons:
        return CommentsUnavailable("commentNotFound", url=err.url)
    if "videoNotFound" in reasons:
        return FetchError(
            f"youtube: the video was not found{why}. It may be deleted or private, or the id in "
            "the URL is wrong.",
            status=err.status,
            url=err.url,
        )
    if any(r in KEY_REASONS for r in reasons) or err.status in (401, 403):
        return AuthError(
            f"youtube refused the request (HTTP {err.status}){why}. Check "
            "YOUTUBE_API_KEY: the key must be valid and the YouTube Data API v3 enabled for its "
            "project (a 'forbidden' answer can also mean a private or restricted video). "
            + KEY_HELP,
            status=err.status,
            url=err.url,
        )
    return err


def _get(client: HttpClient, url: str, now: Callable[[], datetime]) -> Page:
    """GET one API page; Google's error reasons become clear errors; short limits are waited out."""
    waits = list(SHORT_LIMIT_WAITS)
    while True:
        try:
            return client.get_json(url)
        except RateLimited:
            raise
        except FetchError as err:
            if not any(r in SHORT_LIMIT_REASONS for r in error_reasons(err.body)):
                raise explain_error(err, now()) from None
            if not waits:
                raise RateLimited(
                    "youtube: still rate limited after several waits; run the same command "
                    "again in a few minutes and it continues where it stopped.",
                    reset_at=None,
                    url=err.url,
                ) from None
            # Per-minute limits come as 403, not 429, so http.py does not wait for them.
            wait = waits.pop(0)
            client.on_event(Event("wait", wait, "rate limited by youtube"))
            client.waited += wait
            client.sleep(wait)


def _next_token(client: HttpClient, page: Page, url: Callable[[str], str], what: str) -> str | None:
    """The page's nextPageToken, or None at the end or when it leads back to a page fetched."""
    token = as_str(get_path(page.payload, "nextPageToken"))
    if token is not None and asked_before(client, url(token), f"{what} led back to a page fetched"):
        return None  # a token loop: paging stops here
    return token


def check_credentials(env: Mapping[str, str]) -> str:
    """The API key from the environment, or an AuthError that says how to get one."""
    key = env.get("YOUTUBE_API_KEY", "").strip()
    if not key:
        raise AuthError("youtube: no API key (YOUTUBE_API_KEY is not set). " + KEY_HELP)
    return key


def fetch_thread(
    client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Harvest every comment of a video: the video, all thread pages, then the long reply lists."""
    # The key travels in a header only: never in URLs, state, rows or messages.
    client.set_header("X-Goog-Api-Key", check_credentials(os.environ))
    base = target.api_base or API_BASE
    video = target.native_id

    def now() -> datetime:
        return datetime.fromtimestamp(client.clock(), UTC)

    state = dict(state)
    if "phase" not in state:
        page = _get(client, video_url(base, video), now)
        root = parse_video(page.payload, video)
        if root is None:
            raise FetchError(
                f"youtube: video {video} was not found ({target.url}): deleted, private, or a "
                "wrong id."
            )
        # The root row waits for the first page of comments: the store only
        # treats a row as the thread's post when replies to it come in the same batch.
        state = {"phase": "threads", "root": root, "token": None, "queue": []}
        yield Step(page=page, rows=[], state=dict(state))
    after_threads = yield from _thread_pages(client, base, video, state, ctx, now)
    if after_threads is not None:
        yield from _reply_pages(client, base, after_threads, ctx, now)


def _thread_pages(
    client: HttpClient,
    base: str,
    video: str,
    state: dict[str, Any],
    ctx: ParseContext,
    now: Callable[[], datetime],
) -> Generator[Step, None, dict[str, Any] | None]:
    """Every commentThreads page; the state after them (None: comments are disabled)."""
    while state["phase"] == "threads":
        try:
            page = _get(client, comment_threads_url(base, video, state["token"]), now)
        except CommentsUnavailable as err:
            if err.reason != "commentsDisabled":
                raise
            ctx.note(NOTE_DISABLED)
            return None
        scratch = ParseContext(platform=ctx.platform, thread=ctx.thread, source=ctx.source)
        rows = parse_comment_threads(page.payload, scratch)
        for what, n in scratch.notes.items():
            if what != _NOTE_NOT_IN_FILE:  # fetched below with comments.list
                ctx.note(what, n)
        root = state["root"]
        if root and rows:
            rows, root = [root, *rows], None
        queued = {parent for parent, _ in state["queue"]}
        fresh = [
            [thread, total]
            for thread, total, _ in threads_needing_replies(page.payload)
            if thread not in queued
        ]
        token = _next_token(
            client,
            page,
            lambda t: comment_threads_url(base, video, t),
            "a page of comment threads",
        )
        state = {
            **state,
            "phase": "threads" if token else "replies",
            "root": root,
            "token": token,
            "queue": state["queue"] + fresh,
        }
        yield Step(page=page, rows=rows, state=dict(state))
    return state


def _reply_pages(
    client: HttpClient,
    base: str,
    state: dict[str, Any],
    ctx: ParseContext,
    now: Callable[[], datetime],
) -> Iterator[Step]:
    """comments.list pages for every thread whose replies a thread page did not all hold."""
    while state["queue"]:
        parent, total = state["queue"][0]
        try:
            page = _get(client, comments_url(base, parent, state.get("reply_token")), now)
        except CommentsUnavailable as err:
            # Deleted (or closed) since its thread page was read: nothing to fetch.
            ctx.note(NOTE_GONE if err.reason == "commentNotFound" else NOTE_DISABLED)
            state = {**state, "queue": state["queue"][1:], "reply_token": None, "reply_got": 0}
            continue
        rows = parse_comment_list(page.payload, ctx)
        got = int(state.get("reply_got") or 0) + len(rows)
        token = _next_token(
            client,
            page,
            partial(comments_url, base, parent),
            f"a page of replies to {parent}",
        )
        if token:
            state = {**state, "reply_token": token, "reply_got": got}
        else:
            if got < total:
                ctx.note(NOTE_HELD_BACK, total - got)
            state = {**state, "queue": state["queue"][1:], "reply_token": None, "reply_got": 0}
        yield Step(page=page, rows=rows, state=dict(state))
