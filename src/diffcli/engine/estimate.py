"""What every differentiation method returns, and the one call that dispatches to a method."""

from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .coordinates import BatchFunction


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

    @property
    def is_kink(self) -> bool:
        return self.left is not None and self.right is not None


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
    return result
