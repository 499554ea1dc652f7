"""Honest accuracy: never wrong in silence, no false alarms, steps scaled to the point."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from typing import Any

import mpmath
import pytest

from diffcli import derivative, gradient, hessian
from tests.conftest import invoke

METHODS = ("forward", "backward", "central", "five-point", "richardson", "complex", "auto")
ADAPTIVE = ("richardson", "complex", "auto")


def _row(*args: str) -> tuple[dict[str, object], str, int]:
    outcome = invoke(["diff", *args, "-f", "json"])
    return json.loads(outcome.stdout)["results"][0], outcome.stderr, outcome.exit_code


# --- 1. never wrong in silence ------------------------------------------------------------


@pytest.mark.parametrize("method", ["central", "richardson", "auto"])
def test_a_cancelling_function_is_unreliable_with_a_plain_warning(method: str) -> None:
    # (1 - cos(x))/x**2 at 1e-5: f(x) carries relative rounding noise ~1e-6, far above the
    # change a difference quotient measures; richardson and auto returned 135.79 with an
    # error estimate of 5.4e-7 and status ok
    row, stderr, code = _row("(1 - cos(x))/x**2", "--at", "1e-5", "--method", method)
    assert code == 0
    assert row["status"] == "unreliable"
    assert "cannot be trusted" in stderr
    assert "f(x) itself carries relative rounding noise" in stderr
    assert "no difference quotient is reliable" in stderr
    # measured against f correctly rounded (engine/reference.py): the warning gives the
    # derivative, and the error estimate is the value's distance to it (central's own,
    # with h = 1e-4 far beyond f's scale there, is inf)
    assert f"f correctly rounded gives {row['analytic']!r}" in stderr
    error = abs(row["numerical"] - row["analytic"])  # type: ignore[operator]
    assert error <= row["error_estimate"] <= error * (1 + 1e-9)  # type: ignore[operator]


@pytest.mark.parametrize("method", ["richardson", "auto"])
def test_a_function_that_loses_ten_digits_is_unreliable(method: str) -> None:
    # (1 + 1/x)**x at 1e6: -2.40e-10 for 1.36e-12 with an estimate of 1.2e-14 before
    row, stderr, code = _row("(1 + 1/x)**x", "--at", "1e6", "--method", method, "--no-analytic")
    assert (code, row["status"]) == (0, "unreliable")
    assert "relative rounding noise ≈ 1e-10" in stderr


def test_the_default_method_says_when_it_is_off_and_what_does_better() -> None:
    outcome = invoke(["diff", "1/x", "--at", "0.01", "-f", "csv"])
    assert outcome.exit_code == 0
    assert outcome.stdout.splitlines()[1].endswith(",unreliable")
    assert outcome.stderr == (
        "warning: at x=0.01 the central estimate -10001.000100009918 cannot be trusted: f "
        "correctly rounded gives -10000.0 (± 7e-12), 1 away (by its own evidence: its error "
        "estimate (2) is more than 1e-06 of the value); --method auto does better here: "
        "-10000.0 (error estimate 1e-11)\n"
    )


def test_the_fixed_step_warning_says_when_no_method_can_do_better() -> None:
    _, stderr, _ = _row("(1 - cos(x))/x**2", "--at", "1e-5")
    assert "--method auto cannot do better here: f(x) itself carries" in stderr


def test_statuses_reach_the_api_and_csv() -> None:
    report = derivative("(1 + 1/x)**x", at=1e6, method="auto", analytic=False)
    assert report.results[0].status == "unreliable"
    table = invoke(["diff", "(1 + 1/x)**x", "--at", "1e6", "-f", "csv", "--method", "auto"])
    assert next(csv.DictReader(io.StringIO(table.stdout)))["status"] == "unreliable"


def test_the_primers_example_stays_quiet() -> None:
    # relative error 4.5e-12: no warning is due
    outcome = invoke(["diff", "0.01*x**2+0.1*x", "--at", "5"])
    assert (outcome.exit_code, outcome.stderr) == (0, "")


#: Hard cases: domain edges, poles, cancellation, extreme magnitudes, higher orders.
HARD = [
    ("sqrt(x)", "1e-10", 1),
    ("log(x)", "1e-8", 1),
    ("1/(x - 1.001)", "1", 1),
    ("tan(x)", "1.57", 1),
    ("(exp(x) - 1)/x", "1e-9", 1),
    ("(1 - cos(x))/x**2", "1e-5", 1),
    ("(1 + 1/x)**x", "1e6", 1),
    ("sin(x)", "1e8", 1),
    ("x**2", "1e-300", 1),
    ("exp(-x**2)", "5", 2),
    ("log(x)", "1e-100", 3),
    ("sin(1/x)", "0.01", 2),
]


@pytest.mark.parametrize(("expression", "at", "order"), HARD)
def test_a_value_off_by_more_than_1e_6_is_never_ok(expression: str, at: str, order: int) -> None:
    report = derivative(expression, at=float(at), method="all", order=order)
    for row in report.results:  # one row per method (complex: where it may be used)
        assert row.analytic is not None
        off = abs(row.numerical - row.analytic) > 1e-6 * abs(row.analytic)
        if off and row.status == "ok":
            pytest.fail(f"{row.method}: {row.numerical!r} for {row.analytic!r} with status ok")


# --- 2. honest error estimates ------------------------------------------------------------

#: Results of the accuracy benchmark whose error estimate did not cover the true error, with
#: their exact derivatives (mpmath, at the point's binary value) and what now covers it.
COVERED: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    # twice the step-halving estimate (it was 0.98 of the error)
    ("exp(x)", "100", "central", mpmath.exp),
    ("exp(-x)", "50", "forward", lambda x: -mpmath.exp(-x)),
    ("1/(x - 1.001)", "1", "backward", lambda x: -1 / (x - mpmath.mpf(1.001)) ** 2),
    # the rounding of x + h moves exp(x + h) by 30 ε
    ("exp(x)", "700", "five-point", mpmath.exp),
    # f's noise, measured where the value is not trusted outright
    (
        "(1 + 1/x)**x",
        "1e6",
        "forward",
        lambda x: (1 + 1 / x) ** x * (mpmath.log1p(1 / x) - 1 / (x + 1)),
    ),
    (
        "sqrt(x + 1) - sqrt(x)",
        "1e10",
        "central",
        lambda x: 1 / (2 * mpmath.sqrt(x + 1)) - 1 / (2 * mpmath.sqrt(x)),
    ),
    # five-point's second gap D(h/2) - D(h/4) shows the noise of f at x ± h
    (
        "(exp(x) - 1)/x",
        "1e-9",
        "five-point",
        lambda x: (x * mpmath.exp(x) - mpmath.expm1(x)) / x**2,
    ),
    ("log(1 + x) - x", "1e-4", "five-point", lambda x: 1 / (1 + x) - 1),
    # the complex step: rounding that reaches the quotient through f's real part ...
    ("sqrt(1 - x**2)", "0.999", "complex", lambda x: -x / mpmath.sqrt(1 - x**2)),
    ("sin(1/x)", "0.01", "complex", lambda x: -mpmath.cos(1 / x) / x**2),
    # ... and where f is noisy, its gap to Richardson (-81.7 for 0.5)
    ("(exp(x) - 1)/x", "1e-9", "complex", lambda x: (x * mpmath.exp(x) - mpmath.expm1(x)) / x**2),
]


@pytest.mark.parametrize(("expression", "at", "method", "exact"), COVERED)
def test_the_error_estimate_covers_the_error(
    expression: str, at: str, method: str, exact: Callable[[Any], Any]
) -> None:
    row = derivative(expression, at=at, method=method, analytic=False).results[0]
    assert math.isfinite(row.error_estimate)  # type: ignore[arg-type]
    assert abs(row.numerical - _exact(exact, at)) <= row.error_estimate  # type: ignore[operator]


@pytest.mark.parametrize(
    ("expression", "at", "method", "exact"),
    [
        # h = 1e-4 spans ten times x: D(h) = 1.0e8, D(h/2) = 4.0e8 for -1e10
        ("1/x", "1e-5", "central", lambda x: -1 / x**2),
        # D(h) - D(h/2) is 2 % of the value, but does not halve with the step (off by 12 %)
        ("sin(1/x)", "0.01", "backward", lambda x: -mpmath.cos(1 / x) / x**2),
    ],
)
def test_a_step_beyond_the_functions_scale_has_no_error_estimate(
    expression: str, at: str, method: str, exact: Callable[[Any], Any]
) -> None:
    row, stderr, code = _row(expression, "--at", at, "--method", method, "--no-analytic")
    assert (code, row["status"]) == (0, "unreliable")
    assert "(by its own evidence: it has no error estimate (inf): its steps are too large" in stderr
    # the method's own estimate is inf; measured against f correctly rounded, the error
    # estimate is the value's distance to the derivative
    error = abs(row["numerical"] - _exact(exact, at))  # type: ignore[operator]
    assert error <= row["error_estimate"] <= 1.001 * error  # type: ignore[operator]


def test_a_value_many_times_its_rounding_bound_is_no_zero() -> None:
    # backward third derivative of atan at 1e3: 5.98e-12 (true 6.0e-12, off by 3e-3) had an
    # estimate of 7.4e-12 within 16 times its rounding bound, and was ok as "zero"
    row, _, _ = _row(
        "atan(x)", "--at", "1e3", "--order", "3", "--method", "backward", "--no-analytic"
    )
    assert row["status"] == "unreliable"


def test_richardson_far_from_0_retries_a_zero_it_does_not_trust() -> None:
    # steps from 2**24 alias sin at 1e8: -4.4e-14 ± 1.6e-13 for -0.818 before
    row = derivative("sin(x)*cos(0.5) + x", at="1e8", method="richardson", order=2).results[0]
    exact = -math.sin(1e8) * math.cos(0.5)
    assert abs(row.numerical - exact) <= row.error_estimate <= 1e-3  # type: ignore[operator]


# --- 3. steps scaled to the point ---------------------------------------------------------


@pytest.mark.parametrize("method", ["complex", "auto"])
def test_the_complex_step_does_not_underflow_at_1e_300(method: str) -> None:
    row, stderr, _ = _row("x**2", "--at", "1e-300", "--method", method, "--no-analytic")
    assert (row["numerical"], row["status"], stderr) == (2e-300, "ok", "")


@pytest.mark.parametrize("method", ["complex", "auto"])
def test_where_even_the_largest_complex_step_underflows_the_zero_is_not_trusted(
    method: str,
) -> None:
    # 2xh at x = 1e-320 is below the smallest subnormal at every step: before, 0.0 ok (est. 0)
    row, stderr, code = _row("x**2", "--at", "1e-320", "--method", method, "--no-analytic")
    assert (code, row["numerical"], row["status"]) == (0, 0.0, "unreliable")
    assert row["error_estimate"] is None or row["error_estimate"] >= 2e-320
    assert "f underflows there" in stderr


@pytest.mark.parametrize("method", METHODS)
def test_a_third_derivative_at_1e300_is_a_number(method: str) -> None:
    row, _, code = _row("x", "--at", "1e300", "--order", "3", "--method", method, "--no-analytic")
    assert code == 0
    assert row["numerical"] == 0.0


@pytest.mark.parametrize(
    ("expression", "at", "order", "expected"),
    [
        ("x**3", "1e100", 3, 6.0),
        ("log(x)", "1e-100", 3, 2e300),
        ("log(x)", "1e-100", 2, -1e200),
    ],
)
@pytest.mark.parametrize("method", ADAPTIVE)
def test_higher_orders_at_extreme_magnitudes(
    expression: str, at: str, order: int, expected: float, method: str
) -> None:
    row, _, _ = _row(
        expression, "--at", at, "--order", str(order), "--method", method, "--no-analytic"
    )
    assert row["status"] == "ok"
    assert row["numerical"] == pytest.approx(expected, rel=1e-8)


# --- 4. no false alarms -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["central", "five-point", *ADAPTIVE])
def test_an_exact_zero_derivative_is_ok(method: str) -> None:
    # (forward and backward differences of cos at 0 are -h/2 and h/2: rightly unreliable)
    row, stderr, _ = _row("cos(x)", "--at", "0", "--method", method, "--no-analytic")
    assert (row["status"], stderr) == ("ok", "")
    assert row["numerical"] == 0.0


def test_a_zero_from_steps_whose_arguments_rounded_away_has_no_estimate() -> None:
    # the mixed entry's line moves x0 = 1e8 by 2**26 t: its values are exact zeros below
    # t = 2**-30 (f's arguments round away) and alias above; it was 0 ± 2e-314 for 0.174
    args = ["--at", "1e8,0.5", "--method", "richardson", "-f", "json", "--no-analytic"]
    outcome = invoke(["hessian", "sin(x0)*cos(x1) + x0", *args])
    row = json.loads(outcome.stdout)["results"][0]
    assert row["error_estimate"][0][1] is None and row["status"] == "unreliable"
    assert "(x0,x1)" in outcome.stderr and "it has no error estimate (inf)" in outcome.stderr


@pytest.mark.parametrize(("expression", "at"), [("relu(x)", "-1"), ("0*x", "3")])
def test_a_function_exactly_flat_around_the_point_keeps_its_zero(expression: str, at: str) -> None:
    row, stderr, _ = _row(expression, "--at", at, "--method", "richardson", "--no-analytic")
    assert (row["numerical"], row["status"], stderr) == (0.0, "ok", "")


@pytest.mark.parametrize("at", ["10", "12"])
def test_a_fixed_step_value_within_1e_6_is_ok_beside_a_bound_above_it(at: str) -> None:
    # central's error on exp(-x**2) at 10 and 12 is 6.6e-7 and 9.5e-7 of the value; the
    # error estimate (twice the step-halving estimate) says 1.3e-6 and 1.9e-6, the status
    # reads the step-halving estimate itself (in a command of more than 32 points)
    many = derivative("exp(-x**2)", at=[at] * 33, analytic=False)
    with mpmath.workdps(50):
        x = mpmath.mpf(float(at))
        exact = float(-2 * x * mpmath.exp(-(x**2)))
    row = many.results[0]
    error = abs(row.numerical - exact)
    assert row.status == "ok"
    assert 5e-7 * abs(exact) < error <= 1e-6 * abs(exact) < row.error_estimate  # type: ignore[operator]
    assert row.error_estimate <= 2.1 * error  # type: ignore[operator]
    # alone, the value trusted by its likely error only is measured against f correctly
    # rounded (engine/reference.py): the estimate becomes the error, and stays ok
    alone = derivative("exp(-x**2)", at=at, analytic=False).results[0]
    assert (alone.numerical, alone.status) == (row.numerical, "ok")
    assert error <= alone.error_estimate <= 1.001 * error  # type: ignore[operator]


@pytest.mark.parametrize("method", ["complex", "auto"])
def test_a_zero_derivative_keeps_the_complex_steps_small_step(method: str) -> None:
    # Im f(1 + ih) of x*exp(-x) is exactly 0 (no underflow): the step grew to 2**-20 and
    # gave -1.1e-13 ± 8.4e-13, unreliable
    row, stderr, _ = _row("x*exp(-x)", "--at", "1", "--method", method, "--no-analytic")
    assert (row["numerical"], row["status"], stderr) == (0.0, "ok", "")


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_a_one_sided_error_that_shrinks_faster_than_h_is_estimated(method: str) -> None:
    # sin(h)/h = 1 - h**2/6: the gaps shrink fourfold, not twofold (f'' is 0 at 1e-300)
    row, stderr, _ = _row("sin(x)", "--at", "1e-300", "--method", method, "--no-analytic")
    assert (row["status"], stderr) == ("ok", "")
    assert abs(row["numerical"] - 1) <= row["error_estimate"] <= 1e-8  # type: ignore[operator]


@pytest.mark.parametrize("method", METHODS)
def test_a_function_flat_to_rounding_is_ok(method: str) -> None:
    # sigmoid(40) is 1.0 in double: its derivative 4.2e-18 is below what f's values resolve
    row, stderr, _ = _row("sigmoid(x)", "--at", "40", "--method", method, "--no-analytic")
    assert row["status"] == "ok", stderr
    assert "one side only" not in stderr and "cannot be trusted" not in stderr


@pytest.mark.parametrize("method", ["richardson", "auto"])
def test_a_linear_direction_of_a_hessian_is_ok(method: str) -> None:
    outcome = invoke(
        ["hessian", "x0 + x1", "--at", "1,2", "--method", method, "-f", "json", "--no-analytic"]
    )
    row = json.loads(outcome.stdout)["results"][0]
    assert (row["status"], outcome.stderr) == ("ok", "")


def test_the_complex_step_tells_aliasing_from_noise_above_1() -> None:
    # along x0 at 1e8 the real values at spacings of |x0| 2**-18 alias sin(x0) and look
    # noisy; at 2**-18 they are smooth and a real quotient agrees (auto's check): the exact
    # value was unreliable with Richardson's 2.7e-6 as its estimate
    report = gradient("sin(x0)*cos(x1) + x0", at="1e8,0.5", method="complex", analytic=False)
    (row,) = report.results
    with mpmath.workdps(50):
        exact = float(mpmath.cos(mpmath.mpf(1e8)) * mpmath.cos(mpmath.mpf(0.5)) + 1)
    assert (row.status, report.warnings) == ("ok", ())
    assert abs(row.numerical["x0"] - exact) <= row.error_estimate["x0"] <= 1e-14  # type: ignore[index]


@pytest.mark.parametrize(
    ("expression", "at", "order", "exact"),
    [
        # cos at 1e-8: -9.99999937e-9 with a bound of 2.6e-14 (2.6e-6 of it) for an error of
        # 6.3e-16; atan's third derivative at 1e3: 7.2e-18 (1.2e-6) for 4.5e-19
        ("cos(x)", "1e-8", 1, lambda x: -mpmath.sin(x)),
        ("atan(x)", "1e3", 3, lambda x: mpmath.diff(mpmath.atan, x, 3)),
    ],
)
def test_richardson_judges_its_value_by_values_rounded_once(
    expression: str, at: str, order: int, exact: Callable[[Any], Any]
) -> None:
    row = derivative(expression, at=at, order=order, method="richardson", analytic=False)
    (found,) = row.results
    expected = _exact(exact, at)
    assert (found.status, row.warnings) == ("ok", ())
    error = abs(found.numerical - expected)
    # its bound (2ε per value) is more than 1e-6 of the value: trusted by its likely error
    # only, it is measured against f correctly rounded (engine/reference.py), and the error
    # estimate becomes that measurement, which covers the error
    assert error <= found.error_estimate <= 1e-6 * abs(expected)  # type: ignore[operator]
    many = derivative(expression, at=[at] * 33, order=order, method="richardson", analytic=False)
    assert many.results[0].status == "ok"  # without a reference (33 points): the bound
    assert many.results[0].error_estimate > 1e-6 * abs(expected)  # type: ignore[operator]


def test_a_widened_richardson_estimate_is_judged_widened() -> None:
    # auto at 6.48e8: Richardson's 0 (zero to within its rounding) against the complex
    # step's -1.5e-14 takes their gap as its error; judged by Richardson's own most likely
    # error it was 0.0 "ok" for -1.5155752e-14
    row = derivative("sqrt(x + 1) - sqrt(x)", at=6.48e8, method="auto", analytic=False)
    assert row.results[0].status == "unreliable"


# --- 5. a tenth of the evaluations --------------------------------------------------------

#: First derivatives where the complex step is right (exact derivatives in mpmath, at the
#: point's binary value): auto should confirm it cheaply.
CHEAP: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("sin(x)", "1", mpmath.cos),
    ("exp(x)", "100", mpmath.exp),
    ("log(x)", "1e-8", lambda x: 1 / x),
    ("atan(1e6*x)", "1e-6", lambda x: 1e6 / (1 + (1e6 * x) ** 2)),
    ("x**3", "1e-6", lambda x: 3 * x**2),
    ("tanh(100*x)", "0.01", lambda x: 100 / mpmath.cosh(100 * x) ** 2),
]


def _exact(derivative_of: Callable[[Any], Any], at: str) -> float:
    with mpmath.workdps(50):
        return float(derivative_of(mpmath.mpf(float(at))))


@pytest.mark.parametrize(("expression", "at", "exact"), CHEAP)
def test_auto_confirms_the_complex_step_in_at_most_30_evaluations(
    expression: str, at: str, exact: Callable[[Any], Any]
) -> None:
    # before: 148 evaluations each (Richardson ran beside every complex step)
    row = derivative(expression, at=at, method="auto", analytic=False).results[0]
    reference = _exact(exact, at)
    assert row.evaluations <= 30
    assert row.technique == "complex step"
    assert abs(row.numerical - reference) <= 4 * math.ulp(reference)  # type: ignore[operator]
    assert row.status == "ok"


@pytest.mark.parametrize(
    ("expression", "at", "exact"),
    [
        # f's rounding reaches the complex step through its real part (1/x and x**2 round)
        ("sin(1/x)", "0.01", lambda x: -mpmath.cos(1 / x) / x**2),
        ("sqrt(1 - x**2)", "0.999", lambda x: -x / mpmath.sqrt(1 - x**2)),
    ],
)
def test_the_cheap_path_still_covers_rounding_in_the_real_part(
    expression: str, at: str, exact: Callable[[Any], Any]
) -> None:
    row = derivative(expression, at=at, method="auto", analytic=False).results[0]
    reference = _exact(exact, at)
    error = abs(row.numerical - reference)  # type: ignore[operator]
    assert error > 4 * math.ulp(reference)  # the case shows the rounding it is about
    assert error <= row.error_estimate <= 1e-12 * abs(reference)  # type: ignore[operator]


def test_auto_still_asks_richardson_where_the_real_axis_disagrees() -> None:
    # sqrt(x**2) at 0: the complex step says 1 (sqrt(-h**2) = ih), f's real values say kink
    row = derivative("sqrt(x**2)", at=0, method="auto", analytic=False).results[0]
    assert (row.left, row.right) == (-1.0, 1.0)
    assert row.technique.startswith("Richardson")


@pytest.mark.parametrize(
    ("expression", "at"), [("exp(x0*x1)", "1,2"), ("1/(x0 - x1)", "1,1.001"), ("x0 + x1", "1,2")]
)
def test_an_auto_hessian_takes_about_a_hundred_evaluations_per_entry(
    expression: str, at: str
) -> None:
    # before: 1,000 to 2,000 per entry (numdifftools: about 40)
    row = hessian(expression, at=at, method="auto", analytic=False).results[0]
    assert row.evaluations <= 3 * 110
    assert row.status == "ok"


def test_richardsons_aliasing_at_1e8_no_longer_hides_the_right_value() -> None:
    # sin(x0)*cos(x1) + x0 at x0 = 1e8: Richardson's steps from 2.5e7 down alias the sine
    # (0.99999998 for ∂f/∂x0 = 0.68, status ok), and a mixed step along x0 rounds away (0 for
    # 0.17); auto rejected the right complex step for both
    at = {"x0": 1e8, "x1": 0.5}
    with mpmath.workdps(50):
        x0, x1 = mpmath.mpf(1e8), mpmath.mpf(0.5)
        slope = float(mpmath.cos(x0) * mpmath.cos(x1) + 1)
        mixed = float(-mpmath.cos(x0) * mpmath.sin(x1))
    row = gradient("sin(x0)*cos(x1) + x0", at=at, method="auto", analytic=False).results[0]
    assert row.status == "ok"
    assert abs(row.numerical["x0"] - slope) <= row.error_estimate["x0"]  # type: ignore[index]
    # richardson starts again from 1/4 and keeps that run where the two cannot both be right
    row = gradient("sin(x0)*cos(x1) + x0", at=at, method="richardson", analytic=False).results[0]
    assert abs(row.numerical["x0"] - slope) <= row.error_estimate["x0"]  # type: ignore[index]
    assert abs(row.numerical["x0"] - slope) <= 1e-6 * abs(slope)
    matrix = hessian("sin(x0)*cos(x1) + x0", at=at, method="auto", analytic=False).results[0]
    assert matrix.status == "ok"
    assert abs(matrix.numerical[0][1] - mixed) <= matrix.error_estimate[0][1] < 1e-6 * abs(mixed)  # type: ignore[index]


# --- issue 10, point 4: a Hessian whose scale underflows ----------------------------------


def test_an_underflowing_hessian_says_it_cannot_be_trusted() -> None:
    outcome = invoke(
        ["hessian", "sqrt(x0*x1)", "--at", "1e-300,1e-300", "--method", "richardson", "-f", "csv"]
    )
    assert outcome.exit_code == 0
    assert outcome.stdout.splitlines()[1].endswith(",unreliable")
    assert outcome.stderr == (
        "warning: at x0=1e-300, x1=1e-300 the richardson values of (x0), (x0,x1), (x1) cannot "
        "be trusted: f underflows there (an intermediate result falls below the smallest "
        "double, 2.2e-308), so its values carry no digits of the derivative\n"
    )
    report = hessian("sqrt(x0*x1)", at={"x0": 1e-300, "x1": 1e-300}, method="richardson")
    assert report.results[0].status == "unreliable"
    assert math.isfinite(report.results[0].analytic[0][0])  # type: ignore[index]


def test_a_range_prints_ten_warnings_then_counts_the_rest() -> None:
    # before: one line per untrusted point, thousands of lines for a range
    outcome = invoke(["diff", "sin(x)*exp(-x**2)", "--at", "0:10:1e-3", "-f", "csv"])
    assert outcome.exit_code == 0, outcome.explain()
    lines = outcome.stderr.splitlines()
    unreliable = sum(1 for row in outcome.stdout.splitlines() if row.endswith(",unreliable"))
    assert unreliable > 10
    assert len(lines) == 11
    assert all("cannot be trusted" in line for line in lines[:10])
    assert lines[10] == (
        f"warning: {unreliable - 10} more warnings like these at other points: each row's "
        "status says which (see -f csv or -f json)"
    )
