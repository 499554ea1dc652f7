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
    """``Estimate.trusted``'s rule on numbers or arrays (NumPy broadcasting rules)."""
    magnitude = abs(value)
    return (error <= TRUSTED_RELATIVE_ERROR * magnitude) | (
        (magnitude <= error) & (error <= ROUNDING_MARGIN * rounding)
    )


def rounding_bound(
    numerators: Sequence[int], values: Array, denominator: int, step: float, order: int
) -> Array:
    """``2ε Σ|w_i f_i| / h**n``: how much the double rounding of f's values can move the
    quotient (``values`` as ``apply_stencil`` takes them)."""
    size = 0.0
    for numerator, value in zip(numerators, values):
        size = size + abs(numerator) * abs(value)
    return divided_by_power(2 * EPSILON * size, denominator, step, order)


def error_estimate(quotient: Array, half: Array, accuracy: int, rounding: Array) -> Array:
    """A quotient's error from the one at half the step, ``|D(h) - D(h/2)| / (1 - 2**-p)``
    (truncation, p the accuracy order), plus the rounding bound."""
    return abs(quotient - half) / (1 - 2.0**-accuracy) + rounding
