"""Where a scalar formula evaluated in double precision may have lost digits, point by point.

A first-order bound on the rounding error of the formula's evaluation in double precision:
each node carries its value and a bound on its error, in units of the rounding unit u = 2**-53
(each operation adds its result's rounding, each function its own error and the error of its
argument times its slope). Where digits cancel (``sin(x)/x**2 - 2*(1 - cos(x))/x**3`` near 0)
the bound grows far beyond the value; elsewhere it stays a few dozen u. Only the formulas the
exact evaluator computes are read (``exact.supported``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable
from .numpy_functions import NUMPY

Array = Any  # numpy.ndarray of float64

#: A value whose error bound is more than this many rounding units of it (about 32 ulp) is
#: not trusted in double precision.
LOSS_LIMIT = 64.0
#: A function's own error, in rounding units of its value (NumPy's are within 4 ulp).
FUNCTION_ERROR = 8.0

#: Each function's slope |f'(a)| from its argument ``a`` and value ``v``.
SLOPES: dict[str, Callable[[Array, Array], Array]] = {
    "sin": lambda a, v: np.abs(np.cos(a)),
    "cos": lambda a, v: np.abs(np.sin(a)),
    "tan": lambda a, v: 1 + v * v,
    "asin": lambda a, v: 1 / np.sqrt(np.abs(1 - a * a)),
    "acos": lambda a, v: 1 / np.sqrt(np.abs(1 - a * a)),
    "atan": lambda a, v: 1 / (1 + a * a),
    "sinh": lambda a, v: np.cosh(a),
    "cosh": lambda a, v: np.abs(np.sinh(a)),
    "tanh": lambda a, v: 1 - v * v,
    "asinh": lambda a, v: 1 / np.sqrt(1 + a * a),
    "acosh": lambda a, v: 1 / np.sqrt(np.abs(a * a - 1)),
    "atanh": lambda a, v: 1 / np.abs(1 - a * a),
    "exp": lambda a, v: np.abs(v),
    "log": lambda a, v: 1 / np.abs(a),
    "ln": lambda a, v: 1 / np.abs(a),
    "sqrt": lambda a, v: 0.5 / np.abs(v),
    "abs": lambda a, v: np.ones_like(a),
}


def untrusted(tree: Node, columns: Mapping[str, Array], count: int) -> Array:
    """The points (indices into ``columns``' rows) where the formula's value in double
    precision may be off by more than ``LOSS_LIMIT`` rounding units of it, the worst first
    (a value that is not finite, or 0 with a non-zero bound, counts as worst; an exact value
    is trusted).

    ``columns`` maps each scalar variable to its ``count`` values, and each tensor variable
    to an array of ``count`` rows of its elements.
    """
    with np.errstate(all="ignore"):
        value, error = _bounded(tree, columns)
        error = np.broadcast_to(error, (count,))
        loss = np.where(error == 0, 0.0, error / np.abs(np.broadcast_to(value, (count,))))
        loss = np.where(np.isnan(loss), np.inf, loss)  # not finite: the worst
    worst_first = np.argsort(-loss, kind="stable")
    return worst_first[: np.count_nonzero(loss > LOSS_LIMIT)]


def _bounded(node: Node, columns: Mapping[str, Array]) -> tuple[Array, Array]:
    """The node's value at every point and a bound on its error, in rounding units."""
    if isinstance(node, Number):
        return np.float64(node.value), np.float64(0.0)
    if isinstance(node, Constant):
        value = np.float64(np.pi if node.name == "pi" else np.e)
        return value, np.abs(value)
    if isinstance(node, Variable):
        return np.asarray(columns[node.name], dtype=np.float64), np.float64(0.0)
    if isinstance(node, Index):
        column: Array = np.asarray(columns[node.name], dtype=np.float64)
        rows = (slice(None), *node.indices)  # every point's element
        return column[rows], np.float64(0.0)
    if isinstance(node, Unary):
        value, error = _bounded(node.operand, columns)
        return (-value if node.op == "-" else value), error
    if isinstance(node, Binary):
        return _binary(node, *_bounded(node.left, columns), *_bounded(node.right, columns))
    if isinstance(node, Call) and node.name in SLOPES:
        argument, error = _bounded(node.args[0], columns)
        value = NUMPY[node.name](argument)
        slope = SLOPES[node.name](argument, value)
        return value, slope * error + FUNCTION_ERROR * np.abs(value)
    raise ValueError(f"no error bound for {type(node).__name__} nodes")


def _binary(
    node: Binary, left: Array, left_error: Array, right: Array, right_error: Array
) -> tuple[Array, Array]:
    if node.op in ("+", "-"):
        value = left + right if node.op == "+" else left - right
        return value, left_error + right_error + np.abs(value)
    if node.op == "*":
        value = left * right
        return value, np.abs(left) * right_error + np.abs(right) * left_error + np.abs(value)
    if node.op == "/":
        value = left / right
        spread = left_error / np.abs(right) + np.abs(value) * right_error / np.abs(right)
        return value, spread + np.abs(value)
    if node.op == "**":
        value = np.power(left, right)
        slope = np.abs(right * np.power(left, right - 1))
        by_base = np.where(left_error == 0, 0.0, slope * left_error)
        by_exponent = np.abs(value * np.log(np.abs(left))) * right_error
        by_exponent = np.where(right_error == 0, 0.0, by_exponent)
        return value, by_base + by_exponent + FUNCTION_ERROR * np.abs(value)
    raise ValueError(f"no error bound for {node.op!r}")
