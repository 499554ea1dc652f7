"""A first-order bound on the rounding error of a scalar tree evaluated in double precision,
written once for NumPy arrays (``expr/cancellation.py``) and for Python floats (one point,
NumPy-free: ``engine/one_point.py``).

Each node carries its value and a bound on its error, in units of the rounding unit
u = 2**-53: each operation adds its result's rounding, each function its own error and the
error of its argument times its slope. Only diffcli's own tree is read; nothing a user wrote is
evaluated beyond the tree's operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .exact import supported
from .functions import CONSTANTS
from .nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable, walk

Value = Any  # a float64 array, or a Python float

#: The rounding unit u of a double: the errors ``bounded`` gives are in units of it.
ROUNDING_UNIT = 2.0**-53
#: A function's own error, in rounding units of its value (NumPy's are within 4 ulp).
FUNCTION_ERROR = 8.0


@dataclass(frozen=True)
class Kit:
    """The few operations the bound needs, on arrays or on floats."""

    #: Each function's value by name (NumPy's, or the ``math`` ones bit-equal to it).
    functions: Mapping[str, Callable[[Value], Value]]
    abs: Callable[[Value], Value]
    cos: Callable[[Value], Value]
    sin: Callable[[Value], Value]
    sqrt: Callable[[Value], Value]
    cosh: Callable[[Value], Value]
    sinh: Callable[[Value], Value]
    log: Callable[[Value], Value]
    power: Callable[[Value, Value], Value]
    #: ``where(condition, a, b)``: a where the condition holds, else b.
    where: Callable[[Value, Value, Value], Value]
    #: A variable's or a literal's value as the kit holds numbers.
    number: Callable[[Any], Value]


#: Each function's slope |f'(a)| from its argument ``a`` and value ``v``.
SLOPES: dict[str, Callable[[Kit, Value, Value], Value]] = {
    "sin": lambda k, a, v: k.abs(k.cos(a)),
    "cos": lambda k, a, v: k.abs(k.sin(a)),
    "tan": lambda k, a, v: 1 + v * v,
    "asin": lambda k, a, v: 1 / k.sqrt(k.abs(1 - a * a)),
    "acos": lambda k, a, v: 1 / k.sqrt(k.abs(1 - a * a)),
    "atan": lambda k, a, v: 1 / (1 + a * a),
    "sinh": lambda k, a, v: k.cosh(a),
    "cosh": lambda k, a, v: k.abs(k.sinh(a)),
    "tanh": lambda k, a, v: 1 - v * v,
    "asinh": lambda k, a, v: 1 / k.sqrt(1 + a * a),
    "acosh": lambda k, a, v: 1 / k.sqrt(k.abs(a * a - 1)),
    "atanh": lambda k, a, v: 1 / k.abs(1 - a * a),
    "exp": lambda k, a, v: k.abs(v),
    "log": lambda k, a, v: 1 / k.abs(a),
    "ln": lambda k, a, v: 1 / k.abs(a),
    "sqrt": lambda k, a, v: 0.5 / k.abs(v),
    "abs": lambda k, a, v: k.abs(a) ** 0,  # 1 everywhere, in the kit's numbers
}

_OPERATORS = ("+", "-", "*", "/", "**")


def readable(tree: Node) -> bool:
    """Whether ``bounded`` bounds this tree: every node one whose error it knows."""
    return supported(tree) and all(
        (not isinstance(node, Call) or node.name in SLOPES)
        and (not isinstance(node, Binary) or node.op in _OPERATORS)
        for node in walk(tree)
    )


def bounded(node: Node, columns: Mapping[str, Any], kit: Kit) -> tuple[Value, Value]:
    """The node's value at every point and a bound on its error, in rounding units."""
    if isinstance(node, Number):
        return kit.number(node.value), kit.number(0.0)
    if isinstance(node, Constant):
        value = kit.number(CONSTANTS[node.name])
        return value, kit.abs(value)
    if isinstance(node, Variable):
        return kit.number(columns[node.name]), kit.number(0.0)
    if isinstance(node, Index):
        column = kit.number(columns[node.name])
        rows = (slice(None), *node.indices)  # every point's element
        return column[rows], kit.number(0.0)
    if isinstance(node, Unary):
        value, error = bounded(node.operand, columns, kit)
        return (-value if node.op == "-" else value), error
    if isinstance(node, Binary):
        left, left_error = bounded(node.left, columns, kit)
        right, right_error = bounded(node.right, columns, kit)
        return _binary(node.op, left, left_error, right, right_error, kit)
    if isinstance(node, Call) and node.name in SLOPES:
        argument, error = bounded(node.args[0], columns, kit)
        value = kit.functions[node.name](argument)
        own = FUNCTION_ERROR * kit.abs(value)
        if _exact(error):  # (a variable's value: no slope to compute)
            return value, own
        return value, SLOPES[node.name](kit, argument, value) * error + own
    raise ValueError(f"no error bound for {type(node).__name__} nodes")


def _binary(
    op: str, left: Value, left_error: Value, right: Value, right_error: Value, kit: Kit
) -> tuple[Value, Value]:
    if op in ("+", "-"):
        value = left + right if op == "+" else left - right
        return value, left_error + right_error + kit.abs(value)
    if op == "*":
        value = left * right
        spread = _scaled(kit.abs(left), right_error) + _scaled(kit.abs(right), left_error)
        return value, spread + kit.abs(value)
    if op == "/":
        value = left / right
        spread = left_error / kit.abs(right) + kit.abs(value) * right_error / kit.abs(right)
        return value, spread + kit.abs(value)
    if op == "**":
        value = kit.power(left, right)
        error = FUNCTION_ERROR * kit.abs(value)
        if not _exact(left_error):
            slope = kit.abs(right * kit.power(left, right - 1))
            error = error + kit.where(left_error == 0, 0.0, slope * left_error)
        if not _exact(right_error):
            by_exponent = kit.abs(value * kit.log(kit.abs(left))) * right_error
            error = error + kit.where(right_error == 0, 0.0, by_exponent)
        return value, error
    raise ValueError(f"no error bound for {op!r}")


def _exact(error: Value) -> bool:
    """The error bound is the single number 0 (a variable or a literal): nothing to carry."""
    return getattr(error, "ndim", 0) == 0 and bool(error == 0)


def _scaled(size: Value, error: Value) -> Value:
    """``size * error``, skipped where ``error`` is the single number 0."""
    return 0.0 if _exact(error) else size * error


def _float_power(base: float, exponent: float) -> float:
    """``base ** exponent`` as NumPy gives it on floats (nan where it has no real value, inf
    where it overflows), never raising."""
    try:
        found = math.pow(base, exponent)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf
    return found


def _float_log(value: float) -> float:
    """The natural logarithm, -inf at 0 (as NumPy's)."""
    return math.log(value) if value > 0 else -math.inf


def _float_where(condition: bool, first: float, second: float) -> float:
    return first if condition else second


def float_kit(functions: Mapping[str, Callable[[float], float]]) -> Kit:
    """The kit on Python floats, with ``functions`` as each function's value."""
    return Kit(
        functions,
        abs,
        math.cos,
        math.sin,
        math.sqrt,
        math.cosh,
        math.sinh,
        _float_log,
        _float_power,
        _float_where,
        float,
    )


def float_bound(
    tree: Node, point: Mapping[str, float], functions: Mapping[str, Callable[[float], float]]
) -> float:
    """``bounded``'s absolute error bound of the tree's value at one point of scalar
    variables, in Python floats (NaN where an operation has no finite real value)."""
    try:
        error = bounded(tree, point, float_kit(functions))[1]
    except (ArithmeticError, ValueError):  # a division by 0, a function off its domain
        return math.nan
    return float(error) * ROUNDING_UNIT
