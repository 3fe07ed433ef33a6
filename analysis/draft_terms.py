"""What a drafted theme is made of: distinctive terms per topic, ASCII ids, redacted examples.

Terms are counted in the form keyword tagging matches (`analysis.text.match_form`:
lower case, accents folded, punctuation as spaces), one count per reply, so a
drafted term matches exactly the replies it was counted in. A term is a word
of three or more letters, or two such words in a row, and never a stop word of
the thread's main languages nor of the reply's own language (detected per
reply, `analysis.languages`), platform noise or a number. Each topic's terms
are ranked by the log-odds ratio of their reply counts in the topic against
every other reply, with an informative Dirichlet prior (Monroe, Colaresi &
Quinn 2008, as `codebook misses` does), and kept when at least one standard
error above zero and twice as frequent in the topic as elsewhere; a term in
more than MAX_TERM_SHARE of all replies, or in nearly every topic, tells no
topic apart and is left out, and so is a phrase holding such a word. Each
term goes to the one topic where it is most distinctive. Inflected forms of
one word (Snowball stem of the main language: fight, fights, fighting) are
kept together as one group.

Theme ids are ASCII: accents dropped (é -> e, ä -> a), ß -> ss, æ -> ae,
œ -> oe, ø -> o; in a German thread the umlauts are written out as Germans
do without them (ä -> ae, ö -> oe, ü -> ue: "Süß" -> "suess").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analysis.codebook import THEME_ID, term_problem
from analysis.languages import Stemmer, fold_word
from analysis.topic_labels import CONTRACTIONS, NOISE_WORDS
from textsafety import redact_contacts, remove_links

PRIOR_REPLIES = 50.0  # α0 of the log-odds prior, in replies
MIN_Z = 1.0  # below one standard error a term is noise
MIN_LIFT = 2.0  # a term at least twice as frequent in its topic's replies as in the others
MAX_TERM_SHARE = 0.15  # a term in more replies than this is too broad to tell themes apart
SPREAD_TOPICS = 0.9  # a term found in this share of the topics (4 or more) belongs to none
MIN_TERM_SHARE = 0.03  # of the topic's replies (and at least 2 replies)
MAX_GROUPS = 6  # include-term groups per theme
MAX_FORMS = 3  # inflected forms per group
EXAMPLE_CHARS = 300
# English clitics as match form leaves them ("don't" -> "don t"); "won" is a word.
CLITIC_PIECES = frozenset(
    "don doesn didn isn aren wasn weren hasn haven hadn couldn wouldn shouldn mustn mightn "
    "needn ain ll ve".split()
)
_ID_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l"}
_GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue"}
_HANDLE = re.compile(r"(?<![\w@])@[\w.\-]+")
_REDDIT_USER = re.compile(r"(?<![\w/])/?u/[\w-]+")
_WORD = re.compile(r"[^\W_]+")


def ascii_words(text: str, language: str = "") -> list[str]:
    """The words of text in lower-case ASCII ("Süß, Süße" -> suss, susse; German: suess, suesse)."""
    low = unicodedata.normalize("NFC", text.lower())
    if language.lower() == "de":
        low = "".join(_GERMAN.get(c, c) for c in low)
    low = "".join(_ID_LETTERS.get(c, c) for c in low)
    folded = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", folded).split()


def theme_id_from_label(label: str, taken: set[str], language: str = "") -> str:
    """A valid, unused ASCII theme id from a label ("Pizza, Fruit Bowl" -> pizza_fruit_bowl)."""
    base = ""
    for word in ascii_words(label, language):
        if not base:
            base = word[:32]  # a first word longer than an id is cut
        elif len(base) + 1 + len(word) > 32:
            break  # whole words only after the first
        else:
            base = f"{base}_{word}"
    if not base or not base[0].isalpha():
        base = f"topic_{base}".strip("_")
    tid, n = base, 2
    while tid in taken or not THEME_ID.match(tid):
        tid = f"{base[:36]}_{n}"
        n += 1
    return tid


def draft_stop_words(language_stop_words: Iterable[str]) -> frozenset[str]:
    """Stop words of the languages, English contractions and clitics, platform noise."""
    return (
        frozenset(fold_word(w) for w in language_stop_words)
        | frozenset(CONTRACTIONS)
        | frozenset(NOISE_WORDS)
        | CLITIC_PIECES
    )


def reply_terms(form: str, stop: frozenset[str]) -> set[str]:
    """Words (3+ letters, no stop word or number) and two-word phrases of such words."""
    words = form.split()
    keep = [len(w) >= 3 and w not in stop and not any(c.isdigit() for c in w) for w in words]
    terms = {w for w, k in zip(words, keep, strict=True) if k}
    terms |= {
        f"{words[i]} {words[i + 1]}" for i in range(len(words) - 1) if keep[i] and keep[i + 1]
    }
    return terms


def log_odds_z(y_i: int, n_i: int, y_j: int, n_j: int) -> float:
    """z-score of a term's log-odds ratio, target (y_i of n_i) vs rest (y_j of n_j)."""
    total = n_i + n_j
    alpha = PRIOR_REPLIES * (y_i + y_j) / total
    a = PRIOR_REPLIES
    delta = math.log((y_i + alpha) / (n_i + a - y_i - alpha)) - math.log(
        (y_j + alpha) / max(n_j + a - y_j - alpha, 1e-9)
    )
    return delta / math.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))


@dataclass
class TermGroup:
    """One include term and its inflected forms, with the first form's z-score and replies."""

    forms: list[str]
    z: float
    replies: int


@dataclass
class TopicTerms:
    """Reply counts of every term, per topic and overall."""

    per_topic: dict[int, Counter[str]]
    sizes: dict[int, int]
    overall: Counter[str] = field(default_factory=Counter)

    @property
    def replies(self) -> int:
        """Replies counted."""
        return sum(self.sizes.values())


def count_topic_terms(
    forms: Sequence[str], topics: Sequence[int], stops: Sequence[frozenset[str]]
) -> TopicTerms:
    """Reply counts of every term per topic (outliers count in the overall figures only).

    stops: each reply's stop words (its own language's and the thread's main ones).
    """
    per_topic: dict[int, Counter[str]] = {}
    sizes: Counter[int] = Counter()
    overall: Counter[str] = Counter()
    for form, topic, stop in zip(forms, topics, stops, strict=True):
        terms = reply_terms(form, stop)
        overall.update(terms)
        sizes[topic] += 1
        per_topic.setdefault(topic, Counter()).update(terms)
    return TopicTerms(per_topic, dict(sizes), overall)


def compute_distinctive_terms(
    counts: TopicTerms, topic: int, stemmer: Stemmer | None
) -> list[TermGroup]:
    """The topic's distinctive terms, best first, inflected forms grouped (at most MAX_GROUPS)."""
    mine, n_i = counts.per_topic.get(topic, Counter()), counts.sizes.get(topic, 0)
    n_j = counts.replies - n_i
    topics = [t for t in counts.per_topic if t != -1]
    floor = max(2, math.ceil(MIN_TERM_SHARE * n_i))
    broad = MAX_TERM_SHARE * counts.replies
    scored: list[tuple[float, str]] = []
    for term, y_i in mine.items():
        y_all = counts.overall[term]
        if y_i < floor or any(counts.overall[w] > broad for w in term.split()):
            continue  # a phrase with a word in every other reply: its other word says it
        if len(topics) >= 4:
            present = sum(1 for t in topics if counts.per_topic[t].get(term))
            if present >= SPREAD_TOPICS * len(topics):
                continue
        if term_problem(term) is not None:
            continue
        if not n_j:
            scored.append((float(y_i), term))  # one topic: its most frequent terms
            continue
        z = log_odds_z(y_i, n_i, y_all - y_i, n_j)
        lift = (y_i / n_i) / ((y_all - y_i + 1) / (n_j + 1))
        if z >= MIN_Z and lift >= MIN_LIFT:
            scored.append((z, term))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return _group_forms(scored, mine, stemmer)


def _stem_key(term: str, stemmer: Stemmer | None) -> str:
    words = term.split()
    return " ".join(stemmer.stemWords(words) if stemmer else words)


def _group_forms(
    scored: list[tuple[float, str]], mine: Counter[str], stemmer: Stemmer | None
) -> list[TermGroup]:
    """Ranked terms into groups of one word's forms; a phrase holding a chosen word is dropped."""
    groups: dict[str, TermGroup] = {}
    chosen_words: set[str] = set()
    for z, term in scored:
        key = _stem_key(term, stemmer)
        if key in groups:
            if len(groups[key].forms) < MAX_FORMS:
                groups[key].forms.append(term)
                groups[key].replies += mine[term]
                chosen_words.add(term)
            continue
        if " " in term and chosen_words & set(term.split()):
            continue  # "trash talk" adds nothing once "trash" is a term
        if len(groups) == MAX_GROUPS:
            continue
        groups[key] = TermGroup([term], round(z, 2), mine[term])
        chosen_words.add(term)
    return list(groups.values())


def unshared_terms(groups: dict[int, list[TermGroup]]) -> dict[int, list[TermGroup]]:
    """Each term only in the topic where it is most distinctive (a theme keeps its best group).

    Two drafted themes sharing a term would both tag every reply using it.
    """
    best: dict[str, tuple[float, int]] = {}
    for topic, topic_groups in groups.items():
        for g in topic_groups:
            for form in g.forms:
                if form not in best or (g.z, -topic) > (best[form][0], -best[form][1]):
                    best[form] = (g.z, topic)
    out: dict[int, list[TermGroup]] = {}
    for topic, topic_groups in groups.items():
        kept = []
        for g in topic_groups:
            forms = [f for f in g.forms if best[f][1] == topic]
            if forms:
                kept.append(TermGroup(forms, g.z, g.replies))
        out[topic] = kept or topic_groups[:1]
    return out


def display_forms(texts: Iterable[str], folded: set[str]) -> dict[str, str]:
    """How the replies mostly spell each folded word (suße -> süße): lower case, accents kept."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        if text.isascii():
            continue
        for word in _WORD.findall(unicodedata.normalize("NFC", text.lower())):
            key = fold_word(word)
            if key in folded and key != word:
                seen.setdefault(key, Counter())[word] += 1
    return {key: forms.most_common(1)[0][0] for key, forms in seen.items()}


def spell_term(term: str, spelled: dict[str, str]) -> str:
    """A folded term written with the replies' accents (a folded word matches it either way)."""
    return " ".join(spelled.get(w, w) for w in term.split())


def redact_example(text: str) -> str:
    """A reply as a codebook example: no e-mails, phones, links, @handles or u/ names; cut short."""
    out = redact_contacts(remove_links(text))
    out = _HANDLE.sub("@someone", out)
    out = _REDDIT_USER.sub("u/someone", out)
    out = " ".join(out.split())
    return out if len(out) <= EXAMPLE_CHARS else out[: EXAMPLE_CHARS - 1].rstrip() + "…"


def choose_examples(
    texts: Sequence[str],
    forms: Sequence[str],
    likes: Sequence[int],
    terms: Sequence[str],
    n: int = 3,
) -> list[str]:
    """n distinct replies of a topic that use most of its terms (then most liked), redacted."""
    padded = [f" {t} " for t in terms]
    ranked = sorted(
        range(len(texts)),
        key=lambda i: (
            -sum(1 for p in padded if p in forms[i]),
            -(likes[i] or 0),
            abs(len(texts[i]) - 140),
            i,
        ),
    )
    out: list[str] = []
    seen: set[str] = set()
    for i in ranked:
        text = redact_example(texts[i])
        key = forms[i].strip()
        if not text or not key or key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) == n:
            break
    return out
