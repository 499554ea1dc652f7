"""Intervals of a plot, read safely: ``START:STOP`` or ``NAME=START:STOP`` text, or numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError, param
from .points import quoted, read_value

#: One interval: the variable it is for (None: every variable not named), start, stop.
Interval = tuple[str | None, float, float]


def read_intervals(ranges: Any) -> tuple[Interval, ...]:
    """What a caller gives as ``range``, as intervals.

    Accepted: None (no interval), ``"START:STOP"`` or ``"NAME=START:STOP"`` text (ends may be
    constant expressions such as ``-pi``), a ``(start, stop)`` pair, a mapping of names to
    pairs, or a sequence of texts. Whether start < stop is checked by ``PlotOptions``.

    >>> read_intervals("x0=-pi:1")
    (('x0', -3.141592653589793, 1.0),)
    >>> read_intervals({"x": (0, 2)})
    (('x', 0.0, 2.0),)
    """
    if ranges is None:
        return ()
    if isinstance(ranges, str):
        return (_interval_text(ranges),)
    if isinstance(ranges, Mapping):
        return tuple(_pair(name, value) for name, value in ranges.items())
    if isinstance(ranges, Sequence) and all(isinstance(item, str) for item in ranges):
        return tuple(_interval_text(item) for item in ranges)
    return (_pair(None, ranges),)


def _interval_text(text: str) -> Interval:
    option = param("range")
    name: str | None = None
    body = text
    if "=" in text:
        name, body = (part.strip() for part in text.split("=", 1))
        if not name.isidentifier():
            raise InputError(f"{option} {quoted(text)}: {quoted(name)} is not a variable name")
    ends = body.split(":")
    if len(ends) != 2:
        raise InputError(f"{option} {quoted(text)}: write START:STOP, e.g. -3:3 or x=0:20")
    start, stop = (_end(end, option, text) for end in ends)
    return name, start, stop


def _end(text: str, option: str, whole: str) -> float:
    value = read_value(text, option, whole)
    if np.ndim(value) != 0:
        raise InputError(f"{option} {quoted(whole)}: each end is one number")
    return float(value)


def _pair(name: str | None, value: Any) -> Interval:
    try:
        start, stop = (float(end) for end in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{param('range')} must be START:STOP text or a (start, stop) pair, got {value!r}"
        ) from None
    return name, start, stop
