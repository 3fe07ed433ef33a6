"""Report speed and size at scale: 1,000,000 tagged and topic-modelled replies -> report.html.

Builds a store with N generated replies, tags them with the default codebook
(`replyscope tag`), writes a synthetic topic run (topic tables filled
directly: the topic model itself is timed by topics_bench.py), scores
nothing else, then times `replyscope report` and prints the file size.
Targets: <= 20 s and <= 10 MB.

    python benchmarks/report_bench.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from store import Store, start_run

ROOT = Path(__file__).resolve().parents[1]


def build(db: Path, rows: int) -> None:
    """Replies (via tag_bench's generator), tags, and a synthetic topic run."""
    sys.path.insert(0, str(Path(__file__).parent))
    from tag_bench import build_store

    build_store(db, rows)
    subprocess.run(
        [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "tag"], check=True, cwd=ROOT
    )
    rng = random.Random(3)
    with Store.open(db) as store:
        run_id = start_run(store, "topics", parameters={"synthetic": True})
        keys = pl.from_arrow(
            store.con.sql("SELECT platform, reply_id FROM replies").to_arrow_table()
        )
        assert isinstance(keys, pl.DataFrame)
        topics = [rng.choice(range(-1, 20)) for _ in range(keys.height)]
        frame = keys.with_columns(
            topic_id=pl.Series(topics, dtype=pl.Int32), probability=pl.lit(0.8)
        )
        store.con.register("_rt", frame.to_arrow())
        store.con.execute(
            "INSERT INTO reply_topics SELECT ?, platform, reply_id, topic_id, probability FROM _rt",
            [run_id],
        )
        store.con.unregister("_rt")
        for t in range(-1, 20):
            store.con.execute(
                "INSERT INTO topics VALUES (?, ?, ?, ?, ?, 0, ?)",
                [
                    run_id,
                    t,
                    f"topic {t}",
                    json.dumps([[f"word{t}", 0.1]]),
                    topics.count(t),
                    json.dumps([{"text": f"example {t}"}]),
                ],
            )
        store.con.execute(
            "INSERT INTO topic_runs VALUES (?, 'synthetic', 42, '{}', '{}', ?, 21, ?, NULL)",
            [run_id, keys.height, topics.count(-1) / keys.height],
        )


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="work folder to keep (reused when it holds a store)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rs-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "report.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        build(db, args.rows)
        print(
            f"built a tagged, topic-modelled store of {args.rows:,} replies in "
            f"{time.perf_counter() - t0:.0f} s"
        )
    out = work / "report.html"
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "report", "-o", str(out)],
        check=True,
        cwd=ROOT,
    )
    took = time.perf_counter() - t0
    size = out.stat().st_size / 1e6
    print(f"report    replyscope report:  {took:6.1f} s  (target <= 20 s)")
    print(f"size      report.html:        {size:6.1f} MB (target <= 10 MB)")


if __name__ == "__main__":
    main()
