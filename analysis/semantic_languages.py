"""Which replies an embedder can read: English-only embedders skip replies in other languages.

The bundled embedders (wordllama, all-MiniLM-L6-v2) were trained on English:
a German reply lands near whatever English example shares its few
loan-words, so semantic tags on it are noise ("NICH WÄHLEN" tagged as
support). With those embedders, replies in another language are left out of
semantic tagging, and the summary says how many and how to tag them. A
reply's language is the latest quality run's (`replyscope quality`), else
detected now; a reply too short to tell (most replies under four words)
takes its thread's main language, so a German thread's "Nie wieder!" is not
read as English. A local sentence-transformers folder, or tfidf (fitted on
the replies themselves), is taken to read the replies' language: the user
chose it for them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analysis.languages import load_each_reply_language
from store import Store

# embedder option -> the one language its model reads
EMBEDDER_LANGUAGE = {"wordllama": "en", "minilm": "en"}


@dataclass(frozen=True)
class LanguageScope:
    """The replies an embedder reads (a mask over the rows) and those it skips."""

    keep: np.ndarray  # bool per reply row
    language: str | None  # the embedder's one language; None: it reads any
    skipped: dict[str, int] = field(default_factory=dict)  # language -> replies skipped
    assumed: int = 0  # skipped replies too short to tell, given their thread's language
    source: str = ""  # where the languages came from

    @property
    def n_skipped(self) -> int:
        """Replies left out of semantic tagging."""
        return sum(self.skipped.values())

    def as_dict(self) -> dict[str, object]:
        """What a tagging run records in runs.parameters.language_skip."""
        return {
            "embedder_language": self.language,
            "skipped": self.n_skipped,
            "by_language": self.skipped,
            "too_short_given_thread_language": self.assumed,
            "languages_from": self.source,
        }


def _threads(store: Store | None, keys: pl.DataFrame | None, n: int) -> list[str]:
    """Each reply's thread id ('' when unknown)."""
    if store is None or keys is None:
        return [""] * n
    store.con.register("_sem_keys", keys.with_row_index("row").to_arrow())
    try:
        rows = store.con.execute(
            """SELECT coalesce(r.thread_id, '') FROM _sem_keys k LEFT JOIN replies r
               ON r.platform = k.platform AND r.reply_id = k.reply_id ORDER BY k.row"""
        ).fetchall()
    finally:
        store.con.unregister("_sem_keys")
    return [str(r[0]) for r in rows]


def _main_language(langs: list[str | None]) -> str | None:
    counts = Counter(lang for lang in langs if lang)
    return counts.most_common(1)[0][0] if counts else None


def compute_language_scope(
    store: Store | None, replies: pl.DataFrame, embedder_spec: str
) -> LanguageScope:
    """Which replies the embedder reads: all, or those in its one language (see module doc)."""
    language = EMBEDDER_LANGUAGE.get(embedder_spec)
    n = replies.height
    if language is None or n == 0:
        return LanguageScope(np.ones(n, dtype=bool), None)
    langs, source = load_each_reply_language(store, replies)
    keys = (
        replies.select("platform", "reply_id")
        if {"platform", "reply_id"} <= set(replies.columns)
        else None
    )
    threads = _threads(store, keys, n)
    by_thread: dict[str, list[str | None]] = {}
    for thread, lang in zip(threads, langs, strict=True):
        by_thread.setdefault(thread, []).append(lang)
    overall = _main_language(langs)
    main = {t: _main_language(v) or overall for t, v in by_thread.items()}
    keep = np.ones(n, dtype=bool)
    skipped: Counter[str] = Counter()
    assumed = 0
    for i, (thread, lang) in enumerate(zip(threads, langs, strict=True)):
        read_as = lang or main[thread]
        if read_as is None or read_as == language:
            continue
        keep[i] = False
        skipped[read_as] += 1
        assumed += lang is None
    return LanguageScope(keep, language, dict(skipped.most_common()), assumed, source)
