"""Reddit collection end to end against a local fake Reddit (public JSON and app-only OAuth).

The fake serves a generated thread of 400 comments the way Reddit does: the
thread listing holds about 100 of them, capped at 8 levels and 20 replies per
comment; the rest hide behind `more` stubs (expanded through /api/morechildren,
some needing several calls of 100 ids) and "continue this thread" stubs (whose
listings count depth from the continued comment, as Reddit's do).
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from collectors.collect import CollectResult
from collectors.http import AuthError
from collectors.model import ParseContext
from collectors.platforms import reddit
from collectors.platforms.reddit import (
    continue_url,
    credentials,
    exact_depths,
    http_policy,
    listing_url,
    more_stubs,
    morechildren_listing,
    morechildren_url,
    parse_morechildren,
    take_batch,
    token_url,
)
from tests.conftest import sample
from tests.fakeserver import FakeTime, Json, Reply, Request, Reset, serve
from tests.harvest_helpers import (
    collect_cli,
    fetch_one,
    harvest,
    stop_after,
    stored_replies,
    stored_text,
)

POST = "1fcm91n"
SUB = "unitedkingdom"
SLUG = "what_kind_of_leadership"
URL = f"https://www.reddit.com/r/{SUB}/comments/{POST}/{SLUG}/"
TITLE = "What kind of leadership do our public services need?"

LISTING_CAP = 8  # levels one listing shows, counted from its top
ABS_CAP = 10  # morechildren: replies at this Reddit depth are behind continue-thread stubs
KIDS_CAP = 20  # replies shown under one comment before a `more` stub
TOP_CAP = 60  # top-level comments shown before a `more` stub
LISTING_BUDGET = 100  # comments in one listing
EXPAND = 3  # replies morechildren adds below each comment asked for

CLIENT_ID = "fake-client-id-7Qx"
SECRET = "fake-client-secret-Zk93hW"
QUOTA = {"X-Ratelimit-Used": "4", "X-Ratelimit-Remaining": "96.0", "X-Ratelimit-Reset": "312"}


def _listing(children: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}


def _fullname(node: str) -> str:
    return f"t3_{node}" if node == POST else f"t1_{node}"


class FakeReddit:
    """A 400-comment thread behind Reddit's listing, morechildren and token endpoints."""

    def __init__(
        self,
        *,
        oauth: bool = False,
        clock: Callable[[], float] = time.time,
        seed: int = 11,
        extra: int = 36,
    ) -> None:
        rng = random.Random(seed)
        self.parent: dict[str, str] = {}
        self.kids: dict[str, list[str]] = {POST: []}
        self.depth: dict[str, int] = {POST: 0}  # ours: 1 = a direct reply to the post

        def add(parent: str) -> str:
            cid = f"m{len(self.parent):05d}"
            self.parent[cid], self.kids[cid] = parent, []
            self.kids[parent].append(cid)
            self.depth[cid] = self.depth[parent] + 1
            return cid

        top = [add(POST) for _ in range(170)]  # the listing shows 60; a stub holds 110
        node = top[2]
        chain: list[str] = []
        # 31 levels under a shown comment: continue-thread after continue-thread.
        for _ in range(30):
            node = add(node)
            chain.append(node)
        for _ in range(40):  # at depth 12, inside a continue listing: 20 shown, 20 in a stub
            add(chain[10])
        for _ in range(110):  # under a hidden comment: morechildren shows 3, a stub holds 107
            add(top[100])
        node = top[120]
        for _ in range(14):  # a chain reached through morechildren, down past its depth cap
            node = add(node)
        for _ in range(extra):  # conversation under the first comments (and replies to it)
            add(rng.choice([*top[:30], *list(self.parent)[-extra:]]))
        self.oauth = oauth
        self.clock = clock
        self.token_no = 1
        self.rotate_at: int | None = None  # API request number at which the token is revoked
        self.faults: dict[int, Reply] = {}  # API request number -> misbehaviour, once
        self.api_calls = 0
        self.log: list[tuple[float, Request]] = []
        self.morechildren_asked: list[list[str]] = []
        self.served_in_continue = {"more": 0, "continue": 0}
        self.served_in_morechildren = {"more": 0, "continue": 0}
        self.active = self.max_active = 0
        self._lock = threading.Lock()

    # --- things as Reddit writes them ----------------------------------------

    @property
    def token(self) -> str:
        return f"eyJhbGciOiJSUzI1NiJ9.fake-token-{self.token_no}"

    def comment(self, cid: str, depth: int) -> dict[str, Any]:
        n = int(cid[1:])
        deleted = n % 37 == 5
        return {
            "kind": "t1",
            "data": {
                "id": cid,
                "name": f"t1_{cid}",
                "parent_id": _fullname(self.parent[cid]),
                "link_id": f"t3_{POST}",
                "author": "[deleted]" if deleted else f"user_{n % 23}",
                "author_fullname": None if deleted else f"t2_u{n % 23}",
                "body": "[deleted]" if deleted else f"Reply {n}: councils need steady leadership",
                "score": n % 9 - 2,
                "created_utc": 1725880000.0 + 37 * n,
                "depth": depth,
                "permalink": f"/r/{SUB}/comments/{POST}/{SLUG}/{cid}/",
                "subreddit": SUB,
                "edited": False,
                "replies": "",
            },
        }

    def size(self, node: str) -> int:
        return 1 + sum(self.size(k) for k in self.kids[node])

    def more(self, parent: str, depth: int, hidden: list[str]) -> dict[str, Any]:
        return {
            "kind": "more",
            "data": {
                "count": sum(self.size(k) for k in hidden),
                "name": f"t1_{hidden[0]}",
                "id": hidden[0],
                "parent_id": _fullname(parent),
                "depth": depth,
                "children": list(hidden),
            },
        }

    @staticmethod
    def cont(parent: str, depth: int) -> dict[str, Any]:
        data = {"count": 0, "name": "t1__", "id": "_", "parent_id": f"t1_{parent}", "depth": depth}
        return {"kind": "more", "data": {**data, "children": []}}

    def render(self, node: str, depth: int, cap: int, budget: list[int]) -> list[dict[str, Any]]:
        """The replies of node, nested, at Reddit depth `depth`, within cap and budget."""
        kids = self.kids[node]
        if not kids:
            return []
        if depth >= cap:
            return [self.cont(node, depth)]
        out = []
        for i, kid in enumerate(kids):
            if i >= (TOP_CAP if node == POST else KIDS_CAP) or budget[0] <= 0:
                out.append(self.more(node, depth, kids[i:]))
                break
            budget[0] -= 1
            thing = self.comment(kid, depth)
            below = self.render(kid, depth + 1, cap, budget)
            if below:
                thing["data"]["replies"] = _listing(below)
            out.append(thing)
        return out

    def post_listing(self) -> dict[str, Any]:
        return _listing(
            [
                {
                    "kind": "t3",
                    "data": {
                        "id": POST,
                        "name": f"t3_{POST}",
                        "title": TITLE,
                        "selftext": "",
                        "author": "op_account",
                        "author_fullname": "t2_op",
                        "score": 1200,
                        "num_comments": len(self.parent),
                        "created_utc": 1725870000.0,
                        "permalink": f"/r/{SUB}/comments/{POST}/{SLUG}/",
                    },
                }
            ]
        )

    # --- endpoints ------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        self.log.append((self.clock(), request))
        if request.path == "/api/v1/access_token":
            return self.access_token(request)
        self.api_calls += 1
        if self.api_calls in self.faults:
            return self.faults.pop(self.api_calls)
        if self.rotate_at == self.api_calls:
            self.token_no += 1  # revoked server-side: this request is refused
        auth = request.headers.get("authorization")
        if self.oauth and auth != f"bearer {self.token}":
            return Json({"message": "Unauthorized", "error": 401}, status=401)
        if not self.oauth and auth is not None:
            return Json({"message": "Bad Request", "error": 400}, status=400)
        path = request.path
        if path.endswith(".json") == self.oauth:  # the OAuth host takes paths without .json
            return Json({"message": "Not Found", "error": 404}, status=404)
        path = path.removesuffix(".json")
        if path == "/api/morechildren":
            return self.morechildren(request)
        if path == f"/comments/{POST}":
            cap = min(int(request.query["depth"]), LISTING_CAP)
            budget = [min(int(request.query["limit"]), LISTING_BUDGET)]
            tree = self.render(POST, 0, cap, budget)
            return Json([self.post_listing(), _listing(tree)], headers=QUOTA)
        if path.startswith(f"/comments/{POST}/_/"):
            focal = path.rsplit("/", 1)[1]
            cap = min(int(request.query["depth"]), LISTING_CAP)
            thing = self.comment(focal, 0)  # depth counts from the continued comment
            below = self.render(focal, 1, cap, [min(int(request.query["limit"]), LISTING_BUDGET)])
            thing["data"]["replies"] = _listing(below)
            for stub in more_stubs(_listing(below)):
                self.served_in_continue["more" if stub.ids else "continue"] += 1
            return Json([self.post_listing(), _listing([thing])], headers=QUOTA)
        return Json({"message": "Not Found", "error": 404}, status=404)

    def access_token(self, request: Request) -> Reply:
        basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        form = parse_qs(request.body)
        if request.headers.get("authorization") != f"Basic {basic}" or form != {
            "grant_type": ["client_credentials"]
        }:
            return Json({"message": "Unauthorized", "error": 401}, status=401)
        return Json(
            {"access_token": self.token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def morechildren(self, request: Request) -> Reply:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(0.002)  # long enough for an overlapping call to show
            assert request.query["link_id"] == f"t3_{POST}" and request.query["api_type"] == "json"
            ids = request.query["children"].split(",")
            self.morechildren_asked.append(ids)
            if len(ids) > 100:
                return Json({"json": {"errors": [["TOO_MANY", "too many children", "children"]]}})
            things: list[dict[str, Any]] = []
            for cid in ids:
                if cid not in self.parent:
                    continue
                nested = [self.comment(cid, self.depth[cid] - 1)]
                nested[0]["data"]["replies"] = _listing(
                    self.render(cid, self.depth[cid], ABS_CAP, [EXPAND])
                )
                things.extend(_flatten(nested))
            for stub in more_stubs(_listing(things)):
                self.served_in_morechildren["more" if stub.ids else "continue"] += 1
            return Json({"json": {"errors": [], "data": {"things": things}}}, headers=QUOTA)
        finally:
            with self._lock:
                self.active -= 1

    def api_requests(self) -> list[tuple[float, Request]]:
        return [(t, r) for t, r in self.log if r.path != "/api/v1/access_token"]


def _flatten(things: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested things as morechildren sends them: flat, parents first, `replies` empty."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(things))
    while stack:
        thing = stack.pop()
        replies = thing["data"].get("replies")
        flat = (
            {**thing, "data": {**thing["data"], "replies": ""}} if thing["kind"] == "t1" else thing
        )
        out.append(flat)
        if isinstance(replies, dict):
            stack.extend(reversed(replies["data"]["children"]))
    return out


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their credentials; a developer's own must not leak in."""
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    monkeypatch.delenv("REDDIT_CLIENT_SECRET", raising=False)


def _harvest(db: Path, base: str, t: FakeTime, **kw: Any) -> CollectResult:
    policy = dataclasses.replace(http_policy(os.environ), max_attempts=4, backoff_base=0.01)
    return harvest(db, URL, base, "reddit", policy, clock=t.clock, sleep=t.sleep, **kw)


def _replies(db: Path) -> dict[str, tuple[Any, ...]]:
    rows = stored_replies(db, "reply_id, parent_id, depth, thread_id, author_handle, like_count")
    return {r[0]: r[1:] for r in rows}


def _assert_exact(db: Path, app: FakeReddit) -> None:
    rows = _replies(db)
    assert len(rows) == 400 == len(app.parent)
    for cid, (parent, depth, thread, _author, _likes) in rows.items():
        assert (parent, depth, thread) == (app.parent[cid], app.depth[cid], f"reddit:{POST}"), cid


def test_whole_thread_public_json(tmp_path: Path) -> None:
    t = FakeTime()
    app = FakeReddit(clock=t.clock)
    with serve(app) as server:
        result = _harvest(tmp_path / "a.duckdb", server.base, t)
    assert result.finished and (result.added, result.updated, result.unchanged) == (400, 0, 0)
    _assert_exact(tmp_path / "a.duckdb", app)
    rows = _replies(tmp_path / "a.duckdb")
    deepest = max(app.depth, key=lambda c: app.depth[c])
    assert app.depth[deepest] == rows[deepest][1] == 31  # the long chain's last reply
    assert sum(r[3] == "[deleted]" for r in rows.values()) == 11
    # The thread really is spread over every kind of page.
    first = app.render(POST, 0, LISTING_CAP, [LISTING_BUDGET])
    assert sum(1 for _ in _flatten(first) if _["kind"] == "t1") == 90
    assert [len(s.ids) for s in more_stubs(_listing(first))] == [0, 110]  # continue; 2 calls
    asked = app.morechildren_asked
    assert all(len(ids) <= 100 for ids in asked) and max(len(ids) for ids in asked) == 100
    assert sum(len(ids) for ids in asked) == len({i for ids in asked for i in ids})  # none twice
    assert app.max_active == 1  # morechildren calls one at a time
    continued = [r for _, r in app.api_requests() if "/_/" in r.path]
    assert len(continued) == 6 and len({r.path for r in continued}) == 6
    assert app.served_in_continue == {"more": 1, "continue": 3}
    assert app.served_in_morechildren == {"more": 5, "continue": 2}
    # Public JSON: .json paths, no Authorization, our User-Agent, 10 requests a minute.
    requests = app.api_requests()
    assert len(requests) == result.requests == result.pages == 1 + len(asked) + 6
    assert all(r.path.endswith(".json") and "authorization" not in r.headers for _, r in requests)
    assert all(r.headers["user-agent"].startswith("replyscope/") for _, r in requests)
    assert all(r.query["raw_json"] == "1" for _, r in requests)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(requests)]
    assert min(gaps) >= 6.0
    db = tmp_path / "a.duckdb"
    pages = fetch_one(
        db,
        "SELECT count(*), count(DISTINCT source) FROM raw_records WHERE run_id = ?",
        [result.run_id],
    )
    thread = fetch_one(db, "SELECT text FROM threads")
    state = fetch_one(db, "SELECT state FROM collect_state")
    assert pages == (result.pages, result.pages) and thread == (TITLE,)
    assert state is not None and json.loads(state[0]) == {"more": [], "continue": [], "depth": {}}
    assert not any("stubs" in key for key in result.notes)  # expanded, not left over


def test_rate_limit_and_connection_reset_mid_thread(tmp_path: Path) -> None:
    t = FakeTime()
    app = FakeReddit(clock=t.clock)
    app.faults = {
        1: Reset(),
        4: Json(
            {"message": "Too Many Requests", "error": 429},
            status=429,
            headers={
                "X-Ratelimit-Used": "100",
                "X-Ratelimit-Remaining": "0.0",
                "X-Ratelimit-Reset": "7",
            },
        ),
        9: Reset(),
    }
    with serve(app) as server:
        result = _harvest(tmp_path / "f.duckdb", server.base, t)
    assert result.finished and (result.added, result.updated, result.unchanged) == (400, 0, 0)
    _assert_exact(tmp_path / "f.duckdb", app)
    assert 8.0 in t.slept  # X-Ratelimit-Reset is seconds from now; one more for safety
    assert result.requests == result.pages + 3


def test_kill_and_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    t = FakeTime()
    app = FakeReddit(clock=t.clock)
    with serve(app) as server:
        with pytest.raises(KeyboardInterrupt):
            _harvest(tmp_path / "cut.duckdb", server.base, t, on_step=stop_after(4))
        partial = _replies(tmp_path / "cut.duckdb")
        assert 100 < len(partial) < 400
        before = len(app.log)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base, t)

    def asked(requests: list[tuple[float, Request]]) -> set[tuple[str, str | None]]:
        return {(r.path, r.query.get("children")) for _, r in requests}

    assert resumed.resumed and resumed.finished
    assert resumed.added == 400 - len(partial) and resumed.unchanged == resumed.updated == 0
    # It continued: no page saved before the kill (listing, morechildren) was asked for again.
    assert len(asked(app.log[:before])) == before == 4
    assert asked(app.log[before:]).isdisjoint(asked(app.log[:before]))
    _assert_exact(tmp_path / "cut.duckdb", app)
    runs = fetch_one(
        tmp_path / "cut.duckdb", "SELECT count(*), any_value(status), sum(rows_added) FROM runs"
    )
    assert runs == (1, "ok", 400)


def test_oauth_app_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", SECRET)
    t = FakeTime()
    app = FakeReddit(oauth=True, clock=t.clock)
    app.rotate_at = 7  # the token is revoked mid-thread: one 401, a new token, carry on
    with serve(app) as server:
        result = _harvest(tmp_path / "o.duckdb", server.base, t)
    assert result.finished and result.added == 400
    _assert_exact(tmp_path / "o.duckdb", app)
    tokens = [r for _, r in app.log if r.path == "/api/v1/access_token"]
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert len(tokens) == 2
    assert all(
        r.method == "POST" and r.headers["authorization"] == f"Basic {basic}" for r in tokens
    )
    assert all(r.body == "grant_type=client_credentials" for r in tokens)
    api = app.api_requests()
    assert [r.headers["authorization"] for _, r in api[:6]] == [
        "bearer eyJhbGciOiJSUzI1NiJ9.fake-token-1"
    ] * 6
    assert api[-1][1].headers["authorization"] == "bearer eyJhbGciOiJSUzI1NiJ9.fake-token-2"
    assert not any(r.path.endswith(".json") for _, r in api)
    # 100 requests a minute: 0.6 s apart, token requests included.
    times = [when for when, _ in app.log]
    assert min(b - a for a, b in itertools.pairwise(times)) == pytest.approx(0.6)
    assert result.requests == len(app.log) == result.pages + 3
    stored = stored_text(tmp_path / "o.duckdb")
    for secret in (SECRET, basic, "fake-token", "eyJhbGciOiJSUzI1NiJ9", CLIENT_ID):
        assert secret not in stored


def test_cli_collect_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real pacing (6 s a request) would make this test take minutes; the
    # pacing itself is checked above on an injected clock.
    monkeypatch.setattr(
        reddit, "http_policy", lambda env: dataclasses.replace(http_policy(env), min_interval=0.0)
    )
    app = FakeReddit()
    with serve(app) as server:
        result = collect_cli(tmp_path / "c.duckdb", URL, server.base)
    assert result.exit_code == 0, result.output
    assert "400 replies added, 0 updated, 0 unchanged" in result.output
    assert "(reddit)" in result.output
    _assert_exact(tmp_path / "c.duckdb", app)


# --- pure helpers -------------------------------------------------------------------


def test_urls() -> None:
    base = "https://www.reddit.com"
    assert listing_url(base, POST, oauth=False) == (
        f"{base}/comments/{POST}.json?limit=500&depth=10&raw_json=1"
    )
    assert listing_url("https://oauth.reddit.com", POST, oauth=True) == (
        f"https://oauth.reddit.com/comments/{POST}?limit=500&depth=10&raw_json=1"
    )
    assert continue_url(base, POST, "lmhdvo2", oauth=False) == (
        f"{base}/comments/{POST}/_/lmhdvo2.json?limit=500&depth=10&raw_json=1"
    )
    assert morechildren_url(base, POST, ["a1", "b2"], oauth=False) == (
        f"{base}/api/morechildren.json?api_type=json&link_id=t3_{POST}&children=a1%2Cb2&raw_json=1"
    )
    with pytest.raises(ValueError, match="1 to 100"):
        morechildren_url(base, POST, [str(i) for i in range(101)], oauth=True)
    assert token_url(base) == "https://www.reddit.com/api/v1/access_token"


def test_take_batch_fills_up_to_100_across_stubs() -> None:
    groups = [["p1", [f"a{i}" for i in range(30)]], ["p2", [f"b{i}" for i in range(130)]]]
    batch = take_batch(groups)
    assert len(batch) == 100 and batch[:30] == groups[0][1] and batch[-1] == "b69"
    assert take_batch([["p", ["x"]]]) == ["x"]


def test_policy_and_credentials() -> None:
    assert http_policy({}).min_interval == 6.0
    assert http_policy({"REDDIT_CLIENT_ID": "a", "REDDIT_CLIENT_SECRET": "b"}).min_interval == 0.6
    assert credentials({}) is None
    assert credentials({"REDDIT_CLIENT_ID": " a ", "REDDIT_CLIENT_SECRET": "b"}) == ("a", "b")
    with pytest.raises(AuthError, match="both REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"):
        credentials({"REDDIT_CLIENT_ID": "a"})


def _t1(cid: str, parent: str, depth: int) -> dict[str, Any]:
    return {
        "kind": "t1",
        "data": {"id": cid, "parent_id": parent, "link_id": "t3_p", "body": cid, "depth": depth},
    }


def test_parse_morechildren_and_exact_depths() -> None:
    answer = {
        "json": {
            "errors": [],
            "data": {
                "things": [
                    _t1("c", "t1_b", 5),  # its parent `b` comes later in the answer
                    _t1("b", "t1_a", 4),
                    _t1("x", "t1_w", 7),  # `w` is on no page yet: Reddit's depth, shifted
                    {
                        "kind": "more",
                        "data": {
                            "id": "d",
                            "parent_id": "t1_c",
                            "depth": 6,
                            "children": ["d", "e"],
                        },
                    },
                    {
                        "kind": "more",
                        "data": {"id": "_", "parent_id": "t1_b", "depth": 5, "children": []},
                    },
                ]
            },
        }
    }
    ctx = ParseContext()
    rows = parse_morechildren(answer, ctx)
    assert [(r["reply_id"], r["parent_id"], r["depth"]) for r in rows] == [
        ("c", "b", 6),
        ("b", "a", 5),
        ("x", "w", 8),
    ]
    stubs = more_stubs(morechildren_listing(answer))
    assert [(s.parent, s.depth, s.ids) for s in stubs] == [("c", 6, ("d", "e")), ("b", 5, ())]
    # `a` is known to be at depth 5: Reddit counted one level short here, so `x` moves too...
    depth_of, offset = exact_depths(rows, {"p": 0, "a": 5})
    assert offset == 1 and [r["depth"] for r in rows] == [7, 6, 9]
    assert depth_of["c"] == 7
    # ...and a continue-thread listing counts from its top comment: shifted to the known depth.
    listing = [_t1("a", "t1_z", 0), _t1("f", "t1_a", 1), _t1("g", "t1_f", 2)]
    rows = parse_morechildren({"json": {"data": {"things": listing}}}, ctx)
    _, offset = exact_depths(rows, {"a": 12})
    assert offset == 11 and [r["depth"] for r in rows] == [12, 13, 14]


@pytest.mark.samples
def test_sample_stubs() -> None:
    path = sample("reddit/reddit-api_comments-listing_r-SpainPolitics_thread17.json")
    comments = json.loads(path.read_text(encoding="utf-8"))[1]
    stubs = more_stubs(comments)
    assert [(s.parent, s.depth, s.ids) for s in stubs] == [
        ("lmhdvo2", 10, ()),
        ("lm9r528", 10, ()),
    ]
