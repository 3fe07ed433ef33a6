"""Privacy by default: stable pseudonyms for authors and @mentions, redacted emails and phones.

Pseudonyms are an HMAC of the handle with a per-database salt kept in
`store_meta` (created on first use, never shown), so the same person has the
same pseudonym in every report from that database and different ones across
databases. `--show-authors` turns pseudonymisation off (the report says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store import Store, fetch_one
from textsafety import redact_contacts

if TYPE_CHECKING:
    pass

SALT_KEY = "pseudonym_salt"
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][\w.\-]*[\w])")
_ADJECTIVES = (
    "amber blue brisk calm coral crisp dusky early fern gentle golden hazel indigo ivory jade keen "
    "lilac lively mellow misty navy olive pale quiet rosy russet sage silver slate snowy sunny "
    "teal "
    "tidal umber velvet warm willow"
).split()
_NOUNS = (
    "badger beech bramble brook cedar comet crane delta dune egret elm falcon finch fjord gannet "
    "glade harbour heron hollow ibis juniper kestrel lark linnet maple meadow merlin otter pebble "
    "plover quarry raven rowan sparrow thistle wren"
).split()


def store_salt(store: Store) -> bytes:
    """The database's pseudonym salt, created once (a read-only store lacking one: per run)."""
    row = fetch_one(store.con, "SELECT value FROM store_meta WHERE key = ?", [SALT_KEY])
    if row:
        return bytes.fromhex(str(row[0]))
    salt = secrets.token_bytes(16)
    # On a read-only connection the insert fails: pseudonyms are then still
    # consistent within this one report.
    with contextlib.suppress(Exception):
        store.con.execute("INSERT INTO store_meta VALUES (?, ?)", [SALT_KEY, salt.hex()])
    return salt


@dataclass
class Pseudonymiser:
    """Maps handles/names to stable pseudonyms like 'quiet-heron-3fa'."""

    salt: bytes
    enabled: bool = True
    _cache: dict[str, str] = field(default_factory=dict)

    def name(self, who: str | None) -> str:
        """The pseudonym (or the real handle when disabled) of an author."""
        if not who:
            return "unknown"
        if not self.enabled:
            return who
        key = who.strip().lstrip("@").lower()
        if key not in self._cache:
            digest = hmac.new(self.salt, key.encode("utf-8"), hashlib.sha256).digest()
            adj = _ADJECTIVES[digest[0] % len(_ADJECTIVES)]
            noun = _NOUNS[digest[1] % len(_NOUNS)]
            self._cache[key] = f"{adj}-{noun}-{digest[2:4].hex()[:3]}"
        return self._cache[key]

    def text(self, text: str) -> str:
        """Reply text with emails and phone numbers redacted and @mentions pseudonymised."""
        out = redact_contacts(text)
        if self.enabled:
            out = _MENTION.sub(lambda m: "@" + self.name(m.group(1)), out)
        return out


def pseudonymiser(store: Store, *, show_authors: bool) -> Pseudonymiser:
    """The pseudonymiser for reports and exports from this store."""
    return Pseudonymiser(store_salt(store), enabled=not show_authors)
