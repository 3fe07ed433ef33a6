"""Tag every stored reply by theme, as one run; keep the codebook and the statistics.

A tagging run stores its codebook (by hash) in `codebooks`/`themes`/
`theme_terms`, one row per (reply, theme) in `reply_themes` with the
evidence, and the per-theme statistics in `theme_stats`. Earlier runs are
never touched; the views read the latest run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from analysis.codebook import Codebook, require_usable, to_toml
from analysis.engagement import compute_like_dominance, compute_theme_stats
from analysis.keywords import compute_keyword_tags
from analysis.sampling import campaign_weights, find_tag_run, load_run_tags, load_theme_ids
from analysis.semantic import compute_semantic_tags
from store import RunCounts, Store, fetch_one, finish_run, main_table, now_utc, start_run

METHODS = ("keyword", "semantic", "both")
# The method `replyscope tag` uses when none is given: the best on the
# hand-coded validation set (see README "Tagging" for the scores).
DEFAULT_METHOD = "keyword"


@dataclass
class TagResult:
    """What a tagging run did."""

    run_id: int
    codebook: Codebook
    method: str
    replies: int
    tagged: int
    tags: int
    stats: pl.DataFrame
    notes: list[str] = field(default_factory=list)  # the semantic step's (thresholds, skips)


def save_codebook(store: Store, codebook: Codebook) -> str:
    """Store the codebook under its content hash (once); return the hash."""
    h = codebook.hash
    if fetch_one(store.con, "SELECT 1 FROM codebooks WHERE codebook_hash = ?", [h]):
        return h
    con = store.con
    con.execute(
        "INSERT INTO codebooks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            h,
            codebook.name,
            codebook.version,
            codebook.description,
            codebook.source,
            to_toml(codebook),
            now_utc(),
        ],
    )
    for pos, t in enumerate(codebook.themes):
        con.execute(
            "INSERT INTO themes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                h,
                t.id,
                t.label,
                t.description,
                t.parent,
                json.dumps(t.examples, ensure_ascii=False),
                pos,
            ],
        )
        terms = [
            (kind, term)
            for kind, terms in (("include", t.include), ("exclude", t.exclude), ("regex", t.regex))
            for term in terms
        ]
        if terms:
            con.executemany(
                "INSERT INTO theme_terms VALUES (?, ?, ?, ?)",
                [[h, t.id, k, term] for k, term in terms],
            )
    return h


def load_reply_texts(store: Store) -> pl.DataFrame:
    """platform, reply_id, text, like_count of every stored reply (stable order)."""
    table = store.con.sql(
        "SELECT platform, reply_id, text, like_count FROM replies ORDER BY platform, reply_id"
    ).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_text_sample(store: Store, n: int, seed: int) -> pl.Series:
    """Up to n reply texts, the same ones each time (ordered by a seeded hash of the key)."""
    rows = store.con.execute(
        "SELECT text FROM replies WHERE text IS NOT NULL "
        "ORDER BY hash(platform, reply_id, ?) LIMIT ?",
        [seed, n],
    ).fetchall()
    return pl.Series("text", [r[0] for r in rows], dtype=pl.String)


def tag_store(
    store: Store,
    codebook: Codebook,
    *,
    method: str = DEFAULT_METHOD,
    embedder: str | None = None,
    threshold: float | None = None,
    parameters: dict[str, object] | None = None,
) -> TagResult:
    """Tag all replies with the codebook and store the run; returns counts and stats.

    Semantic thresholds are calibrated on the latest coded sample unless
    `threshold` forces one for every theme.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    require_usable(codebook)  # CodebookError before anything is read or written
    replies = load_reply_texts(store)
    params: dict[str, object] = dict(parameters or {})
    frames: list[pl.DataFrame] = []
    notes: list[str] = []
    if method in ("keyword", "both"):
        frames.append(_keyword_tags(replies, codebook))
    if method in ("semantic", "both"):
        semantic = compute_semantic_tags(
            store,
            replies,
            codebook,
            embedder=embedder,
            threshold=threshold,
            combined=method == "both",
            base=frames[0] if frames else None,
        )
        frames.append(semantic.tags)
        # The report's method section reads the embedder, thresholds and notes from the run.
        params.update(semantic.parameters())
        notes = semantic.notes
    rows = _reply_rows(replies, _merge_tags(frames, method))
    with store.transaction():
        h = save_codebook(store, codebook)
        run_id = start_run(
            store,
            "tag",
            parameters={
                "codebook_hash": h,
                "codebook": codebook.name,
                "version": codebook.version,
                "method": method,
                **params,
            },
        )
        _save_tags(store, run_id, rows)
        stats = save_theme_stats(store, run_id, codebook)
        tagged = (
            rows.select(pl.struct("platform", "reply_id").n_unique()).item() if rows.height else 0
        )
        finish_run(
            store,
            run_id,
            RunCounts(
                rows_in=replies.height, rows_added=rows.height, summary={"replies_tagged": tagged}
            ),
        )
    return TagResult(
        run_id, codebook, method, replies.height, int(tagged), rows.height, stats, notes
    )


def _keyword_tags(replies: pl.DataFrame, codebook: Codebook) -> pl.DataFrame:
    """Keyword tags (row, theme_id, score, method, evidence), evidence as one string."""
    kw = compute_keyword_tags(replies["text"], codebook)
    return kw.with_columns(
        method=pl.lit("keyword"),
        evidence=pl.col("evidence").list.join(", "),
    )


def _merge_tags(frames: list[pl.DataFrame], method: str) -> pl.DataFrame:
    """The methods' tags as one frame; with `both`, one tag per (reply, theme)."""
    # Same columns in the same order: vertical concat matches by position.
    columns = ("row", "theme_id", "score", "method", "evidence")
    tags = (
        pl.concat([f.select(columns) for f in frames], how="vertical_relaxed")
        if frames
        else pl.DataFrame()
    )
    if method == "both" and tags.height:
        # One tag per (reply, theme): keep keyword evidence, note semantic agreement.
        tags = tags.group_by("row", "theme_id").agg(
            pl.col("score").max(),
            pl.col("method").unique().sort().str.join("+").alias("method"),
            pl.col("evidence").str.join(" | "),
        )
    return tags


def _reply_rows(replies: pl.DataFrame, tags: pl.DataFrame) -> pl.DataFrame:
    """Tags keyed by reply (platform, reply_id) instead of row number, as in reply_themes."""
    if not tags.height:
        return pl.DataFrame(
            schema={
                "platform": pl.String,
                "reply_id": pl.String,
                "theme_id": pl.String,
                "score": pl.Float64,
                "method": pl.String,
                "evidence": pl.String,
            }
        )
    keyed = replies.with_row_index("row").select(
        pl.col("row").cast(pl.UInt32), "platform", "reply_id"
    )
    return (
        tags.with_columns(pl.col("row").cast(pl.UInt32))
        .join(keyed, on="row")
        .select("platform", "reply_id", "theme_id", "score", "method", "evidence")
    )


def _save_tags(store: Store, run_id: int, rows: pl.DataFrame) -> None:
    """Insert a run's reply_themes rows (inside the caller's transaction)."""
    if not rows.height:
        return
    store.con.register("_tags_in", rows.to_arrow())
    try:
        store.con.execute(
            """INSERT INTO reply_themes
               SELECT ?, platform, reply_id, theme_id, score, method, evidence FROM _tags_in""",
            [run_id],
        )
    finally:
        store.con.unregister("_tags_in")


def _run_frames(
    store: Store, run_id: int, *, campaigns_once: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """replies(key, like_count[, weight]) and tags(key, theme_id) of a run, overrides applied."""
    tags = load_run_tags(store, run_id).select(
        (pl.col("platform") + chr(31) + pl.col("reply_id")).alias("key"), "theme_id"
    )
    replies = pl.from_arrow(
        store.con.sql(
            "SELECT platform, reply_id, platform || chr(31) || reply_id AS key, like_count "
            "FROM replies"
        ).to_arrow_table()
    )
    assert isinstance(replies, pl.DataFrame)
    if campaigns_once:
        replies = replies.join(
            campaign_weights(store), on=["platform", "reply_id"], how="left", maintain_order="left"
        )
    return replies.drop("platform", "reply_id"), tags


def compute_run_stats(
    store: Store, run_id: int, codebook: Codebook, *, campaigns_once: bool = False
) -> pl.DataFrame:
    """Theme statistics of a tagging run (overrides applied), optionally each campaign once."""
    replies, tags = _run_frames(store, run_id, campaigns_once=campaigns_once)
    return compute_theme_stats(replies, tags, [t.id for t in codebook.themes])


def load_like_dominance(store: Store, *, campaigns_once: bool = False) -> pl.DataFrame:
    """Themes of the latest tagging run whose likes figures one reply drives (see engagement)."""
    found = find_tag_run(store)
    if found is None:
        return compute_like_dominance(pl.DataFrame(), pl.DataFrame(), [])
    run_id, codebook_hash = found
    replies, tags = _run_frames(store, run_id, campaigns_once=campaigns_once)
    return compute_like_dominance(replies, tags, load_theme_ids(store, codebook_hash))


def save_theme_stats(store: Store, run_id: int, codebook: Codebook) -> pl.DataFrame:
    """(Re)compute theme_stats for a run from its tags with overrides applied."""
    stats = compute_run_stats(store, run_id, codebook)
    store.con.execute("DELETE FROM theme_stats WHERE run_id = ?", [run_id])
    if stats.height:
        store.con.register("_stats_in", stats.to_arrow())
        try:
            store.con.execute(
                """INSERT INTO theme_stats
                   SELECT ?, theme_id, replies, share, share_low, share_high, likes, likes_share,
                          likes_share_low, likes_share_high, resonance, replies_in_scope
                   FROM _stats_in""",
                [run_id],
            )
        finally:
            store.con.unregister("_stats_in")
    return stats


def latest_stats(store: Store, *, campaigns_once: bool) -> pl.DataFrame:
    """theme_summary's rows; with campaigns_once, recomputed counting each campaign once."""
    from analysis.codebook import parse_codebook

    frame = pl.from_arrow(store.con.sql("SELECT * FROM theme_summary").to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    if not campaigns_once or frame.height == 0:
        return frame
    if not fetch_one(
        store.con,
        "SELECT count(*) FROM campaigns WHERE run_id = (SELECT max(run_id) FROM reply_quality)",
    )[0]:  # type: ignore[index]
        return frame  # no campaign: the figures are the same
    run_id = int(frame["run_id"][0])
    toml = fetch_one(
        store.con, "SELECT toml FROM codebooks WHERE codebook_hash = ?", [frame["codebook_hash"][0]]
    )
    assert toml is not None
    stats = compute_run_stats(store, run_id, parse_codebook(str(toml[0])), campaigns_once=True)
    return frame.select("theme_id", "label", "run_id", "codebook_hash").join(
        stats, on="theme_id", how="left", maintain_order="left"
    )


def scope_theme_stats(store: Store) -> None:
    """In a session scoped to one thread: theme_stats of the latest tagging run, for its replies.

    A TEMP table shadows `theme_stats` (see store_scope), so theme_summary and
    everything reading it show the thread's figures; nothing is stored.
    """
    from analysis.codebook import parse_codebook
    from analysis.sampling import find_tag_run

    found = find_tag_run(store)
    if found is None:
        return
    run_id, codebook_hash = found
    toml = fetch_one(
        store.con, "SELECT toml FROM codebooks WHERE codebook_hash = ?", [codebook_hash]
    )
    if toml is None:
        return
    stats = compute_run_stats(store, run_id, parse_codebook(str(toml[0])))
    table = main_table(store.con, "theme_stats")
    # The stored table's columns, whatever migrations added: the frame fills those it has.
    columns = [
        c for c in store.con.sql(f"SELECT * FROM {table} LIMIT 0").columns if c in stats.columns
    ]
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE theme_stats AS SELECT * FROM {table} LIMIT 0")
    store.con.register("_stats_in", stats.with_columns(pl.lit(run_id).alias("run_id")).to_arrow())
    try:
        store.con.execute(
            f"INSERT INTO temp.theme_stats BY NAME SELECT {', '.join([*columns, 'run_id'])} "
            "FROM _stats_in"
        )
    finally:
        store.con.unregister("_stats_in")
