"""Helpers for the platform-JSON parser tests: records of a sample file, one record per sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collectors.model import ParseContext, RawReply
from tests.conftest import FIXTURES, SAMPLES

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".js")


def fixture(name: str) -> Any:
    """A hand-written JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def records(path: Path) -> list[Any]:
    """Top-level records of a JSON / NDJSON / tweets.js file, as the readers yield them."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".js":
        text = text.split("=", 1)[1]
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return whole if isinstance(whole, list) else [whole]


def parse_all(path: Path, parse: Any, ctx: ParseContext) -> list[RawReply]:
    """Run a record parser over every record of a file."""
    rows: list[RawReply] = []
    for record in records(path):
        rows.extend(parse(record, ctx))
    return rows


def first_records() -> dict[str, Any]:
    """One record from every JSON-shaped sample file (all platforms), by relative path."""
    if not SAMPLES.exists():
        pytest.skip("samples not available")
    out: dict[str, Any] = {}
    for path in sorted(SAMPLES.rglob("*")):
        if path.suffix not in JSON_SUFFIXES:
            continue
        rel = path.relative_to(SAMPLES).as_posix()
        if path.stat().st_size > 600_000 and path.suffix in (".jsonl", ".ndjson"):
            # Big NDJSON files: the first line is a whole record.
            with path.open(encoding="utf-8") as fh:
                out[rel] = json.loads(fh.readline())
        else:
            recs = records(path)
            if recs:
                out[rel] = recs[0]
    return out


def accepted_by(record: Any) -> set[str]:
    """Names of the platform_json formats whose detector accepts a record."""
    from collectors.formats.platform_json import FORMATS

    return {f.name for f in FORMATS if f.detect(record)}


# Which platform_json format each sample's first record belongs to (absent: none).
_EXPECTED = {
    "bluesky/": "bluesky-thread",
    "mastodon/": "mastodon-context",
    "reddit/reddit-api_comments-listing": "reddit-listing",
    "reddit/pushshift-dump": "pushshift",
    "youtube/youtube-data-api-v3_commentThreads": "youtube-api-commentthreads",
    "youtube/youtube-comment-downloader": "youtube-comment-downloader",
}


def expected_formats(rel: str) -> set[str]:
    """The platform_json formats that should accept the first record of sample `rel`."""
    return {name for prefix, name in _EXPECTED.items() if rel.startswith(prefix)}
