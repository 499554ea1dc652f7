"""The most accurate method: the complex step, checked on the real axis or by Richardson."""

from __future__ import annotations

import math
from dataclasses import replace

from ..coordinates import BatchFunction
from ..estimate import Estimate
from ..quotients import TRUSTED_RELATIVE_ERROR
from .complex_step import CHECKED_ORDER, checked_on_real_axis, complex_step, quotient_scatter
from .richardson import richardson


def auto(
    function: BatchFunction, x: float, order: int = 1, complex_obstacle: str | None = None
) -> Estimate:
    """The most accurate method available: the complex step, checked on the real axis.

    For first and second derivatives the complex step is trusted where it is sure of its
    value, f's real values carry no noise beyond rounding, and a five-point quotient of
    those values (the noise check's, at two spacings following |x|, and above |x| = 1 also
    1) agrees with it within that quotient's own error: a few dozen evaluations. Elsewhere,
    and for higher orders, Richardson decides: where the complex step is not allowed
    (``complex_obstacle`` names why), where it disagrees with Richardson beyond Richardson's
    error estimate (a branch point), or at a kink (``sqrt(x**2)`` at 0), Richardson's answer
    is returned, unless Richardson distrusts its own value for want of steps (not for f's
    noise) or finds only zero to within rounding.
    """
    if complex_obstacle is not None:
        checked = richardson(function, x, order)
        return replace(checked, technique=f"Richardson ({checked.technique})")
    complex_estimate = complex_step(function, x, order)
    spent = complex_estimate.evaluations
    if order <= CHECKED_ORDER and math.isfinite(complex_estimate.value):
        scatter = 0.0
        if order == 1 and complex_estimate.step is not None:
            scatter, evaluations = quotient_scatter(
                function, x, complex_estimate.step, complex_estimate.value
            )
            spent += evaluations
        # f's scale is |x| (log, 1/x near 0) or, above 1, may be 1 (sin at 1e8, whose real
        # values at spacings of |x| * 2**-18 alias and look noisy)
        for scale in (abs(x), 1.0) if abs(x) > 1 else (abs(x) or 1.0,):
            found = replace(complex_estimate, evaluations=spent)
            candidate, agrees = checked_on_real_axis(function, x, found, scatter, scale, order)
            spent = candidate.evaluations
            if agrees:
                return candidate
    checked = richardson(function, x, order)
    evaluations = checked.evaluations + spent
    if checked.is_kink:
        return replace(
            checked, evaluations=evaluations, technique=f"Richardson ({checked.technique})"
        )
    if not math.isfinite(complex_estimate.value):
        return replace(checked, evaluations=evaluations, technique="Richardson")
    gap = abs(complex_estimate.value - checked.value)
    # Richardson's word counts where it trusts its own value, or knows f to be noisy
    if (
        (checked.trusted or checked.noisy)
        and math.isfinite(checked.error)
        and gap > 10 * checked.error + 1e-8 * abs(checked.value)
    ):
        # zero to within rounding is no evidence against a value the complex step is sure
        # of (Richardson's steps can alias, or move a coordinate that rounds away); against
        # one it is not sure of either, nothing is known to within their gap
        if not checked.noisy and abs(checked.value) <= checked.error:
            if complex_estimate.trusted:
                return replace(complex_estimate, evaluations=evaluations, noise=checked.noise)
            checked = replace(checked, error=gap, likely_error=None)
        elif complex_estimate.trusted and not checked.noisy:
            # both sure of values far apart: one of them is wrong, and nothing here says which
            # (where f is noisy, that is why the complex step is wrong)
            # (x*(sqrt(x**2 + 1) - x) at 3e5: f's rounding makes its real values a line of
            # slope 1.7e-6, which Richardson follows; the derivative is 9e-18)
            checked = replace(checked, error=max(checked.error, gap), likely_error=None)
        return replace(
            checked,
            evaluations=evaluations,
            technique=f"Richardson ({checked.technique})",
            # (where f is noisy, that is why: the warning says so, not "a branch point?")
            complex_rejected=not checked.noisy,
        )
    # where f's own values have lost digits (a cancellation inside it), the complex step's
    # scatter does not see it: it is no better than Richardson's estimate
    error = max(complex_estimate.error, checked.error if checked.noisy else 0.0)
    if checked.error <= TRUSTED_RELATIVE_ERROR * abs(checked.value):
        error = max(error, gap)  # Richardson is sure of its value: their gap bounds the error
    return replace(
        complex_estimate,
        error=error,
        likely_error=None,
        evaluations=evaluations,
        noise=checked.noise,
    )


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
