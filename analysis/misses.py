"""Improve a theme from its misses: the coded replies the tagger got wrong, and terms to add.

For one theme and the latest coded sample: the replies coders tagged with
the theme but the tagger did not (false negatives: they lower recall) and
the reverse (false positives), and include terms suggested from the missed
replies — words and two-word phrases over-represented in them compared with
every other stored reply the theme does not tag, ranked by the log-odds ratio
with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
Words"), which keeps rare words from topping the list by chance. Counts are
replies (a word counts once per reply), in the match form the tagger uses, so
a suggested term matches exactly what it counted.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import polars as pl

from analysis.languages import compute_reply_languages, stop_words_for
from analysis.sample_validation import latest_coded_sample
from analysis.sampling import SampleError, latest_tag_run, load_run_tags, load_sample
from analysis.text import match_form, term_form
from analysis.topic_labels import CONTRACTIONS, NOISE_WORDS
from store import Store

PRIOR_REPLIES = 50.0  # α0: the prior's weight, in replies
MIN_Z = 1.0  # below one standard error a term is noise
STOP = stop_words_for(["en"]) | frozenset(CONTRACTIONS) | frozenset(NOISE_WORDS)


def misses_stop_words(languages: list[str]) -> frozenset[str]:
    """Words never suggested: the languages' stop words, English contractions, platform noise."""
    contractions = frozenset(CONTRACTIONS) if "en" in languages else frozenset()
    return stop_words_for(languages) | contractions | frozenset(NOISE_WORDS)


@dataclass(frozen=True)
class MissedReply:
    """A coded reply the tagger got wrong on the theme."""

    platform: str
    reply_id: str
    text: str
    human: float  # share of coders who ticked the theme


@dataclass(frozen=True)
class TermSuggestion:
    """A candidate include term with its counts (replies) and log-odds z-score."""

    term: str
    in_missed: int
    in_others: int
    z: float
    would_tag: int  # stored replies it would newly tag with the theme
    coded_without: int  # coded replies without the theme that contain it (new false positives)


@dataclass
class Misses:
    """What `codebook misses THEME` shows."""

    theme_id: str
    label: str
    sample_id: int
    tag_run_id: int
    coded: int
    missed: list[MissedReply]
    wrong: list[MissedReply]
    suggestions: list[TermSuggestion]
    include: list[str]


def compute_terms(text: str, stop: frozenset[str] = STOP) -> set[str]:
    """Words (3+ letters, no stop word) and two-word phrases (no stop word) of a match-form text."""
    words = [w for w in text.split() if w]
    keep = [len(w) >= 3 and w not in stop and not w.isdigit() for w in words]
    terms = {w for w, k in zip(words, keep, strict=True) if k}
    terms |= {
        f"{a} {b}"
        for (a, ka), (b, kb) in zip(
            zip(words, keep, strict=True), zip(words[1:], keep[1:], strict=True), strict=False
        )
        if ka and kb
    }
    return terms


def compute_log_odds(
    target: Counter[str], n_target: int, background: Counter[str], n_background: int
) -> dict[str, float]:
    """z-score of each term's log-odds ratio, target vs background, informative Dirichlet prior.

    The prior for a term is its rate over both groups times α0 (PRIOR_REPLIES):
    δ = log((y_i + α_w) / (n_i + α0 − y_i − α_w)) − log((y_j + α_w) / (n_j + α0 − y_j − α_w)),
    σ² ≈ 1 / (y_i + α_w) + 1 / (y_j + α_w), z = δ / σ.
    """
    total = n_target + n_background
    out: dict[str, float] = {}
    for term, y_i in target.items():
        y_j = background.get(term, 0)
        alpha = PRIOR_REPLIES * (y_i + y_j) / total
        a = PRIOR_REPLIES
        delta = math.log((y_i + alpha) / (n_target + a - y_i - alpha)) - math.log(
            (y_j + alpha) / (n_background + a - y_j - alpha)
        )
        out[term] = delta / math.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))
    return out


def _coded_for_theme(store: Store, sample_id: int, theme_id: str) -> pl.DataFrame:
    """platform, reply_id, human (share of its coders who ticked it) and text of coded replies."""
    coded = pl.from_arrow(
        store.con.sql(
            """SELECT h.platform, h.reply_id, avg(h.value::INT)::DOUBLE AS human,
                      any_value(r.text) AS text
               FROM human_codes h JOIN replies r USING (platform, reply_id)
               WHERE h.sample_id = ? AND h.theme_id = ?
               GROUP BY ALL ORDER BY h.platform, h.reply_id""",
            params=[sample_id, theme_id],
        ).to_arrow_table()
    )
    assert isinstance(coded, pl.DataFrame)
    if coded.height == 0:
        raise SampleError(f"sample {sample_id} holds no codes for theme {theme_id!r}.")
    return coded


def find_misses(
    store: Store, theme_id: str, *, sample_id: int | None = None, top: int = 15
) -> Misses:
    """The coded replies the tagger missed or wrongly tagged for a theme, and terms to add."""
    tag_run, codebook_hash = latest_tag_run(store)
    themes = dict(
        store.con.execute(
            "SELECT theme_id, label FROM themes WHERE codebook_hash = ? ORDER BY position",
            [codebook_hash],
        ).fetchall()
    )
    if theme_id not in themes:
        raise SampleError(
            f"no theme {theme_id!r} in the latest tagging run's codebook; its themes: "
            f"{', '.join(themes)}."
        )
    chosen = sample_id if sample_id is not None else latest_coded_sample(store)
    if chosen is None:
        raise SampleError(
            "no coded sample yet: `replyscope review sample --n 200 -o sample.xlsx`, code it, then "
            "`replyscope review import sample.xlsx --coder NAME`."
        )
    coded = _coded_for_theme(store, chosen, theme_id)
    info = load_sample(store, chosen)
    tags = load_run_tags(store, tag_run, blind_to=info).filter(pl.col("theme_id") == theme_id)
    tagged = set(zip(tags["platform"].to_list(), tags["reply_id"].to_list(), strict=True))
    missed, wrong = [], []
    for platform, reply_id, human, text in coded.iter_rows():
        auto = (platform, reply_id) in tagged
        if human >= 0.5 and not auto:
            missed.append(MissedReply(platform, reply_id, text, human))
        elif human < 0.5 and auto:
            wrong.append(MissedReply(platform, reply_id, text, human))
    include = [
        r[0]
        for r in store.con.execute(
            "SELECT term FROM theme_terms WHERE codebook_hash = ? AND theme_id = ? "
            "AND kind = 'include'",
            [codebook_hash, theme_id],
        ).fetchall()
    ]
    have = {term_form(t.rstrip("*")) for t in include}
    suggestions = _suggest(store, coded, missed, tagged, have, top)
    return Misses(
        theme_id,
        themes[theme_id],
        chosen,
        tag_run,
        coded.height,
        missed,
        wrong,
        suggestions,
        include,
    )


def _suggest(
    store: Store,
    coded: pl.DataFrame,
    missed: list[MissedReply],
    tagged: set[tuple[str, str]],
    include: set[str],
    top: int,
) -> list[TermSuggestion]:
    """Rank the missed replies' terms against every other untagged reply."""
    if not missed:
        return []
    replies = pl.from_arrow(
        store.con.sql("SELECT platform, reply_id, text FROM replies").to_arrow_table()
    )
    assert isinstance(replies, pl.DataFrame)
    forms = match_form(replies["text"]).to_list()
    # The stop words of the replies' own languages: a German sample gets no "die" or "und".
    stop = misses_stop_words(compute_reply_languages(store).languages)
    keys = list(zip(replies["platform"].to_list(), replies["reply_id"].to_list(), strict=True))
    missed_keys = {(m.platform, m.reply_id) for m in missed}
    not_theme = {
        (p, r) for p, r, h in coded.select("platform", "reply_id", "human").iter_rows() if h < 0.5
    }
    target: Counter[str] = Counter()
    background: Counter[str] = Counter()
    would: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    n_background = 0
    for key, form in zip(keys, forms, strict=True):
        terms = compute_terms(form, stop)
        if key in missed_keys:
            target.update(terms)
        elif key not in tagged:
            background.update(terms)
            n_background += 1
        if key not in tagged:
            would.update(terms)
        if key in not_theme:
            false_pos.update(terms)
    z = compute_log_odds(target, len(missed_keys), background, n_background)
    floor = 2 if len(missed_keys) >= 5 else 1
    ranked = sorted(
        (t for t in z if target[t] >= floor and t not in include and z[t] >= MIN_Z),
        key=lambda t: (-z[t], t),
    )
    return [
        TermSuggestion(t, target[t], background[t], z[t], would[t], false_pos[t])
        for t in ranked[:top]
    ]
