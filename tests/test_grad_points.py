"""``grad`` and ``hessian`` at many points at once: the same rows, to the last bit, as point by
point."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import diffcli
from diffcli.cli import cli
from diffcli.engine import autodiff
from diffcli.engine.autodiff.derivatives import hessian_at_points as autodiff_hessian_at_points
from diffcli.engine.kernel import hessian, hessian_at_points, partials
from diffcli.engine.methods.fixed_step import partials_at_points
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.usecases import grad
from diffcli.usecases import hessian as hessian_use_case

#: The primer's grid for its gradient figure: meshgrid + flatten of arange(-2, 2.5, 0.25).
PRIMER_GRID = "x0=-2:2.5:0.25,x1=-2:2.5:0.25"

EXPRESSIONS = [
    "x0**2 + x1**2",
    "sin(x0)*exp(-x1**2) + x0*x1",
    "log(x0**2 + 1)/(1 + x1**2)",
    "x0 + 0*x1",
    "tanh(x0)**3 - sqrt(x1**2 + 1)",
]


def _point_by_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grad, "_across_points", lambda *arguments: False)


@pytest.mark.parametrize("method", ["central", "forward", "backward", "five-point"])
def test_partials_at_points_equal_partials_point_by_point(method: str) -> None:
    axis = np.arange(-2, 2.5, 0.25)
    first, second = np.meshgrid(axis, axis)
    columns = {"x0": first.ravel(), "x1": second.ravel()}
    for text in EXPRESSIONS:
        compiled = compile_expression(parse(text), {"x0": (), "x1": ()})
        batched = partials_at_points(compiled, columns, ("x0", "x1"), method, 1e-4)
        for k in range(axis.size**2):
            point = {name: np.array(column[k]) for name, column in columns.items()}
            one = partials(compiled, point, ("x0", "x1"), method, 1e-4)
            found = [batched["x0"].values[k], batched["x1"].values[k]]
            assert [float(one["x0"]), float(one["x1"])] == found


def test_ad_gradient_at_points_equals_ad_gradient_point_by_point() -> None:
    axis = np.arange(-2, 2.5, 0.25)
    first, second = np.meshgrid(axis, axis)
    columns = {"x0": first.ravel(), "x1": second.ravel()}
    for text in [*EXPRESSIONS, "sqrt(abs(x0)) * x1", "x0"]:
        compiled = compile_expression(parse(text), {"x0": (), "x1": ()})
        with np.errstate(all="ignore"):
            batched = autodiff.gradient_at_points(compiled, columns, ("x0", "x1"))
        for k in range(axis.size**2):
            point = {name: np.array(column[k]) for name, column in columns.items()}
            with np.errstate(all="ignore"):
                one = autodiff.gradient(compiled, point, ("x0", "x1"))
            found = [float(one["x0"]), float(one["x1"])]
            assert np.array_equal(found, [batched["x0"][k], batched["x1"][k]], equal_nan=True)


@pytest.mark.parametrize(
    ("text", "at", "extra"),
    [
        ("x0**2 + x1**2", PRIMER_GRID, []),
        ("sin(x0)*exp(-x1**2) + x0*x1", PRIMER_GRID, ["--method", "five-point"]),
        ("log(x0**2 + 1)/(1 + x1**2)", "x0=-3:3:0.7,x1=0.5", ["--method", "forward"]),
        ("0.01*x**2 + 0.1*x", "0:20:0.1", []),
        ("x*y + sin(y)", "x=1e20:1e21:2e20,y=-1:1:0.5", ["--h", "1e-3", "-f", "json"]),
        ("1/x + y", "x=-1:1.5:0.5,y=2", ["-f", "table"]),
        ("x0**2 + x1**2", PRIMER_GRID, ["-f", "tsv", "--precision", "5"]),
        ("x0*exp(x1)", "x0=-1:1:0.5,x1=-700:800:300", ["--no-analytic"]),
        ("x0*exp(x1)", "x0=-1:1:0.5,x1=0:3:1", ["--fields", "x1,numerical.x0,status,x0"]),
        ("sqrt(x0) + x1", "x0=0:3:1,x1=0:2:1", ["-f", "jsonl"]),
        ("x0**3 - x1*x2", "x0=-1:1:0.5,x1=2:4:1,x2=0.5", ["-f", "value"]),
    ],
)
def test_grad_across_points_writes_the_text_of_point_by_point(
    monkeypatch: pytest.MonkeyPatch, text: str, at: str, extra: list[str]
) -> None:
    arguments = ["grad", text, "--at", at, "--analytic", "ad", "-f", "csv", *extra]
    batched = CliRunner().invoke(cli, arguments)
    _point_by_point(monkeypatch)
    expected = CliRunner().invoke(cli, arguments)
    assert (batched.exit_code, batched.output) == (expected.exit_code, expected.output)
    assert batched.stderr == expected.stderr


def test_grad_across_points_gives_the_rows_of_point_by_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = [{"x0": x0, "x1": x1} for x0, x1 in [(3, 4), (0, 2), (-1.5, 1e-9), (1e150, 2)]]
    batched = diffcli.gradient("x0**2*sin(x1) + x1", at=points, analytic=False)
    _point_by_point(monkeypatch)
    expected = diffcli.gradient("x0**2*sin(x1) + x1", at=points, analytic=False)
    assert [repr(row) for row in batched.results] == [repr(row) for row in expected.results]
    assert batched.warnings == expected.warnings


def test_grad_across_points_names_the_first_point_without_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = ["grad", "log(x)*y", "--at", "x=1:-2:-1,y=1"]
    batched = CliRunner().invoke(cli, arguments)
    assert (batched.exit_code, batched.stdout) == (1, "")
    assert batched.stderr == "error: cannot evaluate log(x)*y at x=0, y=1: log of zero in log(x)\n"
    _point_by_point(monkeypatch)
    assert CliRunner().invoke(cli, arguments).stderr == batched.stderr


def test_hessian_at_points_equals_hessian_point_by_point() -> None:
    axis = np.arange(-2, 2.5, 0.25)
    first, second = np.meshgrid(axis, axis)
    columns = {"x0": first.ravel(), "x1": second.ravel(), "x2": 0.3 * first.ravel()}
    for text in ["sin(x0)*exp(-x1**2) + x0*x1*x2", "log(x0**2 + 1)/(1 + x1**2) + x2**3"]:
        compiled = compile_expression(parse(text), {"x0": (), "x1": (), "x2": ()})
        for names in [("x0", "x1", "x2"), ("x2", "x0")]:
            batched = hessian_at_points(compiled, columns, names, 1e-4).values
            for k in range(axis.size**2):
                point = {name: np.array(column[k]) for name, column in columns.items()}
                one = hessian(compiled, point, names, 1e-4)
                assert np.array_equal(one, batched[k], equal_nan=True)


def test_ad_hessian_at_points_equals_ad_hessian_point_by_point() -> None:
    axis = np.arange(-2, 2.5, 0.25)
    first, second = np.meshgrid(axis, axis)
    columns = {"x0": first.ravel(), "x1": second.ravel(), "x2": 0.3 * first.ravel()}
    for text in ["sin(x0)*exp(-x1**2) + x0*x1*x2", "sqrt(abs(x0))*x1 + log(x2)", "x0"]:
        compiled = compile_expression(parse(text), {"x0": (), "x1": (), "x2": ()})
        for names in [("x0", "x1", "x2"), ("x2", "x0")]:
            with np.errstate(all="ignore"):
                batched = autodiff_hessian_at_points(compiled, columns, names)
            for k in range(axis.size**2):
                point = {name: np.array(column[k]) for name, column in columns.items()}
                with np.errstate(all="ignore"):
                    one = autodiff.hessian(compiled, point, names)
                assert np.array_equal(one, batched[k], equal_nan=True)


@pytest.mark.parametrize(
    ("text", "at", "extra"),
    [
        ("x0**2*x1 + sin(x1)", PRIMER_GRID, []),
        ("x*y**3 + exp(x)", "x=-1:1:0.5,y=2", ["--wrt", "y", "-f", "json"]),
        ("1/x + x*y", "x=-1:1.5:0.5,y=0:2:1", ["--no-analytic", "-f", "table"]),
        ("x*y", "x=1e20:1e21:3e20,y=1", ["--h", "1e-2"]),
        ("x**2 + y", "x=0:3:1,y=1", ["--h", "1e300", "--analytic", "sympy"]),
        ("log(x) + x*y**2", "x=0.5:3:1,y=-1:1:1", ["-f", "value"]),
        ("sqrt(x) + x*y", "x=0:2:1,y=1:3:1", ["-f", "tsv", "--precision", "4"]),
        ("x*y**2", "x=1:3:1,y=1:3:1", ["--fields", "y,numerical.y.y,x", "--no-analytic"]),
    ],
)
def test_hessian_across_points_writes_the_text_of_point_by_point(
    monkeypatch: pytest.MonkeyPatch, text: str, at: str, extra: list[str]
) -> None:
    arguments = ["hessian", text, "--at", at, "--analytic", "ad", "-f", "csv", *extra]
    batched = CliRunner().invoke(cli, arguments)
    monkeypatch.setattr(hessian_use_case, "one_scalar_layout", lambda points: False)
    expected = CliRunner().invoke(cli, arguments)
    assert (batched.exit_code, batched.output) == (expected.exit_code, expected.output)
    assert batched.stderr == expected.stderr


@pytest.mark.parametrize("command", ["grad", "hessian"])
def test_past_the_exact_points_the_analytic_side_across_points_is_point_by_points(
    monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # 4 held values of x1 (a derivation each), 280 points: SymPy's formulas compiled once
    # per group and evaluated over its points, not point by point
    arguments = [command, "x0**3*sin(x1) + x1*x0", "--at", "x0=0:3.5:0.05,x1=0:1:0.25"]
    arguments += ["--wrt", "x0", "--analytic", "sympy", "-f", "csv"]
    batched = CliRunner().invoke(cli, arguments)
    assert batched.exit_code == 0 and len(batched.stdout.splitlines()) == 281
    _point_by_point(monkeypatch)
    monkeypatch.setattr(hessian_use_case, "one_scalar_layout", lambda points: False)
    expected = CliRunner().invoke(cli, arguments)
    assert (batched.exit_code, batched.output) == (expected.exit_code, expected.output)
