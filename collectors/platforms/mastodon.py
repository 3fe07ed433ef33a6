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

The live collector (bottom of the module) asks the instance in the post's
URL for the status, then for contexts, and walks on below every status whose
`replies_count` is larger than the replies it has seen, because without a
token Mastodon answers at most 60 descendants, 20 levels deep.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from collectors.http import AuthError, FetchError, HttpClient, HttpPolicy, Page
from collectors.model import ParseContext, RawReply
from collectors.platforms.base import Step, Target, answered_before
from collectors.textutil import as_str, html_to_text
from collectors.urls import mastodon_instance


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


# --- live collection -------------------------------------------------------------

TOKEN_ENV = "MASTODON_ACCESS_TOKEN"
# Mastodon 4.x answers a context request without a token with at most this
# many descendants, at most this many levels below the status asked about
# (and 40 ancestors); a token lifts it to 4096 descendants at any depth.
UNAUTHENTICATED_DESCENDANTS = 60
UNAUTHENTICATED_DEPTH = 20

NOTE_NOT_RETURNED = "mastodon: replies the server counts but did not return"
NOTE_TOKEN_HINT = (
    f" (without {TOKEN_ENV} it gives at most {UNAUTHENTICATED_DESCENDANTS} per request,"
    f" {UNAUTHENTICATED_DEPTH} levels deep, so later replies to a post with many cannot be reached)"
)
NOTE_DEPTH_UNKNOWN = "mastodon: replies below a post the server did not show (depth unknown)"
NOTE_IS_REPLY = "mastodon: the post is itself a reply; only the replies below it were collected"
NOTE_NO_REPLIES = "mastodon: the post has no replies the server shows"
NOTE_DELETED = "mastodon: posts deleted or made private during the harvest"
NOTE_STILL_FETCHING = (
    "mastodon: the server was still fetching replies from other servers (run again later for more)"
)


def http_policy(env: Mapping[str, str]) -> HttpPolicy:
    """Pacing below Mastodon's default limit: 300 requests per 5 minutes (per IP, or per token)."""
    del env  # the limit is the same with a token; fetch_thread reads the token itself
    # One second between an answer and the next request stays under 1 request/s
    # even on an instance that keeps the default; X-RateLimit-* headers pace further.
    return HttpPolicy(min_interval=1.0)


def api_base(target: Target) -> str:
    """The server to ask: --api-base when given, else the instance in the post's URL."""
    if target.api_base:
        return target.api_base.rstrip("/")
    instance = mastodon_instance(target.url)
    if not instance:
        raise FetchError(f"mastodon: no instance host in {target.url}")
    return f"https://{instance}"


def status_url(base: str, status_id: str) -> str:
    """URL of GET /api/v1/statuses/:id (ids are the answering instance's own)."""
    return f"{base}/api/v1/statuses/{quote(status_id, safe='')}"


def context_url(base: str, status_id: str) -> str:
    """URL of GET /api/v1/statuses/:id/context (ancestors and descendants of a status)."""
    return f"{status_url(base, status_id)}/context"


def statuses_to_expand(nodes: Mapping[str, list[Any]], done: Iterable[str]) -> list[str]:
    """Statuses with unseen replies whose context was not asked for yet.

    Deepest first, then latest first.
    """
    asked = set(done)
    waiting = [
        sid
        for sid, (_depth, count, seen) in nodes.items()
        if sid not in asked and isinstance(count, int) and count > seen
    ]

    def order(sid: str) -> tuple[int, int, str]:
        depth = nodes[sid][0]
        # Numeric ids compare by length first, so "99" < "100" as numbers do.
        return (depth if isinstance(depth, int) else -1, len(sid), sid)

    return sorted(waiting, key=order, reverse=True)


def absorb_context(
    record: Any, anchor: str, nodes: Mapping[str, list[Any]], ctx: ParseContext
) -> tuple[list[RawReply], dict[str, list[Any]]]:
    """Rows for the statuses a context answer adds below `anchor`, and the updated map.

    `nodes` maps every status seen so far to [depth, replies_count, replies
    seen]; depths of new statuses are the anchor's known depth plus their
    depth below it in this answer, so they stay exact however deep the
    anchor is (ancestors are capped at 40 without a token, so they cannot
    be relied on to reach the root).
    """
    out = dict(nodes)
    descendants = record.get("descendants") if isinstance(record, Mapping) else None
    if not isinstance(descendants, list):
        ctx.note("mastodon: unusable context answer")
        return [], out
    # Ancestors are the path back up: known already, and not replies below the anchor.
    scratch = ParseContext(platform="mastodon", thread=anchor, source=ctx.source)
    parsed = parse_context({"ancestors": [], "descendants": descendants}, scratch)
    for what, n in scratch.notes.items():
        ctx.note(what, n)
    anchor_depth = out[anchor][0] if anchor in out else None
    rows: list[RawReply] = []
    for row in parsed:
        sid = str(row.get("reply_id"))
        count = row.get("reply_count")
        count = count if isinstance(count, int) else 0
        if sid in out:
            # A wider answer re-sends what an earlier one gave: keep the newest count only.
            depth, _, seen = out[sid]
            out[sid] = [depth, count, seen]
            continue
        below = row.get("depth")
        depth = (
            anchor_depth + below
            if isinstance(anchor_depth, int) and isinstance(below, int)
            else None
        )
        if depth is None:
            # Its parent is hidden from us (private, blocked), so the chain breaks.
            row.pop("depth", None)
            ctx.note(NOTE_DEPTH_UNKNOWN)
        else:
            row["depth"] = depth
        out[sid] = [depth, count, 0]
        rows.append(row)
    for row in rows:
        parent = row.get("parent_id")
        if isinstance(parent, str) and parent in out:
            depth, count, seen = out[parent]
            out[parent] = [depth, count, seen + 1]
    return rows, out


def _get(client: HttpClient, url: str, target: Target, *, with_token: bool) -> Page:
    """GET one API answer; refusals and missing posts become errors that say what to do."""
    host = urlsplit(url).netloc  # the server asked (--api-base may differ from the URL's)
    try:
        return client.get_json(url)
    except AuthError as err:
        if with_token:
            why = (
                f"{host} refused MASTODON_ACCESS_TOKEN (HTTP {err.status}). The token must belong "
                f"to an account on {host} (tokens work only on their own server) and have the "
                "read:statuses scope; unset it to collect without one (fewer replies per request)."
            )
        else:
            why = (
                f"{host} does not answer its API without a login (HTTP {err.status}). Create an "
                f"application on an account there (Preferences > Development) and set {TOKEN_ENV}."
            )
        raise AuthError(f"mastodon: {why}", status=err.status, url=err.url) from None
    except FetchError as err:
        if err.status == 404 and url.endswith(f"/statuses/{quote(target.native_id, safe='')}"):
            raise FetchError(
                f"mastodon: status {target.native_id} was not found on {host} "
                f"({target.url}): deleted, not public, or an id from another server (use the "
                "post's link on the server you ask).",
                status=404,
                url=err.url,
            ) from None
        raise


def _descendants(page: Page) -> bool:
    """Whether a context answer holds any descendant (two empty answers may well be alike)."""
    found = page.payload.get("descendants") if isinstance(page.payload, Mapping) else None
    return bool(found) and isinstance(found, list)


def _has_header(page: Page, name: str) -> bool:
    return any(k.lower() == name for k in page.headers)


def _advance(state: dict[str, Any], asked: str, nodes: dict[str, list[Any]]) -> dict[str, Any]:
    """The state after the context of `asked` was received (or found gone)."""
    done = [*state["done"], asked]
    return {**state, "nodes": nodes, "done": done, "queue": statuses_to_expand(nodes, done)}


def _first_state(page: Page, target: Target, ctx: ParseContext) -> dict[str, Any]:
    """The state after the post itself was fetched: its row and its context to ask for."""
    status = page.payload if isinstance(page.payload, Mapping) else {}
    if not as_str(status.get("id")):
        raise FetchError(f"mastodon: {page.url} did not answer with a status ({target.url}).")
    root = target.native_id
    root_url = str(status.get("url") or status.get("uri") or target.url)
    root_row = parse_status(status, root, None, root_url)
    root_row["is_root"] = True
    root_row.pop("parent_id", None)
    if status.get("in_reply_to_id") is not None:
        ctx.note(NOTE_IS_REPLY)
    count = status.get("replies_count")
    # The root row waits for the first replies: the store only takes a row
    # as the thread's post when replies to it come in the same batch.
    return {
        "root": root,
        "root_url": root_url,
        "root_row": root_row,
        "nodes": {root: [0, count if isinstance(count, int) else 0, 0]},
        "done": [],
        # The root's context is asked for even when its count says 0 (counts lag).
        "queue": [root],
    }


def fetch_thread(
    client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Harvest a whole thread: the post, its context, then the context of every status cut short."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        # In a header only: never in URLs, state, rows or messages.
        client.set_header("Authorization", f"Bearer {token}")
    base = api_base(target)
    state = dict(state)
    if "root" not in state:
        page = _get(client, status_url(base, target.native_id), target, with_token=bool(token))
        state = _first_state(page, target, ctx)
        yield Step(page=page, rows=[], state=dict(state))

    while state["queue"]:
        asked = state["queue"][0]
        try:
            page = _get(client, context_url(base, asked), target, with_token=bool(token))
        except FetchError as err:
            if err.status != 404 or asked == state["root"]:
                raise
            # Deleted or made private since we saw it; nothing below it to fetch.
            ctx.note(NOTE_DELETED)
            state = _advance(state, asked, dict(state["nodes"]))
            continue
        if _descendants(page) and answered_before(client, page):
            # The very answer another status got: nothing new, and following
            # it would only ask again what it sent before.
            state = _advance(state, asked, dict(state["nodes"]))
            yield Step(page=page, rows=[], state=dict(state))
            continue
        rows, nodes = absorb_context(page.payload, asked, state["nodes"], ctx)
        for row in rows:
            row["thread_native_id"] = state["root"]
            row["thread_url"] = state["root_url"]
        if state.get("root_row") and rows:
            rows = [state["root_row"], *rows]
            state = {**state, "root_row": None}
        if _has_header(page, "mastodon-async-refresh"):
            ctx.note(NOTE_STILL_FETCHING)
        state = _advance(state, asked, nodes)
        yield Step(page=page, rows=rows, state=dict(state))
    # Runs when the caller asks past the last page, so a resumed run says it too.
    _note_what_is_missing(state, ctx, with_token=bool(token))


def _note_what_is_missing(state: Mapping[str, Any], ctx: ParseContext, *, with_token: bool) -> None:
    """At the end: replies counted by the server that no answer gave, and a root with none."""
    missing = sum(max(0, count - seen) for _, count, seen in state["nodes"].values())
    if missing:
        ctx.note(NOTE_NOT_RETURNED + ("" if with_token else NOTE_TOKEN_HINT), missing)
    if state.get("root_row"):
        # No reply came in any answer, so the post was never stored as a thread.
        ctx.note(NOTE_NO_REPLIES)
