"""Fixed-step difference quotients (forward, backward, central, five-point) of one variable."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from ...catalog import DEFAULT_STEP
from ...expr.compiling import Compiled
from ..coordinates import BatchFunction
from ..estimate import NOISY, Estimate, checked_zero, noise_at_points
from ..kernel import BATCH_BUDGET, Array
from ..quotients import (
    EPSILON,
    TRUNCATION_SAFETY,
    TRUSTED_RELATIVE_ERROR,
    apply_stencil,
    cancels,
    divided_by_power,
    rounding_bound,
    truncation_estimate,
    trusted,
)
from .stencils import Stencil, method_stencil


def default_step(method: str, x: float, order: int) -> float:
    """The primer's h = 1e-4 for first derivatives; for higher orders ε^(1/(n+p))·max(1, |x|).

    An n-th derivative divides rounding errors by h**n, so 1e-4 would leave nothing of a
    fourth derivative; the scaled step balances truncation (h**p) against rounding.
    """
    if order == 1:
        return DEFAULT_STEP
    accuracy = method_stencil(method, order).exponents[0]
    return float(EPSILON ** (1.0 / (order + accuracy)) * max(1.0, abs(x)))


@dataclass(frozen=True)
class FixedStepEstimates:
    """``fixed_step``'s answer at many points at once: one entry per point."""

    values: Array
    #: The error bounds: the step-halving estimate of the truncation error twice, plus the
    #: rounding (and f's noise, where measured); inf where there is no estimate.
    errors: Array
    #: The most likely errors: the truncation estimate once (what ``trusted`` reads).
    likely: Array
    #: Where the step disappeared in rounding (``x + h == x``).
    vanished: Array
    #: The rounding bound ``2ε Σ|w_i f_i| / h**n`` (a part of ``errors``).
    rounding: Array
    #: Where the point vanished against the step (``x + h == h``).
    lost: Array
    step: float
    method: str
    evaluations: int
    #: f's relative rounding noise where it was measured, else 0: where the value is not
    #: trusted outright (10 more evaluations per point, left out of ``evaluations``, which
    #: counts the quotients' own: the rows of a batch share one count).
    noise: Array
    #: ``Σ|w_i| / h**n``: how far a value moves per unit of error in each of f's values.
    sensitivity: float = 0.0
    #: The stencil's offsets from each point (``o_i h``): where f's rounding bound is read.
    offsets: tuple[float, ...] = ()
    #: f's a-priori rounding bound at each point, the largest at ``offsets`` (absolute), and
    #: against |f(x)|, where the caller computed them (``bounded_by``).
    value_bounds: Array | None = None
    value_loss: Array | None = None

    def bounded_by(self, value_bounds: Array, function_values: Array) -> FixedStepEstimates:
        """The estimates judged also by f's a-priori rounding bound at each point (NaN: none),
        f's computed values there being ``function_values`` (``Estimate.bounded_by``)."""
        with np.errstate(all="ignore"):
            bounds = np.where(np.isfinite(value_bounds), value_bounds, 0.0)
            loss = np.where(function_values != 0, bounds / np.abs(function_values), math.inf)
            # a value of exactly 0 that the bound can move: its error is the bound's reach
            reach = np.fmax(self.errors, self.sensitivity * bounds)
        found = replace(self, value_bounds=bounds, value_loss=loss)
        return replace(found, errors=np.where(found.lost_zeros(), reach, self.errors))

    def lost_zeros(self) -> Array:
        """Where a value of exactly 0 is one f's a-priori rounding bound can move
        (``Estimate.cancels``): the 0 may have lost every digit (``ZeroChecks``)."""
        if self.value_bounds is None:
            return np.zeros(len(self.values), dtype=bool)
        with np.errstate(all="ignore"):
            cancellation = self.sensitivity * self.value_bounds
            return (self.values == 0) & cancels(self.values, cancellation, self.rounding)

    def at(self, index: int) -> Estimate:
        """The estimate at one point, as ``fixed_step`` gives it."""
        vanished = bool(self.vanished[index])
        return Estimate(
            float(self.values[index]),
            float(self.errors[index]),
            self.evaluations,
            self.step,
            self.method,
            step_vanished=vanished,
            rounding=float(self.rounding[index]),
            noise=float(self.noise[index]),
            point_lost=bool(self.lost[index]),
            likely_error=float(self.likely[index]),
            sensitivity=self.sensitivity,
            abscissae=self.offsets,
            value_bound=0.0 if self.value_bounds is None else float(self.value_bounds[index]),
            value_loss=0.0 if self.value_loss is None else float(self.value_loss[index]),
        )

    @property
    def noisy(self) -> Array:
        """Where f's values scatter far beyond ε (``Estimate.noisy``)."""
        return self.noise > NOISY * EPSILON

    def zero_to_rounding(self) -> Array:
        """Where only "zero to within rounding" can trust the value (``checked_zero``)."""
        with np.errstate(all="ignore"):
            magnitude = np.abs(self.values)
            zero = (magnitude <= self.likely) & np.isfinite(self.likely)
            return zero & ~(self.likely <= TRUSTED_RELATIVE_ERROR * magnitude)

    def trusted(self) -> Array:
        """Where ``Estimate.trusted`` holds, at every point at once."""
        with np.errstate(all="ignore"):
            found = trusted(self.values, self.likely, self.rounding)
            found &= ~((self.lost | self.noisy) & (np.abs(self.values) <= self.likely))
            if self.value_bounds is not None:
                cancellation = self.sensitivity * self.value_bounds
                found &= ~cancels(self.values, cancellation, self.rounding)
        return found & ~self.vanished | ~np.isfinite(self.values)

    def checked(
        self, xs: Array, line: Callable[[int], BatchFunction]
    ) -> tuple[Array, dict[int, Estimate]]:
        """Where the values are trusted, after ``checked_zero`` at the points only "zero to
        within rounding" trusts (``line(index)``: f along the coordinate at that point), and
        those points' checked estimates."""
        found = self.trusted()
        checked = {}
        for index in np.flatnonzero(found & self.zero_to_rounding()).tolist():
            with np.errstate(all="ignore"):
                checked[index] = checked_zero(self.at(index), line(index), float(xs[index]))
            found[index] = checked[index].trusted
        return found, checked

    @staticmethod
    def joined(parts: Sequence[FixedStepEstimates]) -> FixedStepEstimates:
        """The estimates of consecutive batches of points as one."""
        first = parts[0]
        if len(parts) == 1:
            return first

        def joined_field(name: str) -> Array:
            return np.concatenate([getattr(part, name) for part in parts])

        return FixedStepEstimates(
            joined_field("values"),
            joined_field("errors"),
            joined_field("likely"),
            joined_field("vanished"),
            joined_field("rounding"),
            joined_field("lost"),
            first.step,
            first.method,
            first.evaluations,
            joined_field("noise"),
            first.sensitivity,
            first.offsets,
        )


#: A truncation estimate above this share of the value means h is far beyond f's scale
#: (``1/x`` at 1e-5 with h = 1e-4): D(h) and D(h/2) are not in the range where the error
#: shrinks like h**p, so their gap bounds nothing and the error estimate is ``inf``.
OUT_OF_RANGE = 0.25


def fixed_step(
    function: BatchFunction, x: float, method: str, step: float, order: int = 1
) -> Estimate:
    """A textbook difference quotient at step ``h``, with an error estimate from steps ``h/2``
    (and ``h/4``: every stencil but the central one), or for higher derivatives by central
    and five-point stencils from ``2h`` and ``4h`` (``_CHECK_SCALES``).

    The value is computed exactly as written, e.g. central ``(f(x+h) - f(x-h)) / (2*h)``, so
    first derivatives agree to the last bit with the primer's code. The error estimate is
    twice ``|D(h) - D(h/2)| / (1 - 2**-p)`` (truncation, p the accuracy order) plus the
    rounding bound ``2ε Σ|w_i f_i| / h**n`` (from 2h: ``|D(2h) - D(h)| / (2**p - 1)``, the
    larger of the two pairs'); ``inf`` where the truncation part exceeds ``OUT_OF_RANGE`` of
    the value and the rounding (no estimate there), or, for first-order stencils (forward,
    backward), where the gap D(h) - D(h/2) is not 1 to 8 times the gap D(h/2) - D(h/4) (2
    where the estimate holds), and from 2h where the gaps do not shrink as h**p does
    (``_checked_truncation``).
    """
    return fixed_step_at_points(_rows(function), np.array([x]), method, step, order).at(0)


def values_at_steps(
    function: BatchFunction, x: float, method: str, steps: Sequence[float]
) -> Array:
    """``fixed_step``'s first-derivative value (not its error estimate) at each of ``steps``,
    to the last bit, from one evaluation of f: what ``sweep`` tabulates."""
    shape = method_stencil(method, 1)
    offsets = np.array(shape.offsets, dtype=np.float64)[:, np.newaxis]
    # step 1.0 scaled by each step: the abscissae x + o * (1.0 * h), bit for bit fixed_step's
    _, quotients = _quotients_at(
        _rows(function), np.array([x]), shape, offsets, 1.0, tuple(steps), 1
    )
    return np.array([quotient[0] for quotient in quotients])


def _rows(function: BatchFunction) -> PointsFunction:
    """A function of one point's abscissae as a ``PointsFunction`` of that one point."""

    def along_rows(abscissae: Array, which: Array | None = None) -> Array:
        return np.asarray(function(abscissae.reshape(-1))).reshape(abscissae.shape)

    return along_rows


class PointsFunction(Protocol):
    """f at abscissae of shape (k, m), column j moved from point ``which[j]`` of the batch
    (from every point, in order, where ``which`` is None), as values of that shape."""

    def __call__(self, abscissae: Array, which: Array | None = None) -> Array: ...


def fixed_step_at_points(
    function: PointsFunction, xs: Array, method: str, step: float, order: int = 1
) -> FixedStepEstimates:
    """``fixed_step`` at every abscissa of ``xs`` at once, with one step for all: the same
    numbers to the last bit, in one batched evaluation (and one more of f's noise at the
    points whose value is not trusted outright).

    ``function`` takes abscissae of shape (k, n), row i holding every point moved by the
    stencil's i-th offset (see ``PointsFunction``).
    """
    shape = method_stencil(method, order)
    accuracy = shape.exponents[0]
    offsets = np.array(shape.offsets, dtype=np.float64)[:, np.newaxis]
    count = len(offsets)
    # a first-order quotient's next error term is only one power of h below the first:
    # a third step checks that the gap changes with the step as that error does; a wide
    # stencil's second gap shows noise of f that the first can miss
    doubles = order > 1 and accuracy > 1
    scales = _CHECK_SCALES[doubles][: 2 if accuracy == 2 and not doubles else 3]
    values, quotients = _quotients_at(function, xs, shape, offsets, step, scales, order)
    quotient = quotients[0]
    abscissae = xs + offsets * step
    vanished = np.any(abscissae[offsets[:, 0] != 0] == xs, axis=0)
    moves = None  # how far each value moves with its abscissa's rounding (first derivatives)
    if order == 1:
        with np.errstate(all="ignore"):
            moves = _abscissa_shifts(abscissae, xs, offsets, step) * np.abs(quotient)
    rounding = rounding_bound(
        shape.numerators, values[:count], shape.denominator, step, order, moves
    )
    evaluations = len(scales) * count
    truncation, beyond = _checked_truncation(quotients, rounding, scales, accuracy)
    if doubles:
        # where a larger step leaves f's domain (or the doubles), the smaller ones check h
        fallback = np.flatnonzero(np.isfinite(quotient) & ~np.isfinite(truncation))
        if fallback.size:
            smaller = _CHECK_SCALES[False][: len(scales)]

            def at_fallback(abscissae: Array, which: Array | None = None) -> Array:
                return function(abscissae, fallback if which is None else fallback[which])

            found = _quotients_at(at_fallback, xs[fallback], shape, offsets, step, smaller, order)
            truncation[fallback], beyond[fallback] = _checked_truncation(
                found[1], rounding[fallback], smaller, accuracy
            )
            evaluations += len(smaller) * count
    errors, likely = halving_bounds(truncation, rounding, vanished | beyond)
    lost = (xs != 0) & (xs + step == step)
    # where the value is not trusted outright, f's own noise is measured: the rounding bound
    # assumes values rounded once, and a cancellation inside f (sqrt(x + 1) - sqrt(x) at
    # 1e10) moves each value by its noise instead
    probed = np.isfinite(likely) & ~(likely <= TRUSTED_RELATIVE_ERROR * np.abs(quotient))
    probed &= xs != 0
    noise = np.zeros(np.shape(xs))
    if probed.any():
        which = np.flatnonzero(probed)
        noise[which] = noise_at_points(lambda points: function(points, which), xs[which])
        errors = errors + rounding * noise / EPSILON
        likely = likely + rounding * noise / EPSILON
    sensitivity = float(
        divided_by_power(sum(map(abs, shape.numerators)), shape.denominator, step, order)
    )
    return FixedStepEstimates(
        quotient,
        errors,
        likely,
        vanished,
        rounding,
        lost,
        step,
        method,
        evaluations,
        noise,
        sensitivity,
        tuple(float(offset) * step for offset in shape.offsets),
    )


#: The steps, as multiples of h, whose quotients check the one at h: smaller ones for first
#: derivatives and first-order stencils; larger ones for higher derivatives by central and
#: five-point stencils, whose step balances truncation against rounding, which grows like
#: h**-n: at h/2 it is 2**n times h's, and the gap D(h) - D(h/2) measures that rather than
#: the truncation at h (``exp`` at 1, order 4, five-point: 2.1e-5 for an error of 2.4e-7).
_CHECK_SCALES = {False: (1.0, 0.5, 0.25), True: (1.0, 2.0, 4.0)}


def _quotients_at(
    function: PointsFunction,
    xs: Array,
    shape: Stencil,
    offsets: Array,
    step: float,
    scales: tuple[float, ...],
    order: int,
) -> tuple[Array, list[Array]]:
    """f's values at the stencil's points for each step ``step * scale`` (rows: the offsets at
    the first step, then at the next), and the quotient at each step."""
    abscissae = np.concatenate([xs + offsets * (step * scale) for scale in scales])
    values = np.asarray(function(abscissae))
    count = len(offsets)
    quotients = [
        apply_stencil(
            shape.numerators,
            values[k * count : (k + 1) * count],
            shape.denominator,
            step * scale,
            order,
        )
        for k, scale in enumerate(scales)
    ]
    return values, quotients


def _checked_truncation(
    quotients: list[Array],
    rounding: Array,
    scales: tuple[float, ...],
    accuracy: int,
) -> tuple[Array, Array]:
    """The truncation error of the quotient at h (``quotients[0]``) from its gaps to the
    quotients at the other steps (``scales``: 1, then halved or doubled), and where that
    estimate says nothing (``out_of_range``; with a first-order stencil or larger steps,
    three steps whose gaps do not shrink as h**p does); NaN where a quotient is not finite."""
    doubled = scales[1] > 1
    with np.errstate(all="ignore"):
        # each pair of consecutive steps estimates the error at its larger step, which is
        # (larger / h)**p times the error at h
        pairs = []
        for k in range(len(scales) - 1):
            larger, smaller = (k + 1, k) if doubled else (k, k + 1)
            at_larger = truncation_estimate(quotients[larger], quotients[smaller], accuracy)
            pairs.append(at_larger / max(scales[larger], 1.0) ** accuracy)
        # f's noise at x ± h can cancel in one gap, not in both
        both = accuracy >= 4 or doubled
        truncation = np.maximum(pairs[0], pairs[1]) if both else pairs[0]
        beyond = out_of_range(quotients[0], truncation, rounding)
        if accuracy == 1 or doubled:
            # the gaps shrink about 2**p-fold per halving of the step (half that to 4 times
            # it: faster where the next derivatives vanish at x, and the estimate only
            # larger); the gap between the two smaller steps is rounding where it is within
            # twice the rounding at the smallest step, taken as a first derivative's (4 times
            # h's at h/4; forward and backward judge higher orders so too, as before)
            widest, middle, narrowest = sorted(range(3), key=lambda k: -scales[k])
            narrow = quotients[middle] - quotients[narrowest]
            ratio = (quotients[widest] - quotients[middle]) / narrow
            expected = 2.0**accuracy
            erratic = ~((ratio >= expected / 2) & (ratio <= 4 * expected))
            noise = 2 * rounding / scales[narrowest]
            beyond |= erratic & (np.abs(narrow) > noise) & (truncation > rounding)
    return truncation, beyond


def out_of_range(quotient: Array, truncation: Array, rounding: Array) -> Array:
    """Where a truncation estimate is past the range in which the error shrinks like h**p
    (``OUT_OF_RANGE``): there it says nothing."""
    with np.errstate(all="ignore"):
        return (truncation > OUT_OF_RANGE * np.abs(quotient)) & (truncation > rounding)


def halving_bounds(truncation: Array, rounding: Array, unusable: Array) -> tuple[Array, Array]:
    """The error bound (``TRUNCATION_SAFETY`` times the truncation estimate ``|D(h) -
    D(h/2)| / (1 - 2**-p)``, plus the rounding) and the most likely error (the truncation
    once, plus the rounding) of quotients; ``inf`` where ``unusable``."""
    with np.errstate(all="ignore"):
        likely = np.where(unusable, math.inf, truncation + rounding)
        errors = np.where(unusable, math.inf, TRUNCATION_SAFETY * truncation + rounding)
    return errors, likely


def partials_at_points(
    compiled: Compiled,
    columns: Mapping[str, Array],
    names: tuple[str, ...],
    method: str = "central",
    step: float = DEFAULT_STEP,
) -> dict[str, FixedStepEstimates]:
    """Each partial derivative of a scalar expression at many points of scalar variables at
    once (``columns``: each variable's value at every point, float64 arrays of one length),
    with ``fixed_step``'s error estimate. Each value equals ``kernel.partials`` at that point
    to the last bit: the same moved coordinates, the same element-wise evaluation, the same
    stencil; the estimate costs one more batched evaluation per offset at h/2 (and h/4 for
    ``forward`` and ``backward``)."""
    base = {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}
    length = len(next(iter(base.values()))) if base else 0
    chunk = max(1, BATCH_BUDGET // _rows_per_point(method))
    parts: dict[str, list[FixedStepEstimates]] = {name: [] for name in names}
    for start in range(0, max(length, 1), chunk):
        part = {name: column[start : start + chunk] for name, column in base.items()}
        for name in names:
            function = columns_function(compiled, part, name)
            parts[name].append(fixed_step_at_points(function, part[name], method, step))
    return {name: FixedStepEstimates.joined(found) for name, found in parts.items()}


def partials_by_coordinate(
    compiled: Compiled,
    point: Mapping[str, Array],
    name: str,
    method: str = "central",
    step: float = DEFAULT_STEP,
) -> FixedStepEstimates:
    """The partial derivatives by every coordinate of variable ``name`` at one point (flat,
    in C order), with ``fixed_step``'s error estimate; each value equals ``kernel.partials``
    to the last bit. Perturbed copies of the point are evaluated in bounded batches."""
    base = {other: np.asarray(value, dtype=np.float64) for other, value in point.items()}
    value = base[name]
    flat = value.reshape(-1)
    others = {other: v[np.newaxis, ...] for other, v in base.items() if other != name}

    def function(abscissae: Array, which: Array) -> Array:
        count = abscissae.size
        rows = np.repeat(flat[np.newaxis, :], count, axis=0)
        rows[np.arange(count), np.tile(which, len(abscissae))] = abscissae.reshape(-1)
        env = {**others, name: rows.reshape((count, *value.shape))}
        found = np.asarray(compiled.evaluate_batch(env)).reshape(-1)
        return np.broadcast_to(found, (count,)).reshape(abscissae.shape)

    chunk = max(1, BATCH_BUDGET // (_rows_per_point(method) * max(flat.size, 1)))
    parts = []
    for start in range(0, max(flat.size, 1), chunk):
        indices = np.arange(start, min(flat.size, start + chunk))

        def moved(abscissae: Array, which: Array | None = None, indices: Array = indices) -> Array:
            return function(abscissae, indices if which is None else indices[which])

        parts.append(fixed_step_at_points(moved, flat[indices], method, step))
    return FixedStepEstimates.joined(parts)


def _rows_per_point(method: str) -> int:
    """How many values of f ``fixed_step_at_points`` takes per point (first derivatives)."""
    shape = method_stencil(method)
    return len(shape.offsets) * (2 if shape.exponents[0] == 2 else 3)


def columns_function(compiled: Compiled, columns: Mapping[str, Array], name: str) -> PointsFunction:
    """f at abscissae of variable ``name`` (shape (k, n)), the other variables at their
    values in ``columns`` (see ``PointsFunction``)."""

    def function(abscissae: Array, which: Array | None = None) -> Array:
        chosen = {n: c if which is None else c[which] for n, c in columns.items()}
        env = {
            other: np.broadcast_to(column, abscissae.shape).reshape(-1)
            for other, column in chosen.items()
        }
        env[name] = abscissae.reshape(-1)
        found = compiled.evaluate_batch(env)
        return np.broadcast_to(found, (abscissae.size,)).reshape(abscissae.shape)

    return function


def _abscissa_shifts(abscissae: Array, xs: Array, offsets: Array, step: float) -> Array:
    """``|fl(x + o h) - (x + o h)|`` for each row of ``abscissae``: exact by Fast2Sum where
    ``|o h| <= |x|``, else half an ulp of the abscissa (a bound)."""
    shifts = offsets * step
    with np.errstate(all="ignore"):
        exact = np.abs((abscissae - xs) - shifts)
        return np.where(np.abs(shifts) <= np.abs(xs), exact, np.spacing(np.abs(abscissae)) / 2)


def estimate(
    function: BatchFunction,
    x: float,
    method: str,
    order: int,
    step: float | None,
    complex_obstacle: str | None,
) -> Estimate:
    """``fixed_step`` at ``step``, by default ``default_step``."""
    chosen = default_step(method, x, order) if step is None else step
    return fixed_step(function, x, method, chosen, order)
