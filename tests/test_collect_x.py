"""X collection end to end against a local fake Twitter API v2 (tweet lookup + conversation search).

The fake answers like the real API (shapes as in twarc2's raw v2 pages):
`data`, `includes.users` / `includes.tweets`, `meta.next_token`, newest
first, 401 without the right Bearer token, 429 with x-rate-limit-reset.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.collect import CollectResult
from collectors.http import AuthError, Event, HttpPolicy
from collectors.platforms.x import (
    OLD_ROOT_NOTE,
    REPLY_LINK_NOTE,
    search_url,
    start_time_param,
    tweet_url,
)
from tests.fakeserver import FakeTime, Json, Request, serve
from tests.harvest_helpers import (
    collect_cli,
    fetch_all,
    fetch_one,
    harvest,
    run_count_and_status,
    stop_after,
    stored_replies,
    table_texts,
)

ROOT = 1765000000000000000
ROOT_TIME = datetime(2024, 3, 5, 13, 2, 46, tzinfo=UTC)
URL = f"https://x.com/PublicServicesUK/status/{ROOT}"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeBearerSecret%2Fxyz0123456789"
ROOT_AUTHOR = "1000"


def _id(n: int) -> str:
    # Snowflake ids grow with time; replies are later (larger) than the root.
    return str(ROOT + n * 4_194_304)


class FakeXApi:
    """A conversation of `size` replies in a random tree; search pages of max_results, newest
    first."""

    def __init__(self, size: int = 250, seed: int = 5) -> None:
        rng = random.Random(seed)
        self.parent: dict[int, int] = {}
        for n in range(1, size + 1):
            # Half answer the post itself, the rest answer an earlier reply (chains).
            self.parent[n] = (
                0 if n == 1 or rng.random() < 0.5 else rng.choice([n - 1, rng.randrange(1, n)])
            )
        self.size = size
        self.queued: list[Json] = []  # answers to give before the normal ones (429s)
        # Opaque tokens as X sends them; each names an offset into the results.
        self.tokens = {
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(45)): off
            for off in range(100, size + 100, 100)
        }

    def author(self, n: int) -> str:
        return ROOT_AUTHOR if n == 0 else str(2000 + n % 23)

    def user(self, uid: str) -> dict[str, Any]:
        if uid == ROOT_AUTHOR:
            return {"id": uid, "name": "Public Services UK", "username": "PublicServicesUK"}
        k = int(uid) - 2000
        return {"id": uid, "name": f"Resident {k}", "username": f"resident_{k}"}

    def tweet(self, n: int) -> dict[str, Any]:
        when = ROOT_TIME + timedelta(minutes=n)
        out: dict[str, Any] = {
            "id": _id(n),
            "edit_history_tweet_ids": [_id(n)],
            "text": "Which public services matter most to you?" if n == 0 else f"@x reply {n}",
            "author_id": self.author(n),
            "conversation_id": str(ROOT),
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lang": "en",
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": sum(1 for c, p in self.parent.items() if p == n),
                "like_count": n % 9,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 40 + n,
            },
        }
        if n:
            p = self.parent[n]
            out["in_reply_to_user_id"] = self.author(p)
            out["referenced_tweets"] = [{"type": "replied_to", "id": _id(p)}]
        return out

    def page(self, numbers: list[int]) -> dict[str, Any]:
        tweets = [self.tweet(n) for n in numbers]
        uids = dict.fromkeys(t["author_id"] for t in tweets)
        parents = dict.fromkeys(self.parent[n] for n in numbers if n)
        return {
            "data": tweets,
            "includes": {
                "users": [self.user(u) for u in uids],
                "tweets": [self.tweet(p) for p in parents],
            },
        }

    def __call__(self, request: Request) -> Json:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Json(
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
                status=401,
            )
        if self.queued:
            return self.queued.pop(0)
        if request.path in ("/2/tweets/search/recent", "/2/tweets/search/all"):
            assert request.query["query"] == f"conversation_id:{ROOT}"
            size = int(request.query["max_results"])
            offset = (
                self.tokens[request.query["next_token"]] if "next_token" in request.query else 0
            )
            newest_first = list(range(self.size, 0, -1))
            numbers = newest_first[offset : offset + size]
            body = self.page(numbers) if numbers else {}
            meta: dict[str, Any] = {"result_count": len(numbers)}
            if numbers:
                meta |= {"newest_id": _id(numbers[0]), "oldest_id": _id(numbers[-1])}
            more = [t for t, off in self.tokens.items() if off == offset + size and off < self.size]
            if more:
                meta["next_token"] = more[0]
            return Json({**body, "meta": meta}, headers={"x-rate-limit-remaining": "400"})
        tweet_id = request.path.rsplit("/", 1)[1]
        n = (int(tweet_id) - ROOT) // 4_194_304
        if (int(tweet_id) - ROOT) % 4_194_304 or not 0 <= n <= self.size:
            return Json(
                {
                    "errors": [
                        {
                            "value": tweet_id,
                            "detail": f"Could not find tweet with id: [{tweet_id}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "id",
                            "resource_id": tweet_id,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                }
            )
        one = self.page([n])
        return Json({"data": one["data"][0], "includes": {"users": one["includes"]["users"]}})

    def true_depth(self, n: int) -> int:
        d = 0
        while n:
            n, d = self.parent[n], d + 1
        return d


def _harvest(
    db: Path,
    base: str,
    *,
    url: str = URL,
    t: FakeTime | None = None,
    archive: bool = False,
    **kw: Any,
) -> CollectResult:
    t = t or FakeTime(ROOT_TIME.timestamp() + 3600)
    policy = HttpPolicy(max_attempts=3, backoff_base=0.01, max_wait=960, min_interval=0.2)
    return harvest(db, url, base, "x", policy, clock=t.clock, sleep=t.sleep, archive=archive, **kw)


def _replies(db: Path) -> list[tuple[Any, ...]]:
    return stored_replies(
        db, "reply_id, parent_id, depth, thread_id, author_handle, author_name, like_count, text"
    )


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)


def test_url_builders() -> None:
    assert tweet_url("https://api.x.com", "5") == (
        "https://api.x.com/2/tweets/5?tweet.fields=author_id%2Cconversation_id%2Ccreated_at%2C"
        "in_reply_to_user_id%2Creferenced_tweets%2Cpublic_metrics%2Clang%2Centities%2Cnote_tweet"
        "&expansions=author_id%2Creferenced_tweets.id&user.fields=username%2Cname"
    )
    recent = search_url("https://api.x.com", "5", next_token="abc", start_time="ignored")
    assert recent.startswith(
        "https://api.x.com/2/tweets/search/recent?query=conversation_id%3A5&max_results=100&"
    )
    assert recent.endswith("&next_token=abc") and "start_time" not in recent
    archive = search_url("https://api.x.com", "5", archive=True, start_time="2024-03-05T13:02:46Z")
    assert "/search/all?" in archive and "max_results=500" in archive
    assert "start_time=2024-03-05T13%3A02%3A46Z" in archive
    assert start_time_param("2024-03-05T13:02:46.000Z") == "2024-03-05T13:02:46Z"


def test_whole_conversation_over_three_pages(tmp_path: Path) -> None:
    app = FakeXApi()
    with serve(app) as server:
        result = _harvest(tmp_path / "a.duckdb", server.base)
        searches = [r for r in server.requests if r.path.endswith("/search/recent")]
    assert result.finished and result.added == 250 and result.pages == 4  # lookup + 3 pages
    assert [r.query.get("next_token") for r in searches] == [None, *list(app.tokens)[:2]]
    assert all(r.query["expansions"] == "author_id,referenced_tweets.id" for r in searches)
    rows = _replies(tmp_path / "a.duckdb")
    assert len(rows) == 250 and {r[3] for r in rows} == {f"x:{ROOT}"}
    by_id = {r[0]: r for r in rows}
    pages = {n: (app.size - n) // 100 for n in range(1, app.size + 1)}  # newest first, 100 a page
    derivable = 0
    for n in range(1, app.size + 1):
        _, parent_id, depth, _, handle, name, likes, text = by_id[_id(n)]
        assert parent_id == _id(app.parent[n])  # from referenced_tweets replied_to
        assert (handle, name) == (f"resident_{(2000 + n % 23) - 2000}", f"Resident {n % 23}")
        assert likes == n % 9 and text == f"@x reply {n}"
        # Depth follows from parents that arrive in the same page (1 for
        # direct replies); a parent on a later page is not known yet.
        chain, p = [], app.parent[n]
        while p:
            chain.append(p)
            p = app.parent[p]
        if all(pages[a] == pages[n] for a in chain):
            derivable += 1
            assert depth == app.true_depth(n)
        else:
            assert depth in (None, app.true_depth(n))
    direct = sum(1 for p in app.parent.values() if p == 0)
    assert sum(1 for r in rows if r[2] == 1) == direct == 124
    assert derivable == 185 and sum(1 for r in rows if r[2] is None) <= 250 - 185
    assert max(r[2] or 0 for r in rows) >= 5  # true max 6; that reply's chain crosses pages
    thread = fetch_all(tmp_path / "a.duckdb", "SELECT native_id, author, text FROM threads")
    raw = fetch_one(tmp_path / "a.duckdb", "SELECT count(*) FROM raw_records")
    assert thread == [(str(ROOT), "PublicServicesUK", "Which public services matter most to you?")]
    assert raw == (4,)
    assert result.notes == {}  # the root is an hour old: recent search covers it


def test_429_waits_for_x_rate_limit_reset_and_pacing_on_spent_quota(tmp_path: Path) -> None:
    app = FakeXApi(size=120)
    t = FakeTime(ROOT_TIME.timestamp() + 3600)
    reset = int(t.now) + 300
    events: list[Event] = []
    calls: list[str] = []

    def route(request: Request) -> Json:
        calls.append(request.path)
        if len(calls) == 2:  # the first search request
            return Json(
                {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
                status=429,
                headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            )
        answer = app(request)
        if len(calls) == 3:  # the quota is spent after this page: hold the next request
            answer.headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset + 600)}
        return answer

    with serve(route) as server:
        result = _harvest(tmp_path / "r.duckdb", server.base, t=t, on_event=events.append)
    assert result.finished and result.added == 120 and len(calls) == 4
    # 429: wait until x-rate-limit-reset (+1 s), by the injected clock ...
    assert [str(e) for e in events if "rate limited" in str(e)] == [
        "waiting 301 s (rate limited by x)"
    ]
    # ... and a spent quota holds the next request until its reset (+1 s).
    assert any(str(e) == "waiting 600 s (pacing requests to x)" for e in events)
    assert t.now >= reset + 600


def test_kill_and_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    app = FakeXApi()
    with serve(app) as server:
        _harvest(tmp_path / "full.duckdb", server.base)
        with pytest.raises(KeyboardInterrupt):
            # stop once the lookup and the first search page are saved
            _harvest(tmp_path / "cut.duckdb", server.base, on_step=stop_after(2))
        assert len(_replies(tmp_path / "cut.duckdb")) == 100
        before = len(server.requests)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base)
        later = server.requests[before:]
    assert resumed.resumed and resumed.finished and resumed.added == 150
    # it continued with the second page: no lookup, no first page again
    assert [r.path for r in later] == ["/2/tweets/search/recent"] * 2
    assert [r.query.get("next_token") for r in later] == list(app.tokens)[:2]
    assert _replies(tmp_path / "cut.duckdb") == _replies(tmp_path / "full.duckdb")
    runs = run_count_and_status(tmp_path / "cut.duckdb")
    assert runs == (1, "ok")


def test_token_sent_as_header_and_never_stored(tmp_path: Path) -> None:
    app = FakeXApi(size=30)
    with serve(app) as server:
        _harvest(tmp_path / "s.duckdb", server.base)
        sent = {r.headers.get("authorization") for r in server.requests}
        urls = [r.path + str(r.query) for r in server.requests]
    assert sent == {f"Bearer {TOKEN}"} and not any(TOKEN in u for u in urls)
    for table, dump in table_texts(tmp_path / "s.duckdb").items():
        assert dump and TOKEN not in dump and "FakeBearer" not in dump, table


def test_401_says_how_to_get_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "revoked-token-123")
    with serve(FakeXApi(size=5)) as server, pytest.raises(AuthError) as caught:
        _harvest(tmp_path / "u.duckdb", server.base)
    message = str(caught.value)
    assert caught.value.status == 401 and "HTTP 401" in message
    assert "developer portal" in message and "export X_BEARER_TOKEN=..." in message
    assert "revoked-token-123" not in message


def test_403_names_the_access_level_and_the_token_fix(tmp_path: Path) -> None:
    forbidden = {
        "title": "Client Forbidden",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
        "and tokens from a Twitter developer App that is attached to a Project.",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
    with (
        serve(lambda _r: Json(forbidden, status=403)) as server,
        pytest.raises(AuthError) as caught,
    ):
        _harvest(tmp_path / "f.duckdb", server.base)
    message = str(caught.value)
    assert caught.value.status == 403 and "attached to a Project" in message
    assert "needs Basic access or higher" in message and "export X_BEARER_TOKEN=..." in message
    assert TOKEN not in message


def test_reply_link_collects_the_whole_conversation(tmp_path: Path) -> None:
    app = FakeXApi(size=40)
    reply = f"https://twitter.com/resident_3/status/{_id(26)}"
    with serve(app) as server:
        result = _harvest(tmp_path / "y.duckdb", server.base, url=reply)
        looked_up = [r.path for r in server.requests if "/search/" not in r.path]
    assert looked_up == [f"/2/tweets/{_id(26)}", f"/2/tweets/{ROOT}"]
    assert result.added == 40 and result.notes == {REPLY_LINK_NOTE: 1}
    assert fetch_all(tmp_path / "y.duckdb", "SELECT thread_id FROM threads") == [(f"x:{ROOT}",)]


def test_old_root_notes_the_7_day_window_and_archive_starts_at_the_root(tmp_path: Path) -> None:
    app = FakeXApi(size=30)
    with serve(app) as server:
        late = FakeTime(ROOT_TIME.timestamp() + 8 * 86400)
        old = _harvest(tmp_path / "o.duckdb", server.base, t=late)
        assert old.notes == {OLD_ROOT_NOTE: 1}
        before = len(server.requests)
        archived = _harvest(tmp_path / "h.duckdb", server.base, t=FakeTime(late.now), archive=True)
        search = [r for r in server.requests[before:] if "/search/" in r.path]
    assert archived.notes == {} and archived.added == 30
    assert [r.path for r in search] == ["/2/tweets/search/all"]
    assert search[0].query["start_time"] == "2024-03-05T13:02:46Z"
    assert search[0].query["max_results"] == "500"


def test_missing_tweet_is_a_clear_error(tmp_path: Path) -> None:
    with serve(FakeXApi(size=5)) as server:
        result = collect_cli(
            tmp_path / "m.duckdb", f"https://x.com/a/status/{ROOT + 1}", server.base
        )
    assert result.exit_code == 1
    assert f"Could not find tweet with id: [{ROOT + 1}]" in result.output


def test_cli_without_token_explains_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN")
    with serve(FakeXApi(size=5)) as server:
        result = collect_cli(tmp_path / "n.duckdb", URL, server.base)
        asked = len(server.requests)
    assert result.exit_code == 1 and asked == 0
    assert "X_BEARER_TOKEN is not set" in result.output
    assert "developer portal" in result.output and "export X_BEARER_TOKEN=..." in result.output


def test_cli_collect_end_to_end(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    with serve(FakeXApi(size=250)) as server:
        first = collect_cli(db, URL, server.base)
        again = collect_cli(db, URL, server.base)
    assert first.exit_code == 0, first.output
    assert "250 replies added, 0 updated, 0 unchanged" in first.output and "(x)" in first.output
    assert "4 pages in 4 requests" in first.output
    # The root is from 2024, far outside recent search's 7 days: say so.
    assert OLD_ROOT_NOTE in first.output
    assert again.exit_code == 0 and "0 replies added, 0 updated, 250 unchanged" in again.output
