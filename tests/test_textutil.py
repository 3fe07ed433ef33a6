"""Parser text helpers: ids rendered exactly, or refused when a float already rounded them."""

from __future__ import annotations

from collectors.textutil import as_str


def test_as_str_keeps_exact_ids_and_marks_rounded_ones() -> None:
    assert as_str(1765000000000000001) == "1765000000000000001"
    assert as_str(12.0) == "12"
    assert as_str(" abc ") == "abc"
    assert as_str(True) == "true"
    # 1765000000000000001 as a JSON float is already rounded: never an exact-looking id.
    rounded = as_str(1.765000000000000001e18)
    assert rounded == "1.765e+18"
    assert as_str(float(2**53)) == "9.00719925474099e+15"
