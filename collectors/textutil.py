"""Small text helpers shared by parsers (pure functions, no I/O)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "div", "li", "blockquote", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextExtractor(HTMLParser):
    """Collect text from an HTML fragment, turning <br> and blocks into newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n\n" if tag == "p" else "\n")
        # Mastodon hides the "https://" and the tail of long links in
        # <span class="invisible">; the visible text then reads wrongly, so we
        # keep the invisible parts (the link stays whole and usable).
        del attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_MANY_NEWLINES = re.compile(r"\n{3,}")


def html_to_text(fragment: str | None) -> str | None:
    """Turn an HTML fragment (Mastodon content, YouTube textDisplay) into plain text."""
    if fragment is None:
        return None
    if "<" not in fragment:
        return html.unescape(fragment)
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts)
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def as_str(value: object) -> str | None:
    """Render an id-like value as an exact string (ints stay exact; 1.0 -> '1').

    A float at or above 2**53 was rounded before it reached us: it is written in
    scientific form ("1.765e+18"), which the normaliser refuses as an id, rather
    than as an exact-looking integer that could merge distinct replies.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g") if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
