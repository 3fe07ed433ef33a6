"""collectors.http against a real local server that misbehaves on purpose."""

from __future__ import annotations

import random

import pytest

from collectors.http import (
    AuthError,
    Event,
    FetchError,
    HttpClient,
    HttpPolicy,
    RateLimited,
    RequestLedger,
    ServerRepeated,
    redact_url,
    reset_delay,
)
from tests.fakeserver import FakeTime, Json, Raw, Reset, Scripted, Slow, serve


def _client(t: FakeTime, events: list[Event], **policy: float) -> HttpClient:
    return HttpClient(
        "test",
        policy=HttpPolicy(**{"timeout": 0.5, "max_attempts": 4, **policy}),  # type: ignore[arg-type]
        clock=t.clock,
        sleep=t.sleep,
        on_event=events.append,
        rng=random.Random(1),
    )


def test_429_waits_for_retry_after() -> None:
    t, events = FakeTime(), []
    route = Scripted().on(
        "/p", Json({}, status=429, headers={"Retry-After": "42"}), Json({"ok": 1})
    )
    with serve(route) as server, _client(t, events) as client:
        page = client.get_json(f"{server.base}/p")
    assert page.payload == {"ok": 1}
    assert t.slept == [43.0]
    assert str(events[0]) == "waiting 43 s (rate limited by test)"


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("x-rate-limit-reset", "1700000060", 61.0),  # X: epoch seconds
        ("RateLimit-Reset", "30", 31.0),  # IETF: seconds from now
        ("X-Ratelimit-Reset", "7", 8.0),  # Reddit: seconds from now
    ],
)
def test_429_reset_headers(header: str, value: str, expected: float) -> None:
    t, events = FakeTime(), []
    route = Scripted().on("/p", Json({}, status=429, headers={header: value}), Json({"ok": 1}))
    with serve(route) as server, _client(t, events) as client:
        client.get_json(f"{server.base}/p")
    assert t.slept == [expected]


def test_500_twice_then_success_backs_off_with_jitter() -> None:
    t, events = FakeTime(), []
    route = Scripted().on("/p", Json({}, status=500), Json({}, status=503), Json({"ok": 1}))
    with serve(route) as server, _client(t, events) as client:
        assert client.get_json(f"{server.base}/p").payload == {"ok": 1}
        assert client.requests == 3
    assert len(t.slept) == 2
    assert 0.5 <= t.slept[0] <= 1.0 and 1.0 <= t.slept[1] <= 2.0  # exponential, jittered
    assert all(e.kind == "retry" for e in events)


def test_timeout_reset_and_malformed_json_are_retried() -> None:
    t, events = FakeTime(), []
    route = Scripted().on(
        "/p", Slow(1.5, Json({"late": 1})), Reset(), Raw(b'{"truncated": '), Json({"ok": 1})
    )
    with serve(route) as server, _client(t, events) as client:
        assert client.get_json(f"{server.base}/p").payload == {"ok": 1}
        assert client.requests == 4
    reasons = " ".join(e.reason for e in events)
    assert "did not answer" in reasons and "not JSON" in reasons


def test_gives_up_after_the_attempts() -> None:
    t, events = FakeTime(), []
    with serve(Scripted().on("/p", Json({}, status=500))) as server, _client(t, events) as client:
        with pytest.raises(FetchError, match="failed 4 times"):
            client.get_json(f"{server.base}/p")
        assert client.requests == 4


def test_long_rate_limit_is_reported_not_waited() -> None:
    t, events = FakeTime(), []
    route = Scripted().on("/p", Json({}, status=429, headers={"Retry-After": "86400"}))
    with (
        serve(route) as server,
        _client(t, events, max_wait=600) as client,
        pytest.raises(RateLimited) as err,
    ):
        client.get_json(f"{server.base}/p")
    assert t.slept == []
    assert err.value.reset_at is not None and "run the same command again" in str(err.value)


def test_auth_errors_say_what_the_server_said() -> None:
    t, events = FakeTime(), []
    route = Scripted().on("/p", Json({"title": "Unauthorized", "detail": "Bad token"}, status=401))
    with (
        serve(route) as server,
        _client(t, events) as client,
        pytest.raises(AuthError, match="401"),
    ):
        client.get_json(f"{server.base}/p")


def test_exhausted_quota_paces_the_next_request() -> None:
    t, events = FakeTime(), []
    route = Scripted().on(
        "/p",
        Json({"n": 1}, headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1700000100"}),
        Json({"n": 2}),
    )
    with serve(route) as server, _client(t, events) as client:
        client.get_json(f"{server.base}/p")
        client.get_json(f"{server.base}/p")
    assert t.slept == [101.0]
    assert "pacing" in events[0].reason


def test_min_interval_pacing() -> None:
    t, events = FakeTime(), []
    with (
        serve(Scripted().on("/p", Json({}))) as server,
        _client(t, events, min_interval=6.0) as client,
    ):
        client.get_json(f"{server.base}/p")
        client.get_json(f"{server.base}/p")
    assert t.slept == [6.0]


def test_secrets_never_reach_stored_urls() -> None:
    assert redact_url("https://h/api?part=snippet&key=SECRET&pageToken=x") == (
        "https://h/api?part=snippet&key=REDACTED&pageToken=x"
    )
    t, events = FakeTime(), []
    with serve(Scripted().on("/p", Json({}))) as server, _client(t, events) as client:
        page = client.get_json(f"{server.base}/p", params={"access_token": "SECRET", "q": "a"})
    assert "SECRET" not in page.url and "q=a" in page.url


def test_reset_delay_parses_http_dates() -> None:
    assert reset_delay({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 1445412470.0) == 10.0
    assert reset_delay({}, 0) is None


def test_with_a_run_ledger_no_get_is_made_twice() -> None:
    t, events = FakeTime(), []
    route = Scripted().on("/p", Json({"n": 1})).on("/token", Json({"access_token": "x"}))
    with serve(route) as server, _client(t, events) as client:
        client.ledger = RequestLedger()
        client.get_json(f"{server.base}/p", params={"cursor": "a"})
        client.get_json(f"{server.base}/p", params={"cursor": "b"})
        with pytest.raises(ServerRepeated, match=r"back to .*/p\?cursor=a, which it had already"):
            client.get_json(f"{server.base}/p?cursor=a")
        # Token requests (POST) may be repeated: a token is renewed at the same URL.
        client.post_form(f"{server.base}/token", {"grant_type": "client_credentials"})
        client.post_form(f"{server.base}/token", {"grant_type": "client_credentials"})
        assert len(server.requests) == 4
    assert client.ledger.urls == {f"{server.base}/p?cursor=a", f"{server.base}/p?cursor=b"}
