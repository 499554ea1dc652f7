"""What every differentiation method returns, and the one call that dispatches to a method."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import registry
from .coordinates import BatchFunction
from .kernel import EPSILON

#: A value is trusted when its error estimate is at most this share of it ...
TRUSTED_RELATIVE_ERROR = 1e-6
#: ... or when it is zero to within f's own rounding: no larger than its error estimate, and
#: the estimate at most this many times the rounding bound of the values it was computed from.
ROUNDING_MARGIN = 16.0
#: f's values scatter by more than this many times ε|f| (relative): digits cancel inside it.
NOISY = 64.0


@dataclass(frozen=True)
class Estimate:
    """A numerical derivative, how good it is, and what it cost.

    ``value`` is NaN where the derivative does not exist; at a kink ``left`` and ``right``
    hold the one-sided derivatives. ``technique`` says how an adaptive method got the value
    (``central``, ``forward``, ``backward`` stencils or ``complex step``).
    """

    value: float
    error: float
    evaluations: int
    step: float | None
    technique: str = ""
    left: float | None = None
    right: float | None = None
    #: The step disappeared in rounding (``x + h == x``): the quotient carries no information.
    step_vanished: bool = False
    #: The complex step disagreed with Richardson and was not used (``auto`` only).
    complex_rejected: bool = False
    #: The part of ``error`` that the double rounding of f's values explains (``2ε Σ|w f|``
    #: over the step's power): a value below it is zero to within rounding.
    rounding: float = 0.0
    #: The relative scatter of f's values near the point, where the method measured it
    #: (``richardson``, ``auto``); far above ε, f itself has lost digits there.
    noise: float = 0.0
    #: Evaluating f at the point underflowed (an intermediate result below the smallest
    #: double), and the value found is zero to within its error estimate.
    underflow: bool = False
    #: The point vanished against the step (``x + h == h``, x = 1e-300 and h = 1e-4): the
    #: quotient is the derivative near 0, not at x.
    point_lost: bool = False

    @property
    def is_kink(self) -> bool:
        return self.left is not None and self.right is not None

    @property
    def noisy(self) -> bool:
        """f's own values scatter far beyond ε: no difference quotient is reliable there."""
        return self.noise > NOISY * EPSILON

    @property
    def trusted(self) -> bool:
        """By the method's own evidence the value is within ``TRUSTED_RELATIVE_ERROR``
        (relative) of the derivative, or zero to within f's rounding. A kink or a value
        that is not finite has its own status; a vanished step or an underflow is never
        trusted."""
        if self.is_kink or not math.isfinite(self.value):
            return True
        if self.step_vanished or self.underflow:
            return False
        if self.point_lost and abs(self.value) <= self.error:
            return False  # zero to within rounding says nothing about f at x
        return bool(trusted(self.value, self.error, self.rounding))


def estimate(
    function: BatchFunction,
    x: float,
    method: str,
    order: int = 1,
    step: float | None = None,
    complex_obstacle: str | None = None,
) -> Estimate:
    """The derivative of ``function`` at ``x`` by the registered method called ``method``.

    ``step`` is the step of a fixed-step method (default: ``fixed_step.default_step``), the
    largest step of ``richardson`` or the imaginary step of ``complex``; a method that takes
    no step ignores it. ``complex_obstacle`` is why the complex step may not be used, if it
    may not: ``complex`` then raises ValueError with that reason, and ``auto`` falls back to
    Richardson.

    Raises:
        KeyError: no method of that name is registered.
    """
    implementation = registry.method(method).implementation()
    result: Estimate = implementation.estimate(function, x, method, order, step, complex_obstacle)
    if (
        math.isfinite(result.value)
        and abs(result.value) <= result.error
        and underflows(function, x)
    ):
        return replace(result, underflow=True, evaluations=result.evaluations + 1)
    return result


def trusted(value: Any, error: Any, rounding: Any) -> Any:
    """``Estimate.trusted``'s rule on numbers or arrays (NumPy broadcasting rules)."""
    magnitude = abs(value)
    return (error <= TRUSTED_RELATIVE_ERROR * magnitude) | (
        (magnitude <= error) & (error <= ROUNDING_MARGIN * rounding)
    )


def underflows(function: BatchFunction, x: float) -> bool:
    """Evaluating ``function`` at ``x`` underflows somewhere (``x0*x1`` at 1e-300)."""
    with np.errstate(all="ignore", under="raise"):
        try:
            function(np.array([x]))
        except FloatingPointError:
            return True
    return False
