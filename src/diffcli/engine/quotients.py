"""What every fixed-step quotient shares, on Python floats or NumPy arrays alike: the stencil's
sum, the division by ``h**n``, the rounding unit and the rule that trusts a value. NumPy-free,
so that one point of a scalar expression (``one_point``) is computed without it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

Array = Any
#: The rounding unit of a double (NumPy's ``finfo(float64).eps``).
EPSILON = sys.float_info.epsilon
#: A value is trusted when its error estimate is at most this share of it ...
TRUSTED_RELATIVE_ERROR = 1e-6
#: ... or when it is zero to within f's own rounding: no larger than its error estimate, and
#: the estimate at most this many times the rounding bound of the values it was computed from.
ROUNDING_MARGIN = 16.0
#: ... and the value itself at most this many times that bound (itself 2ε per value).
ZERO_MARGIN = 1.0


def apply_stencil(
    numerators: Sequence[int], values: Array, denominator: int, step: float, order: int
) -> Array:
    """``sum(n_i f_i) / (denominator * step**order)``, summed in the stencil's order.

    ``values[i]`` is f at offset ``i`` of the stencil: a number, or an array with one entry
    per coordinate. Terms with weight ±1 are added or subtracted, not multiplied: the same
    result to the last bit (``-a + b`` is exactly ``b - a``), with fewer passes over the
    arrays. With the central stencil's ``(-1, 1)`` this is the textbook
    ``(f(x+h) - f(x-h)) / (2*h)``.
    """
    if numerators[0] == -1 and len(numerators) > 1:
        total = _scaled(numerators[1], values[1]) - values[0]
        start = 2
    else:
        total = _scaled(numerators[0], values[0])
        start = 1
    for numerator, value in zip(numerators[start:], values[start:]):
        total = total - value if numerator == -1 else total + _scaled(numerator, value)
    return divided_by_power(total, denominator, step, order)


def divided_by_power(total: Array, denominator: int, step: float, order: int) -> Array:
    """``total / (denominator * step**order)``, also where ``step**order`` is no double.

    A step of 1e296 (the scaled default at x = 1e300) has a cube past the largest double,
    and 1e-160 a square below the smallest normal one: there the quotient is divided by ``step`` one
    power at a time, which stays finite as long as the quotient itself is.
    """
    try:
        scale = denominator * step**order
    except OverflowError:  # a float power raises where a product would give inf
        scale = math.inf
    if sys.float_info.min <= scale < math.inf:  # a subnormal scale would lose digits
        return total / scale
    quotient = total / denominator
    for _ in range(order):
        quotient = quotient / step
    return quotient


def _scaled(numerator: int, value: Array) -> Array:
    return value if numerator == 1 else numerator * value


def trusted(value: Any, error: Any, rounding: Any) -> Any:
    """``Estimate.trusted``'s rule on numbers or arrays (NumPy broadcasting rules). Zero to
    within rounding also asks the value itself to be of the rounding's size: a value 15
    times its rounding bound is a derivative, however loose its error estimate."""
    magnitude = abs(value)
    return (error <= TRUSTED_RELATIVE_ERROR * magnitude) | (
        (magnitude <= error)
        & (error <= ROUNDING_MARGIN * rounding)
        & (magnitude <= ZERO_MARGIN * rounding)
    )


def cancels(value: Any, cancellation: Any, rounding: Any) -> Any:
    """Where f's own a-priori rounding bound, carried through the quotient
    (``cancellation``: ``Σ|w_i| E(x) / h**n``), is more than ``TRUSTED_RELATIVE_ERROR`` of the
    value and more than ``ROUNDING_MARGIN`` times the rounding the error estimate allowed for
    (f's values may be off by far more than their own rounding: digits cancel inside f). No
    sample of f can show it where the computed values are smooth with the wrong slope
    (``x*(sqrt(x**2 + 1) - x)`` at 3e5); numbers or arrays, as ``trusted``. A value of
    exactly 0 is judged by it too (the same above 6.7e7: f is computed as 0.0 at every step,
    for about 0.5): the bound cannot tell that from a cancellation that is exact
    (``sin(x) - sin(x)``, flat to the last bit), which a reference from f correctly
    rounded then settles (``engine/reference.py``)."""
    return (cancellation > TRUSTED_RELATIVE_ERROR * abs(value)) & (
        cancellation > ROUNDING_MARGIN * rounding
    )


def rounding_bound(
    numerators: Sequence[int],
    values: Array,
    denominator: int,
    step: float,
    order: int,
    moves: Array | None = None,
) -> Array:
    """``2ε Σ|n_i f_i| / (denominator h**n)``: how much the double rounding of f's values can
    move the quotient (``values`` as ``apply_stencil`` takes them). Where ``moves`` is given
    (first derivatives: ``|D| |δ_i|``, δ_i the rounding of the abscissa ``x + o_i h``) each
    value's part is at least that (exp at 100 with h = 1e-4 moves by 30 ε of its value,
    against the 2 ε allowed for f's own rounding)."""
    size: Array = 0.0
    for index, (numerator, value) in enumerate(zip(numerators, values)):
        part = 2 * EPSILON * abs(value)
        if moves is not None:
            part = _larger(part, moves[index])
        size = size + abs(numerator) * part
    return divided_by_power(size, denominator, step, order)


def _larger(first: Array, second: Array) -> Array:
    """The element-wise larger of two numbers or arrays (NumPy's ``maximum`` on arrays: a
    caller holding arrays has NumPy loaded already)."""
    if isinstance(first, float) and isinstance(second, float):
        return max(first, second)
    import numpy as np

    return np.maximum(first, second)


def abscissa_shift(x: float, shift: float) -> float:
    """``|fl(x + shift) - (x + shift)|`` for Python floats: exact by Fast2Sum where
    ``|shift| <= |x|``, else half an ulp of the abscissa (a bound); the same numbers as
    ``fixed_step``'s ``_abscissa_shifts`` on arrays."""
    abscissa = x + shift
    if abs(shift) <= abs(x):
        return abs((abscissa - x) - shift)
    return math.ulp(abs(abscissa)) / 2


#: The truncation estimate ``|D(h) - D(h/2)| / (1 - 2**-p)`` is exact only to leading order:
#: the error estimate doubles it, which covered every result of the accuracy benchmark where
#: it applies; the status reads it once (the most likely error: doubled, a range of points
#: where the error is 5e-7 to 1e-6 of the value would all be called unreliable).
TRUNCATION_SAFETY = 2.0


def truncation_estimate(quotient: Array, half: Array, accuracy: int) -> Array:
    """A quotient's truncation error from the one at half the step, ``|D(h) - D(h/2)| /
    (1 - 2**-p)``, p the accuracy order."""
    return abs(quotient - half) / (1 - 2.0**-accuracy)
