"""``diffcli grad``: the seed's numbers exactly, the primer's loop bit for bit, JSON, errors."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pytest

from bench.primer import numerical_gradient
from diffcli.engine.kernel import partials
from diffcli.engine.sympy_tree import partial_derivatives
from diffcli.errors import InputError
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.usecases.grad import GradOptions, gradient_report

SPELLINGS = ["x0**2 + x1**2", "x[0]**2 + x[1]**2", "sum(x**2)"]
#: The primer's printed results, as repr of each component.
SEED = [
    ("3,4", ["6.00000000000378", "7.999999999999119"]),
    ("0,2", ["0.0", "4.000000000004"]),
    ("3,0", ["6.000000000012662", "0.0"]),
]


def components(document: dict[str, Any], key: str = "numerical") -> list[list[float]]:
    rows = []
    for result in document["results"]:
        flat: list[float] = []
        for value in result[key].values():
            flat.extend(value if isinstance(value, list) else [value])
        rows.append(flat)
    return rows


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_seeds_numbers_exactly_for_every_spelling(run: Any, spelling: str) -> None:
    args = [arg for text, _ in SEED for arg in ("--at", text)]
    document = json.loads(run("grad", spelling, *args, "--format", "json").stdout)
    assert [[repr(v) for v in row] for row in components(document)] == [
        expected for _, expected in SEED
    ]
    assert components(document, "analytic") == [[6.0, 8.0], [0.0, 4.0], [6.0, 0.0]]


@pytest.mark.parametrize(
    ("spelling", "point"),
    [
        ("x0**2 + x1**2", "x0=3,x1=4"),
        ("x0**2 + x1**2", "x1=4,x0=3"),
        ("sum(x**2)", "x=3,4"),
        ("sum(x**2)", "x=[3,4]"),
        ("x[0]**2 + x[1]**2", "x=3,4"),
    ],
)
def test_every_way_of_writing_the_point(run: Any, spelling: str, point: str) -> None:
    out = run("grad", spelling, "--at", point, "-f", "value").stdout
    assert out == "6.00000000000378\n7.999999999999119\n"


def squeezed(text: str) -> list[str]:
    """Each line with runs of spaces (and of a table's rule) as one: content, not padding."""
    return [re.sub("─+", "─", " ".join(line.split())) for line in text.splitlines()]


def test_the_table_at_80_columns(run: Any) -> None:
    out = run("grad", "x0**2 + x1**2", "--at", "3,4").stdout
    assert all(len(line) <= 80 for line in out.splitlines())
    assert squeezed(out) == [
        "f = x0**2 + x1**2",
        "∂f/∂x0 = 2*x0",
        "∂f/∂x1 = 2*x1",
        "central difference, h = 0.0001",
        "",
        "at x0=3, x1=4",
        "f = 25.0",
        "∂f/∂ numerical analytic abs error rel error",
        "─",
        "x0 6.00000000000378 6.0 3.78e-12 6.3e-13",
        "x1 7.999999999999119 8.0 8.81e-13 1.1e-13",
        "largest abs error: 3.78e-12",
        "∇f = [6.00000000000378, 7.999999999999119]",
        "|∇f| = 10.000000000001563 (analytic 10.0)",
    ]


def test_wide_values_never_cut(run: Any) -> None:
    out = run("grad", "sin(x0)*exp(x1) - x2/3", "--at", "0.1,-0.7,2.5").stdout
    assert all(len(line) <= 80 for line in out.splitlines())
    document = json.loads(
        run("grad", "sin(x0)*exp(x1) - x2/3", "--at", "0.1,-0.7,2.5", "-f", "json").stdout
    )
    for value in components(document)[0]:
        assert repr(value) in out


def test_csv_has_one_row_per_point_and_a_column_per_coordinate(run: Any) -> None:
    out = run("grad", "x0**2 + x1**2", "--at", "3,4", "--at", "1,0", "-f", "csv").stdout
    assert out == (
        "x0,x1,value,numerical.x0,numerical.x1,analytic.x0,analytic.x1,norm,analytic_norm,"
        "max_abs_error,evaluations,status\n"
        "3.0,4.0,25.0,6.00000000000378,7.999999999999119,6.0,8.0,10.000000000001563,10.0,"
        "3.780087354243733e-12,8,ok\n"
        "1.0,0.0,1.0,1.9999999999992246,0.0,2.0,0.0,1.9999999999992246,2.0,"
        "7.753797603982093e-13,8,ok\n"
    )


def test_json_contract(run: Any) -> None:
    document = json.loads(run("grad", "a*sum(x**2)", "--at", "a=2,x=[1,2]", "-f", "json").stdout)
    assert document["expression"] == "a*sum(x**2)"
    assert document["variables"] == ["a", "x"]
    assert document["analytic_status"] == "ok"
    assert document["partial_derivatives"] == {
        "a": "x[0]**2 + x[1]**2",
        "x[0]": "2*a*x[0]",
        "x[1]": "2*a*x[1]",
    }
    (result,) = document["results"]
    assert result["at"] == {"a": 2.0, "x": [1.0, 2.0]}
    assert result["analytic"] == {"a": 5.0, "x": [4.0, 8.0]}
    numerical = result["numerical"]
    assert set(numerical) == {"a", "x"} and isinstance(numerical["a"], float)
    assert result["abs_error"]["x"] == [abs(n - a) for n, a in zip(numerical["x"], [4.0, 8.0])]
    flat = [numerical["a"], *numerical["x"]]
    assert result["norm"] == math.sqrt(math.fsum(v * v for v in flat))
    assert result["analytic_norm"] == math.sqrt(105.0)
    assert result["evaluations"] == 12  # 3 coordinates, 4 values each (h and h/2)
    assert result["loss"] == 10.0
    assert result["max_abs_error"] == max(result["abs_error"]["a"], *result["abs_error"]["x"])
    assert "predicted" not in result and "shown" not in result
    assert document["predicted_expression"] is None


def test_primer_loop_bitwise_across_several_chunks() -> None:
    # 3,000 coordinates: five chunks of the batch budget (the bench checks n = 10,000)
    x = np.random.default_rng(7).uniform(-3, 3, 3_000)
    compiled = compile_expression(parse("sum(x**2)"), {"x": (3_000,)})
    ours = partials(compiled, {"x": x}, ("x",))["x"]
    expected = numerical_gradient(lambda v: np.sum(v**2), x.copy())
    assert np.array_equal(ours, expected)


def test_primer_loop_bitwise_for_a_product_of_terms() -> None:
    x = np.random.default_rng(3).uniform(0.5, 2, 50)
    compiled = compile_expression(parse("sum(x*x*x - 3*x) / 7"), {"x": (50,)})
    ours = partials(compiled, {"x": x}, ("x",))["x"]
    expected = numerical_gradient(lambda v: np.sum(v * v * v - 3 * v) / 7, x.copy())
    assert np.array_equal(ours, expected)


def test_forward_method_is_the_textbook_quotient(run: Any) -> None:
    h = 1e-6
    out = run(
        "grad", "x0*x1 + x1", "--at", "3,4", "--method", "forward", "--h", "1e-6", "-f", "value"
    )

    def f(x0: float, x1: float) -> float:
        return x0 * x1 + x1

    expected = [(f(3 + h, 4) - f(3, 4)) / h, (f(3, 4 + h) - f(3, 4)) / h]
    assert out.stdout == "".join(f"{v!r}\n" for v in expected)


def test_matrix_variable_keeps_its_shape(run: Any) -> None:
    document = json.loads(run("grad", "sum(W*W)", "--at", "W=[[1,2],[3,4]]", "-f", "json").stdout)
    (result,) = document["results"]
    assert result["analytic"] == {"W": [[2.0, 4.0], [6.0, 8.0]]}
    assert np.allclose(result["numerical"]["W"], [[2, 4], [6, 8]], rtol=1e-10)
    assert list(document["partial_derivatives"]) == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]"]


def test_library_differentiates_only_the_variables_asked_for() -> None:
    report = gradient_report(
        parse("x*y + y**2"), [{"x": np.array(2.0), "y": np.array(3.0)}], GradOptions(wrt=("y",))
    )
    assert report.variables == ("y",)
    (row,) = report.results
    assert set(row.numerical) == {"y"}
    assert row.analytic is not None and float(row.analytic["y"]) == 8.0
    with pytest.raises(InputError, match=r"cannot differentiate by z: not a variable .* x, y"):
        gradient_report(
            parse("x*y"), [{"x": np.array(1.0), "y": np.array(1.0)}], GradOptions(wrt=("z",))
        )


def test_partial_derivatives_match_sympy_diff() -> None:
    import sympy as sp

    x, y, z = sp.symbols("x y z", real=True)
    for expression in [x**2 + y**2 + x * z, sp.sin(x * y) * sp.exp(z), x + 1, sp.Integer(3)]:
        found = partial_derivatives(expression, [x, y, z])
        assert found == {s: sp.diff(expression, s) for s in (x, y, z)}


def test_analytic_gradient_at_1000_coordinates_is_affordable() -> None:
    x = np.arange(1000, dtype=np.float64)
    report = gradient_report(
        parse("sum(x**2)"), [{"x": x}], GradOptions(analytic="sympy", analytic_timeout=60)
    )
    assert report.analytic.status == "ok"
    (row,) = report.results
    assert row.analytic is not None and np.array_equal(row.analytic["x"], 2 * x)


@pytest.mark.usefixtures("sympy_never_finishes")
def test_a_tiny_analytic_timeout_still_prints_the_numbers(run: Any) -> None:
    point = ",".join(str(i) for i in range(1000))
    outcome = run(
        "grad", "sum(x**2)", "--at", point, "--analytic", "sympy", "--analytic-timeout", "0.001"
    )
    assert "warning: no analytic gradient: SymPy took longer than 0.001 s" in outcome.stderr
    assert "∇f: n/a (timed out)" in outcome.stdout
    assert "x[999] 1998.000144958496 n/a (timed out) n/a n/a" in squeezed(outcome.stdout)
    assert "|∇f| = 36487.44986804155\n" in outcome.stdout
    document = json.loads(
        run(
            "grad",
            "sum(x**2)",
            "--at",
            point,
            "--analytic",
            "sympy",
            "--analytic-timeout",
            "0.001",
            "-f",
            "json",
        ).stdout
    )
    assert document["analytic_status"] == "timed out"
    assert document["results"][0]["analytic"] is None
    assert document["results"][0]["numerical"]["x"][999] == 1998.000144958496


def test_no_analytic(run: Any) -> None:
    document = json.loads(run("grad", "x*y", "--at", "1,2", "--no-analytic", "-f", "json").stdout)
    assert document["analytic_status"] == "skipped"
    assert document["partial_derivatives"] is None
    assert document["results"][0]["analytic"] is None


def test_non_finite_difference_exits_1_with_null_and_warnings(run: Any) -> None:
    outcome = run("grad", "log(x) + y", "--at", "1e-5,1", "-f", "json", expect=1)
    document = json.loads(outcome.stdout)
    h, log_x = 1e-4, float(np.log(1e-5))
    expected_y = ((log_x + (1 + h)) - (log_x + (1 - h))) / (2 * h)
    assert document["results"][0]["numerical"] == {"x": None, "y": expected_y}
    assert "results[0].numerical.x is nan, written as null" in " ".join(document["warnings"])
    assert (
        "warning: at x=1e-05, y=1 the difference is not finite for x: the expression is not "
        "finite within h of the point" in outcome.stderr
    )


def test_vanished_step_is_named(run: Any) -> None:
    outcome = run("grad", "x*y", "--at", "x=1,y=1e20")
    assert outcome.stderr == (
        "warning: at x=1, y=1e+20 the step h=0.0001 vanished in rounding for y; those "
        "differences carry no information: use a larger --h\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x0**2", "--at", "x0=1,x1=2"], "unknown variable 'x1' (the expression's variables: x0)"),
        (["x0*x1", "--at", "x0=1"], "--at 'x0=1' gives no value for x1"),
        (["x[2]", "--at", "1,2"], "index 2 is out of range for x of length 2"),
        (["sum(x**2) + x[5]", "--at", "x=[1,2,3]"], "index 5 is out of range for x of length 3"),
        (["x0+x1", "--at", "1,2,3"], "gives 3 values for the variables x0, x1"),
        (["x", "--at", "1", "--h", "-1"], "--h must be a positive number, got -1"),
        (["x", "--at", "x=[1,2]"], "the expression's value has shape (2,), not a single number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run: Any, args: list[str], message: str) -> None:
    outcome = run("grad", *args, expect=2)
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("error: ") and message in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_evaluation_failure_exits_1(run: Any) -> None:
    outcome = run("grad", "log(x)", "--at", "-1", expect=1)
    assert outcome.stderr == (
        "error: cannot evaluate log(x) at x=-1: log of a negative number in log(x)\n"
    )
