"""A scalar expression tree at one point, correctly rounded: exact fractions, else mpmath.

The analytic column's one evaluator. ``+ - * /`` and integer powers of the point's exact
binary values run on ``fractions.Fraction`` (exact; ``float()`` of a fraction is correctly
rounded). An expression with a constant or function that has no exact value (``pi``, ``exp``,
``sin`` …) is evaluated with mpmath at rising precision until two precisions round to the
same double (Ziv's strategy), so cancellation in the formula costs precision, not digits.
Each tree is compiled once to closures (``_Plan``) that call mpmath's functions of raw values
and compute a repeated subtree once a point: the numbers of a walk of the tree, at half
its cost or less. mpmath is imported only then; nothing here imports NumPy or SymPy.
"""

from __future__ import annotations

import collections
import functools
import math
import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from .nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable, walk

#: The working precisions tried, in bits, until two in a row round to the same double (the
#: first of them without a sum that cancelled all but ``CANCELLATION_GUARD`` of its bits;
#: three where a sum cancelled to exactly 0: ``_Plan.agreements_needed``).
PRECISIONS = (113, 226, 452, 904, 1808, 3616)
CANCELLATION_GUARD = 64
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
    by index. Returns None where the value is not a finite real number. The tree is compiled
    once (``_plan``) and reused for every point it is evaluated at.

    Raises:
        Unsupported: the tree holds a node other than numbers, ``pi``, ``e``, variables,
            their elements, ``+ - * / **`` and the functions in ``FUNCTIONS`` and ``abs``.
        KeyError: a variable or element the point does not hold.
    """
    plan = _plan(tree)
    values = plan.leaf_values(point)
    if plan.may_be_exact:
        try:
            return _rounded(plan.step(None)(values))
        except _NotReal:
            return None
        except _NeedsPrecision:
            pass
    found, exactly = plan.approximate(values, PRECISIONS[0])
    if exactly:
        return found  # the same fraction at every precision
    needed, agreed = plan.agreements_needed(PRECISIONS[0]), 0
    for precision in PRECISIONS[1:]:
        better, _ = plan.approximate(values, precision)
        if needed is not None and better == found:
            agreed += 1
            if agreed >= needed:
                break
        else:  # a new run of agreeing precisions starts here
            agreed, needed = 0, plan.agreements_needed(precision)
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


#: A compiled node: its value from the point's values (its leaves as fractions, and the
#: exact values of subtrees already computed, by key).
Step = Callable[[dict[Any, Fraction]], Value]

#: Trees compiled lately, by ``id`` (each kept with its tree, so the id cannot be reused).
_PLANS: dict[int, _Plan] = {}
_MOST_PLANS = 64


def _plan(tree: Node) -> _Plan:
    plan = _PLANS.get(id(tree))
    if plan is None or plan.tree is not tree:
        if len(_PLANS) >= _MOST_PLANS:
            _PLANS.clear()
        plan = _PLANS[id(tree)] = _Plan(tree)
    return plan


class _Plan:
    """One tree compiled to closures once for every point, and per working precision.

    The closures compute what a walk of the tree would, without its dispatch: exact while
    they can be, in mpmath after. A subtree without constants or functions has the same
    exact value at every precision; it is computed once per point and kept.
    """

    def __init__(self, tree: Node) -> None:
        self.tree = tree
        nodes = list(walk(tree))
        self.leaves = dict.fromkeys(
            (node.name, node.indices) if isinstance(node, Index) else node.name
            for node in nodes
            if isinstance(node, (Variable, Index))
        )
        self.may_be_exact = not any(_inexact_node(node) for node in nodes)
        counts = collections.Counter(
            node for node in nodes if isinstance(node, (Unary, Binary, Call))
        )
        #: Subtrees written more than once (the product rule repeats factors): each is
        #: computed once per point and precision.
        self.repeated = frozenset(node for node, count in counts.items() if count > 1)
        self._compiled: dict[int | None, tuple[_Compiler, Step]] = {}

    def leaf_values(self, point: Mapping[str, Any]) -> dict[Any, Fraction]:
        """The point's values of the tree's variables and elements, as exact fractions."""
        return {
            key: Fraction(point[key[0]][key[1]] if isinstance(key, tuple) else point[key])
            for key in self.leaves
        }

    def step(self, precision: int | None) -> Step:
        """The tree compiled at ``precision`` bits (None: exact only), ready for a point."""
        found = self._compiled.get(precision)
        if found is None:
            context = None if precision is None else _context(precision)
            compiler = _Compiler(context, self.repeated)
            found = self._compiled[precision] = (compiler, compiler.step(self.tree))
        compiler, step = found
        compiler.converted.clear()  # the last point's numbers
        compiler.shared.clear()
        compiler.cancelled = compiler.zeroed = False
        return step

    def approximate(self, values: dict[Any, Fraction], precision: int) -> tuple[float | None, bool]:
        """The value at ``precision`` bits rounded to a double, and whether it was exact."""
        context = _context(precision)
        try:
            found = self.step(precision)(values)
        except _NotReal:
            return None, False
        if isinstance(found, Fraction):
            return _rounded(found), True
        return self._double(found, context, precision), False

    def agreements_needed(self, precision: int) -> int | None:
        """How many higher precisions must agree with the last ``approximate`` at
        ``precision``: None where a sum cancelled all but ``CANCELLATION_GUARD`` of its bits
        (that value is no better than its operands' last bits: no agreement counts), two
        where a sum cancelled to exactly 0 (an identity stays 0; a sum that lost every bit at
        113 and 226 bits, as ``(x + exp(184)) - exp(184)``, does not at 452), else one."""
        compiler = self._compiled[precision][0]
        return None if compiler.cancelled else 2 if compiler.zeroed else 1

    def _double(self, found: Any, context: Any, precision: int) -> float | None:
        """An mpmath value as the nearest double (None where not finite or out of reach)."""
        if not context.isfinite(found):
            return None
        negative, mantissa, exponent, bits = found._mpf_
        if mantissa == 0:
            return 0.0
        if exponent + mantissa.bit_length() > MAX_EXPONENT:
            return None
        if exponent + mantissa.bit_length() < -MAX_EXPONENT:
            return -0.0 if negative else 0.0
        if abs(exponent + mantissa.bit_length()) < _NORMAL_EXPONENTS:
            # rounded to 53 bits, then scaled exactly: the nearest double
            rounded = self._compiled[precision][0].libmp.normalize(
                negative, mantissa, exponent, bits, 53, "n"
            )
            return math.ldexp(-rounded[1] if negative else rounded[1], rounded[2])
        return _rounded((-1) ** negative * mantissa * Fraction(2) ** exponent)


def _inexact_node(node: Node) -> bool:
    """Whether a node is a constant or a function with values of no exact form (``pi``,
    ``sin`` …)."""
    return isinstance(node, Constant) or (isinstance(node, Call) and node.name != "abs")


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


class _Compiler:
    """Closures for the nodes of a tree: exact while they can be, at ``context``'s precision
    after (None: exact only, ``_NeedsPrecision`` where that is not enough)."""

    def __init__(self, context: Any, repeated: frozenset[Node]) -> None:
        self.context = context
        self.repeated = repeated
        #: The closures made so far: a repeated subtree gets one.
        self.closures: dict[tuple[Node, bool], Step] = {}
        #: This point's values of repeated subtrees that are not kept (``_kept``).
        self.shared: dict[object, Value] = {}
        #: This point's fractions met so far and their mpmath values, by ``id`` (each kept
        #: with its fraction, so the id cannot be reused): a variable is converted once.
        self.converted: dict[int, tuple[Fraction, Any]] = {}
        #: A sum at this precision cancelled nearly all of it, or to exactly 0, for this
        #: point (``_binary``).
        self.cancelled = False
        self.zeroed = False
        if context is not None:
            from mpmath import libmp

            #: mpmath's functions of raw values (``mpf._mpf_``), without its wrappers.
            self.libmp = libmp

    def step(self, node: Node, keep: bool = True) -> Step:
        """The node's closure; with ``keep``, the largest subtrees without constants and
        functions keep their exact values for the next precision, and a repeated subtree
        its value for this point."""
        found = self.closures.get((node, keep))
        if found is None:
            found = self.closures[(node, keep)] = self._new_step(node, keep)
        return found

    def _new_step(self, node: Node, keep: bool) -> Step:
        compound = isinstance(node, (Unary, Binary, Call))
        if keep and compound and not any(map(_inexact_node, walk(node))):
            return _kept(self._step(node, keep=False))
        step = self._step(node, keep)
        if not (keep and node in self.repeated):
            return step
        shared, key = self.shared, object()  # a key quicker to hash than the subtree

        def once(values: dict[Any, Fraction]) -> Value:
            found = shared.get(key)
            if found is None:
                found = shared[key] = step(values)
            return found

        return once

    def _step(self, node: Node, keep: bool) -> Step:
        if isinstance(node, Number):
            number = Fraction(node.value)
            return lambda values: number
        if isinstance(node, Variable):
            name = node.name
            return lambda values: values[name]
        if isinstance(node, Index):
            key = (node.name, node.indices)
            return lambda values: values[key]
        if isinstance(node, Constant):
            name = node.name
            return lambda values: self._inexact(lambda context: getattr(context, name))
        if isinstance(node, Unary):
            operand = self.step(node.operand, keep)
            if node.op == "-":
                return lambda values: -operand(values)
            return operand
        if isinstance(node, Binary):
            if node.op == "-" and node.left == node.right:
                zero = Fraction(0)  # the same subtree twice: 0 at every precision
                return lambda values: zero
            left, right = self.step(node.left, keep), self.step(node.right, keep)
            operation = self._binary(node.op)
            return lambda values: operation(left(values), right(values))
        if isinstance(node, Call) and len(node.args) == 1 and node.axis is None:
            argument = self.step(node.args[0], keep)
            function = self._call(node.name)
            return lambda values: function(argument(values))
        raise Unsupported(f"the exact evaluator does not compute {type(node).__name__} nodes")

    def _binary(self, op: str) -> Callable[[Value, Value], Value]:
        if op == "**":
            return self.power
        if op not in _ARITHMETIC:
            raise Unsupported(f"the exact evaluator does not compute {op!r}")
        arithmetic, raw_name = _ARITHMETIC[op]
        if self.context is not None:
            # mpmath's operation on raw values, as ``mpf.__add__`` … compute it
            raw = getattr(self.libmp, raw_name)
            make, precision = self.context.make_mpf, self.context.prec

        sums = op in "+-"

        def operation(left: Value, right: Value) -> Value:
            if type(left) is Fraction and type(right) is Fraction:
                if op == "/" and right == 0:
                    raise _NotReal("division by zero")
                return arithmetic(left, right)
            left, right = self.inexact(left), self.inexact(right)
            if op == "/" and right._mpf_ == _ZERO:
                raise _NotReal("division by zero")
            found = raw(left._mpf_, right._mpf_, precision, "n")
            if sums and left._mpf_[1] and right._mpf_[1]:
                # the bits a sum cancels: where nearly all of the working precision goes,
                # the result is no better than the operands' last bits, and two precisions
                # can agree on it, wrongly ((x + exp(184)) - exp(184) is 0 at 113 and 226)
                if not found[1]:
                    self.zeroed = True  # exactly 0: an identity, or every bit lost
                elif max(sum(left._mpf_[2:]), sum(right._mpf_[2:])) - sum(found[2:]) > (
                    precision - CANCELLATION_GUARD
                ):
                    self.cancelled = True
            return make(found)

        return operation

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
            if exponent > 0:
                return Fraction(0)
            raise _NotReal("0 to a power that is not positive")
        return self._real(
            self._inexact(lambda context: context.power(self.inexact(base), self.inexact(exponent)))
        )

    def _call(self, name: str) -> Callable[[Value], Value]:
        if name == "abs":
            return abs
        if name not in FUNCTIONS:
            raise Unsupported(f"the exact evaluator does not compute {name}()")
        at_zero = (
            Fraction(0) if name in _ZERO_AT_ZERO else Fraction(1) if name in _ONE_AT_ZERO else None
        )
        function_name = "log" if name == "ln" else name
        if self.context is None:

            def exactly(argument: Value) -> Value:
                if at_zero is not None and type(argument) is Fraction and argument == 0:
                    return at_zero
                raise _NeedsPrecision

            return exactly
        libmp = self.libmp
        # mpmath's own function of an mpf, without its wrapper: its value where it is real,
        # else (``ComplexResult``) the wrapper's complex value
        raw = getattr(libmp, f"mpf_{function_name}")
        wrapped = getattr(self.context, function_name)
        make, precision = self.context.make_mpf, self.context.prec

        def call(argument: Value) -> Value:
            if at_zero is not None and type(argument) is Fraction and argument == 0:
                return at_zero
            value = self.inexact(argument)
            try:
                return self._real(make(raw(value._mpf_, precision, "n")))
            except libmp.ComplexResult:
                return self._real(wrapped(value))
            except ZeroDivisionError:
                raise _NotReal("division by zero") from None

        return call

    def inexact(self, value: Value) -> Value:
        """A fraction as an mpmath number at the working precision; others unchanged."""
        if type(value) is not Fraction:
            return value
        if self.context is None:
            raise _NeedsPrecision
        known = self.converted.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        # as ``mpf(numerator) / denominator`` rounds, without making the numerator's mpf
        libmp, precision = self.libmp, self.context.prec
        raw = libmp.mpf_pos(libmp.from_int(value.numerator), precision, "n")
        if value.denominator != 1:
            raw = libmp.mpf_div(raw, libmp.from_int(value.denominator), precision, "n")
        converted = self.context.make_mpf(raw)
        self.converted[id(value)] = (value, converted)
        return converted

    def _inexact(self, compute: Callable[[Any], Value]) -> Value:
        if self.context is None:
            raise _NeedsPrecision
        try:
            return compute(self.context)
        except ZeroDivisionError:  # mpmath's 0 to a negative power
            raise _NotReal("division by zero") from None

    def _real(self, value: Value) -> Value:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, self.context.mpc):
            if value.imag != 0:
                raise _NotReal("not a real number")
            value = value.real
        _, mantissa, exponent, bits = value._mpf_
        if mantissa == 0:  # zero, an infinity, or not a number
            if value._mpf_ == _NAN:
                raise _NotReal("undefined")
            return value
        if exponent + bits > MAX_EXPONENT:
            raise _NotReal("out of reach")
        if exponent + bits < -MAX_EXPONENT:
            return Fraction(0)  # far below the smallest double: 0 to every later step
        return value


def _kept(step: Step) -> Step:
    """``step`` for a subtree of plain arithmetic, its exact value kept for the next
    precision (``values`` is one point's)."""
    key = object()

    def kept(values: dict[Any, Fraction]) -> Value:
        found = values.get(key)
        if found is None:
            found = step(values)
            if type(found) is Fraction:
                values[key] = found
        return found

    return kept


#: Each operator's function of fractions and mpmath's function of raw values.
_ARITHMETIC: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "+": (operator.add, "mpf_add"),
    "-": (operator.sub, "mpf_sub"),
    "*": (operator.mul, "mpf_mul"),
    "/": (operator.truediv, "mpf_div"),
}

#: Values of magnitude 2**-1000 to 2**1000 are normal doubles, far from subnormals and
#: overflow once rounded to 53 bits.
_NORMAL_EXPONENTS = 1000
#: mpmath's not-a-number, as its raw value (``mpmath.libmp.fnan``).
_NAN = (0, 0, -123, -1)
#: mpmath's zero, as its raw value (``mpmath.libmp.fzero``).
_ZERO = (0, 0, 0, 0)
#: Functions that are exactly 0 at 0 (so ``sin(0)`` stays exact).
_ZERO_AT_ZERO = frozenset(["sin", "tan", "asin", "atan", "sinh", "tanh", "asinh", "atanh", "sqrt"])
#: Functions that are exactly 1 at 0.
_ONE_AT_ZERO = frozenset(["exp", "cos", "cosh"])
