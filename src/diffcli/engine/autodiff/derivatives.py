"""Exact derivatives in floating point by automatic differentiation: gradients by reverse
mode, Hessians by forward-over-reverse, n-th derivatives by Taylor-mode forward."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...expr.compiling import Compiled
from ..coordinates import Coordinate
from .jet import Jet, primal
from .tape import backward, record

Array = Any
Point = Mapping[str, Array]


def _batched(point: Point) -> dict[str, Array]:
    return {
        name: np.asarray(value, dtype=np.float64)[np.newaxis, ...] for name, value in point.items()
    }


def gradient(compiled: Compiled, point: Point, names: tuple[str, ...]) -> dict[str, Array]:
    """Every partial derivative by the variables ``names`` at one point, in their shapes,
    from one forward and one backward pass."""
    found = backward(record(compiled, _batched(point))).variables
    gradients = {}
    for name in names:
        shape = (1, *np.shape(point[name]))
        adjoint = found.get(name, 0.0)
        if np.shape(adjoint) != shape:  # broadcast along the way, or not reached at all
            adjoint = np.array(np.broadcast_to(adjoint, shape))
        gradients[name] = np.asarray(adjoint)[0]
    return gradients


def gradient_at_points(
    compiled: Compiled, columns: Point, names: tuple[str, ...]
) -> dict[str, Array]:
    """``gradient`` at many points of scalar variables at once: ``columns`` holds each
    variable's value at every point (float64 arrays of one length). One forward and one
    backward pass over them all; each value is ``gradient``'s at that point (element-wise
    rules)."""
    batch = {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}
    length = len(next(iter(batch.values()))) if batch else 0
    found = backward(record(compiled, batch)).variables
    return {
        name: np.array(np.broadcast_to(found.get(name, 0.0), (length,)), dtype=np.float64)
        for name in names
    }


def hessian(compiled: Compiled, point: Point, names: tuple[str, ...]) -> Array:
    """The Hessian by the coordinates of ``names`` (row-major in each variable, variables in
    order): the reverse pass run on jets, one tangent direction per coordinate."""
    sizes = [int(np.size(point[name])) for name in names]
    count = sum(sizes)
    directions = np.eye(count)
    env: dict[str, Array] = _batched(point)
    offset = 0
    for name, size in zip(names, sizes):
        shape = np.shape(point[name])
        tangent = directions[:, offset : offset + size].reshape(count, *shape)
        env[name] = Jet([env[name], tangent])
        offset += size
    found = backward(record(compiled, env)).variables
    columns = []
    for name, size in zip(names, sizes):
        adjoint = found.get(name)
        column: Array = adjoint.coefficients[1] if isinstance(adjoint, Jet) else 0.0
        columns.append(
            np.broadcast_to(column, (count, *np.shape(point[name]))).reshape(count, size)
        )
    return np.concatenate(columns, axis=1) if columns else np.zeros((0, 0))


#: Points taken at a time by ``hessian_at_points`` (each carries a tangent per coordinate).
_HESSIAN_BATCH = 8192


def hessian_at_points(compiled: Compiled, columns: Point, names: tuple[str, ...]) -> Array:
    """``hessian`` at many points of scalar variables: ``columns`` holds each variable's
    value at every point (float64 arrays of one length). One forward-over-reverse pass per
    batch of points, every tangent direction at once; the matrices stacked, points first."""
    batch = {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}
    length = len(next(iter(batch.values()))) if batch else 0
    count = len(names)
    matrices = np.zeros((length, count, count))
    for start in range(0, length, _HESSIAN_BATCH):
        stop = min(start + _HESSIAN_BATCH, length)
        env: dict[str, Array] = {name: column[start:stop] for name, column in batch.items()}
        for position, name in enumerate(names):
            tangent = np.zeros((count, stop - start))
            tangent[position] = 1.0
            env[name] = Jet([env[name], tangent])
        found = backward(record(compiled, env)).variables
        for position, name in enumerate(names):
            adjoint = found.get(name)
            column: Array = adjoint.coefficients[1] if isinstance(adjoint, Jet) else 0.0
            matrices[start:stop, :, position] = np.broadcast_to(column, (count, stop - start)).T
    return matrices


def derivatives_along(
    compiled: Compiled, columns: Mapping[str, Array], coordinate: Coordinate, order: int
) -> Array:
    """The ``order``-th derivative by one coordinate at a batch of points (``columns``: each
    variable's values, batch axis first), from one Taylor-mode pass of the evaluator."""
    values = np.asarray(columns[coordinate.name], dtype=np.float64)
    direction = np.zeros_like(values)
    key: tuple[Any, ...] = (slice(None), *coordinate.index)
    direction[key] = 1.0
    env = dict(columns)
    env[coordinate.name] = Jet([values, direction] + [0.0] * (order - 1))
    result = compiled.evaluate_batch(env)
    if not isinstance(result, Jet) or len(result.coefficients) <= order:
        return np.zeros(np.shape(primal(result)))
    return np.asarray(result.coefficients[order] * math.factorial(order), dtype=np.float64)


def derivative(compiled: Compiled, point: Point, coordinate: Coordinate, order: int) -> float:
    """The ``order``-th derivative by one coordinate at one point (Taylor-mode forward)."""
    found = derivatives_along(compiled, _batched(point), coordinate, order)
    return float(np.broadcast_to(found, (1,))[0])
