"""Tagging speed and memory: `replyscope tag` on 1,000,000 replies vs a naive loop and polars.

Builds a store with N generated replies (words from the default codebook's
terms mixed with filler), then times in this same run:
  tag      replyscope --db X tag      (the whole job: load, match, evidence, store, statistics)
  naive    a per-reply Python `re` loop over the same terms (on a 100k slice, scaled to N)
  polars   a bare polars str.contains_any scan over the same terms (one per theme, lowercased text)
and prints the ratios (targets: >= 20x faster than naive; <= 3x the polars scan) and the
tag run's peak RSS (target <= 3 GiB). With --language CODE it also times the same codebook
with `language = CODE` (stemmed matching) and prints that ratio (target <= 1.5x).

    python benchmarks/tag_bench.py [--rows 1000000] [--keep DIR] [--language en]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from analysis.codebook import load_codebook, to_toml
from store import Store

FILLER = (
    "the we our and to of a in is that for it not be are with this they have but you more "
    "people need leaders who just really think about all staff public services council"
).split()


def build_store(db: Path, rows: int, seed: int = 11) -> list[str]:
    """A store with `rows` generated replies; returns their texts."""
    cb = load_codebook(None)
    terms = [t.rstrip("*") for th in cb.themes for t in th.include]
    rng = random.Random(seed)
    texts = []
    for _ in range(rows):
        words = [rng.choice(FILLER) for _ in range(rng.randint(5, 35))]
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            words.insert(rng.randrange(len(words) + 1), rng.choice(terms))
        if rng.random() < 0.1:
            words.append("#PublicServices")
        texts.append(" ".join(words).capitalize())
    frame = pl.DataFrame(
        {
            "platform": ["x"] * rows,
            "reply_id": [str(10**18 + i) for i in range(rows)],
            "thread_id": ["x:1"] * rows,
            "text": texts,
            "like_count": [int(rng.paretovariate(1.2)) - 1 for _ in range(rows)],
        }
    )
    with Store.open(db) as store:
        store.con.register("_gen", frame.to_arrow())
        store.con.execute(
            """INSERT INTO replies (platform, reply_id, thread_id, text, like_count, first_seen_at,
                                   last_seen_at, source_run_id)
               SELECT platform, reply_id, thread_id, text, like_count, now(), now(), 0 FROM _gen"""
        )
    return texts


def naive_loop(texts: list[str]) -> float:
    """Seconds for a per-reply Python `re` loop over every term of every theme."""
    cb = load_codebook(None)
    compiled = [
        (
            th.id,
            [
                re.compile(
                    r"\b" + re.escape(t.rstrip("*")) + ("" if t.endswith("*") else r"\b"), re.I
                )
                for t in th.include
            ],
        )
        for th in cb.themes
    ]
    t0 = time.perf_counter()
    for text in texts:
        [tid for tid, pats in compiled if any(p.search(text) for p in pats)]
    return time.perf_counter() - t0


def polars_scan(texts: list[str]) -> float:
    """Seconds for a bare polars contains_any per theme over lowercased text."""
    cb = load_codebook(None)
    s = pl.Series(texts)
    t0 = time.perf_counter()
    low = s.str.to_lowercase()
    for th in cb.themes:
        low.str.contains_any([t.rstrip("*").lower() for t in th.include])
    return time.perf_counter() - t0


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="work folder to keep")
    parser.add_argument("--language", help="also time the codebook with this language (stemmed)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rs-tag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "tag.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    texts = build_store(db, args.rows)
    print(f"built a store of {args.rows:,} replies in {time.perf_counter() - t0:.1f} s")

    cmd = [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "tag"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    tag = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024

    slice_n = min(100_000, len(texts))
    naive = naive_loop(texts[:slice_n]) * len(texts) / slice_n
    scan = polars_scan(texts)
    print(f"tag       replyscope tag:                       {tag:7.2f} s")
    print(f"naive     per-reply re loop (scaled from {slice_n:,}): {naive:7.2f} s")
    print(f"polars    bare contains_any scan:               {scan:7.2f} s")
    print(f"speed-up  naive / tag:                          {naive / tag:7.1f}x  (target >= 20x)")
    print(f"ratio     tag / polars scan:                    {tag / scan:7.2f}   (target <= 3)")
    print(f"peak RSS  replyscope tag:                       {peak:7.2f} GiB (target <= 3 GiB)")
    if args.language:
        stemmed = time_tag(db, stemmed_codebook(work, args.language))
        plain = time_tag(db)  # run again after it, so both ran on a warm store
        print(f"stemmed   tag, codebook language {args.language}:         {stemmed:7.2f} s")
        print(f"plain     tag again, no language:               {plain:7.2f} s")
        ratio = stemmed / plain
        print(f"ratio     stemmed / plain:                      {ratio:7.2f}   (target <= 1.5)")


def stemmed_codebook(work: Path, language: str) -> Path:
    """The default codebook with `language` set, written to the work folder."""
    path = work / f"codebook-{language}.toml"
    path.write_text(to_toml(dataclasses.replace(load_codebook(None), language=language)))
    return path


def time_tag(db: Path, codebook: Path | None = None) -> float:
    """Seconds for `replyscope tag` (with the default codebook, or this one)."""
    cmd = [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "tag"]
    cmd += ["--codebook", str(codebook)] if codebook else []
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
