"""The compiled NumPy function: Python's arithmetic to the last bit, batches, shapes."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffcli.errors import InputError, ShapeError
from diffcli.expr.compiling import compile_expression
from diffcli.expr.nodes import Binary, Number, Unary, Variable
from diffcli.expr.parsing import parse

PYTHON_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _power(base: float, exponent: float) -> float:
    # NumPy squares exactly (one rounded multiplication) and takes ** 0.5 as a correctly
    # rounded square root; the C library's pow() may be one unit off in the last place.
    if exponent == 2:
        return base * base
    assert exponent == 0.5
    return math.sqrt(base)


def python_value(node, x: float) -> float:
    """The value IEEE arithmetic gives, operation by operation, in the order typed."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Variable):
        return x
    if isinstance(node, Unary):
        return -python_value(node.operand, x)
    assert isinstance(node, Binary)
    left, right = python_value(node.left, x), python_value(node.right, x)
    if node.op == "**":
        return _power(left, right)
    return PYTHON_OPERATORS[node.op](left, right)


LEAVES = st.sampled_from(["x", "0.1", "0.01", "3", "2.5", "1e-4", "7"])


def expressions(depth: int = 4) -> st.SearchStrategy[str]:
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, st.sampled_from(["2", "0.5"])).map(lambda t: f"({t[0]})**{t[1]}"),
            inner.map(lambda t: f"-{t}"),
        ),
        max_leaves=depth * 2,
    )


@settings(max_examples=300, deadline=None)
@given(expressions(), st.floats(min_value=0.001, max_value=100, allow_nan=False))
def test_compiled_value_equals_python_arithmetic_bit_for_bit(text, x):
    expression = parse(text)
    try:
        with np.errstate(all="ignore"):
            expected = python_value(expression.tree, x)
    except (ZeroDivisionError, OverflowError, ValueError):
        return
    assume(isinstance(expected, float) and math.isfinite(expected))
    compiled = compile_expression(expression, {"x": ()} if expression.variables else {})
    with np.errstate(all="ignore"):
        value = float(compiled({"x": np.float64(x)} if expression.variables else {}))
    assert value == expected or (math.isnan(value) and math.isnan(expected)), text


def test_other_powers_agree_with_python_to_one_unit_in_the_last_place():
    xs = np.random.default_rng(2).random(1000) * 10
    compiled = compile_expression(parse("x**3 + x**1.7"), {"x": ()})
    values = compiled.evaluate_batch({"x": xs})
    expected = np.array([x**3 + x**1.7 for x in xs.tolist()])
    np.testing.assert_array_max_ulp(values, expected, maxulp=2)


def test_batch_evaluates_every_point_at_once():
    compiled = compile_expression(parse("0.01*x**2+0.1*x"), {"x": ()})
    xs = np.array([5.0001, 4.9999, 10.0])
    values = compiled.evaluate_batch({"x": xs})
    assert values.tolist() == [0.01 * x**2 + 0.1 * x for x in xs.tolist()]


def test_vector_and_matrix_variables():
    compiled = compile_expression(parse("x @ W + b"), {"x": (2,), "W": (2, 3), "b": (3,)})
    assert compiled.shape == (3,)
    x = np.array([0.6, 0.9])
    w = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    b = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(compiled({"x": x, "W": w, "b": b}), x @ w + b, rtol=1e-15)


def test_scalar_times_vector_broadcasts():
    compiled = compile_expression(parse("a * x + x[0]"), {"a": (), "x": (3,)})
    batch = compiled.evaluate_batch({"a": np.array([1.0, 2.0]), "x": np.array([[1.0, 2.0, 3.0]])})
    assert batch.tolist() == [[2.0, 3.0, 4.0], [3.0, 5.0, 7.0]]


def test_sum_with_and_without_axis():
    w = np.arange(6.0).reshape(2, 3)
    assert compile_expression(parse("sum(W)"), {"W": (2, 3)})({"W": w}) == 15.0
    by_column = compile_expression(parse("sum(W, axis=0)"), {"W": (2, 3)})
    assert by_column.shape == (3,)
    assert by_column({"W": w}).tolist() == [3.0, 5.0, 7.0]


def test_sum_is_bitwise_the_primer_np_sum():
    x = np.random.default_rng(1).random(1000)
    compiled = compile_expression(parse("sum(x**2)"), {"x": (1000,)})
    assert compiled({"x": x}) == np.sum(x**2)


@pytest.mark.parametrize(
    ("text", "shapes", "message"),
    [
        ("x @ W", {"x": (2,), "W": (3, 3)}, r"x @ W: \(2,\) and \(3,3\) do not align"),
        ("x + W", {"x": (2,), "W": (3, 3)}, r"x \+ W: shapes \(2,\) and \(3,3\) do not broadcast"),
        ("x[0]", {"x": ()}, r"x is indexed as x\[0\] but its value is a single number"),
        ("x[3]", {"x": (3,)}, r"index 3 is out of range for x of length 3"),
        ("W[0, 5]", {"W": (2, 3)}, r"index 5 is out of range for W of length 3 along axis 1"),
        ("sum(x, axis=1)", {"x": (3,)}, r"axis 1 is out of range"),
        ("x @ 2", {"x": (3,)}, r"@ needs vectors or matrices"),
    ],
)
def test_shape_errors_name_both_sides(text, shapes, message):
    with pytest.raises(ShapeError, match=message):
        compile_expression(parse(text), shapes)


def test_missing_variable():
    with pytest.raises(InputError, match="no value given for y"):
        compile_expression(parse("x + y"), {"x": ()})
