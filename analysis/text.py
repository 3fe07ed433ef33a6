"""Text cleaning shared by tagging, word clouds and topics (vectorised with polars).

`match_form` turns reply text into the form keyword matching works on:
lower case, accents removed, URLs removed, hashtags split into words
(#PublicServices -> "public services"), every run of punctuation or space
made one space, and one space added at each end. A term then matches on
word boundaries by plain substring search: " trust " is the word trust,
" listen" is listen*, " front line " is the phrase across any punctuation.
"""

from __future__ import annotations

import itertools
import os
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from textsafety import redact_contacts_series

_URL = r"(?i)\b(?:https?://|www\.)\S+"
_MENTION = r"(?:^|\s)@[\w.\-]+"
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])"
)


def redact_contacts(texts: pl.Series) -> pl.Series:
    """Texts with e-mail addresses and phone numbers replaced by a space, before words are counted.

    The same contact details the report removes (textsafety, linear time):
    they must never come back as topic or cloud words.
    """
    return redact_contacts_series(texts.cast(pl.String), email_mark=" ", phone_mark=" ")


def split_hashtags(text: str) -> str:
    """#PublicServices -> 'Public Services'; #NHSLeadership -> 'NHS Leadership'."""
    return _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)


def _apply_where(s: pl.Series, mask: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Run a Python function on the few rows that need it (most rows don't)."""
    idx = mask.fill_null(False).arg_true()
    if idx.len() == 0:
        return s
    fixed = pl.Series([fn(v) for v in s.gather(idx).to_list()], dtype=pl.String)
    return s.scatter(idx, fixed)


def fold(s: pl.Series) -> pl.Series:
    """Lower case without accents (é -> e, ß stays ß)."""
    return s.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()


def match_form(texts: pl.Series, *, drop_mentions: bool = True) -> pl.Series:
    """The padded, folded form of each text that keyword terms are searched in."""
    s = texts.cast(pl.String).fill_null("")
    s = _apply_where(s, s.str.contains("#", literal=True), split_hashtags)
    s = s.str.replace_all(_URL, " ")
    if drop_mentions:
        s = s.str.replace_all(_MENTION, " ")
    # Unicode work only where it is needed: most replies are plain ASCII (as
    # many bytes as characters), and ASCII-only regexes run an order of
    # magnitude faster. Every row takes the ASCII path; the few wide ones are
    # then redone with Unicode folding (cheaper than splitting the column).
    wide = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    # Replacing each punctuation character (not each space) and then only the
    # runs of spaces touches far fewer bytes than one "[^letters]+" pass.
    out = s.str.to_lowercase().str.replace_all(r"(?-u)[\x00-\x1f!-/:-@\[-`{-\x7f]", " ")
    wide_idx = wide.arg_true()
    if wide_idx.len():
        out = out.scatter(
            wide_idx, fold(s.gather(wide_idx)).str.replace_all(r"[^\p{L}\p{N} ]", " ")
        )
    out = out.str.replace_all("  +", " ")
    # Padding makes every word start and end with a space; doubled spaces at
    # the ends are harmless for the padded patterns.
    return (" " + out + " ").alias("match_form")


def slice_bounds(n: int, chunk_rows: int) -> list[tuple[int, int]]:
    """(start, end) of equal slices of n rows: one per core, none under chunk_rows (at least 1)."""
    k = max(1, min(os.cpu_count() or 1, n // chunk_rows))
    return list(itertools.pairwise(n * i // k for i in range(k + 1)))


def match_form_parallel(texts: pl.Series, *, chunk_rows: int = 100_000) -> pl.Series:
    """match_form on slices in threads (polars releases the GIL): the same result, sooner."""
    bounds = slice_bounds(texts.len(), chunk_rows)
    if len(bounds) == 1:
        return match_form(texts)
    with ThreadPoolExecutor(max_workers=len(bounds)) as pool:
        parts = list(pool.map(lambda b: match_form(texts.slice(b[0], b[1] - b[0])), bounds))
    return pl.concat(parts, rechunk=False)


def fold_one(text: str) -> str:
    """fold() for one string, in plain Python (a codebook has a thousand terms: no Series each)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def term_form(term: str) -> str:
    """A codebook term in match form (no padding): 'Co-production' -> 'co production'."""
    return re.sub(r"[^\w]+|_", " ", fold_one(term)).strip()
