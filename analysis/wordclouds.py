"""Word clouds of the replies: word frequencies, stop words and deterministic PNGs.

The frequencies are built here rather than by `wordcloud`'s own text
processing so that a word can be weighted by the likes of the replies it is
in, and so that the stop words of the replies' languages, the platform noise
and the question's own words can be removed. The counting follows `wordcloud`
1.9.6 where it can: case is folded to the most common spelling, simple plurals
are merged into the singular ("services" into "service" when both occur), and
adjacent non-stop-word pairs whose Dunning likelihood score exceeds 30 become
one two-word entry ("front line"), their counts taken off the single words.

Drawing uses `wordcloud`'s bundled DroidSansMono font (never a system font,
so a PNG is the same on every machine) and a fixed random seed, so the same
replies always give a byte-identical PNG. That font has no emoji glyphs: with
`emoji=True` an emoji counts as a word and is drawn as its name, e.g. 👏 as
"(clapping hands)", instead of as an empty box.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import wordcloud
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from wordcloud import STOPWORDS, WordCloud

from analysis.languages import compute_reply_languages, stop_words_for
from analysis.text import redact_contacts, split_hashtags
from store import Store, fetch_one

BY_CHOICES = ("none", "theme", "topic")
WEIGHTS = ("count", "likes")
DEFAULT_SEED = 20260302
MAX_WORDS = 200
# wordcloud's default: a pair is a collocation above this likelihood score.
COLLOCATION_THRESHOLD = 30.0
# The demo thread's question. Its words are dropped from the demo's clouds
# because the demo stores its post; a store without a post adds no question
# words (another thread's question would hide this thread's words).
DEFAULT_QUESTION = "What kind of leadership do our public services need?"
# Platform noise: retweet markers, HTML entities, URL pieces, link shorteners.
PLATFORM_NOISE = frozenset({"rt", "amp", "https", "http", "t.co", "co", "www", "com", "via"})

_URL = r"(?i)\b(?:https?://|www\.)\S+"
# Bare links without a scheme (t.co/xyz, bbc.co.uk/news): dropped like URLs.
_DOMAIN = r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|org|net|co|uk|io|ly|gov|edu|info|me)\b(?:/\S*)?"
_MENTION = r"(?:^|[^\w@])@[\w.\-]+"
# A word: letters/digits with inner apostrophes ("don't"); hyphens split words
# as in wordcloud, so "front-line" and "front line" count alike.
_WORD = r"\w(?:[\w']*\w)?"
# An emoji with its skin tone, variation selector and zero-width-joined parts.
_EMOJI = (
    r"\p{Extended_Pictographic}(?:[\x{1F3FB}-\x{1F3FF}\x{FE0F}]"
    r"|\x{200D}\p{Extended_Pictographic}[\x{1F3FB}-\x{1F3FF}\x{FE0F}]*)*"
)
_SKIN_OR_VS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")


class WordcloudError(Exception):
    """A word cloud that cannot be drawn for a reason the user can fix."""


def font_path() -> Path:
    """The font bundled with wordcloud (not $FONT_PATH: output never depends on the machine)."""
    return Path(wordcloud.__file__).resolve().parent / "DroidSansMono.ttf"


def _variants(word: str) -> set[str]:
    """A word with its naive singular/plural, so 'services' also drops 'service'."""
    out = {word}
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.add(word[:-1])
    else:
        out.add(word + "s")
    return out


def compute_question_words(text: str | None) -> set[str]:
    """Content words of a root post's question: its '?' sentences and hashtags, no stop words."""
    if not text:
        return set()
    questions = re.findall(r"[^.!?\n]*\?", text)
    hashtags = " ".join(re.findall(r"#\w+", text))
    # "Tell us in the replies 👇" around the question is not the question.
    body = " ".join(questions) + " " + hashtags if questions else text
    body = split_hashtags(body.replace("’", "'")).lower()
    words = {w for w in re.findall(_WORD, body) if len(w) > 1 and not w.isdigit()}
    out: set[str] = set()
    for w in words - STOPWORDS:
        out |= _variants(w)
    return out


def load_question_words(store: Store) -> set[str]:
    """Question words of every root post in the store (none when no post has text)."""
    rows = store.con.execute(
        "SELECT text FROM threads WHERE text IS NOT NULL AND trim(text) <> '' ORDER BY thread_id"
    ).fetchall()
    words: set[str] = set()
    for (t,) in rows:
        words |= compute_question_words(t)
    return words


def language_stopwords(languages: Iterable[str]) -> frozenset[str]:
    """The stop words of these languages as clouds count words.

    English is wordcloud's own list (it has the contractions the cloud keeps
    whole, "don't", and keeps words such as "front" and "system" that
    scikit-learn's list drops); other languages come from analysis.languages
    (stopwordsiso).
    """
    langs = {lang.lower() for lang in languages}
    english = STOPWORDS if "en" in langs else set()
    return frozenset(english) | stop_words_for(langs - {"en"})


def build_stopwords(
    question_words: Iterable[str] = (),
    extra: Iterable[str] = (),
    languages: Iterable[str] = ("en",),
) -> frozenset[str]:
    """The languages' stop words + platform noise + the question's words + the user's."""
    user = {w.strip().lower().replace("’", "'") for w in extra if w.strip()}
    return frozenset(language_stopwords(languages) | PLATFORM_NOISE | set(question_words) | user)


def load_stopwords(store: Store, extra: Iterable[str] = ()) -> frozenset[str]:
    """build_stopwords for the stored replies: their languages and their thread's question."""
    langs = compute_reply_languages(store).languages
    return build_stopwords(load_question_words(store), extra, langs)


@cache
def _emoji_names() -> dict[str, str]:
    """CLDR short names of emoji, from the lexicon that ships with vaderSentiment."""
    text = (
        resources.files("vaderSentiment")
        .joinpath("emoji_utf8_lexicon.txt")
        .read_text(encoding="utf-8")
    )
    names: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            names[parts[0]] = parts[1]
    return names


def emoji_name(emoji: str) -> str:
    """'👏🏽' -> '(clapping hands)': a drawable stand-in for an emoji the font lacks."""
    names = _emoji_names()
    bare = _SKIN_OR_VS.sub("", emoji)
    name = names.get(emoji.replace("\ufe0f", "")) or names.get(bare)
    if name is None:
        # Newer emoji than the lexicon: fall back to the Unicode character name.
        name = unicodedata.name(bare[:1], "emoji").lower() if bare else "emoji"
    return f"({name.split(':')[0].strip()})"


def _clean(texts: pl.Series) -> pl.Series:
    """Text without e-mail addresses, phone numbers, links, domains and @handles; tags split."""
    # Contacts first: the domain and @handle patterns would each take only a
    # piece of an address and leave its name parts ("joe", "bloggs") as words.
    s = redact_contacts(texts.cast(pl.String).fill_null("")).str.replace_all("’", "'")
    has_tag = s.str.contains("#", literal=True)
    idx = has_tag.arg_true()
    if idx.len():
        s = s.scatter(idx, pl.Series([split_hashtags(v) for v in s.gather(idx).to_list()]))
    s = s.str.replace_all(_URL, " ").str.replace_all(_DOMAIN, " ")
    # Emoji need no removal: the word pattern never matches them.
    return s.str.replace_all(_MENTION, " ")


def _weights(n: int, likes: Sequence[int | None] | pl.Series | None, weight: str) -> pl.Series:
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    if weight == "count":
        return pl.Series("w", [1.0] * n, dtype=pl.Float64)
    if likes is None:
        raise ValueError("weight='likes' needs the like counts")
    lk = pl.Series("w", likes, dtype=pl.Float64).fill_null(0.0).clip(lower_bound=0.0)
    if lk.len() != n:
        raise ValueError(f"{n} texts but {lk.len()} like counts")
    return lk + 1.0


def _collocation_score(c12: pl.Expr, c1: pl.Expr, c2: pl.Expr, n: float) -> pl.Expr:
    """wordcloud.tokenization.score (Dunning's likelihood ratio), vectorised."""

    def ll(k: pl.Expr, m: pl.Expr, x: pl.Expr) -> pl.Expr:
        return x.clip(lower_bound=1e-10).log() * k + (1 - x).clip(lower_bound=1e-10).log() * (m - k)

    p = c2 / n
    p1 = c12 / c1
    p2 = (c2 - c12) / (n - c1)
    raw = -2 * (
        ll(c12, c1, p) + ll(c2 - c12, n - c1, p) - ll(c12, c1, p1) - ll(c2 - c12, n - c1, p2)
    )
    return pl.when((c1 >= n) | (c2 >= n)).then(0.0).otherwise(raw)


def compute_word_frequencies(
    texts: Sequence[str | None] | pl.Series,
    likes: Sequence[int | None] | pl.Series | None,
    stopwords: Iterable[str],
    weight: str = "count",
    *,
    emoji: bool = False,
    collocations: bool = True,
) -> dict[str, float]:
    """Word (and collocation) -> weight, largest first: 1 per occurrence, or likes + 1.

    weight='likes' weights each occurrence by its reply's likes + 1.
    """
    series = pl.Series("text", texts, dtype=pl.String)
    w = _weights(series.len(), likes, weight)
    stop = list({s.lower() for s in stopwords})
    df = _tokens(series, w, emoji)
    if df.is_empty():
        return {}
    spell = _spellings(df, stop, emoji)
    words = spell.filter(pl.col("keep") & ~pl.col("stop"))
    if words.is_empty():
        return {}
    words = _merge_plurals(words)
    shown = _shown_forms(words)
    uni = words.group_by("key").agg(n=pl.col("n").sum(), w=pl.col("w").sum()).sort("key")
    weights = dict(zip(uni["key"].to_list(), uni["w"].to_list(), strict=True))
    if collocations:
        _add_collocations(df, spell, words, uni, weights, shown)
    out = sorted(
        ((shown[k], float(v)) for k, v in weights.items() if v > 1e-9),
        key=lambda kv: (-kv[1], kv[0]),
    )
    return dict(out)


def _tokens(series: pl.Series, w: pl.Series, emoji: bool) -> pl.DataFrame:
    """One row per token: doc (the text's row), w (its weight), tok (words, and emoji)."""
    pattern = f"{_EMOJI}|{_WORD}" if emoji else _WORD
    return (
        pl.DataFrame(
            {
                "doc": pl.int_range(series.len(), eager=True, dtype=pl.UInt32),
                "w": w,
                "tok": _clean(series).str.extract_all(pattern),
            }
        )
        .explode("tok")
        .drop_nulls("tok")
    )


def _spellings(df: pl.DataFrame, stop: list[str], emoji: bool) -> pl.DataFrame:
    """One row per distinct spelling: counts, weights, form shown, and whether to keep it."""
    # Everything about a spelling is worked out once per distinct spelling
    # (tens of thousands) rather than once per token (millions).
    spell = df.group_by("tok").agg(n=pl.len(), w=pl.col("w").sum())
    spell = spell.with_columns(
        is_emoji=pl.col("tok").str.contains(r"^\p{Extended_Pictographic}") if emoji else False,
        # Possessive 's goes, as in wordcloud.
        form=pl.col("tok").str.replace(r"'s$", ""),
    )
    if emoji and spell["is_emoji"].any():
        names = {e: emoji_name(e) for e in spell.filter("is_emoji")["tok"].to_list()}
        spell = spell.with_columns(
            form=pl.when("is_emoji").then(pl.col("tok").replace(names)).otherwise("form")
        )
    return spell.with_columns(low=pl.col("form").str.to_lowercase()).with_columns(
        # Numbers and single letters carry no meaning in a cloud.
        keep=pl.col("is_emoji")
        | ((pl.col("form").str.len_chars() > 1) & pl.col("form").str.contains(r"[^\d_]")),
        stop=pl.col("low").is_in(stop) & ~pl.col("is_emoji"),
    )


def _merge_plurals(words: pl.DataFrame) -> pl.DataFrame:
    """words with key: the lower-case spelling, a plural merged into its singular."""
    # Plurals into singulars when both occur (wordcloud's normalize_plurals).
    vocab = set(words["low"].unique().to_list())
    plural = {
        v: v[:-1] for v in vocab if v.endswith("s") and not v.endswith("ss") and v[:-1] in vocab
    }
    return words.with_columns(key=pl.col("low").replace(plural))


def _shown_forms(words: pl.DataFrame) -> dict[str, str]:
    """key -> the spelling shown in the cloud."""
    # The spelling shown is the most common one among the singular's own
    # spellings, lower case winning ties ("LISTEN" once, "listen" once -> listen).
    forms = (
        words.filter(pl.col("low") == pl.col("key"))
        .group_by("key", "form")
        .agg(n=pl.col("n").sum())
        .with_columns(lower=pl.col("form") == pl.col("key"))
        .sort(["key", "n", "lower", "form"], descending=[False, True, True, False])
        .unique("key", keep="first", maintain_order=True)
    )
    shown = dict(zip(forms["key"].to_list(), forms["form"].to_list(), strict=True))
    # "Let"/"Trust" are mostly sentence starts: show them in lower case when that
    # spelling occurs at all; acronyms ("NHS") and names ("London") keep theirs.
    lower_seen = set(words.filter(pl.col("form") == pl.col("key"))["key"].to_list())
    for key, form in shown.items():
        if form != key and form[:1].isupper() and form[1:].islower() and key in lower_seen:
            shown[key] = key
    return shown


def _add_collocations(
    df: pl.DataFrame,
    spell: pl.DataFrame,
    words: pl.DataFrame,
    uni: pl.DataFrame,
    weights: dict[str, float],
    shown: dict[str, str],
) -> None:
    """Move the weight of adjacent pairs that are collocations from their words to the pair."""
    # Word ids instead of strings keep the million-token pair table small.
    ids = uni.select("key").with_row_index("kid")
    tok_ids = (
        spell.filter("keep")
        .join(words.select("tok", "key"), on="tok", how="left")
        .join(ids, on="key", how="left")
        .select("tok", "kid", "is_emoji")
    )
    # Dropped tokens (numbers, links) are gone before pairing, as in wordcloud;
    # stop words stay and break pairs.
    seq = df.join(tok_ids, on="tok", how="inner", maintain_order="left").select(
        "doc", "w", "kid", "is_emoji"
    )
    pairs = (
        seq.with_columns(
            doc2=pl.col("doc").shift(-1),
            kid2=pl.col("kid").shift(-1),
            emoji2=pl.col("is_emoji").shift(-1),
        )
        .filter(
            (pl.col("doc2") == pl.col("doc"))
            & pl.col("kid").is_not_null()
            & pl.col("kid2").is_not_null()
            & ~pl.col("is_emoji")
            & ~pl.col("emoji2")
        )
        .group_by("kid", "kid2")
        .agg(c12=pl.len(), w12=pl.col("w").sum())
    )
    if pairs.is_empty():
        return
    counts = uni.select(pl.col("n").cast(pl.Float64)).with_row_index("kid")
    n_words = float(uni["n"].sum())
    pairs = (
        pairs.join(counts.rename({"n": "c1"}), on="kid")
        .join(counts.rename({"kid": "kid2", "n": "c2"}), on="kid2")
        .with_columns(
            score=_collocation_score(
                pl.col("c12").cast(pl.Float64), pl.col("c1"), pl.col("c2"), n_words
            )
        )
        .filter(pl.col("score") > COLLOCATION_THRESHOLD)
        .sort("kid", "kid2")
    )
    keys = uni["key"].to_list()
    for kid, kid2, w12 in pairs.select("kid", "kid2", "w12").iter_rows():
        k1, k2 = keys[kid], keys[kid2]
        # As in wordcloud: the pair's weight is taken off each word (a word in
        # several collocations can go to zero or below and is then dropped).
        weights[k1] -= w12
        weights[k2] -= w12
        shown[f"{k1} {k2}"] = f"{shown[k1]} {shown[k2]}"
        weights[f"{k1} {k2}"] = w12


@cache
def _colormap() -> ListedColormap:
    """viridis without its palest yellows, which are hard to read on white."""
    return ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.82, 256)), name="replyscope")


def wordcloud_png_bytes(
    freqs: dict[str, float],
    *,
    width: int = 800,
    height: int = 400,
    seed: int = DEFAULT_SEED,
    max_words: int = MAX_WORDS,
    optimize: bool = True,
) -> bytes:
    """The word cloud of these frequencies as PNG bytes (same input -> same bytes)."""
    if not freqs:
        raise ValueError("no words to draw")
    cloud = WordCloud(
        font_path=str(font_path()),
        width=width,
        height=height,
        random_state=seed,
        background_color="white",
        colormap=_colormap(),
        max_words=max_words,
        collocations=False,  # already decided by compute_word_frequencies
        normalize_plurals=False,
    )
    # Ties are broken by word so the layout does not depend on dict order.
    ordered = dict(sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0])))
    cloud.generate_from_frequencies(ordered)
    buf = io.BytesIO()
    # optimize=True shrinks the file ~20% but costs most of the encoding time.
    cloud.to_image().save(buf, format="PNG", optimize=optimize)
    return buf.getvalue()


def render_wordcloud_png(
    freqs: dict[str, float],
    path: Path,
    *,
    width: int = 800,
    height: int = 400,
    seed: int = DEFAULT_SEED,
    max_words: int = MAX_WORDS,
) -> Path:
    """Write the word cloud of these frequencies to a PNG file; returns the path."""
    data = wordcloud_png_bytes(freqs, width=width, height=height, seed=seed, max_words=max_words)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _frame(store: Store, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
    frame = pl.from_arrow(store.con.sql(sql, params=list(params)).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_wordcloud_groups(
    store: Store, by: str, *, sample: int | None = None
) -> list[tuple[str, pl.DataFrame]]:
    """(file stem, replies frame with text and like_count) for each group to draw.

    sample: keep about this many replies of each larger group, chosen by a
    hash of the reply key (the same replies every time), before any text is
    read -- a report on a million replies needs the big words, not every reply.
    """
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    params: list[object] = []
    if by == "none":
        keys = "SELECT 'all' AS grp, platform, reply_id FROM replies"
        prefix = ""
    elif by == "theme":
        if not fetch_one(store.con, "SELECT 1 FROM runs WHERE kind = 'tag' AND status = 'ok'"):
            raise WordcloudError("no tagging run yet: run `replyscope tag` first.")
        keys = "SELECT theme_id AS grp, platform, reply_id FROM reply_theme_tags"
        prefix = "theme-"
    else:
        row = fetch_one(store.con, "SELECT max(run_id) FROM topic_runs")
        if not row or row[0] is None:
            raise WordcloudError("no topic model yet: run `replyscope topics` first.")
        # The outlier bucket (-1) is the replies no topic fitted: not a topic.
        keys = """SELECT CAST(topic_id AS VARCHAR) AS grp, platform, reply_id FROM reply_topics
                  WHERE run_id = ? AND topic_id >= 0"""
        params.append(row[0])
        prefix = "topic-"
    keep = "true"
    if sample is not None:
        keep = "n.n <= ? OR hash(k.platform, k.reply_id) % 1000003 < ceil(1000003.0 * ? / n.n)"
        params += [sample, sample]
    frame = _frame(
        store,
        f"""WITH k AS ({keys}), n AS (SELECT grp, count(*) AS n FROM k GROUP BY grp)
            SELECT k.grp, r.text, r.like_count
            FROM k JOIN n USING (grp) JOIN replies r USING (platform, reply_id)
            WHERE {keep}
            ORDER BY {"TRY_CAST(k.grp AS INTEGER), " if by == "topic" else ""}k.grp,
                     r.platform, r.reply_id""",
        params,
    )
    if not frame.height:
        return []
    groups = frame.partition_by("grp", maintain_order=True, as_dict=True)
    return [(f"{prefix}{key[0]}", part) for key, part in groups.items()]


def render_wordclouds(
    store: Store,
    by: str,
    weight: str,
    out_dir: Path,
    *,
    stopwords: Iterable[str] = (),
    emoji: bool = False,
    width: int = 800,
    height: int = 400,
    seed: int = DEFAULT_SEED,
    say: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write all.png, or theme-<id>.png / topic-<id>.png per group; returns the files written."""
    tell = say or (lambda _msg: None)
    groups = load_wordcloud_groups(store, by)
    if not groups:
        tell(
            "No replies to draw: the store has no replies"
            + ("." if by == "none" else f" with a {by}.")
            + " No file written."
        )
        return []
    stop = load_stopwords(store, stopwords)
    written: list[Path] = []
    for stem, frame in groups:
        freqs = compute_word_frequencies(
            frame["text"], frame["like_count"], stop, weight, emoji=emoji
        )
        if not freqs:
            tell(f"{stem}: {frame.height} replies but no words left after the stop words; no file.")
            continue
        written.append(
            render_wordcloud_png(
                freqs, out_dir / f"{stem}.png", width=width, height=height, seed=seed
            )
        )
    return written
