"""Collectors that always end: servers on 127.0.0.1 that repeat themselves, trickle or sleep.

Each harvest here would run forever (or for minutes) without the run's
request ledger and the per-request deadline; each must end by itself within
seconds, with a clear message, the run marked interrupted and what was
fetched kept. The fake servers give up with HTTP 400 after `CAP` requests,
so a collector that loops fails these tests instead of hanging them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from collectors.http import FetchError, HttpPolicy, ServerRepeated
from tests.conftest import run_cli
from tests.fakeserver import Json, Reply, Request, Slow, Trickle, serve
from tests.harvest_helpers import collect_cli, harvest, last_run, stop_after, stored_replies
from tests.test_collect_bluesky import URL as BSKY_URL
from tests.test_collect_bluesky import FakeAppView
from tests.test_collect_bluesky import _uri as bsky_uri
from tests.test_collect_mastodon import URL as MASTODON_URL
from tests.test_collect_mastodon import FakeMastodon, reachable_tree, sid
from tests.test_collect_x import ROOT_TIME, FakeXApi
from tests.test_collect_x import TOKEN as X_TOKEN
from tests.test_collect_x import URL as X_URL

# Short deadline and retry budget, so a test takes seconds (the defaults are 60 s and 6 tries).
POLICY = HttpPolicy(timeout=1.0, deadline=1.0, max_attempts=2, backoff_base=0.01)
CAP = 40  # requests a fake serves before it gives up (a looping collector then fails)


def capped(route: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """The route, until CAP requests; then HTTP 400 for good."""
    served = [0]

    def answer(request: Request) -> Reply:
        served[0] += 1
        if served[0] > CAP:
            return Json({"error": "the fake server gave up: the collector loops"}, status=400)
        return route(request)

    return answer


def _harvest(db: Path, url: str, base: str, platform: str, **kw: Any) -> None:
    harvest(db, url, base, platform, POLICY, **kw)


def assert_ended_interrupted(db: Path, *, says: str, stored: int) -> str:
    """The run is marked interrupted with a message saying `says`; `stored` replies kept."""
    status, message, added, _summary = last_run(db)
    assert status == "interrupted" and says in message, message
    assert added == stored and len(stored_replies(db)) == stored
    return message


# --- Reddit -------------------------------------------------------------------------------

POST = "1abcde"
REDDIT_URL = f"https://www.reddit.com/r/test/comments/{POST}/slug/"


def _comment(cid: str, parent: str, depth: int, replies: list[Any] | None = None) -> Any:
    return {
        "kind": "t1",
        "data": {
            "id": cid,
            "name": f"t1_{cid}",
            "parent_id": parent,
            "link_id": f"t3_{POST}",
            "body": f"comment {cid}",
            "author": "someone",
            "created_utc": 1_700_000_000,
            "score": 1,
            "permalink": f"/r/test/comments/{POST}/slug/{cid}/",
            "depth": depth,
            "replies": _listing(replies) if replies else "",
        },
    }


def _more(parent: str, depth: int, ids: tuple[str, ...] = ()) -> Any:
    """A `more` stub: with ids for morechildren, without for "continue this thread"."""
    first = ids[0] if ids else "_"
    return {
        "kind": "more",
        "data": {
            "id": first,
            "name": f"t1_{first}",
            "parent_id": parent,
            "depth": depth,
            "count": len(ids),
            "children": list(ids),
        },
    }


def _listing(children: list[Any]) -> Any:
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}


def _thread(comments: list[Any]) -> list[Any]:
    post = {
        "kind": "t3",
        "data": {
            "id": POST,
            "name": f"t3_{POST}",
            "title": "What should the council fund?",
            "selftext": "",
            "author": "op",
            "created_utc": 1_700_000_000,
            "score": 5,
            "num_comments": 9,
            "permalink": f"/r/test/comments/{POST}/slug/",
        },
    }
    return [_listing([post]), _listing(comments)]


@pytest.fixture
def _no_reddit_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    monkeypatch.delenv("REDDIT_CLIENT_SECRET", raising=False)


@pytest.mark.usefixtures("_no_reddit_credentials")
def test_reddit_continue_thread_answered_with_the_same_stubs_forever(tmp_path: Path) -> None:
    # Every listing (the thread, and each "continue this thread" below a or b)
    # is the same page: a and b, each cut off by a continue-thread stub.
    page = _thread(
        [
            _comment("a", f"t3_{POST}", 0, [_more("t1_a", 1)]),
            _comment("b", f"t3_{POST}", 0, [_more("t1_b", 1)]),
        ]
    )
    db = tmp_path / "r.duckdb"
    with serve(capped(lambda request: Json(page))) as server:
        with pytest.raises(ServerRepeated, match="repeated itself 3 times"):
            _harvest(db, REDDIT_URL, server.base, "reddit")
        continued = [r.path for r in server.requests if "/_/" in r.path]
    assert continued == [f"/comments/{POST}/_/a.json", f"/comments/{POST}/_/b.json"]
    message = assert_ended_interrupted(db, says="stub pointed back at comment a", stored=2)
    assert "will not get more from this server" in message


@pytest.mark.usefixtures("_no_reddit_credentials")
def test_reddit_morechildren_ping_pong_between_two_ids(tmp_path: Path) -> None:
    # morechildren for x answers x and a stub for y; for y, y and a stub for x again.
    things = {
        "x": [_comment("x", "t1_c", 1), _more("t1_x", 2, ("y",))],
        "y": [_comment("y", "t1_x", 2), _more("t1_y", 3, ("x",))],
    }

    def route(request: Request) -> Reply:
        if request.path.startswith("/api/morechildren"):
            found = things[request.query["children"]]
            return Json({"json": {"errors": [], "data": {"things": found}}})
        return Json(_thread([_comment("c", f"t3_{POST}", 0, [_more("t1_c", 1, ("x",))])]))

    db = tmp_path / "p.duckdb"
    with serve(capped(route)) as server:
        with pytest.raises(ServerRepeated, match="repeated itself once"):
            _harvest(db, REDDIT_URL, server.base, "reddit")
        asked = [r.query.get("children") for r in server.requests]
    assert asked == [None, "x", "y"]
    assert_ended_interrupted(db, says="stub pointed back at comment x, already asked", stored=3)
    assert [r[:3] for r in stored_replies(db)] == [
        ("c", POST, 1),
        ("x", "c", 2),
        ("y", "x", 3),
    ]


@pytest.mark.usefixtures("_no_reddit_credentials")
def test_a_resumed_run_remembers_what_it_asked_before_the_kill(tmp_path: Path) -> None:
    things = {
        "x": [_comment("x", "t1_c", 1), _more("t1_x", 2, ("y",))],
        "y": [_comment("y", "t1_x", 2), _more("t1_y", 3, ("x",))],
    }

    def route(request: Request) -> Reply:
        if request.path.startswith("/api/morechildren"):
            found = things[request.query["children"]]
            return Json({"json": {"errors": [], "data": {"things": found}}})
        return Json(_thread([_comment("c", f"t3_{POST}", 0, [_more("t1_c", 1, ("x",))])]))

    db = tmp_path / "k.duckdb"
    with serve(capped(route)) as server:
        with pytest.raises(KeyboardInterrupt):
            _harvest(db, REDDIT_URL, server.base, "reddit", on_step=stop_after(2))
        before = len(server.requests)
        # The ledger is rebuilt from the stored pages: x was asked for before the kill.
        with pytest.raises(ServerRepeated, match="comment x, already asked for"):
            _harvest(db, REDDIT_URL, server.base, "reddit")
        asked = [r.query.get("children") for r in server.requests[before:]]
    assert asked == ["y"]
    assert_ended_interrupted(db, says="repeated itself once", stored=3)


# --- Bluesky ------------------------------------------------------------------------------


def test_bluesky_server_that_answers_every_thread_request_with_the_same_page(
    tmp_path: Path,
) -> None:
    app = FakeAppView(size=40, server_depth=2)
    root = {"uri": bsky_uri(0), "parentHeight": "0"}

    def route(request: Request) -> Reply:
        if request.path.endswith("getPostThread"):
            request = dataclasses.replace(request, query={**request.query, **root})
        return app(request)

    # What the root's page holds: replies one and two levels down.
    shown = [n for n in app.parent if n and (app.parent[n] == 0 or app.parent[app.parent[n]] == 0)]
    cut_off = [n for n in shown if app.parent[n] != 0 and app.children[n]]
    db = tmp_path / "b.duckdb"
    with serve(capped(route)) as server:
        with pytest.raises(ServerRepeated, match=f"repeated itself {len(cut_off)} times"):
            _harvest(db, BSKY_URL, server.base, "bluesky")
        assert len(server.requests) == 2 + len(cut_off)  # the handle, the root, each cut-off once
    assert_ended_interrupted(db, says="answered exactly as", stored=len(shown))


def test_bluesky_sub_trees_that_point_back_at_each_other(tmp_path: Path) -> None:
    # post1's replies hold post2, cut off; post2's replies hold post1 again.
    app = FakeAppView(size=2, server_depth=1)
    app.parent, app.children = {0: None, 1: 0, 2: 1}, {0: [1], 1: [2], 2: [1]}
    db = tmp_path / "l.duckdb"
    with serve(capped(app)) as server:
        with pytest.raises(ServerRepeated, match="repeated itself once"):
            _harvest(db, BSKY_URL, server.base, "bluesky")
        asked = [r.query.get("uri") for r in server.requests[1:]]
    assert asked == [bsky_uri(0), bsky_uri(1), bsky_uri(2)]
    assert_ended_interrupted(
        db, says=f"the replies to {bsky_uri(2)} pointed back at {bsky_uri(1)}", stored=2
    )


def test_cli_says_the_server_repeated_itself_and_exits_non_zero(tmp_path: Path) -> None:
    app = FakeAppView(size=2, server_depth=1)
    app.parent, app.children = {0: None, 1: 0, 2: 1}, {0: [1], 1: [2], 2: [1]}
    with serve(capped(app)) as server:
        result = collect_cli(tmp_path / "c.duckdb", BSKY_URL, server.base)
    assert result.exit_code == 1
    assert "Error: bluesky: the server repeated itself once" in result.output
    assert "The 2 new replies received are stored." in result.output
    assert "run the same command again to continue" not in result.output


# --- Mastodon -----------------------------------------------------------------------------


def test_mastodon_server_that_answers_every_context_with_the_same_page(tmp_path: Path) -> None:
    app = FakeMastodon(reachable_tree(150, seed=2))
    root_context = f"/api/v1/statuses/{sid(0)}/context"

    def route(request: Request) -> Reply:
        if request.path.endswith("/context"):
            request = dataclasses.replace(request, path=root_context)
        return app(request)

    db = tmp_path / "m.duckdb"
    with serve(capped(route)) as server:
        with pytest.raises(ServerRepeated, match="repeated itself"):
            _harvest(db, MASTODON_URL, server.base, "mastodon")
        contexts = [r.path for r in server.requests if r.path.endswith("/context")]
    # Each status cut short was asked for once, then the run ended.
    assert len(contexts) == len(set(contexts)) < CAP
    assert_ended_interrupted(db, says="answered exactly as", stored=60)


@pytest.mark.parametrize(
    "fault",
    [Trickle(Json({"ancestors": [], "descendants": []}), 0.2), Slow(60, Json({}))],
    ids=["one-byte-every-0.2s", "sleeps-60s"],
)
def test_mastodon_server_that_trickles_or_sleeps_fails_after_the_deadline(
    tmp_path: Path, fault: Reply
) -> None:
    app = FakeMastodon(reachable_tree(150, seed=2))
    app.faults[1] = [fault, fault]  # the second context request, both attempts
    db = tmp_path / "t.duckdb"
    started = time.monotonic()
    with serve(app) as server, pytest.raises(FetchError) as err:
        _harvest(db, MASTODON_URL, server.base, "mastodon")
    took = time.monotonic() - started
    assert took < 10  # deadline 1 s x 2 attempts, plus the first pages
    assert "failed 2 times (no complete answer within 1 s)" in str(err.value)
    status, message, added, _ = last_run(db)
    assert (status, added) == ("interrupted", 60) and "no complete answer" in message


def test_cli_logs_retries_off_a_terminal_and_respects_quiet(tmp_path: Path) -> None:
    app = FakeMastodon(reachable_tree(20, seed=2))
    sleepy = f"/api/v1/statuses/{sid(0)}"

    def route(request: Request) -> Reply:
        return Slow(60, Json({})) if request.path == sleepy else app(request)

    def collect(db: Path, *options: str) -> Any:
        return run_cli(
            "--db", str(db), *options, "collect", MASTODON_URL, "--api-base", server.base,
            "--timeout", "1", "--retries", "1",
        )  # fmt: skip

    with serve(route) as server:
        started = time.monotonic()
        result = collect(tmp_path / "s.duckdb")
        took = time.monotonic() - started
        quiet = collect(tmp_path / "q.duckdb", "--quiet")
    # Off a terminal (as here), the wait before the retry is a log line on stderr.
    assert result.exit_code == 1 and took < 10
    assert any(
        line.startswith("mastodon: retry 2/2 in ") and "no complete answer within 1 s" in line
        for line in result.output.splitlines()
    ), result.output
    assert "Error: mastodon:" in result.output and "failed 2 times" in result.output
    assert quiet.exit_code == 1 and "retry 2/2" not in quiet.output
    assert "failed 2 times" in quiet.output


# --- X ------------------------------------------------------------------------------------


def test_x_next_token_that_loops_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", X_TOKEN)
    app = FakeXApi(size=350)
    by_offset = {off: t for t, off in app.tokens.items()}

    def route(request: Request) -> Reply:
        answer = app(request)
        if request.query.get("next_token") == by_offset[200]:
            # The third page sends the run back to the second.
            meta = {**answer.payload["meta"], "next_token": by_offset[100]}
            answer = Json({**answer.payload, "meta": meta}, headers=answer.headers)
        return answer

    db = tmp_path / "x.duckdb"
    t = ROOT_TIME.timestamp() + 3600
    with serve(capped(route)) as server:
        with pytest.raises(ServerRepeated, match="search page 3 pointed back"):
            _harvest(db, X_URL, server.base, "x", clock=lambda: t)
        searches = [r for r in server.requests if "search" in r.path]
    assert len(searches) == 3
    assert_ended_interrupted(db, says="repeated itself once", stored=300)
