"""Bluesky: URL builders, parsers and fetchers.

This module holds the parsing layer for `app.bsky.feed.getPostThread`
responses. The same pure functions serve both `replyscope import` (a saved
response file) and the live collector (a response just fetched), so they take
plain decoded JSON and never do I/O.

A response is `{"thread": threadViewPost}`. A threadViewPost has `post` (a
postView), optional `parent` (the ancestor chain, nearest first) and optional
`replies` (nested threadViewPosts, any depth). Any node may instead be a
`#notFoundPost` or `#blockedPost` stub with no content.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from collectors.http import FetchError, HttpClient, HttpPolicy, Page
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.base import Step, Target, answered_before, asked_before
from collectors.textutil import as_str

# Post records live in this collection; only they have a bsky.app permalink.
POST_COLLECTION = "app.bsky.feed.post"


def _mapping(value: Any) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one (malformed input)."""
    return value if isinstance(value, Mapping) else {}


def post_url(uri: str | None, handle: str | None = None) -> str | None:
    """The bsky.app permalink of an at:// post URI (the DID stands in for a missing handle)."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or parts[1] != POST_COLLECTION or not parts[0] or not parts[2]:
        return None
    # bsky.app resolves /profile/<did>/... as well as /profile/<handle>/...,
    # so the URL stays valid even when the author's handle is unknown.
    who = handle if isinstance(handle, str) and handle else parts[0]
    return f"https://bsky.app/profile/{who}/post/{parts[2]}"


def _node_kind(node: Any) -> str:
    """Classify a thread node: 'post', 'notfound', 'blocked' or 'bad'."""
    if not isinstance(node, Mapping):
        return "bad"
    kind = node.get("$type")
    if isinstance(kind, str):
        if kind.endswith("#notFoundPost"):
            return "notfound"
        if kind.endswith("#blockedPost"):
            return "blocked"
    # Some clients strip `$type`; a node with a post view is still usable.
    if isinstance(node.get("post"), Mapping) and isinstance(get_path(node, "post", "uri"), str):
        return "post"
    # `notFound: true` / `blocked: true` are set on the stubs as well.
    if node.get("notFound") is True:
        return "notfound"
    if node.get("blocked") is True:
        return "blocked"
    return "bad"


def _note_stub(kind: str, ctx: ParseContext) -> None:
    """Count a node that carries no post."""
    if kind == "notfound":
        ctx.note("bluesky: not found")
    elif kind == "blocked":
        ctx.note("bluesky: blocked")
    else:
        ctx.note("bluesky: unusable thread node")


def parse_post_view(
    post: Mapping[str, Any],
    parent_uri: str | None,
    root_uri: str | None,
    depth: int | None,
) -> RawReply:
    """Turn one postView into a RawReply (parent/root/depth as the caller knows them)."""
    record = _mapping(post.get("record"))
    author = _mapping(post.get("author"))
    uri = as_str(post.get("uri"))
    handle = author.get("handle")
    # The post's own reply ref is authoritative for its parent; the caller's
    # guess (the enclosing node) only fills in when the record lacks it.
    own_parent = as_str(get_path(record, "reply", "parent", "uri"))
    row: RawReply = {
        "reply_id": uri,
        "thread_native_id": root_uri,
        "thread_url": post_url(root_uri, None) if root_uri else None,
        "parent_id": own_parent or parent_uri,
        "author_id": author.get("did"),
        "author_handle": handle,
        "author_name": author.get("displayName"),
        "text": record.get("text"),
        # indexedAt is when the AppView saw the post; only a fallback.
        "created_at": record.get("createdAt") or post.get("indexedAt"),
        "like_count": post.get("likeCount"),
        "reply_count": post.get("replyCount"),
        "repost_count": post.get("repostCount"),
        "quote_count": post.get("quoteCount"),
        "url": post_url(uri, handle),
    }
    langs = record.get("langs")
    if isinstance(langs, list) and langs:
        row["lang"] = langs[0]
    if depth is not None:
        row["depth"] = depth
    return row


def _as_root(row: RawReply) -> RawReply:
    """Mark a row as the thread's root post (no parent, no depth)."""
    row["is_root"] = True
    row["thread_native_id"] = row.get("reply_id")
    row["thread_url"] = row.get("url")
    row.pop("parent_id", None)
    row.pop("depth", None)
    return row


def _ancestors(thread: Mapping[str, Any], ctx: ParseContext) -> list[Mapping[str, Any]]:
    """The usable `parent` chain of a node, nearest first; stops at a stub."""
    chain: list[Mapping[str, Any]] = []
    node = thread.get("parent")
    while node is not None:
        kind = _node_kind(node)
        if kind != "post":
            _note_stub(kind, ctx)
            break
        chain.append(node)
        node = node.get("parent")
    return chain


def parse_thread(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Flatten a getPostThread response (or a bare threadViewPost) into rows."""
    thread: Any = (
        record.get("thread") if isinstance(record, Mapping) and "thread" in record else record
    )
    kind = _node_kind(thread)
    if kind != "post":
        _note_stub(kind, ctx)
        return []
    top = thread["post"]
    top_reply_ref = get_path(top, "record", "reply")
    rows: list[RawReply] = []

    if not isinstance(top_reply_ref, Mapping):
        # The fetched post starts its own thread: it is the root.
        root_uri = as_str(top.get("uri"))
        rows.append(_as_root(parse_post_view(top, None, root_uri, None)))
        top_depth: int | None = 0
    else:
        # The fetched post is itself a reply inside a larger thread: its
        # record names the real root, and the `parent` chain (if the response
        # has it) gives the ancestors, nearest first.
        root_uri = as_str(get_path(top_reply_ref, "root", "uri"))
        chain = _ancestors(thread, ctx)
        # Depths are known when the topmost post we have is the root (depth 0)
        # or replies straight to it (depth 1); otherwise the chain is cut short.
        topmost = chain[-1]["post"] if chain else top
        if as_str(topmost.get("uri")) == root_uri:
            offset: int | None = 0
        elif as_str(get_path(topmost, "record", "reply", "parent", "uri")) == root_uri:
            offset = 1
        else:
            offset = None
        for i, node in enumerate(reversed(chain)):
            row = parse_post_view(
                node["post"], None, root_uri, None if offset is None else offset + i
            )
            if row.get("reply_id") == root_uri:
                _as_root(row)
            rows.append(row)
        top_depth = None if offset is None else offset + len(chain)
        rows.append(parse_post_view(top, None, root_uri, top_depth))

    # Root rows carry the handle-based URL; replies share it as thread_url.
    root_url = next((r.get("url") for r in rows if r.get("is_root")), None)
    rows.extend(_descendants(thread, root_uri, top_depth, ctx))
    if root_url:
        for row in rows:
            row["thread_url"] = root_url
    return rows


def _descendants(
    thread: Mapping[str, Any], root_uri: str | None, top_depth: int | None, ctx: ParseContext
) -> list[RawReply]:
    """Walk `replies` depth-first in document order, without recursion (threads can be deep)."""
    rows: list[RawReply] = []
    top_uri = as_str(get_path(thread, "post", "uri"))
    # Stack of (node, parent uri, parent depth); reversed so pops keep file order.
    stack: list[tuple[Any, str | None, int | None]] = [
        (child, top_uri, top_depth) for child in reversed(_replies(thread, ctx))
    ]
    while stack:
        node, parent_uri, parent_depth = stack.pop()
        kind = _node_kind(node)
        if kind != "post":
            _note_stub(kind, ctx)
            continue
        depth = parent_depth + 1 if parent_depth is not None else None
        row = parse_post_view(node["post"], parent_uri, root_uri, depth)
        rows.append(row)
        stack.extend((child, row.get("reply_id"), depth) for child in reversed(_replies(node, ctx)))
    return rows


def _replies(node: Mapping[str, Any], ctx: ParseContext) -> list[Any]:
    """The `replies` list of a node ([] when absent or malformed)."""
    replies = node.get("replies")
    if replies is None:
        return []
    if not isinstance(replies, list):
        ctx.note("bluesky: unusable replies list")
        return []
    return replies


# --- live collection -------------------------------------------------------------

PUBLIC_API = "https://public.api.bsky.app"


def http_policy(env: Mapping[str, str]) -> HttpPolicy:
    """Pacing for the public AppView (~3000 requests / 5 min per IP; we stay well below)."""
    del env  # no credentials needed
    return HttpPolicy(min_interval=0.2)


MAX_DEPTH = 1000  # the API's maximum for depth and parentHeight


def resolve_handle_url(base: str, handle: str) -> str:
    """URL of com.atproto.identity.resolveHandle for a handle."""
    return f"{base}/xrpc/com.atproto.identity.resolveHandle?{urlencode({'handle': handle})}"


def get_thread_url(base: str, uri: str, *, parent_height: int) -> str:
    """URL of app.bsky.feed.getPostThread with the deepest reply tree the API gives."""
    query = urlencode({"uri": uri, "depth": MAX_DEPTH, "parentHeight": parent_height})
    return f"{base}/xrpc/app.bsky.feed.getPostThread?{query}"


def cut_off_posts(record: Any) -> list[str]:
    """URIs of posts in a thread response whose replies were not all returned."""
    thread = record.get("thread") if isinstance(record, Mapping) else None
    out: list[str] = []
    stack = [thread]
    while stack:
        node = stack.pop()
        if _node_kind(node) != "post":
            continue
        assert isinstance(node, Mapping)
        replies = node.get("replies")
        children: list[Any] = replies if isinstance(replies, list) else []
        count = get_path(node, "post", "replyCount")
        if isinstance(count, int) and count > len(children):
            out.append(str(node["post"]["uri"]))
        stack.extend(children)
    return out


def _chain_uris(record: Any) -> set[str]:
    """The fetched post and every ancestor given in its `parent` chain."""
    out: set[str] = set()
    node = record.get("thread") if isinstance(record, Mapping) else None
    while isinstance(node, Mapping):
        uri = get_path(node, "post", "uri")
        if isinstance(uri, str):
            out.add(uri)
        node = node.get("parent")
    return out


def fetch_thread(
    client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Harvest a whole thread: the root's tree, then every sub-tree the server cut off."""
    base = target.api_base or PUBLIC_API
    state = dict(state)
    if "root" not in state:
        # bsky.app URLs name the author by handle; post URIs need the DID.
        who, _, rkey = target.native_id.removeprefix("at://").partition(f"/{POST_COLLECTION}/")
        did = state.get("did") or who  # resolved before a resume
        if not did.startswith("did:"):
            page = client.get_json(resolve_handle_url(base, who))
            did = str(get_path(page.payload, "did") or "")
            if not did:
                raise FetchError(f"bluesky: could not resolve the handle {who!r} in {target.url}")
            state = {"did": did}
            yield Step(page=page, rows=[], state=dict(state))
        root = f"at://{did}/{POST_COLLECTION}/{rkey}"
        state = {"root": root, "queue": [root], "done": []}
    while state["queue"]:
        uri = state["queue"][0]
        page = client.get_json(_thread_url(base, uri, state["root"]))
        rows: list[RawReply] = []
        fresh: list[str] = []
        # The same answer as to another question has nothing new in it, and
        # its cut-off posts would send the run round again.
        if not answered_before(client, page):
            rows, fresh = _sub_tree(client, base, page, uri, state, ctx)
        state = {**state, "queue": state["queue"][1:] + fresh, "done": [*state["done"], uri]}
        yield Step(page=page, rows=rows, state=dict(state))


def _thread_url(base: str, uri: str, root: str) -> str:
    """getPostThread for the root, or for a sub-tree with its ancestors (so depths stay exact)."""
    return get_thread_url(base, uri, parent_height=0 if uri == root else MAX_DEPTH)


def _sub_tree(
    client: HttpClient, base: str, page: Page, uri: str, state: dict[str, Any], ctx: ParseContext
) -> tuple[list[RawReply], list[str]]:
    """The rows of a thread answer for `uri`, and the cut-off posts still to fetch."""
    rows = parse_thread(page.payload, ctx)
    if uri != state["root"]:
        # The sub-tree's own post and its ancestors came with an earlier page.
        rows = [r for r in rows if r.get("reply_id") not in _chain_uris(page.payload)]
    cut_off = cut_off_posts(page.payload)
    if uri in cut_off:
        # Asked for this post's replies directly and still not all came:
        # the server holds some back (deleted, blocked, muted); count it.
        ctx.note("bluesky: replies the server did not return")
    waiting = set(state["queue"])
    fresh = [
        u
        for u in dict.fromkeys(cut_off)
        if u != uri
        and u not in waiting
        and not asked_before(
            client,
            _thread_url(base, u, state["root"]),
            f"the replies to {uri} pointed back at {u}, already fetched",
        )
    ]
    return rows, fresh
