"""Blind, reproducible samples of replies for hand coding (the validation sample).

The sample is drawn from the same scope as the report: every stored reply,
spam and low-content ones included (nothing is deleted), with each
coordinated campaign counted once — a campaign is one *unit*, shown on the
coding sheet by its earliest copy. A simple random sample draws n units
with equal chances; a stratified one (`--stratify theme`) puts each unit in
the stratum of its rarest automatic theme (or `_none`) and draws more from
small strata (square-root allocation, at least 2 per stratum), recording
each unit's inclusion probability so the estimates can weight it back.

The draw depends only on the seed and the store's contents: units are sorted
by a stable id before numpy's generator picks them.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from analysis.quality import latest_run
from store import RunCounts, Store, fetch_one, finish_run, now_utc, start_run
from textsafety import plural

STRATIFY = ("none", "theme")
NONE_STRATUM = "_none"
ALL_STRATUM = "all"
MIN_PER_STRATUM = 2  # a stratum needs two coded units for a variance of its own


class SampleError(Exception):
    """A sample that cannot be drawn or found; the message says what to do."""


@dataclass(frozen=True)
class SampleInfo:
    """One validation sample as recorded in `validation_samples`."""

    sample_id: int
    design: str
    seed: int | None
    n_drawn: int
    population: int
    replies: int
    campaigns_once: bool
    codebook_hash: str | None
    tag_run_id: int | None
    strata: dict[str, dict[str, int]]
    note: str
    quality_run_id: int | None = None
    created_at: datetime | None = None


def find_tag_run(store: Store) -> tuple[int, str] | None:
    """(run_id, codebook_hash) of the latest successful tagging run, or None before any."""
    row = fetch_one(
        store.con,
        """SELECT run_id, json_extract_string(parameters, '$.codebook_hash') FROM runs
           WHERE kind = 'tag' AND status = 'ok' ORDER BY run_id DESC LIMIT 1""",
    )
    return (int(row[0]), str(row[1])) if row else None


def latest_tag_run(store: Store, why: str = "") -> tuple[int, str]:
    """(run_id, codebook_hash) of the latest successful tagging run; SampleError before any."""
    found = find_tag_run(store)
    if found is None:
        raise SampleError(f"no tagging run yet: run `replyscope tag` first{why}.")
    return found


def load_theme_ids(store: Store, codebook_hash: str | None) -> list[str]:
    """The theme ids of a stored codebook, in codebook order."""
    return [
        r[0]
        for r in store.con.execute(
            "SELECT theme_id FROM themes WHERE codebook_hash = ? ORDER BY position",
            [codebook_hash],
        ).fetchall()
    ]


def load_scope(store: Store, *, quality_run: int | str | None = "latest") -> pl.DataFrame:
    """Every reply with its unit (a campaign is one), weight 1/k and likes, as the report counts.

    Columns: platform, reply_id, unit_id, weight, likes, created_at; sorted by
    platform, reply_id. A campaign's unit id is `c:<campaign_id>`, any other
    reply's `r:<platform>:<reply_id>`. Campaigns come from `quality_run`: the
    latest by default; a sample is validated in the scope it was drawn from
    (its own quality run, or None: no campaigns).
    """
    run = latest_run(store) if quality_run == "latest" else quality_run
    frame = pl.from_arrow(
        store.con.sql(
            """SELECT r.platform, r.reply_id,
                      CASE WHEN q.campaign_id IS NULL THEN 'r:' || r.platform || ':' || r.reply_id
                           ELSE 'c:' || q.campaign_id END AS unit_id,
                      CASE WHEN q.campaign_id IS NULL THEN 1.0
                           ELSE 1.0 / count(*) OVER (PARTITION BY q.campaign_id) END AS weight,
                      greatest(coalesce(r.like_count, 0), 0)::DOUBLE AS likes,
                      r.created_at
               FROM replies r
               LEFT JOIN (SELECT platform, reply_id, campaign_id FROM reply_quality
                          WHERE run_id = ?) q USING (platform, reply_id)
               ORDER BY r.platform, r.reply_id""",
            params=[run if isinstance(run, int) else -1],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def campaign_weights(store: Store) -> pl.DataFrame:
    """platform, reply_id, weight: each of a campaign's k replies weighs 1/k, any other reply 1."""
    return load_scope(store).select("platform", "reply_id", pl.col("weight").cast(pl.Float64))


def load_run_tags(
    store: Store, tag_run_id: int, *, blind_to: SampleInfo | None = None
) -> pl.DataFrame:
    """platform, reply_id, theme_id of a tagging run, human overrides applied (what figures count).

    With `blind_to` a sample, corrections made to that sample's replies after
    it was drawn are left out: they come from the coding, and counting them
    as the tagger's would hide exactly the error the sample measures.
    """
    sample_id = blind_to.sample_id if blind_to else -1
    drawn_at = blind_to.created_at if blind_to and blind_to.created_at else None
    frame = pl.from_arrow(
        store.con.sql(
            """WITH auto AS (SELECT platform, reply_id, theme_id FROM reply_themes
                             WHERE run_id = ?),
                    ovr AS (SELECT o.platform, o.reply_id, o.theme_id,
                                   arg_max(o.tagged, o.created_at) AS tagged
                            FROM reply_overrides o
                            WHERE ? IS NULL OR o.created_at <= ? OR NOT EXISTS (
                                SELECT 1 FROM validation_sample_replies s
                                WHERE s.sample_id = ? AND s.platform = o.platform
                                  AND s.reply_id = o.reply_id)
                            GROUP BY ALL)
               SELECT coalesce(a.platform, o.platform) AS platform,
                      coalesce(a.reply_id, o.reply_id) AS reply_id,
                      coalesce(a.theme_id, o.theme_id) AS theme_id
               FROM auto a FULL OUTER JOIN ovr o
                 ON a.platform = o.platform AND a.reply_id = o.reply_id AND a.theme_id = o.theme_id
               WHERE coalesce(o.tagged, true)""",
            params=[tag_run_id, drawn_at, drawn_at, sample_id],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def compute_units(scope: pl.DataFrame, tags: pl.DataFrame, theme_order: list[str]) -> pl.DataFrame:
    """One row per unit: unit_id, its representative reply (earliest copy) and its stratum theme.

    The stratum is the unit's rarest automatic theme (fewest units carry it;
    ties go to the codebook order), `_none` when it carries none.
    """
    reps = (
        scope.sort("created_at", "platform", "reply_id", nulls_last=True)
        .group_by("unit_id", maintain_order=True)
        .agg(pl.col("platform").first(), pl.col("reply_id").first(), pl.len().alias("copies"))
    )
    unit_tags = (
        tags.join(scope.select("platform", "reply_id", "unit_id"), on=["platform", "reply_id"])
        .select("unit_id", "theme_id")
        .unique()
    )
    rarity = unit_tags.group_by("theme_id").agg(pl.len().alias("units"))
    position = pl.DataFrame(
        {"theme_id": theme_order, "position": list(range(len(theme_order)))},
        schema={"theme_id": pl.String, "position": pl.Int64},
    )
    rarest = (
        unit_tags.join(rarity, on="theme_id")
        .join(position, on="theme_id", how="left")
        .sort("units", "position", "theme_id", nulls_last=True)
        .group_by("unit_id", maintain_order=True)
        .agg(pl.col("theme_id").first().alias("stratum_theme"))
    )
    return (
        reps.join(rarest, on="unit_id", how="left")
        .with_columns(pl.col("stratum_theme").fill_null(NONE_STRATUM))
        .sort("unit_id")
    )


def allocation_weights(sizes: dict[str, int]) -> dict[str, float]:
    """Square-root allocation weights: small strata (rare themes) get more than their share.

    benchmarks/estimate_bench.py compared it with a half-proportional, half-
    equal split: square roots kept the corrected shares' coverage at target
    on more themes and seeds.
    """
    return {h: math.sqrt(size) for h, size in sizes.items()}


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Square-root allocation of n draws over strata: at least 2 each (all of a tinier one).

    No stratum gets more draws than it holds.
    """
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    alloc = {h: min(size, MIN_PER_STRATUM) for h, size in sizes.items()}
    left = n - sum(alloc.values())
    while left > 0:
        room = {h: sizes[h] - alloc[h] for h in sizes if sizes[h] > alloc[h]}
        if not room:
            break
        roots = {h: w for h, w in allocation_weights(sizes).items() if h in room}
        scale = left / sum(roots.values())
        share = {h: min(room[h], roots[h] * scale) for h in room}
        floors = {h: math.floor(v) for h, v in share.items()}
        if sum(floors.values()) == 0:
            # Largest remainders first (name order breaks ties), one draw each.
            for h in sorted(share, key=lambda h: (-share[h], h))[:left]:
                floors[h] = 1
        for h, extra in floors.items():
            alloc[h] += extra
        left = n - sum(alloc.values())
    return alloc


def compute_draw(
    units: pl.DataFrame, n: int, seed: int, stratify: str
) -> tuple[pl.DataFrame, dict[str, dict[str, int]]]:
    """Pick units: (drawn rows with position, stratum, inclusion_prob; strata sizes and draws).

    Pure: the same units, n, seed and design always give the same draw. The
    drawn units come back in a random order (the sheet's order), so the
    strata are not grouped on the sheet.
    """
    rng = np.random.default_rng(seed)
    if stratify == "theme":
        labels = units["stratum_theme"].to_list()
    else:
        labels = [ALL_STRATUM] * units.height
    sizes: dict[str, int] = {}
    for h in labels:
        sizes[h] = sizes.get(h, 0) + 1
    alloc = allocate(dict(sorted(sizes.items())), n)
    label_array = np.asarray(labels, dtype=object)
    picked: list[int] = []
    for h in sorted(alloc):
        members = np.flatnonzero(label_array == h)
        picked += rng.choice(members, size=alloc[h], replace=False).tolist()
    order = rng.permutation(len(picked))
    chosen = [picked[i] for i in order]
    drawn = units[chosen].with_columns(
        position=pl.int_range(1, len(chosen) + 1, dtype=pl.Int32),
        stratum=pl.Series([labels[i] for i in chosen], dtype=pl.String),
    )
    drawn = drawn.with_columns(
        inclusion_prob=pl.col("stratum").replace_strict(
            {h: alloc[h] / sizes[h] for h in alloc}, return_dtype=pl.Float64
        )
    )
    return drawn, {h: {"units": sizes[h], "drawn": alloc[h]} for h in sorted(sizes)}


@dataclass(frozen=True)
class DrawResult:
    """What `review sample` drew."""

    info: SampleInfo
    census: bool
    no_quality: bool  # no quality run yet: campaign copies are separate units


def draw_sample(
    store: Store, n: int, *, seed: int | None = None, stratify: str = "none"
) -> DrawResult:
    """Draw a validation sample from the report's scope; record seed, units, weights, codebook."""
    if n < 1:
        raise SampleError("--n must be at least 1 (200 is a good start).")
    if stratify not in STRATIFY:
        raise SampleError(f"--stratify must be one of {', '.join(STRATIFY)}.")
    tag_run, codebook_hash = latest_tag_run(
        store, " (the coding sheet has one column per theme of the codebook)"
    )
    scope = load_scope(store)
    if scope.height == 0:
        raise SampleError("the store holds no replies: import some first (replyscope import FILE).")
    theme_order = load_theme_ids(store, codebook_hash)
    units = compute_units(scope, load_run_tags(store, tag_run), theme_order)
    seed = secrets.randbelow(1_000_000) if seed is None else int(seed)
    drawn, strata = compute_draw(units, n, seed, stratify)
    census = drawn.height >= units.height
    campaigns = units.filter(pl.col("copies") > 1).height
    note = (
        f"{plural(units.height, 'unit')}: {plural(scope.height, 'reply', 'replies')}, each "
        f"coordinated campaign one unit ({plural(campaigns, 'campaign')})"
        if campaigns
        else plural(units.height, "reply", "replies")
    )
    keys = _sheet_keys(drawn.height)
    with store.transaction():
        sample_id = start_run(
            store,
            "sample",
            parameters={"n": n, "seed": seed, "stratify": stratify, "tag_run_id": tag_run},
        )
        info = SampleInfo(
            sample_id=sample_id,
            design="stratified" if stratify == "theme" else "random",
            seed=seed,
            n_drawn=drawn.height,
            population=units.height,
            replies=scope.height,
            campaigns_once=campaigns > 0,
            codebook_hash=codebook_hash,
            tag_run_id=tag_run,
            strata=strata,
            note=note,
        )
        save_sample(store, info, drawn.with_columns(sheet_key=pl.Series(keys)), n_requested=n)
        finish_run(store, sample_id, RunCounts(rows_in=units.height, rows_added=drawn.height))
    return DrawResult(info, census, latest_run(store) is None)


def _sheet_keys(n: int) -> list[str]:
    """Random keys for the sheet's reply_id column: private (no account id), unique per sample."""
    keys: set[str] = set()
    while len(keys) < n:
        keys.add("r" + secrets.token_hex(5))
    return sorted(keys)


def save_sample(store: Store, info: SampleInfo, drawn: pl.DataFrame, *, n_requested: int) -> None:
    """Write the sample's record and its replies (within the caller's transaction)."""
    store.con.execute(
        """INSERT INTO validation_samples (sample_id, created_at, design, seed, n_requested,
               n_drawn, population, replies, campaigns_once, codebook_hash, tag_run_id,
               quality_run_id, strata, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            info.sample_id,
            now_utc(),
            info.design,
            info.seed,
            n_requested,
            info.n_drawn,
            info.population,
            info.replies,
            info.campaigns_once,
            info.codebook_hash,
            info.tag_run_id,
            latest_run(store),
            json.dumps(info.strata),
            info.note,
        ],
    )
    rows = drawn.select(
        pl.lit(info.sample_id, dtype=pl.Int64).alias("sample_id"),
        "position",
        "sheet_key",
        "platform",
        "reply_id",
        "unit_id",
        "stratum",
        "inclusion_prob",
    )
    store.con.register("_sample_in", rows.to_arrow())
    try:
        store.con.execute("INSERT INTO validation_sample_replies SELECT * FROM _sample_in")
    finally:
        store.con.unregister("_sample_in")


def load_sample(store: Store, sample_id: int | None = None) -> SampleInfo:
    """A recorded sample (default: the latest one)."""
    row = fetch_one(
        store.con,
        """SELECT sample_id, design, seed, n_drawn, population, replies, campaigns_once,
                  codebook_hash, tag_run_id, strata, note, quality_run_id, created_at
           FROM validation_samples
           WHERE sample_id = coalesce(?, (SELECT max(sample_id) FROM validation_samples))""",
        [sample_id],
    )
    if row is None:
        if sample_id is None:
            raise SampleError(
                "no validation sample yet: draw one with `replyscope review sample --n 200 -o "
                "sample.xlsx`."
            )
        raise SampleError(
            f'there is no sample {sample_id}; `replyscope sql "SELECT * FROM validation_samples"` '
            "lists them."
        )
    return SampleInfo(
        sample_id=int(row[0]),
        design=str(row[1]),
        seed=None if row[2] is None else int(row[2]),
        n_drawn=int(row[3]),
        population=int(row[4]),
        replies=int(row[5]),
        campaigns_once=bool(row[6]),
        codebook_hash=row[7],
        tag_run_id=None if row[8] is None else int(row[8]),
        strata=json.loads(row[9]) if row[9] else {},
        note=str(row[10] or ""),
        quality_run_id=None if row[11] is None else int(row[11]),
        created_at=row[12],
    )
