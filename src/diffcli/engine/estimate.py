"""What every differentiation method returns, and the one call that dispatches to a method."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import registry
from .coordinates import BatchFunction
from .noise import irregular_noise
from .quotients import EPSILON, TRUSTED_RELATIVE_ERROR, cancels, trusted

#: f's values scatter by more than this many times ε|f| (relative): digits cancel inside it.
NOISY = 64.0
#: f's a-priori rounding bound above this share of its computed value: f may have lost its
#: digits there, and a complex step of it is not trusted unless checked
#: (``Estimate.from_lost_digits``; ``x*(sqrt(x**2 + 1) - x)`` at 1e7, f computed to 4 %:
#: 3.3e-10 for 2.5e-22).
LOST = TRUSTED_RELATIVE_ERROR


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
    #: The most likely error where ``error`` is a bound with a margin (fixed-step methods:
    #: the step-halving estimate once, ``error`` has it twice; ``richardson``: f's values
    #: rounded once, half a spacing each, or off by the noise it measured where that is
    #: larger, where ``error`` allows 2ε of each and the noise besides);
    #: ``trusted`` reads it.
    likely_error: float | None = None
    #: How far the value moves per unit of error in each of f's values: ``Σ|w_i| / h**n`` of
    #: the stencil (or Richardson's combination of stencils) that gave it; 0 where the value
    #: is no quotient of f's real values (the complex step).
    sensitivity: float = 0.0
    #: The offsets from x of f's values that gave it (of the stencil; for Richardson, of its
    #: largest and smallest steps): where f's rounding bound is read.
    abscissae: tuple[float, ...] = ()
    #: f's a-priori rounding bound (``expr/cancellation.py``), absolute, the largest at
    #: ``abscissae``, where the caller computed it (``bounded_by``); 0 where not.
    value_bound: float = 0.0
    #: ``value_bound`` against the computed |f(x)| (inf where f(x) is 0).
    value_loss: float = 0.0
    #: The reference derivative the value was measured against (``engine/reference.py``:
    #: Richardson on f correctly rounded), and that reference's error estimate; None where
    #: the value was not measured (``error`` is then the method's own estimate).
    reference: float | None = None
    reference_error: float = 0.0
    #: A complex step where f's computed value may have lost its digits
    #: (``from_lost_digits``): not trusted unless checked (``engine/reference.py``).
    digits_lost: bool = False
    #: The method's own ``error`` and ``likely_error`` where ``referenced`` (or
    #: ``from_lost_digits``) replaced them.
    own_errors: tuple[float, float | None] | None = None

    @property
    def cancellation(self) -> float:
        """How far ``value_bound`` can move the value: ``sensitivity`` times it."""
        return self.sensitivity * self.value_bound

    def bounded_by(self, value_bound: float, function_value: float) -> Estimate:
        """The estimate judged also by f's a-priori rounding bound ``value_bound`` (the largest
        at ``abscissae``; f's computed value at x: ``function_value``); NaN or a quotient-free
        value: as is."""
        if not (self.sensitivity > 0 and math.isfinite(value_bound)):
            return self
        loss = value_bound / abs(function_value) if function_value else math.inf
        found = replace(self, value_bound=value_bound, value_loss=loss)
        if self.value == 0 and found.cancels:  # an exact 0 the bound can move: its error
            found = replace(
                found,
                error=max(self.error, found.cancellation),
                own_errors=(self.error, self.likely_error),
            )
        return found

    def from_lost_digits(self, value_bound: float, function_value: float) -> Estimate:
        """A value that is no quotient of f's real values (the complex step), judged by f's
        a-priori rounding bound at the point: where that bound is more than ``LOST`` of f's
        computed value, f may keep no correct digit there (``x*(sqrt(x**2 + 1) - x)`` above
        6.7e7 is computed as 0.0 for about 0.5; ``(exp(x0*x1) - 1)/x0`` at 1e-9, 1e-9 as 0.0
        for 1e-9), the imaginary part may have gone the same way, and the value says nothing
        (error ``inf``, not trusted)."""
        if not (0 < value_bound < math.inf and value_bound >= LOST * abs(function_value)):
            return self
        loss = value_bound / abs(function_value) if function_value else math.inf
        return replace(
            self,
            error=math.inf,
            likely_error=None,
            value_bound=value_bound,
            value_loss=loss,
            digits_lost=True,
            own_errors=(self.error, self.likely_error),
        )

    def referenced(self, reference: Estimate) -> Estimate:
        """The estimate measured against ``reference`` (a trusted value, from f correctly
        rounded): its error is the distance to it plus the reference's own error estimate,
        and ``trusted`` reads that. ``evaluations`` still counts the method's own evaluations
        of f only (the rows of a batch share one count)."""
        error = abs(self.value - reference.value) + reference.error
        return replace(
            self,
            error=error,
            likely_error=None,
            reference=reference.value,
            reference_error=reference.error,
            own_errors=(self.error, self.likely_error),
        )

    def own(self) -> Estimate:
        """The estimate with the method's own errors, as before ``referenced``,
        ``from_lost_digits`` or the widening of a 0 in ``bounded_by``."""
        if self.own_errors is None:
            return self
        error, likely = self.own_errors
        return replace(
            self,
            error=error,
            likely_error=likely,
            reference=None,
            reference_error=0.0,
            own_errors=None,
        )

    @property
    def zero_by_reference(self) -> bool:
        """The reference shows the derivative to be zero to within its own error."""
        return self.reference is not None and abs(self.reference) <= self.reference_error

    @property
    def trust_error(self) -> float:
        """The error ``trusted`` judges the value by: the most likely one, else ``error``."""
        return self.error if self.likely_error is None else self.likely_error

    @property
    def is_kink(self) -> bool:
        return self.left is not None and self.right is not None

    @property
    def noisy(self) -> bool:
        """f's own values scatter far beyond ε: no difference quotient is reliable there."""
        return self.noise > NOISY * EPSILON

    @property
    def cancels(self) -> bool:
        """f's a-priori rounding bound can move the value beyond what is trusted (``cancels``)."""
        return bool(cancels(self.value, self.cancellation, self.rounding))

    @property
    def trusted(self) -> bool:
        """By the method's own evidence the value is within ``TRUSTED_RELATIVE_ERROR``
        (relative) of the derivative, or zero to within f's rounding. A kink or a value
        that is not finite has its own status; a vanished step, an underflow, or a value that
        f's a-priori rounding bound can move too far (``cancels``) is never trusted."""
        if self.is_kink or not math.isfinite(self.value):
            return True
        if self.reference is not None and not (self.step_vanished or self.point_lost):
            # measured: within 1e-6 of the value, or, where the derivative is zero (to within
            # the reference's error), within 1e-6 of it in absolute terms
            return self.error <= TRUSTED_RELATIVE_ERROR * abs(self.value) or (
                self.zero_by_reference and self.error <= TRUSTED_RELATIVE_ERROR
            )
        if self.step_vanished or self.underflow or self.cancels or self.digits_lost:
            return False
        if (self.point_lost or self.noisy) and abs(self.value) <= self.trust_error:
            return False  # zero to within rounding says nothing about f at x, or noisy f
        return bool(trusted(self.value, self.trust_error, self.rounding))


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
    return checked_zero(result, function, x)


def checked_zero(result: Estimate, function: BatchFunction, x: float) -> Estimate:
    """``result``, checked where only "zero to within rounding" would trust it: f must not
    underflow at ``x`` (``x**2`` at 1e-300 is 0), nor be flat only at the steps used (an
    estimate of exact zeros: ``inf`` then), nor carry noise beyond rounding
    (``sqrt(x + 1) - sqrt(x)`` at 1e10 looks flat at any step), measured at regular
    spacings and, where they see none, at irregular offsets (``irregular_noise``, where
    values that are rounding only count too: ``exp(x) - 1 - x`` at 3e-9)."""
    error = result.trust_error
    if not (
        math.isfinite(result.value)
        and math.isfinite(error)
        and abs(result.value) <= error
        and not error <= TRUSTED_RELATIVE_ERROR * abs(result.value)
    ):
        return result
    if underflows(function, x):
        return replace(result, underflow=True, evaluations=result.evaluations + 1)
    if result.value == 0 and error < EXACT_ZEROS and not flat(function, x):
        # f's values were exact zeros at the steps used, though f moves a little farther
        # out: its arguments rounded away at those steps (a Hessian's mixed line along a
        # coordinate of 1e8), so they say nothing about the derivative
        return replace(
            result, error=math.inf, likely_error=None, evaluations=result.evaluations + 3
        )
    noise, evaluations = real_noise(function, x)
    if not noise > NOISY * EPSILON:  # (regular spacings can miss it: see ``irregular_noise``)
        more_noise, more = irregular_noise(function, x, abs(x) * NOISE_SPACING, capped=False)
        noise, evaluations = max(noise, more_noise), evaluations + more
    return replace(
        result, noise=max(noise, result.noise), evaluations=result.evaluations + evaluations
    )


#: An error estimate below this (of the scale of subnormal doubles) comes from values that
#: were all exact zeros.
EXACT_ZEROS = 2.0**-1000


def flat(function: BatchFunction, x: float) -> bool:
    """f takes one value at ``x`` and at ``x ± d``, d = ``NOISE_SPACING`` max(1, |x|)."""
    spacing = NOISE_SPACING * max(1.0, abs(x))
    with np.errstate(all="ignore"):
        values = np.asarray(function(np.array([x - spacing, x, x + spacing])))
    return bool(np.all(values == values[1]))


def underflows(function: BatchFunction, x: float) -> bool:
    """Evaluating ``function`` at ``x`` underflows somewhere (``x0*x1`` at 1e-300)."""
    with np.errstate(all="ignore", under="raise"):
        try:
            function(np.array([x]))
        except FloatingPointError:
            return True
    return False


@dataclass(frozen=True)
class RealSamples:
    """f's real values at ``x + k d`` and ``x + k d/2`` (k = -2 … 2), and their noise."""

    #: The offsets actually taken, ``fl(x + k d) - x`` (rows: spacing d, then d/2).
    nodes: Any
    values: Any
    #: The rounding noise of the values relative to ``|f(x)|`` (0 where none is measured).
    noise: float

    @property
    def evaluations(self) -> int:
        return int(self.values.size)


def real_samples(function: BatchFunction, x: float, spacing: float) -> RealSamples:
    """f's real values around ``x`` at ``spacing`` and half of it, and their rounding noise.

    The complex step cannot see a cancellation inside f (``1 - cos(x)`` at 1e-5 keeps its
    rounding error in the real part, and the imaginary part inherits it at every step). The
    fourth difference of f at spacing d is noise where halving d does not shrink it (a
    smooth f's shrinks sixteenfold); one far above the values is f's shape, not noise.
    """
    abscissae = x + _SAMPLE_OFFSETS * spacing
    with np.errstate(all="ignore"):
        values = np.asarray(function(abscissae.reshape(-1)), dtype=np.float64).reshape(2, -1)
    noise = float(fourth_difference_noise(values[:, :, np.newaxis])[0])
    return RealSamples(abscissae - x, values, noise)


#: The offsets of ``real_samples`` in units of its spacing: k = -2 … 2, then the same halved.
_SAMPLE_OFFSETS = np.stack([np.arange(-2.0, 3.0), np.arange(-2.0, 3.0) / 2])


def fourth_difference_noise(values: Any) -> Any:
    """The relative rounding noise of f's values of shape (2, 5, n): for each of n points,
    five values at spacing d and five at d/2 (``real_samples``); 0 where none shows."""
    with np.errstate(all="ignore"):
        wide, narrow = np.abs(np.diff(values, n=4, axis=1))[:, 0] / math.sqrt(70)
        centre = np.abs(values[0, 2])
        usable = np.isfinite(wide) & np.isfinite(narrow) & (centre > 0)
        noisy = usable & ~(narrow < wide / 4) & ~(wide > 1e-3 * centre)
        return np.where(noisy, np.minimum(wide, narrow) / np.where(noisy, centre, 1.0), 0.0)


def noise_at_points(function: Any, xs: Any) -> Any:
    """``real_noise`` at every abscissa of ``xs`` (none 0) at once, in one evaluation;
    ``function`` maps abscissae of shape (k, n) to f's values in that shape."""
    spacing = np.abs(xs) * NOISE_SPACING
    abscissae = xs + _SAMPLE_OFFSETS.reshape(-1, 1) * spacing
    with np.errstate(all="ignore"):
        values = np.asarray(function(abscissae), dtype=np.float64)
    return fourth_difference_noise(values.reshape(2, 5, -1))


#: ``real_noise`` samples f at x + k d, d = |x| * this (and half of it): far enough apart that
#: the rounding inside f differs from sample to sample, close enough that f is smooth.
NOISE_SPACING = 2.0**-18


def real_noise(function: BatchFunction, x: float) -> tuple[float, int]:
    """The rounding noise of f's real values near ``x`` (relative to ``|f(x)|``, see
    ``real_samples``), and the evaluations it took; 0 at ``x = 0`` or where nothing is
    measured."""
    if x == 0 or not math.isfinite(x):
        return 0.0, 0
    samples = real_samples(function, x, abs(x) * NOISE_SPACING)
    return samples.noise, samples.evaluations
