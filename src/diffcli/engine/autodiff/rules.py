"""Each operation's reverse rule: the adjoints of its operands from the adjoint of its result.

Every rule is written with NumPy's functions only, so it runs on plain arrays (reverse mode)
and on jets (forward-over-reverse: ``jet``). Arrays carry the batch axis first, as in
``expr.compiling``; shapes here are item shapes, without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...expr.functions import CROSS_ENTROPY_DELTA, item_axes, lift
from .jet import Jet, primal

Array = Any
Shape = tuple[int, ...]


def unbroadcast(adjoint: Array, shape: Shape) -> Array:
    """The adjoint of an operand of item ``shape`` that was broadcast to the adjoint's shape:
    summed over the axes broadcasting added or stretched."""
    full = np.shape(primal(adjoint))
    if full[1:] == shape:  # the common case: nothing was broadcast
        return adjoint
    rank = len(full) - 1
    added = rank - len(shape)
    if added > 0:
        adjoint = np.sum(adjoint, axis=tuple(range(1, added + 1)))
    stretched = tuple(
        axis + 1
        for axis, length in enumerate(shape)
        if length == 1 and np.shape(primal(adjoint))[axis + 1] != 1
    )
    if stretched:
        adjoint = np.sum(adjoint, axis=stretched, keepdims=True)
    return adjoint


def scatter(adjoint: Array, shape: Shape, key: tuple[Any, ...]) -> Array:
    """The adjoint of a whole variable of item ``shape`` from that of its element ``key``."""
    if isinstance(adjoint, Jet):
        return Jet([scatter(c, shape, key) if np.ndim(c) else c for c in adjoint.coefficients])
    whole = np.zeros((np.shape(adjoint)[0], *shape))
    whole[key] = adjoint
    return whole


#: f'(a) of each element-wise function, from its argument ``a`` and its value ``y``.
ELEMENTWISE: dict[str, Callable[[Array, Array], Array]] = {
    "sin": lambda a, y: np.cos(a),
    "cos": lambda a, y: -np.sin(a),
    "tan": lambda a, y: 1.0 + y * y,
    # (1 - a)(1 + a), not 1 - a*a: near |a| = 1 the factor 1 - a is exact (Sterbenz)
    "asin": lambda a, y: 1.0 / np.sqrt((1.0 - a) * (1.0 + a)),
    "acos": lambda a, y: -1.0 / np.sqrt((1.0 - a) * (1.0 + a)),
    "atan": lambda a, y: 1.0 / (1.0 + a * a),
    "sinh": lambda a, y: np.cosh(a),
    "cosh": lambda a, y: np.sinh(a),
    "tanh": lambda a, y: 1.0 - y * y,
    "asinh": lambda a, y: 1.0 / np.sqrt(a * a + 1.0),
    "acosh": lambda a, y: 1.0 / np.sqrt((a - 1.0) * (a + 1.0)),
    "atanh": lambda a, y: 1.0 / ((1.0 - a) * (1.0 + a)),
    "exp": lambda a, y: y,
    "log": lambda a, y: 1.0 / a,
    "ln": lambda a, y: 1.0 / a,
    "log2": lambda a, y: 1.0 / (a * math.log(2.0)),
    "log10": lambda a, y: 1.0 / (a * math.log(10.0)),
    "sqrt": lambda a, y: 0.5 / y,
    # at 0 these are kinks: engine.kinks finds them and the caller reports no derivative
    "abs": lambda a, y: np.sign(primal(a)),
    "relu": lambda a, y: (primal(a) > 0).astype(np.float64),
    "sigmoid": lambda a, y: y * (1.0 - y),
}


def arithmetic(
    op: str, adjoint: Array, left: Array, right: Array, value: Array, exponent: float | None
) -> tuple[Array, Array]:
    """Adjoints of ``left op right`` (``+ - * / **``) before unbroadcasting; ``exponent`` is a
    literal right operand of ``**`` (its adjoint is then not needed)."""
    if op == "+":
        return adjoint, adjoint
    if op == "-":
        return adjoint, -adjoint
    if op == "*":
        return adjoint * right, adjoint * left
    if op == "/":
        return adjoint / right, -(adjoint * value) / right
    if exponent is not None:
        if exponent == 2:
            return (2.0 * adjoint) * left, None
        return adjoint * (exponent * left ** (exponent - 1.0)), None
    logarithm = np.where(primal(value) == 0, 0.0, value * np.log(left))
    return adjoint * (right * left ** (right - 1.0)), adjoint * logarithm


def matmul(
    adjoint: Array, left: Array, right: Array, left_shape: Shape, right_shape: Shape
) -> tuple[Array, Array]:
    """Adjoints of ``left @ right`` (vectors or matrices, batched); ``adjoint`` may still have
    length 1 where the product does not (a sum's adjoint)."""
    product_shape = left_shape[:-1] + right_shape[1:]
    if isinstance(adjoint, Jet):
        adjoint = adjoint * np.ones((1, *product_shape))
    else:
        adjoint = np.broadcast_to(adjoint, (np.shape(adjoint)[0], *product_shape))
    a = left[:, np.newaxis, :] if len(left_shape) == 1 else left
    b = right[..., np.newaxis] if len(right_shape) == 1 else right
    g = adjoint
    if len(left_shape) == 1:
        g = np.expand_dims(g, 1)
    if len(right_shape) == 1:
        g = np.expand_dims(g, -1)
    left_adjoint = g @ np.transpose(b, (0, 2, 1))
    right_adjoint = np.transpose(a, (0, 2, 1)) @ g
    if len(left_shape) == 1:
        left_adjoint = left_adjoint[:, 0, :]
    if len(right_shape) == 1:
        right_adjoint = right_adjoint[..., 0]
    return left_adjoint, right_adjoint


def _expanded(adjoint: Array, shape: Shape, axis: int | None) -> Array:
    """A reduction's adjoint put back over the reduced axes (length 1 there)."""
    if axis is None:
        return adjoint.reshape((np.shape(primal(adjoint))[0], *(1,) * len(shape)))
    return np.expand_dims(adjoint, axis % len(shape) + 1)


def _reduced_count(shape: Shape, axis: int | None) -> int:
    return math.prod(shape) if axis is None else shape[axis % len(shape)]


def _others_product(argument: Array, shape: Shape, axis: int | None, value: Array) -> Array:
    """Each element's product of the others along the reduced axes (d prod / d element)."""
    if not np.any(primal(argument) == 0):
        return _expanded(value, shape, axis) / argument
    axes = item_axes(shape, axis)
    rest = [a for a in range(np.ndim(primal(argument))) if a not in axes]
    moved = np.transpose(argument, (*rest, *axes))
    kept = np.shape(primal(moved))[: len(rest)]
    count = math.prod(shape[a - 1] for a in axes)
    flat = moved.reshape((kept[0], *kept[1:], count))[..., np.newaxis, :]
    alone = np.eye(count, dtype=bool)
    others = np.prod(np.where(alone, 1.0, flat), axis=-1)
    back = others.reshape((kept[0], *kept[1:], *(shape[a - 1] for a in axes)))
    return np.transpose(back, tuple(np.argsort((*rest, *axes))))


def tensor(
    name: str,
    adjoint: Array,
    args: Sequence[Array],
    shapes: Sequence[Shape],
    axis: int | None,
    value: Array,
) -> list[Array]:
    """Adjoints of the arguments of the tensor function ``name``."""
    if name in {"sum", "mean", "max", "min", "prod"} and not shapes[0]:
        return [adjoint]
    if name in {"sum", "mean"}:
        # left with length 1 along the reduced axes: the operations that use it broadcast
        # it, and a million-element sum's adjoint is never written out
        spread = _expanded(adjoint, shapes[0], axis)
        return [spread / _reduced_count(shapes[0], axis) if name == "mean" else spread]
    if name in {"max", "min"}:
        # ties share the adjoint equally: a tie is a kink, reported by engine.kinks
        chosen = primal(args[0]) == primal(_expanded(value, shapes[0], axis))
        share = chosen / np.sum(chosen, axis=item_axes(shapes[0], axis), keepdims=True)
        return [_expanded(adjoint, shapes[0], axis) * share]
    if name == "prod":
        others = _others_product(args[0], shapes[0], axis, value)
        return [_expanded(adjoint, shapes[0], axis) * others]
    if name == "norm":
        if not shapes[0]:
            return [adjoint * args[0] / value]
        return [_expanded(adjoint / value, shapes[0], axis) * args[0]]
    if name == "dot":
        first, second = args
        return [adjoint[:, np.newaxis] * second, adjoint[:, np.newaxis] * first]
    if name == "transpose":
        rank = len(shapes[0])
        return [np.transpose(adjoint, (0, *range(rank, 0, -1)))]
    if name == "softmax":
        if not shapes[0]:
            return [adjoint * 0.0]
        axes = item_axes(shapes[0], -1 if axis is None else axis)
        return [value * (adjoint - np.sum(adjoint * value, axis=axes, keepdims=True))]
    if name in {"cross_entropy", "mean_squared_error"}:
        rank = len(np.broadcast_shapes(*shapes))
        y, t = (lift(arg, rank) for arg in args)
        spread = adjoint.reshape((np.shape(primal(adjoint))[0], *(1,) * rank))
        if name == "cross_entropy":
            shifted = y + CROSS_ENTROPY_DELTA
            found = [-(spread * t) / shifted, -(spread * np.log(shifted))]
        else:
            difference = spread * (y - t)
            found = [difference, -difference]
        return [unbroadcast(item, shape) for item, shape in zip(found, shapes)]
    raise TypeError(f"no reverse rule for {name}")  # pragma: no cover - every entry has one
