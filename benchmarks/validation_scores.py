"""Score the tagging methods on the hand-coded validation set; choose thresholds honestly.

Imports the bundled demo thread into a temporary store, then for keyword,
semantic (per embedder) and both (keyword OR semantic) prints micro/macro F1
against analysis/data/validation_demo.csv. Semantic thresholds are chosen
by two-fold cross-validation (choose on one half, score on the other, and the
reverse), so the reported figures are not tuned on the replies they score;
the threshold printed for shipping is the one chosen on all gold replies.

    python benchmarks/validation_scores.py [--embedders wordllama,minilm,tfidf]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from analysis.codebook import load_codebook
from analysis.keywords import compute_keyword_tags
from analysis.semantic import MAX_THEMES, similarity_matrix
from analysis.validation import read_gold, score
from collectors.demo import DEMO_FILE
from collectors.files import ImportOptions, import_file
from store import Store

GOLD = Path(__file__).resolve().parents[1] / "analysis" / "data" / "validation_demo.csv"


def f1s(gold: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, float]:
    """(micro P, micro R, micro F1, macro F1) of boolean matrices replies x themes."""
    micro = score("_micro", gold.ravel().tolist(), pred.ravel().tolist())
    per = [score(str(k), gold[:, k].tolist(), pred[:, k].tolist()) for k in range(gold.shape[1])]
    macro = [s.f1 for s in per if s.support and s.f1 is not None]
    return (
        micro.precision or 0.0,
        micro.recall or 0.0,
        micro.f1 or 0.0,
        float(np.mean(macro)) if macro else 0.0,
    )


def semantic_pred(best: np.ndarray, cut: float) -> np.ndarray:
    """Replies x themes: similarity >= cut, at most MAX_THEMES per reply."""
    order = np.argsort(-best, axis=1)[:, :MAX_THEMES]
    top = np.zeros_like(best, dtype=bool)
    np.put_along_axis(top, order, True, axis=1)
    return top & (best >= cut)


def choose(best: np.ndarray, gold: np.ndarray, base: np.ndarray | None) -> float:
    """The threshold with the best micro F1 (for `both`, on top of the keyword tags)."""
    grid = np.round(np.arange(0.10, 0.91, 0.01), 2)
    scores = []
    for cut in grid:
        pred = semantic_pred(best, cut)
        if base is not None:
            pred = pred | base
        scores.append(f1s(gold, pred)[2])
    return float(grid[int(np.argmax(scores))])


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--embedders", default="wordllama,minilm,tfidf")
    args = parser.parse_args()
    codebook = load_codebook(None)
    themes = [t.id for t in codebook.themes]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "v.duckdb") as store:
        import_file(store, DEMO_FILE, ImportOptions())
        replies = pl.from_arrow(
            store.con.sql("SELECT reply_id, text FROM replies ORDER BY reply_id").to_arrow_table()
        )
        assert isinstance(replies, pl.DataFrame)
        gold_map = read_gold(GOLD, themes)
        ids = replies["reply_id"].to_list()
        rows = [i for i, r in enumerate(ids) if r in gold_map]
        gold = np.array([[t in gold_map[ids[i]] for t in themes] for i in rows])
        kw = np.zeros((len(ids), len(themes)), dtype=bool)
        for row, theme, *_ in compute_keyword_tags(replies["text"], codebook).iter_rows():
            kw[row, themes.index(theme)] = True
        kw = kw[rows]
        folds = [np.arange(len(rows)) % 2 == 0, np.arange(len(rows)) % 2 == 1]
        print(
            f"{len(rows)} hand-coded replies, {int(gold.sum())} gold tags, {len(themes)} themes\n"
        )
        print(
            f"{'method':34} {'P':>5} {'R':>5} {'micro F1':>9} {'macro F1':>9}  threshold (all "
            "gold) | cv micro F1"
        )
        p, r, mi, ma = f1s(gold, kw)
        print(f"{'keyword':34} {p:5.2f} {r:5.2f} {mi:9.2f} {ma:9.2f}")
        for spec in [e for e in args.embedders.split(",") if e]:
            t0 = time.perf_counter()
            best_all, *_rest, name = similarity_matrix(
                store, replies["text"].to_list(), codebook, spec
            )
            took = time.perf_counter() - t0
            best = best_all[rows]
            for label, base in ((f"semantic ({name})", None), (f"both ({name})", kw)):
                cv = []
                for train, test in (folds, folds[::-1]):
                    cut = choose(best[train], gold[train], None if base is None else base[train])
                    pred = semantic_pred(best[test], cut) | (
                        base[test] if base is not None else False
                    )
                    cv.append(f1s(gold[test], pred)[2])
                cut = choose(best, gold, base)
                pred = semantic_pred(best, cut) | (base if base is not None else False)
                p, r, mi, ma = f1s(gold, pred)
                print(
                    f"{label:34} {p:5.2f} {r:5.2f} {mi:9.2f} {ma:9.2f}  {cut:.2f}                 "
                    f"| {np.mean(cv):.2f}"
                )
            print(f"{'':34} (embedding {len(ids)} replies took {took:.1f} s)")


if __name__ == "__main__":
    main()
