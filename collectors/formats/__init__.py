"""Import format registry: every format `replyscope import` can detect.

One module per format family, each format declared with its quirks (detect,
parse, locate for JSON records; header, columns, derive for spreadsheets):

- `base`: the two kinds of format (RecordFormat, TableFormat) and their hooks.
- `spreadsheets`: every CSV/XLSX layout (ExportComments, TikTokCommentScraper,
  twint, twarc-csv, Apify, LinkedIn).
- `platform_json`: saved API responses of the live platforms (Bluesky, Mastodon,
  Reddit, YouTube); their parsers live in collectors.platforms.
- `bluesky_v2`: Bluesky's flat getPostThreadV2 thread (what the Bluesky app reads).
- `x_json` (+ `x_graphql`): X/Twitter exports; API v2 pages are parsed by
  collectors.platforms.x.
- `social_json`: Apify Instagram/Facebook/TikTok items, Facebook's data download.
- `zeeschuimer`: Zeeschuimer browser captures (X, TikTok, Instagram).
- `discord_json`: DiscordChatExporter channel exports.
"""

from __future__ import annotations

from collectors.formats.base import RecordFormat, TableFormat


def record_formats() -> list[RecordFormat]:
    """All JSON-shaped formats, highest priority first."""
    from collectors.formats import (
        bluesky_v2,
        discord_json,
        platform_json,
        social_json,
        x_json,
        zeeschuimer,
    )

    found = [
        *x_json.FORMATS,
        *platform_json.FORMATS,
        *bluesky_v2.FORMATS,
        *social_json.FORMATS,
        *zeeschuimer.FORMATS,
        *discord_json.FORMATS,
    ]
    return sorted(found, key=lambda f: -f.priority)


def table_formats() -> list[TableFormat]:
    """All CSV/XLSX formats (the generic fallback is not among them)."""
    from collectors.formats import spreadsheets

    return list(spreadsheets.FORMATS)
