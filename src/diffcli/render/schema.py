"""One schema per report kind: its JSON document, its flat columns and rows, its values, its table.

Every format reads a report through its schema only, so JSON, CSV and TSV (and any format added
later) show the same rows with the same statuses.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

#: One value of a flat row: text, a count, a number, or None (no value).
Cell = Any


class Report(Protocol):
    """What every result record offers the output layer."""

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def as_dict(self) -> dict[str, Any]: ...


ReportT = TypeVar("ReportT", bound=Report)


@dataclass(frozen=True)
class ColumnBlock:
    """A report's flat rows as columns, one per entry of ``Schema.columns``: a float64 array
    (a masked one: empty cells where masked), a sequence of cells, or one cell shared by
    every row. CSV and TSV format such a column at once instead of cell by cell."""

    rows: int
    columns: Sequence[Any]

    def select(self, positions: Sequence[int]) -> ColumnBlock:
        """Only the columns at ``positions``, in their order."""
        return ColumnBlock(self.rows, [self.columns[position] for position in positions])


class Schema(ABC, Generic[ReportT]):
    """How one kind of report reads as data: written once per report kind."""

    #: ``--format value`` shows numbers to ``--precision`` digits (sweep's errors: in full).
    value_precision: ClassVar[bool] = True
    #: The document's list of one object per row, whose keys ``--fields`` selects in JSON
    #: (None: JSON takes no ``--fields``; CSV, TSV and JSON Lines still do).
    entries_key: ClassVar[str | None] = "results"

    def document(self, report: ReportT) -> dict[str, Any]:
        """The report as one JSON object (non-finite numbers are replaced on writing)."""
        return report.as_dict()

    @abstractmethod
    def columns(self, report: ReportT) -> Sequence[str]:
        """The names of the flat rows' columns (the CSV header)."""

    @abstractmethod
    def rows(self, report: ReportT) -> Iterable[Sequence[Cell]]:
        """The report's flat rows, one value per column, the row's status last: numbers,
        counts, text or None, never a point (a point is one column per coordinate)."""

    def column_block(self, report: ReportT) -> ColumnBlock | None:
        """The flat rows as columns, when the report holds them so (None: ``rows`` only)."""
        return None

    @abstractmethod
    def values(self, report: ReportT) -> Iterable[Sequence[float | None]]:
        """The bare numbers, one line of them at a time (``--format value``)."""

    @abstractmethod
    def table(self, report: ReportT, precision: int | None) -> None:
        """The report for people, laid out for this kind of report, on stdout."""


def cell_text(value: Cell, precision: int | None = None) -> str:
    """A flat row's value as text: numbers in full (``repr``) or to ``precision`` significant
    digits, None empty."""
    if type(value) is float:  # most cells: first, and without the checks below
        return repr(value) if precision is None else f"{value:.{precision}g}"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(value)
    if precision is None:
        return repr(float(value))
    return f"{float(value):.{precision}g}"


def point_labels(points: Iterable[Mapping[str, Any]]) -> list[str]:
    """The point columns: every coordinate's label (``x0``, ``x[0]``, ``W[0,1]``, row-major
    within a tensor), in the order first seen over all points."""
    labels: dict[str, None] = {}
    layouts_seen: set[tuple[tuple[str, tuple[int, ...]], ...]] = set()
    for point in points:
        layout = _layout(point)
        if layout not in layouts_seen:
            layouts_seen.add(layout)
            labels.update(dict.fromkeys(_labels(point)))
    return list(labels)


def point_cells(point: Mapping[str, Any], labels: Sequence[str]) -> list[Cell]:
    """The point's value in each of the point columns ``labels`` (None where it has none)."""
    import numpy as np

    if _layout(point) == tuple((label, ()) for label in labels):  # scalars, in order
        return [float(value) for value in point.values()]
    values = [item for value in point.values() for item in np.ravel(value).tolist()]
    by_label = dict(zip(_labels(point), values))
    return [by_label.get(label) for label in labels]


def _layout(point: Mapping[str, Any]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each variable's name and shape (a Python float: a scalar)."""
    return tuple((name, getattr(value, "shape", ())) for name, value in point.items())


def _labels(point: Mapping[str, Any]) -> list[str]:
    from ..engine.coordinates import coordinates

    return [coordinate.label for coordinate in coordinates(point)]
