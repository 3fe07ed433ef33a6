"""The reply row every collector and importer produces, before normalisation.

A parser's job is only to *find* each field in a payload; it does not clean
or convert values. `collectors.rows.normalise` turns a batch of these rows into
typed columns (UTC timestamps, integer counts, repaired text) in one
vectorised pass, so every source shares one set of conversion rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

# The platforms replyscope knows. "other" is for generic files whose platform
# cannot be told and was not given with --platform.
PLATFORMS = (
    "x",
    "bluesky",
    "mastodon",
    "reddit",
    "youtube",
    "facebook",
    "instagram",
    "tiktok",
    "linkedin",
    "discord",
    "other",
)

# Platforms whose like count is a net score (up minus down votes) that can go below zero.
SIGNED_LIKES = frozenset({"reddit"})


class RawReply(TypedDict, total=False):
    """One reply as found in a payload; values are as the source wrote them.

    Keys (all optional except text):
    - reply_id: the platform's id of the reply (str or int); None lets the
      importer derive a stable id from thread, author and text.
    - thread_native_id / thread_url: the post replied to (native id or URL).
    - parent_id: native id of the post/comment replied to.
    - parent_author: handle of the account replied to, when that is all the
      source says (TikTokCommentScraper, twint).
    - depth: 1 for a direct reply to the thread's post, 2 for a reply to that...
    - author_id, author_handle, author_name, text, lang, url.
    - created_at: str, int or float (ISO, epoch s/ms, Excel serial, ...).
    - like_count, reply_count, repost_count, quote_count: int, float or str
      ("1.2K").
    - is_root: True when this row is the post replied to, not a reply.
    - platform: overrides the format's platform for this row.
    """

    reply_id: Any
    thread_native_id: Any
    thread_url: Any
    parent_id: Any
    parent_author: Any
    depth: Any
    author_id: Any
    author_handle: Any
    author_name: Any
    text: Any
    created_at: Any
    like_count: Any
    reply_count: Any
    repost_count: Any
    quote_count: Any
    lang: Any
    url: Any
    is_root: bool
    platform: str


# Column order of the raw batch handed to the normaliser.
RAW_FIELDS: tuple[str, ...] = (
    "platform",
    "reply_id",
    "thread_native_id",
    "thread_url",
    "parent_id",
    "parent_author",
    "depth",
    "author_id",
    "author_handle",
    "author_name",
    "text",
    "created_at",
    "like_count",
    "reply_count",
    "repost_count",
    "quote_count",
    "lang",
    "url",
    "is_root",
)

COUNT_FIELDS: tuple[str, ...] = ("like_count", "reply_count", "repost_count", "quote_count")


@dataclass
class ParseContext:
    """What a parser may need beyond the payload: options and per-file facts."""

    platform: str | None = None
    thread: str | None = None
    source: str = ""
    dayfirst: bool = False
    # Facts a reader found outside the records (e.g. an ExportComments preamble's
    # "Source URL", or the owner of a data download); parsers may use them.
    meta: dict[str, Any] = field(default_factory=dict)
    # Per-item problems that are not fatal (a blocked Bluesky node, ...), counted.
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, what: str, n: int = 1) -> None:
        """Count a non-fatal event to show in the run summary."""
        self.notes[what] = self.notes.get(what, 0) + n


def get_path(obj: Any, *path: str | int) -> Any:
    """Walk nested dicts/lists; return None as soon as a step is missing."""
    cur = obj
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                return None
            cur = cur[step]
        else:
            if not isinstance(cur, Mapping):
                return None
            cur = cur.get(step)
        if cur is None:
            return None
    return cur
