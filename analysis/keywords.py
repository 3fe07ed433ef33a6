"""Keyword tagging: every theme's terms matched in one Aho-Corasick pass (polars).

Terms become padded substrings of the match form (see analysis.text):
"trust" -> " trust ", "listen*" -> " listen", "front line" -> " front line "
and " frontline " (so #frontline and front-line both match). Exclude terms
cancel their theme for a reply. Optional regex terms run on the match form.
Every tag keeps the terms that matched, as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from analysis.codebook import Codebook, term_problem
from analysis.text import match_form, term_form


@dataclass
class CompiledTerms:
    """Search patterns and what each one means."""

    patterns: list[str]
    owners: pl.DataFrame  # pattern, theme_id, term, kind
    regexes: list[tuple[str, str, str]]  # theme_id, original pattern, compiled-for-polars pattern


def term_patterns(term: str) -> list[str]:
    """The padded search strings for one codebook term ([] if it can never match)."""
    core = term.strip()
    if term_problem(core):
        return []
    wildcard = core.endswith("*")
    form = term_form(core.rstrip("*"))
    variants = [form]
    if " " in form:
        variants.append(form.replace(" ", ""))  # "front line" also as "frontline"
    tail = "" if wildcard else " "
    return [f" {v}{tail}" for v in variants]


def compile_terms(codebook: Codebook) -> CompiledTerms:
    """Turn a codebook's terms into one pattern list for a single scan."""
    rows: list[tuple[str, str, str, str]] = []
    regexes: list[tuple[str, str, str]] = []
    for theme in codebook.themes:
        for kind, terms in (("include", theme.include), ("exclude", theme.exclude)):
            for term in terms:
                rows += [(p, theme.id, term, kind) for p in term_patterns(term)]
        for pattern in theme.regex:
            try:
                re.compile(pattern)
            except re.error:
                continue  # `codebook check` reports it
            regexes.append((theme.id, pattern, f"(?i){pattern}"))
    owners = pl.DataFrame(
        rows, schema=["pattern", "theme_id", "term", "kind"], orient="row"
    ).unique()
    return CompiledTerms(
        patterns=sorted(set(owners["pattern"].to_list())), owners=owners, regexes=regexes
    )


def compute_keyword_tags(texts: pl.Series, codebook: Codebook) -> pl.DataFrame:
    """Tags for each text: columns row (index into texts), theme_id, score, evidence (list of terms)."""
    compiled = compile_terms(codebook)
    form = match_form(texts)
    found = (
        pl.DataFrame(
            {
                "row": pl.int_range(0, len(form), eager=True, dtype=pl.UInt32),
                "pattern": form.str.extract_many(compiled.patterns, overlapping=True),
            }
        )
        .explode("pattern")
        .drop_nulls("pattern")
    )
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


def _regex_hits(form: pl.Series, regexes: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Rows matched by each regex term: one combined pass, then each regex on the few candidates."""
    combined = "|".join(f"(?:{rx.removeprefix('(?i)')})" for _, _, rx in regexes)
    candidates = _contains(form, combined).arg_true()
    subset = form.gather(candidates)
    frames = [
        pl.DataFrame(
            {
                "row": candidates.gather(
                    _contains(subset, rx.removeprefix("(?i)")).arg_true()
                ).cast(pl.UInt32)
            }
        ).with_columns(theme_id=pl.lit(theme_id), term=pl.lit(original), kind=pl.lit("include"))
        for theme_id, original, rx in regexes
    ]
    return pl.concat(frames, how="vertical_relaxed")


def _contains(values: pl.Series, pattern: str) -> pl.Series:
    """Case-insensitive regex test, ASCII-only classes when the pattern allows (10x faster)."""
    try:
        found = values.str.contains(f"(?i-u){pattern}")
    except pl.exceptions.ComputeError:
        # A pattern with non-ASCII letters needs Unicode mode.
        found = values.str.contains(f"(?i){pattern}")
    return found.fill_null(False)


def term_match_counts(texts: pl.Series, codebook: Codebook) -> pl.DataFrame:
    """How many texts each include/exclude term matches (for `codebook check`)."""
    compiled = compile_terms(codebook)
    form = match_form(texts)
    found = (
        pl.DataFrame(
            {
                "row": pl.int_range(0, len(form), eager=True),
                "pattern": form.str.extract_many(compiled.patterns, overlapping=True),
            }
        )
        .explode("pattern")
        .drop_nulls("pattern")
    )
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
