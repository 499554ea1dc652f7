"""One schema per report kind: its JSON document, its flat columns and rows, its values, its table.

Every format reads a report through its schema only, so JSON, CSV and TSV (and any format added
later) show the same rows with the same statuses.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

#: One value of a flat row: text, a count, a number, a point, or None (no value).
Cell = Any


class Report(Protocol):
    """What every result record offers the output layer."""

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def as_dict(self) -> dict[str, Any]: ...


ReportT = TypeVar("ReportT", bound=Report)


class Schema(ABC, Generic[ReportT]):
    """How one kind of report reads as data: written once per report kind."""

    #: ``--format value`` shows numbers to ``--precision`` digits (sweep's errors: in full).
    value_precision: ClassVar[bool] = True

    def document(self, report: ReportT) -> dict[str, Any]:
        """The report as one JSON object (non-finite numbers are replaced on writing)."""
        return report.as_dict()

    @abstractmethod
    def columns(self, report: ReportT) -> Sequence[str]:
        """The names of the flat rows' columns (the CSV header)."""

    @abstractmethod
    def rows(self, report: ReportT) -> Iterable[Sequence[Cell]]:
        """The report's flat rows, one value per column, the row's status last."""

    @abstractmethod
    def values(self, report: ReportT) -> Iterable[Sequence[float | None]]:
        """The bare numbers, one line of them at a time (``--format value``)."""

    @abstractmethod
    def table(self, report: ReportT, precision: int | None) -> None:
        """The report for people, laid out for this kind of report, on stdout."""


def cell_text(value: Cell) -> str:
    """A flat row's value as text: numbers in full (``repr``), a point as typed, None empty."""
    from ..expr.points import format_point

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, Mapping):
        return format_point(value)
    return repr(float(value))
