"""Reddit: URL builders, parsers and fetchers.

This module holds the parsing layer, shared by `replyscope import` and the
live collector (pure functions over decoded JSON):

- `/comments/<id>.json` returns `[Listing(t3 post), Listing(t1 comments)]`;
  each Listing is one record. Comments nest through `replies`, which is a
  Listing or the empty string `""` when there are none.
- `kind: "more"` stubs stand for comments that were not loaded: either a list
  of ids (fetched later via /api/morechildren) or, with id `_` and no ids, a
  "continue this thread" link below the depth limit.
- Pushshift dumps hold the same comment dicts flat, one per NDJSON line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.model import ParseContext, RawReply
from collectors.textutil import as_str

REDDIT = "https://www.reddit.com"


def strip_prefix(fullname: Any) -> str | None:
    """Drop the type prefix of a Reddit fullname: 't1_abc' -> 'abc', 't3_xyz' -> 'xyz'."""
    text = as_str(fullname)
    if text is None:
        return None
    kind, sep, rest = text.partition("_")
    # Fullnames are t<digit>_<base36>; anything else is kept as written.
    if sep and len(kind) == 2 and kind[0] == "t" and kind[1].isdigit() and rest:
        return rest
    return text


def _absolute(permalink: Any) -> str | None:
    """Reddit permalinks are site-relative ('/r/...'); make them absolute."""
    if not isinstance(permalink, str) or not permalink:
        return None
    if permalink.startswith("/"):
        return REDDIT + permalink
    return permalink


def _post_url_from_comment(permalink: Any, comment_id: str | None) -> str | None:
    """A comment permalink ends in '/<comment id>/'; dropping that gives the post's."""
    if not isinstance(permalink, str) or not comment_id:
        return None
    trimmed = permalink.rstrip("/")
    head, _, last = trimmed.rpartition("/")
    if last != comment_id or "/comments/" not in head:
        return None
    return _absolute(head + "/")


def parse_comment(data: Mapping[str, Any]) -> RawReply:
    """Turn one t1 comment `data` dict (API or Pushshift) into a RawReply."""
    comment_id = as_str(data.get("id"))
    parent_full = as_str(data.get("parent_id"))
    link_full = as_str(data.get("link_id"))
    row: RawReply = {
        "reply_id": comment_id,
        "thread_native_id": strip_prefix(link_full),
        "thread_url": _post_url_from_comment(data.get("permalink"), comment_id),
        "parent_id": strip_prefix(parent_full),
        # "[deleted]" stays as the handle: it tells deleted accounts apart.
        "author_handle": data.get("author"),
        "author_id": data.get("author_fullname"),
        "text": data.get("body"),
        "created_at": data.get("created_utc"),
        "like_count": data.get("score"),
        "url": _absolute(data.get("permalink")),
    }
    depth = data.get("depth")
    if isinstance(depth, int) and not isinstance(depth, bool):
        # Reddit counts top-level comments as depth 0; ours start at 1.
        row["depth"] = depth + 1
    elif parent_full is not None and (parent_full.startswith("t3_") or parent_full == link_full):
        row["depth"] = 1
    return row


def parse_submission(data: Mapping[str, Any]) -> RawReply:
    """Turn one t3 post `data` dict into the thread's root row."""
    title = data.get("title")
    body = data.get("selftext")
    parts = [p for p in (title, body) if isinstance(p, str) and p.strip()]
    post_id = as_str(data.get("id"))
    url = _absolute(data.get("permalink"))
    return {
        "reply_id": post_id,
        "thread_native_id": post_id,
        "thread_url": url,
        "author_handle": data.get("author"),
        "author_id": data.get("author_fullname"),
        "text": "\n\n".join(parts) if parts else None,
        "created_at": data.get("created_utc"),
        "like_count": data.get("score"),
        "reply_count": data.get("num_comments"),
        "url": url,
        "is_root": True,
    }


def _children(listing: Any) -> list[Any]:
    """Children of a Listing; [] for '' (no replies) or anything malformed."""
    if not isinstance(listing, Mapping):
        return []
    children = (
        listing.get("data", {}).get("children")
        if isinstance(listing.get("data"), Mapping)
        else None
    )
    return children if isinstance(children, list) else []


def _walk(listing: Any) -> list[Any]:
    """Every thing in a Listing tree, depth-first in document order (no recursion)."""
    out: list[Any] = []
    stack = list(reversed(_children(listing)))
    while stack:
        thing = stack.pop()
        out.append(thing)
        data = thing.get("data") if isinstance(thing, Mapping) else None
        if isinstance(data, Mapping) and thing.get("kind") == "t1":
            stack.extend(reversed(_children(data.get("replies"))))
    return out


def _more_stubs(listing: Any) -> list[Mapping[str, Any]]:
    """The `data` of every `more` stub in a Listing tree."""
    return [
        thing["data"]
        for thing in _walk(listing)
        if isinstance(thing, Mapping)
        and thing.get("kind") == "more"
        and isinstance(thing.get("data"), Mapping)
    ]


def more_ids(listing: Any) -> list[str]:
    """Ids of the comments that `more` stubs anywhere in the Listing left unloaded."""
    ids: list[str] = []
    for data in _more_stubs(listing):
        children = data.get("children")
        if isinstance(children, list):
            ids.extend(s for s in (as_str(c) for c in children) if s)
    return ids


def continue_thread_parents(listing: Any) -> list[str]:
    """Comment ids under which a 'continue this thread' stub (id '_', no ids) cut the tree."""
    parents = (
        strip_prefix(d.get("parent_id")) for d in _more_stubs(listing) if not d.get("children")
    )
    return [p for p in parents if p]


def parse_listing(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Flatten one Reddit Listing (the t3 post or the t1 comment tree) into rows."""
    rows: list[RawReply] = []
    depth_of: dict[str, int] = {}
    for thing in _walk(record):
        kind = thing.get("kind") if isinstance(thing, Mapping) else None
        data = thing.get("data") if isinstance(thing, Mapping) else None
        if not isinstance(data, Mapping):
            ctx.note("reddit: unusable thing")
            continue
        if kind == "t3":
            rows.append(parse_submission(data))
        elif kind == "t1":
            row = parse_comment(data)
            parent = row.get("parent_id")
            # Listings normally carry `depth`; when not, the tree walk knows it.
            if "depth" not in row and parent in depth_of:
                row["depth"] = depth_of[parent] + 1
            if isinstance(row.get("depth"), int) and row.get("reply_id"):
                depth_of[row["reply_id"]] = row["depth"]
            rows.append(row)
        elif kind == "more":
            children = data.get("children")
            if isinstance(children, list) and children:
                ctx.note("reddit: more stubs (unexpanded comments)", n=len(children))
            else:
                ctx.note("reddit: continue-thread stubs (deeper replies not loaded)")
        else:
            ctx.note(f"reddit: skipped kind {kind!r}")
    return rows


def parse_pushshift(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Parse one Pushshift comment line (a flat t1 dict without `kind`)."""
    if not isinstance(record, Mapping):
        return []
    if not isinstance(record.get("body"), str):
        ctx.note("reddit: pushshift line without body")
        return []
    return [parse_comment(record)]
