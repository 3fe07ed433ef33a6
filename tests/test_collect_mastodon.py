"""Mastodon collection end to end against a local fake instance that caps answers as Mastodon
does."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collectors.collect import CollectResult
from collectors.http import AuthError, HttpPolicy
from collectors.platforms.mastodon import (
    NOTE_DELETED,
    NOTE_NO_REPLIES,
    NOTE_NOT_RETURNED,
    NOTE_TOKEN_HINT,
    TOKEN_ENV,
    context_url,
    http_policy,
    status_url,
    statuses_to_expand,
)
from tests.fakeserver import FakeTime, Json, Reply, Request, serve
from tests.harvest_helpers import (
    collect_cli,
    fetch_all,
    fetch_one,
    harvest,
    run_count_and_status,
    snapshot_counts,
    stop_after,
    stored_replies,
    table_texts,
)

INSTANCE = "mastodon.social"
ROOT_ID = 109294719267373593
URL = f"https://{INSTANCE}/@someone/{ROOT_ID}"
SECRET = "tok-3f9a1c77e2b04d6b8a5e"

# Mastodon's limits for a context request (StatusesController / ContextsController).
ANON_ANCESTORS, ANON_DESCENDANTS, ANON_DEPTH = 40, 60, 20
CONTEXT_LIMIT = 4096


def sid(n: int) -> str:
    """Status n's id: snowflake-like, later statuses have larger ids."""
    return str(ROOT_ID + n * 4_194_304)


def reachable_tree(size: int, seed: int) -> dict[int, int | None]:
    """A random thread whose every reply a token-less harvest can reach.

    Without a token a context answer is the first 60 statuses of the sub-tree in
    tree order (children by id), so a status's later replies are reachable only
    when its earlier replies' sub-trees hold fewer than 60 statuses together.
    New replies go to the root, the newest status (chains) or anywhere, and
    otherwise to the end of the rightmost branch, which keeps that true.
    """
    rng = random.Random(seed)
    parent: dict[int, int | None] = {0: None}
    children: dict[int, list[int]] = {0: []}
    size_of = {0: 1}

    def fits(p: int) -> bool:
        # After adding a last child to p (and growing p's ancestors), every
        # status's last child must still be within the first 60 of its sub-tree.
        chain, q = [p], parent[p]
        while q is not None:
            chain.append(q)
            q = parent[q]
        grown = set(chain)
        for q in [*chain, *children]:
            kids = [*children[q], -1] if q == p else children[q]
            before = sum(size_of.get(c, 1) + (c in grown) for c in kids[:-1])
            if kids and 1 + before > ANON_DESCENDANTS:
                return False
        return True

    for n in range(1, size + 1):
        r = rng.random()
        p = 0 if r < 0.3 else n - 1 if r < 0.75 else rng.randrange(n)
        if not fits(p):
            p = 0
            while children[p]:
                p = children[p][-1]
        parent[n], children[n], size_of[n] = p, [], 1
        children[p].append(n)
        q: int | None = p
        while q is not None:
            size_of[q] += 1
            q = parent[q]
    return parent


def depth_of(parent: dict[int, int | None], n: int) -> int:
    d = 0
    while (p := parent[n]) is not None:
        n, d = p, d + 1
    return d


class FakeMastodon:
    """statuses/:id and statuses/:id/context with Mastodon 4.x's limits, rate headers and faults."""

    def __init__(
        self,
        parent: dict[int, int | None],
        *,
        clock: FakeTime | None = None,
        uncounted: int | None = None,
    ) -> None:
        self.parent = parent
        self.children: dict[int, list[int]] = {n: [] for n in parent}
        for n in sorted(parent):
            p = parent[n]
            if p is not None:
                self.children[p].append(n)
        self.by_id = {sid(n): n for n in parent}
        self.clock = clock
        # A status whose count includes a reply nobody may see (deleted, private).
        self.uncounted = uncounted
        self.likes_bonus = 0
        self.served = 0  # context answers given
        self.faults: dict[int, list[Reply]] = {}  # before the k-th context answer
        self.zero_remaining_at: int | None = None
        self.gone: set[int] = set()  # deleted after they were seen

    def author(self, n: int) -> int:
        return n % 13

    def status(self, n: int) -> dict[str, Any]:
        a, p = self.author(n), self.parent[n]
        user = f"user{a}" if a % 3 else f"user{a}@remote.example"
        return {
            "id": sid(n),
            "created_at": f"2024-05-0{1 + n // 1440}T{n // 60 % 24:02d}:{n % 60:02d}:00.000Z",
            "in_reply_to_id": None if p is None else sid(p),
            "in_reply_to_account_id": None if p is None else str(900 + self.author(p)),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{INSTANCE}/users/user{a}/statuses/{sid(n)}",
            "url": f"https://{INSTANCE}/@user{a}/{sid(n)}",
            "replies_count": len(self.children[n]) + (n == self.uncounted),
            "reblogs_count": n % 3,
            "favourites_count": n % 7 + self.likes_bonus,
            "edited_at": None,
            "content": "<p>Should the council fund the new library?</p>"
            if p is None
            else f"<p>reply <b>{n}</b></p>",
            "reblog": None,
            "account": {
                "id": str(900 + a),
                "username": f"user{a}",
                "acct": user,
                "display_name": f"User {a}",
            },
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def descendants(self, n: int, limit: int, depth: int | None) -> list[int]:
        # ORDER BY path LIMIT: the sub-tree in depth-first order, children by id.
        out: list[int] = []
        stack = [(c, 1) for c in reversed(self.children[n])]
        while stack and len(out) < limit:
            c, d = stack.pop()
            out.append(c)
            if depth is None or d < depth:
                stack.extend((g, d + 1) for g in reversed(self.children[c]))
        # promote_by!: replies by the author of the post they answer come first.
        own = [c for c in out if self.author(c) == self.author(self.parent[c] or 0)]
        return own + [c for c in out if c not in own]

    def ancestors(self, n: int, limit: int) -> list[int]:
        chain: list[int] = []
        p = self.parent[n]
        while p is not None and len(chain) < limit:
            chain.append(p)
            p = self.parent[p]
        return chain[::-1]

    def headers(self) -> dict[str, str]:
        now = self.clock.now if self.clock else 1_700_000_000.0
        reset = datetime.fromtimestamp(now + 20, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        left = "0" if self.served == self.zero_remaining_at else "250"
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": left,
            "X-RateLimit-Reset": reset,
        }

    def __call__(self, request: Request) -> Reply:
        auth = request.headers.get("authorization")
        if auth is not None and auth != f"Bearer {SECRET}":
            return Json({"error": "The access token is invalid"}, status=401)
        m = re.fullmatch(r"/api/v1/statuses/(\d+)(/context)?", request.path)
        if not m or m.group(1) not in self.by_id or self.by_id[m.group(1)] in self.gone:
            return Json({"error": "Record not found"}, status=404)
        n = self.by_id[m.group(1)]
        if not m.group(2):
            return Json(self.status(n), headers=self.headers())
        queued = self.faults.get(self.served)
        if queued:
            return queued.pop(0)
        if auth:
            found = (self.ancestors(n, CONTEXT_LIMIT), self.descendants(n, CONTEXT_LIMIT, None))
        else:
            found = (
                self.ancestors(n, ANON_ANCESTORS),
                self.descendants(n, ANON_DESCENDANTS, ANON_DEPTH),
            )
        headers = self.headers()
        self.served += 1
        return Json(
            {
                "ancestors": [self.status(a) for a in found[0]],
                "descendants": [self.status(d) for d in found[1]],
            },
            headers=headers,
        )


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run without a token unless they set one (a developer's own must not leak in)."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def _harvest(db: Path, base: str, *, clock: FakeTime | None = None, **kw: Any) -> CollectResult:
    t = clock or FakeTime()
    policy = HttpPolicy(max_attempts=3, backoff_base=0.01)
    return harvest(db, URL, base, "mastodon", policy, clock=t.clock, sleep=t.sleep, **kw)


def _context_paths(requests: list[Request]) -> list[str]:
    return [r.path for r in requests if r.path.endswith("/context")]


def _assert_whole_thread(db: Path, parent: dict[int, int | None]) -> None:
    """Every reply once, with the parent and depth the tree gives; the post as the thread."""
    rows = stored_replies(db)
    assert len(rows) == len(parent) - 1
    assert len({r[0] for r in rows}) == len(rows)
    expected = {sid(n): (sid(p), depth_of(parent, n)) for n, p in parent.items() if p is not None}
    assert {r[0]: (r[1], r[2]) for r in rows} == expected
    assert {r[3] for r in rows} == {f"mastodon:{ROOT_ID}"}
    threads = fetch_all(db, "SELECT thread_id, text, url FROM threads")
    assert threads == [
        (
            f"mastodon:{ROOT_ID}",
            "Should the council fund the new library?",
            f"https://{INSTANCE}/@user0/{ROOT_ID}",
        )
    ]


TREE = reachable_tree(300, seed=11)
# The post and 12 contexts: what the token-less walk of TREE needs.
ANON_PAGES = 13


def test_the_fake_thread_is_what_the_tests_need() -> None:
    depths = [depth_of(TREE, n) for n in TREE]
    assert len(TREE) == 301 and max(depths) > 2 * ANON_ANCESTORS  # deeper than any cap
    assert sum(d == 1 for d in depths) > 20  # and wide at the top
    assert len(FakeMastodon(TREE).descendants(0, ANON_DESCENDANTS, ANON_DEPTH)) == 60


def test_whole_thread_without_token_walks_past_the_caps(tmp_path: Path) -> None:
    app = FakeMastodon(TREE, uncounted=7)
    with serve(app) as server:
        result = _harvest(tmp_path / "a.duckdb", server.base)
    assert result.finished and result.added == 300 and result.unchanged == 0
    _assert_whole_thread(tmp_path / "a.duckdb", TREE)
    # every context asked for once, the first for the post itself
    asked = _context_paths(server.requests)
    assert len(asked) == len(set(asked)) == result.pages - 1
    assert asked[0] == f"/api/v1/statuses/{ROOT_ID}/context"
    # (one more than TREE needs: the status whose count is off is asked once, in vain)
    assert result.requests == result.pages == 1 + len(asked) == ANON_PAGES + 1
    # the one reply counted but never shown is reported, with the token hint
    assert result.notes == {NOTE_NOT_RETURNED + NOTE_TOKEN_HINT: 1}


def test_token_lifts_the_cap_and_never_reaches_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, SECRET)
    with serve(FakeMastodon(TREE, uncounted=7)) as server:
        result = _harvest(tmp_path / "t.duckdb", server.base)
    assert all(r.headers.get("authorization") == f"Bearer {SECRET}" for r in server.requests)
    # the post, its whole context in one answer, and the status whose count is off
    assert result.requests == 3 < ANON_PAGES
    assert result.notes == {NOTE_NOT_RETURNED: 1}
    _assert_whole_thread(tmp_path / "t.duckdb", TREE)
    for table, dump in table_texts(tmp_path / "t.duckdb").items():
        assert dump and SECRET not in dump, table


def test_a_wrong_token_is_explained_not_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    with serve(FakeMastodon(TREE)) as server, pytest.raises(AuthError) as err:
        _harvest(tmp_path / "w.duckdb", server.base)
    message = str(err.value)
    host = server.base.removeprefix("http://")
    assert f"{host} refused MASTODON_ACCESS_TOKEN (HTTP 401)" in message
    assert f"an account on {host}" in message
    assert "not-the-token" not in message


def test_wide_thread_without_token_reports_what_it_cannot_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 direct replies: a token-less context gives the first 60, and no other
    # request can reach the rest (a context only shows what lies below a status).
    wide: dict[int, int | None] = {0: None, **dict.fromkeys(range(1, 101), 0)}
    with serve(FakeMastodon(wide)) as server:
        result = _harvest(tmp_path / "w.duckdb", server.base)
        assert result.added == 60 and result.requests == 2
        assert result.notes == {NOTE_NOT_RETURNED + NOTE_TOKEN_HINT: 40}
        monkeypatch.setenv(TOKEN_ENV, SECRET)
        again = _harvest(tmp_path / "w.duckdb", server.base)
    assert again.added == 40 and again.unchanged == 60 and again.notes == {}


def test_a_status_deleted_mid_harvest_and_a_post_without_replies(tmp_path: Path) -> None:
    chain: dict[int, int | None] = {0: None, **{n: n - 1 for n in range(1, 46)}}
    app = FakeMastodon(chain)
    app.gone = {20}  # its context is asked for (20 levels down) after it was deleted
    with serve(app) as server:
        result = _harvest(tmp_path / "d.duckdb", server.base)
    assert result.finished and result.added == 20 and result.pages == 2
    assert result.notes == {NOTE_DELETED: 1, NOTE_NOT_RETURNED + NOTE_TOKEN_HINT: 1}
    _assert_whole_thread(tmp_path / "d.duckdb", {n: chain[n] for n in range(21)})

    with serve(FakeMastodon({0: None})) as server:
        alone = _harvest(tmp_path / "alone.duckdb", server.base)
    assert alone.finished and alone.added == 0 and alone.pages == 2
    assert alone.notes == {NOTE_NO_REPLIES: 1}
    stored = fetch_one(
        tmp_path / "alone.duckdb",
        "SELECT (SELECT count(*) FROM replies), (SELECT count(*) FROM threads)",
    )
    # not stored as a reply to itself (nor as a thread: the store takes a post only with replies)
    assert stored == (0, 0)


def test_kill_and_resume_equals_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FakeMastodon(TREE)
    with serve(app) as server:
        # The uninterrupted reference: the stored rows are the same with a
        # token, which needs 2 requests instead of 13.
        monkeypatch.setenv(TOKEN_ENV, SECRET)
        _harvest(tmp_path / "full.duckdb", server.base)
        monkeypatch.delenv(TOKEN_ENV)
        start = len(server.requests)
        with pytest.raises(KeyboardInterrupt):
            _harvest(tmp_path / "cut.duckdb", server.base, on_step=stop_after(4))
        first = [r.path for r in server.requests[start:]]
        partial = stored_replies(tmp_path / "cut.duckdb")
        assert len(first) == 4 and 0 < len(partial) < 300
        middle = len(server.requests)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base)
        second = [r.path for r in server.requests[middle:]]
    assert resumed.resumed and resumed.finished
    # it continued: nothing already saved was asked for again, nothing was skipped
    assert not set(first) & set(second)
    assert len(first + second) == ANON_PAGES and len(set(first + second)) == ANON_PAGES
    assert resumed.added == 300 - len(partial) and resumed.pages == ANON_PAGES
    _assert_whole_thread(tmp_path / "cut.duckdb", TREE)
    assert stored_replies(tmp_path / "cut.duckdb") == stored_replies(tmp_path / "full.duckdb")
    runs = run_count_and_status(tmp_path / "cut.duckdb")
    threads = fetch_one(tmp_path / "cut.duckdb", "SELECT count(*) FROM threads")
    assert runs == (1, "ok") and threads == (1,)


# A smaller thread for the fault tests: 120 statuses, 48 deep, the post and 5 contexts.
FAULT_TREE = reachable_tree(120, seed=2)


def _faulty(clock: FakeTime) -> FakeMastodon:
    """A 429 (Mastodon's headers, reset 30 s ahead) before the 3rd context, a 500 before the 5th."""
    app = FakeMastodon(FAULT_TREE, clock=clock)
    reset = datetime.fromtimestamp(clock.now + 30, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    throttled = Json(
        {"error": "Too many requests"},
        status=429,
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
        },
    )
    app.faults = {2: [throttled], 4: [Json({"error": "boom"}, status=500)]}
    return app


def test_429_and_500_mid_thread_keep_the_counts_exact(tmp_path: Path) -> None:
    clock = FakeTime()
    app = _faulty(clock)
    with serve(app) as server:
        result = _harvest(tmp_path / "f.duckdb", server.base, clock=clock)
    assert result.finished and result.added == 120 and result.pages == 6
    _assert_whole_thread(tmp_path / "f.duckdb", FAULT_TREE)
    # both failed answers were asked again, and a wait came before each retry
    asked = _context_paths(server.requests)
    assert len(asked) == 5 + 2 and len(set(asked)) == 5
    assert asked[2] == asked[3] and asked[5] == asked[6]
    assert len(clock.slept) == 2


def test_429_waits_until_the_iso_reset_and_paces_on_an_empty_quota(tmp_path: Path) -> None:
    clock = FakeTime()
    app = _faulty(clock)
    app.zero_remaining_at = 3  # the 4th context answer says the quota is spent for 20 s
    with serve(app) as server:
        _harvest(tmp_path / "f.duckdb", server.base, clock=clock)
    # the reset 30 s ahead plus the client's 1 s margin; then the spent quota's 20 s + 1
    assert clock.slept[0] == pytest.approx(31.0, abs=1e-3)
    assert [round(s, 3) for s in clock.slept[1:]].count(21.0) == 1


def test_recollect_adds_nothing_and_records_new_likes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, SECRET)  # 2 requests a run instead of 13
    app = FakeMastodon(TREE)
    with serve(app) as server:
        _harvest(tmp_path / "r.duckdb", server.base)
        app.likes_bonus = 10
        again = _harvest(tmp_path / "r.duckdb", server.base)
    assert again.added == 0 and again.updated == 300 and not again.resumed
    snaps = snapshot_counts(tmp_path / "r.duckdb")
    threads = fetch_one(tmp_path / "r.duckdb", "SELECT count(*) FROM threads")
    assert snaps == (600, 2) and threads == (1,)


def test_url_builders_and_queue_order() -> None:
    base = "https://mastodon.social"
    assert status_url(base, "109294719267373593") == (
        "https://mastodon.social/api/v1/statuses/109294719267373593"
    )
    assert context_url(base, "1") == "https://mastodon.social/api/v1/statuses/1/context"
    nodes: dict[str, list[Any]] = {
        "100": [0, 5, 5],  # all replies seen
        "101": [1, 2, 0],
        "99": [3, 1, 0],  # deepest first
        "1000": [1, 1, 0],  # then the latest of equal depth
        "102": [2, 1, 0],  # asked for already
        "103": [None, 1, 0],  # depth unknown: last
    }
    assert statuses_to_expand(nodes, ["102"]) == ["99", "1000", "101", "103"]
    assert http_policy({}).min_interval >= 1.0


def test_cli_collect_end_to_end(tmp_path: Path) -> None:
    small = reachable_tree(25, seed=2)
    with serve(FakeMastodon(small)) as server:
        result = collect_cli(tmp_path / "c.duckdb", URL, server.base)
    assert result.exit_code == 0, result.output
    assert "25 replies added, 0 updated, 0 unchanged" in result.output
    assert "(mastodon)" in result.output
    _assert_whole_thread(tmp_path / "c.duckdb", small)
