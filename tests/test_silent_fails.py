"""Two values that were wrong with status ok, found over ranges, now unreliable: f's noise
that regular spacings alias away is probed at irregular offsets."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from diffcli import derivative
from diffcli.engine.estimate import NOISE_SPACING, NOISY, real_noise
from diffcli.engine.noise import irregular_noise
from diffcli.engine.quotients import EPSILON


def expm1_over_x(x: object) -> object:
    return (np.exp(x) - 1) / x


def sqrt_gap(x: object) -> object:
    return np.sqrt(x + 1) - np.sqrt(x)


def expm1_over_x_derivative(x: float) -> float:
    """The derivative of ``(exp(x) - 1)/x`` at the double ``x``, to 50 digits."""
    with mpmath.workdps(50):
        t = mpmath.mpf(x)
        return float((t * mpmath.exp(t) - mpmath.expm1(t)) / t**2)


@pytest.mark.parametrize(
    ("function", "x"),
    [
        # d = 17179.87 units in the last place of exp: its rounding errors fall on a line
        (expm1_over_x, 1e-6),
        # the fourth differences of the rounding happen to be 0 at one spacing of two
        (sqrt_gap, 1.62e8),
        (sqrt_gap, 3.1e8),
    ],
)
def test_irregular_offsets_see_noise_that_regular_spacings_alias_away(
    function: object, x: float
) -> None:
    assert real_noise(function, x)[0] == 0.0  # type: ignore[arg-type]
    noise, evaluations = irregular_noise(function, x, x * NOISE_SPACING)  # type: ignore[arg-type]
    assert noise > 100 * NOISY * EPSILON
    assert evaluations == 9


@pytest.mark.parametrize(
    ("function", "x"),
    [
        (np.sin, 1.0),
        (np.sin, math.pi),  # f crosses 0: its noise is judged against its largest value
        (np.tan, 1.5707),  # the pole's shape, which a quintic follows far closer than a cubic
        (lambda x: 1 / (1 + np.exp(-x)), 40.0),  # flat to the last bit
        (lambda x: x * np.exp(-x), 1.0),
    ],
)
def test_a_smooth_function_has_no_irregular_noise(function: object, x: float) -> None:
    noise = irregular_noise(function, x, x * NOISE_SPACING)[0]  # type: ignore[arg-type]
    assert noise <= NOISY * EPSILON


def test_no_spacing_no_evaluations() -> None:
    assert irregular_noise(np.sin, 0.0, 0.0) == (0.0, 0)


@pytest.mark.parametrize("method", ["auto", "complex"])
def test_the_complex_step_is_not_trusted_where_exp_cancels_near_0(method: str) -> None:
    # before: -1.9085008388467863 for 0.500000001, status ok
    row = derivative("(exp(x) - 1)/x", at=3e-9, method=method, analytic=False).results[0]
    error = abs(row.numerical - expm1_over_x_derivative(3e-9))  # type: ignore[operator]
    assert error <= row.error_estimate  # type: ignore[operator]
    # complex: -1.9 (off); auto: Richardson's 0.4999999957, right to 1e-8, which its own
    # evidence (f's noise 3e-8) could not show, measured against f correctly rounded
    assert row.status == ("ok" if method == "auto" else "unreliable")
    assert (row.status == "ok") == (error <= 1e-6 * 0.5)


def test_auto_gives_richardsons_value_and_says_why_it_cannot_be_trusted() -> None:
    report = derivative("(exp(x) - 1)/x", at=3e-9, method="auto", analytic=False)
    (row,) = report.results
    assert row.technique == "Richardson (central)"
    assert abs(row.numerical - expm1_over_x_derivative(3e-9)) < 1e-8  # type: ignore[operator]
    # f carries relative noise 3e-8: by its own evidence the value could not be trusted
    # (the warning said so); measured against f correctly rounded it is off by 1e-8: ok
    assert (report.warnings, row.status) == ((), "ok")
    assert row.error_estimate < 1e-8  # type: ignore[operator]
    alone = derivative("(exp(x) - 1)/x", at=["3e-9"] * 33, method="auto", analytic=False)
    assert alone.results[0].status == "unreliable"  # past 32 points: no reference
    assert "f(x) itself carries relative rounding noise ≈ 3e-08" in alone.warnings[0]


@pytest.mark.parametrize("method", ["auto", "complex"])
def test_no_value_off_by_1e_6_is_ok_near_0(method: str) -> None:
    # before: 180 of 999 points of 1e-9:1e-6:1e-9 were off with status ok (auto)
    report = derivative("(exp(x) - 1)/x", at="1e-9:1e-6:4.9e-8", method=method, analytic=False)
    assert len(report.results) == 21
    for row in report.results:
        exact = expm1_over_x_derivative(float(row.at["x"]))
        if row.status == "ok":
            assert abs(row.numerical - exact) <= 1e-6 * exact  # type: ignore[operator]


@pytest.mark.parametrize("at", [1.62e8, 1.65e8, 3.1e8, 8.61e8])
def test_richardsons_zero_from_flat_steps_is_unreliable(at: float) -> None:
    # before: 0.0 with an error estimate of 1e-19, status ok (the derivative is -1e-13)
    report = derivative("sqrt(x + 1) - sqrt(x)", at=at, method="richardson", analytic=False)
    (row,) = report.results
    assert (row.numerical, row.status) == (0.0, "unreliable")
    assert "carries relative rounding noise" in report.warnings[0]


@pytest.mark.parametrize("method", ["richardson", "complex", "auto"])
@pytest.mark.parametrize(
    ("expression", "at"), [("cos(x)", 0.0), ("sigmoid(x)", 40.0), ("x*exp(-x)", 1.0)]
)
def test_a_zero_to_rounding_stays_ok(expression: str, at: float, method: str) -> None:
    row = derivative(expression, at=at, method=method, analytic=False).results[0]
    assert row.status == "ok"


def test_a_zero_from_a_function_that_is_all_rounding_is_unreliable() -> None:
    # exp(x) - 1 - x at 3e-9 is 4.5e-18, its values rounding of parts of size 1: Richardson
    # found 0.0 with an error estimate of 3e-24 (the derivative is 3e-9), status ok; at the
    # double nearest 3e-9, -5.6e-17
    report = derivative("exp(x) - 1 - x", at=3e-9, method="richardson", analytic=False)
    (row,) = report.results
    assert (row.numerical, row.status) == (-5.551115123125783e-17, "unreliable")
    assert "carries relative rounding noise" in report.warnings[0]


@pytest.mark.parametrize("method", ["auto", "complex"])
def test_a_real_quotient_that_disagrees_sends_the_complex_step_to_richardson(method: str) -> None:
    # (1 - cos(x))/x**2 at 1e-6: cos(x + k d) is one double, so f's real values follow 1/x**2
    # smoothly; the complex step said -88.9 for -8.3e-8 with an estimate of 5.4e-10, status ok
    row = derivative("(1 - cos(x))/x**2", at=1e-6, method=method, analytic=False).results[0]
    assert row.status == "unreliable"
    exact = -1e-6 / 12 + 1e-18 / 180  # -x/12 + x**3/180 - ...
    assert abs(row.numerical - exact) <= row.error_estimate  # type: ignore[operator]


def test_auto_does_not_trust_two_sure_values_far_apart() -> None:
    # x*(sqrt(x**2 + 1) - x) at 3e5: f's rounding makes its real values a line of slope
    # 1.67e-6, which Richardson followed (estimate 1.8e-15); the derivative is 9.26e-18
    report = derivative("x*(sqrt(x**2 + 1) - x)", at=3e5, method="auto", analytic=False)
    (row,) = report.results
    assert row.status == "unreliable"
    assert row.technique == "Richardson (central)"
    assert abs(row.numerical - 9.26e-18) <= row.error_estimate  # type: ignore[operator]
