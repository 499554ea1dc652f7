"""SymPy expressions compiled to NumPy (or Python-float) functions by an evaluator of our own.

``compile_sympy`` walks the SymPy tree once and builds closures over NumPy float64 operations;
nothing is ``lambdify``-ed or ``eval``-ed. Given arrays, a compiled expression is evaluated at
many points in one pass. Imported lazily: it imports SymPy.
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
_FUNCTIONS: dict[Any, Callable[[Any], Any]] = {
    sympy_function: numpy_function for sympy_function, numpy_function, _ in _FUNCTION_TABLE
}
_FAST_FUNCTIONS: dict[Any, Callable[[Any], Any]] = {
    sympy_function: fast or numpy_function
    for sympy_function, numpy_function, fast in _FUNCTION_TABLE
}
#: What the Python-float evaluation raises where NumPy would give inf or nan.
FAST_PATH_FAILURES = (ArithmeticError, ValueError)


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
    if not expression.free_symbols:
        value = complex(expression.evalf())
        if value.imag != 0:
            raise UnsupportedExpression(f"the constant {expression} is not real")
        constant = value.real if fast else np.float64(value.real)
        return lambda x: constant
    if isinstance(expression, sp.Symbol):
        if expression not in positions:
            raise UnsupportedExpression(f"unknown symbol {expression}")
        position = positions[expression]
        return lambda x: x[position]
    known = (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Min, sp.Heaviside)
    if not isinstance(expression, known) and expression.func not in _FUNCTIONS:
        raise UnsupportedExpression(f"{expression.func.__name__}() in {expression}")
    parts = [compile_sympy(argument, positions, fast) for argument in expression.args]
    if isinstance(expression, (sp.Add, sp.Mul)):
        return _fold(operator.add if isinstance(expression, sp.Add) else operator.mul, parts)
    if isinstance(expression, sp.Pow):
        return _power(expression, parts, fast)
    if isinstance(expression, (sp.Max, sp.Min)):
        combine = np.maximum if isinstance(expression, sp.Max) else np.minimum
        return _fold(combine, parts)
    if isinstance(expression, sp.Heaviside):
        half = parts[1] if len(parts) > 1 else (lambda x: 0.5)
        (argument,) = parts[:1]
        return lambda x: np.heaviside(argument(x), half(x))
    function = (_FAST_FUNCTIONS if fast else _FUNCTIONS)[expression.func]
    if len(parts) != 1:
        raise UnsupportedExpression(f"{expression.func.__name__}() in {expression}")
    (argument,) = parts
    return lambda x: function(argument(x))


def _fold(combine: Callable[[Any, Any], Any], parts: Sequence[Scalar]) -> Scalar:
    """``a + b + …`` or ``a * b * …``, two operands per closure (the common case is fast)."""
    if len(parts) == 1:
        return parts[0]
    first, second = _fold(combine, parts[:-1]), parts[-1]
    return lambda x: combine(first(x), second(x))


def _power(expression: Any, parts: Sequence[Scalar], fast: bool) -> Scalar:
    base, exponent = parts
    power = expression.exp
    if power == sp.Rational(1, 2):
        root = math.sqrt if fast else np.sqrt
        return lambda x: root(base(x))
    if power == -1:
        return lambda x: 1.0 / base(x)
    if power.is_Integer and int(power) >= 0:
        integer = int(power)
        return lambda x: base(x) ** integer
    if fast:
        return lambda x: math.pow(base(x), exponent(x))
    return lambda x: np.power(base(x), exponent(x))
