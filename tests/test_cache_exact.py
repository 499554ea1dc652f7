"""The analytic column's evaluator: correctly rounded, and the one path for hits and misses."""

from __future__ import annotations

import math
from fractions import Fraction
from operator import add, mul, sub, truediv
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.engine import sympy_tree
from diffcli.expr import exact
from diffcli.expr.nodes import Binary, Call, Constant, Node, Number, Unary, Variable
from diffcli.expr.parsing import parse

LEAVES = st.sampled_from(["x", "x", "2", "3", "0.1", "pi", "e", "1e-8"])
FUNCTIONS = ["sin", "cos", "exp", "log", "sqrt", "atan", "tanh", "asinh", "abs"]


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    )
    call = st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda p: f"{p[0]}({p[1]})")
    power = st.tuples(children, st.integers(-3, 4)).map(lambda p: f"({p[0]})**{p[1]}")
    return binary | call | power


EXPRESSIONS = st.recursive(LEAVES, combine, max_leaves=6)


def exactly(node: Node) -> Any:
    """The tree as SymPy with every number its exact binary value (``to_sympy`` makes 53-bit
    Floats, whose arithmetic SymPy rounds to 53 bits as it builds the expression)."""
    import sympy as sp

    if isinstance(node, Number):
        return sp.Rational(*Fraction(node.value).as_integer_ratio())
    if isinstance(node, Constant):
        return {"pi": sp.pi, "e": sp.E}[node.name]
    if isinstance(node, Variable):
        return sympy_tree.symbol(node.name)
    if isinstance(node, Unary):
        return -exactly(node.operand) if node.op == "-" else exactly(node.operand)
    if isinstance(node, Binary):
        left, right = exactly(node.left), exactly(node.right)
        return {"+": add, "-": sub, "*": mul, "/": truediv, "**": pow}[node.op](left, right)
    assert isinstance(node, Call)
    return getattr(sp, {"abs": "Abs"}.get(node.name, node.name))(exactly(node.args[0]))


def reference(text: str, x: float) -> float | None:
    """SymPy's value of the expression at x's exact binary value, from 80 digits."""
    tree = exactly(parse(text).tree)
    return sympy_tree.value_at(tree, {sympy_tree.symbol("x"): x}, digits=80)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(EXPRESSIONS, st.floats(0.01, 5.0))
def test_values_are_sympys_at_80_digits_rounded_to_the_nearest_double(text: str, x: float) -> None:
    expected = reference(text, x)
    found = exact.value_at(parse(text).tree, {"x": x})
    if expected is None or expected == 0 or abs(expected) < 1e-250:
        return  # SymPy's own verdict on exact zeros and domain edges differs in form, not value
    assert found == expected, (text, x)


@pytest.mark.parametrize(
    ("text", "x", "value"),
    [
        ("0.1 + 0.02*x", 5.0, 0.2),  # exact: 0.1 + 0.1 in fractions, rounded once
        ("x**(-2)*sin(x) - 2*x**(-3)*(1 - cos(x))", 1e-5, -8.333333333277779e-07),
        ("log(x)", -1.0, None),
        ("1/x", 0.0, None),
        ("x**0.5", -4.0, None),
        ("exp(x)", 1000.0, None),
        ("exp(-x)", 1000.0, 0.0),
        ("sqrt(x)", 0.0, 0.0),
        ("x**3", 2.0**-400, 0.0),
        ("(x - 1)*1e300*1e300", 1.5, None),
        ("2**x", 1e300, None),  # out of reach: refused at once, not computed to 1e300 bits
        ("1 + 2**(-x)", 1e300, 1.0),
        ("exp(exp(exp(x)))", 10.0, None),
        ("(pi - pi)**-1", 1.0, None),  # mpmath's 0 to a negative power: no value, no error
    ],
)
def test_edges(text: str, x: float, value: float | None) -> None:
    assert exact.value_at(parse(text).tree, {"x": x}) == value


def test_a_cancelling_formula_is_correct_where_double_precision_is_not() -> None:
    text = "x**(-2)*sin(x) - 2*x**(-3)*(1 - cos(x))"
    x = 1e-5
    in_double = math.sin(x) / x**2 - 2 * (1 - math.cos(x)) / x**3
    assert abs(in_double - -8.333333333277779e-07) > 1e-17  # double precision loses digits
    assert exact.value_at(parse(text).tree, {"x": x}) == reference(text, x)


def test_tensor_elements_and_unsupported_nodes() -> None:
    tree = parse("W[0,1]*x[1] + W[1,0]").tree
    point = {"W": {(0, 1): 3.0, (1, 0): 0.5}, "x": {(1,): 2.0}}
    assert exact.value_at(tree, point) == 6.5
    assert exact.supported(tree)
    assert not exact.supported(parse("sum(x)").tree)
    assert not exact.supported(parse("x @ x").tree)
    assert not exact.supported(parse("max(x, axis=0)").tree)


@pytest.mark.parametrize("x", [0.0, 1e-5, 0.7, 3.0])
def test_a_repeated_subtree_is_computed_once_with_the_same_value(x: float) -> None:
    text = "-2*x*exp(-x**2)*sin(x) + exp(-x**2)*cos(x) + (1 - cos(x))/x**2*exp(-x**2)"
    found = exact.value_at(parse(text).tree, {"x": x})
    assert found == (None if x == 0 else reference(text, x))
