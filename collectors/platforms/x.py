"""X (Twitter API v2): the v2 payload parser, URL builders and the harvest of every reply to a post.

Parsing (top part): an API v2 response page (`data`, `includes.users`,
`includes.tweets`, `meta`) gives a row per tweet, placed in its conversation
by `tweet_row`, which the other X import formats (collectors.formats.x_json,
x_graphql) share. twarc2 files are such pages, one per line, so the twarc2 and
twarc2-flat import formats use `parse_twarc2` and `parse_twarc2_flat` from here.

Harvest (bottom part): a conversation on X is every tweet whose
`conversation_id` is the id of the tweet that started it. The harvest looks
the linked tweet up (to learn its conversation and keep the first post as
the thread's root), then pages through search with
`query=conversation_id:<id>`: recent search, which only covers the last 7
days, or with --archive full-archive search (Pro or Academic access). Every
response is an ordinary v2 page, parsed by `parse_twarc2`.

Credentials: an app-only Bearer Token from X_BEARER_TOKEN, sent in the
Authorization header; it never appears in URLs, state, rows or messages.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

from collectors.http import AuthError, FetchError, HttpClient, HttpPolicy, Page
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.base import Step, Target, asked_before
from collectors.textutil import as_str

# --- API v2 payloads (live pages and twarc2 files) -------------------------------


class TweetAuthor(NamedTuple):
    """Who wrote a tweet, as the source spells it (any part may be unknown)."""

    id: str | None = None
    handle: str | None = None
    name: Any = None


NO_AUTHOR = TweetAuthor()


def _status_url(handle: str | None, tweet_id: str | None) -> str | None:
    """Permalink of a tweet; x.com/i/status/<id> works when the handle is unknown."""
    if tweet_id is None:
        return None
    return f"https://x.com/{handle or 'i'}/status/{tweet_id}"


def tweet_row(
    tweet_id: str | None,
    text: Any,
    created_at: Any,
    author: TweetAuthor,
    lang: Any,
    *,
    url: Any = None,
    conversation_id: str | None,
    parent_id: str | None,
    parent_author: Any = None,
    counts: Sequence[Any],
) -> RawReply:
    """Build a row from a tweet's fields, placing it in its conversation.

    With a conversation id (v2, Apify, snscrape) a tweet whose id equals it is
    the conversation root, and a reply whose parent is the root has depth 1.
    Without one (API v1.1, archive) nothing in a single record names the root,
    so we fall back to the rule the importer expects: a reply's thread is its
    direct parent (right for `twarc replies` files, whose replies are direct),
    and a tweet that replies to nothing is offered as a root (is_root=True);
    the importer demotes a root that no other row replies to back to a post.
    Depth is then a guess, so it is left out.
    """
    row: RawReply = {
        "reply_id": tweet_id,
        "text": text,
        "created_at": created_at,
        "author_id": author.id,
        "author_handle": author.handle,
        "author_name": author.name,
        "lang": lang,
        "url": url or _status_url(author.handle, tweet_id),
    }
    # Likes, replies, reposts, quotes; None means the source did not say.
    likes, replies, reposts, quotes = counts
    if likes is not None:
        row["like_count"] = likes
    if replies is not None:
        row["reply_count"] = replies
    if reposts is not None:
        row["repost_count"] = reposts
    if quotes is not None:
        row["quote_count"] = quotes
    known_conversation = conversation_id is not None
    if conversation_id is None:
        conversation_id = parent_id if parent_id is not None else tweet_id
    if parent_id is None and tweet_id is not None and conversation_id == tweet_id:
        row["is_root"] = True
        row["thread_native_id"] = tweet_id
        return row
    row["thread_native_id"] = conversation_id
    if parent_id is not None:
        row["parent_id"] = parent_id
        if parent_author:
            row["parent_author"] = parent_author
        if known_conversation and parent_id == conversation_id:
            row["depth"] = 1
    return row


def _v2_user(user: Any) -> TweetAuthor:
    """A v2 user object (includes.users item or flattened `author`)."""
    if not isinstance(user, Mapping):
        return NO_AUTHOR
    return TweetAuthor(as_str(user.get("id")), user.get("username"), user.get("name"))


def _replied_to(tweet: Mapping[str, Any]) -> str | None:
    """The id in referenced_tweets[type == "replied_to"] (flattened or not)."""
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, Mapping) and ref.get("type") == "replied_to":
            return as_str(ref.get("id"))
    return None


def _is_v2_retweet(tweet: Mapping[str, Any]) -> bool:
    """A retweet is a post, not a reply; it is counted so the summary shows it."""
    refs = tweet.get("referenced_tweets")
    return isinstance(refs, list) and any(
        isinstance(ref, Mapping) and ref.get("type") == "retweeted" for ref in refs
    )


def _parse_v2_tweet(
    tweet: Mapping[str, Any], ctx: ParseContext, users: Mapping[str, Any]
) -> RawReply | None:
    """One v2 tweet as a row; authors come from `author` (flat) or `users` (page)."""
    tweet_id = as_str(tweet.get("id"))
    # Long posts: `text` is cut at 280 chars, the whole text is in note_tweet.
    text = get_path(tweet, "note_tweet", "text") or tweet.get("text")
    if tweet_id is None and text is None:
        ctx.note("x: v2 tweet without id or text skipped")
        return None
    author_id = as_str(tweet.get("author_id"))
    # Flattening writes {} for authors missing from includes; fall back to the id.
    embedded = tweet.get("author")
    author = _v2_user(embedded or users.get(author_id or ""))
    if author.id is None:
        author = author._replace(id=author_id)
    if _is_v2_retweet(tweet):
        ctx.note("x: retweets kept as posts")
    replied_id = as_str(tweet.get("in_reply_to_user_id"))
    replied = _v2_user(tweet.get("in_reply_to_user") or users.get(replied_id or ""))
    metrics = tweet.get("public_metrics")
    metrics = metrics if isinstance(metrics, Mapping) else {}
    return tweet_row(
        tweet_id,
        text,
        tweet.get("created_at"),
        author,
        tweet.get("lang"),
        conversation_id=as_str(tweet.get("conversation_id")),
        parent_id=_replied_to(tweet),
        parent_author=replied.handle,
        counts=[metrics.get(k) for k in _V2_METRICS],
    )


_V2_METRICS = ("like_count", "reply_count", "retweet_count", "quote_count")


def page_tweets(record: Mapping[str, Any]) -> list[Any]:
    """`data` of a v2 response: a list (search, timelines) or one tweet (lookup)."""
    data = record.get("data")
    if isinstance(data, list):
        return data
    return [data] if isinstance(data, Mapping) else []


def _included_users(record: Mapping[str, Any]) -> dict[str, Any]:
    """includes.users by id, to join authors onto a page's tweets."""
    users = get_path(record, "includes", "users")
    found: dict[str, Any] = {}
    for user in users if isinstance(users, list) else []:
        user_id = as_str(user.get("id")) if isinstance(user, Mapping) else None
        if user_id is not None:
            found[user_id] = user
    return found


def parse_twarc2(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One v2 response page -> a row per `data` tweet, plus included conversation roots."""
    if not isinstance(record, Mapping):
        return []
    users = _included_users(record)
    rows: list[RawReply] = []
    for tweet in page_tweets(record):
        if not isinstance(tweet, Mapping):
            ctx.note("x: twarc2 data item that is not a tweet skipped")
            continue
        row = _parse_v2_tweet(tweet, ctx, users)
        if row is not None:
            rows.append(row)
    # includes.tweets are referenced tweets, not results, so they are not rows,
    # except a conversation root some reply on this page points at: emitting it
    # gives the thread its text and author.
    included = get_path(record, "includes", "tweets")
    by_id = {
        as_str(t.get("id")): t
        for t in (included if isinstance(included, list) else [])
        if isinstance(t, Mapping) and t.get("id") is not None
    }
    have = {row.get("reply_id") for row in rows}
    for row in list(rows):
        root_id = row.get("thread_native_id")
        if row.get("is_root") or root_id in have or root_id not in by_id:
            continue
        root = _parse_v2_tweet(by_id[root_id], ctx, users)
        if root is not None and root.get("is_root"):
            rows.append(root)
            have.add(root_id)
    errors = record.get("errors")
    if isinstance(errors, list) and errors:
        # Suspended or deleted users/tweets the page referred to; not fatal.
        ctx.note("x: twarc2 page errors (missing referenced items)", len(errors))
    return rows


def parse_twarc2_flat(record: Any, ctx: ParseContext) -> list[RawReply]:
    """One flattened v2 tweet -> one row."""
    if not isinstance(record, Mapping):
        return []
    row = _parse_v2_tweet(record, ctx, {})
    return [row] if row is not None else []


# --- live collection -------------------------------------------------------------

PUBLIC_API = "https://api.x.com"
TOKEN_ENV = "X_BEARER_TOKEN"

# Fields every request asks for. note_tweet carries the whole text of posts
# longer than 280 characters (`text` is cut); the parser prefers it.
TWEET_FIELDS = (
    "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,"
    "public_metrics,lang,entities,note_tweet"
)
EXPANSIONS = "author_id,referenced_tweets.id"
USER_FIELDS = "username,name"

RECENT_PAGE_SIZE = 100  # the most /search/recent returns per page
ARCHIVE_PAGE_SIZE = 500  # the most /search/all returns per page (fewer requests)
RECENT_WINDOW = timedelta(days=7)
RATE_WINDOW = 15 * 60  # X counts requests per 15-minute window
ARCHIVE_MIN_INTERVAL = 1.0  # /search/all also allows at most 1 request per second

OLD_ROOT_NOTE = (
    "x: recent search only covers the last 7 days; replies older than that were not "
    "returned — use --archive if your access allows it"
)
REPLY_LINK_NOTE = "x: the link is a reply; its whole conversation was collected"
ROOT_MISSING_NOTE = "x: the conversation's first post is deleted or hidden"

TOKEN_HINT = (
    "Get a Bearer Token in the X developer portal (https://developer.x.com/en/portal/dashboard): "
    "open your project, then its app, then 'Keys and tokens' → Bearer Token → Generate; "
    f"then run `export {TOKEN_ENV}=...` and the same command again."
)
ACCESS_HINT = (
    "Searching replies needs Basic access or higher, and --archive needs Pro or Academic "
    "access; the developer portal shows your project's level."
)


def http_policy(env: Mapping[str, str]) -> HttpPolicy:
    """Wait out X's 15-minute rate-limit window; the x-rate-limit-* headers do the pacing."""
    del env  # the token is read by fetch_thread, which sets the header
    # The reset can be a full window away, and http.py adds a second to it.
    return HttpPolicy(max_wait=RATE_WINDOW + 60, min_interval=0.2)


def _fields() -> dict[str, str]:
    return {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS}


def tweet_url(base: str, tweet_id: str) -> str:
    """URL of GET /2/tweets/:id with the fields and expansions the parser reads."""
    return f"{base}/2/tweets/{tweet_id}?{urlencode(_fields())}"


def search_url(
    base: str,
    conversation_id: str,
    *,
    archive: bool = False,
    start_time: str | None = None,
    next_token: str | None = None,
) -> str:
    """URL of one page of recent (or full-archive) search for a conversation's tweets."""
    params: dict[str, str | int] = {
        "query": f"conversation_id:{conversation_id}",
        "max_results": ARCHIVE_PAGE_SIZE if archive else RECENT_PAGE_SIZE,
        **_fields(),
    }
    # Full-archive search defaults to the last 30 days; start at the root instead.
    if archive and start_time:
        params["start_time"] = start_time
    if next_token:
        params["next_token"] = next_token
    return f"{base}/2/tweets/search/{'all' if archive else 'recent'}?{urlencode(params)}"


def parse_time(value: Any) -> datetime | None:
    """An API v2 timestamp ("2024-03-05T13:02:46.000Z") as an aware datetime; None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_time_param(created_at: Any) -> str | None:
    """start_time for full-archive search: the root's time in the API's own format."""
    moment = parse_time(created_at)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def older_than_recent_window(created_at: Any, now: float) -> bool:
    """Whether a post is older than what recent search covers (7 days before `now`)."""
    moment = parse_time(created_at)
    return moment is not None and datetime.fromtimestamp(now, UTC) - moment > RECENT_WINDOW


def looked_up_tweet(payload: Any, tweet_id: str) -> Mapping[str, Any] | None:
    """The tweet of a GET /2/tweets/:id answer, or None when X returned only errors."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if isinstance(data, Mapping) and as_str(data.get("id")) == tweet_id:
        return data
    return None


def api_problem(payload: Any) -> str:
    """What X's `errors` list says (deleted tweet, suspended author, ...), for a message."""
    detail = get_path(payload, "errors", 0, "detail") or get_path(payload, "errors", 0, "message")
    return str(detail) if detail else "no tweet in the answer"


def next_token(payload: Any) -> str | None:
    """meta.next_token of a search page; None on the last page."""
    return as_str(get_path(payload, "meta", "next_token"))


def _get(client: HttpClient, url: str) -> Page:
    """GET through the client; refusals get told how to fix the token or access."""
    try:
        return client.get_json(url)
    except AuthError as err:
        hint = TOKEN_HINT if err.status == 401 else f"{ACCESS_HINT} {TOKEN_HINT}"
        raise AuthError(f"{str(err).rstrip('.')}. {hint}", status=err.status, url=err.url) from err


def _lookup(client: HttpClient, base: str, tweet_id: str) -> tuple[Page, Mapping[str, Any] | None]:
    page = _get(client, tweet_url(base, tweet_id))
    return page, looked_up_tweet(page.payload, tweet_id)


def _root_row(payload: Any, tweet_id: str, ctx: ParseContext) -> RawReply | None:
    """The conversation's first post, parsed from its lookup, marked is_root."""
    for row in parse_twarc2(payload, ctx):
        if row.get("reply_id") == tweet_id and row.get("is_root"):
            return row
    return None


def check_credentials(env: Mapping[str, str]) -> str:
    """The bearer token from the environment, or an AuthError that says how to get one."""
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise AuthError(f"x: {TOKEN_ENV} is not set; X's API needs a Bearer Token. {TOKEN_HINT}")
    return token


def fetch_thread(
    client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Harvest a conversation: look up the post (and its root), then page through search."""
    token = check_credentials(os.environ)
    client.set_header("Authorization", f"Bearer {token}")
    if target.archive:
        # The per-window quota is paced from headers; this limit has none.
        client.policy = replace(
            client.policy, min_interval=max(client.policy.min_interval, ARCHIVE_MIN_INTERVAL)
        )
    base = target.api_base or PUBLIC_API
    state = dict(state)
    if "conversation_id" not in state:
        state = yield from _look_up_post(client, base, target, ctx)
    if not state["root_checked"]:
        state = yield from _look_up_root(client, base, state, ctx)
    if not (state["search_pages"] == 0 or state["next_token"]):
        return  # stopped after the last page was saved: nothing left
    if not target.archive and older_than_recent_window(state["root_created"], client.clock()):
        ctx.note(OLD_ROOT_NOTE)
    yield from _search_pages(client, base, target, state, ctx)


def _look_up_post(
    client: HttpClient, base: str, target: Target, ctx: ParseContext
) -> Generator[Step, None, dict[str, Any]]:
    """The linked post: its conversation, and the root row when it starts the conversation."""
    page, tweet = _lookup(client, base, target.native_id)
    if tweet is None:
        raise FetchError(
            f"x: could not look up {target.url}: {api_problem(page.payload)} "
            "(deleted, or from a protected or suspended account).",
            url=page.url,
        )
    conversation = as_str(tweet.get("conversation_id")) or target.native_id
    is_root = conversation == target.native_id
    state = {
        "conversation_id": conversation,
        "root": _root_row(page.payload, conversation, ctx) if is_root else None,
        # When the root cannot be looked up, the linked tweet's time is the best bound.
        "root_created": as_str(tweet.get("created_at")),
        "root_checked": is_root,
        "next_token": None,
        "search_pages": 0,
    }
    yield Step(page=page, rows=[], state=dict(state))
    return state


def _look_up_root(
    client: HttpClient, base: str, state: dict[str, Any], ctx: ParseContext
) -> Generator[Step, None, dict[str, Any]]:
    """A reply was linked: the thread is its whole conversation, whose first post is the root."""
    ctx.note(REPLY_LINK_NOTE)
    page, tweet = _lookup(client, base, state["conversation_id"])
    root = _root_row(page.payload, state["conversation_id"], ctx) if tweet else None
    if root is None:
        ctx.note(ROOT_MISSING_NOTE)
    state = {
        **state,
        "root": root,
        "root_created": as_str(tweet.get("created_at")) if tweet else state["root_created"],
        "root_checked": True,
    }
    yield Step(page=page, rows=[], state=dict(state))
    return state


def _search_pages(
    client: HttpClient, base: str, target: Target, state: dict[str, Any], ctx: ParseContext
) -> Iterator[Step]:
    """Every search page of the conversation, each with the root row when it has replies."""
    conversation = state["conversation_id"]
    start_time = start_time_param(state["root_created"])

    def url(token: str | None) -> str:
        return search_url(
            base, conversation, archive=target.archive, start_time=start_time, next_token=token
        )

    while state["search_pages"] == 0 or state["next_token"]:
        page = _get(client, url(state["next_token"]))
        # The root comes from its lookup; search may return it too, and the
        # parser adds it when it is among a page's included tweets.
        rows = [r for r in parse_twarc2(page.payload, ctx) if r.get("reply_id") != conversation]
        if rows and state["root"]:
            # With its root in the same batch, a page's replies become a
            # thread (not stand-alone posts) and depths follow from parents.
            rows.append(cast(RawReply, dict(state["root"])))
        token = next_token(page.payload)
        what = f"search page {state['search_pages'] + 1} pointed back at a page already fetched"
        if token and asked_before(client, url(token), what):
            token = None  # a cursor loop: paging stops here
        state = {**state, "next_token": token, "search_pages": state["search_pages"] + 1}
        yield Step(page=page, rows=rows, state=dict(state))
