"""What every live platform module shares with the harvest runner (`collectors.collect`).

A platform module (bluesky, mastodon, reddit, x, youtube) provides
`fetch_thread(client, target, state, ctx)`, a generator of `Step`s (one per
response page), and `http_policy(env)`, its pacing; optionally
`check_credentials(env)`, which fails before a run starts when a credential
is missing. These types are all a platform module needs from the runner, so
platform modules never import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from collectors.http import HttpClient, Page
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
