"""The whitelist of functions the expression language knows: names, arguments, shapes, SymPy.

Each entry says how many arguments a function takes, how it acts on shapes and how SymPy
builds it; how NumPy computes it on batched arrays (leading batch axis, see ``compiling``)
lives in ``numpy_functions``, imported on first use, so that parsing imports no NumPy.
Adding a function means adding an entry here and its NumPy side there; the parser, compiler
and SymPy bridge read them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Array = Any  # numpy.ndarray of float64 or complex128; Any keeps mypy quiet about dtypes
Shape = tuple[int, ...]
Kind = Literal["elementwise", "tensor"]
#: Shape rule of a tensor function: argument shapes and axis to the result's shape.
#: Raises ValueError with a message that completes "name(...): <message>".
ShapeRule = Callable[[Sequence[Shape], "int | None"], Shape]


@dataclass(frozen=True)
class Function:
    """One whitelisted function.

    An ``elementwise`` function maps each number to a number: its NumPy side
    (``numpy_functions.NUMPY[name](a)``) and the SymPy function (a name in the sympy module,
    or ``builder(sympy, a)``) apply to each element.

    A ``tensor`` function (``sum``, ``dot``, ``softmax`` …) acts on whole arrays:
    ``shape(arg_shapes, axis)`` gives the result's shape or raises ValueError; its NumPy side
    ``NUMPY[name](args, arg_shapes, axis)`` receives arrays with a leading batch axis (length 1
    or B) and returns the batched result; ``sympy(sp, args, axis)`` receives SymPy scalars or
    NumPy object arrays of them and returns the same kind of value.
    """

    name: str
    kind: Kind
    min_args: int
    max_args: int
    sympy: str | Callable[..., Any]
    #: True when the function is complex-analytic (complex-step safe) wherever it is smooth.
    analytic: bool = True
    #: True when the function accepts ``axis=k``.
    takes_axis: bool = False
    shape: ShapeRule | None = None


def _sympy_sigmoid(sp: Any, a: Any) -> Any:
    return 1 / (1 + sp.exp(-a))


def _sympy_relu(sp: Any, a: Any) -> Any:
    return sp.Max(a, 0)


def _elementwise(
    name: str, sympy_function: str | Callable[..., Any], analytic: bool = True
) -> Function:
    return Function(name, "elementwise", 1, 1, sympy_function, analytic, False)


_ELEMENTWISE = [
    _elementwise("sin", "sin"),
    _elementwise("cos", "cos"),
    _elementwise("tan", "tan"),
    _elementwise("asin", "asin"),
    _elementwise("acos", "acos"),
    _elementwise("atan", "atan"),
    _elementwise("sinh", "sinh"),
    _elementwise("cosh", "cosh"),
    _elementwise("tanh", "tanh"),
    _elementwise("asinh", "asinh"),
    _elementwise("acosh", "acosh"),
    _elementwise("atanh", "atanh"),
    _elementwise("exp", "exp"),
    _elementwise("log", "log"),
    _elementwise("ln", "log"),
    _elementwise("log2", lambda sp, a: sp.log(a, 2)),
    _elementwise("log10", lambda sp, a: sp.log(a, 10)),
    _elementwise("sqrt", "sqrt"),
    _elementwise("abs", "Abs", analytic=False),
    _elementwise("sigmoid", _sympy_sigmoid),
    _elementwise("relu", _sympy_relu, analytic=False),
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
    name: str, combine: Callable[[Any, list[Any]], Any], analytic: bool = True
) -> Function:
    """A reduction over all elements or one axis; ``combine(sympy, items)`` builds SymPy's."""

    def sympy_function(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
        import numpy as np

        value = args[0]
        if not isinstance(value, np.ndarray):
            return value
        if axis is None:
            # one n-ary SymPy node: folding pairwise would re-flatten the sum n times
            return combine(sp, list(value.reshape(-1)))
        return np.apply_along_axis(
            lambda line: sympy_function(sp, [np.asarray(line, dtype=object)], None), axis, value
        )

    return Function(name, "tensor", 1, 1, sympy_function, analytic, True, reduced_shape)


def _same_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    (shape,) = shapes
    _check_axis(shape, axis)
    return shape


def _transposed_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    (shape,) = shapes
    return shape[::-1]


def _transpose_sympy(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    import numpy as np

    value = args[0]
    return np.transpose(value) if isinstance(value, np.ndarray) else value


def _softmax_sympy(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    import numpy as np

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


def broadcast_shape(first: Shape, second: Shape) -> Shape:
    """NumPy's broadcasting rule for two shapes (``numpy.broadcast_shapes``), without NumPy.

    Raises:
        ValueError: the shapes do not broadcast.
    """
    rank = max(len(first), len(second))
    padded = [(1,) * (rank - len(shape)) + shape for shape in (first, second)]
    found = []
    for left, right in zip(*padded):
        if left != right and 1 not in (left, right):
            raise ValueError(
                f"shapes {shape_text(first)} and {shape_text(second)} do not broadcast"
            )
        found.append(right if left == 1 else left)
    return tuple(found)


def _pair_shape(shapes: Sequence[Shape], axis: int | None) -> Shape:
    first, second = shapes
    broadcast_shape(first, second)
    return ()


def _pair_loss(
    name: str,
    sympy_term: Callable[[Any, Any, Any], Any],
    sympy_scale: Callable[[Any], Any],
) -> Function:
    """A loss ``scale * sum(term(y, t))`` over all elements of ``y`` and ``t`` broadcast."""

    def sympy_function(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
        import numpy as np

        y, t = np.broadcast_arrays(*(np.asarray(arg, dtype=object) for arg in args))
        terms = [sympy_term(sp, a, b) for a, b in zip(y.reshape(-1), t.reshape(-1))]
        return sympy_scale(sp) * sp.Add(*terms)

    return Function(name, "tensor", 2, 2, sympy_function, True, False, _pair_shape)


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


def _sympy_dot(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    first, second = args
    return sp.Add(*(a * b for a, b in zip(first, second)))


def _sympy_norm(sp: Any, args: Sequence[Any], axis: int | None) -> Any:
    import numpy as np

    (value,) = args
    if not isinstance(value, np.ndarray):
        return sp.sqrt(value * value)
    if axis is None:
        return sp.sqrt(sp.Add(*(item * item for item in value.reshape(-1))))
    return np.apply_along_axis(
        lambda line: _sympy_norm(sp, [np.asarray(line, dtype=object)], None), axis, value
    )


_TENSOR = [
    _reduction("sum", lambda sp, items: sp.Add(*items)),
    _reduction("prod", lambda sp, items: sp.Mul(*items)),
    _reduction("mean", lambda sp, items: sp.Add(*items) / len(items)),
    Function("dot", "tensor", 2, 2, _sympy_dot, True, False, _vector_pair),
    Function("norm", "tensor", 1, 1, _sympy_norm, True, True, reduced_shape),
    _reduction("max", lambda sp, items: sp.Max(*items), analytic=False),
    _reduction("min", lambda sp, items: sp.Min(*items), analytic=False),
    Function("transpose", "tensor", 1, 1, _transpose_sympy, True, False, _transposed_shape),
    Function("softmax", "tensor", 1, 1, _softmax_sympy, True, True, _same_shape),
    _pair_loss(
        "cross_entropy",
        lambda sp, y, t: t * sp.log(y + sp.Float(CROSS_ENTROPY_DELTA)),
        lambda sp: -1,
    ),
    _pair_loss("mean_squared_error", lambda sp, y, t: (y - t) ** 2, lambda sp: sp.Rational(1, 2)),
]

FUNCTIONS: dict[str, Function] = {function.name: function for function in [*_ELEMENTWISE, *_TENSOR]}

#: Named constants and their values (``numpy.pi`` and ``numpy.e`` are these very doubles).
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
