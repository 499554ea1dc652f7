"""Finite differences on compiled expressions: difference quotients and gradients in pure NumPy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import DEFAULT_STEP, FIXED_STEP_METHODS
from ..expr.compiling import Compiled

Array = Any
#: A function of one real variable evaluated on a whole array of abscissae at once.
BatchFunction = Callable[[Array], Array]

METHODS = FIXED_STEP_METHODS
#: Roughly how many float64 numbers one batched evaluation may hold per variable. Small on
#: purpose: a batch and one intermediate (2 x 512 KiB) stay in a core's L2 cache, which
#: measured faster than larger batches (bench/gradient.py, docs/BENCHMARKS.md).
BATCH_BUDGET = 65_536


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


@dataclass(frozen=True)
class Difference:
    """A difference quotient and what it cost."""

    value: float
    step: float
    evaluations: int
    #: The step disappeared in rounding (``x + h == x``): the quotient carries no information.
    step_vanished: bool


def difference(function: BatchFunction, x: float, method: str, step: float) -> Difference:
    """The textbook difference quotients, computed exactly as the primer writes them.

    forward ``(f(x+h) - f(x)) / h``, backward ``(f(x) - f(x-h)) / h``,
    central ``(f(x+h) - f(x-h)) / (2*h)``.
    """
    if method == "forward":
        upper, lower = x + step, x
        values = function(np.array([upper, lower]))
        quotient = (values[0] - values[1]) / step
    elif method == "backward":
        upper, lower = x, x - step
        values = function(np.array([upper, lower]))
        quotient = (values[0] - values[1]) / step
    elif method == "central":
        upper, lower = x + step, x - step
        values = function(np.array([upper, lower]))
        quotient = (values[0] - values[1]) / (2 * step)
    else:
        raise ValueError(f"unknown method {method!r}")
    vanished = {
        "forward": x + step == x,
        "backward": x - step == x,
        "central": x + step == x or x - step == x,
    }[method]
    return Difference(float(quotient), step, 2, vanished)


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
    evaluate = _flat_evaluator(compiled, base, names)

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


def gradient(
    compiled: Compiled,
    point: Mapping[str, Array],
    names: tuple[str, ...],
    method: str = "central",
    step: float = DEFAULT_STEP,
) -> dict[str, Array]:
    """Numerical partial derivatives of a scalar expression by every coordinate of ``names``.

    All perturbed points are evaluated in batched calls, in chunks that keep memory bounded;
    each component equals the primer's ``numerical_gradient`` loop to the last bit.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    base = {name: np.asarray(value, dtype=np.float64) for name, value in point.items()}
    result = {name: np.zeros_like(base[name]) for name in names}
    for name in names:
        _variable_gradient(compiled, base, name, method, step, result[name].reshape(-1))
    return result


def _variable_gradient(
    compiled: Compiled,
    base: Mapping[str, Array],
    name: str,
    method: str,
    step: float,
    out: Array,
) -> None:
    """Fill ``out`` (flat) with the partial derivatives by every coordinate of ``name``.

    One buffer of ``2 * chunk`` copies of the point is filled once and reused: per chunk only
    the moved coordinates are written and then put back, so no pass over memory is wasted.
    Rows ``0..chunk`` hold the upper points, rows ``chunk..2*chunk`` the lower ones.
    """
    value = base[name]
    flat = value.reshape(-1) if value.ndim else value.reshape(1)
    size = flat.size
    chunk = min(size, max(1, BATCH_BUDGET // (2 * size)))
    buffer = np.empty((2 * chunk, size))
    buffer[:] = flat
    # the moved coordinates lie on two diagonals of the buffer: strided views, no fancy indexing
    cells = buffer.reshape(-1)
    stride = size + 1
    env = {other: v[np.newaxis, ...] for other, v in base.items()}
    denominator = 2 * step if method == "central" else step
    for start in range(0, size, chunk):
        count = min(chunk, size - start)
        upper_cells = cells[start : start + count * stride : stride]
        lower_cells = cells[chunk * size + start :: stride][:count]
        centre = flat[start : start + count]
        upper_cells[:] = centre + step if method != "backward" else centre
        lower_cells[:] = centre - step if method != "forward" else centre
        # the last chunk may be short: rows count..chunk are unmoved copies, evaluated and unused
        used = buffer[: chunk + count]
        env[name] = used.reshape((len(used), *value.shape))
        values = np.asarray(compiled.evaluate_batch(env)).reshape(-1)
        if values.size == 1:  # the expression does not depend on this variable
            values = np.broadcast_to(values, (len(used),))
        out[start : start + count] = (values[:count] - values[chunk : chunk + count]) / denominator
        upper_cells[:] = centre
        lower_cells[:] = centre


def hessian(
    compiled: Compiled,
    point: Mapping[str, Array],
    names: tuple[str, ...],
    step: float = DEFAULT_STEP,
) -> Array:
    """The numerical Hessian of a scalar expression by every coordinate of ``names``.

    Second central differences on the diagonal, ``(f(x+h e_i) - 2 f(x) + f(x-h e_i)) / h**2``,
    and mixed central differences off it, ``(f(x+h e_i+h e_j) - f(x+h e_i-h e_j)
    - f(x-h e_i+h e_j) + f(x-h e_i-h e_j)) / (4 h**2)``, computed once for ``i < j`` and
    mirrored, so the matrix is exactly symmetric. Rows and columns follow
    ``coordinates(point, names)``. Perturbed points are evaluated in bounded batches.
    """
    base = {name: np.asarray(value, dtype=np.float64) for name, value in point.items()}
    flat = np.concatenate([base[name].reshape(-1) for name in names]) if names else np.zeros(0)
    size = flat.size
    result = np.zeros((size, size))
    if size == 0:
        return result
    evaluate = _flat_evaluator(compiled, base, names)
    centre = evaluate(flat[np.newaxis, :])[0]
    chunk = max(1, BATCH_BUDGET // (4 * size))
    for start in range(0, size, chunk):
        i = np.arange(start, min(size, start + chunk))
        upper = evaluate(_perturbed(flat, i, step, i, 0.0))
        lower = evaluate(_perturbed(flat, i, -step, i, 0.0))
        result[i, i] = (upper - 2 * centre + lower) / (step * step)
    first, second = np.triu_indices(size, 1)
    for start in range(0, first.size, chunk):
        i, j = first[start : start + chunk], second[start : start + chunk]
        corners = [
            evaluate(_perturbed(flat, i, sign_i * step, j, sign_j * step))
            for sign_i, sign_j in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ]
        mixed = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * step * step)
        result[i, j] = mixed
        result[j, i] = mixed
    return result


def _flat_evaluator(
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


def _perturbed(
    flat: Array, first: Array, first_step: float, second: Array, second_step: float
) -> Array:
    """Copies of ``flat``: row k has ``first[k]`` moved by ``first_step``, ``second[k]`` by
    ``second_step`` (zero: left alone)."""
    rows = np.repeat(flat[np.newaxis, :], len(first), axis=0)
    index = np.arange(len(first))
    rows[index, first] = flat[first] + first_step
    if second_step:
        rows[index, second] = flat[second] + second_step
    return rows
