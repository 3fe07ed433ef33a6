"""Draft a codebook from the replies' own topics (`codebook draft`, `codebook suggest`).

One theme per substantive topic of a topics run (the latest, or a new one
with the default options when the store has none): not the unassigned
replies (topic -1), not a topic of fewer than MIN_THEME_REPLIES replies or
one with no word that sets it apart. Each theme gets an ASCII id and a label
from its distinctive terms, those terms as include terms, and three example
replies that use them (contact details, links and handles removed); see
`analysis.draft_terms` for how terms are chosen. The codebook's name and
description come from the thread's post when the store knows it.

`suggest` drafts the same themes but keeps only the topics the current
codebook covers badly, judged on the data: the share of a topic's replies
that carry any theme of the latest tagging run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

from analysis.codebook import Codebook, Theme, load_codebook, parse_codebook
from analysis.draft_terms import (
    TermGroup,
    choose_examples,
    compute_distinctive_terms,
    count_topic_terms,
    display_forms,
    draft_stop_words,
    redact_example,
    spell_term,
    theme_id_from_label,
    unshared_terms,
)
from analysis.languages import SNOWBALL, main_languages, stemmer_for, stop_words_for
from analysis.text import match_form, redact_contacts, term_form
from analysis.topic_labels import TopicError, compute_label
from store import Store, fetch_one
from store_scope import scoped_threads
from textsafety import plural

MIN_THEME_REPLIES = 5  # a topic smaller than this is noise, not a theme
COUNT_SAMPLE = 50_000  # replies counted for terms and examples (a seeded sample above this)
SEED = 7
TITLE_CHARS = 70

Progress = Callable[[str], None]


@dataclass
class DraftTopic:
    """One topic of the run and the theme drafted from it (None, with the reason, when none)."""

    topic_id: int
    size: int
    topic_label: str
    theme: Theme | None
    terms: list[TermGroup]
    skipped: str = ""
    covered: int = 0  # replies carrying a theme of the current codebook (suggest only)

    @property
    def share(self) -> float:
        """Share of the topic's replies that carry a theme of the current codebook."""
        return self.covered / self.size if self.size else 0.0


@dataclass
class CodebookDraft:
    """A codebook drafted from one topics run of the stored replies."""

    topic_run: int
    ran_topics: bool  # the draft ran the topic model itself (the store had no topics run)
    replies: int
    languages: list[str]  # the replies' main languages, largest first
    title: str
    question: str | None
    topics: list[DraftTopic]
    stale: str | None = None  # set when replies were added or removed after the topics run

    @property
    def themes(self) -> list[Theme]:
        """The drafted themes, largest topic first."""
        return [t.theme for t in self.topics if t.theme is not None]

    def codebook(self, themes: Sequence[Theme] | None = None, name: str | None = None) -> Codebook:
        """The draft as a codebook, in the replies' main language."""
        about = f"the replies to: “{self.question}”" if self.question else f"“{self.title}”"
        description = (
            f"Drafted by replyscope from topics run {self.topic_run} of {about} "
            f"({plural(self.replies, 'reply', 'replies')}; main language {self.languages[0]}). "
            "Review every theme: rename it, describe it, prune its terms, then check it with "
            "`replyscope codebook check`."
        )
        # The replies' main language, so terms match every form of their words
        # (stemmed matching), when Snowball has a stemmer for it.
        language = self.languages[0] if self.languages[0] in SNOWBALL else None
        return Codebook(
            name=name or self.title,
            version=f"draft-topics{self.topic_run}",
            themes=list(self.themes if themes is None else themes),
            description=description,
            language=language,
        )


def resolve_topic_run(
    store: Store, run_id: int | None, progress: Progress | None
) -> tuple[int, bool]:
    """(topics run to draft from, whether it was run now): the given, the latest, or a new one."""
    if run_id is not None:
        if not fetch_one(store.con, "SELECT 1 FROM topic_runs WHERE run_id = ?", [run_id]):
            raise TopicError(
                f"there is no topics run {run_id}; list them with: "
                'replyscope sql "SELECT * FROM topic_runs"'
            )
        return run_id, False
    # A session on one thread (`--thread`) drafts from a run made on it or on the
    # whole store; a whole-store session never from a run made on one thread.
    scope = scoped_threads(store)
    thread = scope[0] if scope else None
    row = fetch_one(
        store.con,
        """SELECT max(run_id) FROM topic_runs
           WHERE coalesce(json_extract_string(parameters, '$.thread'), '') IN ('', ?)""",
        [thread or ""],
    )
    if row is not None and row[0] is not None:
        return int(row[0]), False
    from analysis.topics import TopicOptions, compute_topic_run

    if progress:
        progress("no topics run yet: modelling the replies' topics first")
    return compute_topic_run(store, TopicOptions(thread=thread), progress=progress).run_id, True


def load_draft_inputs(store: Store, run_id: int) -> pl.DataFrame:
    """topic_id, text, like_count of a topics run's replies (a seeded sample when very many)."""
    frame = pl.from_arrow(
        store.con.sql(
            """SELECT t.topic_id, r.text, coalesce(r.like_count, 0) AS like_count
               FROM reply_topics t JOIN replies r USING (platform, reply_id)
               WHERE t.run_id = ? ORDER BY t.platform, t.reply_id""",
            params=[run_id],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    if frame.height > COUNT_SAMPLE:
        frame = frame.sample(COUNT_SAMPLE, seed=SEED).sort("topic_id", maintain_order=True)
    return frame


def _stale_note(store: Store, run_id: int) -> str | None:
    """A note when replies were stored after the topics run (replies with no words never count)."""
    row = fetch_one(
        store.con,
        # Counted within the session's replies (one thread's, with --thread).
        "SELECT (SELECT count(*) FROM replies), (SELECT count(*) FROM reply_topics "
        "SEMI JOIN replies USING (platform, reply_id) WHERE run_id = ?), "
        "(SELECT coalesce(parameters->>'left_out_no_words', '0')::INT "
        "FROM topic_runs WHERE run_id = ?)",
        [run_id, run_id],
    )
    if row is None:
        return None
    stored, assigned, left_out = (int(v or 0) for v in row)
    if stored <= assigned + left_out:
        return None
    return (
        f"topics run {run_id} covers {assigned} of the {stored} stored replies; "
        "run `replyscope topics` and draft again to include the others."
    )


def reply_stop_words(texts: pl.Series) -> tuple[list[str], list[frozenset[str]]]:
    """The replies' main languages, and each reply's stop words: theirs and its own language's.

    A Welsh reply in an English thread loses "dim" and "yn" too.
    """
    from analysis.quality import compute_languages

    langs = compute_languages(texts)["lang"]
    counts = langs.drop_nulls().value_counts(sort=True)
    total = max(1, int(counts["count"].sum())) if counts.height else 1
    shares = {str(lang): int(n) / total for lang, n in counts.iter_rows()}
    main = main_languages(shares)
    base = draft_stop_words(stop_words_for(main))
    own = {
        lang: base | draft_stop_words(stop_words_for([lang])) for lang in shares if lang not in main
    }
    return main, [own.get(str(lang), base) if lang else base for lang in langs.to_list()]


def compute_codebook_draft(
    store: Store, *, run_id: int | None = None, progress: Progress | None = None
) -> CodebookDraft:
    """Draft a codebook from a topics run (default: the latest, or a new one when none)."""
    topic_run, ran = resolve_topic_run(store, run_id, progress)
    frame = load_draft_inputs(store, topic_run)
    if frame.is_empty():
        raise TopicError(f"topics run {topic_run} has no replies to draft themes from.")
    if progress:
        progress("choosing each topic's distinctive terms")
    clean = redact_contacts(frame["text"])
    languages, stops = reply_stop_words(clean)
    forms = match_form(clean).to_list()
    topics = frame["topic_id"].to_list()
    counts = count_topic_terms(forms, topics, stops)
    stemmer = stemmer_for(languages[0])
    labels = dict(
        store.con.execute(
            "SELECT topic_id, label FROM topics WHERE run_id = ?", [topic_run]
        ).fetchall()
    )
    texts = clean.to_list()
    likes = frame["like_count"].to_list()
    sizes = sorted(counts.sizes.items(), key=lambda s: (-s[1], s[0]))
    groups = unshared_terms(
        {t: compute_distinctive_terms(counts, t, stemmer) for t, n in sizes if t != -1}
    )
    taken: set[str] = set()
    drafted: list[DraftTopic] = []
    for topic, _ in sizes:
        if topic == -1:
            continue
        rows = [i for i, t in enumerate(topics) if t == topic]
        drafted.append(
            _draft_topic(
                topic,
                str(labels.get(topic, f"Topic {topic}")),
                groups[topic],
                ([texts[i] for i in rows], [forms[i] for i in rows], [likes[i] for i in rows]),
                taken,
                languages[0],
                topic_run,
            )
        )
    title, question = describe_thread(store)
    return CodebookDraft(
        topic_run,
        ran,
        len(texts),
        languages,
        title,
        question,
        drafted,
        _stale_note(store, topic_run),
    )


def _draft_topic(
    topic: int,
    topic_label: str,
    groups: list[TermGroup],
    replies: tuple[list[str], list[str], list[int]],
    taken: set[str],
    language: str,
    run_id: int,
) -> DraftTopic:
    """The theme drafted from a topic's replies (text, match form, likes) and terms, or why not."""
    texts, forms, likes = replies
    size = len(texts)
    if size < MIN_THEME_REPLIES:
        why = f"only {plural(size, 'reply', 'replies')}: too small to be a theme"
        return DraftTopic(topic, size, topic_label, None, [], why)
    if not groups:
        why = "no word sets its replies apart (only @mentions, emoji or everyday words?)"
        return DraftTopic(topic, size, topic_label, None, [], why)
    spelled = display_forms(texts, {w for g in groups for f in g.forms for w in f.split()})
    include = [spell_term(f, spelled) for g in groups for f in g.forms]
    label = compute_label([(spell_term(g.forms[0], spelled), g.z) for g in groups], topic, texts)
    tid = theme_id_from_label(label, taken, language)
    taken.add(tid)
    theme = Theme(
        id=tid,
        label=label,
        description=(
            f"Drafted from topic {topic} of topics run {run_id} ({plural(size, 'reply', 'replies')}"
            f"; the model called it “{topic_label}”): its include terms are the words found far "
            "more often in these replies than in the others. Check the terms and examples, then "
            "rename and describe the theme."
        ),
        include=include,
        examples=choose_examples(texts, forms, likes, [term_form(t) for t in include]),
    )
    return DraftTopic(topic, size, topic_label, theme, groups)


def describe_thread(store: Store) -> tuple[str, str | None]:
    """(codebook name, the question asked): the thread's post, its Reddit title, or the file."""
    rows = store.con.execute(
        """SELECT t.text, t.url FROM threads t
           JOIN (SELECT thread_id, count(*) AS n FROM replies GROUP BY ALL) r USING (thread_id)
           ORDER BY r.n DESC, t.thread_id"""
    ).fetchall()
    if len(rows) == 1:
        text, url = rows[0]
        if text and redact_example(str(text)).strip():
            question = redact_example(str(text))
            return _shorten(question), question
        slug = _reddit_title(str(url or ""))
        if slug:
            return _shorten(slug), slug
    files = [
        PurePosixPath(str(p).replace("\\", "/")).stem
        for (p,) in store.con.execute(
            "SELECT DISTINCT input_path FROM runs WHERE kind = 'import' AND input_path IS NOT NULL"
        ).fetchall()
    ]
    threads = f" ({plural(len(rows), 'thread')})" if len(rows) > 1 else ""
    if len(files) == 1:
        return f"Replies in {files[0]}{threads}", None
    return f"Replies{threads or ''} drafted by replyscope", None


def _reddit_title(url: str) -> str:
    """The title in a Reddit post URL's slug (/r/x/comments/id/the_title/), or ''."""
    m = re.search(r"/comments/[a-z0-9]+/([A-Za-z0-9_]+)", url)
    return m.group(1).replace("_", " ").strip().capitalize() if m else ""


def _shorten(text: str) -> str:
    """The first line of text, cut at a word near TITLE_CHARS."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), text.strip())
    if len(line) <= TITLE_CHARS:
        return line
    return line[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:-") + "…"


@dataclass
class CodebookSuggestion:
    """Draft themes for the topics the current codebook (if any) covers badly."""

    draft: CodebookDraft
    tag_run: int | None
    codebook: Codebook | None  # the codebook of the latest tagging run
    by_topic: dict[int, Theme]  # the draft themes, by the topic they come from
    misfit: list[str] = dataclasses.field(default_factory=list)  # why the codebook fits badly

    @property
    def drafts(self) -> list[Theme]:
        """The draft themes, largest topic first."""
        return list(self.by_topic.values())

    @property
    def topic_run(self) -> int:
        """The topics run the drafts come from."""
        return self.draft.topic_run

    @property
    def coverage(self) -> list[DraftTopic]:
        """Every topic of the run, with its coverage by the current codebook."""
        return self.draft.topics

    def draft_codebook(self, *, only_new: bool = False) -> Codebook:
        """The current codebook with the drafts appended (or the drafts alone)."""
        if self.codebook is None or only_new:
            return self.draft.codebook(self.drafts)
        default = self.codebook.hash == load_codebook(None).hash
        # The bundled codebook's name says what it is about; the draft is about this thread.
        name = self.draft.title if default else f"{self.codebook.name} + drafted themes"
        return dataclasses.replace(
            self.draft.codebook([*self.codebook.themes, *self.drafts], name=name),
            version=f"{self.codebook.version}+topics{self.topic_run}",
        )


def latest_tag_codebook(store: Store) -> tuple[int, Codebook] | None:
    """(run, codebook) of the latest tagging run, or None when nothing has been tagged."""
    row = fetch_one(
        store.con,
        "SELECT run_id, json_extract_string(parameters, '$.codebook_hash') FROM runs "
        "WHERE kind = 'tag' AND status = 'ok' ORDER BY run_id DESC LIMIT 1",
    )
    if row is None:
        return None
    tag_run, codebook_hash = int(row[0]), str(row[1])
    toml = fetch_one(
        store.con, "SELECT toml, source FROM codebooks WHERE codebook_hash = ?", [codebook_hash]
    )
    if toml is None:
        raise TopicError(
            f"tagging run {tag_run} names codebook {codebook_hash}, which is not stored."
        )
    return tag_run, parse_codebook(str(toml[0]), source=str(toml[1] or codebook_hash))


def compute_codebook_suggestions(
    store: Store,
    *,
    run_id: int | None = None,
    threshold: float = 0.30,
    progress: Progress | None = None,
) -> CodebookSuggestion:
    """Draft themes for a topics run's topics of which under `threshold` carry any theme.

    Without a tagging run every substantive topic gets a theme (as `codebook draft`).
    """
    draft = compute_codebook_draft(store, run_id=run_id, progress=progress)
    latest = latest_tag_codebook(store)
    if latest is None:
        return CodebookSuggestion(
            draft, None, None, {t.topic_id: t.theme for t in draft.topics if t.theme}
        )
    tag_run, codebook = latest
    covered = dict(
        store.con.execute(
            """SELECT rt.topic_id, count(DISTINCT (rt.platform, rt.reply_id))
               FROM reply_topics rt
               JOIN (SELECT DISTINCT platform, reply_id FROM reply_theme_tags) g
                 USING (platform, reply_id)
               WHERE rt.run_id = ? GROUP BY ALL""",
            [draft.topic_run],
        ).fetchall()
    )
    sizes = dict(
        store.con.execute(
            "SELECT topic_id, count(*) FROM reply_topics WHERE run_id = ? GROUP BY ALL",
            [draft.topic_run],
        ).fetchall()
    )
    own = {t.id for t in codebook.themes}
    taken = own | {t.id for t in draft.themes}
    existing = {term_form(term.rstrip("*")) for t in codebook.themes for term in t.include}
    drafts: dict[int, Theme] = {}
    for topic in draft.topics:
        topic.size = int(sizes.get(topic.topic_id, topic.size))
        topic.covered = int(covered.get(topic.topic_id, 0))
        if topic.theme is None or topic.share >= threshold:
            continue
        drafts[topic.topic_id] = _fresh_theme(topic.theme, own, taken, existing, draft.languages[0])
    return CodebookSuggestion(draft, tag_run, codebook, drafts, _misfit(store, codebook, tag_run))


def _misfit(store: Store, codebook: Codebook, tag_run: int) -> list[str]:
    """Why the latest tagging run's codebook fits the replies badly (empty when it fits)."""
    from analysis.codebook_fit import compute_codebook_fit

    texts = pl.Series(
        "text", [r[0] for r in store.con.execute("SELECT text FROM replies").fetchall()]
    )
    counts = dict(
        store.con.execute(
            "SELECT theme_id, replies FROM theme_stats WHERE run_id = ?", [tag_run]
        ).fetchall()
    )
    tagged = fetch_one(
        store.con, "SELECT count(DISTINCT (platform, reply_id)) FROM reply_theme_tags"
    )
    return compute_codebook_fit(codebook, texts, int(tagged[0]) if tagged else 0, counts)


def _fresh_theme(
    theme: Theme, own: set[str], taken: set[str], existing: set[str], language: str
) -> Theme:
    """The theme with an id the codebook does not use and without its terms, when others remain.

    A term the codebook already has stays when it is all the theme has: coverage
    is judged on the replies, not on the terms' names.
    """
    new = [t for t in theme.include if term_form(t) not in existing]
    tid = theme.id if theme.id not in own else theme_id_from_label(theme.label, taken, language)
    taken.add(tid)
    return dataclasses.replace(theme, id=tid, include=new or theme.include)
