"""Bluesky `app.bsky.unspecced.getPostThreadV2` responses: the flat thread the Bluesky app reads.

A response is `{"thread": [threadItem, ...], "hasOtherReplies": bool}` (lexicon
app/bsky/unspecced/getPostThreadV2.json and defs.json in bluesky-social/atproto).
Each threadItem is `{uri, depth, value}`: depth 0 is the anchor (the post asked
for), its parents have negative depths (topmost first), replies positive depths
in tree order, so an item's parent is the nearest item before it one level up.
`value.$type` is `app.bsky.unspecced.defs#threadItemPost` (with `post`, the same
postView getPostThread gives, and `moreReplies`, `moreParents`) or a stub
without content: `#threadItemNotFound`, `#threadItemBlocked`,
`#threadItemNoUnauthenticated` (shown to logged-in readers only).

Rows are the ones getPostThread gives for the same posts (reply_id = the at://
URI, depth counted from the thread's root), so both files merge into one row
per reply. Replies the server counted but left out (`moreReplies` per post,
`hasOtherReplies` for the thread) are noted as "not in file".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordFormat, RecordRejected, SubRecord
from collectors.formats.platform_json import bluesky_media, note_posts_without_text
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.bluesky import parse_post_view
from collectors.textutil import as_str

# The unspecced lexicon is marked "will change without notice": kinds are
# matched by the name after '#', and an item of an unknown kind that still
# carries a postView is read as a post.
_STUB_NOTES = {
    "threadItemNotFound": "bluesky: not found",
    "threadItemBlocked": "bluesky: blocked",
    "threadItemNoUnauthenticated": "bluesky: replies shown to logged-in users only, not in file",
}
NOTE_MORE_REPLIES = "bluesky: replies not in file (moreReplies)"
NOTE_OTHER_REPLIES = "bluesky: threads with other replies not in file (hasOtherReplies)"
NOTE_MORE_PARENTS = "bluesky: parents not in file (moreParents)"


def _is_item(item: Any) -> bool:
    """A threadItem: an at:// uri, a depth and a value object."""
    if not isinstance(item, Mapping) or not isinstance(item.get("value"), Mapping):
        return False
    uri = item.get("uri")
    return "depth" in item and isinstance(uri, str) and uri.startswith("at://")


def is_thread_v2(record: Any) -> bool:
    """A getPostThreadV2 (or getPostThreadOtherV2) response: `thread` is a list of threadItems."""
    if not isinstance(record, Mapping):
        return False
    thread = record.get("thread")
    if not isinstance(thread, list):
        return False
    if not thread:
        return "hasOtherReplies" in record
    return all(_is_item(item) for item in thread[:5])


def _kind(value: Any) -> str:
    """The item kind after '#' ("threadItemPost"), or "" when the value names none."""
    kind = get_path(value, "$type")
    return kind.rpartition("#")[2] if isinstance(kind, str) else ""


def _post_of(item: Any) -> Mapping[str, Any] | None:
    """The postView of a threadItem, or None for stubs and malformed items."""
    value = get_path(item, "value")
    post = get_path(value, "post")
    if not isinstance(post, Mapping) or not isinstance(post.get("uri"), str):
        return None
    if _kind(value) in _STUB_NOTES:
        return None
    return post


def _depth(item: Mapping[str, Any]) -> int | None:
    depth = item.get("depth")
    return depth if isinstance(depth, int) and not isinstance(depth, bool) else None


def _root_and_offset(items: list[Any]) -> tuple[str | None, int | None]:
    """The thread's root URI and the item depth it has (None when the file cannot tell)."""
    posts = [(item, post) for item in items if (post := _post_of(item)) is not None]
    root = next(
        (u for _, p in posts if (u := as_str(get_path(p, "record", "reply", "root", "uri")))),
        None,
    )
    if root is None:
        # No post is a reply: the topmost post starts the thread.
        top = min(
            ((d, p) for it, p in posts if (d := _depth(it)) is not None),
            key=lambda x: x[0],
            default=None,
        )
        return (as_str(top[1].get("uri")), top[0]) if top else (None, None)
    for item, post in posts:
        depth = _depth(item)
        if depth is None:
            continue
        if post.get("uri") == root:
            return root, depth
        if get_path(post, "record", "reply", "parent", "uri") == root:
            return root, depth - 1
    return root, None


def _as_root(row: RawReply) -> RawReply:
    """Mark a row as the thread's root post (no parent, no depth), as getPostThread does."""
    row["is_root"] = True
    row.pop("parent_id", None)
    row.pop("depth", None)
    return row


def _note_item(item: Any, ctx: ParseContext) -> None:
    """Count what a post item says is missing, or the stub an item is."""
    value = get_path(item, "value")
    if _post_of(item) is None:
        ctx.note(_STUB_NOTES.get(_kind(value), "bluesky: unusable thread item"))
        return
    more = get_path(value, "moreReplies")
    if isinstance(more, int) and not isinstance(more, bool) and more > 0:
        ctx.note(NOTE_MORE_REPLIES, n=more)
    if get_path(value, "moreParents") is True:
        ctx.note(NOTE_MORE_PARENTS)


def parse_thread_v2(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Rows of a getPostThreadV2 response: every post item, parents from the reply refs."""
    items = record.get("thread") if isinstance(record, Mapping) else None
    if not isinstance(items, list):
        raise RecordRejected("a getPostThreadV2 response without a `thread` list")
    root, root_depth = _root_and_offset(items)
    last_at: dict[int, str] = {}  # depth -> uri of the latest item there (the open branch)
    rows: list[RawReply] = []
    for item in items:
        _note_item(item, ctx)
        depth = _depth(item) if isinstance(item, Mapping) else None
        guess = last_at.get(depth - 1) if depth is not None else None
        if depth is not None and isinstance(item, Mapping):
            # A new item at this depth closes every deeper branch before it.
            last_at = {d: u for d, u in last_at.items() if d < depth}
            last_at[depth] = str(item.get("uri"))
        post = _post_of(item)
        if post is None:
            continue
        level = depth - root_depth if depth is not None and root_depth is not None else None
        row = parse_post_view(post, guess, root, level)
        rows.append(_as_root(row) if row.get("reply_id") == root else row)
    if isinstance(record, Mapping) and record.get("hasOtherReplies") is True:
        ctx.note(NOTE_OTHER_REPLIES)
    kinds = {_kind(get_path(item, "value")) for item in items}
    if items and not rows and not kinds & _STUB_NOTES.keys():
        # Nothing read and no known stub: the shape changed again; say so.
        shown = ", ".join(sorted(k or "(none)" for k in kinds))
        raise RecordRejected(
            f"getPostThreadV2 thread: none of its {len(items)} items holds a post "
            f"(value.post); item kinds: {shown}. Read it by its key names with --format generic"
        )
    root_url = next((r.get("url") for r in rows if r.get("is_root")), None)
    if root_url:  # the root's handle-based URL, as getPostThread rows have it
        for row in rows:
            row["thread_url"] = root_url
    return note_posts_without_text(rows, record, locate_thread_v2, ctx)


def locate_thread_v2(record: Any) -> dict[str, SubRecord]:
    """at:// URI -> "thread[4] (at://...)" and the postView, for rejected replies."""
    out: dict[str, SubRecord] = {}
    items = record.get("thread") if isinstance(record, Mapping) else None
    for i, item in enumerate(items if isinstance(items, list) else []):
        post = _post_of(item)
        uri = as_str(post.get("uri")) if post is not None else None
        if post is not None and uri is not None and uri not in out:
            out[uri] = SubRecord(f"thread[{i}] ({uri})", post, bluesky_media(post))
    return out


FORMATS: list[RecordFormat] = [
    RecordFormat(
        name="bluesky-thread-v2",
        description="Bluesky app.bsky.unspecced.getPostThreadV2 response (flat thread list)",
        platform="bluesky",
        detect=is_thread_v2,
        parse=parse_thread_v2,
        locate=locate_thread_v2,
    ),
]
