"""YouTube collection end to end against a local fake Data API v3 (shapes from the documented
commentThreads.list / comments.list / videos.list responses and Google's error bodies)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collectors.collect import CollectResult
from collectors.http import AuthError, FetchError, HttpPolicy, RateLimited, ServerRepeated
from collectors.platforms import youtube
from collectors.platforms.youtube import (
    NOTE_DISABLED,
    NOTE_HELD_BACK,
    comment_threads_url,
    comments_url,
    error_reasons,
    next_quota_reset,
    parse_video,
    video_url,
)
from commands.summary import describe_collect
from tests.fakeserver import Json, Raw, Reply, Request, serve
from tests.harvest_helpers import (
    SECRET_TABLES,
    collect_cli,
    fetch_all,
    fetch_one,
    harvest,
    last_run,
    run_count_and_status,
    stop_after,
    stored_replies,
    stored_text,
)

VID = "dQw4w9WgXcQ"
KEY = "AIzaSyFAKE-test-key-0123456789abcdefghij"
N_THREADS = 150
EMBED = 5  # the API embeds at most a few replies per thread
# 2026-03-02 15:30 UTC = 07:30 PST: the quota resets at 08:00 UTC the next day.
NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC).timestamp()


def _tid(i: int) -> str:
    return f"Ugx{i:04d}TopLevelCommentAaBb"


def _reply_count(i: int) -> int:
    """Replies of thread i: mostly none, 15 threads with 1-5, and four long ones."""
    special = {7: 130, 33: 12, 64: 4, 120: 101}
    if i in special:
        return special[i]
    return (i // 10) % 5 + 1 if i % 10 == 1 else 0


def _embedded(i: int) -> int:
    # Thread 64: the API embeds 2 of its 4 replies (it does not promise all of them).
    return 2 if i == 64 else min(_reply_count(i), EMBED)


REPLIES = sum(_reply_count(i) for i in range(N_THREADS))
TOTAL = N_THREADS + REPLIES
NEEDING = [i for i in range(N_THREADS) if _reply_count(i) > _embedded(i)]
REFETCHED_EMBEDDED = sum(_embedded(i) for i in NEEDING)


def _google_error(status: int, reason: str, message: str, domain: str = "youtube") -> Json:
    """An error body as Google's APIs send it."""
    return Json(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
        status=status,
    )


QUOTA_EXCEEDED = _google_error(
    403,
    "quotaExceeded",
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    "youtube.quota",
)
COMMENTS_DISABLED = _google_error(
    403,
    "commentsDisabled",
    "The video identified by the <code>videoId</code> parameter has disabled comments.",
    "youtube.commentThread",
)
KEY_INVALID = Json(
    {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "errors": [
                {
                    "message": "API key not valid. Please pass a valid API key.",
                    "domain": "global",
                    "reason": "badRequest",
                }
            ],
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    },
    status=400,
)


class FakeYouTube:
    """The Data API v3 for one video of 150 threads; counts quota units; injects faults once."""

    def __init__(self, n_threads: int = N_THREADS) -> None:
        self.n_threads = n_threads
        self.quota: int | None = None  # units left today; None = unlimited
        self.comments_disabled = False
        # (path, query subset, reply): served once, to the first matching request.
        self.faults: list[tuple[str, dict[str, str], Reply]] = []
        self.likes_bonus = 0

    def comment(self, cid: str, n: int, parent: str | None = None) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": "UCuAXFkgsw1L7xaCfnd5JJOw",
            "textDisplay": f"comment {cid}",
            "textOriginal": f"comment {cid}",
            "authorDisplayName": f"@viewer{n % 23}",
            "authorProfileImageUrl": "https://yt3.ggpht.com/x=s48",
            "authorChannelUrl": f"http://www.youtube.com/@viewer{n % 23}",
            "authorChannelId": {"value": f"UCviewer{n % 23:04d}"},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": n % 9 + self.likes_bonus,
            "publishedAt": f"2026-03-01T{n % 24:02d}:{n % 60:02d}:00Z",
            "updatedAt": f"2026-03-01T{n % 24:02d}:{n % 60:02d}:00Z",
        }
        if parent:
            snippet["parentId"] = parent  # replies from comments.list carry no videoId
        else:
            snippet["videoId"] = VID
        return {"kind": "youtube#comment", "etag": f"e{cid}", "id": cid, "snippet": snippet}

    def reply(self, i: int, j: int) -> dict[str, Any]:
        # Reply ids are "<top-level id>.<reply id>", as on YouTube.
        return self.comment(f"{_tid(i)}.r{j:03d}", i * 7 + j, parent=_tid(i))

    def thread(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": f"t{i}",
            "id": _tid(i),
            "snippet": {
                "channelId": "UCuAXFkgsw1L7xaCfnd5JJOw",
                "videoId": VID,
                "topLevelComment": self.comment(_tid(i), i),
                "canReply": True,
                "totalReplyCount": _reply_count(i),
                "isPublic": True,
            },
        }
        if _embedded(i):
            out["replies"] = {"comments": [self.reply(i, j) for j in range(_embedded(i))]}
        return out

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("x-goog-api-key") != KEY:
            return KEY_INVALID
        for n, (path, query, reply) in enumerate(self.faults):
            if request.path.endswith(path) and query.items() <= request.query.items():
                del self.faults[n]
                return reply
        if self.quota is not None:
            if self.quota <= 0:
                return QUOTA_EXCEEDED
            self.quota -= 1
        page_size = int(request.query.get("maxResults", "5"))
        start = int(request.query.get("pageToken", "p0")[1:])
        if request.path.endswith("/videos"):
            return Json(self.videos(request.query["id"]))
        if request.path.endswith("/commentThreads"):
            assert request.query["videoId"] == VID
            if self.comments_disabled:
                return COMMENTS_DISABLED
            items = [self.thread(i) for i in range(start, min(start + page_size, self.n_threads))]
            more = start + page_size < self.n_threads
            kind = "youtube#commentThreadListResponse"
        elif request.path.endswith("/comments"):
            i = int(request.query["parentId"][3:7])
            total = _reply_count(i)
            items = [self.reply(i, j) for j in range(start, min(start + page_size, total))]
            more = start + page_size < total
            kind = "youtube#commentListResponse"
        else:
            return Json({"error": {"code": 404, "message": "Not Found"}}, status=404)
        page: dict[str, Any] = {
            "kind": kind,
            "etag": "x",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": page_size},
            "items": items,
        }
        if more:
            page["nextPageToken"] = f"p{start + page_size}"
        return Json(page)

    def videos(self, video_id: str) -> dict[str, Any]:
        items = [
            {
                "kind": "youtube#video",
                "etag": "v",
                "id": VID,
                "snippet": {
                    "publishedAt": "2009-10-25T06:57:33Z",
                    "channelId": "UCuAXFkgsw1L7xaCfnd5JJOw",
                    "title": "Never Gonna Give You Up",
                    "description": "The official video.",
                    "channelTitle": "Rick Astley",
                },
                "statistics": {
                    "viewCount": "1700000000",
                    "likeCount": "18000000",
                    "commentCount": str(TOTAL),
                },
            }
        ]
        return {
            "kind": "youtube#videoListResponse",
            "etag": "x",
            "items": items if video_id == VID else [],
            "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
        }


URL = f"https://www.youtube.com/watch?v={VID}"


def _harvest(
    db: Path,
    base: str,
    *,
    sleep: Callable[[float], None] = lambda s: None,
    url: str = URL,
    **kw: Any,
) -> CollectResult:
    policy = HttpPolicy(max_attempts=3, backoff_base=0.01)
    return harvest(db, url, base, "youtube", policy, clock=lambda: NOW, sleep=sleep, **kw)


def _everything_stored(db: Path) -> str:
    """All text of the tables where a leaked key could hide."""
    return stored_text(db, SECRET_TABLES)


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", KEY)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    """The replies of one uninterrupted harvest, to compare resumed ones with."""
    db = tmp_path_factory.mktemp("full") / "full.duckdb"
    with pytest.MonkeyPatch.context() as mp, serve(FakeYouTube()) as server:
        mp.setenv("YOUTUBE_API_KEY", KEY)
        _harvest(db, server.base)
    return stored_replies(db)


def test_fake_video_has_the_intended_shape() -> None:
    # 150 threads, 292 replies; four threads need comments.list (two of them over 2 pages).
    assert (TOTAL, REPLIES, NEEDING, REFETCHED_EMBEDDED) == (442, 292, [7, 33, 64, 120], 17)


def test_whole_video_is_collected_with_retries(tmp_path: Path) -> None:
    app = FakeYouTube()
    app.faults += [
        ("/commentThreads", {"pageToken": "p100"}, Json({"error": "backend"}, status=500)),
        ("/comments", {"parentId": _tid(7), "pageToken": "p100"}, Raw(b'{"kind": "youtube#comm')),
    ]
    with serve(app) as server:
        result = _harvest(tmp_path / "a.duckdb", server.base)
    assert result.finished and result.added == TOTAL == 442
    # The embedded replies of the four long threads came again from comments.list.
    assert (result.updated, result.unchanged) == (0, 17)
    # 1 video + 2 thread pages + comments.list pages 2 + 1 + 1 + 2; plus the two retries.
    assert (result.pages, result.requests) == (9, 11)
    assert result.notes == {}
    assert app.faults == []

    rows = stored_replies(tmp_path / "a.duckdb")
    assert len(rows) == len({r[0] for r in rows}) == 442
    by_id = {r[0]: r for r in rows}
    for i in range(N_THREADS):
        assert by_id[_tid(i)][1:4] == (VID, 1, f"youtube:{VID}")
        for j in range(_reply_count(i)):
            assert by_id[f"{_tid(i)}.r{j:03d}"][1:4] == (_tid(i), 2, f"youtube:{VID}")
    assert sum(1 for r in rows if r[2] == 2) == 292
    assert by_id[f"{_tid(7)}.r129"][5] == f"comment {_tid(7)}.r129"

    thread = fetch_all(tmp_path / "a.duckdb", "SELECT thread_id, author, text, url FROM threads")
    pages = fetch_one(tmp_path / "a.duckdb", "SELECT count(*) FROM raw_records")
    assert thread == [
        (
            f"youtube:{VID}",
            "Rick Astley",
            "Never Gonna Give You Up\n\nThe official video.",
            URL,
        )
    ]
    assert pages == (9,)

    # The key went in the header of every request and nowhere else.
    assert len(server.requests) == 11
    assert all(r.headers["x-goog-api-key"] == KEY for r in server.requests)
    assert not any("key" in r.query for r in server.requests)
    assert KEY not in _everything_stored(tmp_path / "a.duckdb")
    threads_q = next(r.query for r in server.requests if r.path.endswith("/commentThreads"))
    assert threads_q == {
        "part": "snippet,replies",
        "videoId": VID,
        "maxResults": "100",
        "order": "time",
        "textFormat": "plainText",
    }
    asked = [r.query.get("parentId") for r in server.requests if r.path.endswith("/comments")]
    assert asked == [_tid(7)] * 3 + [_tid(33), _tid(64), _tid(120), _tid(120)]


def test_quota_exceeded_keeps_what_was_fetched_and_a_rerun_continues(
    tmp_path: Path, full_run: list[tuple[Any, ...]]
) -> None:
    app = FakeYouTube()
    with serve(app) as server:
        app.quota = 5  # video, 2 thread pages, both pages of thread 7; then the day is over
        with pytest.raises(RateLimited) as err:
            _harvest(tmp_path / "cut.duckdb", server.base)
        message = str(err.value)
        assert "quotaExceeded" in message and "midnight Pacific Time" in message
        assert "2026-03-03 08:00 UTC" in message and "in 16 h 30 min" in message
        assert "continues where it stopped" in message
        assert err.value.reset_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
        partial = stored_replies(tmp_path / "cut.duckdb")
        # 150 threads with 62 embedded replies, then the other 125 replies of thread 7
        assert len(partial) == 150 + 62 + 125
        status = fetch_one(tmp_path / "cut.duckdb", "SELECT status, message FROM runs")
        assert status is not None and status[0] == "interrupted" and "08:00 UTC" in status[1]

        app.quota = None  # the next day
        before = len(server.requests)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base)
        again = server.requests[before:]
    assert resumed.resumed and resumed.finished
    # It continued with the first parent not yet fetched: nothing was asked twice.
    assert [r.query.get("parentId") for r in again] == [_tid(33), _tid(64), _tid(120), _tid(120)]
    assert stored_replies(tmp_path / "cut.duckdb") == full_run
    runs = run_count_and_status(tmp_path / "cut.duckdb")
    assert runs == (1, "ok")


def test_kill_and_resume_equals_an_uninterrupted_run(
    tmp_path: Path, full_run: list[tuple[Any, ...]]
) -> None:
    app = FakeYouTube()
    with serve(app) as server:
        with pytest.raises(KeyboardInterrupt):
            # stop after 4 pages: in the middle of thread 7's two comments.list pages
            _harvest(tmp_path / "cut.duckdb", server.base, on_step=stop_after(4))
        assert len(stored_replies(tmp_path / "cut.duckdb")) == 150 + 62 + 95
        before = len(server.requests)
        resumed = _harvest(tmp_path / "cut.duckdb", server.base)
        again = server.requests[before:]
    assert resumed.resumed and resumed.finished and resumed.pages == 9
    assert [
        (r.path.rsplit("/", 1)[1], r.query.get("parentId"), r.query.get("pageToken")) for r in again
    ] == [
        ("comments", _tid(7), "p100"),
        ("comments", _tid(33), None),
        ("comments", _tid(64), None),
        ("comments", _tid(120), None),
        ("comments", _tid(120), "p100"),
    ]
    assert stored_replies(tmp_path / "cut.duckdb") == full_run
    assert KEY not in _everything_stored(tmp_path / "cut.duckdb")


def test_recollect_adds_nothing_and_records_new_likes(tmp_path: Path) -> None:
    # 40 threads: 4 with 1-4 replies, thread 7 with 130 and thread 33 with 12 (192 comments).
    app = FakeYouTube(n_threads=40)
    with serve(app) as server:
        _harvest(tmp_path / "r.duckdb", server.base)
        app.likes_bonus = 10
        again = _harvest(tmp_path / "r.duckdb", server.base, url=f"https://youtu.be/{VID}")
    # Every comment changed once; the 10 embedded replies fetched again are then unchanged.
    assert (again.added, again.updated, again.unchanged, again.resumed) == (0, 192, 10, False)


def test_comments_disabled_finishes_cleanly_with_a_note(tmp_path: Path) -> None:
    app = FakeYouTube()
    app.comments_disabled = True
    with serve(app) as server:
        result = _harvest(tmp_path / "d.duckdb", server.base)
    assert result.finished and (result.added, result.pages) == (0, 1)
    assert result.notes == {NOTE_DISABLED: 1}
    assert "youtube: comments are disabled on this video." in describe_collect(result)
    counts = fetch_one(
        tmp_path / "d.duckdb", "SELECT (SELECT count(*) FROM replies), (SELECT status FROM runs)"
    )
    assert counts == (0, "ok")


def test_short_rate_limit_is_waited_out(tmp_path: Path) -> None:
    app = FakeYouTube(n_threads=40)
    limited = _google_error(403, "rateLimitExceeded", "Too many requests.", "youtube.quota")
    app.faults += [("/comments", {"parentId": _tid(33)}, limited)] * 2
    slept: list[float] = []
    with serve(app) as server:
        result = _harvest(tmp_path / "w.duckdb", server.base, sleep=slept.append)
    assert result.finished and (result.added, result.requests) == (192, 7)
    assert [s for s in slept if s >= 1] == [10.0, 30.0] and result.waited >= 40


def test_missing_and_invalid_keys_say_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FakeYouTube()
    with serve(app) as server:
        monkeypatch.delenv("YOUTUBE_API_KEY")
        with pytest.raises(AuthError) as missing:
            _harvest(tmp_path / "k.duckdb", server.base)
        assert server.requests == []
        monkeypatch.setenv("YOUTUBE_API_KEY", "AIzaWRONG")
        with pytest.raises(AuthError) as wrong:
            _harvest(tmp_path / "k.duckdb", server.base)
        monkeypatch.setenv("YOUTUBE_API_KEY", KEY)
        app.faults.append(
            ("/videos", {}, _google_error(403, "forbidden", "Access forbidden.", "youtube.video"))
        )
        with pytest.raises(AuthError) as forbidden:
            _harvest(tmp_path / "k.duckdb", server.base)
    for err in (missing, wrong, forbidden):
        assert "YouTube Data API v3" in str(err.value) and "Credentials" in str(err.value)
        assert "export YOUTUBE_API_KEY=" in str(err.value)
    assert "YOUTUBE_API_KEY is not set" in str(missing.value)
    assert "API_KEY_INVALID" in str(wrong.value) and "AIzaWRONG" not in str(wrong.value)
    assert "forbidden: Access forbidden." in str(forbidden.value)
    assert KEY not in _everything_stored(tmp_path / "k.duckdb")


def test_unknown_video_is_a_clear_error(tmp_path: Path) -> None:
    with serve(FakeYouTube()) as server, pytest.raises(FetchError, match="was not found") as err:
        _harvest(tmp_path / "u.duckdb", server.base, url="https://youtu.be/AAAAAAAAAAA")
    assert "deleted, private, or a wrong id" in str(err.value)


def test_quota_reset_is_the_next_midnight_in_los_angeles() -> None:
    def reset(y: int, mo: int, d: int, h: int) -> datetime:
        return next_quota_reset(datetime(y, mo, d, h, tzinfo=UTC))

    assert reset(2026, 1, 15, 12) == datetime(2026, 1, 16, 8, tzinfo=UTC)  # PST
    assert reset(2026, 7, 1, 12) == datetime(2026, 7, 2, 7, tzinfo=UTC)  # PDT
    assert reset(2026, 7, 1, 6) == datetime(2026, 7, 1, 7, tzinfo=UTC)  # still the 30th there
    # DST starts on 2026-03-08: before it midnight is 08:00 UTC, after it 07:00 UTC.
    assert reset(2026, 3, 8, 5) == datetime(2026, 3, 8, 8, tzinfo=UTC)
    assert reset(2026, 3, 8, 12) == datetime(2026, 3, 9, 7, tzinfo=UTC)


def test_url_builders_and_helpers_are_pure() -> None:
    base = "https://www.googleapis.com/youtube/v3"
    assert video_url(base, VID) == f"{base}/videos?part=snippet,statistics&id={VID}"
    assert comment_threads_url(base, VID, "QURT") == (
        f"{base}/commentThreads?part=snippet,replies&videoId={VID}&maxResults=100&order=time"
        "&textFormat=plainText&pageToken=QURT"
    )
    assert comments_url(base, "Ugx1") == (
        f"{base}/comments?part=snippet&parentId=Ugx1&maxResults=100&textFormat=plainText"
    )
    assert error_reasons(QUOTA_EXCEEDED.payload) == ["quotaExceeded"]
    assert error_reasons(KEY_INVALID.payload) == ["badRequest", "API_KEY_INVALID"]
    assert error_reasons("not json") == [] and error_reasons({"error": "x"}) == []
    assert parse_video({"items": []}, VID) is None
    root = parse_video(FakeYouTube().videos(VID), VID)
    assert root is not None and root["is_root"] and root["reply_count"] == "442"


def test_cli_collect_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI builds its client from http_policy; skip the real pacing sleeps here.
    monkeypatch.setattr(youtube, "http_policy", lambda env: HttpPolicy(backoff_base=0.01))
    app = FakeYouTube(n_threads=40)  # 192 comments
    db = str(tmp_path / "c.duckdb")
    with serve(app) as server:
        first = collect_cli(db, URL, server.base)
        assert first.exit_code == 0, first.output
        assert "192 replies added, 0 updated, 10 unchanged" in first.output
        assert "(youtube)" in first.output

        # Same video by its short link: nothing new.
        again = collect_cli(db, f"https://youtu.be/{VID}", server.base)
        assert again.exit_code == 0, again.output
        assert "0 replies added, 0 updated, 202 unchanged" in again.output

        # Quota gone after 3 requests: an error exit that says when to come back.
        db2 = str(tmp_path / "q.duckdb")
        app.quota = 3
        cut = collect_cli(db2, URL, server.base)
        assert cut.exit_code == 1
        assert re.search(
            r"resets at midnight Pacific Time: \d{4}-\d\d-\d\d 0[78]:00 UTC", cut.output
        )
        assert re.search(
            r"The [1-9]\d* new replies received before the error are stored", cut.output
        )
        app.quota = None
        rest = collect_cli(db2, URL, server.base)
        assert rest.exit_code == 0, rest.output
        assert "Resumed and finished" in rest.output
    assert stored_replies(Path(db2)) == stored_replies(Path(db))
    assert KEY not in _everything_stored(Path(db)) + _everything_stored(Path(db2))
    assert KEY not in first.output + again.output + cut.output + rest.output


def test_a_page_token_that_repeats_does_not_loop_forever(tmp_path: Path) -> None:
    app = FakeYouTube(n_threads=40)
    looping = {
        "kind": "youtube#commentListResponse",
        "items": [app.reply(7, 100)],
        "nextPageToken": "p100",  # the token that was just used
    }
    app.faults.append(("/comments", {"parentId": _tid(7), "pageToken": "p100"}, Json(looping)))
    db = tmp_path / "l.duckdb"
    with serve(app) as server, pytest.raises(ServerRepeated, match="repeated itself once"):
        _harvest(db, server.base)
    # Thread 7 stops at 101 of its 130 replies; the rest of the video is complete,
    # and the run is marked interrupted with the reason.
    status, message, added, summary = last_run(db)
    assert (status, added, summary["pages"]) == ("interrupted", 192 - 29, 5)
    assert f"replies to {_tid(7)} led back to a page fetched" in message
    assert summary[NOTE_HELD_BACK] == 29
