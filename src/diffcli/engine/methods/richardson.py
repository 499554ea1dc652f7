"""Adaptive Richardson extrapolation of one variable, in the manner of DERIVEST."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..coordinates import BatchFunction
from ..estimate import Estimate
from ..kernel import EPSILON
from .stencils import fornberg_weights, stencil

Array = Any
#: Steps shrink by this ratio, this many per batch, at most this many batches.
RATIO = 2.0
STEPS_PER_BATCH = 24
MAX_BATCHES = 4
#: Richardson stops asking for smaller steps once its error estimate is this small (relative).
GOOD_ENOUGH = 1e-13
#: Left and right derivatives differ by more than this (relative) at a kink.
KINK_TOLERANCE = 1e-6


def richardson(
    function: BatchFunction, x: float, order: int = 1, initial_step: float | None = None
) -> Estimate:
    """Adaptive Richardson extrapolation in the manner of DERIVEST.

    Difference quotients at steps ``h0, h0/2, h0/4, …`` (central, forward and backward, all
    from one batch of evaluations) are extrapolated to h → 0, eliminating the leading error
    terms one after another. Each extrapolated value's error is estimated from its spread
    against its neighbours plus the rounding bound; the value with the smallest estimate
    wins. Steps that leave the function's domain give non-finite values and are skipped, so
    near a domain edge or pole the stencils shrink, or turn one-sided, by themselves. When
    the best one-sided estimates disagree, the point is a kink and both are reported.

    Args:
        function: the batch function of one variable.
        x: the point.
        order: the derivative's order.
        initial_step: the largest step (default ``max(1, |x|)/4``, rounded down to a power
            of 2; tried again from ``|x|/4`` when that finds nothing sound).
    """
    if initial_step is not None:
        return _richardson_from(function, x, order, initial_step)
    result = _richardson_from(function, x, order, power_of_two(max(1.0, abs(x))) / 4)
    if 0 < abs(x) < 1 and not _sound(result):
        # the function's scale is |x| (log, sqrt, 1/x near 0): start again from |x|/4
        retry = _richardson_from(function, x, order, power_of_two(abs(x)) / 4)
        evaluations = result.evaluations + retry.evaluations
        better = retry if _sound(retry) or not math.isfinite(result.error) else result
        return replace(better, evaluations=evaluations)
    return result


def power_of_two(value: float) -> float:
    """The largest power of 2 not above ``value`` (a step that divides out exactly)."""
    return 2.0 ** math.floor(math.log2(value))


def _sound(result: Estimate) -> bool:
    return result.is_kink or result.error <= 1e-8 * abs(result.value)


def _richardson_from(
    function: BatchFunction, x: float, order: int, initial_step: float
) -> Estimate:
    shapes = {
        "central": stencil("central", 2, order),
        "forward": stencil("forward", 1, order),
        "backward": stencil("backward", 1, order),
    }
    union = sorted({o for shape in shapes.values() for o in shape.offsets})
    position = {o: i for i, o in enumerate(union)}
    offsets = np.array(union, dtype=np.float64)
    columns: list[Array] = []
    evaluations = 0
    best: dict[str, tuple[float, float]] = {}
    for batch in range(MAX_BATCHES):
        exponents = np.arange(batch * STEPS_PER_BATCH, (batch + 1) * STEPS_PER_BATCH)
        steps = initial_step * RATIO ** -exponents.astype(np.float64)
        abscissae = x + steps[:, np.newaxis] * offsets[np.newaxis, :]
        values = np.asarray(function(abscissae.reshape(-1)), dtype=np.float64)
        evaluations += abscissae.size
        columns.append((abscissae, values.reshape(abscissae.shape)))
        all_abscissae = np.concatenate([a for a, _ in columns])
        all_values = np.concatenate([v for _, v in columns])
        noise = _noise(all_abscissae - x, all_values)
        best = {
            kind: _extrapolate(
                all_abscissae[:, [position[o] for o in shape.offsets]] - x,
                all_values[:, [position[o] for o in shape.offsets]],
                order,
                shape.exponents,
                noise,
            )
            for kind, shape in shapes.items()
        }
        value, error = _choose(best)[1]
        smallest = float(steps[-1])
        if error <= GOOD_ENOUGH * abs(value) or smallest <= 64 * EPSILON * abs(x):
            break
    kind, (value, error) = _choose(best)
    left, right = best["backward"], best["forward"]
    if _is_kink(best):
        return Estimate(
            math.nan,
            max(left[1], right[1]),
            evaluations,
            None,
            "one-sided",
            left=left[0],
            right=right[0],
        )
    return Estimate(value, error, evaluations, None, kind)


def _choose(best: dict[str, tuple[float, float]]) -> tuple[str, tuple[float, float]]:
    """Central differences when they are sound, else the estimate with the smallest error.

    A one-sided estimate from steps far larger than the function's scale can have a small
    *absolute* error estimate beside a large derivative; central differences, where the
    function allows them, are not second-guessed by it.
    """
    value, error = best["central"]
    if math.isfinite(error) and (
        error <= 1e-3 * abs(value)
        or error <= min(_key(best["forward"][1]), _key(best["backward"][1]))
    ):
        return "central", best["central"]
    ranked = sorted(best.items(), key=lambda item: (_key(item[1][1]), item[0] != "central"))
    return ranked[0]


def _key(error: float) -> float:
    return error if math.isfinite(error) else math.inf


def _agree(one: tuple[float, float], other: tuple[float, float]) -> bool:
    gap = abs(one[0] - other[0])
    return gap <= 100 * (one[1] + other[1]) or gap <= KINK_TOLERANCE * max(
        abs(one[0]), abs(other[0])
    )


def _is_kink(best: dict[str, tuple[float, float]]) -> bool:
    """Left and right derivatives disagree, and the central value agrees with neither."""
    left, right, central = best["backward"], best["forward"], best["central"]
    if not all(math.isfinite(v) for v in (*left, *right)) or _agree(left, right):
        return False
    return not (math.isfinite(central[1]) and (_agree(central, left) or _agree(central, right)))


def _noise(nodes: Array, values: Array) -> float:
    """How much rounding scatters the function's values near the point (absolute).

    The highest difference of each row's equally spaced values is pure noise once the step
    is small; the smallest 4-row maximum of it (ignoring rows where rounding left the values
    identical) measures the noise even when the expression cancels digits, which the bound
    ``ε |f|`` does not see.
    """
    with np.errstate(all="ignore"):
        points = values.shape[1]
        difference = np.diff(values, n=points - 1, axis=1)[:, 0]
        scale = math.sqrt(math.comb(2 * (points - 1), points - 1))
        usable = np.isfinite(difference) & _distinct(nodes)
        magnitude = np.where(usable, np.abs(difference) / scale, np.nan)
        best = math.inf
        for start in range(len(magnitude) - 3):
            window = magnitude[start : start + 4]
            if np.all(np.isfinite(window)) and np.any(window > 0):
                best = min(best, float(np.max(window)))
    return best if math.isfinite(best) else 0.0


def _extrapolate(
    nodes: Array, values: Array, order: int, exponents: tuple[int, ...], noise: float
) -> tuple[float, float]:
    """The best Richardson value and its error estimate for one stencil over all steps.

    ``nodes`` (steps × points) are the actual offsets ``fl(x + o h) - x``: the weights are
    computed for them, so a step that does not add exactly to ``x`` costs no accuracy.
    ``noise`` is the scatter of the function's values (see ``_noise``).
    """
    with np.errstate(all="ignore"):
        weights = np.stack(fornberg_weights(list(nodes.T), order), axis=1)
        usable = np.all(np.isfinite(values), axis=1) & _distinct(nodes)
        weights = np.where(usable[:, np.newaxis], weights, np.nan)
        level = np.sum(weights * values, axis=1)
        rounding = np.sum(np.abs(weights) * (2 * EPSILON * np.abs(values) + noise), axis=1)
        best_value, best_error = math.nan, math.inf
        for depth in range(len(exponents) // 2):
            if depth > 0:
                factor = RATIO ** exponents[depth - 1]
                level = (factor * level[1:] - level[:-1]) / (factor - 1)
                rounding = (factor * rounding[1:] + rounding[:-1]) / (factor - 1)
            if len(level) < 3:
                break
            spread = np.abs(level[1:-1] - level[:-2]) + np.abs(level[1:-1] - level[2:])
            error = spread + rounding[1:-1]
            error = np.where(np.isfinite(error), error, np.inf)
            index = int(np.argmin(error))
            if error[index] < best_error:
                best_value, best_error = float(level[1:-1][index]), float(error[index])
    return best_value, max(best_error, EPSILON * abs(best_value))


def _distinct(nodes: Array) -> Array:
    """Rows whose offsets are all different: the step has not vanished against ``x``."""
    ordered = np.sort(nodes, axis=1)
    return np.all(np.diff(ordered, axis=1) > 0, axis=1)


def estimate(
    function: BatchFunction,
    x: float,
    method: str,
    order: int,
    step: float | None,
    complex_obstacle: str | None,
) -> Estimate:
    """``richardson`` with ``step`` as its largest step."""
    return richardson(function, x, order, step)
