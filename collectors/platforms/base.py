"""What every live platform module shares with the harvest runner (`collectors.collect`).

A platform module (bluesky, mastodon, reddit, x, youtube) provides
`fetch_thread(client, target, state, ctx)`, a generator of `Step`s (one per
response page), and `http_policy(env)`, its pacing; optionally
`check_credentials(env)`, which fails before a run starts when a credential
is missing; optionally `request_keys(url)`, what a request asks for beyond
its URL (Reddit: the comment ids of a morechildren batch). These types and
helpers are all a platform module needs from the runner, so platform modules
never import it.

Collectors that always end: the runner gives the client a `RequestLedger`
of everything the run has fetched (rebuilt from the stored pages when a run
resumes), and the client refuses to make a GET twice. Fetchers ask
`asked_before`, `key_asked_before` and `answered_before` before following a
link, id or cursor a server gave them: a repeat is skipped and counted, and
the runner then ends the run as interrupted with a message saying what the
server repeated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from collectors.http import HttpClient, Page, RequestLedger, request_key
from collectors.model import ParseContext, RawReply


@dataclass
class Target:
    """The post whose replies we harvest, as understood from its URL."""

    platform: str
    native_id: str
    url: str
    api_base: str | None = None  # override for self-hosted instances, mirrors, tests
    archive: bool = False  # X: full-archive search

    @property
    def thread_id(self) -> str:
        return f"{self.platform}:{self.native_id}"


@dataclass
class Step:
    """One fetched page: what to keep, what it contained, where to continue."""

    page: Page
    rows: list[RawReply]
    state: dict[str, Any]


class Harvester(Protocol):
    """A platform module's `fetch_thread`."""

    def __call__(
        self, client: HttpClient, target: Target, state: dict[str, Any], ctx: ParseContext
    ) -> Iterator[Step]: ...


def ledger_of(client: HttpClient) -> RequestLedger:
    """The client's ledger for this run (a fresh one when a fetcher runs without the runner)."""
    if client.ledger is None:
        client.ledger = RequestLedger()
    return client.ledger


def asked_before(client: HttpClient, url: str, what: str) -> bool:
    """True (and counted as a repeat) when this run already fetched `url`; `what` says what it is.

    A fetcher asks before following a link or cursor the server gave it, and
    skips it when True: the server is sending the run round in a circle.
    """
    ledger = ledger_of(client)
    if not ledger.asked(request_key(url)):
        return False
    ledger.repeat(what)
    return True


def key_asked_before(client: HttpClient, key: str, what: str) -> bool:
    """True (and counted as a repeat) when a request of this run already asked for `key`."""
    ledger = ledger_of(client)
    if not ledger.asked_key(key):
        return False
    ledger.repeat(what)
    return True


def answered_before(client: HttpClient, page: Page) -> bool:
    """True (and counted as a repeat) when another request of this run got this very answer.

    Call it only for answers that hold something (replies, stubs, cursors):
    two empty answers may well be alike.
    """
    first = ledger_of(client).same_answer(page)
    if first is None:
        return False
    ledger_of(client).repeat(f"{page.url} answered exactly as {first} did")
    return True
