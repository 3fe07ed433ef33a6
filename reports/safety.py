"""Untrusted text in exports: cells that spreadsheets would run as formulas are defused."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(value: str) -> str:
    """Prefix a ' to text that Excel/LibreOffice would read as a formula (or DDE)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
