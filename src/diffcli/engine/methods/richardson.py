"""Adaptive Richardson extrapolation of one variable, in the manner of DERIVEST."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from typing import Any

import numpy as np

from ..coordinates import BatchFunction
from ..estimate import NOISY, Estimate
from ..quotients import EPSILON
from .stencils import Stencil, fornberg_weights, stencil

Array = Any
#: Steps shrink by this ratio, this many per batch, at most this many batches.
RATIO = 2.0
STEPS_PER_BATCH = 24
MAX_BATCHES = 4
#: Richardson stops asking for smaller steps once its error estimate is this small (relative).
GOOD_ENOUGH = 1e-13
#: The spacing of the subnormal doubles: the least rounding error of any value.
SMALLEST = 2.0**-1074
#: Left and right derivatives differ by more than this (relative) at a kink.
KINK_TOLERANCE = 1e-6


def richardson(
    function: BatchFunction,
    x: float,
    order: int = 1,
    initial_step: float | None = None,
    measured_noise: float | None = None,
    steps: int = STEPS_PER_BATCH,
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
        measured_noise: the rounding noise of the function's values, where the caller has
            measured it (absolute): the least noise assumed, and since smaller steps then
            have nothing more to show, no batch of steps is taken once the rounding at the
            smallest step exceeds the error estimate.
        steps: the steps of a batch (fewer where f's values are exact to their last bit:
            ``engine/reference.py``).
    """
    floor = 0.0 if measured_noise is None else measured_noise
    stops = measured_noise is not None
    if initial_step is not None:
        return _richardson_from(function, x, order, initial_step, floor, stops, steps)[0]
    first_step = power_of_two(max(1.0, abs(x))) / 4
    result, noise = _richardson_from(function, x, order, first_step, floor, stops, steps)
    # far from 0, a value trusted as zero to within rounding has nothing to alias (a linear
    # direction); one that is not (sin at 1e8, whose steps from 2**24 alias) is tried again
    far_zero = abs(x) > 1 and abs(result.value) <= result.error and result.trusted
    if 0 < abs(x) != 1 and not _sound(result) and not far_zero:
        # the function's scale is |x| (log, sqrt, 1/x near 0): start again from |x|/4, with
        # the noise the first run measured (its small steps may miss the jumps of f); far from
        # 0 it may be 1 (sin at 1e8, whose steps from |x|/4 alias, and see noise in the
        # aliasing): start again from 1/4
        retry_step = power_of_two(min(1.0, abs(x))) / 4
        floor = noise if abs(x) < 1 else floor
        retry = _richardson_from(function, x, order, retry_step, floor, stops, steps)[0]
        evaluations = result.evaluations + retry.evaluations
        better = retry if _sound(retry) or _relative(retry) < _relative(result) else result
        if not _sound(retry) and abs(retry.value - result.value) <= retry.error > result.error:
            better = result  # the retry only widens what the first run says
        if abs(retry.value - result.value) > retry.error + result.error:
            better = retry  # they cannot both be right: the larger steps aliased f's scale
        return replace(better, evaluations=evaluations)
    return result


def power_of_two(value: float) -> float:
    """The largest power of 2 not above ``value`` (a step that divides out exactly)."""
    return 2.0 ** math.floor(math.log2(value))


def _relative(result: Estimate) -> float:
    """The error estimate against the value (inf where that says nothing)."""
    if result.is_kink or not result.error < math.inf or result.value == 0:
        return math.inf
    return result.error / abs(result.value)


def _sound(result: Estimate) -> bool:
    return result.is_kink or result.error <= 1e-8 * abs(result.value)


def _richardson_from(
    function: BatchFunction,
    x: float,
    order: int,
    initial_step: float,
    noise_floor: float = 0.0,
    stops_at_rounding: bool = False,
    steps_per_batch: int = STEPS_PER_BATCH,
) -> tuple[Estimate, float]:
    """Richardson from one largest step, and the noise of f it measured (absolute); with
    ``stops_at_rounding``, no further batch once the smallest step's rounding exceeds the
    error estimate."""
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
    best: dict[str, Extrapolated] = {}
    for batch in range(MAX_BATCHES):
        exponents = np.arange(batch * steps_per_batch, (batch + 1) * steps_per_batch)
        steps = initial_step * RATIO ** -exponents.astype(np.float64)
        abscissae = x + steps[:, np.newaxis] * offsets[np.newaxis, :]
        values = np.asarray(function(abscissae.reshape(-1)), dtype=np.float64)
        evaluations += abscissae.size
        columns.append((abscissae, values.reshape(abscissae.shape)))
        all_abscissae = np.concatenate([a for a, _ in columns])
        all_values = np.concatenate([v for _, v in columns])
        noise = max(_noise(all_abscissae - x, all_values), noise_floor)
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
        value, error = _choose(best)[1][:2]
        smallest = float(steps[-1])
        if error <= GOOD_ENOUGH * abs(value) or smallest <= 64 * EPSILON * abs(x):
            break
        last = values.reshape(abscissae.shape)[-1]
        central = shapes["central"]
        if (
            stops_at_rounding
            and _rounding_at(central, last, position, smallest, order, noise) > error
        ):
            break
    kind, (value, error, rounding, likely, sensitivity, ends) = _choose(best)
    left, right = best["backward"], best["forward"]
    centre = all_values[0, position[0]] if 0 in position else math.nan
    relative_noise = _relative_noise(noise, float(centre))
    if _is_kink(best):
        return Estimate(
            math.nan,
            max(left[1], right[1]),
            evaluations,
            None,
            "one-sided",
            left=left[0],
            right=right[0],
            noise=relative_noise,
        ), noise
    found = Estimate(
        value,
        error,
        evaluations,
        None,
        kind,
        rounding=rounding,
        noise=relative_noise,
        likely_error=likely,
        sensitivity=sensitivity if math.isfinite(sensitivity) else 0.0,
        abscissae=ends,
    )
    return found, noise


def _rounding_at(
    shape: Stencil, values: Array, position: dict[int, int], step: float, order: int, noise: float
) -> float:
    """The rounding error of ``shape``'s quotient at ``step`` from one row of ``values``
    (NaN where a value is not finite)."""
    row = values[[position[o] for o in shape.offsets]]
    weights = np.abs(np.array([float(w) for w in shape.weights]))
    with np.errstate(all="ignore"):
        total = float(np.sum(weights * (2 * EPSILON * np.abs(row) + noise)))
        return float(_divided(total, step, order))


def _relative_noise(noise: float, centre: float) -> float:
    """The measured noise relative to ``|f(x)|`` (0 where f(x) is unknown or 0)."""
    if noise == 0 or not math.isfinite(centre) or centre == 0:
        return 0.0
    return noise / abs(centre)


#: Value, error estimate, the part of it that f's double rounding explains, the most likely
#: error, how far the value moves per unit of error in each of f's values, and the offsets of
#: the values at its largest and smallest steps.
Extrapolated = tuple[float, float, float, float, float, tuple[float, ...]]


def _choose(best: dict[str, Extrapolated]) -> tuple[str, Extrapolated]:
    """Central differences when they are sound, else the estimate with the smallest error.

    A one-sided estimate from steps far larger than the function's scale can have a small
    *absolute* error estimate beside a large derivative; central differences, where the
    function allows them, are not second-guessed by it.
    """
    value, error = best["central"][:2]
    one_sided = [best[side] for side in ("forward", "backward") if math.isfinite(best[side][1])]
    smallest = min((side[1] for side in one_sided), default=math.inf)
    if math.isfinite(error) and (
        error <= 1e-3 * abs(value)
        or error <= smallest
        # a zero or flat-to-rounding derivative: central agrees with the one-sided values
        or (error <= 100 * smallest and all(_agree(best["central"], s) for s in one_sided))
    ):
        return "central", best["central"]
    ranked = sorted(best.items(), key=lambda item: (_key(item[1][1]), item[0] != "central"))
    return ranked[0]


def _key(error: float) -> float:
    return error if math.isfinite(error) else math.inf


def _agree(one: Extrapolated, other: Extrapolated) -> bool:
    gap = abs(one[0] - other[0])
    return gap <= 100 * (one[1] + other[1]) or gap <= KINK_TOLERANCE * max(
        abs(one[0]), abs(other[0])
    )


def _is_kink(best: dict[str, Extrapolated]) -> bool:
    """Left and right derivatives disagree, and the central value agrees with neither."""
    left, right, central = best["backward"], best["forward"], best["central"]
    if not all(math.isfinite(v) for v in (*left[:2], *right[:2])) or _agree(left, right):
        return False
    return not (math.isfinite(central[1]) and (_agree(central, left) or _agree(central, right)))


def _noise(nodes: Array, values: Array) -> float:
    """How much rounding scatters the function's values near the point (absolute).

    The highest difference of each row's equally spaced values shrinks like a power of the
    step while the function's smoothness shows (the truncation regime). Past the first such
    run, a difference that does not follow its predecessor that way is rounding noise. The
    noise is the largest of those: where the expression cancels digits, its values move in
    jumps that most small steps miss (a staircase that looks smooth between the jumps), and
    a quotient across a jump is off by the jump over the step. Differences above
    ``_NOT_NOISE`` of the values are the function itself (steps far above its scale), and
    rows where the step vanished are ignored.
    """
    with np.errstate(all="ignore"):
        points = values.shape[1]
        difference = np.diff(values, n=points - 1, axis=1)[:, 0]
        scale = math.sqrt(math.comb(2 * (points - 1), points - 1))
        usable = np.isfinite(difference) & _distinct(nodes)
        magnitude = np.abs(difference[usable]) / scale
        size = np.max(np.abs(values[usable]), axis=1, initial=0.0)
        # while the function's shape dominates, halving the step divides the difference by
        # about RATIO**(points - 1) (more where a derivative vanishes, RATIO at a kink)
        ratio = magnitude[:-1] / np.where(magnitude[1:] > 0, magnitude[1:], np.nan)
    power = RATIO ** (points - 1)
    smooth = (ratio >= RATIO / 1.25) & (ratio <= power * RATIO**2 * 1.25)
    first = -1
    if smooth.size >= _SMOOTH_RUN:
        window = np.lib.stride_tricks.sliding_window_view(smooth, _SMOOTH_RUN)
        runs = np.flatnonzero(np.all(window, axis=1))
        first = int(runs[0]) if runs.size else -1
    candidate = np.zeros(magnitude.size, dtype=bool)
    candidate[first + 1 :] = True
    candidate[1:] &= ~smooth
    candidate &= magnitude <= _NOT_NOISE * size
    return float(np.max(magnitude[candidate], initial=0.0))


#: At least this many steps in a row whose differences shrink as smoothness predicts make
#: a truncation regime.
_SMOOTH_RUN = 3
#: A highest difference above this share of the values is the function's shape, not noise.
_NOT_NOISE = 1e-3


def _extrapolate(
    nodes: Array, values: Array, order: int, exponents: tuple[int, ...], noise: float
) -> Extrapolated:
    """The best Richardson value, its error estimate, that estimate's share from f's
    double rounding, its most likely error (the spread plus f's values rounded once,
    half a spacing each, or off by the noise measured where it is larger:
    ``Estimate.likely_error``) and its ``Estimate.sensitivity``, for one stencil over all
    steps.

    ``nodes`` (steps × points) are the actual offsets ``fl(x + o h) - x``: the weights are
    computed for them, so a step that does not add exactly to ``x`` costs no accuracy.
    ``noise`` is the scatter of the function's values (see ``_noise``). The third number,
    the rounding part of the error estimate, counts it only where it is near ``ε |f|``.
    """
    with np.errstate(all="ignore"):
        usable = np.all(np.isfinite(values), axis=1) & _distinct(nodes)
        unit = _units(nodes, usable, order)
        weights = np.stack(fornberg_weights(list((nodes / unit[:, np.newaxis]).T), order), axis=1)
        weights = np.where(usable[:, np.newaxis], weights, np.nan)
        level = _divided(np.sum(weights * values, axis=1), unit, order)
        # a value also carries the spacing of the subnormal numbers (x**2 at 1e-300 is 0)
        own = _divided(np.sum(np.abs(weights) * 2 * EPSILON * np.abs(values), axis=1), unit, order)
        sensitivity = _divided(np.sum(np.abs(weights), axis=1), unit, order)
        own = own + SMALLEST * sensitivity
        measured = _divided(np.sum(np.abs(weights) * noise, axis=1), unit, order)
        rounding = own + measured
        # the most likely rounding: each value rounded once (half its own spacing, at most
        # ε/2 of it), or off by the noise measured where that is larger: a noise measured
        # below half a spacing is that rounding, seen (it is not added to it)
        once = _divided(np.sum(np.abs(weights) * _rounded_once(values, noise), axis=1), unit, order)
        if noise <= NOISY * EPSILON * np.max(np.abs(values), initial=0.0, where=usable[:, None]):
            own = rounding  # noise at the level of f's own rounding is rounding
        best_value, best_error, best_own, best_likely = math.nan, math.inf, math.inf, math.inf
        best_sensitivity, best_abscissae = 0.0, tuple[float, ...]()
        for depth in range(len(exponents) // 2):
            if depth > 0:
                factor = RATIO ** exponents[depth - 1]
                level = (factor * level[1:] - level[:-1]) / (factor - 1)
                rounding = (factor * rounding[1:] + rounding[:-1]) / (factor - 1)
                own = (factor * own[1:] + own[:-1]) / (factor - 1)
                once = (factor * once[1:] + once[:-1]) / (factor - 1)
                sensitivity = (factor * sensitivity[1:] + sensitivity[:-1]) / (factor - 1)
            if len(level) < 3:
                break
            spread = np.abs(level[1:-1] - level[:-2]) + np.abs(level[1:-1] - level[2:])
            error = spread + rounding[1:-1]
            error = np.where(np.isfinite(error), error, np.inf)
            index = int(np.argmin(error))
            if error[index] < best_error:
                best_value, best_error = float(level[1:-1][index]), float(error[index])
                best_own = float(own[1:-1][index])
                best_likely = float(spread[index] + once[1:-1][index])
                best_sensitivity = float(sensitivity[1:-1][index])
                # level ``index + 1`` of this depth combines rows index + 1 … index + 1 + depth
                ends = nodes[[index + 1, index + 1 + depth]].reshape(-1)
                best_abscissae = tuple(float(offset) for offset in ends)
    floor = EPSILON * abs(best_value)
    return (
        best_value,
        max(best_error, floor),
        best_own,
        max(best_likely, floor),
        best_sensitivity,
        best_abscissae,
    )


def _rounded_once(values: Array, noise: float) -> Array:
    """How far each value is most likely off: half the spacing of the doubles at it (one
    correct rounding; the subnormal spacing at least), or ``noise`` where that is larger."""
    return np.maximum(np.maximum(np.spacing(np.abs(values)) / 2, SMALLEST), noise)


def _units(nodes: Array, usable: Array, order: int) -> Array:
    """The unit each row's offsets are measured in: 1, unless a step raised to ``order`` is
    no normal double (the third derivative at x = 1e300, or at 1e-150); then each row's
    largest offset, so that the weights stay finite."""
    spans = np.max(np.abs(nodes), axis=1)
    powers = spans[usable] ** order
    if np.all((powers >= sys.float_info.min) & (powers < math.inf)):
        return np.ones_like(spans)
    return np.where(spans > 0, spans, 1.0)


def _divided(total: Array, unit: Array, order: int) -> Array:
    """``total / unit**order``, one power at a time (``unit**order`` may be no double)."""
    for _ in range(order):
        total = total / unit
    return total


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
