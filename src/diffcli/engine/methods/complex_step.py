"""The complex step ``Im f(x + ih) / h``, and whether it may be used on an expression at a point."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ...expr.compiling import compile_expression
from ...expr.nodes import Binary, Index, Node, Number, Unary, Variable, walk
from ...expr.parsing import Expression
from ..coordinates import BatchFunction
from ..estimate import NOISE_SPACING, NOISY, Estimate, RealSamples, real_samples
from ..kinks import non_analytic_functions
from ..noise import irregular_noise
from ..quotients import EPSILON, TRUSTED_RELATIVE_ERROR
from .richardson import SMALLEST, richardson
from .stencils import fornberg_weights

Array = Any
#: h = 2**-66 |x|, and a few more steps whose scatter measures rounding.
COMPLEX_STEP_SCALE = 2.0**-66
COMPLEX_STEP_FACTORS = (1.0, 1.1, 1.3, 1.7)
#: NumPy's complex power multiplies out integer exponents up to this size; above, it goes
#: through exp(log z), which is wrong on the negative real axis.
_MAX_EXACT_INTEGER_POWER = 100


def complex_step_obstacle(
    expression: Expression, point: Mapping[str, Any], variable: str
) -> str | None:
    """Why ``Im f(x + ih)/h`` would be wrong for this expression at this point, or None.

    Two things break it: a function that is not complex-analytic (its NumPy version of a
    complex number is not the analytic continuation: ``abs`` gives the modulus, ``relu``
    compares complex numbers), and a power whose base is negative while the exponent
    depends on ``variable`` or is not a small integer (the complex logarithm's branch cut).
    """
    names = non_analytic_functions(expression)
    if names:
        listed = ", ".join(names)
        verb = "is" if len(names) == 1 else "are"
        return (
            f"the complex step needs an analytic expression, and {listed} {verb} not "
            "analytic; use --method richardson (or auto, which falls back to it)"
        )
    shapes = {name: np.shape(value) for name, value in point.items()}
    for node in walk(expression.tree):
        if not (isinstance(node, Binary) and node.op == "**"):
            continue
        if _small_integer(node.right) and not _depends_on(node.right, variable):
            continue
        base = compile_expression(Expression(expression.text, node.left), shapes)
        with np.errstate(all="ignore"):
            base_value = np.asarray(base(point))
        if np.any(base_value < 0):
            return (
                f"the complex step cannot follow {expression.source(node)} with a negative "
                "base (the complex logarithm's branch cut); use --method richardson"
            )
    return None


def _small_integer(node: Node) -> bool:
    if isinstance(node, Unary) and node.op == "-":
        return _small_integer(node.operand)
    return (
        isinstance(node, Number)
        and float(node.value).is_integer()
        and abs(node.value) <= _MAX_EXACT_INTEGER_POWER
    )


def _depends_on(node: Node, variable: str) -> bool:
    return any(isinstance(sub, (Variable, Index)) and sub.name == variable for sub in walk(node))


def complex_quotients(function: BatchFunction, points: Array, steps: Array) -> Array:
    """``Im f(x + ih) / h`` for every point ``x`` (rows) and imaginary step ``h`` (columns)."""
    points = np.asarray(points, dtype=np.float64)
    shifted = points[:, np.newaxis] + 1j * steps[np.newaxis, :]
    with np.errstate(all="ignore"):
        values = np.asarray(function(shifted.reshape(-1))).reshape(shifted.shape)
    return np.imag(values) / steps


def complex_step(
    function: BatchFunction, x: float, order: int = 1, step: float | None = None
) -> Estimate:
    """``Im f(x + ih) / h``: no subtraction, so exact to rounding for analytic expressions.

    The function must accept complex arrays and be analytic along the real axis near
    ``x`` (see ``complex_step_obstacle``). The error is estimated from the scatter of the
    quotient over a few steps of different mantissas: a cancellation inside the expression
    shows up as scatter. Where the default step makes ``Im f`` underflow, it grows (to at
    most 2**-20). Higher orders apply Richardson extrapolation to the complex-step
    derivative at one imaginary step, with its rounding (``quotient_scatter``) as the noise.
    """
    grows = step is None
    if step is None:
        scaled = COMPLEX_STEP_SCALE * (2.0 ** math.floor(math.log2(abs(x))) if x else 1.0)
        # below |x| ~ 1e-288 the scaled step is subnormal or 0 (x = 5e-324): Im f / h would
        # lose its digits or divide by 0; the step needs only to be tiny against f's scale
        step = max(scaled, sys.float_info.min)

    steps = step * np.array(COMPLEX_STEP_FACTORS)
    if order > 1:
        # Richardson estimates its own error: one imaginary step is enough, with the
        # quotient's rounding measured along the real axis (f's reaches it there)
        def quotient(points: Array) -> Array:
            return complex_quotients(function, points, steps[:1])[:, 0]

        centre = float(quotient(np.array([x]))[0])
        scatter, evaluations = quotient_scatter(function, x, step, centre)
        inner = richardson(quotient, x, order - 1, measured_noise=scatter)
        return replace(
            inner,
            evaluations=inner.evaluations + 1 + evaluations,
            step=step,
            technique=f"complex step, then Richardson ({inner.technique})",
            sensitivity=0.0,  # (Richardson's quotients are of complex steps, not of f's values)
        )
    quotients = complex_quotients(function, np.array([x]), steps)[0]
    evaluations = len(steps)
    # Im f(x + ih) below the smallest normal double (x**2 at 1e-300: 2xh underflows to 0)
    # has lost its digits: a larger step keeps them, and the scatter measures its cost
    # (an exact 0 where nothing underflowed is a zero derivative: x*exp(-x) at 1, where a
    # grown step would only add truncation error)
    while (
        grows
        and x != 0
        and np.all(np.abs(quotients * steps) < sys.float_info.min)
        and step < _LARGEST
        and (np.any(quotients != 0) or _underflows(function, x, steps))
    ):
        step = min(step * _GROWTH, _LARGEST)
        steps = step * np.array(COMPLEX_STEP_FACTORS)
        quotients = complex_quotients(function, np.array([x]), steps)[0]
        evaluations += len(steps)
    value = float(quotients[0])
    scatter = float(np.max(np.abs(quotients - value)))
    error = 4 * scatter + 2 * EPSILON * abs(value)
    # with no subtraction of f's values and a step far below |x|, the scatter is rounding
    rounding = error if step <= _SMALL_STEP * abs(x) or x == 0 else 2 * EPSILON * abs(value)
    # still exact zeros at the largest step, and f underflows there (x**2 at 1e-320: 2xh is
    # below the smallest subnormal): those zeros carry no digits of the derivative
    underflow = bool(grows and x != 0 and not np.any(quotients) and _underflows(function, x, steps))
    return Estimate(
        value,
        math.inf if underflow else error,
        evaluations,
        step,
        "complex step",
        rounding=rounding,
        underflow=underflow,
    )


def _underflows(function: BatchFunction, x: float, steps: Array) -> bool:
    """Evaluating f at ``x + ih`` underflows somewhere (``(x + ih)**2`` at x = 1e-300)."""
    with np.errstate(all="ignore", under="raise"):
        try:
            function(x + 1j * steps)
        except FloatingPointError:
            return True
    return False


#: The complex-step quotient's rounding is measured at x + k d, d = |x| * these: far enough
#: apart for f's rounding to differ, close enough that the quotient's shape is far below it.
_QUOTIENT_SPACINGS = (2.0**-38, 2.0**-40)


def quotient_scatter(
    function: BatchFunction, x: float, step: float, centre: float
) -> tuple[float, int]:
    """How far rounding moves the complex-step quotient ``centre`` at ``x`` (absolute), and
    the evaluations it took.

    f's rounding reaches ``Im f(x + ih) / h`` through the real part (``sin(1/x)``: ``1/x``
    rounds), the same at every imaginary step, so the scatter over steps misses it. The
    quotient at real neighbours ``x + k d`` (k = ±1, ±2, ±3) shows it: the largest fourth
    difference of five neighbours (weights for the nodes as rounded, which no cubic moves),
    over the weights' norm; unless the wider spacing's are far above the narrower's (f's
    shape). The spacing follows |x| itself, not a power of 2: at binary-regular nodes the
    rounding errors of ``1/x`` line up and the differences cancel them.
    """
    offsets = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    unit = abs(x) if x else 1.0
    largest = []
    for spacing in _QUOTIENT_SPACINGS:
        points = x + np.delete(offsets, 3) * (unit * spacing)
        quotients = complex_quotients(function, points, np.array([step]))[:, 0]
        row = np.insert(quotients, 3, centre)
        nodes = np.insert(points - x, 3, 0.0)
        windows = np.lib.stride_tricks.sliding_window_view(nodes, 5)
        with np.errstate(all="ignore"):
            weights = np.stack(fornberg_weights(list(windows.T), 4), axis=1)
            values = np.lib.stride_tricks.sliding_window_view(row, 5)
            scatter = np.abs(np.sum(weights * values, axis=1)) / np.linalg.norm(weights, axis=1)
            largest.append(float(np.max(scatter)))
    wide, narrow = largest
    evaluations = 6 * len(_QUOTIENT_SPACINGS)
    return (max(wide, narrow) if wide <= 16 * narrow else narrow), evaluations


#: The highest order whose complex step the real-axis quotient can check (its rounding
#: error grows like ε / spacing**order).
CHECKED_ORDER = 2


def checked_on_real_axis(
    function: BatchFunction, x: float, found: Estimate, scatter: float, scale: float, order: int
) -> tuple[Estimate, bool]:
    """The complex step ``found`` with its error widened by the rounding that reaches it
    through f's real part (twice ``scatter``, from ``quotient_scatter``) and by f's noise
    measured at spacing ``scale * NOISE_SPACING`` (``real_samples``); and whether it holds
    there: trusted, f not noisy, and a five-point quotient of those real values agreeing
    with it within that quotient's own error."""
    samples = real_samples(function, x, scale * NOISE_SPACING)
    rounding = 2 * scatter + samples.noise * abs(found.value)
    candidate = replace(
        found,
        error=found.error + rounding,
        likely_error=None,
        rounding=found.rounding + 2 * scatter,
        evaluations=found.evaluations + samples.evaluations,
        noise=samples.noise,
    )
    real_value, real_error = _real_quotient(samples, order)
    gap = abs(candidate.value - real_value)
    holds = candidate.trusted and not candidate.noisy and gap <= 2 * real_error
    if holds and order == 1 and x != 0 and not _confirmed(found.value, real_value, real_error):
        # f's noise may hide in the real quotient's spread, and regular spacings can miss it
        # (``(exp(x) - 1)/x`` at 3e-9); a second derivative's real quotient seldom confirms
        # anything (its rounding grows like ε / spacing**2), and its complex step divides by
        # no x + ih that would carry f's rounding into it: it is not asked
        noise, evaluations = irregular_noise(function, x, scale * NOISE_SPACING)
        candidate = replace(candidate, evaluations=candidate.evaluations + evaluations)
        if noise > NOISY * EPSILON:
            return replace(candidate, noise=noise), False
    return candidate, holds


def _confirmed(value: float, real_value: float, real_error: float) -> bool:
    """A real-axis quotient ``real_value``, within ``real_error`` of the derivative, confirms
    the complex step's ``value`` to the digits trusted."""
    return abs(value - real_value) + real_error <= TRUSTED_RELATIVE_ERROR * abs(value)


def _real_quotient(samples: RealSamples, order: int) -> tuple[float, float]:
    """The five-point quotient of ``samples`` at the narrower spacing and a bound on its
    error: its gap to the wider spacing's (which has the larger truncation error) plus
    the rounding and measured noise of the values; NaN where a value is not finite."""
    with np.errstate(all="ignore"):
        weights = np.stack(fornberg_weights(list(samples.nodes.T), order), axis=1)
        values = samples.values
        quotients = np.sum(weights * values, axis=1)
        noise = samples.noise * abs(float(values[0, 2]))
        uncertainty = 2 * EPSILON * np.abs(values) + noise + SMALLEST
        rounding = np.sum(np.abs(weights) * uncertainty, axis=1)
    return float(quotients[1]), float(abs(quotients[1] - quotients[0]) + rounding[1])


#: A step at most this share of |x| leaves no truncation error to speak of.
_SMALL_STEP = 2.0**-26
#: Where ``Im f(x + ih)`` underflows, the step grows by this factor, up to ``_LARGEST``.
_GROWTH = 2.0**64
_LARGEST = 2.0**-20


def estimate(
    function: BatchFunction,
    x: float,
    method: str,
    order: int,
    step: float | None,
    complex_obstacle: str | None,
) -> Estimate:
    """``complex_step`` with imaginary step ``step``, its error estimate widened by the
    rounding that reaches the quotient through f's real part (``quotient_scatter``, first
    derivatives) and by f's own noise (``real_samples``; for a first derivative that a
    five-point quotient of those real values does not confirm to 1e-6, also
    ``irregular_noise``). Where f has lost digits beyond rounding, nothing bounds what they
    did to the imaginary part (``(exp(x) - 1)/x`` at 3e-9 gives -1.9085 for 0.5), and where
    that quotient disagrees with it, one of them is wrong: Richardson, which measures f's
    noise, checks the value, and the estimate is at least their gap plus Richardson's own.

    Raises:
        ValueError: ``complex_obstacle`` says why the complex step may not be used.
    """
    if complex_obstacle is not None:
        raise ValueError(complex_obstacle)
    quotient = complex_step(function, x, order, step)
    noise, evaluations, disagrees = 0.0, 0, False
    if x != 0 and math.isfinite(x):
        samples = real_samples(function, x, abs(x) * NOISE_SPACING)
        noise, evaluations = samples.noise, samples.evaluations
        if order == 1 and not noise > NOISY * EPSILON:
            real_value, real_error = _real_quotient(samples, order)
            # f's real values smooth but wrong (``(1 - cos(x))/x**2`` at 1e-6: cos(x + k d)
            # is one double, so f follows 1/x**2) disagree with it: Richardson decides
            disagrees = abs(quotient.value - real_value) > 2 * real_error
            if not disagrees and not _confirmed(quotient.value, real_value, real_error):
                # regular spacings can miss f's noise (see ``irregular_noise``), and a real
                # quotient that does not confirm the value leaves room for it
                more_noise, more = irregular_noise(function, x, abs(x) * NOISE_SPACING)
                evaluations += more
                noise = more_noise if more_noise > NOISY * EPSILON else noise
    error, rounding = quotient.error + noise * abs(quotient.value), quotient.rounding
    scatter = 0.0
    if order == 1 and quotient.step is not None and math.isfinite(quotient.value):
        scatter, more = quotient_scatter(function, x, quotient.step, quotient.value)
        evaluations += more
        if math.isfinite(scatter):  # (not where the neighbours' weights overflow: x = 1e-300)
            error, rounding = error + 2 * scatter, rounding + 2 * scatter
    found = replace(
        quotient,
        noise=noise,
        error=error,
        likely_error=None,  # (higher orders: Richardson's, without the widening)
        rounding=rounding,
        evaluations=quotient.evaluations + evaluations,
    )
    if not (found.noisy or disagrees):
        return found
    if abs(x) > 1 and order <= CHECKED_ORDER and math.isfinite(scatter + found.value):
        # above 1, f's scale may be 1 and the noise seen at spacings of |x| 2**-18 its shape
        # aliasing (sin(x0)*cos(x1) + x0 along x0 at 1e8): auto's check at spacing 2**-18
        spent = replace(quotient, evaluations=found.evaluations)
        candidate, holds = checked_on_real_axis(function, x, spent, scatter, 1.0, order)
        if holds:
            return candidate
        found = replace(found, evaluations=candidate.evaluations)
    checked = richardson(function, x, order)
    bound = abs(found.value - checked.value) + checked.error
    return replace(
        found,
        error=max(found.error, bound) if math.isfinite(bound) else math.inf,
        likely_error=None,
        evaluations=found.evaluations + checked.evaluations,
    )
