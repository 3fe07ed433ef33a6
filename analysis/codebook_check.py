"""What `codebook check` learns from the stored replies: dead terms with the closest stored words,
and terms too broad to tell themes apart.

A term that matches no reply is often a spelling the replies do not use
("sympatisch" for "sympathisch") or an inflection ("Sympathischen"): the
check lists the stored words that share its Snowball stem (in the
codebook's language, else the replies' main language) or lie within a small
edit distance of it. Both work on the replies' distinct words (the
MAX_VOCABULARY most used), never reply by reply, so a million replies take
seconds: an edit-distance neighbour is found through a deletion index
(every word with one letter left out, built with polars), as SymSpell does,
then confirmed with a bounded Levenshtein distance.

A term that matches more than BROAD_SHARE of the replies ("die" in a German
thread) tags too much to tell one theme from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl

from analysis.codebook import Codebook, Finding
from analysis.keywords import term_match_counts
from analysis.languages import (
    SNOWBALL,
    ReplyLanguages,
    compute_reply_languages,
    snowball_stem,
    stop_words_for,
)
from analysis.text import match_form_parallel, term_form
from analysis.themes import load_reply_texts
from store import Store
from textsafety import plural

BROAD_SHARE = 0.15  # a term in more than this share of the replies is too broad
MAX_VOCABULARY = 100_000  # the most used distinct words searched for suggestions
MAX_SUGGESTIONS = 3


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 once it is sure to exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _deletes(word: str) -> set[str]:
    """The word with one letter left out, every way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass
class Vocabulary:
    """The replies' distinct words (match form) and how many replies use each."""

    replies: dict[str, int]
    _deletes: pl.DataFrame | None = field(default=None, repr=False)

    def _index(self) -> pl.DataFrame:
        """key, word: each word as it is and with each one letter left out (built once)."""
        if self._deletes is None:
            words = pl.Series("word", list(self.replies), dtype=pl.String)
            longest = max((len(w) for w in self.replies), default=0)
            frame = pl.DataFrame({"word": words})
            parts = [frame.select(key=pl.col("word"), word=pl.col("word"))]
            parts += [
                frame.filter(pl.col("word").str.len_chars() > i).select(
                    key=pl.col("word").str.slice(0, i) + pl.col("word").str.slice(i + 1),
                    word=pl.col("word"),
                )
                for i in range(longest)
            ]
            self._deletes = pl.concat(parts)
        return self._deletes

    def near(self, word: str) -> list[tuple[int, str]]:
        """(distance, word) of stored words at most 1 edit (short words) or 2 edits away."""
        limit = 1 if len(word) <= 4 else 2
        keys = [word, *_deletes(word)]
        index = self._index()
        found = set(index.filter(pl.col("key").is_in(keys))["word"].to_list())
        return sorted(
            (dist, w) for w in found - {word} if (dist := edit_distance(word, w, limit)) <= limit
        )

    def near_prefix(self, prefix: str) -> list[tuple[int, str]]:
        """(distance, word) of stored words whose start is a small edit distance from prefix."""
        limit = 1 if len(prefix) <= 4 else 2
        out: list[tuple[int, str]] = []
        for w in self.replies:
            if w[:1] != prefix[:1] or w.startswith(prefix):
                continue
            dist = min(
                edit_distance(prefix, w[:n], limit)
                for n in (len(prefix) - 1, len(prefix), len(prefix) + 1)
            )
            if dist <= limit:
                out.append((dist, w))
        return sorted(out)


def compute_vocabulary(form: pl.Series, limit: int = MAX_VOCABULARY) -> Vocabulary:
    """The `limit` words used by most replies (match form), with their reply counts."""
    counts = (
        form.str.strip_chars()
        .str.split(" ")
        .list.unique()
        .explode()
        .drop_nulls()
        .value_counts(name="n")
        .filter(pl.col(form.name).str.len_chars() > 1)
        .sort(["n", form.name], descending=[True, False])
        .head(limit)
    )
    return Vocabulary(dict(zip(counts[form.name].to_list(), counts["n"].to_list(), strict=True)))


@dataclass(frozen=True)
class TermContext:
    """What the checks of one codebook on the stored replies share."""

    replies: int
    vocabulary: Vocabulary
    stem: Callable[[str], str] | None
    stem_language: str | None  # the language of `stem`
    stop_words: frozenset[str]
    languages: list[str]


def _suggest_word(word: str, wildcard: bool, ctx: TermContext) -> tuple[list[str], bool]:
    """Stored words close to one term word (same stem first, then small edit distance).

    Also whether the first of them shares the word's stem.
    """
    vocab = ctx.vocabulary.replies
    same_stem: list[str] = []
    if ctx.stem is not None and not wildcard:
        key = ctx.stem(word)
        same_stem = sorted(
            (w for w in vocab if w[:2] == key[:2] and w != word and ctx.stem(w) == key),
            key=lambda w: (-vocab[w], w),
        )
    near = ctx.vocabulary.near_prefix(word) if wildcard else ctx.vocabulary.near(word)
    close = [w for _, w in sorted(near, key=lambda dw: (dw[0], -vocab[dw[1]], dw[1]))]
    picked = list(dict.fromkeys([*same_stem, *close]))[:MAX_SUGGESTIONS]
    shown = [
        f"{w}{'*' if wildcard else ''} ({plural(vocab[w], 'reply', 'replies')})" for w in picked
    ]
    return shown, bool(same_stem)


def _unmatched_message(term: str, ctx: TermContext, stemmed: bool) -> str:
    """Why a term matches nothing, with the closest stored words when there are any.

    stemmed: whether the codebook already matches by stem (it has a language).
    """
    core = term.strip()
    wildcard = core.endswith("*")
    words = term_form(core.rstrip("*")).split()
    head = (
        f"term {term!r} matches none of the {plural(ctx.replies, 'stored reply', 'stored replies')}"
    )
    missing = [w for w in words if w not in ctx.vocabulary.replies]
    if len(words) > 1 and not missing:
        return f"{head}; its words occur, but never together as this phrase"
    hints: list[str] = []
    any_stem = False
    for w in missing or words:
        shown, same_stem = _suggest_word(w, wildcard and w == words[-1], ctx)
        hints += shown
        any_stem |= same_stem
    if not hints:
        return head
    out = f"{head}; closest stored words: {', '.join(hints[:MAX_SUGGESTIONS])}"
    if any_stem and not stemmed and ctx.stem_language:
        out += (
            f" (same stem in {describe_languages([ctx.stem_language])}: add "
            f'language = "{ctx.stem_language}" to the codebook to match every form)'
        )
    return out


def _broad_message(term: str, n: int, ctx: TermContext, broad: float) -> str:
    """Why a term that matches too many replies is a problem, and what to do."""
    form = term_form(term.strip().rstrip("*"))
    why = ""
    if form in ctx.stop_words:
        why = f"it is a common word of {describe_languages(ctx.languages)} (a stop word); "
    return (
        f"term {term!r} matches {n} of {ctx.replies} replies ({n / ctx.replies:.0%}), more than "
        f"{broad:.0%}: too broad to tell themes apart; {why}remove it, or use a phrase or a "
        "rarer word that only this theme's replies use"
    )


def compute_term_findings(
    texts: pl.Series,
    codebook: Codebook,
    languages: ReplyLanguages,
    *,
    broad: float = BROAD_SHARE,
) -> list[Finding]:
    """Warnings for include terms that match no reply (with close words) or too many."""
    n = texts.len()
    if n == 0:
        return []
    form = match_form_parallel(texts)
    counts = term_match_counts(texts, codebook, form=form).filter(pl.col("kind") == "include")
    rows = list(counts.select("theme_id", "term", "replies").iter_rows())
    unmatched = [(theme, term) for theme, term, hits in rows if hits == 0]
    stem_language = codebook.language or languages.main
    ctx = TermContext(
        replies=n,
        vocabulary=compute_vocabulary(form) if unmatched else Vocabulary({}),
        stem=snowball_stem(stem_language),
        stem_language=stem_language,
        stop_words=stop_words_for(languages.languages),
        languages=languages.languages,
    )
    stemmed = codebook.language is not None
    found = [
        Finding("warning", theme, _unmatched_message(term, ctx, stemmed))
        for theme, term in unmatched
    ]
    found += [
        Finding("warning", theme, _broad_message(term, hits, ctx, broad))
        for theme, term, hits in rows
        if hits > broad * n
    ]
    return found


def load_term_findings(
    store: Store, codebook: Codebook, *, broad: float = BROAD_SHARE
) -> list[Finding]:
    """compute_term_findings on every stored reply, in the replies' own languages."""
    texts = load_reply_texts(store)["text"]
    if texts.len() == 0:
        return []
    return compute_term_findings(texts, codebook, compute_reply_languages(store), broad=broad)


def describe_languages(languages: Iterable[str]) -> str:
    """'German' or 'German/English' for codes."""
    return "/".join(SNOWBALL.get(lang, lang).title() for lang in languages)
