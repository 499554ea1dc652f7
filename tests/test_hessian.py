"""``diffcli hessian``: closed-form Hessians, the stencils bit for bit, symmetry, order 2."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import diffcli
from diffcli.engine.kernel import hessian, second_differences
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.usecases import hessian as hessian_use_case
from diffcli.usecases.hessian import MAX_HESSIAN_COORDINATES


def hessian_json(run: Any, expression: str, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run("hessian", expression, *args, "-f", "json").stdout)
    return document


@pytest.mark.parametrize(
    ("expression", "point", "closed_form"),
    [
        (
            "x0**2*x1 + sin(x1)",
            (1.5, 0.5),
            lambda a, b: [[2 * b, 2 * a], [2 * a, -math.sin(b)]],
        ),
        (
            "exp(x0)*x1**3",
            (0.5, 2.0),
            lambda a, b: [
                [math.exp(a) * b**3, 3 * math.exp(a) * b**2],
                [3 * math.exp(a) * b**2, 6 * math.exp(a) * b],
            ],
        ),
        (
            "x0*x1*x2 + cos(x0 - x2)",
            (0.3, -1.2, 2.0),
            lambda a, b, c: [
                [-math.cos(a - c), c, b + math.cos(a - c)],
                [c, 0.0, a],
                [b + math.cos(a - c), a, -math.cos(a - c)],
            ],
        ),
    ],
)
def test_closed_form_hessians(run: Any, expression: str, point: Any, closed_form: Any) -> None:
    at = ",".join(repr(v) for v in point)
    document = hessian_json(run, expression, "--at", at)
    (result,) = document["results"]
    expected = np.array(closed_form(*point))
    assert np.allclose(result["analytic"], expected, rtol=1e-15, atol=1e-15)
    numerical = np.array(result["numerical"])
    assert np.allclose(numerical, expected, rtol=1e-6, atol=1e-6)
    assert np.array_equal(numerical, numerical.T)
    assert result["max_abs_error"] == float(
        np.max(np.abs(numerical - np.array(result["analytic"])))
    )
    assert document["variables"] == [f"x{i}" for i in range(len(point))]
    assert result["coordinates"] == document["variables"]
    assert result["evaluations"] == 2 * (1 + 2 * len(point) ** 2)  # at h and at h/2


def test_stencils_bit_for_bit_against_a_plain_loop() -> None:
    def f(x0: float, x1: float, x2: float) -> float:
        return x0 * x0 * x1 + 3 * x0 * x1 * x1 * x1 - x2 * x0 / 7

    x = [0.7, -1.3, 2.2]
    h = 1e-3
    expected = np.zeros((3, 3))

    def at(i: int, di: float, j: int, dj: float) -> float:
        y = list(x)
        y[i] = x[i] + di
        if i != j:
            y[j] = x[j] + dj
        return f(*y)

    for i in range(3):
        for j in range(3):
            if i == j:
                expected[i, i] = (at(i, h, i, 0) - 2 * f(*x) + at(i, -h, i, 0)) / (h * h)
            else:
                corners = at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)
                expected[i, j] = corners / (4 * h * h)
    expression = parse("x0*x0*x1 + 3*x0*x1*x1*x1 - x2*x0/7")
    compiled = compile_expression(expression, {"x0": (), "x1": (), "x2": ()})
    point = {f"x{i}": np.array(v) for i, v in enumerate(x)}
    ours = hessian(compiled, point, ("x0", "x1", "x2"), h)
    assert np.array_equal(ours, expected)


def test_second_differences_converge_with_order_2() -> None:
    # not separable: for exp(x0)*sin(x1) the mixed stencil's h**2 terms cancel (order 4)
    compiled = compile_expression(parse("sin(x0*x1)"), {"x0": (), "x1": ()})
    point = {"x0": np.array(0.5), "x1": np.array(2.0)}
    a, b = 0.5, 2.0
    mixed = math.cos(a * b) - a * b * math.sin(a * b)
    exact = np.array([[-b * b * math.sin(a * b), mixed], [mixed, -a * a * math.sin(a * b)]])
    steps = np.array([0.1, 0.05, 0.025, 0.0125])
    for i, j in [(0, 0), (0, 1), (1, 1)]:
        errors = [abs(hessian(compiled, point, ("x0", "x1"), s)[i, j] - exact[i, j]) for s in steps]
        slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
        assert 1.95 < slope < 2.05, (i, j, slope)


def test_vector_variable(run: Any) -> None:
    document = hessian_json(run, "sum(x**2) + x[0]*x[2]", "--at", "1,2,3")
    (result,) = document["results"]
    assert result["coordinates"] == ["x[0]", "x[1]", "x[2]"]
    assert result["analytic"] == [[2.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 0.0, 2.0]]
    assert np.allclose(result["numerical"], result["analytic"], atol=1e-6)


def test_the_table_at_80_columns(run: Any) -> None:
    out = run("hessian", "exp(x0)*x1**3", "--at", "0,1", "--precision", "3").stdout
    assert [line.rstrip() for line in out.splitlines()] == [
        "f = exp(x0)*x1**3",
        "central second differences, h = 0.0001",
        "",
        "at x0=0, x1=1",
        "numerical Hessian",
        "row  x0  x1",
        "───────────",
        "x0    1   3",
        "x1    3   6",
        "analytic Hessian (SymPy)",
        "row  x0  x1",
        "───────────",
        "x0    1   3",
        "x1    3   6",
        "largest abs error: 1.51e-08",
    ]


def test_full_values_in_the_table(run: Any) -> None:
    outcome = run("hessian", "x0**2*x1 + sin(x1)", "--at", "1.5,0.5")
    document = hessian_json(run, "x0**2*x1 + sin(x1)", "--at", "1.5,0.5")
    for line in document["results"][0]["numerical"]:
        for value in line:
            assert repr(value) in outcome.stdout
    assert all(len(line) <= 80 for line in outcome.stdout.splitlines())


def test_value_and_csv_formats(run: Any) -> None:
    values = run("hessian", "x0*x1", "--at", "1,2", "-f", "value").stdout.splitlines()
    document = hessian_json(run, "x0*x1", "--at", "1,2")
    numerical = document["results"][0]["numerical"]
    assert values == [" ".join(repr(v) for v in line) for line in numerical]
    csv = run("hessian", "x0*x1", "--at", "1,2", "-f", "csv").stdout.splitlines()
    assert csv[0] == (
        "x0,x1,numerical.x0.x0,numerical.x0.x1,numerical.x1.x0,numerical.x1.x1,"
        "analytic.x0.x0,analytic.x0.x1,analytic.x1.x0,analytic.x1.x1,max_abs_error,"
        "evaluations,status"
    )
    entries = ",".join(repr(value) for line in numerical for value in line)
    error = max(abs(numerical[0][1] - 1.0), abs(numerical[0][0]), abs(numerical[1][1]))
    assert csv[1] == f"1.0,2.0,{entries},0.0,1.0,1.0,0.0,{error!r},18,ok"
    assert len(csv) == 2


@pytest.mark.usefixtures("sympy_never_finishes")
def test_a_tiny_timeout_keeps_the_numerical_hessian(run: Any) -> None:
    outcome = run(
        "hessian",
        "sum(exp(x)*sin(x))",
        "--at",
        "1,2,3",
        "--analytic",
        "sympy",
        "--analytic-timeout",
        "1e-6",
    )
    assert "numerical Hessian" in outcome.stdout
    assert "analytic Hessian: n/a (timed out)" in outcome.stdout
    assert "warning: no analytic Hessian: SymPy took longer than 1e-06 s" in outcome.stderr


def test_too_many_coordinates(run: Any) -> None:
    count = MAX_HESSIAN_COORDINATES + 1
    point = ",".join("1" for _ in range(count))
    outcome = run("hessian", "sum(x**2)", "--at", point, "--no-analytic", expect=2)
    assert outcome.stderr.startswith("error: at x=[1, 1, 1")
    assert outcome.stderr.endswith(
        f"1, 1, … 1, 1, 1, 1, 1] the Hessian would have {count}×{count} entries; "
        f"at most {MAX_HESSIAN_COORDINATES} coordinates are supported\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["x0*x1", "--at", "x0=1,x2=3"],
            "unknown variable 'x2' (the expression's variables: x0, x1)",
        ),
        (["x0*x1", "--at", "1"], "gives 1 value for the variables x0, x1"),
        (["x[3]*x[0]", "--at", "1,2"], "index 3 is out of range for x of length 2"),
        (["x0*x1", "--at", "1,2", "--h", "0"], "--h must be a positive number, got 0"),
    ],
)
def test_bad_input(run: Any, args: list[str], message: str) -> None:
    outcome = run("hessian", *args, expect=2)
    assert outcome.stderr.startswith("error: ") and message in outcome.stderr
    assert outcome.stdout == ""


def test_a_kink_clears_its_row_and_column(run: Any) -> None:
    # second differences across abs's kink measure 2/h = 20000, not a derivative
    outcome = run("hessian", "abs(x0)*x1", "--at", "0,1", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert row["numerical"] == [[None, None], [None, 0.0]]
    assert row["analytic"] == [[None, None], [None, 0.0]]
    assert outcome.stderr.startswith(
        "warning: at x0=0, x1=1 the left and right derivatives differ (not differentiable) "
        "for x0 (left -1.0, right 1.0); no second derivative involves them\n"
    )


def test_set_holds_a_variable_fixed(run: Any) -> None:
    document = json.loads(
        run(
            "hessian", "x0**2*y + sin(y)*x1", "--at", "x0=1,x1=2", "--set", "y=0.5", "-f", "json"
        ).stdout
    )
    assert document["variables"] == ["x0", "x1"]
    (row,) = document["results"]
    assert row["coordinates"] == ["x0", "x1"]
    assert row["analytic"] == [[1.0, 0.0], [0.0, 0.0]]
    assert row["at"] == {"x0": 1.0, "x1": 2.0, "y": 0.5}


#: Central Hessians beside the status their error estimate gives: wrong ones are unreliable
#: (f cancels; a pole; f of 1e8 whose change over h rounds away, so its differences are 0
#: at every step), right ones ok (a linear and a quadratic f, whose entries are zero or
#: exact to within f's rounding; sin''(2), near the rounding limit of h = 1e-4).
CENTRAL_STATUSES = [
    ("(1 - cos(x0))/x0**2 + x1", "1e-5,1", "unreliable", "(x0), (x0,x1)"),
    ("1/(x0 - x1)", "1,1.001", "unreliable", "(x0), (x0,x1), (x1)"),
    ("sin(x0)*cos(x1) + x0", "1e8,0.5", "unreliable", "(x0), (x0,x1)"),
    ("x0 + x1", "1,2", "ok", ""),
    ("x0**2 + x1**2", "3,4", "ok", ""),
    ("x0*x1 + sin(x1)", "1,2", "ok", ""),
]


@pytest.mark.parametrize("across", [True, False])
@pytest.mark.parametrize(("expression", "at", "status", "entries"), CENTRAL_STATUSES)
def test_central_entries_that_cannot_be_trusted_say_so(
    monkeypatch: pytest.MonkeyPatch,
    across: bool,
    expression: str,
    at: str,
    status: str,
    entries: str,
) -> None:
    if not across:
        monkeypatch.setattr(hessian_use_case, "one_scalar_layout", lambda points: False)
    report = diffcli.hessian(expression, at=at, analytic=False)
    (row,) = report.results
    assert row.status == status
    if not entries:
        assert report.warnings == ()
        return
    (warning,) = report.warnings
    assert f"the central values of {entries} cannot be trusted: " in warning
    assert warning.endswith("; try --method auto (an adaptive estimate of each entry)")


def test_a_noisy_flat_entry_names_the_noise() -> None:
    (warning,) = diffcli.hessian("sin(x0)*cos(x1) + x0", at="1e8,0.5", analytic=False).warnings
    assert "f(x) itself carries relative rounding noise" in warning


def test_second_differences_bound_their_rounding() -> None:
    compiled = compile_expression(parse("exp(x0)*x1 + 1e3"), {"x0": (), "x1": ()})
    point = {"x0": np.array(0.5), "x1": np.array(2.0)}
    found = second_differences(compiled, point, ("x0", "x1"), 1e-4)
    f = math.exp(0.5) * 2.0 + 1e3
    epsilon = float(np.finfo(np.float64).eps)
    # 2ε (|f+| + 2|f0| + |f-|) / h² on the diagonal, 2ε Σ|corners| / (4h²) off it: 8ε|f|/h²
    # and 2ε|f|/h², to the first order in h
    expected = np.array([[8.0, 2.0], [2.0, 8.0]]) * epsilon * f / 1e-8
    assert np.allclose(found.rounding, expected, rtol=1e-3)
    assert found.values.tolist() == hessian(compiled, point, ("x0", "x1"), 1e-4).tolist()


def test_a_mixed_zero_is_judged_against_its_rounding_in_f_units() -> None:
    # the mixed line w(t) moves x0 and x1 by 2**-20 t and 2**-27 t: its rounding bound is
    # scaled back with the value and the error (it was not: 0 ± 3.7e-5 was "unreliable")
    report = diffcli.hessian("log(x0) + sqrt(x1)", at="1e-6,1e-8", method="auto", analytic=False)
    (row,) = report.results
    assert row.numerical[0, 1] == row.numerical[1, 0] == 0.0
    assert row.status == "ok"
    assert report.warnings == ()
