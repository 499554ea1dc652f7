"""SymPy's side of descent: the gradient compiled to NumPy, stationary points and their kinds.

SymPy results are turned into numbers by a small evaluator of our own (``compile_sympy``):
it walks the SymPy tree once and builds closures over NumPy float64 operations; nothing is
``lambdify``-ed or ``eval``-ed. Imported lazily: it imports SymPy.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InputError
from ..expr.parsing import Expression
from . import analytic, sympy_tree
from .coordinates import Layout

Array = Any
#: A compiled SymPy expression: the flat iterate to a float64 number.
Scalar = Callable[[Array], Any]
#: A stationary point: its flat coordinates, its kind, f there, and the coordinates left free.
Stationary = tuple[list[float], str, float | None, tuple[int, ...]]
#: At most this many stationary points are classified and reported.
MAX_STATIONARY_POINTS = 50
#: A Hessian eigenvalue this small relative to the largest counts as zero.
ZERO_EIGENVALUE = 1e-10

#: Each SymPy function with its NumPy form and its Python-float form. The float forms are
#: several times faster but raise on overflow or outside their domain, where NumPy returns
#: inf or nan (see ``analytic_functions``); None means "use the NumPy form".
_FUNCTION_TABLE: list[tuple[Any, Callable[[Any], Any], Callable[[Any], Any] | None]] = [
    (sp.sin, np.sin, math.sin),
    (sp.cos, np.cos, math.cos),
    (sp.tan, np.tan, math.tan),
    (sp.cot, lambda a: 1.0 / np.tan(a), lambda a: 1.0 / math.tan(a)),
    (sp.sec, lambda a: 1.0 / np.cos(a), lambda a: 1.0 / math.cos(a)),
    (sp.csc, lambda a: 1.0 / np.sin(a), lambda a: 1.0 / math.sin(a)),
    (sp.asin, np.arcsin, math.asin),
    (sp.acos, np.arccos, math.acos),
    (sp.atan, np.arctan, math.atan),
    (sp.sinh, np.sinh, math.sinh),
    (sp.cosh, np.cosh, math.cosh),
    (sp.tanh, np.tanh, math.tanh),
    (sp.asinh, np.arcsinh, math.asinh),
    (sp.acosh, np.arccosh, math.acosh),
    (sp.atanh, np.arctanh, math.atanh),
    (sp.exp, np.exp, math.exp),
    (sp.log, np.log, math.log),
    (sp.Abs, np.abs, abs),
    (sp.sign, np.sign, None),
]
#: Each function by its SymPy name (a plan names functions, so that it pickles).
_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    sympy_function.__name__: numpy_function for sympy_function, numpy_function, _ in _FUNCTION_TABLE
}
_FAST_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    sympy_function.__name__: fast or numpy_function
    for sympy_function, numpy_function, fast in _FUNCTION_TABLE
}
#: What the Python-float evaluation raises where NumPy would give inf or nan.
FAST_PATH_FAILURES = (ArithmeticError, ValueError)


#: The SymPy nodes a plan spells as their kind followed by their operands.
_FOLDS = {"add": sp.Add, "mul": sp.Mul, "max": sp.Max, "min": sp.Min, "heaviside": sp.Heaviside}


class UnsupportedExpression(Exception):
    """A SymPy result the evaluator cannot compute (an unevaluated derivative, a Piecewise …)."""


def compile_sympy(expression: Any, positions: Mapping[Any, int], fast: bool = False) -> Scalar:
    """A SymPy expression as a function of the flat iterate.

    Args:
        expression: a real SymPy expression.
        positions: each free symbol's index in the flat iterate.
        fast: compute on Python floats (pass ``x.tolist()``); the function then raises one of
            ``FAST_PATH_FAILURES`` where the NumPy version (pass the array) gives inf or nan.

    Raises:
        UnsupportedExpression: a node the evaluator does not know, or a symbol not in
            ``positions``.
    """
    return build(plan(expression, positions), fast)


def plan(expression: Any, positions: Mapping[Any, int]) -> tuple[Any, ...]:
    """What ``build`` needs to compute a SymPy expression, as plain data that pickles.

    All of SymPy's work (constants evaluated, nodes checked) is done here, so that it can run
    in SymPy's time-bounded process and ``build`` never waits on SymPy.

    Raises:
        UnsupportedExpression: as ``compile_sympy``.
    """
    if not expression.free_symbols:
        value = complex(expression.evalf())
        if value.imag != 0:
            raise UnsupportedExpression(f"the constant {expression} is not real")
        return ("constant", value.real)
    if isinstance(expression, sp.Symbol):
        if expression not in positions:
            raise UnsupportedExpression(f"unknown symbol {expression}")
        return ("symbol", positions[expression])
    name = expression.func.__name__
    folds = [kind for kind, node in _FOLDS.items() if isinstance(expression, node)]
    if not folds and not isinstance(expression, sp.Pow) and name not in _FUNCTIONS:
        raise UnsupportedExpression(f"{name}() in {expression}")
    parts = tuple(plan(argument, positions) for argument in expression.args)
    if folds:
        return (folds[0], *parts)
    if isinstance(expression, sp.Pow):
        power = expression.exp
        if power == sp.Rational(1, 2):
            return ("sqrt", parts[0])
        if power == -1:
            return ("reciprocal", parts[0])
        if power.is_Integer and int(power) >= 0:
            return ("integer power", parts[0], int(power))
        return ("power", *parts)
    if len(parts) != 1:
        raise UnsupportedExpression(f"{name}() in {expression}")
    return ("function", name, parts[0])


def build(steps: tuple[Any, ...], fast: bool = False) -> Scalar:
    """A ``plan`` as a function of the flat iterate: closures over float operations.

    ``fast``: on Python floats (see ``compile_sympy``); otherwise on NumPy float64 scalars.
    """
    kind, *arguments = steps
    if kind == "constant":
        constant = arguments[0] if fast else np.float64(arguments[0])
        return lambda x: constant
    if kind == "symbol":
        position = arguments[0]
        return lambda x: x[position]
    if kind == "function":
        name, argument = arguments[0], build(arguments[1], fast)
        function = (_FAST_FUNCTIONS if fast else _FUNCTIONS)[name]
        return lambda x: function(argument(x))
    if kind == "integer power":
        base, integer = build(arguments[0], fast), arguments[1]
        return lambda x: base(x) ** integer
    parts = [build(argument, fast) for argument in arguments]
    if kind in ("add", "mul"):
        return _fold(operator.add if kind == "add" else operator.mul, parts)
    if kind in ("max", "min"):
        return _fold(np.maximum if kind == "max" else np.minimum, parts)
    if kind == "heaviside":
        half = parts[1] if len(parts) > 1 else (lambda x: 0.5)
        argument = parts[0]
        return lambda x: np.heaviside(argument(x), half(x))
    return _power(kind, parts, fast)


def _fold(combine: Callable[[Any, Any], Any], parts: Sequence[Scalar]) -> Scalar:
    """``a + b + …`` or ``a * b * …``, two operands per closure (the common case is fast)."""
    if len(parts) == 1:
        return parts[0]
    first, second = _fold(combine, parts[:-1]), parts[-1]
    return lambda x: combine(first(x), second(x))


def _power(kind: str, parts: Sequence[Scalar], fast: bool) -> Scalar:
    base = parts[0]
    if kind == "sqrt":
        root = math.sqrt if fast else np.sqrt
        return lambda x: root(base(x))
    if kind == "reciprocal":
        return lambda x: 1.0 / base(x)
    exponent = parts[1]
    if fast:
        return lambda x: math.pow(base(x), exponent(x))
    return lambda x: np.power(base(x), exponent(x))


def positions_of(layout: Layout) -> dict[Any, int]:
    """Each coordinate's SymPy symbol and its index in the flat iterate."""
    point = layout.unflatten(np.zeros(layout.size))
    return {symbol_: i for i, symbol_ in enumerate(sympy_tree.point_symbols(point))}


def _flat_partials(partials: Mapping[str, Any], names: Sequence[str]) -> list[Any]:
    found: list[Any] = []
    for name in names:
        value = partials[name]
        found.extend(value.reshape(-1) if isinstance(value, np.ndarray) else [value])
    return found


def analytic_functions(
    expression: Expression,
    shapes: Mapping[str, tuple[int, ...]],
    names: tuple[str, ...],
    fixed: Mapping[str, Array],
    seconds: float,
) -> tuple[Callable[[Array], float], Callable[[Array], Array]]:
    """f and SymPy's gradient as functions of the flat iterate, built within the time limit.

    Both run on NumPy float64 scalars (no per-call array set-up), which is what makes
    ``--grad analytic`` fast.

    Raises:
        InputError: SymPy timed out or failed, or the gradient uses a function the evaluator
            cannot compute; the message suggests ``--grad numerical``.
    """
    layout = Layout(names, tuple(tuple(shapes[name]) for name in names))

    def work() -> list[tuple[Any, ...]]:
        partials = sympy_tree.gradient_expressions(expression, shapes, names, fixed)
        positions = positions_of(layout)
        tree = sympy_tree.held_fixed(expression, shapes, fixed, exact=True)
        return [plan(item, positions) for item in [tree, *_flat_partials(partials, names)]]

    outcome = analytic.bounded(work, seconds)
    if outcome.value is None:
        reason = outcome.reason
        if reason.startswith(UnsupportedExpression.__name__):
            reason = "it uses " + reason.split(": ", 1)[1]
        raise InputError(
            f"--grad analytic: no usable SymPy gradient ({reason}); use --grad numerical"
            + (" or a larger --analytic-timeout" if outcome.status == "timed out" else "")
        )
    plans = outcome.value
    fast_value, *fast_parts = [build(steps, fast=True) for steps in plans]
    safe_value, *safe_parts = [build(steps) for steps in plans]

    # Python floats first; where they raise (overflow, a domain edge) NumPy gives inf or nan.
    def value_of(x: Array) -> float:
        try:
            return float(fast_value(x.tolist()))
        except FAST_PATH_FAILURES:
            with np.errstate(all="ignore"):
                return float(safe_value(x))

    def gradient_of(x: Array) -> Array:
        try:
            values = x.tolist()
            return np.array([part(values) for part in fast_parts], dtype=np.float64)
        except FAST_PATH_FAILURES:
            with np.errstate(all="ignore"):
                return np.array([part(x) for part in safe_parts], dtype=np.float64)

    return value_of, gradient_of


def stationary_points(
    expression: Expression,
    layout: Layout,
    fixed: Mapping[str, Array],
    near: Array,
    timeout: float,
) -> analytic.Bounded[tuple[Stationary, ...]]:
    """Solve ∇f = 0 with SymPy and classify each real solution by the Hessian's eigenvalues.

    Coordinates a solution leaves free (a family of stationary points) take their values
    from ``near``. Never raises: a timeout or failure is reported in the status.
    """

    def work() -> tuple[Stationary, ...]:
        shapes = {name: tuple(np.shape(value)) for name, value in fixed.items()}
        shapes.update(zip(layout.names, layout.shapes))
        partials = sympy_tree.gradient_expressions(expression, shapes, layout.names, fixed)
        positions = positions_of(layout)
        unknowns = list(positions)
        components = _flat_partials(partials, layout.names)
        if all(component == 0 for component in components):
            solutions: list[dict[Any, Any]] = [{}]
        else:
            solutions = sp.solve(components, unknowns, dict=True)
        hessian = [
            [sp.diff(component, unknown) for unknown in unknowns] for component in components
        ]
        tree = sympy_tree.held_fixed(expression, shapes, fixed, exact=True)
        found: list[Stationary] = []
        for solution in solutions[:MAX_STATIONARY_POINTS]:
            point = _solution_point(solution, unknowns, near)
            if point is None:
                continue
            values, free = point
            substitutions = dict(zip(unknowns, values))
            found.append(
                (
                    values,
                    _kind(hessian, substitutions),
                    sympy_tree.value_at(tree, substitutions),
                    free,
                )
            )
        return tuple(found)

    return analytic.bounded(work, timeout)


def _solution_point(
    solution: Mapping[Any, Any], unknowns: Sequence[Any], near: Array
) -> tuple[list[float], tuple[int, ...]] | None:
    """A solution's real coordinates, free ones taken from ``near``; None if not real."""
    free = tuple(i for i, unknown in enumerate(unknowns) if unknown not in solution)
    fill = {unknowns[i]: sp.Float(float(near[i]), 30) for i in free}
    values: list[float] = []
    for i, unknown in enumerate(unknowns):
        if i in free:
            values.append(float(near[i]))
            continue
        expression = solution[unknown]
        extra = expression.free_symbols - set(fill)
        if extra:
            return None
        value = sympy_tree.value_at(expression.xreplace(fill), {})
        if value is None:
            return None
        values.append(value)
    return values, free


def _kind(hessian: Sequence[Sequence[Any]], substitutions: Mapping[Any, float]) -> str:
    """minimum, maximum, saddle or undetermined, from the signs of the Hessian's eigenvalues."""
    entries = [[sympy_tree.value_at(entry, substitutions) for entry in row] for row in hessian]
    if any(entry is None for row in entries for entry in row):
        return "undetermined"
    eigenvalues = np.linalg.eigvalsh(np.array(entries, dtype=np.float64))
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    positive = bool(np.any(eigenvalues > ZERO_EIGENVALUE * scale))
    negative = bool(np.any(eigenvalues < -ZERO_EIGENVALUE * scale))
    if positive and negative:
        return "saddle"
    if bool(np.any(np.abs(eigenvalues) <= ZERO_EIGENVALUE * scale)):
        return "undetermined"
    return "minimum" if positive else "maximum"
