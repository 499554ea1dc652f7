"""``diff`` at many points in one batched evaluation gives each point its point-by-point numbers."""

from __future__ import annotations

import numpy as np
import pytest

import diffcli
from bench import primer
from diffcli.engine import registry
from diffcli.engine.kinks import non_analytic_functions
from diffcli.expr.inputs import read_points
from diffcli.expr.parsing import Expression
from diffcli.expr.points import Point
from diffcli.options import DiffOptions
from diffcli.usecases.diff import _batchable, _rows_in_batches, _rows_point_by_point
from diffcli.usecases.notes import MAX_POINT_WARNINGS
from diffcli.usecases.prepare import compile_scalar, resolve_coordinate, shapes_key

POINTS = "x0=-3:3:0.37,x1=0.5:2:0.5"


@pytest.mark.parametrize("method", ["central", "forward", "backward", "five-point"])
@pytest.mark.parametrize(
    ("expression", "h", "order"),
    [
        ("sin(x0)*exp(-x0**2) + x1", None, 1),
        ("log(x1)*x0**3 - tanh(x0*x1)", None, 1),
        ("x0**2 * x1", 1e-50, 1),  # the step vanishes: warnings and statuses too
        ("x0 + x1", 10.0, 1),  # a step far larger than the point: unreliable
        ("cos(x0)*x1", 1e-3, 2),
    ],
)
def test_batches_equal_the_point_by_point_path(
    expression: str, h: float | None, order: int, method: str
) -> None:
    parsed = diffcli.parse(expression)
    points = _points(parsed, POINTS)
    options = DiffOptions(wrt="x0", method=method, h=h, order=order)
    entries = [registry.method(method)]
    compiled = compile_scalar(parsed, dict(shapes_key(points[0])))
    coordinate = resolve_coordinate(parsed, points, "x0", ())
    assert _batchable(points, entries, non_analytic_functions(parsed), options)
    batched, batched_warnings, unlisted = _rows_in_batches(
        parsed, compiled, points, coordinate, entries[0], options, np.full(len(points), np.nan)
    )
    one_by_one, _, warnings = _rows_point_by_point(
        parsed, {shapes_key(points[0]): compiled}, points, coordinate, entries, [], options
    )
    assert batched == one_by_one  # every field of every row, bit for bit
    # the first warnings written out (past the few shown, only counted), the same count
    assert batched_warnings == warnings[: len(batched_warnings)]
    assert len(batched_warnings) + unlisted == len(warnings)
    assert unlisted == 0 or len(batched_warnings) == MAX_POINT_WARNINGS + 1


def test_the_primers_function_at_100000_points_batched_to_the_bit() -> None:
    report = diffcli.derivative("0.01*x**2+0.1*x", at="0:1000:0.01", analytic=False)
    xs = np.arange(0.0, 1000.0, 0.01)
    expected = primer.numerical_diff(primer.function_1, xs)  # the primer's formula on arrays
    assert [row.numerical for row in report.results] == expected.tolist()
    assert [row.value for row in report.results] == primer.function_1(xs).tolist()


def test_what_the_batch_cannot_take_goes_point_by_point() -> None:
    def batchable(expression: str, at: str, **options: object) -> bool:
        parsed = diffcli.parse(expression)
        points = _points(parsed, at)
        chosen = DiffOptions(**options)  # type: ignore[arg-type]
        entries = [registry.method(chosen.method)] if chosen.method != "all" else []
        return _batchable(points, entries, non_analytic_functions(parsed), chosen)

    assert batchable("x**2", "0:1:0.5")
    assert not batchable("abs(x)", "0:1:0.5")  # kinks are looked for point by point
    assert not batchable("x**2", "0:1:0.5", method="richardson")
    assert not batchable("x**2", "0:1:0.5", order=2)  # the step scales with |x|
    assert batchable("x**2", "0:1:0.5", order=2, h=1e-3)
    assert not batchable("sum(x**2)", "x=[1,2]", wrt="x[0]")  # a vector: matmul may block


def _points(parsed: Expression, at: str) -> list[Point]:
    return read_points(parsed, at, {})


def test_past_the_exact_points_the_analytic_side_is_one_compiled_pass() -> None:
    from diffcli.engine.analytic import EXACT_VALUES

    at = "0:10:0.005"  # 2,000 points: SymPy's derivative compiled once, evaluated in double
    fast = diffcli.derivative("sin(x)*exp(-x**2)", at=at)
    assert fast.derivative == "-2*x*exp(-x**2)*sin(x) + exp(-x**2)*cos(x)"
    assert len(fast.results) > EXACT_VALUES == 1000
    for start in range(0, len(fast.results), EXACT_VALUES):
        rows = fast.results[start : start + EXACT_VALUES]
        exact = diffcli.derivative(  # at most EXACT_VALUES points: exact, point by point
            "sin(x)*exp(-x**2)", at=[{"x": float(row.at["x"])} for row in rows]
        )
        for row, reference in zip(rows, exact.results, strict=True):
            x = float(row.at["x"])
            terms = abs(np.exp(-(x**2)) * np.cos(x)) + abs(2 * x * np.exp(-(x**2)) * np.sin(x))
            assert row.analytic is not None and reference.analytic is not None
            # each term's rounding, with exp(-x**2)'s condition number x**2
            bound = 8 * np.finfo(float).eps * terms * (1 + x**2)
            assert abs(row.analytic - reference.analytic) <= bound


def test_where_the_compiled_derivative_is_not_finite_there_is_no_analytic_value() -> None:
    report = diffcli.derivative("sqrt(x)", at="0:10.01:0.01")  # 1,001 points: compiled
    assert len(report.results) == 1001
    assert report.results[0].analytic is None  # 1/(2 sqrt(0))
    assert report.results[1].analytic == pytest.approx(0.5 / np.sqrt(0.01), rel=4e-16)
