"""A scalar expression at one point in Python floats (``math``), bit-equal to the NumPy evaluator.

A query of one point needs no NumPy if every operation of its expression gives, on Python
floats, the very double ``compiling`` gives on float64 arrays. IEEE ``+ - * /``, negation and
``sqrt`` are correctly rounded in both. ``x**2`` is NumPy's correctly rounded square, ``x*x``
(``math.pow`` misses it in the last bit now and then); other literal powers are the C
library's ``pow`` in both, except ``**0.5`` and ``**-1``, which NumPy computes as ``sqrt`` and
``1/x``. A power whose exponent is not a literal takes NumPy's path (NumPy may treat a held
exponent as a scalar and take those shortcuts too). The functions in ``SAME_AS_NUMPY`` were
found bit-equal to NumPy's over 900,000 values each on this machine, and a hypothesis test
(``tests/test_startup_imports.py``) compares the two evaluators on random expressions and
points; ``tanh`` is not among them (NumPy computes it with its own SIMD kernel, which differs
from the C library's in the last bit), nor are ``abs`` and ``relu`` (their kinks take the full
path) or any tensor function: such an expression takes NumPy's path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

from .functions import CONSTANTS
from .nodes import Binary, Call, Constant, Node, Number, Unary, Variable

#: A compiled scalar expression: the variables' values in, f's value out. Raises
#: ArithmeticError or ValueError where NumPy would give inf or nan (a division by zero).
FloatFunction = Callable[[Mapping[str, float]], float]


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


#: The whitelisted functions whose ``math`` value is NumPy's to the last bit.
SAME_AS_NUMPY: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "exp": math.exp,
    "log": math.log,
    "ln": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "sqrt": math.sqrt,
    "sigmoid": _sigmoid,
}

#: Literal exponents NumPy's ``power`` computes by a shortcut that ``math.pow`` does not take.
_NUMPY_SHORTCUT_POWERS = frozenset({0.5, -1.0})

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def float_function(tree: Node, scalars: frozenset[str]) -> FloatFunction | None:
    """``tree`` as a function of Python floats, or None if some node of it may differ from
    NumPy's value (or is not a single number: ``scalars`` names the variables that are)."""
    try:
        return _compile(tree, scalars)
    except _NotSame:
        return None


class _NotSame(Exception):
    """A node whose value in Python floats may not be NumPy's."""


def _literal(node: Node) -> float | None:
    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Constant):
        return CONSTANTS[node.name]
    return None


def _compile(node: Node, scalars: frozenset[str]) -> FloatFunction:
    number = _literal(node)
    if number is not None:
        return lambda env: number
    if isinstance(node, Variable):
        if node.name not in scalars:
            raise _NotSame
        name = node.name
        return lambda env: env[name]
    if isinstance(node, Unary):
        operand = _compile(node.operand, scalars)
        if node.op == "+":
            return operand
        return lambda env: -operand(env)
    if isinstance(node, Binary):
        return _binary(node, scalars)
    if isinstance(node, Call) and node.name in SAME_AS_NUMPY and node.axis is None:
        function = SAME_AS_NUMPY[node.name]
        (argument,) = (_compile(argument, scalars) for argument in node.args)
        return lambda env: function(argument(env))
    raise _NotSame


def _binary(node: Binary, scalars: frozenset[str]) -> FloatFunction:
    left = _compile(node.left, scalars)
    if node.op in _ARITHMETIC:
        operation = _ARITHMETIC[node.op]
        right = _compile(node.right, scalars)
        return lambda env: operation(left(env), right(env))
    exponent = _literal(node.right)
    if node.op != "**" or exponent is None or exponent in _NUMPY_SHORTCUT_POWERS:
        raise _NotSame
    if exponent == 2.0:

        def square(env: Mapping[str, float]) -> float:
            value = left(env)
            return value * value

        return square
    power = math.pow  # a float (never complex) or ValueError, as NumPy's nan
    return lambda env: power(left(env), exponent)


#: A decimal literal, whose float may overflow (``1e400``): ``float()`` rounds it as the
#: parser would.
DECIMAL_LITERAL = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*\Z")
_NAMED_LITERAL = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=(.*)\Z", re.DOTALL)


def plain_point(text: str, variables: Sequence[str]) -> dict[str, float] | None:
    """The point ``--at`` gives in its plainest forms, ``5`` (one variable) or ``x0=3,x1=4``
    (every variable named once), each value a finite decimal literal; None for any other
    text, which ``points.read_bindings`` reads (and refuses where it must)."""
    if DECIMAL_LITERAL.match(text):
        found = {variables[0]: float(text)} if len(variables) == 1 else None
    else:
        items = [_NAMED_LITERAL.match(item) for item in text.split(",")]
        pairs = [(match.group(1), match.group(2)) for match in items if match]
        if len(pairs) != len(items) or not all(DECIMAL_LITERAL.match(value) for _, value in pairs):
            return None
        found = {name: float(value) for name, value in pairs}
        if len(found) != len(pairs) or sorted(found) != sorted(variables):
            return None
    if found is None or not all(math.isfinite(value) for value in found.values()):
        return None
    return found
