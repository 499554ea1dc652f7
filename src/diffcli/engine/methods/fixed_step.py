"""Fixed-step difference quotients (forward, backward, central, five-point) of one variable."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...catalog import DEFAULT_STEP
from ..coordinates import BatchFunction
from ..estimate import Estimate
from ..kernel import EPSILON, apply_stencil, divided_by_power
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


def fixed_step(
    function: BatchFunction, x: float, method: str, step: float, order: int = 1
) -> Estimate:
    """A textbook difference quotient at step ``h``, with an error estimate from step ``h/2``.

    The value is computed exactly as written, e.g. central ``(f(x+h) - f(x-h)) / (2*h)``, so
    first derivatives agree to the last bit with the primer's code. The error estimate is
    ``|D(h) - D(h/2)| / (1 - 2**-p)`` (truncation, p the accuracy order) plus the rounding
    bound ``ε Σ|w_i f_i| / h**n``.
    """
    shape = method_stencil(method, order)
    offsets = np.array(shape.offsets, dtype=np.float64)
    abscissae = np.concatenate([x + offsets * step, x + offsets * (step / 2)])
    values = np.asarray(function(abscissae))
    count = len(offsets)
    quotient = apply_stencil(shape.numerators, values[:count], shape.denominator, step, order)
    half = apply_stencil(shape.numerators, values[count:], shape.denominator, step / 2, order)
    vanished = bool(np.any(abscissae[:count][offsets != 0] == x))
    accuracy = shape.exponents[0]
    rounding = _rounding(shape.numerators, values[:count], shape.denominator, step, order)
    error = abs(quotient - half) / (1 - 2.0**-accuracy) + rounding
    if vanished:
        error = math.inf
    return Estimate(float(quotient), float(error), 2 * count, step, method, step_vanished=vanished)


def _rounding(
    numerators: tuple[int, ...], values: Any, denominator: int, step: float, order: int
) -> float:
    size = sum(abs(n) * abs(float(v)) for n, v in zip(numerators, values))
    return float(divided_by_power(2 * EPSILON * size, denominator, step, order))


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
