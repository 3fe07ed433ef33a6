"""Theme shares, likes-weighted shares, resonance and bootstrap confidence intervals.

For each theme: replies tagged and their share of all replies in scope; the
tagged replies' share of all likes (likes-weighted share); resonance = likes
share ÷ reply share (above 1: the theme resonates more than it is voiced);
and 95% bootstrap intervals for both shares (replies resampled with
replacement, fixed seed, so the same data always gives the same interval).

Replies with the same like count and the same set of themes are
interchangeable in a resample, so the bootstrap draws counts per group
(Poisson bootstrap: each reply weighted by a Poisson(1) draw) instead of per
reply: a million replies cost little more than a thousand.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

BOOTSTRAP_SEED = 20260302
BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_WORKERS = min(4, os.cpu_count() or 1)  # threads; the draws do not depend on it
BOOTSTRAP_BLOCK_VALUES = 5_000_000  # values drawn per block of replicates


_COLUMNS = (
    "theme_id",
    "replies",
    "replies_weighted",
    "share",
    "share_low",
    "share_high",
    "likes",
    "likes_share",
    "likes_share_low",
    "likes_share_high",
    "resonance",
    "replies_in_scope",
)


@dataclass
class _Groups:
    """Replies grouped by (set of themes, likes, weight), G groups over K themes."""

    likes: np.ndarray  # G: the like count of each of the group's replies
    counts: np.ndarray  # G: replies in the group
    weight: np.ndarray  # G: the weight of each of them (1, or 1/k for a campaign's k copies)
    member: np.ndarray  # G x K: 1.0 where group g carries theme k


def compute_theme_stats(
    replies: pl.DataFrame,
    tags: pl.DataFrame,
    theme_ids: list[str],
    *,
    seed: int = BOOTSTRAP_SEED,
    replicates: int = BOOTSTRAP_REPLICATES,
) -> pl.DataFrame:
    """Stats per theme from replies(key, like_count) and tags(key, theme_id); key: any id column."""
    if replies.height == 0 or not theme_ids:
        return pl.DataFrame(
            schema={c: (pl.String if c == "theme_id" else pl.Float64) for c in _COLUMNS}
        )
    g = _groups(replies, tags, theme_ids)
    counts = g.counts * g.weight  # weighted replies per group
    scope = float(counts.sum())  # replies in scope; each campaign once when weighted
    total_likes = float((g.likes * counts).sum())
    tagged = counts @ g.member  # K
    tagged_likes = (g.likes * counts) @ g.member
    share = tagged / scope
    likes_share = tagged_likes / total_likes if total_likes else np.full(len(theme_ids), np.nan)
    share_ci, likes_ci = _bootstrap(g.counts, g.weight, g.likes, g.member, seed, replicates)
    with np.errstate(divide="ignore", invalid="ignore"):
        resonance = np.where(share > 0, likes_share / share, np.nan)
    return pl.DataFrame(
        {
            "theme_id": theme_ids,
            # Rounded for the BIGINT column; with campaigns counted once the
            # count can be fractional (1/k per copy): replies_weighted keeps it,
            # and share = replies_weighted / replies_in_scope.
            "replies": np.rint(tagged).astype(np.int64),
            "replies_weighted": tagged,
            "share": share,
            "share_low": share_ci[0],
            "share_high": share_ci[1],
            "likes": np.rint(tagged_likes).astype(np.int64),
            "likes_share": likes_share,
            "likes_share_low": likes_ci[0],
            "likes_share_high": likes_ci[1],
            "resonance": resonance,
            "replies_in_scope": [round(scope)] * len(theme_ids),
        }
    ).with_columns(pl.col(pl.Float64).fill_nan(None))


def _groups(replies: pl.DataFrame, tags: pl.DataFrame, theme_ids: list[str]) -> _Groups:
    """The replies grouped by set of themes, like count and weight, in a stable order."""
    n = replies.height
    index = {t: i for i, t in enumerate(theme_ids)}
    likes = replies.select(pl.col("like_count").fill_null(0).clip(lower_bound=0).cast(pl.Int64))[
        "like_count"
    ]
    # An optional weight per reply: 1/k for each of a campaign's k copies, so
    # that a coordinated campaign counts as one reply ("count campaigns once").
    weights = (
        replies["weight"].fill_null(1.0).cast(pl.Float64)
        if "weight" in replies.columns
        else pl.Series("weight", [1.0] * n, dtype=pl.Float64)
    )
    keyed = replies.select("key").with_row_index("i")
    sets = (
        tags.filter(pl.col("theme_id").is_in(theme_ids))
        .join(keyed, on="key")
        .with_columns(bit=pl.col("theme_id").replace_strict(index, return_dtype=pl.Int64))
        .group_by("i")
        .agg(themes=pl.col("bit").unique().sort())
    )
    frame = keyed.join(sets, on="i", how="left", maintain_order="left").with_columns(
        pl.col("themes").fill_null([]), likes=likes, weight=weights
    )
    # Sorted, so the same data always gives the same draws (group_by order is not stable).
    groups = (
        frame.group_by("themes", "likes", "weight")
        .agg(pl.len().alias("count"))
        .with_columns(order=pl.col("themes").cast(pl.List(pl.String)).list.join(","))
        .sort("order", "likes", "weight")
    )
    member = np.zeros((groups.height, len(theme_ids)))
    for g, members in enumerate(groups["themes"].to_list()):
        member[g, members] = 1.0
    return _Groups(
        likes=groups["likes"].to_numpy().astype(np.float64),
        counts=groups["count"].to_numpy().astype(np.float64),
        weight=groups["weight"].to_numpy().astype(np.float64),
        member=member,
    )


def _bootstrap(
    counts: np.ndarray,
    gweight: np.ndarray,
    glikes: np.ndarray,
    member: np.ndarray,
    seed: int,
    replicates: int,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """2.5% and 97.5% quantiles of both shares over Poisson-bootstrap resamples of the groups."""
    k = member.shape[1]
    shares = np.empty((replicates, k))
    lshares = np.empty((replicates, k))
    # A block draws step x groups values (~8 bytes each, a few copies): blocks
    # of ~5M values, at most WORKERS at a time, keep memory flat on big machines.
    step = max(1, min(replicates, BOOTSTRAP_BLOCK_VALUES // max(len(counts), 1)))
    starts = list(range(0, replicates, step))
    if not starts:
        nan = np.full(k, np.nan)
        return (nan, nan), (nan, nan)
    # Each block of replicates has its own generator, spawned from the seed:
    # the same draws whatever the number of threads (numpy releases the GIL).
    seeds = np.random.SeedSequence(seed).spawn(len(starts))

    def block(i: int) -> None:
        done = starts[i]
        b = min(step, replicates - done)
        rng = np.random.default_rng(seeds[i])
        # Poisson bootstrap: each reply drawn Poisson(1) times, summed per group,
        # then weighted (a campaign still counts once). It matches the
        # multinomial resample closely and is vectorised.
        draw = rng.poisson(counts, size=(b, len(counts))).astype(np.float64) * gweight  # b x G
        totals = np.maximum(draw.sum(axis=1, keepdims=True), 1e-12)
        shares[done : done + b] = (draw @ member) / totals
        liked = draw * glikes
        tot = liked.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            lshares[done : done + b] = np.where(tot > 0, (liked @ member) / tot, np.nan)

    with ThreadPoolExecutor(max_workers=min(len(starts), BOOTSTRAP_WORKERS)) as pool:
        list(pool.map(block, range(len(starts))))

    def q(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if np.isnan(a).all():
            nan = np.full(k, np.nan)
            return nan, nan
        return np.nanquantile(a, 0.025, axis=0), np.nanquantile(a, 0.975, axis=0)

    return q(shares), q(lshares)


# --- one reply driving the likes figures -------------------------------------------

DOMINANCE = 0.25  # a reply holding more than this share of the likes drives the figure
# ...when removing it moves the figures this much (else the warning is noise: on a
# thread where one reply holds half of all likes, every theme would carry it).
MATERIAL_LIKES_SHARE = 0.05  # 5 points of likes share
MATERIAL_RESONANCE = 0.25

_DOMINANCE_SCHEMA = {
    "theme_id": pl.String,
    "driver_key": pl.String,
    "driver_likes": pl.Float64,
    "driver_theme_share": pl.Float64,  # the reply's share of the theme's likes
    "driver_all_share": pl.Float64,  # its share of all likes in scope
    "driver_in_theme": pl.Boolean,
    "likes_share": pl.Float64,
    "resonance": pl.Float64,
    "likes_share_without": pl.Float64,
    "resonance_without": pl.Float64,
}


def compute_like_dominance(
    replies: pl.DataFrame, tags: pl.DataFrame, theme_ids: list[str]
) -> pl.DataFrame:
    """Themes whose likes figures one reply drives, with the figures without that reply.

    replies(key, like_count[, weight]), tags(key, theme_id). A theme is
    driven when one of its replies holds more than a quarter of its likes,
    or when one reply holds more than a quarter of all likes (then every
    theme's likes share depends on whether it carries that reply). "Without"
    removes the reply from the scope: from the theme and from all replies.
    """
    if replies.height == 0 or not theme_ids:
        return pl.DataFrame(schema=_DOMINANCE_SCHEMA)
    weight = pl.col("weight").fill_null(1.0) if "weight" in replies.columns else pl.lit(1.0)
    scope = replies.select(
        "key",
        w=weight.cast(pl.Float64),
        c=pl.col("like_count").fill_null(0).clip(lower_bound=0).cast(pl.Float64),
    ).with_columns(c=pl.col("c") * pl.col("w"))
    total_l, total_n = float(scope["c"].sum()), float(scope["w"].sum())
    if total_l <= 0:
        return pl.DataFrame(schema=_DOMINANCE_SCHEMA)
    top_all = scope.sort(["c", "key"], descending=[True, False]).row(0, named=True)
    tagged = tags.filter(pl.col("theme_id").is_in(theme_ids)).unique().join(scope, on="key")
    rows = []
    for theme_id in theme_ids:
        mine = tagged.filter(pl.col("theme_id") == theme_id)
        row = _theme_dominance(theme_id, mine, top_all, total_l, total_n)
        if row is not None:
            rows.append(row)
    return pl.DataFrame(rows, schema=_DOMINANCE_SCHEMA, orient="row")


def _theme_dominance(
    theme_id: str,
    mine: pl.DataFrame,
    top_all: dict[str, Any],
    total_l: float,
    total_n: float,
) -> tuple[object, ...] | None:
    """One theme's dominance row, or None when no single reply drives its figures.

    Candidates: the theme's own most liked reply (over a quarter of the
    theme's likes), then the most liked reply of all (over a quarter of all
    likes); the first whose removal moves the figures materially is named.
    """
    theme_l, theme_n = float(mine["c"].sum()), float(mine["w"].sum())
    if theme_n == 0:
        return None  # no replies, no figure to warn about
    candidates = []
    top = mine.sort(["c", "key"], descending=[True, False]).row(0, named=True) if theme_l else None
    if top is not None and top["c"] > DOMINANCE * theme_l:
        candidates.append((top, True))
    if float(top_all["c"]) > DOMINANCE * total_l and (top is None or top["key"] != top_all["key"]):
        in_theme = bool(mine.filter(pl.col("key") == top_all["key"]).height)
        if in_theme or theme_l > 0:  # no likes with or without it: nothing moves
            candidates.append((top_all, in_theme))
    for driver, in_theme in candidates:
        row = _without(theme_id, driver, in_theme, (theme_l, theme_n), (total_l, total_n))
        if row is not None:
            return row
    return None


def _without(
    theme_id: str,
    driver: dict[str, Any],
    in_theme: bool,
    theme: tuple[float, float],
    total: tuple[float, float],
) -> tuple[object, ...] | None:
    """The dominance row for one driving reply, or None when removing it changes little."""
    (theme_l, theme_n), (total_l, total_n) = theme, total
    c, w = float(driver["c"]), float(driver["w"])
    rest_l, rest_n = total_l - c, total_n - w
    theme_l_wo = theme_l - c if in_theme else theme_l
    theme_n_wo = theme_n - w if in_theme else theme_n
    likes_share = theme_l / total_l
    share = theme_n / total_n if total_n else 0.0
    likes_wo = theme_l_wo / rest_l if rest_l > 0 else None
    share_wo = theme_n_wo / rest_n if rest_n > 0 else 0.0
    resonance = likes_share / share if share else None
    resonance_wo = likes_wo / share_wo if likes_wo is not None and share_wo > 0 else None
    if not _material(likes_share, likes_wo, resonance, resonance_wo):
        return None
    return (
        theme_id,
        str(driver["key"]),
        c,
        c / theme_l if theme_l and in_theme else 0.0,
        c / total_l,
        in_theme,
        likes_share,
        resonance,
        likes_wo,
        resonance_wo,
    )


def _material(
    likes: float, likes_wo: float | None, res: float | None, res_wo: float | None
) -> bool:
    """Whether the figures without the driving reply differ enough to be worth a warning."""
    if likes_wo is None or (res is None) != (res_wo is None):
        return True
    if abs(likes_wo - likes) >= MATERIAL_LIKES_SHARE:
        return True
    return res is not None and res_wo is not None and abs(res_wo - res) >= MATERIAL_RESONANCE
