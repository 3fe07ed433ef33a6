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

if TYPE_CHECKING:
    import polars as pl

SALT_KEY = "pseudonym_salt"
# E-mail addresses: local@domain.tld. Matching is anchored on each '@' (see
# _redact_emails), never started at every character of a long word: a
# 1 MB reply without an '@' costs one scan, not a quadratic backtrack.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # the definition; not run on replies
# The local part that ends right before an '@': runs of local characters are
# only tried from their first character (look-behind), so the search is linear.
_LOCAL_TAIL = re.compile(r"(?<![\w.+-])[\w.+-]++\Z")
_DOMAIN = re.compile(r"[\w-]++(?:\.[\w-]++)++")
# Phone numbers: 9+ digits with the usual separators; dates and short numbers stay.
# Linear too: the look-behind lets a candidate start only after a non-word
# character, and within one run of digits and separators at most a handful of
# starts can fail (tests/test_report_review.py times adversarial runs).
_PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d[\d \-().]{7,}\d(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][\w.\-]*[\w])")
_ADJECTIVES = (
    "amber blue brisk calm coral crisp dusky early fern gentle golden hazel indigo ivory jade keen "
    "lilac lively mellow misty navy olive pale quiet rosy russet sage silver slate snowy sunny teal "
    "tidal umber velvet warm willow"
).split()
_NOUNS = (
    "badger beech bramble brook cedar comet crane delta dune egret elm falcon finch fjord gannet "
    "glade harbour heron hollow ibis juniper kestrel lark linnet maple meadow merlin otter pebble "
    "plover quarry raven rowan sparrow thistle wren"
).split()


def store_salt(store: Store) -> bytes:
    """The database's pseudonym salt, created once (read-only stores without one get a per-run salt)."""
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


EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"


def _redact_emails(text: str, mark: str = EMAIL_MARK) -> str:
    """`_EMAIL.sub(mark, text)` with the same matches, in linear time.

    For each '@' (left to right, after the previous match): the local part is
    the run of [\\w.+-] characters just before it, the domain the labels just
    after it; a match needs both and at least one dot in the domain.
    """
    at = text.find("@")
    if at == -1:
        return text
    out: list[str] = []
    pos = 0  # end of the previous match
    low = 0  # the local part of the next '@' cannot reach back past this
    while at != -1:
        domain = _DOMAIN.match(text, at + 1)
        local = _LOCAL_TAIL.search(text[low:at]) if domain else None
        if domain and local:
            out.append(text[pos : low + local.start()])
            out.append(mark)
            pos = low = domain.end()
            at = text.find("@", pos)
        else:
            low = at + 1
            at = text.find("@", low)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def redact_contacts(text: str, email_mark: str = EMAIL_MARK, phone_mark: str = PHONE_MARK) -> str:
    """Text with e-mail addresses and phone numbers replaced by markers (linear time).

    The one definition of a contact detail: reports and exports apply it to
    reply text, and topics and word clouds (with a space as the marker) before
    counting words, so that an address does not come back as its parts
    ('jane', 'doe', 'protonmail').
    """
    if not text:
        return text

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return phone_mark if len(digits) >= 9 else match.group(0)

    return _PHONE.sub(phone, _redact_emails(text, email_mark))


def redact_contacts_series(
    texts: pl.Series, email_mark: str = EMAIL_MARK, phone_mark: str = PHONE_MARK
) -> pl.Series:
    """`redact_contacts` over a polars String series; only rows that may hold a contact go through Python."""
    import polars as pl

    maybe = texts.str.contains(r"@|\d[\d \-().]{7,}\d").fill_null(False)
    if not bool(maybe.any()):
        return texts
    idx = maybe.arg_true()
    fixed = pl.Series(
        [redact_contacts(t, email_mark, phone_mark) for t in texts.gather(idx).to_list()],
        dtype=pl.String,
    )
    return texts.clone().scatter(idx, fixed)


def pseudonymiser(store: Store, *, show_authors: bool) -> Pseudonymiser:
    """The pseudonymiser for reports and exports from this store."""
    return Pseudonymiser(store_salt(store), enabled=not show_authors)
