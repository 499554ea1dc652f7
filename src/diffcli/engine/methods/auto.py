"""The most accurate method available: the complex step, checked against Richardson."""

from __future__ import annotations

import math
from dataclasses import replace

from ..coordinates import BatchFunction
from ..estimate import TRUSTED_RELATIVE_ERROR, Estimate
from .complex_step import complex_step
from .richardson import richardson


def auto(
    function: BatchFunction, x: float, order: int = 1, complex_obstacle: str | None = None
) -> Estimate:
    """The most accurate method available: the complex step, checked against Richardson.

    Where the complex step is not allowed (``complex_obstacle`` names why), or where it
    disagrees with Richardson beyond Richardson's error estimate (a branch point such as
    ``sqrt(x**2)`` at 0), or at a kink, Richardson's answer is returned, unless Richardson
    distrusts its own value for want of steps (not for f's noise).
    """
    checked = richardson(function, x, order)
    if complex_obstacle is not None or checked.is_kink:
        return replace(checked, technique=f"Richardson ({checked.technique})")
    complex_estimate = complex_step(function, x, order)
    evaluations = checked.evaluations + complex_estimate.evaluations
    if not math.isfinite(complex_estimate.value):
        return replace(checked, evaluations=evaluations, technique="Richardson")
    gap = abs(complex_estimate.value - checked.value)
    # Richardson's word counts where it trusts its own value, or knows f to be noisy
    if (
        (checked.trusted or checked.noisy)
        and math.isfinite(checked.error)
        and gap > 10 * checked.error + 1e-8 * abs(checked.value)
    ):
        return replace(
            checked,
            evaluations=evaluations,
            technique=f"Richardson ({checked.technique})",
            complex_rejected=True,
        )
    # where f's own values have lost digits (a cancellation inside it), the complex step's
    # scatter does not see it: it is no better than Richardson's estimate
    error = max(complex_estimate.error, checked.error if checked.noisy else 0.0)
    if checked.error <= TRUSTED_RELATIVE_ERROR * abs(checked.value):
        error = max(error, gap)  # Richardson is sure of its value: their gap bounds the error
    return replace(complex_estimate, error=error, evaluations=evaluations, noise=checked.noise)


def estimate(
    function: BatchFunction,
    x: float,
    method: str,
    order: int,
    step: float | None,
    complex_obstacle: str | None,
) -> Estimate:
    """``auto``; it chooses its own steps."""
    return auto(function, x, order, complex_obstacle)
