"""The analytic column to the last bit at a thousand points, where its formula cancels."""

from __future__ import annotations

import math

import mpmath  # type: ignore[import-untyped]
import numpy as np
import pytest

import diffcli
from diffcli.engine.analytic import EXACT_VALUES


def derivative_at_50_digits(x: float) -> float:
    """d/dx (1 - cos x)/x**2 = sin(x)/x**2 - 2(1 - cos x)/x**3 at x's exact binary value."""
    with mpmath.workdps(50):
        point = mpmath.mpf(x)
        return float(mpmath.sin(point) / point**2 - 2 * (1 - mpmath.cos(point)) / point**3)


def test_a_cancelling_formula_is_within_one_ulp_at_a_thousand_points() -> None:
    report = diffcli.derivative("(1-cos(x))/x**2", at="1e-5:1e-3:1e-6")
    assert report.derivative == "sin(x)/x**2 - 2*(1 - cos(x))/x**3"
    assert len(report.results) == 990 <= EXACT_VALUES
    xs = np.array([row.at["x"] for row in report.results])
    references = np.array([derivative_at_50_digits(float(x)) for x in xs])
    analytic = np.array([row.analytic for row in report.results], dtype=np.float64)
    ulps = np.abs(analytic - references) / np.array([math.ulp(r) for r in references])
    assert ulps.max() <= 1.0
    # the same formula in double precision is off by thousands of ulps here
    with np.errstate(all="ignore"):
        in_double = np.sin(xs) / xs**2 - 2 * (1 - np.cos(xs)) / xs**3
    assert (np.abs(in_double - references) > 1000 * np.spacing(np.abs(references))).mean() > 0.9


def test_past_the_exact_values_the_formula_is_evaluated_in_double() -> None:
    at = [{"x": 1e-5 + 1e-6 * k} for k in range(EXACT_VALUES + 1)]
    report = diffcli.derivative("(1-cos(x))/x**2", at=at, method="forward", h=1e-3)
    first = report.results[0]
    x = 1e-5
    with np.errstate(all="ignore"):
        in_double = float(np.sin(x) / x**2 - 2 * (1 - np.cos(x)) / x**3)
    # the README's warning: in double precision this formula loses every digit at 1e-5
    assert abs(in_double - derivative_at_50_digits(x)) > 1000 * abs(derivative_at_50_digits(x))
    assert first.analytic == pytest.approx(in_double, rel=1e-6)
