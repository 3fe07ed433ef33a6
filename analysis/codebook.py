"""Codebooks: themes with include/exclude terms, read from TOML or a spreadsheet.

A codebook is versioned by the hash of its content, so every tagging run can
say exactly which codebook produced it. See README "Codebooks" for the format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from analysis.languages import SNOWBALL
from analysis.text import term_form

THEME_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class CodebookError(Exception):
    """A codebook that cannot be used; the message names the file, theme and fix."""


@dataclass
class Theme:
    """One theme of a codebook."""

    id: str
    label: str
    description: str = ""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    regex: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    parent: str | None = None


@dataclass
class Codebook:
    """A named, versioned list of themes."""

    name: str
    version: str
    themes: list[Theme]
    description: str = ""
    source: str = ""
    # (theme id, key) of blank entries ("", "   ") the file's term lists held:
    # left out of the themes (and of the hash), reported by check_codebook.
    blank_terms: list[tuple[str, str]] = field(default_factory=list)
    # ISO 639-1 code of the terms' language: keyword matching then stems terms
    # and replies with its Snowball stemmer. None: terms match as written.
    language: str | None = None

    @property
    def hash(self) -> str:
        """sha256 of the content (not of the file's spelling), first 16 hex digits."""
        content: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "themes": [asdict(t) for t in self.themes],
        }
        if self.language:  # only then: codebooks without one keep the hash they had
            content["language"] = self.language
        body = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id (KeyError if none)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)


DEFAULT_CODEBOOK = "default_codebook.toml"


def default_codebook_text() -> str:
    """The bundled default codebook (public-service leadership) as TOML text."""
    return (
        resources.files("analysis").joinpath("data", DEFAULT_CODEBOOK).read_text(encoding="utf-8")
    )


def _strings(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodebookError(f'{where}: `{key}` must be a list of strings, like {key} = ["a", "b"].')
    return [v for v in value if v.strip()]


def parse_language(value: Any, source: str) -> str | None:
    """The codebook's `language` as an ISO 639-1 code with a Snowball stemmer (None if not set).

    A Snowball name ("german") is accepted too.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    names = {name: code for code, name in SNOWBALL.items() if len(code) == 2}
    names["norwegian"] = "no"
    code = str(value).strip().lower() if isinstance(value, str) else ""
    code = names.get(code, code)
    if code not in SNOWBALL:
        raise CodebookError(
            f"{source}: language {value!r} has no Snowball stemmer; use one of "
            f'{", ".join(sorted(c for c in SNOWBALL if c != "nb"))} (e.g. language = "de"), '
            "or leave it out to match terms as written."
        )
    return code


def parse_codebook(text: str, source: str = "<codebook>") -> Codebook:
    """Parse codebook TOML text; CodebookError names the problem and the theme."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CodebookError(f"{source}: not valid TOML ({err}).") from err
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise CodebookError(
            f"{source}: no themes; add [[themes]] tables (see `replyscope codebook init`)."
        )
    themes = []
    blanks: list[tuple[str, str]] = []
    for i, item in enumerate(raw_themes, start=1):
        if not isinstance(item, dict):
            raise CodebookError(f"{source}: theme {i} is not a table; write it as [[themes]].")
        tid = str(item.get("id", "")).strip()
        where = f"{source}, theme {tid or i}"
        if not THEME_ID.match(tid):
            raise CodebookError(
                f"{where}: id {tid!r} must be lower case letters, digits and _, "
                "starting with a letter."
            )
        for key in ("include", "exclude", "regex"):
            value = item.get(key)
            values = [value] if isinstance(value, str) else value
            if isinstance(values, list):
                blanks += [(tid, key) for v in values if isinstance(v, str) and not v.strip()]
        themes.append(
            Theme(
                id=tid,
                label=str(item.get("label") or tid),
                description=str(item.get("description") or "").strip(),
                include=_strings(item.get("include"), where, "include"),
                exclude=_strings(item.get("exclude"), where, "exclude"),
                regex=_strings(item.get("regex"), where, "regex"),
                examples=_strings(item.get("examples"), where, "examples"),
                parent=str(item["parent"]).strip() or None if item.get("parent") else None,
            )
        )
    return Codebook(
        name=str(data.get("name") or Path(source).stem),
        version=str(data.get("version") or "1"),
        description=str(data.get("description") or ""),
        themes=themes,
        source=source,
        blank_terms=blanks,
        language=parse_language(data.get("language"), source),
    )


def load_codebook(path: Path | None) -> Codebook:
    """Read a codebook file (TOML, or CSV/XLSX sheet); None gives the bundled default."""
    if path is None:
        return parse_codebook(default_codebook_text(), source=f"default ({DEFAULT_CODEBOOK})")
    if not path.exists():
        raise CodebookError(
            f"{path}: no such file. `replyscope codebook init -o {path}` writes one to start from."
        )
    if path.suffix.lower() in (".csv", ".xlsx", ".tsv"):
        return codebook_from_sheet(path)
    return parse_codebook(path.read_text(encoding="utf-8-sig"), source=str(path))


def _sheet_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [
                [("" if c is None else str(c)) for c in r]
                for r in wb.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            wb.close()
    else:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        rows = list(csv.reader(io.StringIO(text), dialect=dialect))
    if not rows:
        raise CodebookError(f"{path}: the sheet is empty.")
    header = [h.strip().lower() for h in rows[0]]
    return [
        dict(zip(header, (c.strip() for c in r), strict=False))
        for r in rows[1:]
        if any(c.strip() for c in r)
    ]


def codebook_from_sheet(path: Path) -> Codebook:
    """A codebook from a sheet with columns theme, label, description, term (one term per row).

    Optional columns: `kind` (include, exclude, regex or example; default include)
    and `parent`. Label and description may be given on any row of the theme.
    """
    rows = _sheet_rows(path)
    missing = {"theme", "term"} - set(rows[0]) if rows else {"theme", "term"}
    if missing:
        raise CodebookError(
            f"{path}: the sheet needs columns theme, label, description, term; "
            f"missing {', '.join(sorted(missing))}."
        )
    themes: dict[str, Theme] = {}
    for n, row in enumerate(rows, start=2):
        tid = row.get("theme", "").strip().lower().replace(" ", "_")
        if not tid:
            continue
        if not THEME_ID.match(tid):
            raise CodebookError(
                f"{path}, row {n}: theme id {tid!r} must be lower case letters, digits and _."
            )
        theme = themes.setdefault(tid, Theme(id=tid, label=tid))
        if row.get("label"):
            theme.label = row["label"]
        if row.get("description"):
            theme.description = row["description"]
        if row.get("parent"):
            theme.parent = row["parent"].strip().lower()
        term = row.get("term", "")
        kind = (row.get("kind") or "include").strip().lower()
        if not term:
            continue
        if kind not in ("include", "exclude", "regex", "example"):
            raise CodebookError(
                f"{path}, row {n}: kind {kind!r} must be include, exclude, regex or example."
            )
        {
            "include": theme.include,
            "exclude": theme.exclude,
            "regex": theme.regex,
            "example": theme.examples,
        }[kind].append(term)
    if not themes:
        raise CodebookError(f"{path}: no rows with a theme.")
    return Codebook(name=path.stem, version="1", themes=list(themes.values()), source=str(path))


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def to_toml(codebook: Codebook) -> str:
    """Write a codebook as TOML (the format `load_codebook` reads)."""
    out = [
        f"name = {_toml_str(codebook.name)}",
        f"version = {_toml_str(codebook.version)}",
        f"description = {_toml_str(codebook.description)}",
    ]
    if codebook.language:
        out.append(f"language = {_toml_str(codebook.language)}")
    out.append("")
    for t in codebook.themes:
        out += [
            "[[themes]]",
            f"id = {_toml_str(t.id)}",
            f"label = {_toml_str(t.label)}",
            f"description = {_toml_str(t.description)}",
        ]
        if t.parent:
            out.append(f"parent = {_toml_str(t.parent)}")
        for key in ("include", "exclude", "regex", "examples"):
            values: list[str] = getattr(t, key)
            if values or key == "include":
                items = ",\n".join(f"  {_toml_str(v)}" for v in values)
                out.append(f"{key} = [\n{items},\n]" if values else f"{key} = []")
        out.append("")
    return "\n".join(out)


@dataclass
class Finding:
    """One problem `codebook check` found."""

    level: str  # "error" or "warning"
    theme: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.theme}: {self.message}"


def regex_problem(pattern: str) -> str | None:
    """Why tagging cannot run a regex term, or None.

    Tagging runs regexes with polars (Rust `regex`), which has no look-around
    and no back-references, so the test is polars itself, in the form tagging
    uses (case-insensitive).
    """
    import polars as pl

    try:
        pl.Series([""]).str.contains(f"(?i){pattern}")
    except pl.exceptions.PolarsError as err:
        lines = str(err).splitlines()
        reason = next(
            (ln.strip().removeprefix("error:").strip() for ln in lines if ln.startswith("error:")),
            lines[0].removeprefix("regex error:").strip() if lines else "invalid",
        )
        try:
            re.compile(pattern)
        except re.error:
            return f"does not compile ({reason})"
        return f"cannot run in tagging (polars' Rust regex engine): {reason}"
    return None


def check_codebook(codebook: Codebook) -> list[Finding]:
    """Static checks: duplicate ids, empty themes, bad parents, terms that can never match."""
    return [
        *_theme_findings(codebook),
        *_blank_term_findings(codebook),
        *_parent_findings(codebook),
        *_shared_term_findings(codebook),
    ]


def _theme_findings(codebook: Codebook) -> list[Finding]:
    """Duplicate ids, themes that can never be tagged, terms and regexes that cannot match."""
    found: list[Finding] = []
    seen: set[str] = set()
    for t in codebook.themes:
        if t.id in seen:
            found.append(
                Finding("error", t.id, "this id is used by two themes; ids must be unique")
            )
        seen.add(t.id)
        if not t.include and not t.regex:
            found.append(
                Finding("error", t.id, "no include terms or regex: this theme can never be tagged")
            )
        for term in [*t.include, *t.exclude]:
            problem = term_problem(term)
            if problem:
                found.append(Finding("error", t.id, f"term {term!r} {problem}"))
        for pattern in t.regex:
            problem = regex_problem(pattern)
            if problem:
                found.append(Finding("error", t.id, f"regex {pattern!r} {problem}"))
    return found


def _blank_term_findings(codebook: Codebook) -> list[Finding]:
    """A warning per term list that held blank entries."""
    found: list[Finding] = []
    for (tid, key), n in Counter(codebook.blank_terms).items():
        what = "an empty term" if n == 1 else f"{n} empty terms"
        # A stray "" in a list is a slip, not a wrong codebook: it is ignored, and said.
        found.append(
            Finding(
                "warning",
                tid,
                f"{key} has {what} ('' or only spaces), ignored; "
                f"remove {'it' if n == 1 else 'them'}",
            )
        )
    return found


def _parent_findings(codebook: Codebook) -> list[Finding]:
    """Parents that are the theme itself, not a theme, or lead back round to the theme."""
    found: list[Finding] = []
    ids = {t.id for t in codebook.themes}
    parents = {t.id: t.parent for t in codebook.themes}
    for t in codebook.themes:
        if not t.parent:
            continue
        if t.parent == t.id:
            found.append(Finding("error", t.id, "parent is the theme itself"))
        elif t.parent not in ids:
            found.append(
                Finding("error", t.id, f"parent {t.parent!r} is not a theme of this codebook")
            )
        else:
            chain, up = [t.id], parents.get(t.parent)
            chain.append(t.parent)
            while up and up not in chain and up in ids:
                chain.append(up)
                up = parents.get(up)
            if up == t.id:
                found.append(
                    Finding(
                        "error",
                        t.id,
                        f"parents go round in a circle: {' -> '.join(chain)} -> {t.id}",
                    )
                )
    return found


def _shared_term_findings(codebook: Codebook) -> list[Finding]:
    """A warning per include term that several themes share (by stem, with a `language`)."""
    from analysis.languages import stemmer_for

    # With a language, "simse" and "simsen" match the same replies: one term.
    stemmer = stemmer_for(codebook.language) if codebook.language else None
    owners: dict[str, list[str]] = {}
    for t in codebook.themes:
        for term in t.include:
            key = term_form(term.rstrip("*")).strip()
            if stemmer is not None and not term.endswith("*"):
                key = " ".join(stemmer.stemWords(key.split()))
            owners.setdefault(key, []).append(t.id)
    what = "a term with the same stem" if stemmer is not None else "term"
    return [
        Finding("warning", ",".join(sorted(set(themes))), f"{what} {key!r} is in several themes")
        for key, themes in owners.items()
        if len(set(themes)) > 1
    ]


def codebook_errors(codebook: Codebook) -> list[Finding]:
    """The errors of check_codebook: a codebook with any is not used for tagging."""
    return [f for f in check_codebook(codebook) if f.level == "error"]


def require_usable(codebook: Codebook, *, limit: int = 5) -> None:
    """CodebookError, one line per error (the first `limit`), when check_codebook finds errors.

    Tagging with such a codebook would crash or silently tag with a codebook
    other than the one written (a dropped regex, a theme that never matches).
    """
    errors = codebook_errors(codebook)
    if not errors:
        return
    source = codebook.source or codebook.name
    lines = [f"{source}: theme {f.theme}: {f.message}" for f in errors[:limit]]
    rest = len(errors) - limit
    more = f"{rest} more errors; " if rest > 1 else "1 more error; " if rest == 1 else ""
    lines.append(
        f"{source}: {more}fix the codebook and check it with: replyscope codebook check {source}"
    )
    raise CodebookError("\n".join(lines))


def term_problem(term: str) -> str | None:
    """Why a term can never match as written, or None."""
    core = term.strip()
    if core.count("*") > 1 or ("*" in core and not core.endswith("*")):
        return (
            "has * other than at the end (only suffix wildcards are supported; use regex for more)"
        )
    form = term_form(core.rstrip("*"))
    if not form:
        return "has no letters or digits once punctuation is removed"
    if core.startswith(("http://", "https://", "www.")):
        return "is a URL; URLs are removed from replies before matching"
    if core.startswith("@"):
        return "is an @handle; @mentions are removed from replies before matching"
    if len(form) < 2 and not core.endswith("*"):
        return "is a single character"
    return None
