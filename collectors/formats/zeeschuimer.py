"""Zeeschuimer captures (the 4CAT browser extension's NDJSON export), one captured item a line.

Every line is an envelope: `nav_index`, `item_id`, `timestamp_collected`
(epoch ms), `source_platform` (the Zeeschuimer module: `twitter.com`,
`tiktok.com`, `tiktok-comments`, `instagram.com`, ...), `source_platform_url`
(the page), `source_url` (the API call the item came from), `user_agent`,
`data` (the platform's own object) and `id`. The envelope's `id` is
Zeeschuimer's local IndexedDB row number, never a platform id: it is not read
(nor is `nav_index`, whose last part can be `NaN`); everything stays in
`raw_records`.

- X/Twitter: `data` is a GraphQL tweet result (collectors.formats.x_graphql):
  a reply is stored with its parent; a post that replies to nothing is a
  stand-alone post (depth 0), or the thread's own post when replies to it are
  in the file, as in the other X search exports (twarc2, snscrape).
- TikTok: `data` is a video post (`tiktok.com`) or a comment
  (`tiktok-comments`, or a `tiktok.com` item from `api/comment/list`).
- Instagram: `data` is a post; comments it holds (`comments`,
  `preview_comments`, their `preview_child_comments`) are replies to it.

TikTok and Instagram posts follow the same rule as X posts: offered as the
thread's post (`is_root`), stored in `threads` when the file holds replies to
them, else kept as stand-alone posts (depth 0) so a post-only capture can
still be read, tagged and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordFormat, RecordRejected, SubRecord
from collectors.formats.social_json import IG_NO_TEXT_NOTE as IG_COMMENT_NO_TEXT_NOTE
from collectors.formats.social_json import tiktok_video_id
from collectors.formats.x_graphql import graphql_tweet, parse_adaptive_tweet, parse_graphql_tweet
from collectors.model import ParseContext, RawReply, get_path
from collectors.textutil import as_str

# Keys only a Zeeschuimer envelope has around `data` and `source_platform`.
_ENVELOPE_KEYS = (
    "nav_index",
    "item_id",
    "timestamp_collected",
    "source_platform_url",
    "source_url",
)

X_SOURCES = frozenset({"twitter.com", "x.com"})
TIKTOK_SOURCES = frozenset({"tiktok.com", "tiktok-comments"})
INSTAGRAM_SOURCES = frozenset({"instagram.com"})
SUPPORTED = X_SOURCES | TIKTOK_SOURCES | INSTAGRAM_SOURCES

PROMOTED_NOTE = "x: promoted tweets (ads) skipped"
IG_HIDDEN_LIKES_NOTE = "instagram: like counts hidden by the poster left empty"
TT_NO_TEXT_NOTE = "tiktok post without a description (video only): rejected, no text to analyse"
IG_NO_CAPTION_NOTE = "instagram post without a caption: rejected, no text to analyse"


def envelope_platform(record: Any) -> str | None:
    """The `source_platform` of a Zeeschuimer envelope, lower-cased; None if record is not one."""
    if not isinstance(record, Mapping) or "data" not in record:
        return None
    platform = record.get("source_platform")
    if not isinstance(platform, str) or not platform.strip():
        return None
    if sum(key in record for key in _ENVELOPE_KEYS) < 3:
        return None
    return platform.strip().lower().removeprefix("www.")


def _data(record: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """The captured object of an envelope, or a reject saying what `data` holds instead."""
    data = record.get("data")
    if not isinstance(data, Mapping):
        held = "null" if data is None else f"a {type(data).__name__}"
        raise RecordRejected(f"Zeeschuimer {what} line whose `data` is {held}, not an object")
    return data


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _first(*values: Any) -> Any:
    """The first value that is not None."""
    return next((v for v in values if v is not None), None)


# --- X/Twitter -------------------------------------------------------------------


def detect_twitter(record: Any) -> bool:
    """A Zeeschuimer line of the X/Twitter module (`twitter.com`, or `x.com`)."""
    return envelope_platform(record) in X_SOURCES


def parse_twitter(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One captured tweet (GraphQL result, or an older adaptive.json tweet) as a row."""
    if not isinstance(record, Mapping):
        return []
    data = _data(record, "X/Twitter")
    if data.get("promoted") is True:
        ctx.note(PROMOTED_NOTE)
        return []
    if data.get("type") == "adaptive":
        row = parse_adaptive_tweet(data, ctx)
    else:
        row = parse_graphql_tweet(data, ctx)
    return [row] if row is not None else []


_X_MEDIA = {"photo": "image", "video": "video", "animated_gif": "GIF"}


def _locate_twitter(data: Mapping[str, Any]) -> dict[str, SubRecord]:
    tweet = graphql_tweet(data) or data
    legacy = _mapping(tweet.get("legacy"))
    tweet_id = as_str(tweet.get("rest_id")) or as_str(legacy.get("id_str"))
    if tweet_id is None:
        return {}
    kind = get_path(legacy, "extended_entities", "media", 0, "type")
    return {
        tweet_id: SubRecord("data", data, _X_MEDIA.get(kind) if isinstance(kind, str) else None)
    }


# --- TikTok -----------------------------------------------------------------------


def detect_tiktok(record: Any) -> bool:
    """A Zeeschuimer line of TikTok: posts (`tiktok.com`) or comments (`tiktok-comments`)."""
    return envelope_platform(record) in TIKTOK_SOURCES


def _is_tiktok_comment(record: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    if envelope_platform(record) == "tiktok-comments":
        return True
    source = record.get("source_url")
    if isinstance(source, str) and "api/comment/list" in source:
        return True
    return "cid" in data and "aweme_id" in data


def _nonzero_id(value: Any) -> str | None:
    """A TikTok reference id; "0" means none."""
    text = as_str(value)
    return None if text in (None, "0") else text


def _tiktok_video_url(share_url: Any, video_id: str | None) -> str | None:
    """The video's link from a comment's share_info.url (without its tracking query)."""
    if not isinstance(share_url, str) or video_id is None:
        return None
    base = share_url.split("?", 1)[0].removesuffix(".html")
    return base if tiktok_video_id(base) == video_id else None


def _tiktok_comment(data: Mapping[str, Any]) -> RawReply:
    """A comment of TikTok's comment API (api/comment/list, api/comment/list/reply).

    `reply_id` is the top-level comment a reply belongs to and
    `reply_to_reply_id` the reply it answers ("0": none), as in 4CAT's mapper.
    A reply to a reply has no depth here; the importer gives it its parent's
    depth + 1 when the parent is in the file.
    """
    video_id = as_str(data.get("aweme_id"))
    top = _nonzero_id(data.get("reply_id"))
    answered = _nonzero_id(data.get("reply_to_reply_id"))
    user = _mapping(data.get("user"))
    video_url = _tiktok_video_url(get_path(data, "share_info", "url"), video_id)
    row: RawReply = {
        "reply_id": as_str(data.get("cid")),
        "thread_native_id": video_id,
        "thread_url": video_url,
        "parent_id": answered or top or video_id,
        "text": data.get("text"),
        "created_at": data.get("create_time"),
        "like_count": data.get("digg_count"),
        "reply_count": data.get("reply_comment_total"),
        "author_handle": user.get("unique_id"),
        "author_name": user.get("nickname"),
        "author_id": as_str(_first(user.get("uid"), user.get("id"))),
        # TikTok has no per-comment link; the video is the best there is.
        "url": video_url,
    }
    if top is None:
        row["depth"] = 1
    elif answered is None:
        row["depth"] = 2
    return row


def _tiktok_post(data: Mapping[str, Any]) -> RawReply:
    """A TikTok video post (search, profile or feed item): the thread's post, or stand-alone."""
    video_id = as_str(data.get("id"))
    author = data.get("author")
    # Items from the page's embedded state write `author` as the handle itself.
    handle = author if isinstance(author, str) else _mapping(author).get("uniqueId")
    author_obj = _mapping(author)
    stats = _mapping(data.get("stats"))
    stats_v2 = _mapping(data.get("statsV2"))  # the same counts, as strings
    url = f"https://www.tiktok.com/@{handle}/video/{video_id}" if handle and video_id else None
    return {
        "reply_id": video_id,
        "thread_native_id": video_id,
        "thread_url": url,
        "is_root": True,
        "text": data.get("desc"),
        "created_at": data.get("createTime"),
        "like_count": _first(stats.get("diggCount"), stats_v2.get("diggCount")),
        "reply_count": _first(stats.get("commentCount"), stats_v2.get("commentCount")),
        "repost_count": _first(stats.get("shareCount"), stats_v2.get("shareCount")),
        "author_handle": handle,
        "author_name": _first(author_obj.get("nickname"), data.get("nickname")),
        "author_id": as_str(_first(author_obj.get("id"), data.get("authorId"))),
        "url": url,
    }


def parse_tiktok(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One captured TikTok item: a comment, or a video post."""
    if not isinstance(record, Mapping):
        return []
    data = _data(record, "TikTok")
    if _is_tiktok_comment(record, data):
        return [_tiktok_comment(data)]
    if "desc" in data or "createTime" in data:
        if not _has_text(data.get("desc")):
            ctx.note(TT_NO_TEXT_NOTE)
        return [_tiktok_post(data)]
    raise RecordRejected(
        "Zeeschuimer TikTok item that is neither a video post (desc, createTime) "
        "nor a comment (cid, aweme_id)"
    )


def _locate_tiktok(record: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, SubRecord]:
    if _is_tiktok_comment(record, data):
        cid = as_str(data.get("cid"))
        return {cid: SubRecord("data", data)} if cid else {}
    video_id = as_str(data.get("id"))
    return {video_id: SubRecord("data", data, "video")} if video_id else {}


# --- Instagram --------------------------------------------------------------------


def detect_instagram(record: Any) -> bool:
    """A Zeeschuimer line of the Instagram (posts & reels) module (`instagram.com`)."""
    return envelope_platform(record) in INSTAGRAM_SOURCES


def _ig_post_url(code: str) -> str:
    return f"https://www.instagram.com/p/{code}/"


def _ig_user(obj: Mapping[str, Any]) -> tuple[Any, Any, str | None]:
    """(username, full name, id) of an item's `user` (or, for posts, `owner`)."""
    user = _mapping(obj.get("user")) or _mapping(obj.get("owner"))
    return (
        user.get("username"),
        user.get("full_name"),
        as_str(_first(user.get("pk"), user.get("id"), user.get("pk_id"))),
    )


# media_type: 1 photo, 2 video, 8 carousel (album).
_IG_MEDIA = {1: "image", 2: "video", 8: "image/video album"}


def _ig_post(data: Mapping[str, Any], code: str, ctx: ParseContext) -> RawReply:
    """An Instagram post as the thread's post (or a stand-alone post); caption null = no text."""
    handle, name, author_id = _ig_user(data)
    likes = data.get("like_count")
    if data.get("like_and_view_counts_disabled") is True:
        # The API still sends a small placeholder count; the real one is hidden.
        likes = None
        ctx.note(IG_HIDDEN_LIKES_NOTE)
    url = _ig_post_url(code)
    return {
        "reply_id": code,
        "thread_native_id": code,
        "thread_url": url,
        "is_root": True,
        "text": get_path(data, "caption", "text"),
        "created_at": data.get("taken_at"),
        "like_count": likes,
        "reply_count": data.get("comment_count"),
        "author_handle": handle,
        "author_name": name,
        "author_id": author_id,
        "url": url,
    }


def _ig_comments(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], str | None]]:
    """(path, comment, parent comment id) of every comment a post item holds, each once."""
    found: list[tuple[str, Mapping[str, Any], str | None]] = []
    for key in ("comments", "preview_comments"):
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, Mapping):
                continue
            found.append((f"data.{key}[{i}]", item, None))
            children = item.get("preview_child_comments")
            own_id = as_str(_first(item.get("pk"), item.get("id")))
            for j, child in enumerate(children if isinstance(children, list) else []):
                if isinstance(child, Mapping):
                    path = f"data.{key}[{i}].preview_child_comments[{j}]"
                    found.append((path, child, own_id))
    seen: set[str] = set()
    unique = []
    for path, item, parent in found:
        key = as_str(_first(item.get("pk"), item.get("id"))) or path
        if key not in seen:
            seen.add(key)
            unique.append((path, item, parent))
    return unique


def _ig_comment(item: Mapping[str, Any], code: str, parent: str | None) -> RawReply:
    """A comment on an Instagram post; a reply names its comment in `parent_comment_id`."""
    handle, name, author_id = _ig_user(item)
    parent = as_str(item.get("parent_comment_id")) or parent
    return {
        "reply_id": as_str(_first(item.get("pk"), item.get("id"))),
        "thread_native_id": code,
        "thread_url": _ig_post_url(code),
        "parent_id": parent or code,
        "depth": 2 if parent else 1,
        "text": item.get("text"),
        "created_at": _first(item.get("created_at_utc"), item.get("created_at")),
        "like_count": _first(item.get("comment_like_count"), item.get("like_count")),
        "reply_count": item.get("child_comment_count"),
        "author_handle": handle,
        "author_name": name,
        "author_id": author_id,
    }


def _ig_code(data: Mapping[str, Any]) -> str:
    code = as_str(data.get("code"))
    if code is None:
        raise RecordRejected(
            "Zeeschuimer Instagram item without a post shortcode (`code`): not a post"
        )
    return code


def parse_instagram(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One captured Instagram post, plus the comments it holds as replies to it."""
    if not isinstance(record, Mapping):
        return []
    data = _data(record, "Instagram")
    code = _ig_code(data)
    rows = [_ig_post(data, code, ctx)]
    if not _has_text(rows[0].get("text")):
        ctx.note(IG_NO_CAPTION_NOTE)
    for _, item, parent in _ig_comments(data):
        rows.append(_ig_comment(item, code, parent))
        if not _has_text(item.get("text")):
            ctx.note(IG_COMMENT_NO_TEXT_NOTE)
    return rows


def _locate_instagram(data: Mapping[str, Any]) -> dict[str, SubRecord]:
    code = as_str(data.get("code"))
    if code is None:
        return {}
    kind = data.get("media_type")
    out = {code: SubRecord("data", data, _IG_MEDIA.get(kind) if isinstance(kind, int) else None)}
    for path, item, _ in _ig_comments(data):
        cid = as_str(_first(item.get("pk"), item.get("id")))
        if cid is not None and cid not in out:
            gif = item.get("giphy_media_info") or item.get("media")
            out[cid] = SubRecord(path, item, "GIF" if gif else None)
    return out


# --- where each row of a line is (for rejects) and the registry --------------------


def locate_zeeschuimer(record: Any) -> dict[str, SubRecord]:
    """reply id -> its place in the line ("data", "data.comments[2]") and what it holds."""
    platform = envelope_platform(record)
    data = record.get("data") if isinstance(record, Mapping) else None
    if platform is None or not isinstance(data, Mapping) or not isinstance(record, Mapping):
        return {}
    if platform in X_SOURCES:
        return _locate_twitter(data)
    if platform in TIKTOK_SOURCES:
        return _locate_tiktok(record, data)
    if platform in INSTAGRAM_SOURCES:
        return _locate_instagram(data)
    return {}


def detect_unsupported(record: Any) -> bool:
    """A Zeeschuimer line of a module replyscope does not read (threads.net, linkedin.com, ...)."""
    platform = envelope_platform(record)
    return platform is not None and platform not in SUPPORTED


def parse_unsupported(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Refuse the line, naming its module (its envelope `id` must not pass for a reply id)."""
    del ctx
    platform = envelope_platform(record) or "an unknown module"
    raise RecordRejected(
        f"Zeeschuimer capture of {platform}: replyscope reads Zeeschuimer captures of "
        "X/Twitter (twitter.com), TikTok (tiktok.com, tiktok-comments) and Instagram "
        "(instagram.com) only"
    )


FORMATS: list[RecordFormat] = [
    RecordFormat(
        name="zeeschuimer-twitter",
        description="Zeeschuimer (4CAT) NDJSON capture of X/Twitter: GraphQL tweets",
        platform="x",
        detect=detect_twitter,
        parse=parse_twitter,
        locate=locate_zeeschuimer,
    ),
    RecordFormat(
        name="zeeschuimer-tiktok",
        description="Zeeschuimer (4CAT) NDJSON capture of TikTok video posts and/or comments",
        platform="tiktok",
        detect=detect_tiktok,
        parse=parse_tiktok,
        locate=locate_zeeschuimer,
    ),
    RecordFormat(
        name="zeeschuimer-instagram",
        description="Zeeschuimer (4CAT) NDJSON capture of Instagram posts (and comments they hold)",
        platform="instagram",
        detect=detect_instagram,
        parse=parse_instagram,
        locate=locate_zeeschuimer,
    ),
    RecordFormat(
        name="zeeschuimer-other",
        description="Zeeschuimer capture of another platform: each line refused, saying so",
        platform=None,
        detect=detect_unsupported,
        parse=parse_unsupported,
        priority=-1,
    ),
]
