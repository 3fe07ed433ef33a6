"""The one place replyscope makes HTTP requests.

`HttpClient.get_json` wraps httpx with what a long harvest needs: timeouts
and an overall deadline per request (connecting and reading the whole answer,
see `collectors.deadline`); retries with exponential backoff and full jitter
on transport errors, 5xx and unreadable bodies; a bounded number of attempts; 429 handled by waiting
for the reset the server announces (Retry-After, x-rate-limit-reset,
RateLimit-Reset, X-Ratelimit-Reset), capped; pacing from remaining-quota
headers and a minimum interval; an injectable clock and sleep for tests; and
an event callback so the CLI can say "waiting 42 s (rate limited by reddit)";
and, during a harvest, a `RequestLedger` of everything the run has asked for,
so no request is made twice however a server answers.

Secrets: credentials travel in headers, never in stored URLs; `redact_url`
removes key/token query parameters from anything that gets stored or shown.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from collectors.deadline import bound_every_read, within
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


class ServerRepeated(FetchError):
    """The server sent the run back to something it had already fetched (a loop)."""


@dataclass
class Event:
    """Something the person should see: a wait, a retry."""

    kind: str  # "wait" or "retry"
    seconds: float
    reason: str
    attempt: int = 0  # retries: the attempt that comes after the wait
    attempts: int = 0  # retries: how many attempts there are in all

    def __str__(self) -> str:
        if self.kind == "retry" and self.attempt:
            return f"retry {self.attempt}/{self.attempts} in {self.seconds:.0f} s ({self.reason})"
        return f"waiting {self.seconds:.0f} s ({self.reason})"


@dataclass
class HttpPolicy:
    """Limits of one client; defaults suit public APIs on a laptop."""

    timeout: float = 30.0  # connecting, and the longest silence while reading
    deadline: float = 60.0  # one attempt in all: connect, status, headers and the whole body
    max_attempts: int = 6  # the retry budget: attempts per request before giving up
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


def request_key(url: str, params: Mapping[str, Any] | None = None) -> str:
    """How a request is remembered and stored: its full URL with params, secrets redacted."""
    # httpx.URL(url, params=None) drops the URL's own query: merge instead.
    full = httpx.URL(url)
    if params:
        full = full.copy_merge_params(params)
    return redact_url(str(full))


def answer_hash(text: str) -> str:
    """sha256 of an answer's text (the same as DuckDB's sha256 of the stored payload)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _no_keys(url: str) -> Iterable[str]:
    del url
    return ()


@dataclass
class RequestLedger:
    """What one harvest run has asked for and been answered, across resumes.

    `urls` holds every request that got an answer (its `request_key`), and
    `keys` what the platform derives from them (`keys_of`; e.g. Reddit's
    comment ids, asked for in batches that change). `answers` maps the
    sha256 of each answer to the first request that got it. `repeats`
    describes the times the server sent the run back to something already
    fetched; the runner marks such a run interrupted and says so.
    """

    keys_of: Callable[[str], Iterable[str]] = _no_keys
    urls: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    answers: dict[str, str] = field(default_factory=dict)
    repeats: list[str] = field(default_factory=list)
    repeat_count: int = 0

    def remember(self, url: str, digest: str) -> None:
        """Note a request that was answered, and the answer's hash."""
        self.urls.add(url)
        self.keys.update(self.keys_of(url))
        self.answers.setdefault(digest, url)

    def asked(self, url: str) -> bool:
        """Whether this run already got an answer to this request (a `request_key`)."""
        return url in self.urls

    def asked_key(self, key: str) -> bool:
        """Whether a request of this run already asked for this key (see `keys_of`)."""
        return key in self.keys

    def same_answer(self, page: Page) -> str | None:
        """The other request that got this very answer earlier in the run, if any."""
        first = self.answers.get(answer_hash(page.text))
        return first if first is not None and first != page.url else None

    def repeat(self, what: str) -> None:
        """Count one repeat by the server; the first few are kept to be shown."""
        self.repeat_count += 1
        if what not in self.repeats and len(self.repeats) < 3:
            self.repeats.append(what)


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
        # Set by the harvest runner for one run: GETs it remembers are never made again.
        self.ledger: RequestLedger | None = None
        self._next_allowed = 0.0
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=self.policy.timeout,
            transport=transport,
            follow_redirects=True,
        )
        if transport is None:
            bound_every_read(self._client)

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

    def _wait(self, seconds: float, reason: str, kind: str = "wait", attempt: int = 0) -> None:
        if seconds <= 0:
            return
        self.on_event(Event(kind, seconds, reason, attempt, self.policy.max_attempts))
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
        shown = request_key(url, kw.get("params"))
        remembered = self.ledger if method == "GET" else None  # token POSTs may repeat
        if remembered is not None and remembered.asked(shown):
            # Fetchers skip what they asked before; reaching here means a loop they missed.
            raise ServerRepeated(
                f"{self.platform}: the server sent this run back to {shown}, which it had "
                "already fetched; it is repeating itself, so the run stops here.",
                url=shown,
            )
        last_problem = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            self._pace()
            self.requests += 1
            outcome = self._attempt(method, url, kw, attempt, shown)
            if isinstance(outcome, Page):
                if remembered is not None:
                    remembered.remember(shown, answer_hash(outcome.text))
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
        started = time.monotonic()
        try:
            # The whole answer is read inside: the deadline covers connect to last byte.
            with within(self.policy.deadline):
                response = self._client.request(
                    method, url, **{k: v for k, v in kw.items() if v is not None}
                )
        except httpx.TimeoutException:
            problem = f"no complete answer within {time.monotonic() - started:.0f} s"
            self._retry_wait(attempt, f"{self.platform} timed out: {problem}")
            return problem
        except httpx.TransportError as err:
            problem = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            self._retry_wait(attempt, f"{self.platform} did not answer ({problem})")
            return problem
        now = self.clock()
        self._note_quota(response, now)
        if response.status_code == 429:
            self._wait_for_reset(response, now, attempt, shown)
            return "HTTP 429, rate limited"
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
            self._retry_wait(attempt, f"{self.platform} answered {problem}")
            return problem
        self._raise_for_status(response, shown)
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            problem = "an unreadable (not JSON) answer"
            self._retry_wait(attempt, f"{self.platform} sent {problem}")
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
            self._wait(self._backoff(attempt), reason, "retry", attempt + 1)

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
