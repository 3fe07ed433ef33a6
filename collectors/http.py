"""The one place replyscope makes HTTP requests.

`HttpClient.get_json` wraps httpx with what a long harvest needs: timeouts;
retries with exponential backoff and full jitter on transport errors, 5xx
and unreadable bodies; a bounded number of attempts; 429 handled by waiting
for the reset the server announces (Retry-After, x-rate-limit-reset,
RateLimit-Reset, X-Ratelimit-Reset), capped; pacing from remaining-quota
headers and a minimum interval; an injectable clock and sleep for tests; and
an event callback so the CLI can say "waiting 42 s (rate limited by reddit)".

Secrets: credentials travel in headers, never in stored URLs; `redact_url`
removes key/token query parameters from anything that gets stored or shown.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from store import tool_version

USER_AGENT = f"replyscope/{tool_version()} (+https://github.com/replyscope; research use)"

_SECRET_PARAMS = re.compile(
    r"^(key|api_key|apikey|access_token|token|client_secret|password|secret)$", re.I
)


class FetchError(Exception):
    """A request that failed for good (after retries), worded for the person running it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        # The parsed JSON error body (None when not JSON): APIs such as Google's
        # say *why* in it (quotaExceeded vs commentsDisabled), which callers need.
        self.body = body


class AuthError(FetchError):
    """Credentials missing, wrong or not allowed to do this (401/403)."""


class RateLimited(FetchError):
    """Rate limited for longer than we are willing to wait; `reset_at` says until when."""

    def __init__(self, message: str, *, reset_at: datetime | None, url: str | None = None) -> None:
        super().__init__(message, status=429, url=url)
        self.reset_at = reset_at


@dataclass
class Event:
    """Something the person should see: a wait, a retry."""

    kind: str  # "wait" or "retry"
    seconds: float
    reason: str

    def __str__(self) -> str:
        return f"waiting {self.seconds:.0f} s ({self.reason})"


@dataclass
class HttpPolicy:
    """Limits of one client; defaults suit public APIs on a laptop."""

    timeout: float = 30.0
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_wait: float = 900.0  # longest wait for a rate-limit reset before giving up
    min_interval: float = 0.0  # pacing: at least this many seconds between requests


@dataclass
class Page:
    """One response: the parsed JSON, its text, and provenance."""

    url: str  # redacted: safe to store and show
    status: int
    payload: Any
    text: str
    retrieved_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)


def redact_url(url: str) -> str:
    """Drop secret query parameters (key=, access_token=, ...) from a URL."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, "REDACTED" if _SECRET_PARAMS.match(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def reset_delay(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the rate limit resets, from whichever header the server sent."""
    h = {k.lower(): v.strip() for k, v in headers.items()}
    retry_after = h.get("retry-after")
    if retry_after:
        if re.fullmatch(r"\d+(\.\d+)?", retry_after):
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    # X/Twitter: epoch seconds of the reset.
    if re.fullmatch(r"\d+(\.\d+)?", h.get("x-rate-limit-reset", "")):
        return max(0.0, float(h["x-rate-limit-reset"]) - now)
    # IETF RateLimit-Reset and Reddit's X-Ratelimit-Reset: seconds from now
    # (some servers send an epoch instead; tell them apart by size).
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        value = h.get(name, "")
        if re.fullmatch(r"\d+(\.\d+)?", value):
            seconds = float(value)
            return max(0.0, seconds - now) if seconds > 1e9 else seconds
        # Mastodon sends an ISO 8601 time ("2024-05-01T10:05:00.123456Z").
        if value:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is not None:
                return max(0.0, when.timestamp() - now)
    return None


def remaining_quota(headers: Mapping[str, str]) -> float | None:
    """Requests left in the current window, if the server says."""
    h = {k.lower(): v.strip() for k, v in headers.items()}
    for name in ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining"):
        value = h.get(name, "")
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return float(value)
    return None


class HttpClient:
    """JSON GETs (and form POSTs) with retries, rate-limit waits and pacing."""

    def __init__(
        self,
        platform: str,
        *,
        headers: Mapping[str, str] | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[Event], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.platform = platform
        self.policy = policy or HttpPolicy()
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event or (lambda _e: None)
        self.rng = rng or random.Random()
        self.requests = 0
        self.waited = 0.0
        self._next_allowed = 0.0
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=self.policy.timeout,
            transport=transport,
            follow_redirects=True,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_header(self, name: str, value: str) -> None:
        """Add or replace a header on every later request (e.g. a fresh OAuth token)."""
        self._client.headers[name] = value

    def _wait(self, seconds: float, reason: str, kind: str = "wait") -> None:
        if seconds <= 0:
            return
        self.on_event(Event(kind, seconds, reason))
        self.waited += seconds
        self.sleep(seconds)

    def _pace(self) -> None:
        delay = self._next_allowed - self.clock()
        if delay > 0:
            self._wait(delay, f"pacing requests to {self.platform}")

    def _backoff(self, attempt: int) -> float:
        cap = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)  # jitter, never zero

    def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        """GET url and parse JSON, retrying what is worth retrying."""
        return self._request("GET", url, params=params, headers=headers)

    def post_form(
        self, url: str, data: Mapping[str, str], auth: tuple[str, str] | None = None
    ) -> Page:
        """POST a form (OAuth token requests) and parse the JSON answer."""
        return self._request("POST", url, data=data, auth=auth)

    def _request(self, method: str, url: str, **kw: Any) -> Page:
        # httpx.URL(url, params=None) drops the URL's own query: merge instead.
        full = httpx.URL(url)
        if kw.get("params"):
            full = full.copy_merge_params(kw["params"])
        shown = redact_url(str(full))
        last_problem = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            self._pace()
            self.requests += 1
            outcome = self._attempt(method, url, kw, attempt, shown)
            if isinstance(outcome, Page):
                return outcome
            last_problem = outcome
        raise FetchError(
            f"{self.platform}: {shown} failed {self.policy.max_attempts} times ({last_problem}). "
            "Check the network and run the same command again: it continues where it stopped.",
            url=shown,
        )

    def _attempt(
        self, method: str, url: str, kw: Mapping[str, Any], attempt: int, shown: str
    ) -> Page | str:
        """One try: the page, or what went wrong (having waited before the next try).

        Raises what no retry can mend: refusals, other 4xx, a rate limit that
        resets later than `max_wait`.
        """
        try:
            response = self._client.request(
                method, url, **{k: v for k, v in kw.items() if v is not None}
            )
        except httpx.TransportError as err:
            problem = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            self._retry_wait(attempt, f"{self.platform} did not answer ({problem}); retrying")
            return problem
        now = self.clock()
        self._note_quota(response, now)
        if response.status_code == 429:
            self._wait_for_reset(response, now, attempt, shown)
            return "HTTP 429, rate limited"
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
            self._retry_wait(attempt, f"{self.platform} answered {problem}; retrying")
            return problem
        self._raise_for_status(response, shown)
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            problem = "an unreadable (not JSON) answer"
            self._retry_wait(attempt, f"{self.platform} sent {problem}; retrying")
            return problem
        return Page(
            url=shown,
            status=response.status_code,
            payload=payload,
            text=response.text,
            retrieved_at=datetime.fromtimestamp(now, UTC),
            headers=dict(response.headers),
        )

    def _retry_wait(self, attempt: int, reason: str) -> None:
        """Back off before the next attempt (none after the last)."""
        if attempt < self.policy.max_attempts:
            self._wait(self._backoff(attempt), reason, "retry")

    def _wait_for_reset(
        self, response: httpx.Response, now: float, attempt: int, shown: str
    ) -> None:
        """HTTP 429: wait until the announced reset (or back off), or give up if it is too far."""
        delay = reset_delay(response.headers, now)
        delay = self._backoff(attempt) if delay is None else delay + 1
        if delay > self.policy.max_wait:
            reset_at = datetime.fromtimestamp(now + delay, UTC)
            raise RateLimited(
                f"{self.platform} rate limit: it resets at {reset_at:%Y-%m-%d %H:%M} UTC; "
                "run the same command again after that and it will continue where it stopped.",
                reset_at=reset_at,
                url=shown,
            )
        self._wait(delay, f"rate limited by {self.platform}")

    def _raise_for_status(self, response: httpx.Response, shown: str) -> None:
        """Refusals (401/403) and other 4xx answers: no retry helps, say what the server said."""
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"{self.platform} refused the request (HTTP {status}): {_excerpt(response)}",
                status=status,
                url=shown,
                body=_json_body(response),
            )
        if status >= 400:
            raise FetchError(
                f"{self.platform} answered HTTP {status} for {shown}: {_excerpt(response)}",
                status=status,
                url=shown,
                body=_json_body(response),
            )

    def _note_quota(self, response: httpx.Response, now: float) -> None:
        """Space requests out: the minimum interval, and no request while the quota is spent."""
        self._next_allowed = now + self.policy.min_interval
        remaining = remaining_quota(response.headers)
        if remaining is not None and remaining < 1:
            delay = reset_delay(response.headers, now)
            if delay is not None and delay <= self.policy.max_wait:
                self._next_allowed = max(self._next_allowed, now + delay + 1)


def _json_body(response: httpx.Response) -> Any:
    """The error body as parsed JSON, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _excerpt(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error_description", "message", "detail", "title", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value[:300]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:300]
    return json.dumps(body)[:200]
