"""The reference a value is measured against where its own evidence cannot decide
(``engine/reference.py``): Richardson on f(a) - f(x) correctly rounded."""

from __future__ import annotations

import math
import time
from typing import Any

import mpmath
import numpy as np
import pytest

from diffcli import derivative, gradient
from diffcli.engine import reference
from diffcli.engine.coordinates import Coordinate
from diffcli.engine.estimate import Estimate
from diffcli.engine.reference import REFERENCE_POINTS, References, reference_at
from diffcli.errors import DiffcliError
from diffcli.expr import exact
from diffcli.expr.parsing import parse


def _double(values: Any) -> Any:
    """A stand-in for f in double (only looked at for an underflow: it has none)."""
    return np.zeros(np.shape(values))


def _reference(
    text: str, point: dict[str, Any], coordinate: Coordinate, order: int = 1
) -> Estimate | None:
    return reference_at(parse(text).tree, point, coordinate, order, _double)


def test_a_noisy_function_gets_its_derivative_to_the_last_digits() -> None:
    # f's double values carry relative noise 4e-7 here; correctly rounded, none
    found = _reference("(exp(x) - 1)/x", {"x": 1e-9}, Coordinate("x"))
    assert found is not None
    with mpmath.workdps(50):
        x = mpmath.mpf(1e-9)
        exact = float(mpmath.diff(lambda y: mpmath.expm1(y) / y, x))
    assert abs(found.value - exact) <= found.error <= 1e-12 * exact


def test_the_difference_keeps_the_digits_of_a_large_f() -> None:
    # along x1 f is 1e8 and changes by 0.45 per unit: f itself correctly rounded leaves the
    # derivative uncertain to about 1e-6 of it; f(a) - f(x) correctly rounded does not
    found = _reference("sin(x0)*cos(x1) + x0", {"x0": 1e8, "x1": 0.5}, Coordinate("x1"))
    assert found is not None
    exact = -float(mpmath.sin(mpmath.mpf(1e8)) * mpmath.sin(mpmath.mpf(0.5)))
    assert abs(found.value - exact) <= found.error <= 1e-12 * abs(exact)


def test_an_element_of_a_tensor_is_moved_alone() -> None:
    point = {"x": np.array([1.5, 2.0, 3.0])}
    found = _reference("x[0]*x[1]**2 + x[2]", point, Coordinate("x", (1,)))
    assert found is not None
    assert found.value == pytest.approx(2 * 1.5 * 2.0, rel=1e-13)


def test_an_exact_zero_and_a_zero_that_lost_every_digit_are_told_apart() -> None:
    exact_zero = _reference("sin(x) - sin(x)", {"x": 1.0}, Coordinate("x"))
    assert exact_zero is not None and exact_zero.value == 0.0
    # computed as 0.0 at every step in double, for a derivative of 2.5e-25
    lost = _reference("x*(sqrt(x**2 + 1) - x)", {"x": 1e8}, Coordinate("x"))
    assert lost is not None
    assert abs(lost.value - 2.5e-25) <= lost.error <= 1e-12 * 2.5e-25


@pytest.mark.parametrize("method", ["central", "richardson", "complex", "auto"])
def test_a_function_flat_to_the_last_bit_is_ok_with_every_method(method: str) -> None:
    # f is 0.0 and its rounding bound is not: by its own evidence no method can tell this
    # 0 from a lost one (x*(sqrt(x**2 + 1) - x) above 6.7e7); the reference can
    (row,) = derivative("sin(x) - sin(x)", at=1.0, method=method, analytic=False).results
    assert (row.numerical, row.status) == (0.0, "ok")


def test_a_tree_it_cannot_evaluate_exactly_has_no_reference() -> None:
    references = References(parse("sum(x @ x)").tree, 1)
    assert references.available == 0


def test_a_command_of_more_than_32_points_asks_for_none() -> None:
    tree = parse("x**2").tree
    assert References(tree, REFERENCE_POINTS).available == REFERENCE_POINTS
    assert References(tree, REFERENCE_POINTS + 1).available == 0


def test_each_point_is_measured_once_for_every_method(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def counted(*args: Any, **kwargs: Any) -> Estimate | None:
        calls.append(1.0)
        return reference_at(*args, **kwargs)

    monkeypatch.setattr(reference, "reference_at", counted)
    report = derivative("(exp(x) - 1)/x", at=1e-9, method="all", analytic=False)
    assert len(calls) == 1  # five methods measured, and auto's suggestion, from one reference
    # forward and backward (off), complex (off) and richardson/auto (right) share it
    notes = [text for text in report.warnings if "f correctly rounded gives" in text]
    assert len({text.split("f correctly rounded gives ")[1].split(",")[0] for text in notes}) == 1
    statuses = {row.method: row.status for row in report.results}
    assert statuses["richardson"] == statuses["auto"] == "ok"
    assert statuses["forward"] == statuses["backward"] == statuses["complex"] == "unreliable"


def test_a_reference_that_takes_too_long_is_given_up() -> None:
    started = time.monotonic()
    found = reference_at(
        parse("x**(10**300)").tree, {"x": 1.0}, Coordinate("x"), 6, _double, seconds=0.2
    )
    assert found is None
    assert time.monotonic() - started < 2.0


def test_the_gradient_measures_each_component_it_does_not_trust() -> None:
    report = gradient("sin(x0)*cos(x1) + x0", at="1e8,0.5", method="richardson", analytic=False)
    (row,) = report.results
    exact = -float(mpmath.sin(mpmath.mpf(1e8)) * mpmath.sin(mpmath.mpf(0.5)))
    estimate = float(row.error_estimate["x1"])
    # measured: the distance to the reference plus its own estimate (about 1e-16)
    assert estimate == pytest.approx(abs(float(row.numerical["x1"]) - exact), rel=1e-6)
    assert math.isfinite(estimate) and row.status == "ok"


@pytest.mark.parametrize("method", ["forward", "central", "five-point", "richardson", "auto"])
def test_past_32_points_an_exact_zero_is_still_told_from_a_lost_one(method: str) -> None:
    # no references past 32 points; f correctly rounded at each 0's own points (ZeroChecks)
    # still tells sin(x) - sin(x), 0.0 everywhere and exact, from a 0 that lost every digit
    flat = derivative("sin(x) - sin(x)", at="0.05:3.45:0.1", method=method, analytic=False)
    assert len(flat.results) == 34
    assert {(row.numerical, row.status) for row in flat.results} == {(0.0, "ok")}
    lost = derivative("x*(sqrt(x**2 + 1) - x)", at="1e8:100000340:10", method=method)
    assert len(lost.results) == 34
    for row in lost.results:  # (2.5e-25: within the estimate where the 0 is ok)
        assert row.status == "unreliable" or row.error_estimate >= row.analytic  # type: ignore[operator]


def test_a_reference_whose_steps_alias_is_not_used() -> None:
    # sin(100*x)'s fourth derivative at 10: Richardson from steps of 2 aliases the period
    # (0.0657 ± 4e-10 for 82687954); the second run, from steps a hundred times smaller,
    # disagrees, and there is no reference: the wrong values keep their own verdict
    assert _reference("sin(100*x)", {"x": 10.0}, Coordinate("x"), 4) is None
    report = derivative("sin(100*x)", at=10, order=4, method="all")
    for row in report.results:
        if row.method in {"forward", "backward", "central", "five-point"}:
            assert row.status == "unreliable"
    assert not any("f correctly rounded gives" in text for text in report.warnings)


def test_a_cancellation_deeper_than_the_working_precision_goes_on_to_more_bits() -> None:
    # (x + exp(184)) - exp(184) is 0 at 113 and at 226 bits (x is lost against 2**265): two
    # precisions agreed on 0; a sum that cancels nearly all the working precision now asks
    # for more, and the derivative is 1 (the complex step's 1.0 is ok, every 0.0 unreliable)
    found = _reference("(x + exp(184)) - exp(184)", {"x": 1.0}, Coordinate("x"))
    assert found is not None and found.value == pytest.approx(1.0, rel=1e-12)
    report = derivative("(x + exp(184)) - exp(184)", at=1, method="all", analytic=False)
    for row in report.results:
        assert row.status == ("ok" if row.numerical == 1.0 else "unreliable")


def test_a_complex_step_of_a_function_that_lost_every_digit_is_measured() -> None:
    # (exp(x0*x1) - 1)/x0 at 1e-9, 1e-9 is computed as 0.0 (exp(1e-18) is 1.0): the complex
    # step said 0.9999999999999999 ± 8.9e-16 for 5e-19, ok
    (row,) = derivative(
        "(exp(x0*x1) - 1)/x0", at="x0=1e-9,x1=1e-9", wrt="x0", method="complex", analytic=False
    ).results
    assert row.status == "unreliable"
    assert row.error_estimate >= abs(row.numerical - 5e-19)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("expression", "order", "h", "method"),
    [("sin(x)", 6, "1e-3", "central"), ("cos(x)", 3, "1e-5", "richardson")],
)
def test_a_zero_to_within_a_large_rounding_is_measured(
    expression: str, order: int, h: str, method: str
) -> None:
    # the derivative at 0 is 0; the values (0.867 ± 27, -1.0 ± 20) were ok as "zero to within
    # rounding"; measured against f correctly rounded, they are off by more than 1e-6
    (row,) = derivative(expression, at=0, order=order, h=float(h), method=method).results
    assert row.status == "unreliable"
    assert abs(row.numerical) <= row.error_estimate <= abs(row.numerical) + 1e-6  # type: ignore[operator]


@pytest.mark.parametrize("method", ["complex", "auto"])
def test_past_32_points_a_complex_step_is_confirmed_where_f_lost_its_digits(method: str) -> None:
    # exp(x) - 1 near 1e-20 is computed as 0.0, yet its complex step is exactly 1: confirmed
    # by a five-point quotient of f(a) - f(x) correctly rounded; (exp(x0*x1) - 1)/x0 lost
    # the imaginary part too (1.0 for 5e-19): not confirmed
    right = derivative("exp(x) - 1", at="1e-20:1e-19:1e-21", method=method, analytic=False)
    assert len(right.results) == 91
    assert {(row.numerical, row.status) for row in right.results} == {(1.0, "ok")}
    wrong = derivative(
        "(exp(x0*x1) - 1)/x0", at="x0=1e-9:1e-8:2e-10,x1=1e-9", wrt="x0", method=method
    )
    assert len(wrong.results) == 45
    assert {row.status for row in wrong.results} == {"unreliable"}


def test_a_complex_step_of_a_function_computed_to_4_percent_is_checked() -> None:
    # x*(sqrt(x**2 + 1) - x) at 1e7: f is computed to 4 % (its rounding bound is more than
    # 1e-6 of it), and its complex step 3.3e-10 (for 2.5e-22) was ok; alone it is measured,
    # among 34 points it is checked by a five-point quotient of f correctly rounded
    for at in ("1e7", "1e7:10000034:1"):
        report = derivative("x*(sqrt(x**2 + 1) - x)", at=at, method="complex")
        assert {row.status for row in report.results} == {"unreliable"}


@pytest.mark.parametrize(
    ("expression", "at", "value"),
    [
        ("log(x**2) - 2*log(x)", 0.7, 0.0),  # an identity: 0 at every precision
        ("cos(x)**2 + sin(x)**2 - 1", 0.3, 0.0),
        ("(x + exp(184)) - exp(184)", 1.0, 1.0),  # 0 at 113 and 226 bits, 1 at 452
        ("(x + exp(184)) - exp(184) - x", 1.0, 0.0),
    ],
)
def test_a_sum_that_cancels_to_zero_is_confirmed_at_a_third_precision(
    expression: str, at: float, value: float
) -> None:
    assert exact.value_at(parse(expression).tree, {"x": at}) == value


@pytest.mark.parametrize("at", ["1e-300", "5e-324", "1e300", "-1e154"])
def test_the_checks_take_extreme_points(at: str) -> None:
    # at 1e-300 the check of a complex step took Fornberg weights of offsets of 1e-302,
    # whose products underflow: a ZeroDivisionError (exit 3); at 1e300 its steps vanish
    expression = "(exp(x) - 1)/x + x*(sqrt(x**2 + 1) - x)"
    try:
        report = derivative(expression, at=at, method="all", analytic=False)
    except DiffcliError:
        return  # (not finite at some points: exit 1, as documented)
    assert len(report.results) == 7
