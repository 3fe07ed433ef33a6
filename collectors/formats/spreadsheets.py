"""Known CSV/XLSX export layouts, recognised by their header row.

Header names here are normalised (lower case, stripped). `derive` functions
work on whole columns (polars), never row by row.
"""

from __future__ import annotations

import ast
import re

import polars as pl

from collectors.formats.base import TableFormat
from collectors.model import ParseContext

SRC = "src:"


def _src(name: str) -> pl.Expr:
    return pl.col(SRC + name)


def _meta_thread(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """Use the preamble's post URL (ExportComments "Source URL", TikTok "Post URL")."""
    url = ctx.meta.get("source url") or ctx.meta.get("post url") or ctx.meta.get("url")
    if url and "thread_url" not in df.columns:
        df = df.with_columns(thread_url=pl.lit(str(url)))
    return df


def _exportcomments_facebook(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    df = _meta_thread(df, ctx)
    if "author_id" in df.columns:
        # 2020 layout writes "ID: 809570028".
        df = df.with_columns(pl.col("author_id").str.replace(r"^ID:\s*", ""))
    return df.with_columns(depth=pl.lit("1"))


def _exportcomments_handle(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """YouTube/Instagram ExportComments put the @handle in Name."""
    df = _meta_thread(df, ctx)
    handle = pl.col("author_name").str.strip_chars().str.strip_prefix("@")
    df = df.with_columns(author_handle=handle)
    if "url" in df.columns and "thread_url" not in df.columns:
        # Instagram comment URLs are /p/<shortcode>/c/<id>: the post is the prefix.
        df = df.with_columns(thread_url=pl.col("url").str.replace(r"/c/[^/]+/?$", "/"))
    return df.with_columns(depth=pl.lit("1"))


def _tiktok_scraper(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """Replies follow their parent row; only the parent's handle is written."""
    df = _meta_thread(df, ctx)
    second = _src("is 2nd level comment").str.strip_chars().str.to_lowercase() == "yes"
    top_row = pl.when(~second).then(pl.col("_record_no")).otherwise(None).forward_fill()
    return df.with_columns(
        depth=pl.when(second).then(pl.lit("2")).otherwise(pl.lit("1")),
        parent_author=pl.when(pl.col("parent_author").str.strip_chars().is_in(["---", ""]))
        .then(None)
        .otherwise(pl.col("parent_author")),
        _parent_row=pl.when(second).then(top_row).otherwise(None),
    )


def _first_screen_name(value: str | None) -> str | None:
    """twint writes reply_to as a Python repr list of dicts: take the first screen_name."""
    if not value or not value.startswith("["):
        return None
    try:
        items = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        m = re.search(r"'screen_name':\s*'([^']+)'", value)
        return m.group(1) if m else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("screen_name"):
            return str(item["screen_name"])
    return None


def _twint(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    del ctx
    df = df.with_columns(
        parent_author=_src("reply_to").map_elements(_first_screen_name, return_dtype=pl.String),
    )
    return _root_when_own_conversation(df)


def _root_when_own_conversation(df: pl.DataFrame) -> pl.DataFrame:
    """A tweet whose id is its conversation id starts the thread (kept as a reply if alone)."""
    return df.with_columns(
        is_root=pl.when(pl.col("reply_id") == pl.col("thread_native_id"))
        .then(pl.lit("true"))
        .otherwise(pl.lit("false"))
    )


def _twarc_csv(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    del ctx
    df = df.with_columns(
        url=pl.format("https://x.com/{}/status/{}", pl.col("author_handle"), pl.col("reply_id"))
    )
    return _root_when_own_conversation(df)


def _apify_twitter(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    del ctx
    return _root_when_own_conversation(df)


def _apify_facebook(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """threadingDepth 0 is a comment on the post (our depth 1)."""
    del ctx
    depth = pl.col("depth").cast(pl.Float64, strict=False).fill_null(0) + 1
    post = pl.coalesce(_src("facebookid"), pl.col("thread_url"))
    return df.with_columns(
        depth=depth.cast(pl.Int64).cast(pl.String),
        thread_native_id=post,
        parent_id=pl.coalesce(pl.col("parent_id").replace("", None), post),
    )


def _linkedin(df: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    owner = ctx.meta.get("owner")
    if owner:
        df = df.with_columns(author_name=pl.lit(str(owner)))
    return df


FORMATS: list[TableFormat] = [
    TableFormat(
        name="exportcomments-facebook",
        description=(
            "ExportComments.com Facebook comments "
            "(XLSX/CSV; current and 2020 layouts, preamble rows)"
        ),
        platform="facebook",
        required=frozenset({"name (click to view profile)", "comment", "date", "likes"}),
        columns={
            "author_name": "name (click to view profile)",
            "author_id": "profile id",
            "created_at": "date",
            "like_count": "likes",
            "text": "comment",
        },
        derive=_exportcomments_facebook,
        dayfirst=True,
        optional=frozenset({"profile id", "live video timestamp", "(view source)"}),
        priority=2,
    ),
    TableFormat(
        name="exportcomments-youtube",
        description="ExportComments.com YouTube comments (CSV/XLSX; dd/mm/yy dates)",
        platform="youtube",
        required=frozenset({"name", "date", "likes", "ishearted", "comment"}),
        columns={
            "author_name": "name",
            "created_at": "date",
            "like_count": "likes",
            "text": "comment",
        },
        derive=_exportcomments_handle,
        dayfirst=True,
        optional=frozenset({"ispinned", "(view source)"}),
        priority=2,
    ),
    TableFormat(
        name="exportcomments-instagram",
        description="ExportComments.com Instagram comments (CSV/XLSX)",
        platform="instagram",
        required=frozenset({"name", "comment", "comment id", "likes", "date"}),
        columns={
            "author_name": "name",
            "author_id": "profile id",
            "created_at": "date",
            "like_count": "likes",
            "text": "comment",
            "reply_id": "comment id",
            "url": "comment url",
        },
        derive=_exportcomments_handle,
        optional=frozenset({"user verified", "comment url", "profile url", "username"}),
        priority=2,
    ),
    TableFormat(
        name="tiktokcommentscraper",
        description=(
            "TikTokCommentScraper Comments.csv / .xlsx "
            "(abbreviated likes, unquoted commas, preamble)"
        ),
        platform="tiktok",
        required=frozenset(
            {"comment text", "user @", "likes", "is 2nd level comment", "user replied to"}
        ),
        columns={
            "author_name": "nickname",
            "author_handle": "user @",
            "text": "comment text",
            "created_at": "time",
            "like_count": "likes",
            "parent_author": "user replied to",
            "reply_count": "number of replies",
        },
        derive=_tiktok_scraper,
        dayfirst=True,
        priority=2,
        # That tool cannot quote its CSV; its XLSX export has the same comments, cell by cell.
        wide_rows_fix=(
            "import the XLSX export TikTokCommentScraper makes of the same comments instead"
        ),
    ),
    TableFormat(
        name="twint",
        description="twint CSV (tweets with conversation_id; epoch-ms created_at)",
        platform="x",
        required=frozenset({"id", "conversation_id", "tweet", "nlikes", "username"}),
        columns={
            "reply_id": "id",
            "thread_native_id": "conversation_id",
            "created_at": "created_at",
            "text": "tweet",
            "lang": "language",
            "author_id": "user_id_str",
            "author_handle": "username",
            "author_name": "name",
            "url": "link",
            "like_count": "nlikes",
            "reply_count": "nreplies",
            "repost_count": "nretweets",
        },
        derive=_twint,
        priority=1,
    ),
    TableFormat(
        name="twarc-csv",
        description="twarc-csv output of twarc2 JSON (dotted column names)",
        platform="x",
        required=frozenset(
            {"id", "conversation_id", "text", "public_metrics.like_count", "author.username"}
        ),
        columns={
            "reply_id": "id",
            "thread_native_id": "conversation_id",
            "parent_id": "referenced_tweets.replied_to.id",
            "author_id": "author_id",
            "author_handle": "author.username",
            "author_name": "author.name",
            "created_at": "created_at",
            "text": "text",
            "lang": "lang",
            "like_count": "public_metrics.like_count",
            "reply_count": "public_metrics.reply_count",
            "repost_count": "public_metrics.retweet_count",
            "quote_count": "public_metrics.quote_count",
        },
        derive=_twarc_csv,
        priority=1,
    ),
    TableFormat(
        name="apify-twitter-legacy",
        description=(
            "Apify legacy Twitter Scraper CSV (user/screen_name, full_text, favorite_count)"
        ),
        platform="x",
        required=frozenset(
            {"id", "conversation_id", "full_text", "favorite_count", "user/screen_name"}
        ),
        columns={
            "reply_id": "id",
            "thread_native_id": "conversation_id",
            "created_at": "created_at",
            "text": "full_text",
            "like_count": "favorite_count",
            "reply_count": "reply_count",
            "repost_count": "retweet_count",
            "quote_count": "quote_count",
            "author_handle": "user/screen_name",
            "author_name": "user/name",
            "author_id": "user/id_str",
            "lang": "lang",
            "url": "url",
        },
        derive=_apify_twitter,
        priority=1,
    ),
    TableFormat(
        name="apify-facebook-comments",
        description=(
            "Apify Facebook Comments Scraper (XLSX/CSV export: facebookUrl, threadingDepth)"
        ),
        platform="facebook",
        required=frozenset({"text", "likescount", "profilename", "facebookurl", "threadingdepth"}),
        columns={
            "reply_id": "id",
            "text": "text",
            "like_count": "likescount",
            "reply_count": "commentscount",
            "author_name": "profilename",
            "author_id": "profileid",
            "created_at": "date",
            "parent_id": "replytocommentid",
            "depth": "threadingdepth",
            "thread_url": "facebookurl",
            "url": "commenturl",
        },
        derive=_apify_facebook,
        priority=1,
    ),
    TableFormat(
        name="linkedin-comments",
        description=(
            "LinkedIn data download Comments.csv (Date, Link, Message; backslash-escaped quotes)"
        ),
        platform="linkedin",
        required=frozenset({"date", "link", "message"}),
        columns={"created_at": "date", "thread_url": "link", "text": "message"},
        derive=_linkedin,
        priority=0,
    ),
]
