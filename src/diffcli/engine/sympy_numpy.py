"""SymPy expressions compiled to NumPy (or Python-float) functions by an evaluator of our own.

``plan`` walks the SymPy tree once into plain data that pickles (so that it can come back
from SymPy's time-bounded child process, and be kept in the analytic cache);
``plans.build`` turns a plan into closures over NumPy float64 operations; ``compile_sympy``
does both. Nothing is ``lambdify``-ed or ``eval``-ed. Given arrays, a compiled expression is
evaluated at many points in one pass. Imported lazily: it imports SymPy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from .plans import FUNCTIONS, Scalar, build

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
    if not folds and not isinstance(expression, sp.Pow) and name not in FUNCTIONS:
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
