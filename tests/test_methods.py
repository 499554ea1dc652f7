"""The estimators of one variable: stencils, convergence orders, Richardson, complex step."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from bench.primer import function_1
from diffcli.engine.coordinates import Coordinate, along
from diffcli.engine.estimate import estimate
from diffcli.engine.methods.auto import auto
from diffcli.engine.methods.complex_step import complex_step
from diffcli.engine.methods.fixed_step import fixed_step
from diffcli.engine.methods.richardson import richardson
from diffcli.engine.methods.stencils import fornberg_weights, method_stencil
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse


def test_textbook_stencils() -> None:
    five = method_stencil("five-point", 1)
    assert five.offsets == (-2, -1, 1, 2)
    assert (five.numerators, five.denominator) == ((1, -8, 8, -1), 12)
    second = method_stencil("central", 2)
    assert (second.offsets, second.numerators, second.denominator) == ((-1, 0, 1), (1, -2, 1), 1)
    assert method_stencil("forward", 3).numerators == (-1, 3, -3, 1)
    assert method_stencil("five-point", 4).numerators == (-1, 12, -39, 56, -39, 12, -1)


def test_fornberg_weights_on_uneven_nodes_are_exact_for_cubics() -> None:
    nodes = [Fraction(-1), Fraction(1, 3), Fraction(2), Fraction(5, 2)]
    weights = fornberg_weights(nodes, 1)
    # d/dt of t**3 + 2 t**2 - t + 4 at 0 is -1
    assert sum(w * (t**3 + 2 * t**2 - t + 4) for w, t in zip(weights, nodes)) == -1


def test_central_is_the_primer_to_the_last_bit() -> None:
    f = function_1
    batch = np.vectorize(f)
    h = 1e-4
    for x in (5.0, 10.0, 0.3):
        assert fixed_step(batch, x, "central", h).value == (f(x + h) - f(x - h)) / (2 * h)
        assert fixed_step(batch, x, "forward", h).value == (f(x + h) - f(x)) / h
    assert fixed_step(batch, 5.0, "central", h).value == 0.1999999999990898


def test_vanished_step_has_infinite_error_estimate() -> None:
    result = fixed_step(np.square, 5.0, "forward", 1e-50)
    assert (result.value, result.error, result.step_vanished) == (0.0, math.inf, True)


def test_complex_step_through_the_compiled_evaluator() -> None:
    expression = parse("sin(x) * exp(x) + x**3")
    point = {"x": np.array(1.5)}
    function = along(compile_expression(expression, {"x": ()}), point, Coordinate("x"))
    values = function(np.array([1.5 + 1e-20j]))
    assert values.dtype == np.complex128
    exact = math.cos(1.5) * math.exp(1.5) + math.sin(1.5) * math.exp(1.5) + 3 * 1.5**2
    result = complex_step(function, 1.5)
    assert abs(result.value - exact) <= 2 * math.ulp(exact)
    assert result.evaluations == 4


@pytest.mark.parametrize(
    ("function", "x", "exact"),
    [
        (np.sqrt, 1e-6, 500.0),
        (np.log, 1e-3, 1000.0),
        (np.log, 2.0**-40, 2.0**40),
        (lambda t: 1 / (t - 1.25), 1.25 - 2.0**-10, -(2.0**20)),
        (np.cos, 1e-8, -math.sin(1e-8)),
        (np.exp, 100.0, math.exp(100.0)),
    ],
)
def test_adaptive_methods_stay_inside_the_domain(function: object, x: float, exact: float) -> None:
    with np.errstate(all="ignore"):
        best = auto(function, x)  # type: ignore[arg-type]
        extrapolated = richardson(function, x)  # type: ignore[arg-type]
    assert abs(best.value - exact) <= 1e-15 * abs(exact)
    assert math.isfinite(extrapolated.value)
    assert abs(extrapolated.value - exact) <= max(1e-9 * abs(exact), 1e-15)
    assert abs(extrapolated.value - exact) <= extrapolated.error


def test_richardson_turns_one_sided_at_the_edge_of_the_domain() -> None:
    with np.errstate(all="ignore"):
        result = richardson(lambda t: np.power(t, 1.5), 0.0)
    assert result.technique == "forward"
    assert abs(result.value) < 1e-12


@pytest.mark.parametrize(
    ("function", "left", "right"),
    [(np.abs, -1.0, 1.0), (lambda t: np.maximum(t, 0.0), 0.0, 1.0)],
)
def test_kinks_report_both_one_sided_derivatives(
    function: object, left: float, right: float
) -> None:
    result = richardson(function, 0.0)  # type: ignore[arg-type]
    assert math.isnan(result.value)
    assert (result.left, result.right) == (pytest.approx(left), pytest.approx(right))


def test_auto_rejects_the_complex_step_at_a_branch_point() -> None:
    with np.errstate(all="ignore"):
        result = auto(lambda t: np.sqrt(t * t), 0.0)
    assert result.is_kink
    assert (result.left, result.right) == (pytest.approx(-1.0), pytest.approx(1.0))


def test_complex_step_error_estimate_sees_cancellation() -> None:
    result = complex_step(lambda t: np.exp(t) - 1 - t, 1e-5)
    exact = math.expm1(1e-5)
    assert abs(result.value - exact) <= result.error
    assert result.error > 100 * math.ulp(exact)


@pytest.mark.parametrize("order", [2, 3, 4])
def test_higher_orders(order: int) -> None:
    exact = math.exp(0.5)
    with np.errstate(all="ignore"):
        for method, tolerance in (("richardson", 1e-7), ("auto", 1e-8), ("five-point", 1e-5)):
            result = estimate(np.exp, 0.5, method, order)
            assert abs(result.value - exact) <= tolerance * exact, method
