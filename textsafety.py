"""Text shared by analysis and reports: contact redaction, cell defusing, plural wording.

It sits below both layers (it imports nothing of replyscope's), so that topic
words, word clouds, coding sheets, exports and the report all remove the same
contact details and defuse the same cells.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

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
    """`redact_contacts` over a polars String series (only rows that may hold one use Python)."""
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
