"""The whitelist of functions the expression language knows, and how each one computes.

Each entry says how many arguments a function takes, how it acts on shapes, how NumPy computes
it on batched arrays (leading batch axis, see ``compiling``) and how SymPy builds it.
Adding a function means adding an entry here; the parser, compiler and SymPy bridge read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Array = Any  # numpy.ndarray of float64 or complex128; Any keeps mypy quiet about dtypes
Shape = tuple[int, ...]
Kind = Literal["elementwise", "tensor"]
#: Shape rule of a tensor function: argument shapes and axis to the result's shape.
#: Raises ValueError with a message that completes "name(...): <message>".
ShapeRule = Callable[[Sequence[Shape], "int | None"], Shape]


@dataclass(frozen=True)
class Function:
    """One whitelisted function.

    An ``elementwise`` function maps each number to a number: ``numpy(a)`` and the SymPy
    function (a name in the sympy module, or ``builder(sympy, a)``) apply to each element.

    A ``tensor`` function (``sum``, ``dot``, ``softmax`` …) acts on whole arrays:
    ``shape(arg_shapes, axis)`` gives the result's shape or raises ValueError;
    ``numpy(args, arg_shapes, axis)`` receives arrays with a leading batch axis (length 1 or
    B) and returns the batched result; ``sympy(sp, args, axis)`` receives SymPy scalars or
    NumPy object arrays of them and returns the same kind of value.
    """

    name: str
    kind: Kind
    min_args: int
    max_args: int
    numpy: Callable[..., Array]
    sympy: str | Callable[..., Any]
    #: True when the function is complex-analytic (complex-step safe) wherever it is smooth.
    analytic: bool = True
    #: True when the function accepts ``axis=k``.
    takes_axis: bool = False
    help: str = ""
    shape: ShapeRule | None = None


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
    return Function(
        name, "elementwise", 1, 1, numpy_function, sympy_function, analytic, False, help_text
    )


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


def item_axes(shape: Shape, axis: int | None) -> tuple[int, ...]:
    """Axes of a batched array (batch axis first) that ``axis`` of the item shape names."""
    if axis is None:
        return tuple(range(1, len(shape) + 1))
    return (axis % len(shape) + 1,)


def reduced_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    """Shape rule of a reduction over all axes, or over ``axis``."""
    (shape,) = shapes
    if axis is None:
        return ()
    if not shape:
        raise ValueError("axis= needs a vector or matrix argument, got a single number")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of range for shape {shape}")
    return shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]


def _reduction(
    name: str,
    numpy_reduce: Callable[..., Array],
    combine: Callable[[Any, Any], Any],
    help_text: str,
) -> Function:
    def numpy_function(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
        axes = item_axes(shapes[0], axis)
        return numpy_reduce(args[0], axis=axes) if axes else args[0]

    def sympy_function(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
        value = args[0]
        if not isinstance(value, np.ndarray):
            return value
        if axis is None:
            items = list(value.reshape(-1))
            total = items[0]
            for item in items[1:]:
                total = combine(total, item)
            return total
        return np.apply_along_axis(
            lambda line: sympy_function(sp, [np.asarray(line, dtype=object)], None), axis, value
        )

    return Function(
        name, "tensor", 1, 1, numpy_function, sympy_function, True, True, help_text, reduced_shape
    )


_TENSOR = [
    _reduction("sum", np.sum, lambda a, b: a + b, "sum of the elements (axis= optional)"),
]

FUNCTIONS: dict[str, Function] = {function.name: function for function in [*_ELEMENTWISE, *_TENSOR]}

#: Named constants and their values.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
