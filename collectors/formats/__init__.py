"""Import format registry: every format `replyscope import` can detect."""

from __future__ import annotations

from collectors.formats.base import RecordFormat, TableFormat


def record_formats() -> list[RecordFormat]:
    """All JSON-shaped formats, highest priority first."""
    from collectors.formats import (
        discord_json,
        platform_json,
        social_json,
        x_json,
        zeeschuimer,
    )

    found = [
        *x_json.FORMATS,
        *platform_json.FORMATS,
        *social_json.FORMATS,
        *zeeschuimer.FORMATS,
        *discord_json.FORMATS,
    ]
    return sorted(found, key=lambda f: -f.priority)


def table_formats() -> list[TableFormat]:
    """All CSV/XLSX formats (the generic fallback is not among them)."""
    from collectors.formats import tables

    return list(tables.FORMATS)
