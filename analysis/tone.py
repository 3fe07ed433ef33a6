"""Tone of each reply with VADER, stored as a run, and summarised per theme or topic.

VADER (vaderSentiment 3.3.2) is a lexicon-and-rules scorer for English social
media text: no model download, the lexicon ships in the package. A reply is
"positive" when its compound score is ≥ 0.05, "negative" when ≤ −0.05, else
"neutral" (VADER's published cut-offs). It is English-only: text in other
languages mostly scores 0 and shows as neutral (see README "Tone").

VADER is pure Python (~7-10k replies/s per core on reply-length text), so
identical texts are scored once, and with workers > 1 large inputs are scored
in that many worker processes. Those are started with "spawn" (the parent
holds DuckDB's threads, which fork does not mix with), which re-imports the
calling script: call it from the CLI, a notebook or a script with an
`if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import polars as pl

from store import RunCounts, Store, fetch_one, finish_run, start_run

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
TONES = ("positive", "neutral", "negative")
BY_CHOICES = ("none", "theme", "topic")
# Below this many distinct texts, starting worker processes costs more than it saves.
PARALLEL_FROM = 20_000
CHUNK = 5_000

ToneProgress = Callable[[int, int], None]  # (texts scored, texts to score)

_ANALYZER: Any = None  # one SentimentIntensityAnalyzer per process


class ToneError(Exception):
    """Tone that cannot be summarised for a reason the user can fix."""


@dataclass
class ToneResult:
    """What a tone run did."""

    run_id: int
    replies: int
    distinct_texts: int
    positive: int
    neutral: int
    negative: int


def _score_chunk(texts: list[str]) -> list[tuple[float, float, float, float]]:
    """(compound, pos, neu, neg) per text; runs in worker processes too."""
    global _ANALYZER
    if _ANALYZER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYZER = SentimentIntensityAnalyzer()
    score = _ANALYZER.polarity_scores
    out = []
    for text in texts:
        s = score(text)
        out.append((s["compound"], s["pos"], s["neu"], s["neg"]))
    return out


def default_workers() -> int:
    """Worker processes worth starting here: the cores, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


def compute_tone(
    texts: Sequence[str | None] | pl.Series,
    *,
    progress: ToneProgress | None = None,
    workers: int = 1,
) -> pl.DataFrame:
    """compound, positive, neutral, negative, tone for each text (in order)."""
    series = pl.Series("text", texts, dtype=pl.String).fill_null("")
    # Copy-paste campaigns and duplicates are common: score each text once.
    unique = series.unique(maintain_order=True)
    todo = unique.to_list()
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    n_workers = max(1, workers)
    scores: list[tuple[float, float, float, float]] = []
    done = 0
    if progress:
        progress(0, len(todo))

    def collect(part: list[tuple[float, float, float, float]]) -> None:
        nonlocal done
        scores.extend(part)
        done += len(part)
        if progress:
            progress(done, len(todo))

    if n_workers > 1 and len(todo) >= PARALLEL_FROM:
        # spawn, not fork: the parent holds DuckDB's threads and locks.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            for part in pool.map(_score_chunk, chunks):
                collect(part)
    else:
        for chunk in chunks:
            collect(_score_chunk(chunk))
    cols = list(zip(*scores, strict=True)) if scores else [(), (), (), ()]
    table = pl.DataFrame(
        {
            "text": unique,
            "compound": pl.Series(cols[0], dtype=pl.Float64),
            "positive": pl.Series(cols[1], dtype=pl.Float64),
            "neutral": pl.Series(cols[2], dtype=pl.Float64),
            "negative": pl.Series(cols[3], dtype=pl.Float64),
        }
    ).with_columns(
        tone=pl.when(pl.col("compound") >= POSITIVE_AT)
        .then(pl.lit("positive"))
        .when(pl.col("compound") <= NEGATIVE_AT)
        .then(pl.lit("negative"))
        .otherwise(pl.lit("neutral"))
    )
    return series.to_frame().join(table, on="text", how="left", maintain_order="left").drop("text")


def latest_tone_run(store: Store) -> int | None:
    """run_id of the latest successful tone run (None when there is none)."""
    row = fetch_one(store.con, "SELECT max(run_id) FROM runs WHERE kind = 'tone' AND status = 'ok'")
    return None if not row or row[0] is None else int(row[0])


def tone_is_current(store: Store) -> bool:
    """True when the latest tone run covers every stored reply."""
    run_id = latest_tone_run(store)
    if run_id is None:
        return False
    row = fetch_one(
        store.con,
        """SELECT count(*) FROM replies r ANTI JOIN
               (SELECT platform, reply_id FROM reply_tone WHERE run_id = ?) t
           USING (platform, reply_id)""",
        [run_id],
    )
    return row is not None and row[0] == 0


def compute_store_tone(
    store: Store, *, progress: ToneProgress | None = None, workers: int = 1
) -> ToneResult:
    """Score every stored reply and save the scores as a new tone run."""
    replies = pl.from_arrow(
        store.con.sql(
            "SELECT platform, reply_id, text FROM replies ORDER BY platform, reply_id"
        ).to_arrow_table()
    )
    assert isinstance(replies, pl.DataFrame)
    version = metadata.version("vaderSentiment")
    run_id = start_run(
        store,
        "tone",
        parameters={
            "method": "vader",
            "vaderSentiment": version,
            "positive_at": POSITIVE_AT,
            "negative_at": NEGATIVE_AT,
        },
    )
    try:
        scored = compute_tone(replies["text"], progress=progress, workers=workers)
        rows = pl.concat([replies.select("platform", "reply_id"), scored], how="horizontal")
        counts = {t: 0 for t in TONES}
        for tone, n in rows.group_by("tone").len().iter_rows():
            counts[tone] = n
        distinct = replies["text"].fill_null("").n_unique() if replies.height else 0
        with store.transaction():
            if rows.height:
                store.con.register("_tone_in", rows.to_arrow())
                try:
                    store.con.execute(
                        """INSERT INTO reply_tone SELECT ?, platform, reply_id, compound, positive,
                                  neutral, negative, tone FROM _tone_in""",
                        [run_id],
                    )
                finally:
                    store.con.unregister("_tone_in")
            finish_run(
                store,
                run_id,
                RunCounts(
                    rows_in=replies.height,
                    rows_added=rows.height,
                    summary={**counts, "distinct_texts": distinct},
                ),
            )
    except BaseException as err:
        # Leave no run marked 'running' behind (also on Ctrl-C).
        finish_run(store, run_id, RunCounts(), status="failed", message=str(err) or repr(err))
        raise
    return ToneResult(
        run_id, replies.height, distinct, counts["positive"], counts["neutral"], counts["negative"]
    )


_SUMMARY_SELECT = """count(*) AS replies,
       avg(tn.compound) AS mean_compound,
       avg(CASE WHEN tn.tone = 'positive' THEN 1.0 ELSE 0.0 END) AS positive_share,
       avg(CASE WHEN tn.tone = 'neutral' THEN 1.0 ELSE 0.0 END) AS neutral_share,
       avg(CASE WHEN tn.tone = 'negative' THEN 1.0 ELSE 0.0 END) AS negative_share"""


def check_tone_groups(store: Store, by: str) -> None:
    """Raise ToneError when the grouping has nothing to group by (no tagging run or topic model)."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    if by == "theme" and not fetch_one(
        store.con, "SELECT 1 FROM runs WHERE kind = 'tag' AND status = 'ok'"
    ):
        raise ToneError("no tagging run yet: run `replyscope tag` first.")
    if by == "topic" and not fetch_one(store.con, "SELECT 1 FROM topic_runs"):
        raise ToneError("no topic model yet: run `replyscope topics` first.")


def compute_tone_summary(store: Store, by: str = "theme") -> pl.DataFrame:
    """group, replies, mean_compound, positive/neutral/negative_share from the latest tone run."""
    check_tone_groups(store, by)
    run_id = latest_tone_run(store)
    if run_id is None:
        raise ToneError("no tone run yet: run `replyscope tone` first.")
    tone = f"(SELECT * FROM reply_tone WHERE run_id = {int(run_id)}) tn"
    if by == "none":
        sql = f"SELECT 'all' AS \"group\", {_SUMMARY_SELECT} FROM {tone}"
    elif by == "theme":
        # Themes in codebook order (that of the latest tagging run).
        sql = f"""WITH tag_run AS (SELECT max(run_id) AS run_id FROM runs
                                  WHERE kind = 'tag' AND status = 'ok'),
                  cb AS (SELECT json_extract_string(parameters, '$.codebook_hash') AS h
                         FROM runs JOIN tag_run USING (run_id))
            SELECT g.theme_id AS "group", {_SUMMARY_SELECT}
            FROM reply_theme_tags g JOIN {tone} USING (platform, reply_id)
            LEFT JOIN themes th
              ON th.codebook_hash = (SELECT h FROM cb) AND th.theme_id = g.theme_id
            GROUP BY g.theme_id, th.position
            ORDER BY th.position NULLS LAST, g.theme_id"""
    else:
        row = fetch_one(store.con, "SELECT max(run_id) FROM topic_runs")
        assert row is not None
        sql = f"""SELECT CAST(g.topic_id AS VARCHAR) AS "group", {_SUMMARY_SELECT}
            FROM reply_topics g JOIN {tone} USING (platform, reply_id)
            WHERE g.run_id = {int(row[0])}
            GROUP BY g.topic_id
            ORDER BY g.topic_id = -1, g.topic_id"""
    frame = pl.from_arrow(store.con.sql(sql).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.col("replies").cast(pl.Int64))
    if by == "none" and frame["replies"].to_list() == [0]:
        return frame.clear()
    return frame


def load_group_labels(store: Store, by: str) -> dict[str, str]:
    """Label of each theme (latest tagging run's codebook) or topic (latest topic run)."""
    if by == "theme":
        sql = """WITH tag_run AS (SELECT max(run_id) AS run_id FROM runs
                                 WHERE kind = 'tag' AND status = 'ok')
            SELECT th.theme_id, th.label FROM themes th
            JOIN runs r ON th.codebook_hash = json_extract_string(r.parameters, '$.codebook_hash')
            JOIN tag_run USING (run_id)"""
    elif by == "topic":
        sql = """SELECT CAST(topic_id AS VARCHAR), coalesce(label, '') FROM topics
            WHERE run_id = (SELECT max(run_id) FROM topic_runs)"""
    else:
        return {}
    return {str(k): str(v) for k, v in store.con.execute(sql).fetchall()}
