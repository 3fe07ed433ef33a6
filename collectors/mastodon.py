"""Mastodon: URL builders, parsers and fetchers.

This module holds the parsing layer for `GET /api/v1/statuses/:id/context`
responses (`{"ancestors": [...], "descendants": [...]}`), shared by
`replyscope import` and the live collector. The functions are pure.

Status ids are instance-local: the same post has a different id on every
server that knows it (its global identity is `uri`). We keep the id as the
server that answered wrote it, because `in_reply_to_id` links use that same
numbering, so the parent/child structure stays consistent within one file.

The status the context was fetched for is *not* in the response. With no
ancestors it is the thread's root; its id is the one `in_reply_to_id` that
no status in the file has (or `ctx.thread`, when given).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from collectors.model import ParseContext, RawReply
from collectors.textutil import as_str, html_to_text


def _mapping(value: Any) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one (malformed input)."""
    return value if isinstance(value, Mapping) else {}


def status_id_from(thread: str | None) -> str | None:
    """The status id in `ctx.thread`: a bare id or a status URL ending in the id."""
    if not thread or not thread.strip():
        return None
    text = thread.strip()
    if "://" in text:
        segments = [s for s in urlsplit(text).path.split("/") if s]
        # .../statuses/<id>/context (an API URL) names the status before "context".
        if segments and segments[-1] == "context":
            segments.pop()
        return segments[-1] if segments else None
    return text


def parse_status(
    status: Mapping[str, Any],
    thread_id: str | None = None,
    depth: int | None = None,
    thread_url: str | None = None,
) -> RawReply:
    """Turn one Mastodon status into a RawReply (thread and depth as the caller knows them)."""
    account = _mapping(status.get("account"))
    text = html_to_text(status.get("content")) if isinstance(status.get("content"), str) else None
    spoiler = status.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        # The content-warning line is part of what readers see first.
        text = f"CW: {spoiler.strip()}\n{text or ''}"
    row: RawReply = {
        "reply_id": as_str(status.get("id")),
        "thread_native_id": thread_id,
        "thread_url": thread_url,
        "parent_id": as_str(status.get("in_reply_to_id")),
        "author_id": as_str(account.get("id")),
        # acct is "user" for local accounts and "user@domain" for remote ones.
        "author_handle": account.get("acct") or account.get("username"),
        "author_name": account.get("display_name"),
        "text": text,
        "created_at": status.get("created_at"),
        "like_count": status.get("favourites_count"),
        "reply_count": status.get("replies_count"),
        "repost_count": status.get("reblogs_count"),
        "lang": status.get("language"),
        "url": status.get("url") or status.get("uri"),
    }
    if depth is not None:
        row["depth"] = depth
    return row


def _statuses(value: Any, ctx: ParseContext) -> list[Mapping[str, Any]]:
    """The usable statuses of an `ancestors`/`descendants` list."""
    if not isinstance(value, list):
        return []
    usable = []
    for item in value:
        if isinstance(item, Mapping) and as_str(item.get("id")):
            usable.append(item)
        else:
            ctx.note("mastodon: unusable status")
    return usable


def _depths(parent_of: dict[str, str | None], root_id: str | None) -> dict[str, int]:
    """Depth of every status whose parent chain reaches the root (root = 0)."""
    known: dict[str, int] = {} if root_id is None else {root_id: 0}
    for start in parent_of:
        path: list[str] = []
        seen: set[str] = set()
        cur: str | None = start
        # Walk up until a known depth, a missing parent or a loop.
        while cur is not None and cur not in known and cur in parent_of and cur not in seen:
            path.append(cur)
            seen.add(cur)
            cur = parent_of[cur]
        if cur is None or cur not in known:
            continue
        base = known[cur]
        for offset, sid in enumerate(reversed(path), start=1):
            known[sid] = base + offset
    return known


def parse_context(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Flatten a statuses/:id/context response into rows (the first ancestor is the root)."""
    if not isinstance(record, Mapping):
        return []
    ancestors = _statuses(record.get("ancestors"), ctx)
    descendants = _statuses(record.get("descendants"), ctx)
    if not ancestors and not descendants:
        return []
    every = [*ancestors, *descendants]
    parent_of: dict[str, str | None] = {
        str(as_str(s.get("id"))): as_str(s.get("in_reply_to_id")) for s in every
    }
    # Parents named in the file but absent from it: for a complete context
    # response that is exactly the status the context was fetched for.
    orphans = Counter(p for p in parent_of.values() if p is not None and p not in parent_of)
    given = status_id_from(ctx.thread)

    root_status = next((s for s in ancestors if s.get("in_reply_to_id") is None), None)
    anchor: str | None = None
    if root_status is not None:
        root_id: str | None = as_str(root_status.get("id"))
        # The fetched status replies to the last ancestor (ancestors are in
        # thread order); linking it lets its descendants get depths too.
        anchor = given if given and given not in parent_of else _most_common(orphans, ctx)
        if anchor is not None:
            parent_of.setdefault(anchor, as_str(ancestors[-1].get("id")))
    elif ancestors:
        # Ancestors were cut short (servers cap them): the root is not here.
        ctx.note("mastodon: root not in file (ancestors truncated)")
        root_id = given
    else:
        root_id = given or _most_common(orphans, ctx)

    depths = _depths(parent_of, root_id)
    root_url = (root_status.get("url") or root_status.get("uri")) if root_status else None
    if root_url is None and ctx.thread and "://" in ctx.thread and root_id == given:
        root_url = ctx.thread.strip()

    rows: list[RawReply] = []
    for status in every:
        sid = str(as_str(status.get("id")))
        row = parse_status(status, root_id, depths.get(sid), root_url)
        if status is root_status:
            row["is_root"] = True
            row.pop("depth", None)
            row["thread_url"] = row.get("url")
        rows.append(row)
    return rows


def _most_common(orphans: Counter[str], ctx: ParseContext) -> str | None:
    """The parent most statuses hang from, when the file does not say which is the root."""
    if not orphans:
        return None
    if len(orphans) > 1:
        ctx.note("mastodon: several possible roots")
    return orphans.most_common(1)[0][0]
