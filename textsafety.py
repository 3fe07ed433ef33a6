"""Text shared by analysis and reports: contact redaction, cell defusing, plural wording.

It sits below both layers (it imports nothing of replyscope's), so that topic
words, word clouds, coding sheets, exports and the report all remove the same
contact details and defuse the same cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# E-mail addresses: local@domain.tld. The local part may hold an apostrophe
# (o'brien@…) but not start with one (a quote before the address stays).
# Matching is anchored on each '@' (see _redact_emails), never started at every
# character of a long word: a 1 MB reply without an '@' costs one scan, not a
# quadratic backtrack.
_EMAIL = re.compile(r"[\w.+-][\w.+'’-]*@[\w-]+(?:\.[\w-]+)+")  # the definition; not run on replies
# The local part that ends right before an '@': runs of local characters are
# only tried from their first character (look-behind), so the search is linear;
# leading apostrophes are quotes, not part of the address.
_LOCAL_TAIL = re.compile(r"(?<![\w.+'’-])['’]*+([\w.+-][\w.+'’-]*+)\Z")
_DOMAIN = re.compile(r"[\w-]++(?:\.[\w-]++)++")

# Phone numbers. A candidate is a run of at least 8 digits joined by at most
# three separators between digits: any horizontal space (also no-break U+00A0,
# thin U+2009, narrow U+202F), any dash (hyphen, en/em dash, minus), dots,
# parentheses, slashes; it may start with '+' and may be glued to letters
# (`call07700900123`, `wa.me/447700900123`) but not to other digits; an opening
# parenthesis before the first digit goes with it. Which
# candidates are phone numbers: see _is_phone. Linear: separators and digits
# are disjoint, so a candidate is consumed once, and a failed one is short.
_SEP = (
    "\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
    + r"\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d.()/"
)
_PHONE = re.compile(rf"(?<![\d+])\+?\(?\d(?:[{_SEP}]{{0,3}}\d){{7,}}")
_GROUPS = re.compile(r"\d+")
E164_MAX_DIGITS = 15

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"


def _redact_emails(text: str, mark: str = EMAIL_MARK) -> str:
    """`_EMAIL.sub(mark, text)` with the same matches, in linear time.

    For each '@' (left to right, after the previous match): the local part is
    the run of [\\w.+'’-] characters just before it (leading apostrophes left
    out), the domain the labels just after it; a match needs both and at least
    one dot in the domain.
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
            out.append(text[pos : low + local.start(1)])
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


def _is_date(groups: list[str]) -> bool:
    """Whether three digit groups read as a date: yyyy-mm-dd, dd.mm.yyyy or mm/dd/yyyy."""
    if len(groups) < 3 or 4 not in (len(groups[0]), len(groups[2])):
        return False
    if len(groups[0]) == 4:
        year, a, b = groups[0], groups[1], groups[2]
    else:
        a, b, year = groups[0], groups[1], groups[2]
    if len(a) > 2 or len(b) > 2 or not 1000 <= int(year) <= 2999:
        return False
    a_n, b_n = int(a), int(b)
    return 1 <= a_n <= 31 and 1 <= b_n <= 31 and min(a_n, b_n) <= 12


def _is_phone(candidate: str) -> bool:
    """Whether a candidate run of digits (see _PHONE) is a phone number.

    - a group of more than 15 digits: an id, not a phone (E.164 numbers have
      at most 15 digits; post ids in links have 17–19);
    - years only (`2019–2024`, `1999 2000 2001`), a leading date
      (`31.01.2024`, `2025-03-01 10 30`) or a number grouped in thousands
      that ends in 000 (`100 000 000`, `2 500 000 000`): not a phone;
    - otherwise 9 or more digits: a phone number;
    - exactly 8 digits (Norway, Denmark, Singapore, Hong Kong): only when
      written as one: after '+', or split by separators other than thousands
      (`12 345 678` stays). A bare `12345678` or `20240131` stays.
    """
    groups = _GROUPS.findall(candidate)
    if max(len(g) for g in groups) > E164_MAX_DIGITS:
        return False
    digits = sum(len(g) for g in groups)
    if all(len(g) == 4 and 1000 <= int(g) <= 2999 for g in groups):
        return False
    if _is_date(groups) and digits - sum(len(g) for g in groups[:3]) < 8:
        return False
    thousands = len(groups) > 1 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if thousands and groups[-1] == "000":
        return False
    if digits >= 9 or candidate.startswith("+"):
        return True
    return len(groups) > 1 and not thousands


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
        return phone_mark if _is_phone(match.group(0)) else match.group(0)

    return _PHONE.sub(phone, _redact_emails(text, email_mark))


# Rows that may hold a contact detail (a superset: an '@', or 8 digits with at
# most 3 other characters between them); only those go through Python.
_MAYBE_CONTACT = r"@|(?:\d\D{0,3}){7}\d"


def redact_contacts_series(
    texts: pl.Series, email_mark: str = EMAIL_MARK, phone_mark: str = PHONE_MARK
) -> pl.Series:
    """`redact_contacts` over a polars String series (only rows that may hold one use Python)."""
    import polars as pl

    maybe = texts.str.contains(_MAYBE_CONTACT).fill_null(False)
    if not bool(maybe.any()):
        return texts
    idx = maybe.arg_true()
    fixed = pl.Series(
        [redact_contacts(t, email_mark, phone_mark) for t in texts.gather(idx).to_list()],
        dtype=pl.String,
    )
    return texts.clone().scatter(idx, fixed)


# --- account handles: found here, replaced by whatever name the caller gives ---

# @handles in any script (`@Émilie_Dupont`, `@x`, `@jane.bsky.social`), with an
# optional fediverse instance (`@jane@mastodon.social`); not inside an e-mail
# address or a word. A trailing dot or dash belongs to the sentence.
_HANDLE = re.compile(r"(?<![\w@.+'’-])@(\w(?:[\w.\-]*\w)?(?:@\w[\w\-]*(?:\.\w[\w\-]*)+)?)")
# Reddit's u/name (and /u/name, /user/name in links).
_REDDIT_USER = re.compile(r"(?<![\w/])(/?u(?:ser)?/)([\w-]{2,})")
# Bluesky/atproto account ids: did:plc:… and did:web:….
_DID = re.compile(r"\bdid:(?:plc:[a-z2-7]{8,}|web:[\w.\-%]+\w)")
# Profile links that name the account in the path (youtube.com/channel/UC…,
# x.com/jane/status/…, bsky.app/profile/jane.bsky.social, reddit.com/user/jane,
# instance.social/users/jane/statuses/…, any site's …/profile/jane); site paths
# that are not accounts stay.
# Anchored on the site's name (no sub-domain prefix is scanned), so the search
# stays linear on long runs like "a.a.a.a…".
_SITES = r"x|twitter|instagram|facebook|threads|tiktok|youtube|linkedin"
_NOT_ACCOUNTS = (
    r"i|home|search|hashtag|explore|p|r|reel|reels|watch|shorts|embed|intent|share|groups|"
    r"events|pages|posts|feed|status|video|login|about|help|settings|results|playlist|live|tv|"
    r"story\.php|permalink\.php|photo\.php|profile\.php"
)
_PROFILE_PATH = re.compile(
    rf"(?i)((?<![\w-])(?:(?:{_SITES})\.(?:com|net)/(?:channel/|c/|user/|in/|profile/)?"
    r"|bsky\.app/profile/|reddit\.com/u(?:ser)?/)|(?<=\w)/(?:users|profile)/)"
    rf"(?!(?:{_NOT_ACCOUNTS})\b)"
    r"(did:[\w.:%\-]*\w|@?[\w.\-]*\w)"
)


def replace_handles(text: str, name: Callable[[str], str]) -> str:
    """Text with each account handle (@…, u/…, did:…, profile links) replaced by `name(handle)`.

    `name` gets the handle without its '@' or 'u/' and returns what to write
    instead (the report's pseudonym).
    """
    if not text:
        return text
    # Links first: a profile link may hold a DID or an @handle of its own.
    out = _PROFILE_PATH.sub(lambda m: m.group(1) + name(m.group(2).lstrip("@")), text)
    out = _DID.sub(lambda m: name(m.group(0)), out)
    out = _REDDIT_USER.sub(lambda m: m.group(1) + name(m.group(2)), out)
    return _HANDLE.sub(lambda m: "@" + name(m.group(1)), out)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(value: str) -> str:
    """Prefix a ' to text that Excel/LibreOffice would read as a formula (or DDE)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def plural(n: float, one: str, many: str | None = None) -> str:
    """'1 reply', '2 replies', '1.5 replies' (counts with thousands separators)."""
    word = one if n == 1 else (many or one + "s")
    return f"{count(n)} {word}"


def count(n: float | None) -> str:
    """A count for people: 1,234 — or 1.5 when it is weighted and fractional."""
    if n is None:
        return "–"
    if abs(n - round(n)) < 1e-6:
        return f"{round(n):,}"
    return f"{n:,.1f}"


# Links, with or without a scheme ("https://x.com/jane/status/1", "facebook.com/jane.doe",
# "www.example.org"): profile links name accounts, so outputs that go to other
# people (coding sheets) drop them.
LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*")
LINK_MARK = "[link removed]"


def remove_links(text: str, mark: str = LINK_MARK) -> str:
    """Text with every link replaced by `mark`."""
    return LINK.sub(mark, text) if text else text
