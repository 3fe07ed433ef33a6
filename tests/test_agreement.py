"""Agreement measures against small examples worked by hand: weighted P/R/F1, Cohen's kappa,
Krippendorff's alpha."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.agreement import (
    bootstrap_scores,
    cohen_kappa,
    compute_coder_agreement,
    confusion,
    krippendorff_alpha,
    recall_words,
    scores_from_counts,
)

A = [True, True, False, False, True, False, True, False, False, False]
B = [True, False, False, False, True, False, True, True, False, False]


def test_cohen_kappa_by_hand() -> None:
    # Both yes 3, both no 5: po = 0.8; each says yes 4 times of 10: pe = 0.16 + 0.36 = 0.52.
    assert cohen_kappa(A, B) == pytest.approx((0.8 - 0.52) / (1 - 0.52))  # 0.5833
    assert cohen_kappa([True, True], [True, True]) is None  # no variation: undefined


def test_krippendorff_alpha_two_coders_by_hand() -> None:
    # Coincidences: o11 = 6, o00 = 10, o01 = o10 = 2; n1 = 8, n0 = 12, n = 20.
    # alpha = 1 − (n − 1)(o01 + o10) / (2 n0 n1) = 1 − 19 × 4 / 192 = 0.604167.
    alpha = krippendorff_alpha([[a, b] for a, b in zip(A, B, strict=True)])
    assert alpha == pytest.approx(1 - 19 * 4 / 192)


def test_krippendorff_alpha_with_missing_values_by_hand() -> None:
    # Three coders; the last unit has one value only and does not count.
    units = [[True, True, True], [False, False, True], [False, False], [True]]
    # Unit 1: 6 ordered pairs (1,1) × 1/2 → o11 += 3. Unit 2: pairs (0,0)×2, (0,1)×2, (1,0)×2,
    # each 1/2 → o00 += 1, o01 += 1, o10 += 1. Unit 3: o00 += 2.
    # o00 = 3, o01 = o10 = 1, o11 = 3: n0 = 4, n1 = 4, n = 8.
    # alpha = 1 − 7 × 2 / (2 × 4 × 4) = 1 − 14 / 32 = 0.5625.
    assert krippendorff_alpha(units) == pytest.approx(0.5625)


def test_weighted_precision_recall_f1() -> None:
    auto = np.array([[1.0], [1.0], [0.0], [0.0]])
    human = np.array([[1.0], [0.0], [1.0], [0.0]])
    weights = np.array([1.0, 1.0, 3.0, 1.0])  # the third unit stands for 3 (stratified)
    counts = confusion(auto, human, weights)
    assert counts[:, 0].tolist() == [1.0, 1.0, 3.0, 1.0]
    s = scores_from_counts(counts)
    assert s["precision"][0] == pytest.approx(0.5)
    assert s["recall"][0] == pytest.approx(0.25)
    assert s["f1"][0] == pytest.approx(2 / 6)
    # kappa: po = 2/6, pe = (2 × 4 + 4 × 2) / 36 = 16/36.
    assert s["kappa"][0] == pytest.approx((2 / 6 - 16 / 36) / (1 - 16 / 36))


def test_fractional_human_codes_are_expected_counts() -> None:
    # Two coders split on the second reply: it counts half as agreement, half not.
    counts = confusion(np.array([[1.0], [1.0]]), np.array([[1.0], [0.5]]), np.array([1.0, 1.0]))
    assert counts[:, 0].tolist() == [1.5, 0.5, 0.0, 0.0]


def test_bootstrap_interval_contains_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    human = (rng.random((200, 2)) < 0.3).astype(float)
    auto = human * (rng.random((200, 2)) < 0.5)
    w = np.ones(200)
    one = bootstrap_scores(auto, human, w, ["all"] * 200, replicates=300, seed=4)
    two = bootstrap_scores(auto, human, w, ["all"] * 200, replicates=300, seed=4)
    assert np.array_equal(one["recall"][0], two["recall"][0])
    recall = scores_from_counts(confusion(auto, human, w))["recall"]
    assert np.all(one["recall"][0] <= recall) and np.all(recall <= one["recall"][1])
    assert np.all(one["precision"][0] == 1.0)  # the tagger never adds a wrong tag here


def test_coder_agreement_per_theme_and_overall() -> None:
    codes = {
        "ann": {f"r{i}": {"t": a, "u": not a} for i, a in enumerate(A)},
        "bob": {f"r{i}": {"t": b, "u": not b} for i, b in enumerate(B)},
    }
    rows = {a.theme_id: a for a in compute_coder_agreement(codes, ["t", "u"])}
    assert rows["t"].kappa == pytest.approx((0.8 - 0.52) / 0.48)
    assert rows["t"].alpha == pytest.approx(1 - 19 * 4 / 192)
    assert rows["_overall"].items == 10 and rows["_overall"].coders == 2
    assert compute_coder_agreement({"ann": codes["ann"]}, ["t"]) == []


def test_recall_in_words() -> None:
    assert recall_words(0.44) == "about half"
    assert recall_words(0.3) == "about a third"
    assert recall_words(0.97) == "nearly all"
