"""SymPy's side of descent: the compiled gradient, stationary points and their kinds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp

from diffcli.engine import analytic
from diffcli.engine.sympy_numpy import UnsupportedExpression, compile_sympy
from diffcli.errors import InputError
from diffcli.expr.parsing import parse
from diffcli.expr.points import bind, read_bindings
from diffcli.usecases import descent
from diffcli.usecases.descent import DescentOptions


def _problem(text: str, start: str, **options: Any) -> descent.DescentProblem:
    expression = parse(text)
    point = bind(read_bindings(start, "--from"), expression)
    return descent.prepare(expression, point, {}, DescentOptions(**options))


def _kinds(text: str, start: str) -> list[tuple[list[float], str, float | None]]:
    from diffcli.engine.stationary import stationary_points

    problem = _problem(text, start)
    found = stationary_points(
        problem.expression, problem.layout, problem.fixed, problem.start, 10.0
    )
    assert found.status == "ok", found.reason
    assert found.value is not None
    return sorted((values, kind, value) for values, kind, value, _ in found.value)


def test_analytic_gradient_matches_the_derivative() -> None:
    problem = _problem("sin(x)*y + exp(x*y)", "0.5,2", grad="analytic")
    x, y = 0.5, 2.0
    expected = [np.cos(x) * y + y * np.exp(x * y), np.sin(x) + x * np.exp(x * y)]
    np.testing.assert_allclose(problem.gradient(problem.start), expected, rtol=1e-15)


def test_analytic_gradient_of_relu_and_abs() -> None:
    problem = _problem("relu(x - 1)**2 + abs(y)", "3,-2", grad="analytic")
    assert problem.gradient(problem.start).tolist() == [4.0, -1.0]


def test_unsupported_sympy_node_is_refused() -> None:
    x = sp.Symbol("x", real=True)
    with pytest.raises(UnsupportedExpression, match=r"Piecewise\(\)"):
        compile_sympy(sp.Piecewise((x, x > 0), (0, True)), {x: 0})


def test_analytic_gradient_timeout_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_slow(work: Any, seconds: float) -> analytic.Bounded[Any]:
        return analytic.Bounded(None, "timed out", f"SymPy took longer than {seconds:g} s")

    monkeypatch.setattr(analytic, "bounded", too_slow)
    with pytest.raises(
        InputError,
        match=r"^--grad analytic: no usable SymPy gradient \(SymPy took longer than 0.5 s\); "
        r"use --grad numerical or a larger --analytic-timeout$",
    ):
        _problem("x**2", "1", grad="analytic", analytic_timeout=0.5)


def test_two_stationary_points_classified() -> None:
    # f = x**3 - 3x + y**2: ∇f = (3x² - 3, 2y); Hessian diag(6x, 2)
    assert _kinds("x**3 - 3*x + y**2", "2,1") == [
        ([-1.0, 0.0], "saddle", 2.0),
        ([1.0, 0.0], "minimum", -2.0),
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("x**2 - y**2", "saddle"),
        ("-(x**2 + y**2)", "maximum"),
        ("x**4 + y**2", "undetermined"),
    ],
)
def test_kind_by_hessian_signs(text: str, kind: str) -> None:
    assert _kinds(text, "1,1") == [([0.0, 0.0], kind, 0.0)]


def test_no_real_stationary_point() -> None:
    assert _kinds("exp(x) + y**2", "1,1") == []


def test_family_of_stationary_points_is_pinned_at_the_run() -> None:
    expression = parse("(x0 + x1)**2")
    point = bind(read_bindings("1,2", "--from"), expression)
    report = descent.descend(expression, point, {}, DescentOptions(lr=0.1, steps=10))
    nearest = report.nearest
    assert nearest is not None
    stationary, distance = nearest
    final = report.layout.flatten(report.final.at)
    assert stationary.kind == "undetermined"
    assert stationary.free == (1,)
    assert stationary.at["x1"] == final[1]
    assert stationary.at["x0"] == -final[1]
    assert distance == pytest.approx(abs(final[0] + final[1]), rel=1e-12)


def test_overflow_falls_back_to_numpy_semantics() -> None:
    # math.exp(1000) raises OverflowError; the NumPy evaluation gives inf as the compiler would
    problem = _problem("x**2 + exp(y)", "1,1", grad="analytic")
    point = np.array([1.0, 1000.0])
    assert problem.gradient(point).tolist() == [2.0, np.inf]
    assert problem.value(point) == np.inf
    # and at a domain edge: 1/(2*sqrt(0)) raises ZeroDivisionError in Python
    edge = _problem("sqrt(x) + y", "1,1", grad="analytic")
    assert edge.gradient(np.array([0.0, 1.0])).tolist() == [np.inf, 1.0]
