"""Ranges (``--at 0:20:0.1``) and the grids several of them make, as NumPy arrays.

A range ``START:STOP:STEP`` means ``numpy.arange(START, STOP, STEP)``: the stop is excluded,
there are ``ceil((STOP - START) / STEP)`` points and the k-th is ``START + k*STEP``, computed
from k, so no rounding accumulates. (NumPy's own arange steps by ``(START + STEP) - START``,
which is ``STEP`` whenever that difference is exact, as for ``0:20:0.1``, the primer's range.)
Several ranges make a grid: their Cartesian product in the order of ``numpy.meshgrid`` then
``flatten``, the primer's order, in which the first range varies fastest when there are two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError

Array = Any
#: The most points one ``--at`` (or all of them together) may stand for.
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class NumberRange:
    """``START:STOP:STEP``, checked: a non-zero step that runs towards the stop."""

    start: float
    stop: float
    step: float
    count: int

    def values(self) -> Array:
        """The range's numbers, ``START + k*STEP`` for k = 0 … count - 1, as float64."""
        return self.start + np.arange(self.count, dtype=np.float64) * self.step


def number_range(start: float, stop: float, step: float, where: str) -> NumberRange:
    """The range from START to STOP (excluded) by STEP.

    Raises:
        InputError: a zero step, one that runs away from the stop, a range with no points,
            or one of more than ``MAX_POINTS`` points; each message starts with ``where``.
    """
    if step == 0:
        raise InputError(f"{where}: the step of a range cannot be 0")
    if start == stop:
        raise InputError(f"{where}: the range is empty (its stop is excluded)")
    if (stop - start) * step < 0:
        sign = "positive" if stop > start else "negative"
        raise InputError(f"{where}: the range is empty: its step must be {sign} to reach its stop")
    length = (stop - start) / step
    if not length <= MAX_POINTS:  # also catches inf: a span or count past a double
        raise InputError(f"{where}: the range has more than {MAX_POINTS:,} points")
    count = math.ceil(length)
    last = start + (count - 1) * step
    if not math.isfinite(last):
        raise InputError(f"{where}: the range's numbers overflow a double")
    return NumberRange(start, stop, step, count)


def grid_size(ranges: Sequence[NumberRange], where: str) -> int:
    """How many points the ranges' grid has.

    Raises:
        InputError: more than ``MAX_POINTS``; the message starts with ``where``.
    """
    total = math.prod(one.count for one in ranges)
    if total > MAX_POINTS:
        counts = " × ".join(f"{one.count:,}" for one in ranges)
        raise InputError(
            f"{where}: the grid has {counts} = {total:,} points, more than {MAX_POINTS:,}"
        )
    return total


def grid(ranges: Sequence[NumberRange], where: str) -> list[Array]:
    """Each range's column of the grid the ranges make, one entry per point (meshgrid order).

    Raises:
        InputError: a grid of more than ``MAX_POINTS`` points.
    """
    grid_size(ranges, where)
    return [axis.ravel() for axis in np.meshgrid(*(one.values() for one in ranges))]
