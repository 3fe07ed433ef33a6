"""Reply fields among the leaf keys of generic JSON records, at any depth (bounded).

A generic record's top-level keys are read by their names as before; when the
reply sits deeper (`value.post.record.text`, `data.comment.body`), the leaves
of the first records are searched, shallowest first, for text-, id-, date-,
likes- and parent-like names, and the best dotted path per field becomes the
file's `KeyPlan`. A name counts by its last step (`text`), by its last two
steps (`comment.body`, `author.id`), and never for a leaf inside another post
or account (`reply.parent.cid` is not the reply's id, `embed.record.text` not
its text). When no key holds the text, `prose_path` names the leaf whose
values read like prose, for the `--map` suggestion (never an id like `uri`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.files.header import GENERIC_COLUMNS, squash

# Bounds: input decides the size of a record, so the search is capped.
MAX_DEPTH = 8  # levels of nested objects searched below the record
MAX_LEAVES = 400  # leaves read per record (shallowest first)
MAX_STEPS = 8 * MAX_LEAVES  # keys looked at per record, leaves or not
SAMPLE_RECORDS = 200  # records the plan and the suggestion look at
MAX_CANDIDATES = 4  # nested paths tried per field and record

_SPELLING = {s: (fld, i) for fld, names in GENERIC_COLUMNS.items() for i, s in enumerate(names)}
# `<entity>.<id>`: the id of another thing the reply points at.
_ENTITY_IDS = {
    "parent": "parent_id",
    "inreplyto": "parent_id",
    "replyto": "parent_id",
    "root": "thread_native_id",
    "thread": "thread_native_id",
    "conversation": "thread_native_id",
    "author": "author_id",
    "user": "author_id",
    "owner": "author_id",
    "creator": "author_id",
}
_ID_NAMES = {"id", "idstr", "uri", "did"}
# Objects that hold another post, account or attachment: a leaf inside them that
# is named like a reply field belongs to that thing, not to the reply.
_ELSEWHERE = {
    *_ENTITY_IDS,
    "embed",
    "quote",
    "quoted",
    "quotedstatus",
    "quotedtweet",
    "retweeted",
    "retweetedstatus",
    "media",
    "attachment",
    "attachments",
    "video",
    "image",
    "thumbnail",
    "external",
    "viewer",
    "profile",
    "channel",
    "sender",
    "labels",
    "facets",
    "entities",
    # About the capture or the page, not the reply (a crawl time is not its date).
    "meta",
    "metadata",
    "request",
    "response",
    "page",
    "pagination",
}
# Values that are identifiers or addresses, however many words they seem to have.
_ID_LIKE = re.compile(r"^(at://|did:|https?://|www\.|urn:|mailto:)", re.IGNORECASE)


def leaves(
    value: Any, max_depth: int = MAX_DEPTH, max_leaves: int = MAX_LEAVES
) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of an object's leaves, shallowest first; lists are leaves.

    Keys with a dot cannot be named in a dotted path and are skipped.
    """
    if not isinstance(value, Mapping):
        return
    queue: deque[tuple[str, Mapping[Any, Any], int]] = deque([("", value, 1)])
    given = steps = 0
    while queue:
        prefix, obj, depth = queue.popleft()
        for key, item in obj.items():
            steps += 1
            if steps > MAX_STEPS:
                return
            if not isinstance(key, str) or "." in key or not key:
                continue
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(item, Mapping) and item:
                if depth < max_depth:
                    queue.append((path, item, depth + 1))
                continue
            yield path, item
            given += 1
            if given >= max_leaves:
                return


def leaf_paths(values: Iterable[Any], limit: int = SAMPLE_RECORDS) -> list[str]:
    """The leaf paths of the first records, in the order first seen."""
    seen: dict[str, None] = {}
    for n, value in enumerate(values):
        if n >= limit:
            break
        for path, _ in leaves(value):
            seen.setdefault(path, None)
    return list(seen)


def field_of(path: str) -> tuple[str, int, int] | None:
    """(field, tier, rank) a nested path is named for; tier 1 by its two last steps, 2 by one."""
    steps = [squash(s) for s in path.split(".")]
    last = steps[-1]
    if len(steps) >= 2 and not _ELSEWHERE & set(steps[:-2]):
        pair = steps[-2] + last
        if pair in _SPELLING:
            return _SPELLING[pair][0], 1, _SPELLING[pair][1]
        if steps[-2] in _ENTITY_IDS and last in _ID_NAMES:
            return _ENTITY_IDS[steps[-2]], 1, 0
    if last in _SPELLING and not _ELSEWHERE & set(steps[:-1]):
        return _SPELLING[last][0], 2, _SPELLING[last][1]
    return None


@dataclass(frozen=True)
class KeyPlan:
    """Nested paths to read each field from, best first (split into steps)."""

    paths: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """Field -> the dotted path tried first (for notes and tests)."""
        return {fld: ".".join(paths[0]) for fld, paths in self.paths.items() if paths}


def plan_keys(values: list[Any]) -> KeyPlan:
    """Nested paths per reply field, from the leaves of the first records.

    Order: named by two steps before one, shallower before deeper, the field's
    preferred spelling first. A text path must hold a string in some record.
    """
    ranked: dict[str, list[tuple[int, int, int, int, str]]] = {}
    strings: set[str] = set()
    order: dict[str, int] = {}
    for value in values[:SAMPLE_RECORDS]:
        for path, leaf in leaves(value):
            order.setdefault(path, len(order))
            if isinstance(leaf, str) and leaf.strip():
                strings.add(path)
    for path, seen in order.items():
        if "." not in path:
            continue  # top-level keys are matched per record, as before
        named = field_of(path)
        if named is None or (named[0] == "text" and path not in strings):
            continue
        fld, tier, rank = named
        ranked.setdefault(fld, []).append((tier, path.count("."), rank, seen, path))
    return KeyPlan(
        {
            fld: tuple(tuple(c[-1].split(".")) for c in sorted(cands)[:MAX_CANDIDATES])
            for fld, cands in ranked.items()
        }
    )


def _walk(obj: Any, steps: tuple[str, ...]) -> tuple[bool, Any]:
    for step in steps:
        if not isinstance(obj, Mapping) or step not in obj:
            return False, None
        obj = obj[step]
    return True, obj


class NestedReader:
    """Reads the fields a record's top-level keys left empty from a plan's nested paths.

    Remembers which path served each field, so the summary can say where the
    text was found.
    """

    def __init__(self, plan: KeyPlan) -> None:
        self.plan = plan
        self.used: dict[str, str] = {}  # field -> dotted path, in first-use order

    def read(self, record: Mapping[str, Any], row: dict[str, Any]) -> None:
        """Fill row's empty fields from the record's nested leaves."""
        for fld, candidates in self.plan.paths.items():
            if row.get(fld) is not None:
                continue
            for steps in candidates:
                found, value = _walk(record, steps)
                if found and value is not None and not isinstance(value, Mapping | list):
                    row[fld] = value
                    self.used.setdefault(fld, ".".join(steps))
                    break

    def note(self) -> str | None:
        """The summary note: which fields came from nested keys (None: none did)."""
        if not self.used:
            return None
        shown = ", ".join(f"{fld}={path}" for fld, path in self.used.items())
        return f"generic: fields read from nested keys ({shown}); records"


def _prose(text: str) -> float:
    """How much a value reads like a sentence: words, letters, length (0 for ids and URLs)."""
    text = text.strip()
    words = text.split()
    if len(words) < 2 or _ID_LIKE.match(text):
        return 0.0
    letters = sum(c.isalpha() for c in text) / len(text)
    if letters < 0.5:
        return 0.0  # dates, numbers, codes
    return min(len(words), 20) / 20 * letters


def prose_path(values: list[Any], min_score: float = 0.05) -> tuple[str, str] | None:
    """(path, an example) of the leaf whose string values read most like prose, if any does."""
    scores: dict[str, list[float]] = {}
    examples: dict[str, str] = {}
    for value in values[:SAMPLE_RECORDS]:
        for path, leaf in leaves(value):
            if isinstance(leaf, str):
                score = _prose(leaf)
                scores.setdefault(path, []).append(score)
                if score > 0:
                    examples.setdefault(path, leaf)
    best = max(
        ((sum(s) / len(s), -i, path) for i, (path, s) in enumerate(scores.items())),
        default=None,
    )
    if best is None or best[0] < min_score:
        return None
    return best[2], examples[best[2]]
