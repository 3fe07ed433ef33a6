"""The demo replies' display text and rich-text facets (links, mentions, hashtags)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from demo_lines import Reply

URL_RE = re.compile(r"https?://[^\s]+")
MENTION_RE = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9][a-zA-Z0-9.-]*\.[a-zA-Z]{2,})")
TAG_RE = re.compile(r"(?:^|(?<=\s))[#＃]([^\s#＃]+)")
TRAILING = ".,;:!?)'\"…"


def short_url(url: str) -> str:
    """The Bluesky app's display form of a link (toShortUrl)."""
    parts = urlsplit(url)
    path = "" if parts.path == "/" else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    if len(path) > 15:
        return parts.netloc + path[:13] + "..."
    return parts.netloc + path


def byte_span(text: str, start: int, end: int) -> dict[str, int]:
    """A facet's byte range (Bluesky indexes UTF-8 bytes, not characters)."""
    return {"byteEnd": len(text[:end].encode()), "byteStart": len(text[:start].encode())}


def render_text(node: Reply, dids: Mapping[str, str]) -> None:
    """Final text (links shortened) and its rich-text facets."""
    raw = node.raw_text.replace("\\n", "\n")
    if node.parent is not None:
        raw = raw.replace("{parent}", node.parent.author)
    text = ""
    spans: list[tuple[int, int, dict[str, Any]]] = []
    pos = 0
    for m in URL_RE.finditer(raw):
        url = m.group(0).rstrip(TRAILING)
        text += raw[pos : m.start()]
        shown = short_url(url)
        spans.append(
            (
                len(text),
                len(text) + len(shown),
                {"$type": "app.bsky.richtext.facet#link", "uri": url},
            )
        )
        text += shown
        pos = m.start() + len(url)
    text += raw[pos:]
    link_ranges = [(s, e) for s, e, _ in spans]
    for m in MENTION_RE.finditer(text):
        handle = m.group(1).rstrip(".")
        if handle not in dids:
            raise ValueError(f"mention of an unknown account: {handle}")
        start = m.start(1) - 1
        feature = {"$type": "app.bsky.richtext.facet#mention", "did": dids[handle]}
        spans.append((start, m.start(1) + len(handle), feature))
    for m in TAG_RE.finditer(text):
        tag = m.group(1).rstrip(TRAILING)
        start = m.start(1) - 1
        if not tag or tag.isdigit() or any(s <= start < e for s, e in link_ranges):
            continue
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        spans.append((start, m.start(1) + len(tag), feature))
    spans.sort(key=lambda span: span[0])
    node.text = text
    node.facets = [{"features": [f], "index": byte_span(text, s, e)} for s, e, f in spans]
    node.langs = node.flags.get("lang", "en").split("+")
    if len(text) > 300:
        raise ValueError(f"reply longer than Bluesky's 300 graphemes: {text[:60]!r}")
