"""grad and hessian with the accurate methods: per-coordinate estimates and their error bounds."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from diffcli.engine.kernel import partials
from diffcli.engine.methods.fixed_step import partials_by_coordinate
from diffcli.errors import InputError
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.usecases import grad
from diffcli.usecases.grad import GradOptions, gradient_report
from diffcli.usecases.hessian import HessianOptions, hessian_report

VECTOR = [0.1, -2.0, 3.0]


def grad_json(run: Any, *args: str, expect: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(run("grad", *args, "-f", "json", expect=expect).stdout)
    return result


@pytest.mark.parametrize("method", ["auto", "complex", "richardson"])
def test_sum_of_exponentials_matches_the_analytic_gradient(run: Any, method: str) -> None:
    document = grad_json(run, "sum(exp(x))", "--at", "x=[0.1,-2,3]", "--method", method)
    (result,) = document["results"]
    numerical = np.array(result["numerical"]["x"])
    exact = np.exp(VECTOR)
    tolerance = 1e-13 if method != "richardson" else 1e-12
    assert np.all(np.abs(numerical - exact) <= tolerance * np.abs(exact))
    estimates = np.array(result["error_estimate"]["x"])
    assert np.all(estimates >= np.abs(numerical - exact))
    assert result["max_error_estimate"] == max(estimates)
    counts = result["partial_evaluations"]["x"]
    assert sum(counts) == result["evaluations"]
    assert document["method"] == method and document["step"] is None


def test_auto_on_a_product_is_exact_to_rounding(run: Any) -> None:
    (result,) = grad_json(run, "sin(x0)*x1", "--at", "0.7,-1.3", "--method", "auto")["results"]
    exact = {"x0": -1.3 * math.cos(0.7), "x1": math.sin(0.7)}
    for name, value in exact.items():
        error = abs(result["numerical"][name] - value)
        assert error <= 1e-13 * abs(value)
        assert result["error_estimate"][name] >= error
        # the complex step's own error estimate: near rounding, not a loose bound
        assert result["error_estimate"][name] < 1e-14


def test_five_point_converges_with_order_four() -> None:
    expression = parse("sin(x0)*x1")
    point = {"x0": np.array(0.7), "x1": np.array(-1.3)}
    steps = [0.2, 0.1, 0.05, 0.025]
    errors = []
    estimates = []
    for step in steps:
        report = gradient_report(
            expression, [point], GradOptions(method="five-point", h=step, analytic=False)
        )
        (row,) = report.results
        errors.append(abs(float(row.numerical["x0"]) - (-1.3 * math.cos(0.7))))
        assert row.error_estimate is not None
        estimates.append(float(row.error_estimate["x0"]))
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(4, abs=0.1)
    # the step-halving estimate of the truncation error is asymptotically exact; the error
    # estimate is twice it (a margin for the terms beyond the leading one); at the two
    # largest steps the values are off by more than 1e-6 and measured against f correctly
    # rounded (engine/reference.py): the estimate is the error itself
    expected = [errors[0], errors[1], 2 * errors[2], 2 * errors[3]]
    assert estimates == pytest.approx(expected, rel=1e-3)


def test_table_has_an_error_estimate_column_that_gives_way(run: Any) -> None:
    wide = run("grad", "sin(x0)*x1", "--at", "0.7,-1.3", "--method", "complex").stdout
    assert wide.splitlines()[3] == "complex step"
    assert "rel error  est. err" in wide
    assert "largest error estimate: 1.41e-15" in wide
    narrow = run("grad", "sin(x0)*x1", "--at", "0.7,-1.3", "--method", "complex", columns=70)
    assert "est. err" not in narrow.stdout.split("(hidden")[0]
    assert "(hidden at this width: est. err)" in narrow.stdout


def test_the_batched_quotients_keep_their_output(run: Any) -> None:
    document = grad_json(run, "x0**2 + x1**2", "--at", "3,4")
    (result,) = document["results"]
    assert "error_estimate" not in result and "partial_evaluations" not in result
    assert result["numerical"] == {"x0": 6.00000000000378, "x1": 7.999999999999119}
    table = run("grad", "x0**2 + x1**2", "--at", "3,4").stdout
    assert "est. err" not in table and "error estimate" not in table


@pytest.mark.parametrize("method", ["forward", "backward", "central"])
@pytest.mark.parametrize("across", [True, False])
def test_a_batched_quotient_that_cannot_be_trusted_says_so(
    monkeypatch: pytest.MonkeyPatch, method: str, across: bool
) -> None:
    # f cancels at x0 = 1e-5 (true ∂f/∂x0 = -8.3e-7): every quotient there is wrong
    if not across:
        monkeypatch.setattr(grad, "_across_points", lambda *arguments: False)
    options = GradOptions(method=method, analytic=False)
    report = gradient_report(parse("(1 - cos(x0))/x0**2 + x1"), [POINT_A, POINT_B], options)
    first, second = report.results
    # at x0 = 2 a one-sided quotient is off by 1e-5 of the value (h f''/2), the central by 1e-9
    assert (first.status, second.status) == (
        "unreliable",
        "ok" if method == "central" else "unreliable",
    )
    assert not abs(first.numerical["x0"] + 8.3e-7) <= 1e-6 * 8.3e-7
    warning = report.warnings[0]
    assert warning.startswith(f"at x0=1e-05, x1=1 the {method} values of x0 cannot be trusted")
    assert warning.endswith("; try --method auto (an adaptive estimate of each partial derivative)")


POINT_A = {"x0": np.array(1e-5), "x1": np.array(1.0)}
POINT_B = {"x0": np.array(2.0), "x1": np.array(1.0)}


@pytest.mark.parametrize("method", ["forward", "central"])
def test_batched_estimates_by_coordinate_keep_the_primer_bits(method: str) -> None:
    point = {"x": np.array([[0.3, -2.0], [1e-5, 4.0]]), "a": np.array(1.5)}
    compiled = compile_expression(
        parse("sum(sin(a*x)) + (1 - cos(a))/a**2"), {"x": (2, 2), "a": ()}
    )
    for name in ("x", "a"):
        found = partials_by_coordinate(compiled, point, name, method)
        expected = partials(compiled, point, ("x", "a"), method)[name]
        assert found.values.tolist() == np.ravel(expected).tolist()
        assert found.evaluations == (4 if method == "central" else 6)
        assert np.all(found.errors > np.abs(found.values - _exact_partials(point)[name]))


def _exact_partials(point: dict[str, Any]) -> dict[str, Any]:
    x, a = point["x"], float(point["a"])
    d_a = (a * math.sin(a) - 2 * (1 - math.cos(a))) / a**3
    return {"x": np.ravel(a * np.cos(a * x)), "a": np.array([np.sum(x * np.cos(a * x)) + d_a])}


def test_csv_gains_error_estimate_and_evaluations(run: Any) -> None:
    out = run(
        "grad", "x0*x1", "--at", "3,4", "--method", "complex", "--no-analytic", "-f", "csv"
    ).stdout
    lines = out.splitlines()
    assert lines[0] == (
        "x0,x1,value,numerical.x0,numerical.x1,error_estimate.x0,error_estimate.x1,"
        "norm,analytic_norm,max_abs_error,evaluations,status"
    )
    # Im((3 + ih) * 4) / h = 4 exactly, at each of the complex step's four steps; ten more
    # real evaluations per coordinate look for rounding noise in f, and twelve complex ones
    # at real neighbours for rounding that reaches the quotient through f's real part (none)
    estimate_x0 = repr(2 * float(np.finfo(float).eps) * 4)
    estimate_x1 = repr(2 * float(np.finfo(float).eps) * 3)
    assert lines[1] == f"3.0,4.0,12.0,4.0,3.0,{estimate_x0},{estimate_x1},5.0,,,52,ok"


def test_matrix_variable_has_its_estimates_in_its_shape(run: Any) -> None:
    args = ("sum(W**2)", "--at", "W=[[1,2],[3,4]]", "--method", "auto")
    (result,) = grad_json(run, *args)["results"]
    assert result["numerical"] == {"W": [[2.0, 4.0], [6.0, 8.0]]}
    assert np.shape(result["error_estimate"]["W"]) == (2, 2)
    assert np.shape(result["partial_evaluations"]["W"]) == (2, 2)
    table = run("grad", *args).stdout
    assert "∂f/∂W, error estimate" in table


def test_complex_is_refused_for_abs(run: Any) -> None:
    outcome = run("grad", "abs(x0) + x1", "--at", "1,2", "--method", "complex", expect=2)
    assert outcome.stderr == (
        "error: --method complex: the complex step needs an analytic expression, and abs is "
        "not analytic; use --method richardson (or auto, which falls back to it)\n"
    )


def test_auto_falls_back_to_richardson_for_abs(run: Any) -> None:
    (result,) = grad_json(run, "abs(x0)*x1", "--at", "-0.5,2", "--method", "auto")["results"]
    assert abs(result["numerical"]["x0"] + 2.0) <= 1e-12
    assert abs(result["numerical"]["x1"] - 0.5) <= 1e-12


def test_a_kink_names_both_one_sided_derivatives(run: Any) -> None:
    # a kink is reported, not a failure: exit 0, as diff does
    outcome = run("grad", "abs(x0) + x1", "--at", "0,1", "--method", "auto", "-f", "csv")
    assert outcome.stderr == (
        "warning: at x0=0, x1=1 the left and right derivatives differ (not differentiable) "
        "for x0 (left -1.0, right 1.0)\n"
    )


def test_all_and_h_with_auto_are_refused(run: Any) -> None:
    outcome = run("grad", "x0*x1", "--at", "1,2", "--method", "all", expect=2)
    assert outcome.stderr.startswith("error: --method all is diff's side-by-side view")
    outcome = run("grad", "x0*x1", "--at", "1,2", "--method", "auto", "--h", "1e-3", expect=2)
    assert outcome.stderr == (
        "error: --h does not apply to --method auto, which chooses its own steps\n"
    )


def exp_cubic(x0: float, x1: float) -> Any:
    e = math.exp(x0)
    return np.array([[e * x1**3, 3 * e * x1**2], [3 * e * x1**2, 6 * e * x1]])


def square_sine(x0: float, x1: float) -> Any:
    return np.array([[2 * x1, 2 * x0], [2 * x0, -math.sin(x1)]])


@pytest.mark.parametrize("method", ["richardson", "auto"])
@pytest.mark.parametrize(
    ("text", "at", "closed_form"),
    [
        ("exp(x0)*x1**3", (0.3, 2.0), exp_cubic),
        ("exp(x0)*x1**3", (-1.0, 0.5), exp_cubic),
        ("x0**2*x1 + sin(x1)", (1.5, 0.5), square_sine),
        ("x0**2*x1 + sin(x1)", (-20.0, 7.0), square_sine),
    ],
)
def test_adaptive_hessian_matches_closed_forms(
    text: str, at: tuple[float, float], closed_form: Any, method: str
) -> None:
    point = {"x0": np.array(at[0]), "x1": np.array(at[1])}
    report = hessian_report(parse(text), [point], HessianOptions(analytic=False, method=method))
    (row,) = report.results
    exact = closed_form(*at)
    error = np.abs(row.numerical - exact)
    assert np.all(error <= 1e-9 * np.maximum(1, np.abs(exact)))
    assert row.error_estimate is not None
    assert np.all(row.error_estimate >= error)
    assert np.array_equal(row.numerical, row.numerical.T)
    assert report.step is None and report.method == method


def test_adaptive_hessian_mixes_vector_and_scalar_variables(run: Any) -> None:
    args = ("sum(x**2)*y", "--at", "x=[1,2],y=3", "--method", "auto", "-f", "json")
    (result,) = json.loads(run("hessian", *args).stdout)["results"]
    assert result["coordinates"] == ["x[0]", "x[1]", "y"]
    exact = np.array([[6.0, 0.0, 2.0], [0.0, 6.0, 4.0], [2.0, 4.0, 0.0]])
    assert np.all(np.abs(np.array(result["numerical"]) - exact) <= 1e-12)
    assert np.shape(result["error_estimate"]) == (3, 3)
    assert result["max_error_estimate"] == np.max(result["error_estimate"])


def test_adaptive_hessian_near_a_domain_edge() -> None:
    point = {"x0": np.array(1e-6), "x1": np.array(3.0)}
    options = HessianOptions(analytic=False, method="richardson")
    (row,) = hessian_report(parse("sqrt(x0)*x1**2"), [point], options).results
    # ∂²/∂x0∂x1 = x1 / sqrt(x0) = 3000; steps of |x0| size keep it inside the domain
    assert abs(row.numerical[0, 1] - 3000.0) <= 1e-8 * 3000
    assert row.error_estimate is not None
    assert row.error_estimate[0, 1] >= abs(row.numerical[0, 1] - 3000.0)


def test_hessian_table_and_csv_show_the_estimates(run: Any) -> None:
    args = ("x0**2*x1 + sin(x1)", "--at", "1.5,0.5", "--method", "auto")
    table = run("hessian", *args).stdout
    assert (
        table.splitlines()[1]
        == "auto (complex step where analytic, else Richardson), entry by entry"
    )
    assert "error estimate" in table and "largest error estimate: " in table
    csv = run("hessian", *args, "-f", "csv").stdout.splitlines()
    entries = ("x0.x0", "x0.x1", "x1.x0", "x1.x1")
    groups = ("numerical", "analytic", "error_estimate")
    per_entry = [f"{group}.{entry}" for group in groups for entry in entries]
    assert csv[0] == ",".join(["x0", "x1", *per_entry, "max_abs_error", "evaluations", "status"])
    assert len(csv) == 2  # one row per point


def test_hessian_central_keeps_its_json(run: Any) -> None:
    (result,) = json.loads(run("hessian", "x0**2*x1", "--at", "1,2", "-f", "json").stdout)[
        "results"
    ]
    assert list(result) == [
        "at",
        "coordinates",
        "numerical",
        "analytic",
        "max_abs_error",
        "evaluations",
        "status",
    ]


def test_hessian_refuses_h_with_adaptive_methods_and_too_many_coordinates(run: Any) -> None:
    outcome = run(
        "hessian", "x0*x1", "--at", "1,2", "--method", "richardson", "--h", "1e-3", expect=2
    )
    assert outcome.stderr == (
        "error: --h does not apply to --method richardson, which chooses its own steps\n"
    )
    with pytest.raises(InputError, match=r"at most 20 coordinates are supported by method auto"):
        hessian_report(
            parse("sum(x**2)"),
            [{"x": np.ones(21)}],
            HessianOptions(analytic=False, method="auto"),
        )


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_the_batched_quotients_report_kinks_too(run: Any, method: str) -> None:
    # central reads 0 at abs's kink and 0.5 at relu's: a number where there is no derivative
    outcome = run(
        "grad",
        "sum(relu(W)) + abs(b)",
        "--at",
        "W=[[0,1],[2,-1]],b=0",
        "--method",
        method,
        "-f",
        "json",
    )
    (row,) = json.loads(outcome.stdout)["results"]
    assert row["kinks"] == {
        "W[0,0]": {"left": 0.0, "right": 1.0},
        "b": {"left": -1.0, "right": 1.0},
    }
    assert row["numerical"]["W"][0][0] is None and row["numerical"]["b"] is None
    assert row["analytic"]["W"][0][0] is None and row["analytic"]["b"] is None
    assert row["numerical"]["W"][1][1] == 0.0
    assert (
        "left and right derivatives differ (not differentiable) for "
        "W[0,0] (left 0.0, right 1.0), b (left -1.0, right 1.0)" in outcome.stderr
    )


def test_smooth_points_of_a_non_analytic_expression_have_no_kinks(run: Any) -> None:
    outcome = run("grad", "abs(x0)*x1 + relu(x1)", "--at", "-2,3", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert "kinks" not in row
    assert row["numerical"]["x0"] == pytest.approx(-3.0, abs=1e-9)
    assert row["numerical"]["x1"] == pytest.approx(3.0, abs=1e-9)
