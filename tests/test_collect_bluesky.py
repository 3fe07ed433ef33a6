"""Bluesky collection end to end against a local fake AppView that cuts deep threads short."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from collectors.http import HttpPolicy
from tests.fakeserver import Json, Request, Reset, serve
from tests.harvest_helpers import (
    collect_cli,
    fetch_one,
    harvest,
    run_count_and_status,
    snapshot_counts,
    stop_after,
    stored_replies,
)

DID = "did:plc:abcdefghijklmnopqrstuvwx"
HANDLE = "council.example.social"


def _uri(n: int) -> str:
    return f"at://{DID}/app.bsky.feed.post/post{n:05d}"


class FakeAppView:
    """A thread of `size` posts in a random tree; answers getPostThread only 3 levels deep."""

    def __init__(self, size: int = 120, seed: int = 3, server_depth: int = 3) -> None:
        rng = random.Random(seed)
        self.parent: dict[int, int | None] = {0: None}
        self.children: dict[int, list[int]] = {0: []}
        for n in range(1, size + 1):
            # Mostly direct replies, some long chains (depth up to ~12).
            p = 0 if rng.random() < 0.4 else rng.choice([n - 1, rng.randrange(n)])
            self.parent[n] = p
            self.children[n] = []
            self.children[p].append(n)
        self.server_depth = server_depth
        self.fail_once: set[str] = set()

    def post(self, n: int) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": f"reply number {n}"
            if n
            else "What kind of leadership do our public services need?",
            "createdAt": f"2026-03-02T{9 + n // 60:02d}:{n % 60:02d}:00.000Z",
            "langs": ["en"],
        }
        if n:
            record["reply"] = {
                "root": {"uri": _uri(0), "cid": "c"},
                "parent": {"uri": _uri(self.parent[n] or 0), "cid": "c"},
            }
        return {
            "uri": _uri(n),
            "cid": f"cid{n}",
            "author": {
                "did": f"did:plc:author{n % 17}",
                "handle": f"person{n % 17}.bsky.social",
                "displayName": f"P {n % 17}",
            },
            "record": record,
            "replyCount": len(self.children[n]),
            "repostCount": 0,
            "likeCount": n % 7,
            "quoteCount": 0,
            "indexedAt": record["createdAt"],
        }

    def node(self, n: int, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post(n)}
        if depth > 0:
            out["replies"] = [self.node(c, depth - 1) for c in self.children[n]]
        return out

    def __call__(self, request: Request) -> Json | Reset:
        if request.path.endswith("resolveHandle"):
            return (
                Json({"did": DID})
                if request.query["handle"] == HANDLE
                else Json({"error": "x"}, status=400)
            )
        uri = request.query["uri"]
        if uri in self.fail_once:
            self.fail_once.discard(uri)
            return Reset()
        n = int(uri.rsplit("post", 1)[1])
        view = self.node(n, self.server_depth)
        height = int(request.query.get("parentHeight", "0"))
        cur, p = view, self.parent[n]
        while p is not None and height > 0:
            cur["parent"] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post(p)}
            cur, p, height = cur["parent"], self.parent[p], height - 1
        return Json({"thread": view})


URL = f"https://bsky.app/profile/{HANDLE}/post/post00000"


def _harvest(db: Path, base: str, **kw: Any) -> Any:
    policy = HttpPolicy(max_attempts=3, backoff_base=0.01)
    return harvest(db, URL, base, "bluesky", policy, **kw)


def test_whole_deep_thread_is_collected(tmp_path: Path) -> None:
    app = FakeAppView()
    app.fail_once.add(_uri(0))  # a connection reset on the first thread request
    with serve(app) as server:
        result = _harvest(tmp_path / "a.duckdb", server.base)
    rows = stored_replies(tmp_path / "a.duckdb")
    assert len(rows) == 120 and result.added == 120 and result.finished
    depths = {r[0]: r[2] for r in rows}
    # exact depths, even below the server's 3-level cut
    for n in range(1, 121):
        d, p = 0, n
        while p:
            p, d = app.parent[p] or 0, d + 1
        assert depths[_uri(n)] == d
    assert max(depths.values()) > 3
    assert {r[3] for r in rows} == {f"bluesky:{_uri(0)}"}
    db = tmp_path / "a.duckdb"
    pages = fetch_one(db, "SELECT count(*) FROM raw_records WHERE run_id = ?", [result.run_id])
    thread = fetch_one(db, "SELECT text FROM threads")
    assert pages == (result.pages,) and thread == (
        "What kind of leadership do our public services need?",
    )


def test_kill_and_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    app = FakeAppView()
    with serve(app) as server:
        _harvest(tmp_path / "full.duckdb", server.base)
        with pytest.raises(KeyboardInterrupt):
            _harvest(tmp_path / "cut.duckdb", server.base, on_step=stop_after(3))
        partial = stored_replies(tmp_path / "cut.duckdb")
        assert 0 < len(partial) < 120
        before = len(server.requests)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base)
        assert resumed.resumed and resumed.finished
        # it continued: no request for pages already saved
        asked = [r.query.get("uri") for r in server.requests[before:]]
        assert _uri(0) not in asked and not any(
            r.path.endswith("resolveHandle") for r in server.requests[before:]
        )
    assert stored_replies(tmp_path / "cut.duckdb") == stored_replies(tmp_path / "full.duckdb")
    runs = run_count_and_status(tmp_path / "cut.duckdb")
    assert runs == (1, "ok")


def test_recollect_adds_nothing_and_records_new_likes(tmp_path: Path) -> None:
    app = FakeAppView(size=30)
    with serve(app) as server:
        _harvest(tmp_path / "r.duckdb", server.base)
        original = app.post
        app.post = lambda n: {**original(n), "likeCount": original(n)["likeCount"] + 10}  # type: ignore[method-assign]
        again = _harvest(tmp_path / "r.duckdb", server.base)
    assert again.added == 0 and again.updated == 30 and not again.resumed
    snaps = snapshot_counts(tmp_path / "r.duckdb")
    assert snaps == (60, 2)  # a snapshot when first seen, another when the likes changed


def test_cli_collect_end_to_end(tmp_path: Path) -> None:
    with serve(FakeAppView(size=25)) as server:
        result = collect_cli(tmp_path / "c.duckdb", URL, server.base)
    assert result.exit_code == 0, result.output
    assert (
        "25 replies added, 0 updated, 0 unchanged" in result.output and "(bluesky)" in result.output
    )
