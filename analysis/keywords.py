"""Keyword tagging: every theme's terms matched in one Aho-Corasick pass (polars).

Terms become padded substrings of the match form (see analysis.text):
"trust" -> " trust ", "listen*" -> " listen", "front line" -> " front line "
and " frontline " (so #frontline and front-line both match). Exclude terms
cancel their theme for a reply. Optional regex terms run on the match form.
Every tag keeps the terms that matched, as evidence.

A codebook with a `language` matches by Snowball stem: each word of a term
(but a `*` prefix) also matches the replies' words with the same stem, so
"sympathisch" matches "Sympathischen". The replies are not rewritten: the
words of the replies that share a stem with a term word are found once (a
vocabulary of distinct words, never one stem per reply) and added to the
term's search strings, so the single scan and the evidence stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice, product

import polars as pl

from analysis.codebook import Codebook, regex_problem, term_problem
from analysis.languages import snowball_stem
from analysis.text import match_form_parallel, slice_bounds, term_form

MAX_PHRASE_FORMS = 64  # inflected forms searched per phrase (each word's forms multiply)


@dataclass(frozen=True)
class StemVariants:
    """The replies' words grouped by Snowball stem, for the words a codebook's terms use."""

    stem: Callable[[str], str]
    words: dict[str, list[str]]  # stem -> the replies' words (match form) with that stem

    def variants(self, word: str) -> list[str]:
        """The word itself, then the replies' other words with its stem."""
        return [word, *(w for w in self.words.get(self.stem(word), ()) if w != word)]

    def forms(self, form: str, wildcard: bool) -> list[str]:
        """A term's match form and its inflected forms (the last word of a `*` term as written)."""
        words = form.split()
        options = [
            [w] if wildcard and i == len(words) - 1 else self.variants(w)
            for i, w in enumerate(words)
        ]
        out = [" ".join(combo) for combo in islice(product(*options), MAX_PHRASE_FORMS)]
        if len(words) > 1:  # "front line" also as "frontline", and its forms
            joined = "".join(words)
            out += [joined] if wildcard else self.variants(joined)
        return list(dict.fromkeys(out))


@dataclass
class CompiledTerms:
    """Search patterns and what each one means."""

    patterns: list[str]
    owners: pl.DataFrame  # pattern, theme_id, term, kind
    regexes: list[tuple[str, str, str]]  # theme_id, original pattern, compiled-for-polars pattern


def term_patterns(term: str, stems: StemVariants | None = None) -> list[str]:
    """The padded search strings for one codebook term ([] if it can never match).

    stems: the replies' words by stem, for a codebook with a language.
    """
    core = term.strip()
    if term_problem(core):
        return []
    wildcard = core.endswith("*")
    form = term_form(core.rstrip("*"))
    if stems is not None:
        variants = stems.forms(form, wildcard)
    else:
        variants = [form]
        if " " in form:
            variants.append(form.replace(" ", ""))  # "front line" also as "frontline"
    tail = "" if wildcard else " "
    return [f" {v}{tail}" for v in variants]


def _stemmed_words(codebook: Codebook) -> set[str]:
    """The term words (match form) that match by stem: all but a `*` term's last word."""
    out: set[str] = set()
    for theme in codebook.themes:
        for term in [*theme.include, *theme.exclude]:
            core = term.strip()
            if term_problem(core):
                continue
            words = term_form(core.rstrip("*")).split()
            joined = ["".join(words)] if len(words) > 1 else []
            if core.endswith("*"):
                words, joined = words[:-1], []
            out.update(words + joined)
    return out


def compute_stem_variants(form: pl.Series, codebook: Codebook) -> StemVariants | None:
    """The replies' words (match form) sharing a stem with a term word; None without a language.

    Snowball stemmers only cut word endings, so a word with a term word's
    stem starts with that stem's first letters: only the replies' words
    starting so are read out (one regex scan) and stemmed, once each.
    """
    stem = snowball_stem(codebook.language) if codebook.language else None
    if stem is None:
        return None
    wanted = {stem(w) for w in _stemmed_words(codebook)}
    starts = _word_starts(wanted)
    if not starts:
        return StemVariants(stem, {})
    pattern = " (?:" + "|".join(map(re.escape, sorted(starts))) + ")[^ ]*"
    found = by_chunks(form, lambda c: c.str.extract_all(pattern).explode().unique())
    candidates = found.drop_nulls().unique().str.strip_chars().to_list()
    groups: dict[str, list[str]] = {}
    for word in sorted(candidates):
        key = stem(word)
        if key in wanted:
            groups.setdefault(key, []).append(word)
    return StemVariants(stem, groups)


def _word_starts(stems: Iterable[str]) -> set[str]:
    """The first three letters of each stem, also with ss as ß (German stems turn ß into ss)."""
    return {s.replace("ss", "ß")[:3] for s in stems if s} | {s[:3] for s in stems if s}


def compile_terms(codebook: Codebook, stems: StemVariants | None = None) -> CompiledTerms:
    """Turn a codebook's terms into one pattern list for a single scan."""
    rows: list[tuple[str, str, str, str]] = []
    regexes: list[tuple[str, str, str]] = []
    for theme in codebook.themes:
        for kind, terms in (("include", theme.include), ("exclude", theme.exclude)):
            for term in terms:
                rows += [(p, theme.id, term, kind) for p in term_patterns(term, stems)]
        for pattern in theme.regex:
            if regex_problem(pattern):
                continue  # `codebook check` reports it, and `tag` refuses the codebook
            regexes.append((theme.id, pattern, f"(?i){pattern}"))
    owners = pl.DataFrame(
        rows, schema=dict.fromkeys(("pattern", "theme_id", "term", "kind"), pl.String), orient="row"
    ).unique()
    return CompiledTerms(
        patterns=sorted(set(owners["pattern"].to_list())), owners=owners, regexes=regexes
    )


def compute_keyword_tags(texts: pl.Series, codebook: Codebook) -> pl.DataFrame:
    """Tags for each text: row (index into texts), theme_id, score, evidence (list of terms)."""
    form = match_form_parallel(texts)
    compiled = compile_terms(codebook, compute_stem_variants(form, codebook))
    found = _pattern_rows(form, compiled)
    hits = found.join(compiled.owners, on="pattern", how="inner").select(
        "row", "theme_id", "term", "kind"
    )
    if compiled.regexes:
        hits = pl.concat([hits, _regex_hits(form, compiled.regexes)], how="vertical_relaxed")
    include = hits.filter(pl.col("kind") == "include")
    exclude = hits.filter(pl.col("kind") == "exclude").select("row", "theme_id").unique()
    tags = (
        include.join(exclude, on=["row", "theme_id"], how="anti")
        .group_by("row", "theme_id")
        .agg(pl.col("term").unique().sort().alias("evidence"))
        .with_columns(score=pl.col("evidence").list.len().cast(pl.Float64))
        .sort("row", "theme_id")
    )
    return tags.select("row", "theme_id", "score", "evidence")


CHUNK_ROWS = 50_000  # below this, one thread is as fast as several


def _pattern_rows(form: pl.Series, compiled: CompiledTerms) -> pl.DataFrame:
    """(row, pattern) for every search pattern in each match-form text (one Aho-Corasick scan)."""
    if not compiled.patterns:  # a codebook of regex-only themes: nothing to scan for
        return pl.DataFrame(schema={"row": pl.UInt32, "pattern": pl.String})
    return (
        pl.DataFrame(
            {
                "row": pl.int_range(0, len(form), eager=True, dtype=pl.UInt32),
                "pattern": by_chunks(
                    form, lambda c: c.str.extract_many(compiled.patterns, overlapping=True)
                ),
            }
        )
        .explode("pattern")
        .drop_nulls("pattern")
    )


def by_chunks(values: pl.Series, fn: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """fn applied to slices of values side by side (a string scan on one Series uses one core)."""
    frames = pl.collect_all(
        pl.LazyFrame({"v": values.slice(lo, hi - lo)}).select(fn(pl.col("v")).alias(values.name))
        for lo, hi in slice_bounds(values.len(), CHUNK_ROWS)
    )
    return pl.concat([f.to_series() for f in frames], rechunk=False)


def _regex_hits(form: pl.Series, regexes: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Rows matched by each regex term: one combined pass, then each regex on the few candidates."""
    combined = "|".join(f"(?:{rx.removeprefix('(?i)')})" for _, _, rx in regexes)
    if regex_problem(combined):
        # Regexes that compile alone may not together (the same group name twice):
        # then every row is a candidate.
        candidates = pl.int_range(0, len(form), eager=True, dtype=pl.UInt32)
    else:
        candidates = by_chunks(form, lambda c: _contains_expr(combined, c)).arg_true()
    subset = pl.DataFrame({"form": form.gather(candidates)})
    # One select: polars runs the expressions side by side on its thread pool.
    matched = subset.select(
        _contains_expr(rx.removeprefix("(?i)")).alias(str(i)) for i, (*_, rx) in enumerate(regexes)
    )
    frames = [
        pl.DataFrame(
            {"row": candidates.gather(matched[str(i)].arg_true()).cast(pl.UInt32)}
        ).with_columns(theme_id=pl.lit(theme_id), term=pl.lit(original), kind=pl.lit("include"))
        for i, (theme_id, original, _) in enumerate(regexes)
    ]
    return pl.concat(frames, how="vertical_relaxed")


def _ascii_ok(pattern: str) -> bool:
    """Whether a pattern compiles with ASCII-only classes (no non-ASCII letters in it)."""
    try:
        pl.Series([""]).str.contains(f"(?i-u){pattern}")
    except pl.exceptions.ComputeError:
        return False
    return True


def _contains_expr(pattern: str, column: pl.Expr | None = None) -> pl.Expr:
    """Case-insensitive regex test of column (default: form).

    ASCII-only classes when the pattern allows: 10x faster.
    """
    flags = "(?i-u)" if _ascii_ok(pattern) else "(?i)"
    col = pl.col("form") if column is None else column
    return col.str.contains(f"{flags}{pattern}").fill_null(False)


def term_match_counts(
    texts: pl.Series, codebook: Codebook, *, form: pl.Series | None = None
) -> pl.DataFrame:
    """How many texts each include/exclude term matches (for `codebook check`).

    form: the texts' match form, when the caller has it already.
    """
    form = match_form_parallel(texts) if form is None else form
    compiled = compile_terms(codebook, compute_stem_variants(form, codebook))
    found = _pattern_rows(form, compiled)
    counts = (
        found.join(compiled.owners, on="pattern")
        .group_by("theme_id", "term", "kind")
        .agg(pl.col("row").n_unique().alias("replies"))
    )
    every = compiled.owners.select("theme_id", "term", "kind").unique()
    return (
        every.join(counts, on=["theme_id", "term", "kind"], how="left")
        .with_columns(pl.col("replies").fill_null(0))
        .sort("theme_id", "term")
    )
