"""The error-corrected share (PPI) and the sample-only shares, against small examples worked by
hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.estimates import (
    Z95,
    compute_ppi_share,
    compute_sample_share,
    wilson_interval,
)


def test_ppi_simple_random_sample_by_hand() -> None:
    # N = 1000 units, the tags count 200 of them. 40 coded units; human − automatic
    # is 0 for 28, +1 for 8 (missed) and −1 for 4 (wrongly tagged).
    diffs = np.array([0, 1, 0, 0, 1, 0, 0, 0, -1, 0] * 4, dtype=float)
    est = compute_ppi_share(200, 1000, diffs, ["all"] * 40, {"all": 1000})
    # By hand: mean difference 4/40 = 0.1, so share = (200 + 1000 × 0.1) / 1000 = 0.30.
    assert est.share == pytest.approx(0.30)
    # Sample variance: 28 × 0.1² + 8 × 0.9² + 4 × 1.1² = 0.28 + 6.48 + 4.84 = 11.6; / 39.
    s2 = 11.6 / 39
    # Var(total) = N² (1 − n/N) s² / n = 1e6 × 0.96 × s² / 40 = 7138.46…
    var_total = 1000**2 * (1 - 40 / 1000) * s2 / 40
    assert var_total == pytest.approx(7138.4615, rel=1e-6)
    se = math.sqrt(var_total) / 1000  # 0.08449…
    assert est.se == pytest.approx(se)
    assert est.low == pytest.approx(0.30 - 1.959964 * se, abs=1e-6)  # 0.1344
    assert est.high == pytest.approx(0.30 + 1.959964 * se, abs=1e-6)  # 0.4656
    assert (round(est.low, 4), round(est.high, 4)) == (0.1344, 0.4656)


def test_ppi_stratified_sample_with_weights_by_hand() -> None:
    # Stratum A: 60 units, 4 coded (inclusion probability 4/60, weight 15);
    # stratum B: 40 units, 3 coded (probability 3/40, weight 13.33). Tags count 30.
    diffs = np.array([1, 0, 0, 1, 0, -1, 0], dtype=float)
    strata = ["A", "A", "A", "A", "B", "B", "B"]
    est = compute_ppi_share(30, 100, diffs, strata, {"A": 60, "B": 40})
    # Weighted correction: 15 × (1 + 1) + 13.33 × (−1) = 30 − 13.33 = 16.67
    # (= 60 × 0.5 + 40 × −1/3).
    assert est.share == pytest.approx((30 + 30 - 40 / 3) / 100)  # 0.46667
    # Variances within strata: A: 4 × 0.25 / 3 = 1/3; B: (2/9 + 4/9) / 2 = 1/3.
    var_total = 60**2 * (1 - 4 / 60) * (1 / 3) / 4 + 40**2 * (1 - 3 / 40) * (1 / 3) / 3
    assert var_total == pytest.approx(280 + 164.4444, rel=1e-6)
    assert est.se == pytest.approx(math.sqrt(var_total) / 100)  # 0.21082
    assert (round(est.low, 4), round(est.high, 4)) == (0.0535, 0.8799)


def test_ppi_finite_population_correction_census_has_no_width() -> None:
    # Every unit coded: the correction is known exactly, the interval has no width.
    diffs = np.array([1, 0, -1, 0, 1], dtype=float)
    est = compute_ppi_share(2, 5, diffs, ["all"] * 5, {"all": 5})
    assert est.share == pytest.approx(3 / 5)
    assert est.low == pytest.approx(est.share) and est.high == pytest.approx(est.share)


def test_ppi_without_any_disagreement_keeps_rule_of_three_width() -> None:
    est = compute_ppi_share(100, 1000, np.zeros(100), ["all"] * 100, {"all": 1000})
    assert est.share == pytest.approx(0.1)
    # 3/n × (1 − n/N) = 0.03 × 0.9 = 0.027 on each side.
    assert (est.low, est.high) == (pytest.approx(0.073), pytest.approx(0.127))


def test_ppi_share_is_clipped_to_zero_one() -> None:
    est = compute_ppi_share(1, 1000, np.array([-1.0] * 5 + [0.0] * 5), ["all"] * 10, {"all": 1000})
    assert est.share == 0.0 and est.low == 0.0


def test_stratum_with_one_coded_unit_borrows_the_sample_variance() -> None:
    diffs = np.array([1, 0, 0, 1, 1], dtype=float)
    est = compute_ppi_share(10, 100, diffs, ["A", "A", "A", "A", "B"], {"A": 80, "B": 20})
    pooled = float(np.var(diffs, ddof=1))
    var_total = (
        80**2 * (1 - 4 / 80) * float(np.var(diffs[:4], ddof=1)) / 4
        + 20**2 * (1 - 1 / 20) * pooled / 1
    )
    assert est.se == pytest.approx(math.sqrt(var_total) / 100)


def test_wilson_interval_matches_the_textbook_figures() -> None:
    # 12 of 40: Wilson 95% interval (0.1806, 0.4543), as in e.g. statsmodels' proportion_confint.
    low, high = wilson_interval(12 / 40, 40, z=Z95)
    assert (round(low, 4), round(high, 4)) == (0.1807, 0.4543)


def test_sample_share_uses_wilson_and_stratum_weights() -> None:
    y = np.array([1] * 12 + [0] * 28, dtype=float)
    est = compute_sample_share(y, ["all"] * 40, {"all": 1_000_000})
    assert est.share == pytest.approx(0.3)
    assert (round(est.low, 3), round(est.high, 3)) == (0.181, 0.454)
    # Stratified: A (N=90) all 1, B (N=10) all 0 → weighted share 0.9, not the raw 0.5.
    strat = compute_sample_share(
        np.array([1, 1, 0, 0], dtype=float), ["A", "A", "B", "B"], {"A": 90, "B": 10}
    )
    assert strat.share == pytest.approx(0.9)
