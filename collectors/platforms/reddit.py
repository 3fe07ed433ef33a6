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
- /api/morechildren answers `{"json": {"errors": [], "data": {"things": [...]}}}`:
  the comments a `more` stub listed (and some of their replies), flat, each
  with its parent_id and depth, plus further stubs.

The live collector (bottom part) fetches the thread listing, then expands
every `more` stub through /api/morechildren (100 ids a call, one call at a
time) and follows every continue-thread link, keeping the queue of both in
the resumable state. Depths come from the parent chain, because Reddit counts
depth from the top of each fetched listing, not from the post.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from collectors.http import AuthError, FetchError, HttpClient, HttpPolicy, Page
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.base import Step, Target, key_asked_before
from collectors.textutil import as_str

REDDIT = "https://www.reddit.com"

# Notes for stubs left in a parsed file; the live collector expands them instead.
MORE_NOTE = "reddit: more stubs (unexpanded comments)"
CONTINUE_NOTE = "reddit: continue-thread stubs (deeper replies not loaded)"


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


@dataclass(frozen=True)
class MoreStub:
    """One `more` stub: whose replies it stands for, at which depth, and their ids.

    `ids` is empty for a "continue this thread" stub. `depth` is Reddit's depth
    of the hidden comments as the page counts it (0 = the page's top level).
    """

    parent: str | None
    depth: int | None
    ids: tuple[str, ...]


def more_stubs(listing: Any) -> list[MoreStub]:
    """Every `more` stub of a Listing tree, in document order."""
    out: list[MoreStub] = []
    for data in _more_stubs(listing):
        children = data.get("children")
        ids = [s for s in (as_str(c) for c in children) if s] if isinstance(children, list) else []
        depth = data.get("depth")
        out.append(
            MoreStub(
                parent=strip_prefix(data.get("parent_id")),
                depth=depth if isinstance(depth, int) and not isinstance(depth, bool) else None,
                ids=tuple(ids),
            )
        )
    return out


def more_ids(listing: Any) -> list[str]:
    """Ids of the comments that `more` stubs anywhere in the Listing left unloaded."""
    return [i for stub in more_stubs(listing) for i in stub.ids]


def continue_thread_parents(listing: Any) -> list[str]:
    """Comment ids under which a 'continue this thread' stub (id '_', no ids) cut the tree."""
    return [s.parent for s in more_stubs(listing) if not s.ids and s.parent]


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
                ctx.note(MORE_NOTE, n=len(children))
            else:
                ctx.note(CONTINUE_NOTE)
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


def morechildren_listing(record: Any) -> dict[str, Any]:
    """The `things` of a /api/morechildren answer as a Listing, so the Listing helpers apply."""
    things = get_path(record, "json", "data", "things")
    return {"kind": "Listing", "data": {"children": things if isinstance(things, list) else []}}


def morechildren_errors(record: Any) -> list[str]:
    """The errors a /api/morechildren answer reports (`json.errors`), as text."""
    errors = get_path(record, "json", "errors")
    if not isinstance(errors, list):
        return []
    return [" ".join(str(p) for p in e) if isinstance(e, list) else str(e) for e in errors]


def parse_morechildren(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Parse a /api/morechildren answer: a flat list of t1 comments (and more stubs)."""
    # Each comment carries its own parent_id and depth, so the Listing parser
    # reads them exactly as it reads a thread listing.
    return parse_listing(morechildren_listing(record), ctx)


def exact_depths(rows: list[RawReply], known: Mapping[str, int]) -> tuple[dict[str, int], int]:
    """Give every comment row its depth from the parent chain.

    Returns all depths known and the page's offset.

    `known` holds exact depths found earlier (the post's id at 0, parents of
    pending stubs). Reddit's own `depth` counts from the top of what was
    fetched — in a continue-thread listing, from the comment it continues —
    so it is only used, shifted by the offset the chained rows show, for rows
    whose parent is on no page seen so far.
    """
    depth_of = dict(known)
    comments = [r for r in rows if not r.get("is_root") and as_str(r.get("reply_id"))]
    page_depth = {
        str(r["reply_id"]): r["depth"]
        for r in comments
        if isinstance(r.get("depth"), int) and not isinstance(r.get("depth"), bool)
    }
    below: dict[str, list[str]] = {}
    for row in comments:
        parent = as_str(row.get("parent_id"))
        if parent is not None:
            below.setdefault(parent, []).append(str(row["reply_id"]))

    def spread(starts: list[str]) -> None:
        # Walk down from comments of known depth (iterative: chains can be long).
        stack = list(starts)
        while stack:
            parent = stack.pop()
            for child in below.pop(parent, []):
                depth_of.setdefault(child, depth_of[parent] + 1)
                stack.append(child)

    spread([p for p in below if p in depth_of])
    shifts = Counter(depth_of[rid] - d for rid, d in page_depth.items() if rid in depth_of)
    offset = shifts.most_common(1)[0][0] if shifts else 0
    orphans = [rid for rid in page_depth if rid not in depth_of]
    for rid in orphans:
        depth_of[rid] = page_depth[rid] + offset
    spread([p for p in orphans if p in below])
    for row in comments:
        rid = str(row["reply_id"])
        if rid in depth_of:
            row["depth"] = depth_of[rid]
        else:
            row.pop("depth", None)
    return depth_of, offset


# --- live collection -------------------------------------------------------------

OAUTH_API = "https://oauth.reddit.com"
LISTING_LIMIT = 500  # the most comments Reddit puts in one thread listing
# The deepest level a listing is asked for; the real sample stops at ten
# levels, and branches below that end in continue-thread stubs we follow.
LISTING_DEPTH = 10
MORECHILDREN_BATCH = 100  # /api/morechildren handles at most 100 ids per call


def credentials(env: Mapping[str, str]) -> tuple[str, str] | None:
    """REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET when both are set; None when neither is."""
    client_id = (env.get("REDDIT_CLIENT_ID") or "").strip()
    secret = (env.get("REDDIT_CLIENT_SECRET") or "").strip()
    if client_id and secret:
        return client_id, secret
    if client_id or secret:
        raise AuthError(
            "reddit: set both REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (app-only OAuth), "
            "or neither (public JSON, slower)."
        )
    return None


def http_policy(env: Mapping[str, str]) -> HttpPolicy:
    """Pacing: 100 requests/min with app-only OAuth, 10/min for the public JSON."""
    has_credentials = bool(
        (env.get("REDDIT_CLIENT_ID") or "").strip()
        and (env.get("REDDIT_CLIENT_SECRET") or "").strip()
    )
    return HttpPolicy(min_interval=0.6 if has_credentials else 6.0)


def token_url(base: str) -> str:
    """URL of the OAuth token endpoint (app-only grant)."""
    return f"{base}/api/v1/access_token"


def _query(**params: str | int) -> str:
    return urlencode({**params, "raw_json": 1})  # raw_json: text without HTML entities


def listing_url(base: str, post_id: str, *, oauth: bool) -> str:
    """URL of a thread's comment listing (the public host wants `.json`, the OAuth host not)."""
    suffix = "" if oauth else ".json"
    return f"{base}/comments/{post_id}{suffix}?{_query(limit=LISTING_LIMIT, depth=LISTING_DEPTH)}"


def continue_url(base: str, post_id: str, comment_id: str, *, oauth: bool) -> str:
    """URL of the listing below one comment (what a "continue this thread" link opens)."""
    suffix = "" if oauth else ".json"
    query = _query(limit=LISTING_LIMIT, depth=LISTING_DEPTH)
    return f"{base}/comments/{post_id}/_/{comment_id}{suffix}?{query}"


def morechildren_url(base: str, post_id: str, ids: list[str], *, oauth: bool) -> str:
    """URL of /api/morechildren for up to 100 comment ids of one thread."""
    if not 0 < len(ids) <= MORECHILDREN_BATCH:
        raise ValueError(f"morechildren takes 1 to {MORECHILDREN_BATCH} ids, not {len(ids)}")
    suffix = "" if oauth else ".json"
    query = _query(api_type="json", link_id=f"t3_{post_id}", children=",".join(ids))
    return f"{base}/api/morechildren{suffix}?{query}"


def take_batch(groups: list[list[Any]], size: int = MORECHILDREN_BATCH) -> list[str]:
    """The next ids to ask morechildren for: up to `size`, from the front of the queue."""
    batch: list[str] = []
    for _parent, ids in groups:
        batch.extend(ids[: size - len(batch)])
        if len(batch) == size:
            break
    return batch


class _Api:
    """Where requests go and, with credentials, the app-only token (held in memory only)."""

    def __init__(self, client: HttpClient, target: Target, env: Mapping[str, str]) -> None:
        self.client = client
        self._credentials = credentials(env)
        self.oauth = self._credentials is not None
        self.base = target.api_base or (OAUTH_API if self.oauth else REDDIT)
        # Tokens come from www.reddit.com; a test server or mirror serves both.
        self._token_url = token_url(target.api_base or REDDIT)
        self._expires_at = 0.0

    def _authorise(self) -> None:
        assert self._credentials is not None
        # The answer holds the token: it is read here and never yielded as a Step.
        page = self.client.post_form(
            self._token_url, {"grant_type": "client_credentials"}, auth=self._credentials
        )
        token = get_path(page.payload, "access_token")
        if not isinstance(token, str) or not token:
            said = get_path(page.payload, "error") or "no access_token in the answer"
            raise AuthError(
                f"reddit did not grant an app-only token ({said}); check REDDIT_CLIENT_ID "
                "and REDDIT_CLIENT_SECRET (a 'script' app at https://www.reddit.com/prefs/apps)."
            )
        self.client.set_header("Authorization", f"bearer {token}")
        lifetime = get_path(page.payload, "expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
        # Renew a minute early rather than have a request refused.
        self._expires_at = self.client.clock() + max(seconds - 60.0, 0.0)

    def _get(self, url: str) -> Page:
        # Query as params: HttpClient builds the stored Page.url from url + params
        # and, given no params, currently drops the query from what it stores.
        parts = urlsplit(url)
        return self.client.get_json(
            urlunsplit(parts._replace(query="")), params=dict(parse_qsl(parts.query))
        )

    def get(self, url: str) -> Page:
        """GET a Reddit URL, with a live token when we have credentials."""
        if self._credentials is not None and self.client.clock() >= self._expires_at:
            self._authorise()
        try:
            return self._get(url)
        except AuthError as err:
            if self._credentials is None:
                raise AuthError(
                    f"{err} Reddit refuses some anonymous clients: set REDDIT_CLIENT_ID and "
                    "REDDIT_CLIENT_SECRET to use app-only OAuth.",
                    status=err.status,
                    url=err.url,
                ) from err
            if err.status != 401:
                raise
        # The token was revoked or expired early: one fresh token, one more try.
        self._authorise()
        return self._get(url)


def _rows(listing: Any, ctx: ParseContext) -> list[RawReply]:
    """Parse with the Listing parser; stub notes are dropped because we expand the stubs."""
    scratch = ParseContext(platform=ctx.platform, thread=ctx.thread, source=ctx.source)
    rows = parse_listing(listing, scratch)
    for key, n in scratch.notes.items():
        if key not in (MORE_NOTE, CONTINUE_NOTE):
            ctx.note(key, n)
    return rows


def request_keys(url: str) -> list[str]:
    """What a request asked for beyond its URL: "more:<id>" per morechildren id, "continue:<id>".

    The run's `RequestLedger` keeps these, so an id is never asked for twice
    however the batches fall (a server can send the run back and forth
    between stubs, each batch a new URL).
    """
    parts = urlsplit(url)
    path = parts.path.removesuffix(".json").rstrip("/")
    if path.endswith("/api/morechildren"):
        children = dict(parse_qsl(parts.query)).get("children", "")
        return [f"more:{i}" for i in children.split(",") if i]
    head, _, comment = path.rpartition("/")
    if head.endswith("/_") and "/comments/" in head and comment:
        return [f"continue:{comment}"]
    return []


def _new_ids(client: HttpClient, stub: MoreStub, received: set[str]) -> list[str]:
    """The ids of a stub still to ask for; ids asked for before in the run count as repeats."""
    ids = [i for i in stub.ids if i not in received]
    what = "a morechildren stub pointed back at comment {}, already asked for"
    return [i for i in ids if not key_asked_before(client, f"more:{i}", what.format(i))]


def _advance(
    client: HttpClient, state: dict[str, Any], post_id: str, listing: Any, rows: list[RawReply]
) -> dict[str, Any]:
    """The state after a page: fix its depths, queue its stubs, keep the depths still needed.

    Stubs for ids or continue links this run already asked for are not
    queued again (the ledger counts them as the server repeating itself).
    """
    anchors: dict[str, int] = state["depth"]
    depth_of, offset = exact_depths(rows, {**anchors, post_id: 0})
    received = {str(r["reply_id"]) for r in rows if as_str(r.get("reply_id"))}
    # Drop queued ids this page delivered (answers may include replies of the asked ids).
    more = [[p, [i for i in ids if i not in received]] for p, ids in state["more"]]
    more = [g for g in more if g[1]]
    cont: list[str] = list(state["continue"])
    for stub in more_stubs(listing):
        parent = stub.parent or post_id
        if parent not in depth_of and stub.depth is not None:
            # The stub's parent is not on the page: Reddit's depth, shifted, still places it.
            depth_of[parent] = stub.depth + offset
        if parent in depth_of and parent != post_id:
            anchors = {**anchors, parent: depth_of[parent]}
        if stub.ids:
            ids = _new_ids(client, stub, received)
            if ids:
                more.append([parent, ids])
        elif parent != post_id and parent not in cont:
            what = f"a continue-thread stub pointed back at comment {parent}, already fetched"
            if not key_asked_before(client, f"continue:{parent}", what):
                cont.append(parent)
    needed = {p for p, _ in more} | set(cont)
    return {
        "more": more,
        "continue": cont,
        "depth": {k: v for k, v in anchors.items() if k in needed},
    }


def fetch_thread(
    client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Harvest a whole thread: its listing, then every `more` stub and continue-thread link."""
    post = target.native_id
    api = _Api(client, target, os.environ)
    if not state:
        page = api.get(listing_url(api.base, post, oauth=api.oauth))
        payload = page.payload
        if not (isinstance(payload, list) and len(payload) >= 2):
            raise FetchError(f"reddit: {page.url} did not return a thread listing", url=page.url)
        rows = _rows(payload[0], ctx) + _rows(payload[1], ctx)
        empty: dict[str, Any] = {"more": [], "continue": [], "depth": {}}
        state = _advance(client, empty, post, payload[1], rows)
        yield Step(page=page, rows=rows, state=state)
    state = {**state}
    while state["more"] or state["continue"]:
        if state["more"]:
            # One call at a time: Reddit refuses concurrent morechildren calls.
            ids = take_batch(state["more"])
            page = api.get(morechildren_url(api.base, post, ids, oauth=api.oauth))
            errors = morechildren_errors(page.payload)
            if errors:
                raise FetchError(f"reddit: morechildren failed: {'; '.join(errors)}", url=page.url)
            listing = morechildren_listing(page.payload)
            rows = _rows(listing, ctx)
            asked = set(ids)
            missing = asked - {str(r.get("reply_id")) for r in rows}
            if missing:
                # Listed in a stub but not returned (removed since, or hidden from us).
                ctx.note("reddit: listed comments the server did not return", len(missing))
            # Asked-for ids leave the queue whether or not they came back.
            state = {
                **state,
                "more": [[p, [i for i in g if i not in asked]] for p, g in state["more"]],
            }
            state = _advance(client, state, post, listing, rows)
        else:
            parent = state["continue"][0]
            page = api.get(continue_url(api.base, post, parent, oauth=api.oauth))
            payload = page.payload
            if not (isinstance(payload, list) and len(payload) >= 2):
                raise FetchError(
                    f"reddit: {page.url} did not return a thread listing", url=page.url
                )
            listing = payload[1]
            rows = _rows(listing, ctx)
            state = {**state, "continue": state["continue"][1:]}
            state = _advance(client, state, post, listing, rows)
            # The post and the continued comment itself came with earlier pages.
            rows = [r for r in rows if not r.get("is_root") and r.get("reply_id") != parent]
        yield Step(page=page, rows=rows, state=state)
