"""Agreement between automatic tags and a hand-coded gold standard.

Per theme: precision, recall, F1, support and Cohen's kappa over the replies
in the gold file; micro F1 (all decisions pooled) and macro F1 (mean over
themes). The automatic tags are those of the latest tagging run *without*
human overrides — overrides are people, and scoring people against people
would flatter the tagger.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from analysis.sampling import find_tag_run, load_theme_ids
from store import RunCounts, Store, finish_run, start_run

# The demo thread's hand-coded replies (every third reply sorted by id, coded
# from the theme definitions alone): the demo's validation sample.
DEMO_GOLD = Path(__file__).resolve().parent / "data" / "validation_demo.csv"
DEMO_GOLD_NOTE = (
    "The demo's hand-coded set: every third reply of the demo thread sorted by id (a systematic "
    "sample, taken as a simple random one), coded by one person from the theme definitions alone."
)


class ValidationError(Exception):
    """A gold file that cannot be used; the message says why and how to fix it."""


@dataclass
class Score:
    """Agreement on one theme (or the micro/macro average)."""

    theme_id: str
    support: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def score(theme_id: str, gold: list[bool], pred: list[bool]) -> Score:
    """Precision, recall, F1 and Cohen's kappa of pred against gold."""
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum((not g) and p for g, p in zip(gold, pred, strict=True))
    fn = sum(g and (not p) for g, p in zip(gold, pred, strict=True))
    tn = len(gold) - tp - fp - fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    n = len(gold)
    kappa = None
    if n:
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = (po - pe) / (1 - pe) if pe < 1 else None
    return Score(theme_id, tp + fn, tp, fp, fn, tn, precision, recall, f1, kappa)


def read_gold(path: Path, theme_ids: list[str]) -> dict[str, set[str]]:
    """reply_id -> gold themes, from a `themes` column (a;b) or one 0/1 column per theme."""
    if not path.exists():
        raise ValidationError(f"{path}: no such file.")
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [
                ["" if c is None else str(c) for c in r]
                for r in wb.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            wb.close()
    else:
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    if not rows:
        raise ValidationError(f"{path}: the file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    if "reply_id" not in header:
        raise ValidationError(
            f"{path}: needs a reply_id column (and a themes column, or one 0/1 column per theme)."
        )
    rid = header.index("reply_id")
    per_theme = [t for t in theme_ids if t in header]
    if "themes" not in header and not per_theme:
        raise ValidationError(
            f"{path}: needs a `themes` column (ids separated by ;) or 0/1 columns named "
            f"{', '.join(theme_ids)}."
        )
    gold: dict[str, set[str]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        key = row[rid].strip()
        if "themes" in header:
            cell = row[header.index("themes")] if header.index("themes") < len(row) else ""
            ids = {t.strip() for t in cell.replace(",", ";").split(";") if t.strip()}
        else:
            ids = {
                t
                for t in per_theme
                if row[header.index(t)].strip() in ("1", "1.0", "yes", "true", "x")
            }
        unknown = ids - set(theme_ids)
        if unknown:
            raise ValidationError(
                f"{path}, row {n}: unknown theme id(s) {', '.join(sorted(unknown))}; "
                f"the codebook has {', '.join(theme_ids)}."
            )
        gold[key] = ids
    return gold


def validate(store: Store, gold_path: Path) -> tuple[int, list[Score], int]:
    """Score the latest tagging run on a gold file and store it: (run_id, scores, matched)."""
    tag_run, theme_ids = _latest_tag_run(store)
    gold = read_gold(gold_path, theme_ids)
    stored = _stored_reply_ids(store, list(gold))
    missing = [k for k in gold if k not in stored]
    if len(missing) == len(gold):
        raise ValidationError(
            f"{gold_path}: none of its {len(gold)} reply ids is in the store; "
            "import the replies first."
        )
    keys = [k for k in gold if k in stored]
    scores = _scores(gold, _automatic_tags(store, tag_run, keys), keys, theme_ids)
    with store.transaction():
        run_id = start_run(
            store,
            "validate",
            parameters={"gold": str(gold_path), "tag_run_id": tag_run},
            input_path=str(gold_path.resolve()),
        )
        _save_scores(store, run_id, tag_run, scores)
        finish_run(
            store,
            run_id,
            RunCounts(
                rows_in=len(gold),
                rows_added=len(keys),
                rows_rejected=len(missing),
                summary={"missing": missing[:20]},
            ),
        )
    return run_id, scores, len(keys)


def _latest_tag_run(store: Store) -> tuple[int, list[str]]:
    """The latest successful tagging run and its codebook's theme ids (in codebook order)."""
    found = find_tag_run(store)
    if found is None:
        raise ValidationError("no tagging run yet: run `replyscope tag` first.")
    tag_run, codebook_hash = found
    return tag_run, load_theme_ids(store, codebook_hash)


def _stored_reply_ids(store: Store, reply_ids: list[str]) -> set[str]:
    """Those of reply_ids that are in the store."""
    return {
        r[0]
        for r in store.con.execute(
            "SELECT reply_id FROM replies WHERE reply_id IN (SELECT unnest(?::VARCHAR[]))",
            [reply_ids],
        ).fetchall()
    }


def _automatic_tags(store: Store, tag_run: int, keys: list[str]) -> dict[str, set[str]]:
    """reply_id -> themes of the tagging run, without overrides (people are not scored)."""
    auto: dict[str, set[str]] = {k: set() for k in keys}
    for reply_id, theme in store.con.execute(
        """SELECT reply_id, theme_id FROM reply_themes
           WHERE run_id = ? AND reply_id IN (SELECT unnest(?::VARCHAR[]))""",
        [tag_run, keys],
    ).fetchall():
        auto[reply_id].add(theme)
    return auto


def _scores(
    gold: dict[str, set[str]], auto: dict[str, set[str]], keys: list[str], theme_ids: list[str]
) -> list[Score]:
    """A score per theme, then micro (all decisions pooled) and macro (mean theme F1)."""
    scores = [
        score(t, [t in gold[k] for k in keys], [t in auto[k] for k in keys]) for t in theme_ids
    ]
    micro = score(
        "_micro",
        [t in gold[k] for k in keys for t in theme_ids],
        [t in auto[k] for k in keys for t in theme_ids],
    )
    f1s = [s.f1 for s in scores if s.support and s.f1 is not None]
    macro = Score(
        "_macro",
        sum(s.support for s in scores),
        0,
        0,
        0,
        0,
        None,
        None,
        sum(f1s) / len(f1s) if f1s else None,
        None,
    )
    return [*scores, micro, macro]


def _save_scores(store: Store, run_id: int, tag_run: int, scores: list[Score]) -> None:
    """Insert a validation run's validation_scores rows (inside the caller's transaction)."""
    store.con.executemany(
        """INSERT INTO validation_scores (run_id, tag_run_id, theme_id, support, tp, fp, fn, tn,
               precision, recall, f1, kappa) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            [
                run_id,
                tag_run,
                s.theme_id,
                s.support,
                s.tp,
                s.fp,
                s.fn,
                s.tn,
                s.precision,
                s.recall,
                s.f1,
                s.kappa,
            ]
            for s in scores
        ],
    )
