"""Plans (``sympy_numpy.plan``'s plain data) built into closures over NumPy float64 scalars or
Python floats, and plans read back from the analytic cache, checked. No SymPy: a cache hit
builds its functions without importing it.

A plan is a nested tuple: ``("constant", value)``, ``("symbol", index)``, ``("function",
name, plan)``, ``("integer power", plan, n)``, ``("sqrt" | "reciprocal", plan)``, ``("power",
base, exponent)`` or ``("add" | "mul" | "max" | "min" | "heaviside", plan, …)``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = Any
#: A compiled SymPy expression: the flat iterate (or one array per coordinate) to float64.
Scalar = Callable[[Array], Any]

#: Each function a plan may name (SymPy's name) with its NumPy form and its Python-float form.
#: The float forms are several times faster but raise on overflow or outside their domain,
#: where NumPy returns inf or nan (see ``stationary.analytic_functions``); None means "use
#: the NumPy form".
_FUNCTION_TABLE: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any] | None]] = {
    "sin": (np.sin, math.sin),
    "cos": (np.cos, math.cos),
    "tan": (np.tan, math.tan),
    "cot": (lambda a: 1.0 / np.tan(a), lambda a: 1.0 / math.tan(a)),
    "sec": (lambda a: 1.0 / np.cos(a), lambda a: 1.0 / math.cos(a)),
    "csc": (lambda a: 1.0 / np.sin(a), lambda a: 1.0 / math.sin(a)),
    "asin": (np.arcsin, math.asin),
    "acos": (np.arccos, math.acos),
    "atan": (np.arctan, math.atan),
    "sinh": (np.sinh, math.sinh),
    "cosh": (np.cosh, math.cosh),
    "tanh": (np.tanh, math.tanh),
    "asinh": (np.arcsinh, math.asinh),
    "acosh": (np.arccosh, math.acosh),
    "atanh": (np.arctanh, math.atanh),
    "exp": (np.exp, math.exp),
    "log": (np.log, math.log),
    "Abs": (np.abs, abs),
    "sign": (np.sign, None),
}
#: Each function by its SymPy name (a plan names functions, so that it pickles).
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    name: numpy_function for name, (numpy_function, _) in _FUNCTION_TABLE.items()
}
_FAST_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    name: fast or numpy_function for name, (numpy_function, fast) in _FUNCTION_TABLE.items()
}
#: What the Python-float evaluation raises where NumPy would give inf or nan.
FAST_PATH_FAILURES = (ArithmeticError, ValueError)
#: Plan kinds followed by one or more operand plans.
_FOLDED = frozenset({"add", "mul", "max", "min", "heaviside"})


def build(steps: tuple[Any, ...], fast: bool = False) -> Scalar:
    """A ``plan`` as a function of the flat iterate: closures over float operations.

    ``fast``: on Python floats (see ``sympy_numpy.compile_sympy``); otherwise on NumPy float64
    scalars.
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
        function = (_FAST_FUNCTIONS if fast else FUNCTIONS)[name]
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


#: A plan read back from the cache nests at most this deep (a deeper one is not used).
MAX_DEPTH = 200
#: Operand plans each kind takes: at least, at most.
_OPERANDS = {"sqrt": (1, 1), "reciprocal": (1, 1), "power": (2, 2), "heaviside": (1, 2)}


def checked(data: Any, size: int, depth: int = 0) -> tuple[Any, ...] | None:
    """A plan read back from JSON (lists for tuples), checked to hold only what ``build``
    knows: its kinds, function names and operand counts, symbols below ``size``, numbers of
    the right type. None for anything else: the cache is untrusted input."""
    if depth > MAX_DEPTH or not isinstance(data, list) or not data:
        return None
    kind, *rest = data
    if kind == "constant":
        return ("constant", rest[0]) if len(rest) == 1 and type(rest[0]) is float else None
    if kind == "symbol":
        valid = len(rest) == 1 and type(rest[0]) is int and 0 <= rest[0] < size
        return ("symbol", rest[0]) if valid else None
    if kind == "function":
        if len(rest) != 2 or not isinstance(rest[0], str) or rest[0] not in FUNCTIONS:
            return None
        argument = checked(rest[1], size, depth + 1)
        return None if argument is None else ("function", rest[0], argument)
    if kind == "integer power":
        if len(rest) != 2 or type(rest[1]) is not int or not 0 <= rest[1] <= 1_000_000:
            return None
        base = checked(rest[0], size, depth + 1)
        return None if base is None else ("integer power", base, rest[1])
    if kind in _FOLDED or kind in _OPERANDS:
        least, most = _OPERANDS.get(kind, (1, len(rest)))
        if not least <= len(rest) <= most:
            return None
        operands = [checked(operand, size, depth + 1) for operand in rest]
        if any(operand is None for operand in operands):
            return None
        return (kind, *operands)
    return None
