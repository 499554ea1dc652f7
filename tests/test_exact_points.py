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


def test_past_the_exact_values_the_worst_rounded_values_are_still_exact() -> None:
    at = [{"x": 1e-5 + 1e-6 * k} for k in range(EXACT_VALUES + 1)]
    report = diffcli.derivative("(1-cos(x))/x**2", at=at, method="forward", h=1e-3)
    xs = [float(row.at["x"]) for row in report.results]
    errors = [
        abs(row.analytic - derivative_at_50_digits(x)) / math.ulp(derivative_at_50_digits(x))
        for row, x in zip(report.results, xs, strict=True)
        if row.analytic is not None
    ]
    assert len(errors) == EXACT_VALUES + 1
    # the formula cancels at every point: the 1,000 worst by the error bound are exact, the
    # last one (the largest x, the least cancelling) is the double value
    assert sorted(errors)[-2] <= 1.0 < errors[-1]
    x = xs[-1]
    with np.errstate(all="ignore"):
        in_double = float(np.sin(x) / x**2 - 2 * (1 - np.cos(x)) / x**3)
    assert report.results[-1].analytic == pytest.approx(in_double, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "xs"),
    [
        ("sin(x)/x**2 - 2*(1 - cos(x))/x**3", np.linspace(1e-3, 60, 150)),
        ("-2*x*exp(-x**2)*sin(x) + exp(-x**2)*cos(x)", np.linspace(0, 12, 150)),
        ("log(x) - x + sqrt(x)**3 - tan(x)/x", np.linspace(0.1, 1.5, 150)),
        ("x - x + 0.5", np.linspace(-1, 1, 5)),
    ],
)
def test_a_trusted_double_value_is_within_the_loss_limit(text: str, xs: np.ndarray) -> None:
    from diffcli.expr import cancellation, exact
    from diffcli.expr.compiling import compile_expression
    from diffcli.expr.parsing import parse

    formula = parse(text)
    with np.errstate(all="ignore"):
        in_double = compile_expression(formula, {"x": ()}).evaluate_batch({"x": xs})
    untrusted = set(cancellation.untrusted(formula.tree, {"x": xs}, len(xs)).tolist())
    unit = np.finfo(np.float64).eps / 2
    for index, x in enumerate(xs.tolist()):
        reference = exact.value_at(formula.tree, {"x": x})
        if index in untrusted or reference is None:
            continue
        assert abs(in_double[index] - reference) <= cancellation.LOSS_LIMIT * unit * abs(reference)
    assert len(untrusted) < len(xs)  # the bound is not all alarm


def test_past_the_screened_points_the_double_values_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    from diffcli.engine import analytic

    monkeypatch.setattr(analytic, "SCREENED_POINTS", EXACT_VALUES)  # 100,000: a slow test
    at = [{"x": 1e-5 + 1e-6 * k} for k in range(EXACT_VALUES + 1)]
    first = diffcli.derivative("(1-cos(x))/x**2", at=at, method="forward", h=1e-3).results[0]
    x = 1e-5
    with np.errstate(all="ignore"):
        in_double = float(np.sin(x) / x**2 - 2 * (1 - np.cos(x)) / x**3)
    # the README's warning: in double precision this formula loses every digit at 1e-5
    assert abs(in_double - derivative_at_50_digits(x)) > 1000 * abs(derivative_at_50_digits(x))
    assert first.analytic == pytest.approx(in_double, rel=1e-6)
