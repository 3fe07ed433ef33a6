"""Text safety (textsafety): contact details redacted in linear time and the same way in every
output (the report's pseudonyms, analysis' word counts), and plural wording."""

from __future__ import annotations

import random
import time

import polars as pl

from analysis import text as analysis_text
from reports.privacy import Pseudonymiser
from tests.store_helpers import ADDRESS
from textsafety import _EMAIL, _redact_emails, plural, redact_contacts, redact_contacts_series

# --- contact redaction in linear time, as the regex it replaces ---------------


def test_long_word_is_redacted_in_linear_time() -> None:
    p = Pseudonymiser(b"salt")
    for text in (
        "data:" + "A" * 1_000_000 + " please listen",
        "x" * 500_000 + "@" + "y" * 500_000,
        "a." * 500_000 + "@b",
        "a@" * 300_000,
    ):
        start = time.perf_counter()
        p.text(text)
        assert time.perf_counter() - start < 2.0  # minutes before the fix


def test_phone_pattern_stays_linear_on_digit_runs() -> None:
    for text in ("1 " * 200_000 + "x", "1" * 400_000 + "x", "(" * 400_000, "+1" * 200_000 + "a"):
        start = time.perf_counter()
        redact_contacts(text)
        assert time.perf_counter() - start < 2.0


def test_email_redaction_matches_the_regex_it_replaces() -> None:
    rng = random.Random(7)
    alphabet = "ab.+-@_ x1é"
    samples = [
        "mail jo@example.org now",
        "a@b@c.com",
        "x@a.b.+c@d.com",
        "jane.doe.whistle@protonmail.com.",
        "@@a.b",
        "a@.b",
        "é@ü.de and bob+tag@mail.example.co.uk",
    ]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20_000)
    ]
    for s in samples:
        assert _redact_emails(s) == _EMAIL.sub("[email removed]", s), s
    p = Pseudonymiser(b"salt", enabled=False)
    assert p.text(samples[0]) == "mail [email removed] now"
    assert p.text("x@a.b.+c@d.com") == "[email removed][email removed]"


def test_redact_contacts_for_word_counts() -> None:
    text = "whistleblow to jane.doe.whistle@protonmail.com or call 07700 900123 about the ward"
    out = redact_contacts(text)
    assert "jane" not in out and "protonmail" not in out and "900123" not in out
    assert out == "whistleblow to [email removed] or call [phone removed] about the ward"
    assert redact_contacts("on 2025-03-01 we had 40 staff") == "on 2025-03-01 we had 40 staff"
    series = pl.Series(["mail jo@example.org", None, "plain words", "ring +44 20 7946 0958 now"])
    assert redact_contacts_series(series).to_list() == [
        "mail [email removed]",
        None,
        "plain words",
        "ring [phone removed] now",
    ]
    assert series[0] == "mail jo@example.org"  # the input is left alone


def test_redact_contacts_removes_addresses_and_phones_fast() -> None:
    s = pl.Series(
        [
            f"write to {ADDRESS} today",
            "call +44 20 7946 0958 or 07700 900123 now",
            "on 2025-03-01 at 10",
            "x" * 1_000_000 + " listen",
            None,
        ]
    )
    started = time.perf_counter()
    out = analysis_text.redact_contacts(s).to_list()
    assert time.perf_counter() - started < 2
    assert out[0].split() == ["write", "to", "today"]
    assert out[1].split() == ["call", "or", "now"]
    assert out[2] == "on 2025-03-01 at 10"  # a date is not a phone number
    assert out[3].endswith(" listen") and out[4] is None


# --- plural wording -----------------------------------------------------------


def test_plural() -> None:
    assert plural(1, "theme") == "1 theme" and plural(2, "theme") == "2 themes"
    assert (
        plural(1, "reply", "replies") == "1 reply" and plural(0, "reply", "replies") == "0 replies"
    )
