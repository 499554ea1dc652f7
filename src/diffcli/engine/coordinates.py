"""Coordinates of a point and the expression as a function of one or more of them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..expr.compiling import Compiled

Array = Any
#: A function of one real variable evaluated on a whole array of abscissae at once.
BatchFunction = Callable[[Array], Array]


@dataclass(frozen=True)
class Coordinate:
    """One scalar quantity to differentiate by: a scalar variable or one tensor element."""

    name: str
    index: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{','.join(str(i) for i in self.index)}]"


def along(compiled: Compiled, point: Mapping[str, Array], coordinate: Coordinate) -> BatchFunction:
    """The expression as a function of one coordinate, the others held at ``point``."""
    base = {
        name: np.asarray(value, dtype=np.float64)[np.newaxis, ...] for name, value in point.items()
    }
    name, index = coordinate.name, coordinate.index

    def function(values: Array) -> Array:
        values = np.asarray(values)
        env = dict(base)
        if index:
            varied = np.repeat(base[name], len(values), axis=0).astype(values.dtype)
            key: tuple[Any, ...] = (slice(None), *index)
            varied[key] = values
            env[name] = varied
        else:
            env[name] = values
        result = compiled.evaluate_batch(env)
        return np.broadcast_to(result, (len(values), *np.shape(result)[1:]))

    return function


def along_line(
    compiled: Compiled, point: Mapping[str, Array], names: tuple[str, ...], direction: Array
) -> BatchFunction:
    """The expression on the line ``x + t * direction`` as a batch function of ``t``.

    ``direction`` is a flat vector over ``coordinates(point, names)``; the variables not in
    ``names`` are held at ``point``. ``t`` may be complex (for the complex step).
    """
    base = {name: np.asarray(value, dtype=np.float64) for name, value in point.items()}
    flat = np.concatenate([base[name].reshape(-1) for name in names])
    moved = np.asarray(direction, dtype=np.float64)
    evaluate = flat_evaluator(compiled, base, names)

    def function(values: Array) -> Array:
        steps = np.asarray(values)
        return evaluate(flat[np.newaxis, :] + steps[:, np.newaxis] * moved[np.newaxis, :])

    return function


def coordinates(
    point: Mapping[str, Array], names: tuple[str, ...] | None = None
) -> list[Coordinate]:
    """Every scalar coordinate of the named variables, in order (row-major within a tensor)."""
    found: list[Coordinate] = []
    for name in names if names is not None else tuple(point):
        shape = np.shape(point[name])
        if shape:
            found.extend(
                Coordinate(name, tuple(int(i) for i in index)) for index in np.ndindex(*shape)
            )
        else:
            found.append(Coordinate(name))
    return found


def flat_evaluator(
    compiled: Compiled, base: Mapping[str, Array], names: tuple[str, ...]
) -> Callable[[Array], Array]:
    """Evaluate at rows of the named variables' coordinates laid end to end; others fixed."""
    shared = {name: value[np.newaxis, ...] for name, value in base.items()}
    bounds = np.cumsum([0, *(max(base[name].size, 1) for name in names)])

    def evaluate(rows: Array) -> Array:
        env = dict(shared)
        for name, start, stop in zip(names, bounds[:-1], bounds[1:]):
            env[name] = rows[:, start:stop].reshape((len(rows), *base[name].shape))
        values = np.asarray(compiled.evaluate_batch(env)).reshape(-1)
        return np.broadcast_to(values, (len(rows),)) if values.size == 1 else values

    return evaluate


@dataclass(frozen=True)
class Layout:
    """Where each descended variable lives in the flat iterate."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(math.prod(shape) for shape in self.shapes)

    @property
    def size(self) -> int:
        return sum(self.sizes)

    @property
    def labels(self) -> tuple[str, ...]:
        """``x0``, ``x[1]``, ``W[0,1]``: one per coordinate of the flat iterate."""
        point = {name: np.zeros(shape) for name, shape in zip(self.names, self.shapes)}
        return tuple(coordinate.label for coordinate in coordinates(point, self.names))

    def flatten(self, point: Mapping[str, Array]) -> Array:
        """The named variables of a point as one float64 vector."""
        if not self.names:
            return np.zeros(0)
        return np.concatenate(
            [np.asarray(point[name], dtype=np.float64).reshape(-1) for name in self.names]
        )

    def unflatten(self, flat: Array) -> dict[str, Array]:
        """Views of the flat vector in each variable's shape (no copy)."""
        point: dict[str, Array] = {}
        offset = 0
        for name, shape, size in zip(self.names, self.shapes, self.sizes):
            point[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return point
