"""Where a scalar formula evaluated in double precision may have lost digits, point by point.

``expr/rounding.py``'s first-order bound on the rounding error of the formula's evaluation in
double precision, on NumPy arrays: each node carries its value and a bound on its error, in
units of the rounding unit u = 2**-53. Where digits cancel (``sin(x)/x**2 - 2*(1 - cos(x))/x**3``
near 0) the bound grows far beyond the value; elsewhere it stays a few dozen u. Only the
formulas the exact evaluator computes are read (``rounding.readable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .nodes import Node
from .numpy_functions import NUMPY
from .rounding import ROUNDING_UNIT, Kit, bounded

Array = Any  # numpy.ndarray of float64

#: A value whose error bound is more than this many rounding units of it (about 32 ulp) is
#: not trusted in double precision.
LOSS_LIMIT = 64.0

#: The bound's operations on float64 arrays.
_ARRAYS = Kit(
    NUMPY,
    np.abs,
    np.cos,
    np.sin,
    np.sqrt,
    np.cosh,
    np.sinh,
    np.log,
    np.power,
    np.where,
    lambda value: np.asarray(value, dtype=np.float64),
)


def untrusted(tree: Node, columns: Mapping[str, Array], count: int) -> Array:
    """The points (indices into ``columns``' rows) where the formula's value in double
    precision may be off by more than ``LOSS_LIMIT`` rounding units of it, the worst first
    (a value that is not finite, or 0 with a non-zero bound, counts as worst; an exact value
    is trusted).

    ``columns`` maps each scalar variable to its ``count`` values, and each tensor variable
    to an array of ``count`` rows of its elements.
    """
    with np.errstate(all="ignore"):
        value, error = bounded(tree, columns, _ARRAYS)
        error = np.broadcast_to(error, (count,))
        loss = np.where(error == 0, 0.0, error / np.abs(np.broadcast_to(value, (count,))))
        loss = np.where(np.isnan(loss), np.inf, loss)  # not finite: the worst
    worst_first = np.argsort(-loss, kind="stable")
    return worst_first[: np.count_nonzero(loss > LOSS_LIMIT)]


def rounding_bounds(tree: Node, columns: Mapping[str, Array], count: int) -> Array:
    """A bound on the absolute rounding error of the tree's value in double precision at each
    of ``count`` points (``columns`` as ``untrusted`` takes them): what a computed value of f
    may be off by, however smooth the computed values look (``x*(sqrt(x**2 + 1) - x)`` at 3e5:
    1.2e-4 of a value of 0.5); NaN where f is not finite. The tree must be
    ``rounding.readable``."""
    with np.errstate(all="ignore"):
        error = bounded(tree, columns, _ARRAYS)[1]
        return np.broadcast_to(np.asarray(error, dtype=np.float64) * ROUNDING_UNIT, (count,))
