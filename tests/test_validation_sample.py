"""The validation loop from the CLI: sample → code → import → validate → themes → report.

A small generated thread whose true themes are known: the keyword codebook
misses some replies (wages, workers) and wrongly tags others (an NHS trust),
so the corrected shares must move towards the truth.
"""

from __future__ import annotations

import csv
import html as htmllib
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from store import Store
from tests.validation_helpers import code_sheet, loop, max_sample, run, sample_keys, sheet_order

__all__ = ["loop"]  # the fixture, used by name


def test_the_whole_loop_from_the_cli(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    before = run(runner, base, "themes")
    assert "Automatic tags, not validated" in before and "review sample" in before
    run(runner, base, "review", "sample", "--n", "80", "--seed", "11", "-o", str(tmp / "s.xlsx"))
    keys = sample_keys(db)
    assert len(keys) == 80
    # Blind: the sheet has no tags, likes or authors, and its reply_id is not the platform's id.
    wb = openpyxl.load_workbook(tmp / "s.xlsx")
    assert wb.sheetnames == ["coding", "codebook", "about"]
    header = [c.value for c in wb["coding"][1]]
    assert header == ["reply_id", "platform", "text", "pay", "staff", "trust", "none", "note"]
    cells = {str(c.value) for row in wb["coding"].iter_rows(min_row=2) for c in row if c.value}
    assert not cells & set(truth) and not any(v.startswith("user") for v in cells)
    codebook_rows = [[c.value for c in r] for r in wb["codebook"].iter_rows()]
    assert codebook_rows[0] == ["id", "label", "definition", "examples"]
    assert codebook_rows[1][:3] == ["pay", "Pay", "Pay, salaries and wages."]

    code_sheet(tmp / "s.xlsx", tmp / "ann.xlsx", truth, keys)
    out = run(runner, base, "review", "import", str(tmp / "ann.xlsx"), "--coder", "ann")
    assert "80 replies of sample" in out
    out = run(runner, base, "validate")
    assert "precision (95% CI)" in out and "recall (95% CI)" in out
    assert re.search(r"pay\s+\d+\s+1\.00 \(1\.00–1\.00\)", out)  # no wrong pay tags
    themes = run(runner, base, "themes")
    assert "share, corrected (95% CI)" in themes and "automatic" in themes

    with Store.open(db, read_only=True) as s:
        stored = {
            r[0]: r[1:]
            for r in s.con.execute(
                "SELECT theme_id, share, raw_share, share_low, share_high, n_coded FROM theme_trust"
            ).fetchall()
        }
        tags = {
            (r[0], r[1])
            for r in s.con.execute("SELECT reply_id, theme_id FROM reply_theme_tags").fetchall()
        }
    # The estimator by hand: automatic share + mean(human − automatic) over the sample.
    n_all = len(truth)
    coded = list(keys.values())
    for theme in ("pay", "staff", "trust"):
        auto_share = sum((r, theme) in tags for r in truth) / n_all
        diff = sum((theme in truth[r]) - ((r, theme) in tags) for r in coded) / len(coded)
        share, raw, low, high, n_coded = stored[theme]
        assert raw == pytest.approx(auto_share)
        assert share == pytest.approx(auto_share + diff)
        true_share = sum(theme in t for t in truth.values()) / n_all
        assert low <= true_share <= high, (theme, low, true_share, high)
        assert n_coded == 80
    assert stored["pay"][0] > stored["pay"][1]  # the tags miss wages: corrected share is higher
    assert stored["trust"][0] < stored["trust"][1]  # and add NHS trusts: corrected is lower

    run(runner, base, "report", "-o", str(tmp / "r.html"))
    html = (tmp / "r.html").read_text(encoding="utf-8")
    assert "How far to trust these figures" in html
    assert "Share, corrected (95% CI)" in html and "Automatic share" in html
    assert "corrected for tagging error (recomputed from the tables)" in html
    assert "prediction-powered inference" in html
    # The recompute SQL in the report gives the stored figures.
    sql = re.search(
        r"<summary>themes corrected for tagging error \(recomputed from the tables\)</summary><pre>(.*?)</pre>",
        html,
        re.S,
    )
    assert sql
    with Store.open(db, read_only=True) as s:
        again = {r[0]: r[1] for r in s.con.execute(htmllib.unescape(sql.group(1))).fetchall()}
    assert again == {t: pytest.approx(v[0]) for t, v in stored.items()}

    # The same seed draws the same sample.
    run(runner, base, "review", "sample", "--n", "80", "--seed", "11", "-o", str(tmp / "s2.xlsx"))
    assert sorted(sample_keys(db).values()) == sorted(coded)


def test_stratified_sample_carries_its_weights(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    run(
        runner,
        base,
        "review",
        "sample",
        "--n",
        "60",
        "--seed",
        "2",
        "--stratify",
        "theme",
        "-o",
        str(tmp / "s.xlsx"),
    )
    with Store.open(db, read_only=True) as s:
        strata = dict(
            s.con.execute(
                "SELECT stratum, any_value(inclusion_prob) FROM validation_sample_replies GROUP BY 1"
            ).fetchall()
        )
        design = s.con.execute("SELECT design, strata FROM validation_samples").fetchone()
    assert design and design[0] == "stratified"
    assert len(set(strata.values())) > 1  # rare themes drawn with a higher probability
    keys = sample_keys(db)
    code_sheet(tmp / "s.xlsx", tmp / "c.xlsx", truth, keys)
    run(runner, base, "review", "import", str(tmp / "c.xlsx"), "--coder", "ann")
    run(runner, base, "validate")
    with Store.open(db, read_only=True) as s:
        rows = s.con.execute("SELECT theme_id, share_low, share_high FROM theme_trust").fetchall()
    for theme, low, high in rows:
        true_share = sum(theme in t for t in truth.values()) / len(truth)
        assert low <= true_share <= high, (theme, low, true_share, high)


def test_two_coders_agreement(loop: tuple[CliRunner, list[str], dict[str, set[str]], Path]) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    run(runner, base, "review", "sample", "--n", "40", "--seed", "5", "-o", str(tmp / "s.xlsx"))
    keys = sample_keys(db)
    code_sheet(tmp / "s.xlsx", tmp / "ann.xlsx", truth, keys)
    run(runner, base, "review", "sheet", str(max_sample(db)), "-o", str(tmp / "blank.xlsx"))
    code_sheet(tmp / "blank.xlsx", tmp / "bob.xlsx", truth, keys, flip=6)
    run(runner, base, "review", "import", str(tmp / "ann.xlsx"), "--coder", "ann")
    run(runner, base, "review", "import", str(tmp / "bob.xlsx"), "--coder", "bob")
    out = run(runner, base, "validate")
    assert "Agreement between the 2 coders on 40 replies" in out
    # By hand: on pay the coders differ on the first 6 rows of the sheet.
    order = [k for k in sheet_order(tmp / "s.xlsx")]
    ann = [("pay" in truth[keys[k]]) for k in order]
    bob = [a != (i < 6) for i, a in enumerate(ann)]
    n = len(ann)
    po = sum(a == b for a, b in zip(ann, bob, strict=True)) / n
    pa, pb = sum(ann) / n, sum(bob) / n
    kappa = (po - (pa * pb + (1 - pa) * (1 - pb))) / (1 - (pa * pb + (1 - pa) * (1 - pb)))
    n1 = sum(ann) + sum(bob)
    n0 = 2 * n - n1
    alpha = 1 - (2 * n - 1) * 2 * sum(a != b for a, b in zip(ann, bob, strict=True)) / (2 * n0 * n1)
    with Store.open(db, read_only=True) as s:
        row = s.con.execute(
            "SELECT kappa, alpha, coders, items FROM coder_agreement WHERE theme_id = 'pay'"
        ).fetchone()
        staff = s.con.execute(
            "SELECT kappa, alpha FROM coder_agreement WHERE theme_id = 'staff'"
        ).fetchone()
    assert row is not None and row[0] == pytest.approx(kappa) and row[1] == pytest.approx(alpha)
    assert row[2:] == (2, 40)
    assert staff == (pytest.approx(1.0), pytest.approx(1.0))
    run(runner, base, "report", "-o", str(tmp / "r.html"))
    assert "Krippendorff" in (tmp / "r.html").read_text(encoding="utf-8")


def test_demo_gold_file_still_validates(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    gold = tmp / "gold.csv"
    with gold.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["reply_id", "themes"])
        for rid in list(truth)[:50]:
            w.writerow([rid, ";".join(sorted(truth[rid]))])
    out = run(runner, base, "validate", str(gold))
    assert "50 gold replies scored" in out
    # A gold file is agreement only: the theme figures stay automatic.
    assert "Automatic tags, not validated" in run(runner, base, "themes")


def test_codebook_misses_suggests_the_missing_words(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    run(runner, base, "review", "sample", "--n", "100", "--seed", "4", "-o", str(tmp / "s.xlsx"))
    code_sheet(tmp / "s.xlsx", tmp / "c.xlsx", truth, sample_keys(db))
    run(runner, base, "review", "import", str(tmp / "c.xlsx"), "--coder", "ann")
    out = run(runner, base, "codebook", "misses", "pay")
    assert "Missed by the tagger (coded pay, not tagged)" in out
    missed = out.split("Missed by the tagger")[1].split("Wrongly tagged")[0]
    assert "fair wages" in missed and "better pay" not in missed
    table = out.split("Suggested include terms")[1]
    first = table.splitlines()[3].split()
    assert first[0] in ("wages", "fair")  # the words the codebook lacks come first
    assert "wages" in table
    out = run(runner, base, "codebook", "misses", "trust")
    wrong = out.split("Wrongly tagged (tagged trust, coded without it)")[1]
    assert "NHS trust car park" in wrong
    result = runner.invoke(main, [*base, "codebook", "misses", "nope"])
    assert result.exit_code == 1 and "its themes: pay, staff, trust" in result.output
