"""Does a codebook fit these replies? The signs that it was written for another question.

`tag` asks this after every run. A codebook fits badly when it is written
in another language than most replies (its `language`, English for the
bundled default), when it tags under MIN_TAGGED_SHARE of the replies, or
when most of its themes tag (almost) nothing: fewer than QUIET_THEME_SHARE
of the replies each. The bundled public-service codebook on a thread about
a UFC fight tags 21% of the replies, but 8 of its 14 themes under 1% each,
and "Funding, austerity" 6% (words like "money" and "pay"): the figures look
like findings and are not.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from analysis.codebook import Codebook, load_codebook
from analysis.languages import compute_language_shares
from textsafety import plural

MIN_TAGGED_SHARE = 0.10
QUIET_THEME_SHARE = 0.01
MIN_LANGUAGE_SHARE = 0.5  # the codebook's language must be that of at least half the replies
CHECK_SAMPLE = 5000  # replies the bundled codebook is tried on before a plain `tag`
CHECK_SEED = 11


def codebook_language(codebook: Codebook) -> str | None:
    """The codebook's language: its `language` key, English for the bundled default, else None."""
    if codebook.language:
        return codebook.language.lower()
    return "en" if codebook.hash == load_codebook(None).hash else None


def compute_fit_problems(
    *,
    replies: int,
    tagged: int,
    theme_counts: Mapping[str, int],
    language: str | None = None,
    reply_languages: Mapping[str, float] | None = None,
) -> list[str]:
    """Why a codebook fits these replies badly, one phrase per sign (empty: no sign).

    theme_counts: replies tagged per theme id (every theme, zeros included);
    reply_languages: share of replies per language code, largest first.
    """
    if replies == 0:
        return []
    problems: list[str] = []
    if language and reply_languages:
        main, share = next(iter(reply_languages.items()))
        if reply_languages.get(language, 0.0) < MIN_LANGUAGE_SHARE and main != language:
            problems.append(
                f"it is written in {language}, but {share:.0%} of the replies are in {main}"
            )
    if tagged / replies < MIN_TAGGED_SHARE:
        problems.append(
            f"it tags only {tagged / replies:.0%} of the replies (under {MIN_TAGGED_SHARE:.0%})"
        )
    quiet = [t for t, n in theme_counts.items() if n < QUIET_THEME_SHARE * replies]
    if theme_counts and len(quiet) > len(theme_counts) / 2:
        problems.append(
            f"{len(quiet)} of its {plural(len(theme_counts), 'theme')} tag (almost) none of them "
            f"(under {QUIET_THEME_SHARE:.0%} each)"
        )
    return problems


def compute_codebook_fit(
    codebook: Codebook,
    texts: pl.Series,
    tagged: int,
    theme_counts: Mapping[str, int],
    *,
    replies: int | None = None,
) -> list[str]:
    """compute_fit_problems for a tagging run, the replies' languages detected when needed.

    texts: the replies' texts, or a sample of them with `replies` the count of all.
    """
    language = codebook_language(codebook)
    counts = {t.id: int(theme_counts.get(t.id, 0)) for t in codebook.themes}
    return compute_fit_problems(
        replies=texts.len() if replies is None else replies,
        tagged=tagged,
        theme_counts=counts,
        language=language,
        reply_languages=compute_language_shares(texts) if language else None,
    )


def compute_default_misfit(texts: pl.Series) -> list[str]:
    """The strong signs that the bundled codebook is for another question, on a sample of replies.

    Plain `tag` uses the bundled codebook only when these are absent: its
    language (English) is that of the replies, and it tags at least 10% of
    them. The weaker sign (most themes nearly empty) only warns after the run.
    """
    from analysis.keywords import compute_keyword_tags

    texts = texts.drop_nulls()
    if texts.len() > CHECK_SAMPLE:
        texts = texts.sample(CHECK_SAMPLE, seed=CHECK_SEED)
    if texts.len() == 0:
        return []
    tags = compute_keyword_tags(texts, load_codebook(None))
    return compute_fit_problems(
        replies=texts.len(),
        tagged=tags["row"].n_unique(),
        theme_counts={},
        language="en",
        reply_languages=compute_language_shares(texts),
    )
