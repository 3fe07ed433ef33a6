"""From spreadsheet cells to raw reply columns: header, repairs, column mapping.

Steps: find the header row below any preamble; recover rows that have more
cells than the header because of unquoted commas (only when one way of
re-joining them fits every other column); choose a known format by its
header or fall back to the generic column-name guesser; apply --map.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from collectors.errors import ImportProblem
from collectors.formats import table_formats
from collectors.formats.base import TableFormat, norm_header
from collectors.model import RAW_FIELDS

HEADER_SCAN_ROWS = 40

# Generic column recognition: RawReply field -> header spellings (compared
# after removing case, spaces and punctuation).
GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "comment",
        "message",
        "body",
        "content",
        "fulltext",
        "tweet",
        "commenttext",
        "reply",
        "replytext",
        "commentbody",
        "rawcontent",
        "caption",
        "post",
        "posttext",
    ),
    "reply_id": (
        "id",
        "replyid",
        "commentid",
        "tweetid",
        "idstr",
        "uri",  # Bluesky's at:// post URI (cid is a content hash, only a fallback)
        "cid",
        "postid",
        "statusid",
        "messageid",
    ),
    "like_count": (
        "likes",
        "likecount",
        "favoritecount",
        "favouritecount",
        "favouritescount",
        "favoritescount",
        "likescount",
        "nlikes",
        "diggcount",
        "score",
        "votes",
        "reactions",
        "reactioncount",
        "publicmetricslikecount",
        "upvotes",
    ),
    "author_handle": (
        "author",
        "username",
        "handle",
        "screenname",
        "user",
        "userhandle",
        "authorhandle",
        "ownerusername",
        "authorusername",
        "userscreenname",
        "authorname_handle",
        "uniqueid",
        "user@",
    ),
    "author_name": (
        "name",
        "authorname",
        "displayname",
        "nickname",
        "fullname",
        "username_display",
        "profilename",
        "authordisplayname",
        "userdisplayname",
    ),
    "author_id": ("authorid", "userid", "profileid", "useridstr", "authorchannelid", "ownerid"),
    "created_at": (
        "createdat",
        "date",
        "timestamp",
        "time",
        "created",
        "publishedat",
        "createdutc",
        "postedat",
        "datetime",
        "createtime",
        "createtimeiso",
        "dateposted",
        "postdate",
    ),
    "parent_id": (
        "parentid",
        "inreplyto",
        "inreplytoid",
        "inreplytostatusid",
        "replytoid",
        "replytocommentid",
        "inreplytotweetid",
        "inreplytostatusidstr",
        "parent",
        "referencedtweetsrepliedtoid",
        "repliestoid",
    ),
    "thread_native_id": (
        "threadid",
        "conversationid",
        "linkid",
        "videoid",
        "rootid",
        "submissionid",
    ),
    "thread_url": ("posturl", "threadurl", "videourl", "videoweburl", "facebookurl", "sourceurl"),
    "reply_count": (
        "replies",
        "replycount",
        "repliescount",
        "nreplies",
        "numberofreplies",
        "publicmetricsreplycount",
        "commentscount",
    ),
    "repost_count": (
        "retweets",
        "retweetcount",
        "reposts",
        "repostcount",
        "shares",
        "sharecount",
        "nretweets",
        "publicmetricsretweetcount",
    ),
    "quote_count": ("quotes", "quotecount", "publicmetricsquotecount"),
    "lang": ("lang", "language"),
    "url": ("url", "link", "permalink", "commenturl", "tweeturl"),
    "depth": ("depth", "level"),
}

# Names people may use with --map, beside the RawReply field names.
MAP_ALIASES = {
    "id": "reply_id",
    "likes": "like_count",
    "author": "author_handle",
    "handle": "author_handle",
    "name": "author_name",
    "date": "created_at",
    "time": "created_at",
    "thread": "thread_native_id",
    "thread_id": "thread_native_id",
    "parent": "parent_id",
    "replies": "reply_count",
    "reposts": "repost_count",
    "quotes": "quote_count",
}


def squash(name: str) -> str:
    """Header spelling key: lower case, letters and digits (and @) only."""
    return re.sub(r"[^a-z0-9@]", "", norm_header(name))


def map_field(name: str) -> str:
    """Resolve a --map field name (or alias) to a RawReply field, or raise."""
    key = name.strip().lower()
    key = MAP_ALIASES.get(key, key)
    if key not in RAW_FIELDS or key in ("platform", "is_root"):
        fields = sorted(
            {*MAP_ALIASES, *(f for f in RAW_FIELDS if f not in ("platform", "is_root"))}
        )
        raise ImportProblem(
            f"--map {name}=...: unknown field {name!r}; use one of {', '.join(fields)}."
        )
    return key


# Advice for rows split by unquoted commas, unless the format has its own (wide_rows_fix).
WIDE_ROWS_FIX = "re-export with quoted fields (or as XLSX)"


@dataclass
class TablePlan:
    """What we decided about a table: its format and where each field comes from."""

    fmt: TableFormat | None  # None = generic
    columns: dict[str, int]  # RawReply field -> column index
    header: list[str]

    @property
    def name(self) -> str:
        return self.fmt.name if self.fmt else "generic"

    @property
    def wide_rows_fix(self) -> str:
        """What to tell the person about rows with too many cells that stay ambiguous."""
        return (self.fmt.wide_rows_fix if self.fmt else None) or WIDE_ROWS_FIX


def find_header(
    cells: list[list[str | None]], forced: TableFormat | None
) -> tuple[int, TableFormat | None]:
    """Index of the header row and the best known format for it (None = generic)."""
    formats = [forced] if forced else table_formats()
    best: tuple[int, int, TableFormat | None] = (0, -1, None)
    for i, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        headers = [norm_header(c) for c in row]
        for fmt in formats:
            score = fmt.score(headers)
            if score > best[0]:
                best = (score, i, fmt)
    if best[2] is not None:
        return best[1], best[2]
    if forced:
        raise ImportProblem(
            f"the header does not fit format {forced.name!r} (it needs columns "
            f"{', '.join(sorted(forced.required))}); drop --format to let replyscope detect it."
        )
    for i, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        filled = [c for c in row if c not in (None, "")]
        if len(filled) >= 2 and any(_generic_field(squash(c)) == "text" for c in filled if c):
            return i, None
    for i, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        if sum(1 for c in row if c not in (None, "")) >= 2:
            return i, None
    return 0, None


def _generic_field(key: str) -> str | None:
    for name, spellings in GENERIC_COLUMNS.items():
        if key in spellings:
            return name
    return None


def check_duplicate_headers(header: Sequence[str], where: str) -> None:
    """Two columns with one (non-blank) name make any mapping ambiguous: refuse clearly."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = norm_header(name)
        if not key:
            continue
        if key in seen:
            raise ImportProblem(
                f"{where}: the header has two columns named {name.strip()!r} "
                f"(columns {seen[key]} and {i}); "
                "rename one of them so replyscope knows which is which."
            )
        seen[key] = i


def plan_columns(
    header: list[str], fmt: TableFormat | None, overrides: dict[str, str], where: str
) -> TablePlan:
    """Map fields to column indexes: format mapping or generic guess, then --map."""
    index = {norm_header(h): i for i, h in enumerate(header) if norm_header(h)}
    columns: dict[str, int] = {}
    if fmt is not None:
        for fld, col in fmt.columns.items():
            if col in index:
                columns[fld] = index[col]
    else:
        squashed = {squash(h): i for i, h in enumerate(header) if squash(h)}
        for fld, spellings in GENERIC_COLUMNS.items():
            for spelling in spellings:
                if spelling in squashed and squashed[spelling] not in columns.values():
                    columns[fld] = squashed[spelling]
                    break
    for fld, col in overrides.items():
        key = norm_header(col)
        if key not in index:
            shown = ", ".join(repr(h.strip()) for h in header if h and h.strip())
            raise ImportProblem(
                f"{where}: --map {fld}={col}: there is no column {col!r}. The columns are: {shown}."
            )
        columns[map_field(fld)] = index[key]
    if "text" not in columns:
        shown = ", ".join(repr(h.strip()) for h in header if h and h.strip()) or "(none)"
        guess = next((h.strip() for h in header if h and h.strip()), "COLUMN")
        raise ImportProblem(
            f"{where}: no column with the reply text was found. The columns are: {shown}. "
            f"Say which one holds the text, e.g. --map text={guess!r}."
        )
    return TablePlan(fmt=fmt, columns=columns, header=header)


# --- rows with too many cells ------------------------------------------------

_FEATURES = {
    "count": re.compile(r"^\s*\d+(?:[.,]\d+)?\s*[KkMm]?\s*$"),
    "url": re.compile(r"^https?://\S+$"),
    "date": re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?\S*)?$"),
    "flag": re.compile(r"^(?:yes|no|true|false|---|-|0|1)$", re.I),
    "token": re.compile(r"^\S+$"),
    "empty": re.compile(r"^$"),
}


def _signature(values: list[str]) -> tuple[set[str], set[str]]:
    """Features true of (almost) every value, and features of (almost) none."""
    always: set[str] = set()
    never: set[str] = set()
    if len(values) < 5:
        return always, never
    for name, pattern in _FEATURES.items():
        hits = sum(1 for v in values if pattern.match(v))
        if hits >= 0.98 * len(values):
            always.add(name)
        elif hits <= 0.02 * len(values):
            never.add(name)
    return always, never


def _fits(value: str, sig: tuple[set[str], set[str]]) -> bool:
    always, never = sig
    if any(not _FEATURES[f].match(value) for f in always):
        return False
    return not any(_FEATURES[f].match(value) for f in never)


def drop_empty_tails(rows: list[list[str | None]], width: int) -> int:
    """Cut the cells beyond `width` off rows where they are all empty (a trailing delimiter).

    Returns how many rows were cut. Rows whose extra cells hold anything are left alone.
    """
    cut = 0
    for i, row in enumerate(rows):
        if len(row) > width and all(c is None or not c.strip() for c in row[width:]):
            rows[i] = row[:width]
            cut += 1
    return cut


def repair_wide_rows(
    header: list[str], rows: list[list[str | None]], delimiter: str, text_col: int
) -> tuple[list[list[str | None]], list[int]]:
    """Re-join rows split by unquoted delimiters when exactly one split fits every column.

    Returns the rows (repaired where possible) and the indexes still too wide.
    When no row has the header's width there is nothing to tell a good split
    from a bad one: every wide row is returned as still too wide.
    """
    width = len(header)
    good = [r for r in rows if len(r) == width]
    if not good:
        return rows, [i for i, r in enumerate(rows) if len(r) > width]
    sigs = [_signature([str(r[c] or "") for r in good]) for c in range(width)]
    free = [
        c
        for c in range(width)
        if c == text_col
        or (
            sum(1 for r in good if " " in str(r[c] or "")) > 0.05 * max(len(good), 1)
            and not sigs[c][0]
        )
    ]
    still_bad: list[int] = []
    for i, row in enumerate(rows):
        extra = len(row) - width
        if extra <= 0:
            continue
        if extra > 8:
            still_bad.append(i)
            continue
        fits = []
        # Try every way of giving the extra cells to free-text columns (a
        # column may take several); ids, dates, counts and URLs never hold a comma.
        for combo in itertools.combinations_with_replacement(free, extra):
            take = [1 + combo.count(c) for c in range(width)]
            cells: list[str] = []
            pos = 0
            for c in range(width):
                cells.append(delimiter.join(str(x or "") for x in row[pos : pos + take[c]]))
                pos += take[c]
            # The text column may hold anything; every other column must look
            # like its well-formed rows do.
            if all(c == text_col or _fits(cells[c], sigs[c]) for c in range(width)):
                fits.append(cells)
                if len(fits) > 1:
                    break
        if len(fits) == 1:
            rows[i] = list(fits[0])
        else:
            still_bad.append(i)
    return rows, still_bad
