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
from diffcli.engine.coordinates import Coordinate
from diffcli.engine.estimate import Estimate
from diffcli.engine.reference import REFERENCE_POINTS, References, reference_at
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


def test_each_point_is_measured_once_for_every_method() -> None:
    report = derivative("(exp(x) - 1)/x", at=1e-9, method="all", analytic=False)
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
