"""Import speed and memory: `replyscope import` of a 1,000,000-row CSV vs bare DuckDB.

Generates a reply CSV (ids above 2^53, ISO dates, likes like "1.2K", quoted
texts with commas and newlines), then times, in this same run:
  baseline  CREATE TABLE t AS SELECT * FROM read_csv('file')   (bare DuckDB)
  import    replyscope --db X import file                      (the whole job)
and prints the ratio (target <= 2.0) and the import's peak RSS (target <= 2 GiB).

    python benchmarks/import_bench.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

WORDS = (
    "leadership public services trust front line staff listen community council funding "
    "burnout targets bureaucracy place partnership values honesty care outcomes people "
    "nhs police schools social work budget change culture risk learning hybrid office"
).split()


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a realistic reply CSV with `rows` rows."""
    rng = random.Random(seed)
    base_id = 1_600_000_000_000_000_000
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "conversation_id",
                "parent_id",
                "username",
                "created_at",
                "likes",
                "lang",
                "text",
            ]
        )
        for i in range(rows):
            thread = base_id + (i % 50) * 10_000_000
            rid = base_id + 1 + i * 7
            parent = thread if rng.random() < 0.8 else base_id + 1 + rng.randrange(max(i, 1)) * 7
            likes = rng.choice(["0", "1", "2", "5", str(rng.randrange(1000)), "1.2K", "26.5K", ""])
            n = rng.randint(3, 40)
            text = " ".join(rng.choice(WORDS) for _ in range(n))
            if i % 97 == 0:
                text += ', "quoted", and a comma'
            if i % 501 == 0:
                text += "\nsecond line"
            ts = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z"
            w.writerow([rid, thread, parent, f"user{i % 90_000}", ts, likes, "en", text])


def run(args: argparse.Namespace) -> None:
    """Generate, time the baseline and the import, print figures and ratios."""
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rs-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "replies.csv"
    if not data.exists() or args.regenerate:
        t0 = time.perf_counter()
        generate(data, args.rows)
        print(
            f"generated {args.rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )

    base_db = work / "baseline.duckdb"
    base_db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(base_db))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(data)])
    n = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    baseline = time.perf_counter() - t0
    print(
        f"baseline  bare DuckDB read_csv into a table: {baseline:6.2f} s ({n[0] if n else 0:,} "
        "rows)"
    )

    db = work / "import.duckdb"
    db.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "cli", "--quiet", "--db", str(db), "import", str(data)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    took = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT count(*) FROM replies").fetchone()
    raw = con.execute("SELECT count(*) FROM raw_records").fetchone()
    con.close()
    print(
        f"import    replyscope import:                  {took:6.2f} s "
        f"({stored[0] if stored else 0:,} replies, {raw[0] if raw else 0:,} raw rows)"
    )
    print(f"ratio     import / baseline:                  {took / baseline:6.2f}  (target <= 2.0)")
    print(
        f"peak RSS  replyscope import:                  {max(peak_kib, before) / 1024 / 1024:6.2f} "
        "GiB (target <= 2 GiB)"
    )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="work folder to keep (and reuse the generated CSV)")
    parser.add_argument("--regenerate", action="store_true")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
