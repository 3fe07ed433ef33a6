"""Vectorised normalisation of raw reply rows into typed store rows.

Every importer and collector hands a batch of RawReply-shaped string columns
to `normalise_batch`; it applies one set of rules (counts like "1.2K", many
date shapes to UTC, text repair, ids) with polars expressions, so a million
rows take seconds, and every source is treated the same way.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ftfy
import polars as pl

from collectors.model import COUNT_FIELDS, RAW_FIELDS
from collectors.urls import parse_post_url

MAX_TEXT_BYTES = 1_000_000  # no platform allows a reply anywhere near 1 MB

_ENTITY = r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
# Typical UTF-8-read-as-latin-1/cp1252 sequences ("Ã©", "â€™", "Ã¥").
_MOJIBAKE = r"[ÃÂ][\x80-\xBF¡-¿]|â€|Ã[\x80-\xFF]|ðŸ"
_RELATIVE = (
    r"(?i)\bago\b|\bjust now\b|^yesterday$|\bvor\b|\bil y a\b|\bhace\b|پہلے|前$|\bfa\b$|\bgeleden\b"
)
_SCI_ID = r"^\d+(?:\.\d+)?[eE]\+?\d+$"

_ISO_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%a %b %d %H:%M:%S %z %Y",  # legacy Twitter
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)
_DAYFIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
)
_MONTHFIRST_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y",
)


@dataclass
class BatchOptions:
    """Per-import choices that change how raw values are read."""

    platform: str = "other"
    thread: str | None = None  # native id or URL used when a row names no thread
    dayfirst: bool | None = None  # None: decide from the data
    date_formats: Sequence[str] = ()
    blank_counts_zero: bool = False  # spreadsheets write 0 likes as a blank cell


@dataclass
class NormalisedBatch:
    """Typed rows ready for the store, the rows that could not be used, and notes."""

    replies: pl.DataFrame
    roots: pl.DataFrame
    rejects: pl.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def _apply_where(s: pl.Series, mask: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Apply a Python function only to the rows that need it (most rows don't)."""
    idx = mask.fill_null(False).arg_true()
    if idx.len() == 0:
        return s
    fixed = pl.Series([fn(v) for v in s.gather(idx).to_list()], dtype=pl.String)
    return s.scatter(idx, fixed)


def _fix_mojibake(text: str) -> str:
    return ftfy.fix_encoding(text)


def clean_text(s: pl.Series) -> pl.Series:
    """Strip BOMs and NULs, unify newlines, unescape HTML entities, repair mojibake."""
    s = s.cast(pl.String).str.replace_all("[\ufeff\x00]", "").str.replace_all("\r\n?", "\n")
    s = _apply_where(s, s.str.contains(_MOJIBAKE), _fix_mojibake)
    # Unescape twice at most: some tools double-escape (&amp;amp;).
    for _ in range(2):
        s = _apply_where(s, s.str.contains(_ENTITY), html.unescape)
    return s.str.strip_chars()


_COUNT_RE = r"^(\d+(?:\.\d+)?)([kmb])?$"


def parse_counts(s: pl.Series, *, blank_is_zero: bool) -> tuple[pl.Series, int]:
    """'1.2K' / '26.5K' / '3M' / '1,234' / 12.0 / blank -> Int64; returns (values, n unparsed)."""
    t = (
        s.cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"[,\s\u00a0_']", "")
        .str.replace(r"^\+", "")
    )
    blank = t.is_null() | (t == "")
    num = t.str.extract(_COUNT_RE, 1).cast(pl.Float64, strict=False)
    suffix = t.str.extract(_COUNT_RE, 2)
    mult = (
        pl.DataFrame({"x": suffix})
        .select(
            pl.when(pl.col("x") == "k")
            .then(1_000.0)
            .when(pl.col("x") == "m")
            .then(1_000_000.0)
            .when(pl.col("x") == "b")
            .then(1_000_000_000.0)
            .otherwise(1.0)
        )
        .to_series()
    )
    values = (num * mult).round(0).cast(pl.Int64, strict=False)
    bad = int((values.is_null() & ~blank).sum())
    if blank_is_zero:
        values = pl.select(pl.when(blank).then(0).otherwise(values)).to_series()
    return values.alias(s.name), bad


def _pick_formats(sample: list[str], candidates: Sequence[str]) -> list[str]:
    """The candidate formats that parse at least one sample value, in order."""
    if not sample:
        return []
    probe = pl.Series(sample, dtype=pl.String)
    chosen = []
    for fmt in candidates:
        if _parse_with(probe, fmt).null_count() < len(sample):
            chosen.append(fmt)
    return chosen


def _year_guard(fmt: str) -> str | None:
    """A regex the value must match for fmt: chrono's %Y happily reads "25" as year 25."""
    if fmt.startswith("%Y"):
        return r"^\d{4}\D"
    if re.search(r"[/.-]%Y", fmt):
        return r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:\D|$)"
    if re.search(r"[/.-]%y", fmt):
        return r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:\D|$)"
    return None


def _parse_with(values: pl.Series, fmt: str) -> pl.Series:
    """Parse with one strftime format, only where the value's year width fits it."""
    parsed = values.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
    guard = _year_guard(fmt)
    if guard is None:
        return parsed
    ok = values.str.contains(guard).fill_null(False)
    return pl.select(pl.when(ok).then(parsed).otherwise(None)).to_series()


def _slash_order(sample: list[str]) -> bool | None:
    """True if some a/b/c date has a > 12 (day first), False if b > 12, None if unclear."""
    day_first = month_first = False
    for value in sample:
        m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b", value)
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        day_first |= a > 12
        month_first |= b > 12
    if day_first != month_first:
        return day_first
    return None


def parse_datetimes(s: pl.Series, opts: BatchOptions) -> tuple[pl.Series, dict[str, Any]]:
    """Many date shapes -> Datetime(us, UTC); relative times ('5 years ago') become null."""
    notes: dict[str, Any] = {}
    t = s.cast(pl.String).str.strip_chars()
    numeric = t.str.contains(r"^-?\d+(?:\.\d+)?$").fill_null(False)
    v = pl.select(pl.when(numeric).then(t).otherwise(None)).to_series().cast(pl.Float64)
    frame = pl.DataFrame({"v": v})
    as_number = frame.select(
        pl.when((pl.col("v") > 1e4) & (pl.col("v") < 1e5))
        # Excel serial day numbers count from 1899-12-30.
        .then((pl.col("v") - 25569.0) * 86_400_000_000.0)
        .when(pl.col("v").abs() < 1e11)
        .then(pl.col("v") * 1_000_000.0)
        .when(pl.col("v").abs() < 1e14)
        .then(pl.col("v") * 1_000.0)
        .when(pl.col("v").abs() < 1e17)
        .then(pl.col("v"))
        .otherwise(pl.col("v") / 1_000.0)
        .round(0)
        .cast(pl.Int64)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    ).to_series()

    relative = t.str.contains(_RELATIVE).fill_null(False) & ~numeric
    texty = t.is_not_null() & (t != "") & ~numeric & ~relative
    # One spelling for ISO-ish strings: "T" -> " ", "Z"/" UTC" -> "+0000".
    iso = (
        t.str.replace(r"^(\d{4}-\d{2}-\d{2})T", "${1} ")
        .str.replace(r"(?i)\s*(?:Z|UTC|GMT)$", "+0000")
        .str.replace(r"([+-]\d{2}):(\d{2})$", "${1}${2}")
    )
    sample = iso.filter(texty).unique(maintain_order=True).head(2000).to_list()
    order = opts.dayfirst if opts.dayfirst is not None else _slash_order(sample)
    if (
        opts.dayfirst is None
        and order is None
        and any(re.match(r"^\d{1,2}/\d{1,2}/", x) for x in sample)
    ):
        notes["ambiguous_dates"] = (
            "dates like 03/04/25 were read month-first; use --dayfirst if they are day-first"
        )
    ordered = (
        _DAYFIRST_FORMATS + _MONTHFIRST_FORMATS
        if order
        else _MONTHFIRST_FORMATS + _DAYFIRST_FORMATS
    )
    formats = _pick_formats(sample, [*opts.date_formats, *_ISO_FORMATS, *ordered])
    parsed = [_parse_with(iso, fmt) for fmt in formats]
    as_text = (
        pl.select(pl.coalesce(parsed)).to_series()
        if parsed
        else pl.Series([None] * len(t), dtype=pl.Datetime("us", "UTC"))
    )
    result = pl.select(
        pl.when(numeric).then(as_number).when(texty).then(as_text).otherwise(None)
    ).to_series()
    n_relative = int(relative.sum())
    if n_relative:
        notes["relative_times"] = n_relative
    unparsed = texty & result.is_null()
    if int(unparsed.sum()):
        notes["unparsed_dates"] = int(unparsed.sum())
        notes["unparsed_date_example"] = t.filter(unparsed).head(1).to_list()[0]
    return result.alias("created_at"), notes


def clean_ids(s: pl.Series) -> tuple[pl.Series, int]:
    """Exact id strings: strip, drop a float's '.0', null out Excel's scientific notation."""
    t = s.cast(pl.String).str.strip_chars().str.replace(r"^(\d+)\.0+$", "${1}")
    sci = t.str.contains(_SCI_ID).fill_null(False)
    n_sci = int(sci.sum())
    t = pl.select(pl.when(sci | (t == "")).then(None).otherwise(t)).to_series()
    return t.alias(s.name), n_sci


def _thread_key(
    native: pl.Series, url: pl.Series, platform: pl.Series, fallback: str | None
) -> pl.Series:
    """`platform:native_id` for each row, from its native id, its thread URL, or the fallback."""
    # URLs are few and repetitive: parse each distinct one once.
    mapping = {u: (parse_post_url(u) or (None, u))[1] for u in url.drop_nulls().unique().to_list()}
    if mapping:
        from_url = url.replace_strict(mapping, default=None, return_dtype=pl.String)
    else:
        from_url = pl.Series([None] * len(url), dtype=pl.String)
    fb_native = None
    if fallback:
        parsed = parse_post_url(fallback)
        fb_native = parsed[1] if parsed else fallback
    key = pl.select(pl.coalesce([native, from_url, pl.lit(fb_native, dtype=pl.String)])).to_series()
    return pl.select(
        pl.when(key.is_not_null()).then(pl.concat_str([platform, pl.lit(":"), key])).otherwise(None)
    ).to_series()


def _derived_ids(df: pl.DataFrame) -> pl.Series:
    """Stable ids for rows the source gave none: thread, author, text and occurrence."""
    who = pl.coalesce(["author_id", "author_handle", "author_name", pl.lit("")])
    keyed = df.select(
        pl.concat_str(
            [pl.col("platform"), pl.col("thread_id").fill_null(""), who, pl.col("text")],
            separator="\x1f",
        ).alias("k")
    ).with_columns(n=pl.int_range(pl.len()).over("k"))
    return pl.Series(
        [
            "h" + hashlib.sha1(f"{k}\x1f{n}".encode()).hexdigest()[:16]
            for k, n in zip(keyed["k"].to_list(), keyed["n"].to_list(), strict=True)
        ],
        dtype=pl.String,
    )


def raw_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build the all-string raw frame from RawReply dicts (+ _record_no/_locator)."""
    cols: dict[str, list[Any]] = {name: [] for name in (*RAW_FIELDS, "_record_no", "_locator")}
    for row in rows:
        for name in RAW_FIELDS:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                value = _to_str(value)
            cols[name].append(value)
        cols["_record_no"].append(row.get("_record_no"))
        cols["_locator"].append(row.get("_locator"))
    schema = {name: pl.String for name in (*RAW_FIELDS, "_locator")} | {"_record_no": pl.Int64}
    return pl.DataFrame(cols, schema=schema)


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def normalise_batch(raw: pl.DataFrame, opts: BatchOptions) -> NormalisedBatch:
    """Turn raw string columns into typed rows; route unusable rows to rejects."""
    n = raw.height
    for name in RAW_FIELDS:
        if name not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    if "_record_no" not in raw.columns:
        raw = raw.with_columns(pl.int_range(1, n + 1, dtype=pl.Int64).alias("_record_no"))
    if "_locator" not in raw.columns:
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias("_locator"))
    notes: dict[str, Any] = {}

    text = clean_text(raw["text"])
    size = text.str.len_bytes().fill_null(0)
    reason = pl.select(
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit("no text: the reply text cell is empty"))
        .when(size > MAX_TEXT_BYTES)
        .then(
            pl.format(
                "text is {} MB, larger than a reply can be (1 MB): not a reply export, or a broken cell",
                (size / 1e6).round(1),
            )
        )
        .otherwise(None)
    ).to_series()

    default_platform = opts.platform
    if default_platform == "other" and opts.thread:
        # `--thread https://x.com/...` tells the platform of a generic file.
        default_platform = (parse_post_url(opts.thread) or (default_platform, ""))[0]
    platform = raw["platform"].fill_null(default_platform).str.strip_chars().str.to_lowercase()
    created_at, date_notes = parse_datetimes(raw["created_at"], opts)
    notes.update(date_notes)
    columns: dict[str, pl.Series] = {"platform": platform, "text": text, "created_at": created_at}
    for name in COUNT_FIELDS:
        values, bad = parse_counts(
            raw[name], blank_is_zero=opts.blank_counts_zero and raw[name].null_count() < n
        )
        columns[name] = values
        if bad:
            notes[f"unparsed_{name}"] = bad
    n_sci = 0
    for name in ("reply_id", "parent_id", "thread_native_id", "author_id"):
        ids, sci = clean_ids(raw[name])
        columns[name] = ids
        n_sci += sci
    if n_sci:
        notes["scientific_ids"] = (
            f"{n_sci} ids were in scientific notation (Excel rounds long ids); they were not used"
        )
    for name in ("author_handle", "author_name", "parent_author", "lang", "url"):
        columns[name] = raw[name].str.strip_chars().replace("", None)
    columns["author_handle"] = columns["author_handle"].str.strip_prefix("@")
    columns["parent_author"] = columns["parent_author"].str.strip_prefix("@")
    columns["lang"] = columns["lang"].str.to_lowercase()
    thread_url = raw["thread_url"].str.strip_chars().replace("", None)
    columns["thread_id"] = _thread_key(
        columns.pop("thread_native_id"), thread_url, platform, opts.thread
    )
    columns["depth"] = (
        raw["depth"].str.strip_chars().cast(pl.Float64, strict=False).cast(pl.Int32, strict=False)
    )
    columns["is_root"] = (
        raw["is_root"].fill_null("false").str.to_lowercase().is_in(["true", "1", "yes"])
    )
    parent_row = (
        raw["_parent_row"]
        if "_parent_row" in raw.columns
        else pl.Series([None] * n, dtype=pl.Int64)
    )
    df = pl.DataFrame(columns).with_columns(
        thread_url=thread_url,
        _parent_row=parent_row.cast(pl.Int64, strict=False),
        _record_no=raw["_record_no"],
        _locator=raw["_locator"],
        _reason=reason,
    )

    rejects = df.filter(pl.col("_reason").is_not_null()).select(
        "_record_no", "_locator", pl.col("_reason").alias("reason")
    )
    df = df.filter(pl.col("_reason").is_null()).drop("_reason")
    if df.height:
        missing = df["reply_id"].is_null()
        if int(missing.sum()):
            notes["derived_ids"] = int(missing.sum())
            df = df.with_columns(
                reply_id=pl.when(missing).then(_derived_ids(df)).otherwise(pl.col("reply_id"))
            )
    # Formats that only say "the row above is my parent" (TikTokCommentScraper).
    if df["_parent_row"].is_not_null().any():
        lookup = df.select(
            pl.col("_record_no").alias("_parent_row"), pl.col("reply_id").alias("_pid")
        )
        df = (
            df.join(lookup, on="_parent_row", how="left", maintain_order="left")
            .with_columns(parent_id=pl.coalesce("parent_id", "_pid"))
            .drop("_pid")
        )
    df = df.drop("_parent_row")
    # Depth 1 where the parent is the thread's own post and the source gave no depth.
    df = df.with_columns(
        depth=pl.when(
            pl.col("depth").is_null()
            & pl.col("parent_id").is_not_null()
            & (
                pl.concat_str([pl.col("platform"), pl.lit(":"), pl.col("parent_id")])
                == pl.col("thread_id")
            )
        )
        .then(1)
        .otherwise(pl.col("depth"))
    )
    df = _inherit_from_parents(df)
    before = df.height
    df = df.unique(subset=["platform", "reply_id"], keep="last", maintain_order=True)
    if before - df.height:
        notes["duplicates_in_input"] = before - df.height

    roots, replies = _split_roots(df)
    if roots.height:
        notes["thread_posts"] = roots.height
    return NormalisedBatch(replies=replies, roots=roots, rejects=rejects, notes=notes)


def _inherit_from_parents(df: pl.DataFrame, rounds: int = 50) -> pl.DataFrame:
    """Fill a reply's missing thread and depth from its parent in the same batch."""
    for _ in range(rounds):
        need = df.filter(
            pl.col("parent_id").is_not_null()
            & (pl.col("thread_id").is_null() | pl.col("depth").is_null())
        )
        if need.height == 0:
            break
        parents = df.select(
            "platform",
            pl.col("reply_id").alias("parent_id"),
            pl.col("thread_id").alias("_pt"),
            pl.col("depth").alias("_pd"),
        ).unique(subset=["platform", "parent_id"], keep="last")
        joined = df.join(parents, on=["platform", "parent_id"], how="left", maintain_order="left")
        updated = joined.with_columns(
            thread_id=pl.coalesce("thread_id", "_pt"),
            depth=pl.coalesce("depth", pl.col("_pd") + 1),
        ).drop("_pt", "_pd")
        if updated.equals(df):
            break
        df = updated
    return df


def _split_roots(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows marked is_root that some other row replies to are thread posts; others stay replies."""
    if not df["is_root"].any():
        return df.clear(), df
    keys = df.select(
        pl.concat_str([pl.col("platform"), pl.lit(":"), pl.col("reply_id")]).alias("k")
    )["k"]
    others = df.filter(~pl.col("is_root"))
    referenced = set(others["thread_id"].drop_nulls().to_list()) | set(
        others.select(pl.concat_str([pl.col("platform"), pl.lit(":"), pl.col("parent_id")]))
        .to_series()
        .drop_nulls()
        .to_list()
    )
    is_thread_post = df["is_root"] & keys.is_in(list(referenced))
    roots = df.filter(is_thread_post).with_columns(thread_id=keys.filter(is_thread_post))
    replies = df.filter(~is_thread_post).with_columns(
        depth=pl.when(pl.col("is_root") & pl.col("depth").is_null())
        .then(0)
        .otherwise(pl.col("depth"))
    )
    return roots, replies
