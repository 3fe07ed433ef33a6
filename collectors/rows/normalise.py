"""Normalisation of raw reply rows into typed store rows, in DuckDB SQL.

Every importer and collector puts its raw rows (RawReply fields as text, see
collectors.model) in a DuckDB table and calls `normalise_into`; one set of
rules (counts like "1.2K", many date shapes to UTC, text repair, exact ids,
thread and depth from parents) runs as set-based SQL, so a million rows take
seconds and every source is treated the same way. Python only touches the
few rows that need it (HTML entities, mojibake, thread URLs).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ftfy
import polars as pl

from collectors.model import COUNT_FIELDS, SIGNED_LIKES
from collectors.rows.dates import date_sql, epoch_macro, source_zone
from collectors.urls import parse_post_url
from store import fetch_one

MAX_TEXT_BYTES = 1_000_000  # no platform allows a reply anywhere near 1 MB

# Tables normalise_into leaves behind (temporary, per connection).
REPLIES_T, ROOTS_T, REJECTS_T = "_n_replies", "_n_roots", "_n_rejects"

_ENTITY = r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
# UTF-8 read as latin-1/cp1252: "Ã©", "â€™", "Ã¥", "ðŸ".
_MOJIBAKE = r"[ÃÂ][\x{80}-\x{BF}¡-¿]|â€|ðŸ"
_RELATIVE = (
    r"(?i)(\bago\b|\bjust now\b|^yesterday$|\bvor\b|\bil y a\b|\bhace\b|پہلے|前$|\bgeleden\b)"
)

# Scientific notation as Excel writes long ids (1.54224E+18, or 1,54224E+18 with a
# decimal comma) or Python prints floats (1.765e+18). Reddit's base-36 ids can
# look like "12e45", so a mantissa without a separator needs the "+".
_SCI = r"\d+[.,]\d+[eE][+-]?\d+|\d+[eE]\+\d+"

_MACROS = [
    r"""CREATE OR REPLACE TEMP MACRO rs_blank(x) AS nullif(trim(x), '')""",
    # A count cell: "1.2K" -> 1200, "2,5K" -> 2500, "1,234" / "1.234" / "1 234" -> 1234,
    # "12.0" -> 12; NULL if not a count (negative, words). Plain integers (nearly
    # all cells) skip the regular expressions; the rest compute their key once
    # (bound by a lambda: a macro argument used twice is computed twice).
    r"""CREATE OR REPLACE TEMP MACRO rs_count_key(x) AS
        ltrim(lower(regexp_replace(trim(x), '[\s_''\x{a0}\x{202f}\x{2009}]', '', 'g')), '+')""",
    r"""CREATE OR REPLACE TEMP MACRO rs_count_scaled(n, s) AS
        CAST(round(TRY_CAST(n AS DOUBLE)
            * CASE s WHEN 'k' THEN 1e3 WHEN 'm' THEN 1e6 WHEN 'b' THEN 1e9 ELSE 1 END)
             AS BIGINT)""",
    r"""CREATE OR REPLACE TEMP MACRO rs_count_plain(k) AS
        rs_count_scaled(regexp_extract(k, '^(\d+(?:\.\d+)?)([kmb])?$', 1),
                        regexp_extract(k, '^(\d+(?:\.\d+)?)([kmb])?$', 2))""",
    r"""CREATE OR REPLACE TEMP MACRO rs_count_text(k) AS
        CASE WHEN contains(k, ',') THEN
                  -- "2,5k": a decimal comma before a suffix; other commas group thousands
                  CASE WHEN regexp_full_match(k, '\d+,\d{1,2}[kmb]')
                       THEN rs_count_scaled(replace(rtrim(k, 'kmb'), ',', '.'), right(k, 1))
                       ELSE rs_count_plain(replace(k, ',', '')) END
             -- "1.234", "12.345.678": dots grouping thousands (European)
             WHEN starts_with(right(k, 4), '.') AND regexp_full_match(k, '[1-9]\d{0,2}(\.\d{3})+')
                  THEN TRY_CAST(replace(k, '.', '') AS BIGINT)
             ELSE rs_count_plain(k) END""",
    r"""CREATE OR REPLACE TEMP MACRO rs_count(x) AS
        CASE WHEN x IS NULL THEN NULL
             -- (the cast would round "1.234" to 1: dotted cells take the long way)
             WHEN NOT contains(x, '.') AND TRY_CAST(x AS BIGINT) >= 0 THEN TRY_CAST(x AS BIGINT)
             -- the usual display shape: "1.2K", "26.5K", "3M"
             WHEN regexp_full_match(x, '\d+(\.\d+)?[kKmMbB]')
                  THEN rs_count_scaled(left(x, -1), lower(right(x, 1)))
             ELSE list_transform([rs_count_key(x)], lambda k: rs_count_text(k))[1] END""",
    # Exact id text: strip, drop Excel's "store as text" apostrophe and a float's
    # ".0", refuse scientific notation (Excel's 1.54E+18 lost the last digits).
    r"""CREATE OR REPLACE TEMP MACRO rs_id_text(t) AS
        CASE WHEN starts_with(t, '''') THEN trim(substr(t, 2)) ELSE t END""",
    f"""CREATE OR REPLACE TEMP MACRO rs_id_sci(t) AS regexp_full_match(t, '{_SCI}')""",
    r"""CREATE OR REPLACE TEMP MACRO rs_id(x) AS
        CASE WHEN x IS NULL THEN NULL
             WHEN NOT contains(x, '.') AND NOT contains(x, ' ') AND NOT contains(x, '+')
                  AND NOT contains(x, ',') AND NOT contains(x, '''') THEN nullif(x, '')
             WHEN rs_id_text(trim(x)) = '' OR rs_id_sci(rs_id_text(trim(x))) THEN NULL
             ELSE regexp_replace(rs_id_text(trim(x)), '^(\d+)\.0+$', '\1') END""",
    r"""CREATE OR REPLACE TEMP MACRO rs_is_sci(x) AS
        CASE WHEN contains(x, '+') OR contains(x, '.') OR contains(x, ',')
             THEN rs_id_sci(rs_id_text(trim(x))) ELSE false END""",
]


@dataclass
class BatchOptions:
    """Per-import choices that change how raw values are read."""

    platform: str = "other"
    thread: str | None = None  # native id or URL used when a row names no thread
    dayfirst: bool | None = None  # None: decide from the data
    blank_counts_zero: bool = False  # spreadsheets write 0 likes as a blank cell
    # Live collectors know the post they asked for is the thread's post, even
    # when no reply to it came in the same batch; files only say so by replies.
    keep_roots: bool = False
    # Spreadsheet rows carry no locator of their own: a rejected row's is this
    # prefix and its row number ("row 7"), built only for the rejects.
    locator_prefix: str | None = None
    # The zone the source wrote dates in (IANA name, e.g. Europe/Berlin): dates
    # without an offset of their own are local time there. None: UTC.
    timezone: str | None = None

    def __post_init__(self) -> None:
        source_zone(self.timezone)  # an unknown zone fails here, not mid-import


@dataclass
class NormaliseNotes:
    """What the normaliser noticed about a batch's values, for the run summary."""

    ambiguous_dates: bool = False  # a/b/c dates with no sign of the order; read month-first
    relative_times: int = 0  # "5 years ago": left empty, not guessed
    unparsed_dates: int = 0
    unparsed_date_example: Any = None
    scientific_ids: int = 0  # ids in scientific notation (rounded): stable ids derived instead
    unparsed_counts: dict[str, int] = field(default_factory=dict)  # count field -> cells
    derived_ids: int = 0  # rows without an id: stable ids derived
    duplicates_in_input: int = 0  # rows merged into a later row with the same id
    thread_posts: int = 0  # rows that were the thread's own post

    def summary(self) -> dict[str, Any]:
        """The notes as runs.summary stores them (and the import summary reads them)."""
        out: dict[str, Any] = {}
        if self.ambiguous_dates:
            out["ambiguous_dates"] = (
                "dates like 03/04/25 were read month-first; use --dayfirst if they are day-first"
            )
        if self.relative_times:
            out["relative_times"] = self.relative_times
        if self.unparsed_dates:
            out["unparsed_dates"] = self.unparsed_dates
            out["unparsed_date_example"] = self.unparsed_date_example
        if self.scientific_ids:
            out["scientific_ids"] = (
                f"{self.scientific_ids} ids were in scientific notation (rounded by Excel or "
                "stored as JSON numbers); they were not used, and stable ids were derived instead"
            )
        for name, n in self.unparsed_counts.items():
            out[f"unparsed_{name}"] = n
        if self.derived_ids:
            out["derived_ids"] = self.derived_ids
        if self.duplicates_in_input:
            out["duplicates_in_input"] = self.duplicates_in_input
        if self.thread_posts:
            out["thread_posts"] = self.thread_posts
        return out


@dataclass
class Normalised:
    """Row counts of the tables normalise_into produced, and notes for the summary."""

    replies: int
    roots: int
    rejects: int
    notes: NormaliseNotes = field(default_factory=NormaliseNotes)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = fetch_one(con, sql, list(params))
    return row[0] if row else None


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()}


def _fix_text(text: str) -> str:
    fixed = ftfy.fix_encoding(text) if re.search("[ÃÂ][\x80-\xbf¡-¿]|â€|ðŸ", text) else text
    # Unescape twice at most: some tools double-escape (&amp;amp;).
    for _ in range(2):
        if not re.search(_ENTITY, fixed):
            break
        fixed = html.unescape(fixed)
    return fixed.strip()


def normalise_into(
    con: duckdb.DuckDBPyConnection, raw_table: str, opts: BatchOptions
) -> Normalised:
    """Normalise `raw_table` into temp tables _n_replies, _n_roots and _n_rejects."""
    notes = NormaliseNotes()
    zone = source_zone(opts.timezone)
    for statement in [*_MACROS, epoch_macro(zone)]:
        con.execute(statement)
    _read_values(con, raw_table, opts, zone, notes)
    _repair_text(con)
    _collect_notes(con, notes)
    _split_rejects(con, opts.locator_prefix)
    _derive_ids(con, notes)
    _parents_from_rows(con)
    _dedupe(con, notes)
    _inherit_from_parents(con)
    _split_roots(con, notes, keep_all=opts.keep_roots)
    replies = _scalar(con, f"SELECT count(*) FROM {REPLIES_T}")
    roots = _scalar(con, f"SELECT count(*) FROM {ROOTS_T}")
    rejects = _scalar(con, f"SELECT count(*) FROM {REJECTS_T}")
    con.execute("DROP TABLE IF EXISTS _n0")
    return Normalised(replies=int(replies), roots=int(roots), rejects=int(rejects), notes=notes)


def _read_values(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    opts: BatchOptions,
    zone: str | None,
    notes: NormaliseNotes,
) -> None:
    """The temp table _n0: every raw row with its values read (ids, counts, dates, text)."""
    have = _columns(con, raw_table)
    default_platform = opts.platform
    if default_platform == "other" and opts.thread:
        # `--thread https://x.com/...` tells the platform of a generic file.
        default_platform = (parse_post_url(opts.thread) or (default_platform, ""))[0]
    count_inner, counts = _count_sql(con, raw_table, have, opts, default_platform)
    dates = "NULL"
    if "created_at" in have:
        dates, notes.ambiguous_dates = date_sql(con, raw_table, opts.dayfirst, zone)
    fallback = _register_thread_urls(con, raw_table, have, opts)
    # A row key: rowid for tables; views (spreadsheet rows) have unique row numbers.
    is_view = fetch_one(
        con,
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_name = ? AND table_type = 'VIEW'",
        [raw_table],
    )
    row_key = '"_record_no"' if is_view and is_view[0] else "rowid"

    def col(name: str) -> str:
        return f'r."{name}"' if name in have else "CAST(NULL AS VARCHAR)"

    join = (
        "LEFT JOIN _thread_urls m ON m.u = rs_blank(r.thread_url)" if "thread_url" in have else ""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _n0 AS
        SELECT {_value_columns(col, have, counts, dates)}
        FROM ({_cleaned_rows(col, raw_table, count_inner, row_key)}) r
        {join}""",
        [fallback, fallback, default_platform],
    )
    con.execute("DROP TABLE IF EXISTS _thread_urls")


def _value_columns(col: Callable[[str], str], have: set[str], counts: str, dates: str) -> str:
    """The SELECT list of _n0 over the cleaned rows `r`: each field read into its type."""
    native = "m.native" if "thread_url" in have else "CAST(NULL AS VARCHAR)"
    record_no = col("_record_no") if "_record_no" in have else "r._i + 1"
    parent_row = (
        "CAST(r._parent_row AS BIGINT)" if "_parent_row" in have else "CAST(NULL AS BIGINT)"
    )
    is_root = (
        "coalesce(lower(trim(r.is_root)) IN ('true', '1', 'yes'), false)"
        if "is_root" in have
        else "false"
    )
    thread = f"""coalesce(rs_id({col("thread_native_id")}), {native}, ?)"""
    return f"""
            r._i,
            {record_no} AS _record_no,
            {col("_locator")} AS _locator,
            {parent_row} AS _parent_row,
            r._platform AS platform,
            r._text AS text,
            rs_id({col("reply_id")}) AS reply_id,
            CASE WHEN {thread} IS NOT NULL
                 THEN r._platform || ':' || {thread} END AS thread_id,
            rs_blank({col("thread_url")}) AS thread_url,
            rs_id({col("parent_id")}) AS parent_id,
            ltrim(rs_blank({col("parent_author")}), '@') AS parent_author,
            CAST(TRY_CAST(rs_blank({col("depth")}) AS DOUBLE) AS INTEGER) AS depth,
            rs_id({col("author_id")}) AS author_id,
            ltrim(rs_blank({col("author_handle")}), '@') AS author_handle,
            rs_blank({col("author_name")}) AS author_name,
            {counts},
            lower(rs_blank({col("lang")})) AS lang,
            rs_blank({col("url")}) AS url,
            {is_root} AS is_root,
            CASE WHEN r._c IS NULL THEN NULL
                 WHEN r._numeric THEN rs_epoch(CAST(r._c AS DOUBLE))
                 WHEN r._relative THEN NULL
                 ELSE {dates} END AS created_at,
            r._c AS _created_raw,
            r._relative,
            rs_is_sci({col("reply_id")}) AS _sci_id,
            CASE WHEN contains(r._text, '&') AND regexp_matches(r._text, '{_ENTITY}') THEN true
                 -- Mojibake is non-ASCII: bytes and characters differ in number.
                 WHEN strlen(r._text) = length(r._text) THEN false
                 WHEN contains(r._text, 'Ã') OR contains(r._text, 'Â') OR contains(r._text, 'â€')
                      OR contains(r._text, 'ðŸ') THEN regexp_matches(r._text, '{_MOJIBAKE}')
                 ELSE false END AS _fix
        """


def _cleaned_rows(col: Callable[[str], str], raw_table: str, count_inner: str, row_key: str) -> str:
    """The raw rows with a row key, platform, cleaned text, count cells and date cell (`_c`)."""
    text = col("text")
    return f"""
            SELECT *,
                   -- Cheap tests first: nearly no cell needs the costly rewrite.
                   CASE WHEN starts_with(_t1, ' ') OR ends_with(_t1, ' ')
                             OR starts_with(_t1, chr(10)) OR ends_with(_t1, chr(10))
                             OR starts_with(_t1, chr(9)) OR ends_with(_t1, chr(9))
                        THEN regexp_replace(_t1, '^\\s+|\\s+$', '', 'g') ELSE _t1 END AS _text
            FROM (
            SELECT *,
                   lower(trim(coalesce({col("platform")}, ?))) AS _platform,
                   CASE WHEN contains({text}, chr(13)) OR contains({text}, chr(65279))
                             OR contains({text}, chr(0))
                        THEN regexp_replace(
                                 replace(replace({text}, chr(13) || chr(10), chr(10)),
                                         chr(13), chr(10)),
                                 '[\\x{{feff}}\\x{{0}}]', '', 'g')
                        ELSE {text} END AS _t1,
                   {count_inner}
                   -- Cheap guards first, in CASE: DuckDB evaluates both sides of AND in a
                   -- SELECT list, but only the matching rows of a CASE branch. _cb is the
                   -- trimmed date cell, computed once.
                   CASE WHEN ends_with(r._cb, 'UTC') OR ends_with(r._cb, 'GMT')
                        THEN regexp_replace(r._cb, '\\s*(UTC|GMT)$', '+00:00')
                        ELSE r._cb END AS _c,
                   CASE WHEN contains({col("created_at")}, ':') THEN false
                        ELSE regexp_full_match(r._cb, '-?\\d+(\\.\\d+)?') END AS _numeric,
                   CASE WHEN regexp_full_match(
                                 {col("created_at")},
                                 '\\s*\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}[\\dT:.\\s+Z-]*')
                        THEN false
                        ELSE coalesce(regexp_matches(r._cb, '{_RELATIVE}'), false) END AS _relative
            FROM (SELECT *, {row_key} AS _i, rs_blank({col("created_at")}) AS _cb
                  FROM "{raw_table}" r) r
            ) r
        """


def _count_sql(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    have: set[str],
    opts: BatchOptions,
    platform: str,
) -> tuple[str, str]:
    """SELECT items for the count columns.

    Returns the inner items (over r) and the outer items, each count with a
    flag for a cell that could not be read.
    """
    present = [c for c in COUNT_FIELDS if c in have]
    given: set[str] = set()
    if opts.blank_counts_zero and present:
        # A blank likes cell in a spreadsheet means 0 — but only in a column the
        # source actually has; a count it never gives stays unknown (NULL).
        row = fetch_one(
            con, "SELECT " + ", ".join(f'count("{c}")' for c in present) + f' FROM "{raw_table}"'
        )
        given = {c for c, n in zip(present, row or (), strict=False) if n}
    inner, outer = [], []
    for c in COUNT_FIELDS:
        if c not in present:
            outer.append(f"CAST(NULL AS BIGINT) AS {c}, false AS _bad_{c}")
            continue
        blank = "0" if c in given else "NULL"
        value = f'rs_count(rs_blank(r."{c}"))'
        if c == "like_count" and platform in SIGNED_LIKES:
            # A Reddit "like count" is the net score (up minus down votes): -4 is a value.
            value = (
                f"CASE WHEN starts_with(trim(r.\"{c}\"), '-') "
                f'THEN TRY_CAST(trim(r."{c}") AS BIGINT) ELSE {value} END'
            )
        # The cell and its value once each (macros are not shared between uses).
        inner.append(f'rs_blank(r."{c}") AS _cell_{c}, {value} AS _value_{c}')
        outer.append(
            f"CASE WHEN r._cell_{c} IS NULL THEN {blank} ELSE r._value_{c} END AS {c}, "
            f"r._cell_{c} IS NOT NULL AND r._value_{c} IS NULL AS _bad_{c}"
        )
    return "".join(f"{item},\n" for item in inner), ",\n".join(outer)


def _register_thread_urls(
    con: duckdb.DuckDBPyConnection, raw_table: str, have: set[str], opts: BatchOptions
) -> str | None:
    """Map each distinct thread URL to its native id (Python, once per URL); --thread's id."""
    if "thread_url" in have:
        # Only when the rows carry thread URLs (the join is skipped otherwise).
        urls = [
            r[0]
            for r in con.execute(
                f'SELECT DISTINCT rs_blank(thread_url) FROM "{raw_table}"'
                " WHERE rs_blank(thread_url) IS NOT NULL"
            ).fetchall()
        ]
        mapping = pl.DataFrame(
            {"u": urls, "native": [(parse_post_url(u) or (None, u))[1] for u in urls]},
            schema={"u": pl.String, "native": pl.String},
        )
        con.register("_thread_urls_in", mapping.to_arrow())
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _thread_urls AS SELECT * FROM _thread_urls_in"
            )
        finally:
            con.unregister("_thread_urls_in")
    if not opts.thread:
        return None
    parsed = parse_post_url(opts.thread)
    return parsed[1] if parsed else opts.thread.strip()


def _collect_notes(con: duckdb.DuckDBPyConnection, notes: NormaliseNotes) -> None:
    """One pass for everything the summary reports about values."""
    bad = ", ".join(f"count(*) FILTER (_bad_{c})" for c in COUNT_FIELDS)
    unparsed = "created_at IS NULL AND _created_raw IS NOT NULL AND NOT _relative"
    row = fetch_one(
        con,
        f"""SELECT count(*) FILTER (_relative),
                   count(*) FILTER ({unparsed}),
                   any_value(_created_raw) FILTER ({unparsed}),
                   count(*) FILTER (_sci_id), {bad}
            FROM _n0""",
    )
    assert row is not None
    relative, unparsed, example, sci, *bad_counts = row
    notes.relative_times = int(relative)
    if unparsed:
        notes.unparsed_dates = int(unparsed)
        notes.unparsed_date_example = example
    notes.scientific_ids = int(sci)
    notes.unparsed_counts = {
        name: int(n) for name, n in zip(COUNT_FIELDS, bad_counts, strict=True) if n
    }


def _repair_text(con: duckdb.DuckDBPyConnection) -> None:
    """HTML entities and mojibake: fixed in Python, only for the rows that have them."""
    rows = con.execute("SELECT _i, text FROM _n0 WHERE _fix").fetchall()
    if not rows:
        return
    fixes = pl.DataFrame(
        {"rid": [r[0] for r in rows], "fixed": [_fix_text(r[1]) for r in rows]},
        schema={"rid": pl.Int64, "fixed": pl.String},
    )
    con.register("_text_fixes", fixes.to_arrow())
    try:
        con.execute("UPDATE _n0 SET text = f.fixed FROM _text_fixes f WHERE _n0._i = f.rid")
    finally:
        con.unregister("_text_fixes")


_TOO_BIG = (
    "text is {:.1f} MB, larger than a reply can be (1 MB): not a reply export, or a broken cell"
)


def _split_rejects(con: duckdb.DuckDBPyConnection, locator_prefix: str | None) -> None:
    unusable = f"text IS NULL OR text = '' OR octet_length(encode(text)) > {MAX_TEXT_BYTES}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {REJECTS_T} AS
        SELECT _record_no AS record_no, coalesce(_locator, ? || _record_no) AS locator,
            CASE WHEN text IS NULL OR text = '' THEN 'no text: the reply text cell is empty'
                 ELSE format('{_TOO_BIG}', octet_length(encode(text)) / 1e6) END AS reason
        FROM _n0 WHERE {unusable}""",
        [locator_prefix],
    )
    con.execute(f"DELETE FROM _n0 WHERE {unusable}")


def _derive_ids(con: duckdb.DuckDBPyConnection, notes: NormaliseNotes) -> None:
    """Stable ids for rows the source gave none: thread, author, text and occurrence."""
    missing = _scalar(con, "SELECT count(*) FROM _n0 WHERE reply_id IS NULL")
    if not missing:
        return
    notes.derived_ids = int(missing)
    con.execute(
        """UPDATE _n0 SET reply_id = d.rid FROM (
               SELECT _i AS r,
                      'h' || left(sha256(k || chr(31) || CAST(
                          row_number() OVER (PARTITION BY k ORDER BY _i) - 1 AS VARCHAR)),
                          16) AS rid
               FROM (SELECT _i,
                            concat_ws(chr(31), platform, coalesce(thread_id, ''),
                                      coalesce(author_id, author_handle, author_name, ''),
                                      text) AS k
                     FROM _n0 WHERE reply_id IS NULL)
           ) d WHERE _n0._i = d.r"""
    )


def _parents_from_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Formats that only say "the row above is my parent" (TikTokCommentScraper)."""
    if not _scalar(con, "SELECT count(*) FROM _n0 WHERE _parent_row IS NOT NULL"):
        return
    con.execute(
        """UPDATE _n0 SET parent_id = p.reply_id FROM _n0 p
           WHERE _n0._parent_row = p._record_no AND _n0.parent_id IS NULL"""
    )


def _dedupe(con: duckdb.DuckDBPyConnection, notes: NormaliseNotes) -> None:
    dups = _scalar(con, "SELECT count(*) - count(DISTINCT (platform, reply_id)) FROM _n0")
    if not dups:
        return
    notes.duplicates_in_input = int(dups)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _n1 AS SELECT * FROM _n0
           QUALIFY row_number() OVER (PARTITION BY platform, reply_id ORDER BY _i DESC) = 1
           ORDER BY _i"""
    )
    con.execute("DROP TABLE _n0")
    con.execute("ALTER TABLE _n1 RENAME TO _n0")


def _inherit_from_parents(con: duckdb.DuckDBPyConnection, rounds: int = 100) -> None:
    """Depth 1 for replies to the thread's post; then thread and depth from parents in the batch."""
    con.execute(
        """UPDATE _n0 SET depth = 1
           WHERE depth IS NULL AND parent_id IS NOT NULL
             AND thread_id = platform || ':' || parent_id"""
    )
    # Work on two small tables (rows still missing something, and their
    # parents) rather than re-joining the whole batch once per level.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _pn AS
           SELECT _i, platform, reply_id, parent_id, thread_id, depth FROM _n0
           WHERE parent_id IS NOT NULL AND (thread_id IS NULL OR depth IS NULL)"""
    )
    if not _scalar(con, "SELECT count(*) FROM _pn"):
        con.execute("DROP TABLE _pn")
        return
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _pp AS
           SELECT n.platform, n.reply_id,
                  any_value(n.thread_id) AS thread_id, any_value(n.depth) AS depth
           FROM _n0 n SEMI JOIN _pn c ON c.platform = n.platform AND c.parent_id = n.reply_id
           GROUP BY ALL"""
    )
    for _ in range(rounds):
        row = fetch_one(
            con,
            """UPDATE _pn SET thread_id = coalesce(_pn.thread_id, p.thread_id),
                              depth = coalesce(_pn.depth, p.depth + 1)
               FROM _pp p
               WHERE p.platform = _pn.platform AND p.reply_id = _pn.parent_id
                 AND ((_pn.thread_id IS NULL AND p.thread_id IS NOT NULL)
                      OR (_pn.depth IS NULL AND p.depth IS NOT NULL))""",
        )
        if not row or not row[0]:
            break
        # Rows resolved this round may be parents of rows still waiting.
        con.execute(
            """UPDATE _pp SET thread_id = coalesce(_pp.thread_id, n.thread_id),
                              depth = coalesce(_pp.depth, n.depth)
               FROM _pn n
               WHERE n.platform = _pp.platform AND n.reply_id = _pp.reply_id
                 AND ((_pp.thread_id IS NULL AND n.thread_id IS NOT NULL)
                      OR (_pp.depth IS NULL AND n.depth IS NOT NULL))"""
        )
    con.execute(
        """UPDATE _n0
           SET thread_id = coalesce(_n0.thread_id, c.thread_id),
               depth = coalesce(_n0.depth, c.depth)
           FROM _pn c WHERE c._i = _n0._i"""
    )
    con.execute("DROP TABLE _pn")
    con.execute("DROP TABLE _pp")


def _split_roots(
    con: duckdb.DuckDBPyConnection, notes: NormaliseNotes, *, keep_all: bool = False
) -> None:
    """Rows marked is_root that other rows reply to are thread posts; others stay replies."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {ROOTS_T} AS
        SELECT * EXCLUDE (thread_id), platform || ':' || reply_id AS thread_id FROM _n0 r
        WHERE is_root AND ({"true" if keep_all else "false"} OR EXISTS (
            SELECT 1 FROM _n0 o WHERE NOT o.is_root AND o.platform = r.platform
              AND (o.thread_id = r.platform || ':' || r.reply_id OR o.parent_id = r.reply_id)))"""
    )
    roots = _scalar(con, f"SELECT count(*) FROM {ROOTS_T}")
    if roots:
        notes.thread_posts = int(roots)
        con.execute(f"DELETE FROM _n0 WHERE _i IN (SELECT _i FROM {ROOTS_T})")
    # A post marked as a possible root that nobody in the file replies to is a
    # stand-alone post (a search result, a timeline tweet): depth 0.
    con.execute("UPDATE _n0 SET depth = 0 WHERE is_root AND depth IS NULL")
    # Renaming instead of copying: _n0 holds every reply's text.
    con.execute(f"DROP TABLE IF EXISTS {REPLIES_T}")
    con.execute(f"ALTER TABLE _n0 RENAME TO {REPLIES_T}")
