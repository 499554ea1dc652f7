"""f's rounding noise probed at irregular offsets, which regular spacings can alias away."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .coordinates import BatchFunction

#: Offsets in units of the spacing, irrational and in no ratio to each other: f's rounding at
#: them does not line up into a smooth trend, as it can at x + k d (``(exp(x) - 1)/x`` at
#: 1e-6, where d is 17179.87 units in the last place of exp's values, so their rounding
#: errors fall on a line; ``sqrt(x + 1) - sqrt(x)`` at 1.62e8, where their fourth difference
#: is 0) or at decimal offsets (at 1.63e-7, d is 2800.05 units in the last place).
IRREGULAR_OFFSETS = (
    0.5 - math.sqrt(2),
    1 - (1 + math.sqrt(5)) / 2,
    1.3 - math.sqrt(3),
    3 - math.pi,
    0.0,
    math.e - 2.5,
    math.sqrt(5) - 1.9,
    math.sqrt(7) - 2,
    math.sqrt(11) - 2.45,
)
_CENTRE = IRREGULAR_OFFSETS.index(0.0)
#: The degrees of the polynomials that stand for f's shape over the offsets.
_SHAPE_DEGREES = (3, 5)
#: A scatter above this share of f's values is f's shape (steps beyond its scale), not noise.
_NOT_NOISE = 1e-3


def irregular_noise(
    function: BatchFunction, x: float, spacing: float, capped: bool = True
) -> tuple[float, int]:
    """f's rounding noise near ``x`` relative to f's largest value there (``|f(x)|`` unless f
    crosses 0 nearby: ``sin`` at pi is not noisy), and the evaluations it took.

    f's values at ``x + o * spacing`` (``IRREGULAR_OFFSETS``; the offsets as rounded) are fitted
    by a cubic, which a smooth f follows to far below rounding at a spacing far below its
    scale; the residual scatter is f's noise where a quintic does not follow the values much
    closer (then it is f's shape: ``tan`` near its pole). A scatter above ``_NOT_NOISE`` of
    the values is taken for f's shape beyond its scale, unless not ``capped`` (where f is
    claimed flat: ``exp(x) - 1 - x`` at 3e-9, whose values are rounding only). 0 where a
    value is not finite or all are 0, and (no evaluations) where the spacing is 0.
    """
    if not 0 < spacing < math.inf:
        return 0.0, 0
    abscissae = x + np.array(IRREGULAR_OFFSETS) * spacing
    evaluations = len(IRREGULAR_OFFSETS)
    with np.errstate(all="ignore"):
        values = np.asarray(function(abscissae), dtype=np.float64)
    size = float(np.max(np.abs(values)))
    if not (np.all(np.isfinite(values)) and size > 0):
        return 0.0, evaluations
    nodes = (abscissae - x) / spacing
    shifted = values - values[_CENTRE]
    cubic, quintic = (_residual(nodes, shifted, degree) for degree in _SHAPE_DEGREES)
    # a smooth f's residual shrinks with the degree by (spacing / f's scale)**2, below 1/32
    # where it is under _NOT_NOISE; rounding noise's seldom does
    if quintic < cubic / 32 or (capped and not cubic <= _NOT_NOISE * size):
        return 0.0, evaluations
    return cubic / size, evaluations


def _residual(nodes: Any, values: Any, degree: int) -> float:
    """The scatter of ``values`` about their least-squares polynomial of ``degree``."""
    vandermonde = np.vander(nodes, degree + 1)
    coefficients = np.linalg.lstsq(vandermonde, values, rcond=None)[0]
    residuals = values - vandermonde @ coefficients
    return float(np.sqrt(np.sum(residuals**2) / (len(nodes) - degree - 1)))
