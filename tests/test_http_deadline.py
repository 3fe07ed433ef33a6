"""The overall deadline per request (collectors.deadline) against a real server on 127.0.0.1."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from collectors.deadline import bound_every_read
from collectors.http import Event, FetchError, HttpClient, HttpPolicy
from tests.fakeserver import FakeTime, Json, Scripted, Slow, Trickle, serve

PAYLOAD = {"replies": ["a slow answer"] * 20}


def _client(events: list[Event], *, deadline: float = 1.0, attempts: int = 2) -> HttpClient:
    # Only waits between attempts are faked; the deadline runs on the real clock.
    t = FakeTime()
    policy = HttpPolicy(timeout=5.0, deadline=deadline, max_attempts=attempts)
    return HttpClient(
        "test",
        policy=policy,
        clock=t.clock,
        sleep=t.sleep,
        on_event=events.append,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-and-headers"])
def test_a_trickling_server_fails_after_the_deadline(headers_too: bool) -> None:
    # One byte every 0.2 s never trips a 5 s read timeout; only the deadline ends it.
    events: list[Event] = []
    route = Scripted().on("/p", Trickle(Json(PAYLOAD), 0.2, headers_too=headers_too))
    with serve(route) as server, _client(events) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"failed 2 times \(no complete answer within 1 s\)"):
            client.get_json(f"{server.base}/p")
        took = time.monotonic() - started
    assert 1.9 < took < 4.0
    assert [str(e) for e in events] == [
        f"retry 2/2 in {events[0].seconds:.0f} s (test timed out: no complete answer within 1 s)"
    ]


def test_a_sleeping_server_fails_in_about_deadline_times_attempts() -> None:
    events: list[Event] = []
    route = Scripted().on("/p", Slow(60, Json(PAYLOAD)))
    with serve(route) as server, _client(events, attempts=3) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match="failed 3 times"):
            client.get_json(f"{server.base}/p")
        took = time.monotonic() - started
    assert 2.9 < took < 5.0
    assert [(e.kind, e.attempt, e.attempts) for e in events] == [("retry", 2, 3), ("retry", 3, 3)]


def test_the_deadline_is_per_attempt_not_per_client() -> None:
    events: list[Event] = []
    route = Scripted().on("/p", Slow(1.5, Json({"late": 1})), Json({"ok": 1}))
    with serve(route) as server, _client(events, deadline=1.0) as client:
        assert client.get_json(f"{server.base}/p").payload == {"ok": 1}
        assert [e.kind for e in events] == ["retry"]
        time.sleep(1.2)  # longer than the deadline: the next request gets its own
        assert client.get_json(f"{server.base}/p").payload == {"ok": 1}
    assert len(events) == 1


def test_every_transport_of_a_client_is_bounded() -> None:
    # If a newer httpx moves the connection pool, this fails instead of the deadline going away.
    with httpx.Client() as plain:
        assert bound_every_read(plain) >= 1
    with HttpClient("test") as client:
        assert bound_every_read(client._client) >= 1  # already bounded: counted, not wrapped twice
