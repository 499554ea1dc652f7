"""Tensor functions: values against the primer's NumPy code, SymPy agreement, shape errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bench.primer import cross_entropy_error, mean_squared_error, softmax
from diffcli.engine import sympy_tree
from diffcli.errors import ParseError, ShapeError
from diffcli.expr.compiling import compile_expression
from diffcli.expr.functions import FUNCTIONS
from diffcli.expr.parsing import parse

MATRIX = [[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]


def evaluate(text: str, **values: Any) -> Any:
    point = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    compiled = compile_expression(parse(text), {name: v.shape for name, v in point.items()})
    return compiled(point)


PRIMER_T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
PRIMER_Y_RIGHT = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
PRIMER_Y_WRONG = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]


def test_cross_entropy_is_the_primers_to_the_last_bit() -> None:
    assert evaluate("cross_entropy(y, t)", y=PRIMER_Y_RIGHT, t=PRIMER_T) == 0.510825457099338
    assert evaluate("cross_entropy(y, t)", y=PRIMER_Y_WRONG, t=PRIMER_T) == 2.302584092994546
    y, t = np.array(PRIMER_Y_RIGHT), np.array(PRIMER_T, dtype=float)
    assert evaluate("cross_entropy(y, t)", y=y, t=t) == cross_entropy_error(y, t)


def test_mean_squared_error_is_the_primers_to_the_last_bit() -> None:
    assert evaluate("mean_squared_error(y, t)", y=PRIMER_Y_RIGHT, t=PRIMER_T) == 0.09750000000000003
    assert evaluate("mean_squared_error(y, t)", y=PRIMER_Y_WRONG, t=PRIMER_T) == 0.5975
    y, t = np.array(PRIMER_Y_WRONG), np.array(PRIMER_T, dtype=float)
    assert evaluate("mean_squared_error(y, t)", y=y, t=t) == mean_squared_error(y, t)


def test_losses_broadcast_their_arguments() -> None:
    assert evaluate("mean_squared_error(y, 1)", y=[1.0, 2.0, 4.0]) == 0.5 * (0 + 1 + 9)
    assert evaluate("mean_squared_error(y, t)", y=MATRIX, t=[1.0, 0.0, 2.0]) == 0.5 * (
        0 + 25 + 0 + 9 + 0 + 1
    )


@pytest.mark.parametrize("a", [[0.3, 2.9, 4.0], [1010.0, 1000.0, 990.0], [-1000.0, 0.0, 1000.0]])
def test_softmax_is_the_primers_stable_form(a: list[float]) -> None:
    value = evaluate("softmax(a)", a=a)
    assert np.array_equal(value, softmax(np.array(a)))
    assert np.all(np.isfinite(value))
    assert np.sum(value) == pytest.approx(1.0, abs=1e-15)


def test_softmax_of_large_inputs_equals_softmax_of_shifted_inputs() -> None:
    # exp(1010) overflows; the stable form gives exactly softmax([20, 10, 0]).
    large = evaluate("softmax(a)", a=[1010.0, 1000.0, 990.0])
    assert np.array_equal(large, evaluate("softmax(a)", a=[20.0, 10.0, 0.0]))
    assert large.tolist() == [0.999954600070331, 4.539786860886666e-05, 2.061060046209062e-09]


def test_softmax_of_a_matrix_normalises_each_row_and_axis_picks_another() -> None:
    rows = evaluate("softmax(a)", a=[[1010.0, 1000.0, 990.0], [0.3, 2.9, 4.0]])
    assert np.array_equal(rows[0], softmax(np.array([1010.0, 1000.0, 990.0])))
    assert np.array_equal(rows[1], softmax(np.array([0.3, 2.9, 4.0])))
    columns = evaluate("softmax(a, axis=0)", a=MATRIX)
    for j in range(3):
        assert np.array_equal(columns[:, j], softmax(np.array(MATRIX)[:, j]))
    assert evaluate("softmax(a)", a=5.0) == 1.0


def test_max_min_transpose() -> None:
    assert evaluate("max(a)", a=MATRIX) == 5.0
    assert evaluate("min(a)", a=MATRIX) == 0.0
    assert evaluate("max(a, axis=0)", a=MATRIX).tolist() == [4.0, 5.0, 3.0]
    assert evaluate("min(a, axis=1)", a=MATRIX).tolist() == [1.0, 0.0]
    assert evaluate("max(a, axis=-1)", a=MATRIX).tolist() == [5.0, 4.0]
    assert evaluate("transpose(a)", a=MATRIX).tolist() == [[1.0, 4.0], [5.0, 0.0], [2.0, 3.0]]
    cube = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(evaluate("transpose(a)", a=cube), cube.T)
    assert evaluate("transpose(a)", a=[1.0, 2.0]).tolist() == [1.0, 2.0]
    assert evaluate("sum(x @ transpose(W))", x=[1.0, 2.0, 3.0], W=MATRIX) == 17.0 + 13.0


def test_non_analytic_functions_are_marked() -> None:
    assert not FUNCTIONS["max"].analytic
    assert not FUNCTIONS["min"].analytic
    assert FUNCTIONS["softmax"].analytic
    assert FUNCTIONS["cross_entropy"].analytic


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("sum(softmax(a) * a)", {"a": [0.3, 2.9, 4.0]}),
        ("sum(softmax(a, axis=0) * a)", {"a": MATRIX}),
        ("sum(softmax(a) * a)", {"a": MATRIX}),
        ("cross_entropy(softmax(x @ W), t)", {"x": [0.6, 0.9], "W": MATRIX, "t": [0, 0, 1]}),
        ("mean_squared_error(sigmoid(x @ W), t)", {"x": [0.6, 0.9], "W": MATRIX, "t": [0, 1, 0]}),
        ("sum(max(a, axis=0)) + min(a)", {"a": MATRIX}),
        ("sum(transpose(a) @ x * a[0,1])", {"a": MATRIX, "x": [0.5, -2.0]}),
        ("sum(transpose(W) * transpose(W))", {"W": np.arange(24.0).reshape(2, 3, 4)}),
    ],
)
def test_sympy_side_agrees_with_numpy(text: str, values: dict[str, Any]) -> None:
    point = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    shapes = {name: value.shape for name, value in point.items()}
    expected = float(evaluate(text, **values))
    tree = sympy_tree.to_sympy(parse(text), shapes)
    assert sympy_tree.value_at(tree, sympy_tree.point_symbols(point)) == pytest.approx(
        expected, rel=1e-14
    )


@pytest.mark.parametrize(
    ("text", "shapes", "message"),
    [
        ("x @ W", {"x": (2,), "W": (3, 3)}, "x @ W: (2,) and (3,3) do not align"),
        ("W @ x", {"x": (2,), "W": (3, 3)}, "W @ x: (3,3) and (2,) do not align"),
        (
            "x @ y",
            {"x": (), "y": (3,)},
            "x @ y: @ needs vectors or matrices, got shapes () and (3,)",
        ),
        ("x + W", {"x": (2,), "W": (3, 3)}, "x + W: shapes (2,) and (3,3) do not broadcast"),
        (
            "cross_entropy(y, t)",
            {"y": (3,), "t": (2,)},
            "cross_entropy(y, t): shapes (3,) and (2,) do not broadcast",
        ),
        (
            "mean_squared_error(y, t)",
            {"y": (2, 3), "t": (2,)},
            "mean_squared_error(y, t): shapes (2,3) and (2,) do not broadcast",
        ),
        ("max(W, axis=2)", {"W": (2, 3)}, "max(W, axis=2): axis 2 is out of range for shape (2,3)"),
        (
            "softmax(c, axis=0)",
            {"c": ()},
            "softmax(c, axis=0): axis= needs a vector or matrix argument, got a single number",
        ),
        (
            "x @ transpose(W)",
            {"x": (2,), "W": (2, 3)},
            "x @ transpose(W): (2,) and (3,2) do not align",
        ),
    ],
)
def test_shape_errors_name_both_shapes(
    text: str, shapes: dict[str, tuple[int, ...]], message: str
) -> None:
    with pytest.raises(ShapeError) as raised:
        compile_expression(parse(text), shapes)
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("transpose(W, axis=0)", "transpose() takes no keyword 'axis='"),
        ("cross_entropy(y, t, axis=0)", "cross_entropy() takes no keyword 'axis='"),
        ("cross_entropy(y)", "cross_entropy() takes 2 arguments, got 1"),
        ("softmax(a, b)", "softmax() takes 1 argument, got 2"),
        ("softmaks(a)", "unknown function 'softmaks'; did you mean 'softmax'?"),
    ],
)
def test_tensor_function_calls_are_checked_when_parsing(text: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert raised.value.message == message


def test_shape_error_through_diff_exits_2_with_the_message(run: Any) -> None:
    result = run(
        "diff", "sum(x @ W)", "--wrt", "W[0,0]", "--at", "x=[1,2],W=[[1,2,3],[4,5,6],[7,8,9]]",
        expect=2,
    )  # fmt: skip
    assert result.stderr == (
        "error: x @ W: (2,) and (3,3) do not align (column 5)\n  sum(x @ W)\n      ^\n"
    )
    result = run(
        "diff", "cross_entropy(softmax(x @ W), t)", "--wrt", "W[0,0]",
        "--at", "W=[[1,2,3],[4,5,6]]", "--set", "x=[1,2]", "--set", "t=[0,1]", expect=2,
    )  # fmt: skip
    assert result.stderr.startswith(
        "error: cross_entropy(softmax(x @ W), t): shapes (3,) and (2,) do not broadcast"
    )
    assert result.stdout == ""
