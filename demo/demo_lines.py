"""The demo's reply line format: parse the hand-written reply files into a reply forest.

See demo/build_demo.py for the format; the files are in demo/replies/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT_TIME = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def load_groups(folder: Path) -> tuple[str, ...]:
    """The reply groups: one text per file, in file-name order."""
    return tuple(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt")))


# --------------------------------------------------------------------------------------
# Parsing the reply lines
# --------------------------------------------------------------------------------------

LINE_RE = re.compile(
    r"^(?P<indent> *)(?P<who>\S+)(?P<flags>(?: [A-Za-z]+(?:=[^\s|]+)?)*) \| (?P<text>.+)$"
)


@dataclass
class Reply:
    """One hand-written reply and, once built, everything the JSON needs about it."""

    who: str
    raw_text: str
    depth: int
    flags: dict[str, str]
    parent: Reply | None = None
    children: list[Reply] = field(default_factory=list)
    author: str = ""
    created: datetime = ROOT_TIME
    indexed: datetime = ROOT_TIME
    text: str = ""
    facets: list[dict[str, Any]] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    likes: int = 0
    reposts: int = 0
    quotes: int = 0
    bookmarks: int = 0
    uri: str = ""
    cid: str = ""
    root_author_like: str | None = None


def parse_groups(groups: tuple[str, ...]) -> list[Reply]:
    """Turn the indented reply lines into a forest of top-level replies."""
    top: list[Reply] = []
    for block in groups:
        stack: list[Reply] = []
        for line in block.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            m = LINE_RE.match(line)
            if not m:
                raise ValueError(f"bad reply line: {line!r}")
            indent = len(m["indent"])
            if indent % 2:
                raise ValueError(f"odd indent: {line!r}")
            depth = indent // 2 + 1
            flags: dict[str, str] = {}
            for flag in m["flags"].split():
                key, _, value = flag.partition("=")
                flags[key] = value
            node = Reply(who=m["who"], raw_text=m["text"], depth=depth, flags=flags)
            del stack[depth - 1 :]
            if depth == 1:
                top.append(node)
            else:
                if len(stack) != depth - 1:
                    raise ValueError(f"reply without a parent line: {line!r}")
                node.parent = stack[-1]
                stack[-1].children.append(node)
            stack.append(node)
    return top


def walk(nodes: list[Reply]) -> list[Reply]:
    """All replies, depth first, in written order."""
    out: list[Reply] = []
    for node in nodes:
        out.append(node)
        out.extend(walk(node.children))
    return out
