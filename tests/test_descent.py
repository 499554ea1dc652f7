"""The descent library: the primer's numbers, each optimizer's first steps, stopping rules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from bench.primer import function_2, gradient_descent
from diffcli.errors import EvaluationError, InputError
from diffcli.expr.parsing import parse
from diffcli.expr.points import bind, read_bindings
from diffcli.usecases import descent
from diffcli.usecases.descent import DescentOptions, iterate


def run(text: str, start: str, **options: Any) -> descent.DescentReport:
    expression = parse(text)
    point = bind(read_bindings(start, "--from"), expression)
    settings = {"analytic": False, **options}
    return descent.descend(expression, point, {}, DescentOptions(**settings))


def test_seed_numbers_bit_for_bit() -> None:
    report = run("x0**2 + x1**2", "-3,4", lr=0.1, steps=100)
    final = report.layout.flatten(report.final.at)
    reference = gradient_descent(function_2, np.array([-3.0, 4.0]), 0.1, 100)
    assert final.tolist() == reference.tolist()
    assert [f"{value:.9g}" for value in final] == ["-6.11110793e-10", "8.14814391e-10"]
    assert (report.status, report.steps) == ("max_steps", 100)


def test_seed_vector_variable_gives_the_same_iterate() -> None:
    scalars = run("x0**2 + x1**2", "-3,4", lr=0.1, steps=100)
    vector = run("x[0]**2 + x[1]**2", "-3,4", lr=0.1, steps=100)
    assert vector.final.at["x"].tolist() == scalars.layout.flatten(scalars.final.at).tolist()


def test_large_rate_diverges_at_step_four() -> None:
    # f_k = 25 * 19**(2k) passes 1e10 * 25 first at k = 4 (361**4 = 1.7e10).
    report = run("x0**2 + x1**2", "-3,4", lr=10, steps=100)
    assert (report.status, report.steps) == ("diverged", 4)
    assert report.reason == (
        "f = 4.25e+11 at step 4: |f| grew past 1e10 × max(|f(start)|, 1) = 2.5e+11"
    )


def test_without_the_growth_rule_the_large_rate_stalls_finite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Why divergence is not only "non-finite": x + h == x, the numerical gradient reads 0.
    monkeypatch.setattr(descent, "DIVERGENCE_FACTOR", math.inf)
    report = run("x0**2 + x1**2", "-3,4", lr=10, steps=100)
    assert report.status == "max_steps"
    assert report.final.grad_norm == 0.0
    assert report.final.at["x0"] == pytest.approx(-2.59e13, rel=1e-2)
    assert report.final.at["x1"] == pytest.approx(-1.30e12, rel=1e-2)


def test_tiny_rate_stops_at_max_steps_near_the_start() -> None:
    report = run("x0**2 + x1**2", "-3,4", lr=1e-10, steps=100)
    assert (report.status, report.steps) == ("max_steps", 100)
    final = report.layout.flatten(report.final.at)
    # each step moves by 1e-10 * 2x: 100 steps move x0 by about 6e-8
    assert final == pytest.approx([-3.0, 4.0], abs=1e-7)
    assert final[0] > -3.0 and final[1] < 4.0


EPS = 1e-8


def _first_points(optimizer: str, count: int, **options: Any) -> list[float]:
    """Iterates of f = x**2 (gradient 2x, exact) from x = 1 with lr 0.1."""
    settings = DescentOptions(optimizer=optimizer, lr=0.1, steps=count, **options)
    records = iterate(lambda x: float(x[0] ** 2), lambda x: 2 * x, np.array([1.0]), settings)
    return [float(record.x[0]) for record in records]


def test_sgd_first_steps() -> None:
    assert _first_points("sgd", 2) == pytest.approx([1.0, 0.8, 0.64], rel=1e-15)


def test_momentum_first_steps() -> None:
    # v1 = -0.2, x1 = 0.8; v2 = 0.9*(-0.2) - 0.1*1.6 = -0.34, x2 = 0.46
    assert _first_points("momentum", 2) == pytest.approx([1.0, 0.8, 0.46], rel=1e-15)


def test_nesterov_first_steps() -> None:
    # v1 = -0.2, x1 = 1 + 0.9*(-0.2) - 0.2 = 0.62; g1 = 1.24;
    # v2 = 0.9*(-0.2) - 0.124 = -0.304, x2 = 0.62 + 0.9*(-0.304) - 0.124 = 0.2224
    assert _first_points("nesterov", 2) == pytest.approx([1.0, 0.62, 0.2224], rel=1e-14)


def test_adagrad_first_steps() -> None:
    # s1 = 4, x1 = 1 - 0.1*2/2 = 0.9; g1 = 1.8, s2 = 7.24, x2 = 0.9 - 0.18/sqrt(7.24)
    # (ε = 1e-8 added to each square root)
    x1 = 1 - 0.2 / (2 + EPS)
    expected = [1.0, x1, x1 - 0.1 * 2 * x1 / (math.sqrt(4 + (2 * x1) ** 2) + EPS)]
    assert _first_points("adagrad", 2) == pytest.approx(expected, rel=1e-14)
    assert expected[2] == pytest.approx(0.9 - 0.18 / math.sqrt(7.24), rel=1e-7)


def test_rmsprop_first_steps() -> None:
    # rho 0.9: s1 = 0.4, x1 = 1 - 0.2/sqrt(0.4); s2 = 0.36 + 0.1*(2*x1)**2
    x1 = 1 - 0.2 / (math.sqrt(0.4) + EPS)
    x2 = x1 - 0.1 * 2 * x1 / (math.sqrt(0.36 + 0.1 * (2 * x1) ** 2) + EPS)
    assert _first_points("rmsprop", 2, rho=0.9) == pytest.approx([1.0, x1, x2], rel=1e-14)


def test_adam_first_steps() -> None:
    # m1 = 0.2, v1 = 0.004, m̂ = 2, v̂ = 4: x1 = 0.9;
    # g1 = 1.8: m2 = 0.36, v2 = 0.007236, m̂ = 0.36/0.19, v̂ = 0.007236/0.001999
    x2 = 0.9 - 0.1 * (0.36 / 0.19) / math.sqrt(0.007236 / 0.001999)
    assert _first_points("adam", 2) == pytest.approx([1.0, 0.9, x2], rel=1e-7)


def test_zero_start_uses_the_absolute_divergence_rule() -> None:
    # f(start) = 0: diverged once |f| > 1e10 * max(0, 1) = 1e10; x_k = 1e9 * k.
    settings = DescentOptions(lr=1.0, steps=100)
    records = list(
        iterate(lambda x: float(x[0]), lambda x: np.array([-1e9]), np.array([0.0]), settings)
    )
    assert (records[-1].step, records[-1].status) == (11, "diverged")


def test_non_finite_value_diverges_naming_the_step() -> None:
    settings = DescentOptions(lr=1.0, steps=10)
    records = list(
        iterate(lambda x: float(np.log(x[0])), lambda x: np.array([1.0]), np.array([1.5]), settings)
    )
    # x: 1.5, 0.5, -0.5 -> log is nan at step 2
    assert (records[-1].step, records[-1].status, records[-1].reason) == (
        2,
        "diverged",
        "f is nan at step 2",
    )


def test_tolerance_stops_when_the_gradient_norm_falls_below() -> None:
    # sgd on x**2 + 10*y**2 with lr 0.05: y reaches 0 in one step, x_k = 3 * 0.9**k,
    # |∇f| = 6 * 0.9**k < 1e-6 first at k = 149.
    report = run(
        "x**2 + 10*y**2", "3,1", lr=0.05, steps=500, tol=1e-6, grad="analytic", analytic=True
    )
    assert (report.status, report.steps) == ("converged", 149)


def test_start_where_f_is_not_finite_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match=r"cannot evaluate log\(x\) at x=0: log of zero"):
        run("log(x)", "0")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": 0.0}, r"^lr must be a positive number, got 0$"),
        ({"lr": math.nan}, r"^lr must be a positive number, got nan$"),
        ({"h": -1.0}, r"^h must be a positive number, got -1$"),
        ({"tol": -1.0}, r"^tol must be 0 or more, got -1$"),
        ({"momentum": 1.0}, r"^momentum must be in \[0, 1\), got 1$"),
        ({"beta2": 1.5}, r"^beta2 must be in \[0, 1\), got 1.5$"),
        ({"optimizer": "lbfgs"}, r"^unknown optimizer 'lbfgs'; choose from sgd, momentum"),
        ({"grad": "analytic", "analytic": False}, r"^grad analytic needs SymPy: drop analytic$"),
        ({"compare": True, "trace": 5}, r"^compare runs every optimizer once: drop trace$"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        DescentOptions(**options)


def test_tensor_descent_with_fixed_target() -> None:
    # f = sum((W - T)**2): W_k - T = 0.8**k (W_0 - T) with lr 0.1 (exact gradient 2(W - T)).
    expression = parse("sum((W - T)**2)")
    target = read_bindings("T=[[0,1],[1,0]]", "--set").named
    point = bind(read_bindings("W=[[1,2],[3,4]]", "--from"), expression, fixed=target)
    options = DescentOptions(lr=0.1, steps=20, grad="analytic", analytic=True)
    report = descent.descend(expression, point, target, options)
    expected = target["T"] + 0.8**20 * (np.array([[1.0, 2.0], [3.0, 4.0]]) - target["T"])
    np.testing.assert_allclose(report.final.at["W"], expected, rtol=1e-12)
    assert list(report.final.at) == ["W"]
    nearest = report.nearest
    assert nearest is not None and nearest[0].kind == "minimum"
    assert nearest[0].at["W"].tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_unbounded_below_diverges_by_the_growth_rule() -> None:
    # f = -x**2, lr 0.5, exact gradient: x_k = 2**k, f = -4**k; |f| > 1e10 first at k = 17
    report = run("-x**2", "1", lr=0.5, steps=100, grad="analytic", analytic=True)
    assert (report.status, report.steps) == ("diverged", 17)
    assert report.final.value == -(4.0**17)
    nearest = report.nearest
    assert nearest is not None and nearest[0].kind == "maximum"


def test_numpy_error_settings_are_restored_after_a_run() -> None:
    before = np.geterr()
    report = run("x**2", "1", lr=1e300, steps=5, grad="analytic", analytic=True)
    assert (report.status, report.steps, report.reason) == ("diverged", 1, "f is inf at step 1")
    assert np.geterr() == before


def test_gradient_norm_does_not_overflow_for_large_finite_gradients() -> None:
    settings = DescentOptions(lr=1e-300, steps=1)
    records = list(
        iterate(lambda x: 0.0, lambda x: np.array([3e200, 4e200]), np.array([0.0, 0.0]), settings)
    )
    assert records[0].grad_norm == pytest.approx(5e200, rel=1e-15)
    assert records[-1].status == "max_steps"
