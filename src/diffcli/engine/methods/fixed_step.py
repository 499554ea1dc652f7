"""Fixed-step difference quotients (forward, backward, central, five-point) of one variable."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...catalog import DEFAULT_STEP
from ..coordinates import BatchFunction
from ..estimate import Estimate
from ..kernel import Array
from ..quotients import (
    EPSILON,
    TRUSTED_RELATIVE_ERROR,
    apply_stencil,
    error_estimate,
    rounding_bound,
    trusted,
)
from .stencils import method_stencil


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
    errors: Array
    #: Where the step disappeared in rounding (``x + h == x``).
    vanished: Array
    #: The rounding bound ``2ε Σ|w_i f_i| / h**n`` (a part of ``errors``).
    rounding: Array
    #: Where the point vanished against the step (``x + h == h``).
    lost: Array
    step: float
    method: str
    evaluations: int

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
            point_lost=bool(self.lost[index]),
        )

    def zero_to_rounding(self) -> Array:
        """Where only "zero to within rounding" can trust the value (``checked_zero``)."""
        with np.errstate(all="ignore"):
            magnitude = np.abs(self.values)
            zero = (magnitude <= self.errors) & np.isfinite(self.errors)
            return zero & ~(self.errors <= TRUSTED_RELATIVE_ERROR * magnitude)

    def trusted(self) -> Array:
        """Where ``Estimate.trusted`` holds, at every point at once."""
        with np.errstate(all="ignore"):
            found = trusted(self.values, self.errors, self.rounding)
            found &= ~(self.lost & (np.abs(self.values) <= self.errors))
        return found & ~self.vanished | ~np.isfinite(self.values)


def fixed_step(
    function: BatchFunction, x: float, method: str, step: float, order: int = 1
) -> Estimate:
    """A textbook difference quotient at step ``h``, with an error estimate from step ``h/2``.

    The value is computed exactly as written, e.g. central ``(f(x+h) - f(x-h)) / (2*h)``, so
    first derivatives agree to the last bit with the primer's code. The error estimate is
    ``|D(h) - D(h/2)| / (1 - 2**-p)`` (truncation, p the accuracy order) plus the rounding
    bound ``ε Σ|w_i f_i| / h**n``.
    """

    def along_rows(abscissae: Array) -> Array:
        return np.asarray(function(abscissae.reshape(-1))).reshape(abscissae.shape)

    return fixed_step_at_points(along_rows, np.array([x]), method, step, order).at(0)


def fixed_step_at_points(
    function: Callable[[Array], Array], xs: Array, method: str, step: float, order: int = 1
) -> FixedStepEstimates:
    """``fixed_step`` at every abscissa of ``xs`` at once, with one step for all: the same
    numbers to the last bit, in one batched evaluation.

    ``function`` maps abscissae of shape (k, n), row i holding every point moved by the
    stencil's i-th offset, to the function's values in that shape.
    """
    shape = method_stencil(method, order)
    offsets = np.array(shape.offsets, dtype=np.float64)[:, np.newaxis]
    abscissae = np.concatenate([xs + offsets * step, xs + offsets * (step / 2)])
    values = np.asarray(function(abscissae))
    count = len(offsets)
    quotient = apply_stencil(shape.numerators, values[:count], shape.denominator, step, order)
    half = apply_stencil(shape.numerators, values[count:], shape.denominator, step / 2, order)
    moved = abscissae[:count][offsets[:, 0] != 0]
    vanished = np.any(moved == xs, axis=0)
    rounding = rounding_bound(shape.numerators, values[:count], shape.denominator, step, order)
    errors = error_estimate(quotient, half, shape.exponents[0], rounding)
    errors = np.where(vanished, math.inf, errors)
    lost = (xs != 0) & (xs + step == step)
    return FixedStepEstimates(quotient, errors, vanished, rounding, lost, step, method, 2 * count)


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
