"""Describing topics: c-TF-IDF words, labels, representatives, tables by time and theme.

Topic words come from BERTopic's c-TF-IDF over a `CountVectorizer` built
here: the stop words of the replies' languages (analysis.languages), English
contractions when English is one of them, platform noise (rt, amp, https,
t.co, @handles, numbers) and the words of the question the thread asked are
left out of the topic words only — the embeddings still see the full reply text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import CountVectorizer

from analysis.languages import snowball_stem, stop_words_for
from analysis.text import fold_one
from store import Store, fetch_one

# English contractions as the preprocessor leaves them (apostrophes dropped).
CONTRACTIONS = (
    "aint arent cant couldnt didnt doesnt dont hadnt hasnt havent hes im isnt ive lets mightnt "
    "mustnt shant shes shouldnt thats theres theyd theyll theyre theyve wasnt weve werent whats "
    "wheres whos wont wouldnt youd youll youre youve"
).split()
# ("ill", "shed", "wed" are left out: they are also words.)
# Platform and web noise that survives URL and handle removal, and reply filler.
NOISE_WORDS = (
    "rt amp https http www com co uk org tco html via lol yeah yes ok okay oh gonna wanna "
    "got get just like really thing things lot ha haha hahaha lmao omg"
).split()
OUTLIER_LABEL = "Unassigned (no clear topic)"
TOP_WORDS = 10


class TopicError(Exception):
    """A topics run that cannot go ahead; the message says what to do."""


_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\bt\.co/\S*")
_HANDLE = re.compile(r"(?<![\w@])@[\w.\-]+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_NON_WORD = re.compile(r"[^\w]+|\d+|_")
# Phrase breaks: an n-gram never spans one (nor a removed stop word).
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”…|/\n\t]+|\s[-–—]+\s")
# Words of two or more letters (numbers never become topic words).
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


# Scripts written without spaces between words (Chinese, Japanese kana): a
# run of them is one "word" to the token pattern, so it is cut into
# overlapping two-character pieces instead (the usual dictionary-free way).
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def clean_for_words(text: str, *, keep_accents: bool = False) -> str:
    """Lower-case text without URLs, @handles, HTML entities, numbers and apostrophes.

    Accents go too, unless keep_accents.
    """
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _ENTITY.sub(" ", text)
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    text = _APOSTROPHE.sub("", text).lower()
    if not text.isascii():
        if keep_accents:
            # Composed, so "Zuhören" stays one word whichever way it was typed.
            text = unicodedata.normalize("NFC", text)
        else:
            text = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text)


def _unspaced_pieces(word: str) -> list[str] | None:
    """Two-character pieces of a token's Chinese/Japanese runs (and its other parts), or None."""
    if word.isascii() or not _UNSPACED.search(word):
        return None
    out: list[str] = []
    pos = 0
    for m in _UNSPACED.finditer(word):
        if m.start() - pos >= 2:
            out.append(word[pos : m.start()])
        run = m.group(0)
        out.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)) if len(run) >= 2)
        pos = m.end()
    if len(word) - pos >= 2:
        out.append(word[pos:])
    return out


class PhraseCountVectorizer(CountVectorizer):
    """A CountVectorizer whose n-grams stay inside a phrase and never bridge a stop word.

    Plain CountVectorizer drops stop words and then joins the neighbours, so
    "I agree. New ideas" gives the bigram "agree new"; here it gives none,
    while "psychological safety" and "fruit bowl" stay.
    """

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """Tokens and within-phrase n-grams of one document."""
        stop = frozenset(self.get_stop_words() or ())
        token = re.compile(self.token_pattern)
        low, high = self.ngram_range

        def is_stop(word: str) -> bool:
            # Stop and question words are kept accent-free; topic words keep their accents.
            return word in stop or (not word.isascii() and fold_one(word) in stop)

        def analyze(doc: str) -> list[str]:
            doc = _HANDLE.sub(" ", _URL.sub(" ", doc))
            out: list[str] = []
            for phrase in _PHRASE_BREAK.split(doc):
                run: list[str] = []
                for word in [*token.findall(clean_for_words(phrase, keep_accents=True)), ""]:
                    pieces = _unspaced_pieces(word) if word else None
                    if pieces is None and word and not is_stop(word):
                        run.append(word)
                        continue
                    for n in range(low, high + 1):
                        out.extend(" ".join(run[i : i + n]) for i in range(len(run) - n + 1))
                    run = []
                    # Chinese/Japanese pieces are topic words of their own, never in phrases.
                    out.extend(p for p in pieces or () if not is_stop(p))
            return out

        return analyze


def question_words(texts: Iterable[str]) -> list[str]:
    """The words of the thread's opening post(s), in the vectorizer's form.

    Only the store's own posts: a thread whose post is not stored adds no
    question words (another question's words would hide this thread's topics).
    """
    words: set[str] = set()
    for text in texts:
        words.update(w for w in clean_for_words(text or "").split() if len(w) > 1)
    return sorted(words)


def stop_words(extra: Iterable[str] = (), languages: Iterable[str] = ("en",)) -> list[str]:
    """Stop words of the languages, English contractions, platform noise and the extra words."""
    langs = [lang.lower() for lang in languages]
    base = {clean_for_words(w).strip() for w in stop_words_for(langs)}
    contractions = set(CONTRACTIONS) if "en" in langs else set()
    return sorted({w for w in base if w} | contractions | set(NOISE_WORDS) | set(extra))


def make_vectorizer(
    words: Sequence[str], *, ngram_range: tuple[int, int] = (1, 2)
) -> CountVectorizer:
    """The CountVectorizer BERTopic builds its c-TF-IDF topic words with."""
    return PhraseCountVectorizer(
        token_pattern=TOKEN_PATTERN,
        stop_words=list(words),
        ngram_range=ngram_range,
    )


def has_vocabulary(vectorizer: CountVectorizer, texts: Sequence[str]) -> bool:
    """Whether any topic word is left in texts once the stop words are removed."""
    try:
        vectorizer.fit(list(texts))
    except ValueError:  # sklearn: "empty vocabulary; perhaps the documents only contain stop words"
        return False
    return True


def choose_vectorizer(
    docs: Sequence[str], extra_stop_words: Iterable[str] = (), languages: Sequence[str] = ("en",)
) -> CountVectorizer:
    """The vectorizer for these replies: all stop words, or fewer when nothing else would stay."""
    probe = list(docs[:5000])
    for words in (stop_words(extra_stop_words, languages), stop_words((), languages), []):
        vectorizer = make_vectorizer(words)
        if has_vocabulary(vectorizer, probe):
            return vectorizer
    raise TopicError(
        f"none of the {len(docs)} replies has any words (only emoji, links or numbers?), "
        "so there is nothing to name topics with."
    )


def load_question_texts(store: Store) -> list[str]:
    """Text of the threads' opening posts (the question people answered)."""
    return [
        r[0]
        for r in store.con.execute("SELECT text FROM threads WHERE text IS NOT NULL").fetchall()
    ]


def _stem(word: str) -> str:
    # Enough to keep "listen" and "listening", "manager" and "managers" out of one label.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def label_stemmer(languages: Sequence[str] = ("en",)) -> Callable[[str], str]:
    """How labels tell two forms of one word apart: Snowball in the main language, if not English.

    English keeps the light suffix rule the demo's labels were chosen with;
    another language uses its Snowball stemmer ("Süß, Süße" -> one word).
    """
    main = languages[0] if languages else "en"
    snowball = None if main == "en" else snowball_stem(main)
    if snowball is None:
        return _stem
    return lambda word: snowball(fold_one(word))


def _display(word: str, texts: Sequence[str]) -> str:
    """The word as the replies mostly write it when that is all capitals (NHS), else title case."""
    pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, word.split())) + r"\b", re.IGNORECASE)
    forms: dict[str, int] = {}
    for text in texts:
        for form in pattern.findall(text):
            forms[form] = forms.get(form, 0) + 1
    if forms:
        top = max(forms, key=lambda f: (forms[f], f.isupper(), f))
        if top.isupper() and len(top) > 1:
            return top
    return word.title()


def compute_label(
    keywords: Sequence[tuple[str, float]],
    topic_id: int,
    texts: Sequence[str] = (),
    size: int = 3,
    stem: Callable[[str], str] = _stem,
) -> str:
    """A short title: top keywords sharing no word with an earlier one, spelled as in replies."""
    if topic_id == -1:
        return OUTLIER_LABEL
    chosen: list[str] = []
    seen: set[str] = set()
    for word, weight in keywords:
        # "psychological" -> "psychological safety" when that phrase weighs almost as much.
        phrase = next(
            (p for p, v in keywords if " " in p and word in p.split() and v >= 0.6 * weight),
            None,
        )
        word = phrase if phrase and " " not in word else word
        stems = {stem(w) for w in word.split()}
        if not word or stems & seen:
            continue
        chosen.append(word)
        seen |= stems
        if len(chosen) == size:
            break
    return ", ".join(_display(w, texts) for w in chosen) or f"Topic {topic_id}"


def compute_representatives(
    assignments: np.ndarray, embeddings: np.ndarray, texts: Sequence[str], n: int = 3
) -> dict[int, list[int]]:
    """Row numbers of the n replies nearest each topic's centroid (distinct texts; ties by row)."""
    out: dict[int, list[int]] = {}
    for topic in np.unique(assignments).tolist():
        rows = np.flatnonzero(assignments == topic)
        centroid = embeddings[rows].mean(axis=0)
        norm = float(np.linalg.norm(centroid)) or 1.0
        sims = embeddings[rows] @ (centroid / norm)
        # lexsort: last key first -> highest similarity, then lowest row number.
        order = rows[np.lexsort((rows, -sims))]
        picked: list[int] = []
        seen: set[str] = set()
        for row in order.tolist():
            key = " ".join(clean_for_words(texts[row]).split())
            if key in seen:
                continue
            seen.add(key)
            picked.append(row)
            if len(picked) == n:
                break
        out[int(topic)] = picked
    return out


def compute_topic_table(
    replies: pl.DataFrame,
    vectors: np.ndarray,
    topics: np.ndarray,
    keywords: dict[int, list[tuple[str, float]]],
    *,
    label_texts: Sequence[str] | None = None,
    stem: Callable[[str], str] = _stem,
) -> pl.DataFrame:
    """One row per topic: label, size, likes, keywords and representative replies.

    label_texts: the texts the labels take their spelling from (default the
    replies' text; topics passes them with contact details removed); stem:
    how two forms of a word are told to be one (label_stemmer).
    """
    texts = replies["text"].to_list()
    spelled = texts if label_texts is None else list(label_texts)
    reps = compute_representatives(topics, vectors, texts)
    likes = np.asarray(replies["like_count"].to_list(), dtype=np.int64)
    platforms = replies["platform"].to_list()
    ids = replies["reply_id"].to_list()
    rows = []
    for t in sorted(reps, key=lambda t: (t == -1, t)):
        members = topics == t
        kw = keywords.get(t, [])
        rows.append(
            {
                "topic_id": t,
                # Spelling (NHS, not Nhs) from a bounded sample of the topic's replies.
                "label": compute_label(
                    kw, t, [spelled[r] for r in np.flatnonzero(members)[:500]], stem=stem
                ),
                "size": int(members.sum()),
                "likes": int(likes[members].sum()),
                "keywords": json.dumps([[w, v] for w, v in kw], ensure_ascii=False),
                "representative": json.dumps(
                    [
                        {"platform": platforms[r], "reply_id": ids[r], "text": texts[r]}
                        for r in reps[t]
                    ],
                    ensure_ascii=False,
                ),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "topic_id": pl.Int32,
            "label": pl.String,
            "size": pl.Int64,
            "likes": pl.Int64,
            "keywords": pl.String,
            "representative": pl.String,
        },
    )


def compute_topic_theme_crosstab(store: Store, run_id: int) -> pl.DataFrame:
    """Replies per (topic, theme of the latest tagging run); theme_id null for untagged replies."""
    frame = pl.from_arrow(
        store.con.sql(
            """SELECT t.topic_id, g.theme_id, count(*) AS replies
               FROM reply_topics t LEFT JOIN reply_theme_tags g USING (platform, reply_id)
               WHERE t.run_id = ?
               GROUP BY ALL ORDER BY t.topic_id, g.theme_id NULLS LAST""",
            params=[run_id],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("topic_id").cast(pl.Int32), pl.col("replies").cast(pl.Int64))


def latest_topic_run(store: Store) -> int:
    """run_id of the latest topics run (TopicError when there is none)."""
    row = fetch_one(store.con, "SELECT max(run_id) FROM topic_runs")
    if row is None or row[0] is None:
        raise TopicError("no topics run yet: run `replyscope topics` first.")
    return int(row[0])


_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def freq_interval(freq: str) -> str:
    """A bucket size like 1d, 6h, 30m or 1w as a DuckDB interval ('1 days')."""
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", freq.lower())
    if not m or int(m.group(1)) == 0:
        raise TopicError(f"frequency {freq!r} must be a number and m, h, d or w, like 1d or 6h.")
    return f"{int(m.group(1))} {_UNITS[m.group(2)]}"


def compute_topics_over_time(store: Store, run_id: int, freq: str = "1d") -> pl.DataFrame:
    """Replies per (time bucket, topic) of a run, every bucket x topic (zeros included)."""
    interval = freq_interval(freq)
    frame = pl.from_arrow(
        store.con.sql(
            f"""WITH d AS (
                    SELECT time_bucket(INTERVAL '{interval}', r.created_at) AS bucket, t.topic_id
                    FROM reply_topics t JOIN replies r USING (platform, reply_id)
                    WHERE t.run_id = ? AND r.created_at IS NOT NULL
                ),
                b AS (
                    SELECT unnest(range(min(bucket), max(bucket) + INTERVAL '{interval}',
                                        INTERVAL '{interval}')) AS bucket
                    FROM d
                ),
                tp AS (SELECT DISTINCT topic_id FROM reply_topics WHERE run_id = ?)
                SELECT b.bucket, tp.topic_id, count(d.topic_id) AS replies
                FROM b CROSS JOIN tp
                LEFT JOIN d ON d.bucket = b.bucket AND d.topic_id = tp.topic_id
                GROUP BY ALL ORDER BY b.bucket, tp.topic_id""",
            params=[run_id, run_id],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("topic_id").cast(pl.Int32), pl.col("replies").cast(pl.Int64))
