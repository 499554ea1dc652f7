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
    analytic: bool = True,
) -> Function:
    return Function(name, "elementwise", 1, 1, numpy_function, sympy_function, analytic, False)


_ELEMENTWISE = [
    _elementwise("sin", np.sin, "sin"),
    _elementwise("cos", np.cos, "cos"),
    _elementwise("tan", np.tan, "tan"),
    _elementwise("asin", np.arcsin, "asin"),
    _elementwise("acos", np.arccos, "acos"),
    _elementwise("atan", np.arctan, "atan"),
    _elementwise("sinh", np.sinh, "sinh"),
    _elementwise("cosh", np.cosh, "cosh"),
    _elementwise("tanh", np.tanh, "tanh"),
    _elementwise("asinh", np.arcsinh, "asinh"),
    _elementwise("acosh", np.arccosh, "acosh"),
    _elementwise("atanh", np.arctanh, "atanh"),
    _elementwise("exp", np.exp, "exp"),
    _elementwise("log", np.log, "log"),
    _elementwise("ln", np.log, "log"),
    _elementwise("log2", np.log2, lambda sp, a: sp.log(a, 2)),
    _elementwise("log10", np.log10, lambda sp, a: sp.log(a, 10)),
    _elementwise("sqrt", np.sqrt, "sqrt"),
    _elementwise("abs", np.abs, "Abs", analytic=False),
    _elementwise("sigmoid", _sigmoid, _sympy_sigmoid),
    _elementwise("relu", _relu, _sympy_relu, analytic=False),
]


def shape_text(shape: Shape) -> str:
    """A shape as error messages write it: ``()``, ``(3,)``, ``(2,3)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(str(length) for length in shape) + ")"


def lift(value: Array, rank: int) -> Array:
    """Insert axes after the batch axis so item shapes broadcast from the right."""
    missing = rank - (value.ndim - 1)
    if missing <= 0:
        return value
    return value.reshape(value.shape[:1] + (1,) * missing + value.shape[1:])


def item_axes(shape: Shape, axis: int | None) -> tuple[int, ...]:
    """Axes of a batched array (batch axis first) that ``axis`` of the item shape names."""
    if axis is None:
        return tuple(range(1, len(shape) + 1))
    return (axis % len(shape) + 1,)


def _check_axis(shape: Shape, axis: int | None) -> None:
    if axis is None:
        return
    if not shape:
        raise ValueError("axis= needs a vector or matrix argument, got a single number")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of range for shape {shape_text(shape)}")


def reduced_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    """Shape rule of a reduction over all axes, or over ``axis``."""
    (shape,) = shapes
    _check_axis(shape, axis)
    if axis is None:
        return ()
    return shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]


def _reduction(
    name: str,
    numpy_reduce: Callable[..., Array],
    combine: Callable[[Any, list[Any]], Any],
    analytic: bool = True,
) -> Function:
    """A reduction over all elements or one axis; ``combine(sympy, items)`` builds SymPy's."""

    def numpy_function(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
        axes = item_axes(shapes[0], axis)
        return numpy_reduce(args[0], axis=axes) if axes else args[0]

    def sympy_function(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
        value = args[0]
        if not isinstance(value, np.ndarray):
            return value
        if axis is None:
            # one n-ary SymPy node: folding pairwise would re-flatten the sum n times
            return combine(sp, list(value.reshape(-1)))
        return np.apply_along_axis(
            lambda line: sympy_function(sp, [np.asarray(line, dtype=object)], None), axis, value
        )

    return Function(
        name,
        "tensor",
        1,
        1,
        numpy_function,
        sympy_function,
        analytic,
        True,
        reduced_shape,
    )


def _same_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    (shape,) = shapes
    _check_axis(shape, axis)
    return shape


def _transposed_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    (shape,) = shapes
    return shape[::-1]


def _transpose_numpy(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    rank = len(shapes[0])
    return np.transpose(args[0], (0, *range(rank, 0, -1)))


def _transpose_sympy(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    value = args[0]
    return np.transpose(value) if isinstance(value, np.ndarray) else value


def _softmax_axes(shape: Shape, axis: int | None) -> tuple[int, ...]:
    """Batched axes softmax normalises over: the last item axis unless ``axis`` says otherwise."""
    if not shape:
        return ()
    return item_axes(shape, -1 if axis is None else axis)


def _softmax_numpy(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    # The primer's stable form: subtracting the maximum leaves the value unchanged in exact
    # arithmetic and keeps exp from overflowing.
    a = args[0]
    axes = _softmax_axes(shapes[0], axis)
    shifted = np.exp(a - np.max(a, axis=axes, keepdims=True))
    return shifted / np.sum(shifted, axis=axes, keepdims=True)


def _softmax_sympy(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    value = args[0]
    if not isinstance(value, np.ndarray):
        return sp.Integer(1)
    moved = np.moveaxis(value, -1 if axis is None else axis, -1)
    result = np.empty(moved.shape, dtype=object)
    for index in np.ndindex(*moved.shape[:-1]):
        exponentials = [sp.exp(item) for item in moved[index]]
        total = sp.Add(*exponentials)
        result[index] = np.array([item / total for item in exponentials], dtype=object)
    return np.moveaxis(result, -1, -1 if axis is None else axis)


def _pair_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    first, second = shapes
    try:
        np.broadcast_shapes(first, second)
    except ValueError:
        raise ValueError(
            f"shapes {shape_text(first)} and {shape_text(second)} do not broadcast"
        ) from None
    return ()


def _pair_loss(
    name: str,
    numpy_terms: Callable[[Array, Array], Array],
    numpy_scale: float,
    sympy_term: Callable[[Any, Any, Any], Any],
    sympy_scale: Callable[[Any], Any],
) -> Function:
    """A loss ``scale * sum(term(y, t))`` over all elements of ``y`` and ``t`` broadcast."""

    def numpy_function(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
        rank = len(np.broadcast_shapes(*shapes))
        y, t = (lift(arg, rank) for arg in args)
        terms = numpy_terms(y, t)
        return numpy_scale * np.sum(terms, axis=tuple(range(1, rank + 1)))

    def sympy_function(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
        y, t = np.broadcast_arrays(*(np.asarray(arg, dtype=object) for arg in args))
        terms = [sympy_term(sp, a, b) for a, b in zip(y.reshape(-1), t.reshape(-1))]
        return sympy_scale(sp) * sp.Add(*terms)

    return Function(name, "tensor", 2, 2, numpy_function, sympy_function, True, False, _pair_shape)


#: The primer's ``delta``: keeps ``log`` finite where a predicted probability is 0.
CROSS_ENTROPY_DELTA = 1e-7


def _vector_pair(shapes: Sequence[Shape], axis: int | None) -> Shape:
    """Shape rule of ``dot``: two vectors of one length give a number."""
    first, second = shapes
    if len(first) != 1 or len(second) != 1:
        raise ValueError(
            f"needs two vectors, got shapes {shape_text(first)} and {shape_text(second)}"
        )
    if first != second:
        raise ValueError(f"the vectors have lengths {first[0]} and {second[0]}")
    return ()


def _numpy_dot(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    first, second = args
    return np.sum(first * second, axis=-1)


def _sympy_dot(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    first, second = args
    return sp.Add(*(a * b for a, b in zip(first, second)))


def _numpy_norm(args: Sequence[Array], shapes: Sequence[Shape], axis: int | None) -> Array:
    (value,) = args
    axes = item_axes(shapes[0], axis)
    # sqrt(v*v) rather than abs(v) for a single number: the same value, and complex-step safe
    return np.sqrt(np.sum(value * value, axis=axes))


def _sympy_norm(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    (value,) = args
    if not isinstance(value, np.ndarray):
        return sp.sqrt(value * value)
    if axis is None:
        return sp.sqrt(sp.Add(*(item * item for item in value.reshape(-1))))
    return np.apply_along_axis(
        lambda line: _sympy_norm(sp, [np.asarray(line, dtype=object)], None), axis, value
    )


def _numpy_mean(value: Array, axis: tuple[int, ...]) -> Array:
    return np.mean(value, axis=axis)


_TENSOR = [
    _reduction("sum", np.sum, lambda sp, items: sp.Add(*items)),
    _reduction(
        "prod",
        np.prod,
        lambda sp, items: sp.Mul(*items),
    ),
    _reduction(
        "mean",
        _numpy_mean,
        lambda sp, items: sp.Add(*items) / len(items),
    ),
    Function(
        "dot",
        "tensor",
        2,
        2,
        _numpy_dot,
        _sympy_dot,
        True,
        False,
        _vector_pair,
    ),
    Function(
        "norm",
        "tensor",
        1,
        1,
        _numpy_norm,
        _sympy_norm,
        True,
        True,
        reduced_shape,
    ),
    _reduction(
        "max",
        np.max,
        lambda sp, items: sp.Max(*items),
        analytic=False,
    ),
    _reduction(
        "min",
        np.min,
        lambda sp, items: sp.Min(*items),
        analytic=False,
    ),
    Function(
        "transpose",
        "tensor",
        1,
        1,
        _transpose_numpy,
        _transpose_sympy,
        True,
        False,
        _transposed_shape,
    ),
    Function(
        "softmax",
        "tensor",
        1,
        1,
        _softmax_numpy,
        _softmax_sympy,
        True,
        True,
        _same_shape,
    ),
    _pair_loss(
        "cross_entropy",
        lambda y, t: t * np.log(y + CROSS_ENTROPY_DELTA),
        -1.0,
        lambda sp, y, t: t * sp.log(y + sp.Float(CROSS_ENTROPY_DELTA)),
        lambda sp: -1,
    ),
    _pair_loss(
        "mean_squared_error",
        lambda y, t: (y - t) ** 2,
        0.5,
        lambda sp, y, t: (y - t) ** 2,
        lambda sp: sp.Rational(1, 2),
    ),
]

FUNCTIONS: dict[str, Function] = {function.name: function for function in [*_ELEMENTWISE, *_TENSOR]}

#: Named constants and their values.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
