"""``ans``: the last result's main value, and the text it stands for in a point option."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..expr.points import Array, format_value
from ..results import DiffReport, GradientReport, HessianReport
from ..usecases.descent import DescentReport


@dataclass(frozen=True)
class Answer:
    """A value (diff's derivative, hessian's matrix) or a point (grad's gradient by variable,
    descend's final point), written back exactly as ``--at`` reads it (``repr`` digits)."""

    value: Array | None = None
    point: Mapping[str, Array] | None = None

    def point_text(self) -> str:
        """What ``--at ans`` and ``--from ans`` stand for: ``0.2``, ``x0=6,x1=8``."""
        if self.point is None:
            return format_value(self.value)
        return ",".join(f"{name}={format_value(value)}" for name, value in self.point.items())

    def value_text(self, name: str) -> str:
        """What ``NAME=ans`` stands for: one value, whatever its shape.

        Raises:
            InputError: ``ans`` is a point of several variables.
        """
        if self.point is None:
            return format_value(self.value)
        if len(self.point) == 1:
            (value,) = self.point.values()
            return format_value(value)
        held = ", ".join(self.point)
        raise InputError(f"{name}=ans: ans is a point ({held}); write --at ans")

    def __str__(self) -> str:
        return self.point_text()


def known(answer: Answer | None) -> Answer:
    """``answer``, there to be used.

    Raises:
        InputError: no command has given one yet.
    """
    if answer is None:
        raise InputError(
            "ans has no value yet: it is the last result of diff, grad, hessian or descend"
        )
    return answer


def answer_of(report: Any) -> Answer | None:
    """The main value of a report's last row; None for a report without one (sweep, compare)."""
    if isinstance(report, (DiffReport, HessianReport)) and report.results:
        return Answer(value=np.asarray(report.results[-1].numerical))
    if isinstance(report, GradientReport) and report.results:
        return Answer(point=dict(report.results[-1].numerical))
    if isinstance(report, DescentReport):
        return Answer(point=dict(report.final.at))
    return None
