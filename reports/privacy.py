"""Privacy by default: stable pseudonyms for authors, handles and ids that embed an account.

Pseudonyms are an HMAC of the handle with a per-database salt kept in
`store_meta` (created on first use, never shown), so the same person has the
same pseudonym in every report from that database and different ones across
databases. Reply, parent and thread ids that could name an account (a
Bluesky `at://did:plc:…` URI, a profile URL, anything that is not a plain
token of letters, digits, `_` and `-`) become stable keys `id-…` from the
same salt, so a thread's structure survives and the account does not. What
counts as a handle, an e-mail address or a phone number is defined once, in
textsafety. `--show-authors` turns pseudonyms and keys off (the report says
so); e-mail addresses and phone numbers are removed either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from store import Store, fetch_one
from textsafety import redact_contacts, replace_handles

SALT_KEY = "pseudonym_salt"
# An id that cannot name an account: one plain token (x/reddit/youtube/mastodon ids).
_PLAIN_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
ID_KEY_PREFIX = "id-"
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
        """Reply text with e-mails and phone numbers redacted and handles pseudonymised."""
        if self.enabled:
            # Handles first: `@jane@mastodon.social` is a handle, not an e-mail address.
            text = replace_handles(text, self.name)
        return redact_contacts(text)

    def reply_id(self, value: str | None) -> str | None:
        """A reply or parent id as outputs show it: a stable key when it could name an account."""
        if value is None or not self.enabled or _PLAIN_ID.fullmatch(value):
            return value
        digest = hmac.new(self.salt, b"id:" + value.encode("utf-8"), hashlib.sha256)
        return ID_KEY_PREFIX + digest.hexdigest()[:16]

    def thread_id(self, value: str | None) -> str | None:
        """A `platform:native_id` thread id with its native part keyed as in reply_id."""
        if value is None or ":" not in value:
            return value
        platform, native = value.split(":", 1)
        return f"{platform}:{self.reply_id(native)}"


def pseudonymiser(store: Store, *, show_authors: bool) -> Pseudonymiser:
    """The pseudonymiser for reports and exports from this store."""
    return Pseudonymiser(store_salt(store), enabled=not show_authors)
