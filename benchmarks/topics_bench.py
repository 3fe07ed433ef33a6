"""Topic models: quality on the demo against hand-coded themes; speed/memory on 100,000 replies.

Part 1, demo (in this process, like `replyscope topics`): imports the bundled
demo thread, runs the topic model with each embedder and several seeds, and
scores the topics against the primary theme of each hand-coded reply in
analysis/data/validation_demo.csv: NMI, AMI (chance-corrected), ARI and
purity (outliers count as one more group), with the outlier share before and
after outlier reduction, the number of topics and the time. Then it times
`replyscope topics` as a subprocess on the demo store: the first run ever
(empty numba cache), and a second run (target <= 20 s).

Part 2, scale: builds a store of N generated replies (demo replies reworded
at random) and times `replyscope topics` (a subprocess each) per embedder:
the first run (every reply embedded) and a cached run (nothing embedded),
with each run's peak RSS. Targets, default embedder: first run <= 180 s,
peak <= 4 GiB; minilm: the cached run >= 3x faster than the first.

    python benchmarks/topics_bench.py [--rows 100000] [--embedders wordllama,minilm,tfidf]
                                      [--seeds 3] [--skip-demo] [--skip-scale] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.topics import TopicOptions, compute_topic_run  # noqa: E402
from collectors.demo import DEMO_FILE  # noqa: E402
from collectors.files import ImportOptions, import_file  # noqa: E402
from store import Store  # noqa: E402

GOLD = ROOT / "analysis" / "data" / "validation_demo.csv"
# Runs `replyscope` with the topics commands attached whether or not cli.py
# lists them yet, and writes the process's peak RSS (KiB) to $RS_PEAK_FILE.
LAUNCHER = """
import atexit, os, resource
atexit.register(lambda: open(os.environ["RS_PEAK_FILE"], "w").write(
    str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
from cli import main
from commands.topics import COMMANDS
for c in COMMANDS:
    if c.name not in main.commands:
        main.add_command(c)
main()
"""


def run_cli(
    db: Path, args: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """(seconds, peak GiB, stderr) of one `replyscope --db DB topics ...` subprocess."""
    peak_file = Path(tempfile.mkstemp(prefix="rs-peak-")[1])
    full_env = {**os.environ, **(env or {}), "RS_PEAK_FILE": str(peak_file)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "--db", str(db), "topics", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"replyscope topics {' '.join(args)} failed:\n{proc.stderr}")
    peak = int(peak_file.read_text() or 0) / 1024 / 1024
    peak_file.unlink()
    return seconds, peak, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""


def gold_primary() -> dict[str, str]:
    """reply_id -> first (primary) hand-coded theme."""
    with GOLD.open(encoding="utf-8") as fh:
        return {
            r["reply_id"]: r["themes"].split(";")[0].strip()
            for r in csv.DictReader(fh)
            if r["themes"].strip()
        }


def purity(gold: list[str], pred: list[int]) -> float:
    """Share of replies whose topic's most common gold theme is theirs."""
    groups: dict[int, list[str]] = {}
    for g, p in zip(gold, pred, strict=True):
        groups.setdefault(p, []).append(g)
    return sum(Counter(v).most_common(1)[0][1] for v in groups.values()) / len(gold)


def demo_quality(work: Path, embedders: list[str], seeds: int) -> None:
    """Score topics against the gold themes, per embedder (mean over seeds)."""
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        normalized_mutual_info_score,
    )

    gold = gold_primary()
    print(
        f"demo data vs {GOLD.name} ({len(gold)} replies with a primary theme), {seeds} seeds each"
    )
    header = "embedder    topics  before  outliers   NMI    AMI    ARI   purity  1st run  cached"
    print(header)
    for spec in embedders:
        db = work / f"demo-{spec}.duckdb"
        db.unlink(missing_ok=True)
        with Store.open(db) as store:
            import_file(store, DEMO_FILE, ImportOptions())
            scores: list[tuple[float, ...]] = []
            first = cached = 0.0
            for seed in range(1, seeds + 1):
                result = compute_topic_run(store, TopicOptions(embedder=spec, seed=seed))
                if seed == 1:
                    first = result.seconds
                    cached = compute_topic_run(store, TopicOptions(embedder=spec, seed=1)).seconds
                assigned = dict(
                    store.con.execute(
                        "SELECT reply_id, topic_id FROM reply_topics WHERE run_id = ?",
                        [result.run_id],
                    ).fetchall()
                )
                params = json.loads(
                    store.con.execute(
                        "SELECT parameters FROM topic_runs WHERE run_id = ?", [result.run_id]
                    ).fetchall()[0][0]
                )
                keys = [k for k in gold if k in assigned]
                g = [gold[k] for k in keys]
                p = [int(assigned[k]) for k in keys]
                scores.append(
                    (
                        result.topics,
                        float(params.get("outlier_share_before", 0.0)),
                        result.outlier_share,
                        normalized_mutual_info_score(g, p),
                        adjusted_mutual_info_score(g, p),
                        adjusted_rand_score(g, p),
                        purity(g, p),
                    )
                )
            mean = [sum(col) / len(col) for col in zip(*scores, strict=True)]
            print(
                f"{spec:10} {mean[0]:6.1f}  {mean[1]:6.1%}  {mean[2]:7.1%}  {mean[3]:5.3f}  "
                f"{mean[4]:5.3f}  "
                f"{mean[5]:5.3f}  {mean[6]:6.3f}  {first:6.1f}s  {cached:5.1f}s"
            )


def demo_cli(work: Path) -> None:
    """`replyscope topics` on the demo store: first run ever (empty numba cache), then again."""
    db = work / "demo-cli.duckdb"
    db.unlink(missing_ok=True)
    with Store.open(db) as store:
        import_file(store, DEMO_FILE, ImportOptions())
    cold = tempfile.mkdtemp(prefix="rs-numba-cold-")
    first, peak1, _ = run_cli(db, [], env={"REPLYSCOPE_NUMBA_CACHE": cold})
    second, peak2, _ = run_cli(db, [], env={"REPLYSCOPE_NUMBA_CACHE": cold})
    print(
        f"replyscope topics, demo data, first run ever (empty numba cache): {first:6.1f} s, peak "
        f"{peak1:.2f} GiB"
    )
    print(
        f"replyscope topics, demo data, second run:                          {second:6.1f} s, peak "
        f"{peak2:.2f} GiB (target <= 20 s)"
    )


def build_store(db: Path, rows: int, seed: int = 5) -> None:
    """A store of `rows` replies: demo replies with words dropped, added and swapped at random."""
    with Store.open(db) as store:
        import_file(store, DEMO_FILE, ImportOptions())
        base = [
            r[0]
            for r in store.con.execute(
                "SELECT text FROM replies WHERE length(text) > 20 ORDER BY reply_id"
            ).fetchall()
        ]
        store.con.execute("DELETE FROM replies")
        rng = random.Random(seed)
        vocab = " ".join(base).split()
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        texts, ids, likes, created = [], [], [], []
        for i in range(rows):
            words = rng.choice(base).split()
            for _ in range(rng.randint(0, 2)):
                if len(words) > 4:
                    del words[rng.randrange(len(words))]
            for _ in range(rng.randint(1, 4)):
                words.insert(rng.randrange(len(words) + 1), rng.choice(vocab))
            texts.append(" ".join(words))
            ids.append(str(10**18 + i))
            likes.append(int(rng.paretovariate(1.2)) - 1)
            created.append(start + timedelta(minutes=int(rng.expovariate(1 / 900))))
        frame = pl.DataFrame(
            {"reply_id": ids, "text": texts, "like_count": likes, "created_at": created}
        )
        store.con.register("_gen", frame.to_arrow())
        store.con.execute(
            """INSERT INTO replies (platform, reply_id, thread_id, text, like_count, created_at,
                                    first_seen_at, last_seen_at, source_run_id)
               SELECT 'bluesky', reply_id, (SELECT min(thread_id) FROM threads), text, like_count,
                      created_at, now(), now(), 0 FROM _gen"""
        )
        store.con.unregister("_gen")


def scale(work: Path, rows: int, embedders: list[str]) -> None:
    """First and cached `replyscope topics` per embedder on a generated store."""
    db = work / "scale.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    build_store(db, rows)
    print(f"\nbuilt a store of {rows:,} generated replies in {time.perf_counter() - t0:.1f} s")
    print("embedder    first run   peak     cached run  peak     first/cached")
    for spec in embedders:
        first, peak1, summary = run_cli(db, ["--embedder", spec])
        cached, peak2, _ = run_cli(db, ["--embedder", spec])
        print(
            f"{spec:10} {first:8.1f} s  {peak1:4.2f} GiB  {cached:8.1f} s  {peak2:4.2f} GiB  "
            f"{first / cached:8.1f}x",
            flush=True,
        )
        print(f"           {summary[:160]}", flush=True)
    print("targets: wordllama first run <= 180 s and peak <= 4 GiB; minilm first/cached >= 3x")


def main() -> None:
    """Parse the options and run the parts asked for."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--embedders", default="wordllama,minilm,tfidf")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--keep", help="work folder to keep")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rs-topics-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    embedders = [e.strip() for e in args.embedders.split(",") if e.strip()]
    if not args.skip_demo:
        demo_quality(work, embedders, args.seeds)
        demo_cli(work)
    if not args.skip_scale:
        scale(work, args.rows, embedders)


if __name__ == "__main__":
    main()
