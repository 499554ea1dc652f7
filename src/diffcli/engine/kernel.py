"""The one fixed-step kernel: stencils applied to a compiled expression, batched, in NumPy.

``apply_stencil`` is the quotient every fixed-step estimate computes: ``partials`` applies it to
every coordinate at once (``descend``, the kink screen), ``methods.fixed_step`` to one
coordinate at many points, with its error estimate (``diff``, ``sweep``, ``grad``). Both equal
the primer's loops to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from ..catalog import DEFAULT_STEP
from ..expr.compiling import Compiled
from .coordinates import flat_evaluator
from .methods.stencils import Stencil, method_stencil
from .quotients import EPSILON, apply_stencil, divided_by_power

Array = Any
#: Roughly how many float64 numbers one batched evaluation may hold per variable. Small on
#: purpose: a batch and one intermediate (2 x 512 KiB) stay in a core's L2 cache, which
#: measured faster than larger batches (bench/gradient.py, docs/BENCHMARKS.md).
BATCH_BUDGET = 65_536


def partials(
    compiled: Compiled,
    point: Mapping[str, Array],
    names: tuple[str, ...],
    method: str = "central",
    step: float = DEFAULT_STEP,
) -> dict[str, Array]:
    """Numerical partial derivatives of a scalar expression by every coordinate of ``names``.

    ``method`` is a fixed-step method of the registry. All perturbed points are evaluated in
    batched calls, in chunks that keep memory bounded; each component equals the primer's
    ``numerical_gradient`` loop to the last bit.
    """
    stencil = method_stencil(method)
    base = {name: np.asarray(value, dtype=np.float64) for name, value in point.items()}
    result = {name: np.zeros_like(base[name]) for name in names}
    for name in names:
        _variable_partials(compiled, base, name, stencil, step, result[name].reshape(-1))
    return result


def _variable_partials(
    compiled: Compiled,
    base: Mapping[str, Array],
    name: str,
    stencil: Stencil,
    step: float,
    out: Array,
) -> None:
    """Fill ``out`` (flat) with the partial derivatives by every coordinate of ``name``.

    One buffer of ``len(offsets) * chunk`` copies of the point is filled once and reused: per
    chunk only the moved coordinates are written and then put back, so no pass over memory is
    wasted. Rows ``k*chunk..(k+1)*chunk`` hold the points moved by the stencil's offset k.
    """
    offsets, numerators, denominator = stencil.offsets, stencil.numerators, stencil.denominator
    value = base[name]
    flat = value.reshape(-1) if value.ndim else value.reshape(1)
    size = flat.size
    chunk = min(size, max(1, BATCH_BUDGET // (len(offsets) * size)))
    buffer = np.empty((len(offsets) * chunk, size))
    buffer[:] = flat
    # the moved coordinates lie on diagonals of the buffer: strided views, no fancy indexing
    cells = buffer.reshape(-1)
    stride = size + 1
    # the rows each offset moves: where their diagonal starts, and by how much
    shifts = [(k * chunk * size, offset * step) for k, offset in enumerate(offsets) if offset]
    env = {other: v[np.newaxis, ...] for other, v in base.items()}
    env[name] = buffer.reshape((len(buffer), *value.shape))
    for start in range(0, size, chunk):
        count = min(chunk, size - start)
        centre = flat[start : start + count]
        moved = [(cells[first + start :: stride][:count], shift) for first, shift in shifts]
        for diagonal, shift in moved:
            diagonal[:] = centre + shift
        # the last chunk may be short: its unmoved rows are evaluated and unused
        values = np.asarray(compiled.evaluate_batch(env)).reshape(-1)
        if values.size == 1:  # the expression does not depend on this variable
            values = np.broadcast_to(values, (len(buffer),))
        rows = values.reshape(len(offsets), chunk)[:, :count]
        out[start : start + count] = apply_stencil(numerators, rows, denominator, step, 1)
        for diagonal, _ in moved:
            diagonal[:] = centre


@dataclass(frozen=True)
class SecondDifferences:
    """A Hessian's central second differences (one matrix, or one per point) and each
    entry's rounding bound ``2ε Σ|w_i f_i| / (d h²)`` over the values it was computed from."""

    values: Array
    rounding: Array


def hessian(
    compiled: Compiled,
    point: Mapping[str, Array],
    names: tuple[str, ...],
    step: float = DEFAULT_STEP,
) -> Array:
    """The numerical Hessian of a scalar expression by every coordinate of ``names``
    (``second_differences``' values)."""
    return second_differences(compiled, point, names, step).values


def second_differences(
    compiled: Compiled,
    point: Mapping[str, Array],
    names: tuple[str, ...],
    step: float = DEFAULT_STEP,
) -> SecondDifferences:
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
    rounding = np.zeros((size, size))
    if size == 0:
        return SecondDifferences(result, rounding)
    evaluate = flat_evaluator(compiled, base, names)
    centre = evaluate(flat[np.newaxis, :])[0]
    chunk = max(1, BATCH_BUDGET // (4 * size))
    for start in range(0, size, chunk):
        i = np.arange(start, min(size, start + chunk))
        upper = evaluate(_perturbed(flat, i, step, i, 0.0))
        lower = evaluate(_perturbed(flat, i, -step, i, 0.0))
        result[i, i] = (upper - 2 * centre + lower) / (step * step)
        rounding[i, i] = _diagonal_rounding(upper, centre, lower, step)
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
        rounding[i, j] = rounding[j, i] = _mixed_rounding(corners, step)
    return SecondDifferences(result, rounding)


def hessian_at_points(
    compiled: Compiled,
    columns: Mapping[str, Array],
    names: tuple[str, ...],
    step: float = DEFAULT_STEP,
) -> SecondDifferences:
    """``second_differences`` at many points of scalar variables at once (``columns``: each
    variable's value at every point, float64 arrays of one length): one matrix per point,
    shape ``(points, len(names), len(names))``, each equal to ``hessian`` at that point to the
    last bit (the same moved coordinates and the same sums, element-wise)."""
    base = {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}
    length = len(next(iter(base.values()))) if base else 0
    size = len(names)
    result = np.zeros((length, size, size))
    rounding = np.zeros((length, size, size))

    def evaluate(env: Mapping[str, Array]) -> Array:
        return np.broadcast_to(np.asarray(compiled.evaluate_batch(env)), (length,))

    def moved(*shifts: tuple[str, float]) -> dict[str, Array]:
        env = dict(base)
        for name, shift in shifts:
            env[name] = base[name] + shift
        return env

    centre = evaluate(base)
    for i, name in enumerate(names):
        upper = evaluate(moved((name, step)))
        lower = evaluate(moved((name, -step)))
        result[:, i, i] = (upper - 2 * centre + lower) / (step * step)
        rounding[:, i, i] = _diagonal_rounding(upper, centre, lower, step)
    for i, j in combinations(range(size), 2):
        first, second = names[i], names[j]
        corners = [
            evaluate(moved((first, sign_i * step), (second, sign_j * step)))
            for sign_i, sign_j in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ]
        mixed = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * step * step)
        result[:, i, j] = mixed
        result[:, j, i] = mixed
        rounding[:, i, j] = rounding[:, j, i] = _mixed_rounding(corners, step)
    return SecondDifferences(result, rounding)


def _diagonal_rounding(upper: Array, centre: Array, lower: Array, step: float) -> Array:
    """The rounding bound of a second central difference: ``2ε (|f+| + 2|f0| + |f-|) / h²``."""
    with np.errstate(all="ignore"):
        total = np.abs(upper) + 2 * np.abs(centre) + np.abs(lower)
        return divided_by_power(2 * EPSILON * total, 1, step, 2)


def _mixed_rounding(corners: Sequence[Array], step: float) -> Array:
    """The rounding bound of a mixed central difference: ``2ε Σ|f_corner| / (4 h²)``."""
    with np.errstate(all="ignore"):
        total = np.abs(corners[0]) + np.abs(corners[1]) + np.abs(corners[2]) + np.abs(corners[3])
        return divided_by_power(2 * EPSILON * total, 4, step, 2)


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
