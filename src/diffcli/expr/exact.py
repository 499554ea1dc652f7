"""A scalar expression tree at one point, correctly rounded: exact fractions, else mpmath.

The analytic column's one evaluator. ``+ - * /`` and integer powers of the point's exact
binary values run on ``fractions.Fraction`` (exact; ``float()`` of a fraction is correctly
rounded). An expression with a constant or function that has no exact value (``pi``, ``exp``,
``sin`` …) is evaluated with mpmath at rising precision until two precisions round to the
same double (Ziv's strategy), so cancellation in the formula costs precision, not digits.
mpmath is imported only then; nothing here imports NumPy or SymPy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from .nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable, walk

#: The working precisions tried, in bits, until two in a row round to the same double.
PRECISIONS = (113, 226, 452, 904, 1808, 3616)
#: An exact integer power is computed as a fraction up to this many result bits.
MAX_EXACT_POWER_BITS = 1 << 16
#: A value whose binary exponent is larger than this in size is out of reach: far past a
#: double's range (2**±1074), and too large to carry on (``2**x`` at 1e300 has 1e300 bits).
MAX_EXPONENT = 1 << 16
#: The functions mpmath computes, by the names the whitelist and SymPy's formulas use.
FUNCTIONS = [
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "log",
    "ln",
    "sqrt",
]

Value = Any  # a Fraction or an mpmath number


class Unsupported(ValueError):
    """A node this evaluator does not compute (a tensor function, ``@``)."""


class _NotReal(ArithmeticError):
    """The value is complex, infinite or undefined at this point."""


def value_at(
    tree: Node, point: Mapping[str, float | Mapping[tuple[int, ...], float]]
) -> float | None:
    """The expression's value at the point, rounded to the nearest double.

    ``point`` maps each scalar variable to its value, and each tensor variable to its elements
    by index. Returns None where the value is not a finite real number.

    Raises:
        Unsupported: the tree holds a node other than numbers, ``pi``, ``e``, variables,
            their elements, ``+ - * / **`` and the functions in ``FUNCTIONS`` and ``abs``.
        KeyError: a variable or element the point does not hold.
    """
    try:
        exact = _Evaluator(point, None).value(tree)
        if isinstance(exact, Fraction):
            return _rounded(exact)
    except _NotReal:
        return None
    except _NeedsPrecision:
        pass
    found = _approximate(tree, point, PRECISIONS[0])
    for precision in PRECISIONS[1:]:
        better = _approximate(tree, point, precision)
        if better == found:
            break
        found = better
    return found


def supported(tree: Node) -> bool:
    """Whether ``value_at`` computes every node of the tree."""
    for node in walk(tree):
        if isinstance(node, Binary) and node.op == "@":
            return False
        if isinstance(node, Call) and (
            len(node.args) != 1 or node.axis is not None or node.name not in (*FUNCTIONS, "abs")
        ):
            return False
    return True


class _NeedsPrecision(Exception):
    """An exact evaluation met a value with no exact form."""


def _approximate(
    tree: Node, point: Mapping[str, float | Mapping[tuple[int, ...], float]], precision: int
) -> float | None:
    context = _context(precision)
    try:
        found = _Evaluator(point, context).value(tree)
    except _NotReal:
        return None
    if isinstance(found, Fraction):
        return _rounded(found)
    if not context.isfinite(found):
        return None
    negative, mantissa, exponent, _ = found._mpf_
    if mantissa == 0:
        return 0.0
    if exponent + mantissa.bit_length() > MAX_EXPONENT:
        return None
    if exponent + mantissa.bit_length() < -MAX_EXPONENT:
        return -0.0 if negative else 0.0
    return _rounded((-1) ** negative * mantissa * Fraction(2) ** exponent)


@functools.cache
def _context(precision: int) -> Any:
    """An mpmath context of its own at ``precision`` bits (made once: making one takes 3 ms)."""
    import mpmath  # type: ignore[import-untyped]

    context = mpmath.mp.clone()
    context.prec = precision
    return context


def _rounded(value: Fraction) -> float | None:
    try:
        return float(value)
    except OverflowError:
        return None


class _Evaluator:
    """One walk of the tree: exact while it can be, at ``context``'s precision after."""

    def __init__(self, point: Mapping[str, Any], context: Any) -> None:
        self.point = point
        self.context = context

    def value(self, node: Node) -> Value:
        if isinstance(node, Number):
            return Fraction(node.value)
        if isinstance(node, Variable):
            return Fraction(self.point[node.name])
        if isinstance(node, Index):
            return Fraction(self.point[node.name][node.indices])
        if isinstance(node, Constant):
            return self._inexact(lambda context: context.pi if node.name == "pi" else context.e)
        if isinstance(node, Unary):
            operand = self.value(node.operand)
            return -operand if node.op == "-" else operand
        if isinstance(node, Binary):
            return self.binary(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Call) and len(node.args) == 1 and node.axis is None:
            return self.call(node.name, self.value(node.args[0]))
        raise Unsupported(f"the exact evaluator does not compute {type(node).__name__} nodes")

    def binary(self, op: str, left: Value, right: Value) -> Value:
        if not (isinstance(left, Fraction) and isinstance(right, Fraction)):
            left, right = self.inexact(left), self.inexact(right)
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                raise _NotReal("division by zero")
            return left / right
        if op == "**":
            return self.power(left, right)
        raise Unsupported(f"the exact evaluator does not compute {op!r}")

    def power(self, base: Value, exponent: Value) -> Value:
        if isinstance(exponent, Fraction) and exponent.denominator == 1:
            integer = exponent.numerator
            if isinstance(base, Fraction):
                if base == 0 and integer < 0:
                    raise _NotReal("0 to a negative power")
                bits = max(base.numerator.bit_length(), base.denominator.bit_length())
                if abs(integer) * bits <= MAX_EXACT_POWER_BITS:
                    return base**integer
        if isinstance(base, Fraction) and base == 0:
            return self.power_of_zero(exponent)
        return self._real(
            self._inexact(lambda context: context.power(self.inexact(base), self.inexact(exponent)))
        )

    def power_of_zero(self, exponent: Value) -> Value:
        if exponent > 0:
            return Fraction(0)
        raise _NotReal("0 to a power that is not positive")

    def call(self, name: str, argument: Value) -> Value:
        if name == "abs":
            return abs(argument)
        if name not in FUNCTIONS:
            raise Unsupported(f"the exact evaluator does not compute {name}()")
        if isinstance(argument, Fraction) and argument == 0 and name in _ZERO_AT_ZERO:
            return Fraction(0)
        if isinstance(argument, Fraction) and argument == 0 and name in ("exp", "cos", "cosh"):
            return Fraction(1)
        function_name = "log" if name == "ln" else name
        return self._real(
            self._inexact(lambda context: getattr(context, function_name)(self.inexact(argument)))
        )

    def inexact(self, value: Value) -> Value:
        """A fraction as an mpmath number at the working precision; others unchanged."""
        if not isinstance(value, Fraction):
            return value
        if self.context is None:
            raise _NeedsPrecision
        return self.context.mpf(value.numerator) / value.denominator

    def _inexact(self, compute: Callable[[Any], Value]) -> Value:
        if self.context is None:
            raise _NeedsPrecision
        return compute(self.context)

    def _real(self, value: Value) -> Value:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, self.context.mpc):
            if value.imag != 0:
                raise _NotReal("not a real number")
            value = value.real
        if self.context.isnan(value):
            raise _NotReal("undefined")
        if self.context.isfinite(value) and value != 0:
            magnitude = self.context.mag(value)
            if magnitude > MAX_EXPONENT:
                raise _NotReal("out of reach")
            if magnitude < -MAX_EXPONENT:
                return Fraction(0)  # far below the smallest double: 0 to every later step
        return value


#: Functions that are exactly 0 at 0 (so ``sin(0)`` stays exact).
_ZERO_AT_ZERO = frozenset(["sin", "tan", "asin", "atan", "sinh", "tanh", "asinh", "atanh", "sqrt"])
