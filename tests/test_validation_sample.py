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
        r"<summary>themes corrected for tagging error \(recomputed from the tables\)</summary>"
        r"<pre>(.*?)</pre>",
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
                "SELECT stratum, any_value(inclusion_prob) FROM validation_sample_replies "
                "GROUP BY 1"
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


def trust_rows(db: Path) -> dict[str, tuple[float, float, float]]:
    """theme -> (share, low, high) of the latest validation."""
    with Store.open(db, read_only=True) as s:
        return {
            r[0]: (r[1], r[2], r[3])
            for r in s.con.execute(
                "SELECT theme_id, share, share_low, share_high FROM theme_trust"
            ).fetchall()
        }


def coded_loop(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path], n: int = 60, seed: int = 8
) -> tuple[CliRunner, list[str], dict[str, set[str]], Path]:
    """The loop with a random sample drawn, coded from the truth and validated."""
    runner, base, truth, tmp = loop
    run(
        runner,
        base,
        "review",
        "sample",
        "--n",
        str(n),
        "--seed",
        str(seed),
        "-o",
        str(tmp / "s.xlsx"),
    )
    code_sheet(tmp / "s.xlsx", tmp / "c.xlsx", truth, sample_keys(Path(base[1])))
    run(runner, base, "review", "import", str(tmp / "c.xlsx"), "--coder", "ann")
    run(runner, base, "validate")
    return runner, base, truth, tmp


def test_corrections_of_sampled_replies_do_not_hide_the_error(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = coded_loop(loop)
    db = Path(base[1])
    before = trust_rows(db)
    # A reviewer then corrects exactly the sampled replies' tags to the coders' answers.
    run(runner, base, "review", "export", "-o", str(tmp / "review.xlsx"))
    sampled = set(sample_keys(db).values())
    wb = openpyxl.load_workbook(tmp / "review.xlsx")
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        rid = str(row[header.index("reply_id")].value)
        if rid in sampled:
            for theme in ("pay", "staff", "trust"):
                row[header.index(theme)].value = 1 if theme in truth[rid] else None
    wb.save(tmp / "review.xlsx")
    run(runner, base, "review", "import", str(tmp / "review.xlsx"))
    assert "after this validation" in run(runner, base, "themes")
    out = run(runner, base, "validate")
    pay = next(line for line in out.splitlines() if line.startswith("pay "))
    assert pay.split()[4] != "1.00"  # recall: the corrections are not counted as the tagger's
    assert trust_rows(db) == {t: pytest.approx(v) for t, v in before.items()}


def test_campaigns_found_after_the_draw_keep_the_drawn_scope(
    tmp_path: Path,
    runner: CliRunner,
) -> None:
    from tests.validation_helpers import CODEBOOK, make_thread

    truth = make_thread(tmp_path / "r.csv", n=200)
    with (tmp_path / "r.csv").open("a", encoding="utf-8") as fh:
        for i in range(12):  # a copy-paste campaign by 12 accounts
            fh.write(
                f"k{i:02d},Better pay for every nurse in the county now,3,camp{i},2025-03-01\n"
            )
            truth[f"k{i:02d}"] = {"pay"}
    (tmp_path / "cb.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "r.csv"), "--platform", "other")
    run(runner, base, "tag", "--codebook", str(tmp_path / "cb.toml"))
    out = runner.invoke(
        main,
        [*base, "review", "sample", "--n", "150", "--seed", "1", "-o", str(tmp_path / "s.xlsx")],
    )
    assert out.exit_code == 0 and "reply quality has not been checked" in out.output
    keys = sample_keys(Path(base[1]))
    code_sheet(tmp_path / "s.xlsx", tmp_path / "c.xlsx", truth, keys)
    run(runner, base, "review", "import", str(tmp_path / "c.xlsx"), "--coder", "ann")
    run(runner, base, "quality")  # finds the campaign after the draw
    out = run(runner, base, "validate")
    assert "Reply quality was checked again after the sample was drawn" in out
    with Store.open(Path(base[1]), read_only=True) as s:
        tags = {
            (r[0], r[1])
            for r in s.con.execute("SELECT reply_id, theme_id FROM reply_theme_tags").fetchall()
        }
    # The drawn scope: every reply one unit, so the estimator is the plain one.
    for theme, (share, _low, _high) in trust_rows(Path(base[1])).items():
        auto = sum((r, theme) in tags for r in truth) / len(truth)
        diff = sum((theme in truth[r]) - ((r, theme) in tags) for r in keys.values()) / len(keys)
        assert share == pytest.approx(auto + diff)


def test_a_theme_added_after_coding_is_shown_unvalidated(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    from tests.validation_helpers import CODEBOOK

    runner, base, _truth, tmp = coded_loop(loop)
    (tmp / "cb2.toml").write_text(
        CODEBOOK + '\n[[themes]]\nid = "weather"\nlabel = "Weather"\ninclude = ["weather"]\n',
        encoding="utf-8",
    )
    out = run(runner, base, "tag", "--codebook", str(tmp / "cb2.toml"))
    assert "Validated on coded sample" in out
    themes = run(runner, base, "themes")
    weather = next(line for line in themes.splitlines() if line.startswith("weather"))
    assert "not validated" in weather and "not in the coded sample" in weather


def test_validate_scores_the_sample_coded_last(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    run(runner, base, "review", "sample", "--n", "20", "--seed", "1", "-o", str(tmp / "a.xlsx"))
    first = max_sample(db)
    keys = sample_keys(db)
    run(runner, base, "review", "sample", "--n", "20", "--seed", "2", "-o", str(tmp / "b.xlsx"))
    code_sheet(tmp / "a.xlsx", tmp / "ac.xlsx", truth, keys)
    run(runner, base, "review", "import", str(tmp / "ac.xlsx"), "--coder", "ann")
    assert f"Sample {first} " in run(runner, base, "validate")


def test_coders_with_no_reply_in_common(
    loop: tuple[CliRunner, list[str], dict[str, set[str]], Path],
) -> None:
    runner, base, truth, tmp = loop
    db = Path(base[1])
    run(runner, base, "review", "sample", "--n", "20", "--seed", "4", "-o", str(tmp / "s.xlsx"))
    keys = sample_keys(db)
    half = dict(list(keys.items())[:10])
    for coder, mine in (("ann", half), ("bob", {k: v for k, v in keys.items() if k not in half})):
        code_sheet(tmp / "s.xlsx", tmp / f"{coder}.xlsx", truth, mine)
        run(runner, base, "review", "import", str(tmp / f"{coder}.xlsx"), "--coder", coder)
    out = run(runner, base, "validate")
    assert "coded no reply in common" in out and "Krippendorff" not in out


def test_uncoded_stratum_is_named(
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
        "40",
        "--seed",
        "6",
        "--stratify",
        "theme",
        "-o",
        str(tmp / "s.xlsx"),
    )
    with Store.open(db, read_only=True) as s:
        skip = dict(
            s.con.execute(
                "SELECT sheet_key, reply_id FROM validation_sample_replies WHERE stratum = 'pay'"
            ).fetchall()
        )
    keys = {k: v for k, v in sample_keys(db).items() if k not in skip}
    code_sheet(tmp / "s.xlsx", tmp / "c.xlsx", truth, keys)
    out = run(runner, base, "review", "import", str(tmp / "c.xlsx"), "--coder", "ann")
    assert f"{len(skip)} rows have no theme" in out
    out = run(runner, base, "validate")
    assert "No reply of stratum 'pay' is coded" in out
    assert "No reply of stratum 'pay' is coded" in run(runner, base, "themes")


def test_coding_sheet_drops_links_and_reddit_names(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "r.csv").write_text(
        "id,text,likes\n"
        "1,see https://x.com/realjohnsmith/status/123 and facebook.com/john.smith.99 for pay,1\n"
        "2,u/throwaway_jim says staff @jane_doe mail jane@example.org,2\n",
        encoding="utf-8",
    )
    from tests.validation_helpers import CODEBOOK

    (tmp_path / "cb.toml").write_text(CODEBOOK, encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "r.csv"), "--platform", "other")
    run(runner, base, "tag", "--codebook", str(tmp_path / "cb.toml"))
    run(runner, base, "review", "sample", "--n", "2", "-o", str(tmp_path / "s.xlsx"))
    texts = " ".join(
        str(r[2].value)
        for r in openpyxl.load_workbook(tmp_path / "s.xlsx")["coding"].iter_rows(min_row=2)
    )
    for private in (
        "realjohnsmith",
        "john.smith.99",
        "throwaway_jim",
        "jane_doe",
        "jane@example.org",
    ):
        assert private not in texts
    assert "[link removed]" in texts and "u/" in texts
