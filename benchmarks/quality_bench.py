"""Reply quality at scale: `replyscope quality` on 1,000,000 replies with planted campaigns.

Builds a store of N replies: unique replies drawn from a varied vocabulary
(real words plus made-up ones, Zipf-distributed), 300 planted campaigns of
5-200 near-copies each posted by distinct authors (a word changed, a name
added, case, punctuation and emoji varied), one-author duplicate bursts
(2-6 copies by one author: duplicates, not campaigns) and common short
replies ("so true", "first", "🔥🔥") said by many people. Then runs
`replyscope quality` in a subprocess and prints its time, its peak RSS and
the precision and recall of campaign detection:

  a planted campaign is found when one detected campaign holds >= 90% of its
  replies and >= 90% of that detected campaign's replies are planted ones
  (of that campaign); recall = found / planted; precision = detected
  campaigns that are >= 90% one planted campaign / detected campaigns.

Targets: <= 60 s, <= 4 GiB, recall >= 0.95, precision >= 0.95.

    python benchmarks/quality_bench.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from store import Store

COMMON = (
    "the we our and to of a in is that for it not be are with this they have but you more people "
    "need leaders who just really think about all staff public services council government money "
    "year time work school health city road police water price tax vote election minister party "
    "never always because would could should where when why how what again still every nobody"
).split()
NAMES = (
    "ana budi carla dewi emma farid gita hana ivan joko kate lina maria nadia omar putri".split()
)
EMOJI = ["", "", "", " 🔥", " 👍", " 😡", " 🙏🙏", "!!", "!", "."]
SHORT = ["so true", "first", "🔥🔥", "thank you", "agree", "same", "well said", "wkwkwk", "this"]


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    """Common words plus made-up words of 2-4 syllables."""
    syll = [c + v for c in "bcdfghjklmnprstvwyz" for v in "aeiou"] + ["ing", "er", "on", "ar"]
    made = {"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return COMMON + sorted(made)


def generate(rows: int, seed: int = 7) -> tuple[pl.DataFrame, dict[str, int]]:
    """Replies (reply_id, author_id, created_at, text, planted) and planted campaign sizes."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(rng))
    texts: list[str] = []
    authors: list[str] = []
    planted: list[str | None] = []
    sizes: dict[str, int] = {}

    # Zipf's law over the vocabulary (p ~ 1/rank): "the" is ~9% of words, most words are rare.
    cdf = np.cumsum(1.0 / np.arange(1, len(vocab) + 1))
    cdf /= cdf[-1]

    def words(n: int) -> list[str]:
        return vocab[np.minimum(np.searchsorted(cdf, nrng.random(n)), len(vocab) - 1)].tolist()

    for c in range(300):
        base = words(rng.randint(10, 35))
        size = rng.randint(5, 200)
        sizes[f"p{c}"] = size
        for k in range(size):
            w = list(base)
            if rng.random() < 0.6:
                w[rng.randrange(len(w))] = words(1)[0]
            if rng.random() < 0.3:
                w.insert(0, rng.choice(NAMES).capitalize() + ",")
            text = " ".join(w)
            text = text.upper() if rng.random() < 0.05 else text.capitalize()
            texts.append(text + rng.choice(EMOJI))
            authors.append(f"camp{c}_{k}")
            planted.append(f"p{c}")
    burst_author = 0
    while len(texts) < rows * 0.03:
        base = " ".join(words(rng.randint(6, 25)))
        burst_author += 1
        for _ in range(rng.randint(2, 6)):
            texts.append(base + rng.choice(EMOJI))
            authors.append(f"burst{burst_author}")
            planted.append(None)
    while len(texts) < rows * 0.06:
        texts.append(rng.choice(SHORT) + rng.choice(EMOJI))
        authors.append(f"short{len(texts)}")
        planted.append(None)
    remaining = rows - len(texts)
    lengths = nrng.integers(5, 40, size=remaining)
    flat = words(int(lengths.sum()))
    pos = 0
    for i, n in enumerate(lengths.tolist()):
        texts.append(" ".join(flat[pos : pos + n]).capitalize() + EMOJI[i % len(EMOJI)])
        authors.append(f"user{i}")
        planted.append(None)
        pos += n
    order = nrng.permutation(rows)
    frame = pl.DataFrame(
        {
            "reply_id": [str(10**18 + i) for i in range(rows)],
            "author_id": [authors[i] for i in order],
            "text": [texts[i] for i in order],
            "planted": [planted[i] for i in order],
            "offset": nrng.integers(0, 30 * 86400, size=rows),
        }
    )
    return frame, sizes


def build_store(db: Path, frame: pl.DataFrame) -> None:
    """Insert the generated replies into a fresh store."""
    with Store.open(db) as store:
        store.con.register("_gen", frame.drop("planted").to_arrow())
        store.con.execute(
            """INSERT INTO replies (platform, reply_id, thread_id, author_id, text, created_at,
                                    first_seen_at, last_seen_at, source_run_id)
               SELECT 'x', reply_id, 'x:1', author_id, text,
                      TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds("offset"), now(), now(), 0
               FROM _gen"""
        )


def score(db: Path, frame: pl.DataFrame, sizes: dict[str, int]) -> tuple[float, float, int]:
    """(precision, recall, detected campaigns) of the latest quality run."""
    with Store.open(db, read_only=True) as store:
        found = pl.from_arrow(
            store.con.sql(
                """SELECT reply_id, campaign_id FROM reply_quality
                   WHERE run_id = (SELECT max(run_id) FROM reply_quality)
                      AND campaign_id IS NOT NULL"""
            ).to_arrow_table()
        )
    assert isinstance(found, pl.DataFrame)
    joined = found.join(frame.select("reply_id", "planted"), on="reply_id")
    per = joined.group_by("campaign_id", "planted").len()
    totals = joined.group_by("campaign_id").agg(total=pl.len())
    best = (
        per.join(totals, on="campaign_id")
        .filter(pl.col("planted").is_not_null())
        .with_columns(
            purity=pl.col("len") / pl.col("total"),
            cover=pl.col("len") / pl.col("planted").replace_strict(sizes, return_dtype=pl.Int64),
        )
    )
    good = best.filter(pl.col("purity") >= 0.9)
    hits = good.filter(pl.col("cover") >= 0.9)["planted"].n_unique()
    detected = totals.height
    precision = good["campaign_id"].n_unique() / detected if detected else 0.0
    return precision, hits / len(sizes), detected


def main() -> None:
    """Build, run, score, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="work folder to keep")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rs-quality-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "quality.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    frame, sizes = generate(args.rows)
    build_store(db, frame)
    planted = sum(sizes.values())
    print(
        f"built a store of {args.rows:,} replies ({len(sizes)} campaigns, {planted:,} campaign "
        "replies) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    cmd = [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "quality"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    took = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024 / 1024
    cpu = usage.ru_utime + usage.ru_stime
    precision, recall, detected = score(db, frame, sizes)
    print(f"time      replyscope quality:   {took:7.2f} s   (target <= 60 s)")
    print(f"CPU time  (user + system):      {cpu:7.2f} s   (wall time suffers on a busy machine)")
    print(f"peak RSS  replyscope quality:   {peak:7.2f} GiB (target <= 4 GiB)")
    print(f"campaigns detected:             {detected:7d}   (planted {len(sizes)})")
    print(f"recall    planted found:        {recall:7.3f}   (target >= 0.95)")
    print(f"precision detected that are planted: {precision:7.3f}   (target >= 0.95)")


if __name__ == "__main__":
    main()
