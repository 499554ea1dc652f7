"""SymPy expressions compiled to NumPy (or Python-float) functions by an evaluator of our own.

``plan`` walks the SymPy tree once into plain data that pickles (so that it can come back
from SymPy's time-bounded child process); ``build`` turns a plan into closures over NumPy
float64 operations; ``compile_sympy`` does both. Nothing is ``lambdify``-ed or ``eval``-ed.
Given arrays, a compiled expression is evaluated at many points in one pass. Imported lazily:
it imports SymPy.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

Array = Any
#: A compiled SymPy expression: the flat iterate (or one array per coordinate) to float64.
Scalar = Callable[[Array], Any]

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
