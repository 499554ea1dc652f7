"""The whitelist of functions the expression language knows, and how each one computes.

Each entry says how many arguments a function takes, how it acts on shapes, how NumPy computes
it on batched arrays (leading batch axis, see ``compiling``) and how SymPy builds it.
Adding a function means adding an entry here; the parser, compiler and SymPy bridge read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Array = Any  # numpy.ndarray of float64 or complex128; Any keeps mypy quiet about dtypes
Kind = Literal["elementwise", "reduction", "special"]


@dataclass(frozen=True)
class Function:
    """One whitelisted function."""

    name: str
    kind: Kind
    min_args: int
    max_args: int
    #: NumPy implementation on arrays with a leading batch axis.
    numpy: Callable[..., Array]
    #: Name of the SymPy function (``sympy.<name>``) or a builder taking the sympy module.
    sympy: str | Callable[..., Any]
    #: True when the function is complex-analytic (complex-step safe) wherever it is smooth.
    analytic: bool = True
    #: True when the function accepts ``axis=k``.
    takes_axis: bool = False
    help: str = ""


def _sigmoid(a: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-a))


def _relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def _sympy_sigmoid(sp: Any, a: Any) -> Any:
    return 1 / (1 + sp.exp(-a))


def _sympy_relu(sp: Any, a: Any) -> Any:
    return sp.Max(a, 0)


def _elementwise(
    name: str,
    numpy_function: Callable[..., Array],
    sympy_function: str | Callable[..., Any],
    help_text: str,
    analytic: bool = True,
) -> Function:
    return Function(name, "elementwise", 1, 1, numpy_function, sympy_function, analytic, False, help_text)


_ELEMENTWISE = [
    _elementwise("sin", np.sin, "sin", "sine"),
    _elementwise("cos", np.cos, "cos", "cosine"),
    _elementwise("tan", np.tan, "tan", "tangent"),
    _elementwise("asin", np.arcsin, "asin", "inverse sine"),
    _elementwise("acos", np.arccos, "acos", "inverse cosine"),
    _elementwise("atan", np.arctan, "atan", "inverse tangent"),
    _elementwise("sinh", np.sinh, "sinh", "hyperbolic sine"),
    _elementwise("cosh", np.cosh, "cosh", "hyperbolic cosine"),
    _elementwise("tanh", np.tanh, "tanh", "hyperbolic tangent"),
    _elementwise("asinh", np.arcsinh, "asinh", "inverse hyperbolic sine"),
    _elementwise("acosh", np.arccosh, "acosh", "inverse hyperbolic cosine"),
    _elementwise("atanh", np.arctanh, "atanh", "inverse hyperbolic tangent"),
    _elementwise("exp", np.exp, "exp", "e to the power"),
    _elementwise("log", np.log, "log", "natural logarithm"),
    _elementwise("ln", np.log, "log", "natural logarithm (same as log)"),
    _elementwise("log2", np.log2, lambda sp, a: sp.log(a, 2), "base-2 logarithm"),
    _elementwise("log10", np.log10, lambda sp, a: sp.log(a, 10), "base-10 logarithm"),
    _elementwise("sqrt", np.sqrt, "sqrt", "square root"),
    _elementwise("abs", np.abs, "Abs", "absolute value", analytic=False),
    _elementwise("sigmoid", _sigmoid, _sympy_sigmoid, "logistic function 1/(1+exp(-x))"),
    _elementwise("relu", _relu, _sympy_relu, "max(x, 0)", analytic=False),
]

FUNCTIONS: dict[str, Function] = {function.name: function for function in _ELEMENTWISE}

#: Named constants and their values.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}

