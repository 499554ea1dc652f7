"""How NumPy computes each whitelisted function on batched arrays (leading batch axis), by name.

Kept apart from ``functions`` (the names, argument counts and shape rules) so that parsing an
expression, or computing it at one point in Python floats (``one_point``), imports no NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .functions import CROSS_ENTROPY_DELTA, Shape, item_axes, lift

Array = Any  # numpy.ndarray of float64 or complex128; Any keeps mypy quiet about dtypes


def _sigmoid(a: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-a))


def _relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def _reduction(numpy_reduce: Callable[..., Array]) -> Callable[..., Array]:
    """A reduction over all elements of each item, or over one axis."""

    def numpy_function(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
        axes = item_axes(shapes[0], axis)
        return numpy_reduce(args[0], axis=axes) if axes else args[0]

    return numpy_function


def _transpose(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    rank = len(shapes[0])
    return np.transpose(args[0], (0, *range(rank, 0, -1)))


def _softmax_axes(shape: Shape, axis: int | None) -> tuple[int, ...]:
    """Batched axes softmax normalises over: the last item axis unless ``axis`` says otherwise."""
    if not shape:
        return ()
    return item_axes(shape, -1 if axis is None else axis)


def _softmax(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    # The primer's stable form: subtracting the maximum leaves the value unchanged in exact
    # arithmetic and keeps exp from overflowing.
    a = args[0]
    axes = _softmax_axes(shapes[0], axis)
    shifted = np.exp(a - np.max(a, axis=axes, keepdims=True))
    return shifted / np.sum(shifted, axis=axes, keepdims=True)


def _pair_loss(terms: Callable[[Array, Array], Array], scale: float) -> Callable[..., Array]:
    """A loss ``scale * sum(terms(y, t))`` over all elements of ``y`` and ``t`` broadcast."""

    def numpy_function(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
        rank = len(np.broadcast_shapes(*shapes))
        y, t = (lift(arg, rank) for arg in args)
        return scale * np.sum(terms(y, t), axis=tuple(range(1, rank + 1)))

    return numpy_function


def _dot(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    first, second = args
    return np.sum(first * second, axis=-1)


def _norm(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    (value,) = args
    axes = item_axes(shapes[0], axis)
    # sqrt(v*v) rather than abs(v) for a single number: the same value, and complex-step safe
    return np.sqrt(np.sum(value * value, axis=axes))


def _mean(value: Array, axis: tuple[int, ...]) -> Array:
    return np.mean(value, axis=axis)


#: Each function's NumPy side: an elementwise one maps an array to an array; a tensor one
#: takes ``(args, arg_shapes, axis)`` (see ``functions.Function``).
NUMPY: dict[str, Callable[..., Array]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "sum": _reduction(np.sum),
    "prod": _reduction(np.prod),
    "mean": _reduction(_mean),
    "dot": _dot,
    "norm": _norm,
    "max": _reduction(np.max),
    "min": _reduction(np.min),
    "transpose": _transpose,
    "softmax": _softmax,
    "cross_entropy": _pair_loss(lambda y, t: t * np.log(y + CROSS_ENTROPY_DELTA), -1.0),
    "mean_squared_error": _pair_loss(lambda y, t: (y - t) ** 2, 0.5),
}
