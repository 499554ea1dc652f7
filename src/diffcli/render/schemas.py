"""Which schema reads which report: the one lookup every format goes through."""

from __future__ import annotations

from functools import cache
from typing import Any

from .schema import Schema


def schema_for(report: object) -> Schema[Any]:
    """The schema of ``report``'s kind.

    Raises:
        TypeError: no schema reads this kind of report.
    """
    try:
        return _schemas()[type(report)]
    except KeyError:
        raise TypeError(f"no schema reads a {type(report).__name__}") from None


@cache
def _schemas() -> dict[type, Schema[Any]]:
    from ..descent import CompareReport, DescentReport
    from ..results import DiffReport, GradientReport, HessianReport, SweepReport
    from .descend import CompareSchema, DescentSchema
    from .diff import DiffSchema
    from .grad import GradientSchema
    from .hessian import HessianSchema
    from .sweep import SweepSchema

    return {
        DiffReport: DiffSchema(),
        GradientReport: GradientSchema(),
        HessianReport: HessianSchema(),
        SweepReport: SweepSchema(),
        DescentReport: DescentSchema(),
        CompareReport: CompareSchema(),
    }
