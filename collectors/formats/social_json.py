"""JSON exports for Instagram, Facebook and TikTok comments.

- Apify "Instagram Comments Scraper" (and the comment items of Apify's other
  Instagram actors): one comment per record, replies nested in `replies[]`.
- Apify "Facebook Comments Scraper": one comment per record, replies flat
  (`threadingDepth` + `replyToCommentId`). The XLSX export of the same actor is
  a table format; it reuses `APIFY_FACEBOOK_FIELDS` and `facebook_post_id`.
- Apify "TikTok Comments Scraper": one comment per record, replies flat
  (`repliesToId`).
- Facebook "Download Your Information" comments file: one object holding every
  comment the account owner wrote; no ids, the commented post only in prose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordFormat, SubRecord
from collectors.model import ParseContext, RawReply, get_path
from collectors.textutil import as_str

# Nested replies deeper than this are not followed (guards against cycles or
# absurd payloads; real exports nest one level).
_MAX_DEPTH = 50

# Comments without text (a GIF or sticker) have nothing to analyse: the
# normaliser's rule sends them to `rejects`, and the notes say so.
IG_NO_TEXT_NOTE = "instagram comment without text (GIF): rejected, no text to analyse"
FB_NO_TEXT_NOTE = "facebook comment without text (sticker/GIF): rejected, no text to analyse"


def _first(obj: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key present with a non-None value."""
    for key in keys:
        value = obj.get(key)
        if value is not None:
            return value
    return None


def _str_or_none(value: Any) -> str | None:
    """A string field as given, or None when absent/not a string."""
    return value if isinstance(value, str) else None


def _locate_nested(record: Any, key: str, media: str) -> dict[str, SubRecord]:
    """reply id -> place of every comment in an item and its nested `key` lists."""
    out: dict[str, SubRecord] = {}
    stack: list[tuple[Any, str, int]] = [(record, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if not isinstance(item, Mapping):
            continue
        reply_id = as_str(item.get("id"))
        if reply_id is not None and reply_id not in out:
            out[reply_id] = SubRecord(path, item, None if item.get("text") else media)
        children = item.get(key)
        if isinstance(children, list) and depth < _MAX_DEPTH:
            for i, child in enumerate(children):
                stack.append((child, f"{path}.{key}[{i}]" if path else f"{key}[{i}]", depth + 1))
    return out


def locate_apify_instagram(record: Any) -> dict[str, SubRecord]:
    """Where each comment of an Instagram item is (nested under replies[])."""
    return _locate_nested(record, "replies", "GIF")


def locate_apify_facebook(record: Any) -> dict[str, SubRecord]:
    """Where each comment of a Facebook item is (some actor versions nest `comments`)."""
    return _locate_nested(record, "comments", "sticker/GIF")


# --- Instagram (Apify) ---

# /p/<code>/, /reel/<code>/, /reels/<code>/, /tv/<code>/, also behind a
# /<username>/ prefix as newer share links have it.
_IG_SHORTCODE = re.compile(r"instagram\.com/(?:[\w.]+/)?(?:p|reels?|tv)/([A-Za-z0-9_-]+)")


def instagram_shortcode(url: Any) -> str | None:
    """The post shortcode in an Instagram post/reel URL, or None."""
    if not isinstance(url, str):
        return None
    match = _IG_SHORTCODE.search(url)
    return match.group(1) if match else None


def _ig_username(item: Mapping[str, Any]) -> Any:
    # The comments scraper writes both; the old instagram-scraper only the flat key.
    return _first(item, "ownerUsername", "owner_username") or get_path(item, "owner", "username")


def detect_apify_instagram(record: Any) -> bool:
    """An Apify Instagram comment item: id, owner username and an Instagram marker."""
    if not isinstance(record, dict) or "id" not in record:
        return False
    if not _ig_username(record):
        return False
    # Post items (Instagram Post/Scraper actors) carry ownerUsername, id and
    # an instagram.com url too, but also these post-only keys.
    if any(k in record for k in ("caption", "displayUrl", "latestComments", "commentsCount")):
        return False
    urls = (record.get(k) for k in ("postUrl", "commentUrl", "url", "inputUrl"))
    if any(isinstance(u, str) and "instagram.com" in u for u in urls):
        return True
    # The old apify/instagram-scraper comment items have no URL, only postId.
    return "text" in record and ("postId" in record or "ownerProfilePicUrl" in record)


def _ig_row(
    item: Mapping[str, Any],
    *,
    thread_id: str | None,
    thread_url: str | None,
    parent_id: str | None,
    depth: int,
) -> RawReply:
    owner = item.get("owner")
    if not isinstance(owner, Mapping):
        owner = {}
    row: RawReply = {
        "reply_id": as_str(item.get("id")),
        "thread_native_id": thread_id,
        "thread_url": thread_url,
        "parent_id": parent_id,
        "depth": depth,
        "text": item.get("text"),
        "author_handle": _ig_username(item),
        "author_name": _first(owner, "full_name", "fullName") or item.get("ownerFullName"),
        "author_id": as_str(_first(owner, "id", "pk") or item.get("ownerId")),
        "created_at": _first(item, "timestamp", "created_at", "createdAt"),
        "like_count": _first(item, "likesCount", "likes_count", "likeCount", "comment_like_count"),
        "reply_count": _first(
            item, "repliesCount", "replies_count", "replyCount", "child_comment_count"
        ),
        # Nested replies carry no commentUrl; we do not invent one.
        "url": _str_or_none(item.get("commentUrl")),
    }
    return row


def _ig_flatten(
    item: Mapping[str, Any],
    ctx: ParseContext,
    *,
    thread_id: str | None,
    thread_url: str | None,
    parent_id: str | None,
    depth: int,
    out: list[RawReply],
) -> None:
    if item.get("text") is None and item.get("id") is None:
        ctx.note("instagram comment without id or text skipped")
        return
    if not item.get("text"):
        # The row is still made; the importer rejects it (nothing to analyse)
        # with its own place and JSON, see locate_apify_instagram.
        ctx.note(IG_NO_TEXT_NOTE)
    out.append(
        _ig_row(item, thread_id=thread_id, thread_url=thread_url, parent_id=parent_id, depth=depth)
    )
    replies = item.get("replies")
    if not isinstance(replies, list) or not replies:
        return
    if depth >= _MAX_DEPTH:
        ctx.note("instagram replies nested too deep skipped", len(replies))
        return
    own_id = as_str(item.get("id"))
    for reply in replies:
        if not isinstance(reply, Mapping):
            ctx.note("instagram reply that is not an object skipped")
            continue
        _ig_flatten(
            reply,
            ctx,
            thread_id=thread_id,
            thread_url=thread_url,
            parent_id=own_id,
            depth=depth + 1,
            out=out,
        )


def parse_apify_instagram(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One Apify Instagram comment item plus its nested replies[] as rows."""
    if not isinstance(record, Mapping):
        return []
    post_url = _str_or_none(_first(record, "postUrl", "inputUrl"))
    shortcode = (
        instagram_shortcode(post_url)
        or instagram_shortcode(record.get("commentUrl"))
        or as_str(_first(record, "shortCode", "shortcode", "postId", "postShortcode"))
    )
    out: list[RawReply] = []
    # Top-level comments answer the post itself: parent = the post's shortcode.
    _ig_flatten(
        record,
        ctx,
        thread_id=shortcode,
        thread_url=post_url,
        parent_id=shortcode,
        depth=1,
        out=out,
    )
    return out


# --- Facebook (Apify Comments Scraper) ---

# RawReply field -> Apify key, for the fields that map one to one. Shared with
# the XLSX table format (which compares header names lower-cased). Two fields
# need more than a column copy and are derived, here and in the table format:
# - depth = threadingDepth + 1 (empty/0 = top-level comment = depth 1);
# - parent_id = replyToCommentId, or for a top-level comment the post id
#   (facebookId, else `facebook_post_id(facebookUrl)`).
APIFY_FACEBOOK_FIELDS: dict[str, str] = {
    "reply_id": "id",
    "text": "text",
    "created_at": "date",
    "like_count": "likesCount",
    "reply_count": "commentsCount",
    "author_name": "profileName",
    "author_id": "profileId",
    "url": "commentUrl",
    "thread_native_id": "facebookId",
    "thread_url": "facebookUrl",
    "parent_id": "replyToCommentId",
}

# Post-id patterns of Facebook URLs, most specific first.
_FB_POST_ID = (
    re.compile(r"[?&]story_fbid=([\w-]+)"),
    re.compile(r"/(?:posts|permalink|videos|reel)/([\w-]+)"),
    re.compile(r"[?&](?:fbid|v)=([\w-]+)"),
)


def facebook_post_id(url: Any) -> str | None:
    """The post id (numeric or pfbid…) in a Facebook post URL, or None."""
    if not isinstance(url, str):
        return None
    for pattern in _FB_POST_ID:
        match = pattern.search(url)
        if match:
            return match.group(1)
    return None


def detect_apify_facebook(record: Any) -> bool:
    """An Apify Facebook comment item: post URL/id plus comment-only keys."""
    # No "text" requirement: sticker-only comments come without it.
    if not isinstance(record, dict):
        return False
    if "facebookUrl" not in record and "facebookId" not in record:
        return False
    # The Facebook *post* scraper shares facebookUrl/facebookId; only comment
    # items have these keys.
    has_comment_key = any(k in record for k in ("commentUrl", "threadingDepth", "replyToCommentId"))
    has_profile = "profileName" in record or "profileId" in record
    return has_comment_key and has_profile


def _fb_depth(value: Any) -> int | None:
    # threadingDepth is 0 (JSON) or empty (XLSX) for a top-level comment.
    if value is None or value == "":
        return 1
    try:
        return int(value) + 1
    except (TypeError, ValueError):
        return None


def _fb_rows(
    item: Mapping[str, Any],
    ctx: ParseContext,
    *,
    post_id: str | None,
    thread_url: str | None,
    inherited_parent: str | None,
    inherited_depth: int | None,
    out: list[RawReply],
) -> None:
    reply_id = as_str(item.get("id"))
    if reply_id is None and item.get("text") is None:
        ctx.note("facebook comment without id or text skipped")
        return
    if not item.get("text"):
        # The row is still made; the importer rejects it (nothing to analyse)
        # with its own place and JSON, see locate_apify_facebook.
        ctx.note(FB_NO_TEXT_NOTE)
    parent = as_str(item.get("replyToCommentId")) or inherited_parent
    if "threadingDepth" in item:
        depth = _fb_depth(item.get("threadingDepth")) or inherited_depth
    elif inherited_depth is not None:
        depth = inherited_depth
    else:
        # No depth key and no parent comment: a top-level comment.
        depth = 1 if parent is None else None
    if parent is None and depth in (None, 1):
        parent = post_id
    row: RawReply = {
        "reply_id": reply_id,
        "thread_native_id": post_id,
        "thread_url": thread_url,
        "parent_id": parent,
        "text": item.get("text"),
        "created_at": item.get("date"),
        "like_count": item.get("likesCount"),
        "reply_count": item.get("commentsCount"),
        # Facebook shows display names, not handles.
        "author_handle": None,
        "author_name": item.get("profileName"),
        "author_id": as_str(item.get("profileId")),
        "url": _str_or_none(item.get("commentUrl")),
    }
    if depth is not None:
        row["depth"] = depth
    out.append(row)
    # Some actor versions nest replies under `comments` (usually empty).
    nested = item.get("comments")
    if isinstance(nested, list) and nested:
        if (depth or 1) >= _MAX_DEPTH:
            ctx.note("facebook replies nested too deep skipped", len(nested))
            return
        for child in nested:
            if not isinstance(child, Mapping):
                ctx.note("facebook reply that is not an object skipped")
                continue
            _fb_rows(
                child,
                ctx,
                post_id=post_id,
                thread_url=thread_url,
                inherited_parent=reply_id,
                inherited_depth=None if depth is None else depth + 1,
                out=out,
            )


def parse_apify_facebook(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One Apify Facebook comment item (plus any nested `comments`) as rows."""
    if not isinstance(record, Mapping):
        return []
    thread_url = _str_or_none(_first(record, "facebookUrl", "inputUrl"))
    # The same id serves as thread id and as parent of top-level comments, so
    # both always agree; the URL itself is the last resort.
    post_id = as_str(record.get("facebookId")) or facebook_post_id(thread_url) or thread_url
    out: list[RawReply] = []
    _fb_rows(
        record,
        ctx,
        post_id=post_id,
        thread_url=thread_url,
        inherited_parent=None,
        inherited_depth=None,
        out=out,
    )
    return out


# --- TikTok (Apify Comments Scraper) ---

_TIKTOK_VIDEO_ID = re.compile(r"/(?:video|photo)/(\d+)")


def tiktok_video_id(url: Any) -> str | None:
    """The numeric video id in a TikTok video URL, or None."""
    if not isinstance(url, str):
        return None
    match = _TIKTOK_VIDEO_ID.search(url)
    return match.group(1) if match else None


def detect_apify_tiktok(record: Any) -> bool:
    """An Apify TikTok comment item: cid plus TikTok-only keys."""
    if not isinstance(record, dict) or "cid" not in record:
        return False
    # youtube-comment-downloader items also have cid/text; these keys are TikTok's.
    tiktok_keys = ("diggCount", "uniqueId", "repliesToId", "replyCommentTotal", "videoWebUrl")
    return sum(k in record for k in tiktok_keys) >= 2


def parse_apify_tiktok(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One Apify TikTok comment item as a row."""
    if not isinstance(record, Mapping):
        return []
    reply_id = as_str(record.get("cid"))
    if reply_id is None and record.get("text") is None:
        ctx.note("tiktok comment without cid or text skipped")
        return []
    video_url = _str_or_none(_first(record, "videoWebUrl", "submittedVideoUrl", "input"))
    video_id = (
        tiktok_video_id(video_url)
        or tiktok_video_id(record.get("submittedVideoUrl"))
        or as_str(_first(record, "awemeId", "aweme_id"))
    )
    replies_to = as_str(record.get("repliesToId"))
    row: RawReply = {
        "reply_id": reply_id,
        "thread_native_id": video_id,
        "thread_url": video_url,
        "parent_id": replies_to or video_id,
        "depth": 2 if replies_to else 1,
        "text": record.get("text"),
        "created_at": _first(record, "createTimeISO", "createTime"),
        "like_count": record.get("diggCount"),
        "reply_count": record.get("replyCommentTotal"),
        "author_handle": record.get("uniqueId"),
        "author_id": as_str(record.get("uid")),
        # The actor gives no per-comment link; the video is the best we have.
        "url": video_url,
    }
    return [row]


# --- Facebook "Download Your Information" comments file ---

_DYI_KEYS = ("comments_v2", "comments")

# "X commented on Y's post." / "X replied to Y's comment." (English export).
# The target may not hold an apostrophe, so "Y's comment on Z's post" and
# names like O'Brien give no match rather than a wrong name.
_DYI_EN = re.compile(
    r"\s(?:commented on|replied to)\s(?P<target>[^'’]+?)(?:'s|’s|'|’)\s+[\w ]+\.?\s*$"
)
# "X commented on his own post." -> the author answered themself.
_DYI_EN_OWN = re.compile(r"\s(?:commented on|replied to)\s(?:his|her|their)\s+own\s[\w ]+\.?\s*$")
# "X har kommenteret Ys opslag." (Danish genitive: -s, or -' after s/x/z;
# "Y's" is accepted too). The object is one word, so the target is everything
# between the verb and it; "et opslag" has no genitive and gives no match.
_DYI_DA = re.compile(r"\shar\s(?:kommenteret|svaret på)\s(?P<target>.+?(?:s|'|’))\s+\w+\.?\s*$")
_DYI_DA_OWN = re.compile(r"\shar\s(?:kommenteret|svaret på)\s(?:sit|sin)\s+eg(?:et|en)\s")


def dyi_parent_author(title: Any, author: Any = None) -> str | None:
    """The name of whose post was commented on, read from an English/Danish title."""
    if not isinstance(title, str):
        return None
    if _DYI_EN_OWN.search(title) or _DYI_DA_OWN.search(title):
        return author if isinstance(author, str) else None
    match = _DYI_EN.search(title)
    if match:
        return match.group("target").strip() or None
    match = _DYI_DA.search(title)
    if match:
        target = match.group("target").strip()
        # Drop the genitive: "Jacobsens" -> "Jacobsen", "Hans'" -> "Hans".
        cut = 2 if target.endswith(("'s", "’s")) else 1
        return target[:-cut].strip() or None
    return None


def detect_facebook_dyi(record: Any) -> bool:
    """The whole Facebook DYI comments object: {"comments_v2"|"comments": [entries]}."""
    if not isinstance(record, dict):
        return False
    key = next((k for k in _DYI_KEYS if k in record), None)
    if key is None:
        return False
    # Apify Facebook items also have a `comments` list; DYI files have none of
    # their other keys (the object holds little beyond the entry list).
    if any(k in record for k in ("id", "facebookUrl", "text", "kind", "data")):
        return False
    entries = record[key]
    if not isinstance(entries, list):
        return False
    if not entries:
        return len(record) == 1
    return any(
        isinstance(e, dict) and "timestamp" in e and ("data" in e or "title" in e)
        for e in entries[:20]
    )


def parse_facebook_dyi(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Every comment in a Facebook DYI comments file (one row per comment)."""
    if not isinstance(record, Mapping):
        return []
    entries = next((record[k] for k in _DYI_KEYS if isinstance(record.get(k), list)), None)
    if entries is None:
        return []
    out: list[RawReply] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            ctx.note("facebook DYI entry that is not an object skipped")
            continue
        data = entry.get("data")
        if not isinstance(data, list) or not data:
            # Facebook keeps the entry but drops the text of some comments
            # (deleted posts, removed attachments).
            ctx.note("facebook DYI entry without data skipped")
            continue
        for item in data:
            comment = get_path(item, "comment")
            text = get_path(comment, "comment")
            if not isinstance(comment, Mapping) or not isinstance(text, str):
                ctx.note("facebook DYI data item without comment text skipped")
                continue
            author = comment.get("author")
            out.append(
                {
                    # No ids in DYI: the importer derives a stable one.
                    "reply_id": None,
                    "text": text,
                    "author_name": author,
                    # The comment's own time; the entry's is the same when both exist.
                    "created_at": _first(comment, "timestamp") or _first(entry, "timestamp"),
                    "parent_author": dyi_parent_author(entry.get("title"), author),
                }
            )
    return out


FORMATS: list[RecordFormat] = [
    RecordFormat(
        name="apify-instagram-comments",
        description="Apify Instagram Comments Scraper items (JSON/NDJSON), nested replies[]",
        platform="instagram",
        detect=detect_apify_instagram,
        parse=parse_apify_instagram,
        locate=locate_apify_instagram,
    ),
    RecordFormat(
        name="apify-facebook-comments",
        description="Apify Facebook Comments Scraper items (JSON/NDJSON)",
        platform="facebook",
        detect=detect_apify_facebook,
        parse=parse_apify_facebook,
        locate=locate_apify_facebook,
    ),
    RecordFormat(
        name="apify-tiktok-comments",
        description="Apify TikTok Comments Scraper items (JSON/NDJSON)",
        platform="tiktok",
        detect=detect_apify_tiktok,
        parse=parse_apify_tiktok,
    ),
    RecordFormat(
        name="facebook-dyi-comments",
        description='Facebook "Download Your Information" comments.json (comments_v2)',
        platform="facebook",
        detect=detect_facebook_dyi,
        parse=parse_facebook_dyi,
    ),
]
