"""Values that no sample of f can show wrong, found by f's own a-priori rounding bound: where
that bound, carried through the quotient, exceeds 1e-6 of the value, the value is unreliable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffcli import derivative
from diffcli.engine import one_point
from diffcli.expr.cancellation import rounding_bounds
from diffcli.expr.floats import SAME_AS_NUMPY, float_function
from diffcli.expr.parsing import parse
from diffcli.expr.rounding import ROUNDING_UNIT, float_bound, readable

#: f's rounding makes its computed values a line of slope 1.7e-6 at 3e5 (the derivative is
#: 9e-18), and exactly 0.0 above 6.7e7
SQRT_GAP = "x*(sqrt(x**2 + 1) - x)"


@pytest.mark.parametrize(
    "method", ["forward", "backward", "central", "five-point", "richardson", "complex", "auto"]
)
def test_values_moved_by_fs_rounding_are_unreliable(method: str) -> None:
    # at 3e5: 1.7e-6 for 9e-18 (richardson was ok); at 1e8 f is computed as 0.0 at every
    # step, and every method gives 0.0 for 2.5e-25: the bound now judges a 0 too (the
    # complex step's by the bound at the point), and f(a) - f(x) correctly rounded (the
    # reference) tells that 0 from an exact one (sin(x) - sin(x), below)
    report = derivative(SQRT_GAP, at=["3e5", "1e8"], method=method)
    assert [row.status for row in report.results] == ["unreliable", "unreliable"]
    assert report.results[1].numerical == 0.0
    assert report.results[1].error_estimate == pytest.approx(2.5e-25, rel=1e-6)
    (warning,) = [text for text in report.warnings if text.startswith("at x=100000000 ")]
    assert "f correctly rounded gives 2.4999999999999994e-25 (± " in warning
    # past 32 points there is no reference: f correctly rounded at the 0's own points
    # (ZeroChecks) finds every value there 0.5 for the computed 0.0: a complex step or
    # Richardson 0 lost every digit (unreliable); a fixed-step quotient of 0.5s is 0 to
    # within their half spacing over h, which the estimate then says (forward: ok)
    many = derivative(SQRT_GAP, at=["1e8"] * 33, method=method, analytic=False)
    (status,) = {row.status for row in many.results}
    assert status == ("ok" if method == "forward" else "unreliable")
    assert all(
        row.error_estimate is None or row.error_estimate >= 2.5e-25  # (inf: None)
        for row in many.results
    )


def test_the_warning_names_the_cancellation_and_the_steps() -> None:
    report = derivative(SQRT_GAP, at=3e5, method="richardson")
    (row,) = report.results
    assert (row.numerical, row.status) == (1.6666599549353123e-06, "unreliable")
    assert report.warnings == (
        "at x=300000 the richardson estimate 1.6666599549353123e-06 cannot be trusted: f "
        "correctly rounded gives 9.25925925915638e-18 (± 4e-33), 1.7e-06 away (by its own "
        "evidence: f's value loses digits to cancellation here (a rounding bound of ≈ 2e-04 "
        "of f); no difference quotient with its steps is reliable)",
    )


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_an_exact_cancellation_is_a_zero_derivative(method: str) -> None:
    (row,) = derivative("sin(x) - sin(x)", at=0.0, method=method).results
    assert (row.numerical, row.status) == (0.0, "ok")


def test_richardson_on_a_quotient_of_rounding_only_is_unreliable() -> None:
    report = derivative("exp(x) - 1 - x", at=1.5e-8, method="richardson")
    (row,) = report.results
    assert row.status == "unreliable"
    assert abs(row.numerical - row.analytic) > 1e-6 * abs(row.analytic)
    assert "f's value loses digits to cancellation here" in report.warnings[0]


def test_the_batched_path_reads_the_bound_as_the_point_path_does() -> None:
    points = ["1e5", "3e5", "8.69e7", "1e8"]
    batched = derivative(SQRT_GAP, at=points, method="forward")
    one_by_one = [derivative(SQRT_GAP, at=x, method="forward").results[0] for x in points]
    expected = ["unreliable"] * 4  # (0.0 at the last two, for about 4e-24 and 2.5e-25)
    assert [row.status for row in batched.results] == expected
    assert [row.status for row in one_by_one] == expected


@pytest.mark.parametrize(
    ("expression", "x"),
    [
        ("cos(x)", 0.0),  # an exact zero
        ("sin(x)", math.pi / 2),  # zero to within rounding
        ("exp(-x**2)", 10.0),  # f's rounding 800 u of it, far from its derivative's size
        ("sin(x)*exp(-x**2)", 0.65),
        ("x**2 + 1", 3.0),
        ("log(1 + x) - x", 0.5),
    ],
)
@pytest.mark.parametrize("method", ["central", "five-point", "richardson", "auto"])
def test_ordinary_functions_stay_ok(expression: str, x: float, method: str) -> None:
    (row,) = derivative(expression, at=x, method=method).results
    assert row.status == "ok"


def test_the_bound_of_a_cancellation_and_of_an_ordinary_function() -> None:
    tree = parse(SQRT_GAP).tree
    bounds = rounding_bounds(tree, {"x": np.array([2.0, 3e5])}, 2)
    f_at_2 = 2 * (math.sqrt(5) - 2)
    assert bounds[0] <= 128 * ROUNDING_UNIT * f_at_2  # sqrt(5) - 2: a tenth of the digits
    assert 1e-4 < bounds[1] < 2e-4  # 2.5e-4 of f = 0.5


@pytest.mark.parametrize(
    "text", [SQRT_GAP, "exp(x) - 1 - x", "sin(x)*exp(-x**2)", "(1 - cos(x))/x**2", "tan(x)**3"]
)
@pytest.mark.parametrize("x", [1.5e-8, 0.7, 3e5])
def test_the_numpy_free_bound_is_numpys(text: str, x: float) -> None:
    tree = parse(text).tree
    assert readable(tree)
    found = float_bound(tree, {"x": x}, SAME_AS_NUMPY)
    expected = float(rounding_bounds(tree, {"x": np.array([x])}, 1)[0])
    if math.isfinite(expected):
        assert found == pytest.approx(expected, rel=1e-12)
    else:  # exp(3e5) overflows: no bound either way (the full path stops at f's value)
        assert not math.isfinite(found)


def test_functions_it_cannot_bound_are_not_read() -> None:
    assert not readable(parse("sigmoid(x) - 1").tree)
    assert not readable(parse("sum(v) - 1").tree)


def test_the_quick_path_leaves_those_values_to_the_full_path() -> None:
    text, x = "(1 - cos(x))/x**2", 0.007984645497739078
    tree = parse(text).tree
    function = float_function(tree, frozenset({"x"}))
    assert function is not None
    quick = one_point._central(function, {"x": x}, "x")  # trusted outright by its estimate
    assert quick is not None
    bound = max(float_bound(tree, {"x": x + offset}, SAME_AS_NUMPY) for offset in (-1e-4, 1e-4))
    assert one_point._central(function, {"x": x}, "x", bound) is None
    (row,) = derivative(text, at=x).results
    assert (row.numerical, row.status) == (quick[1], "unreliable")
    assert abs(row.numerical - row.analytic) > 1e-6 * abs(row.analytic)  # 5.2e-6: wrong
