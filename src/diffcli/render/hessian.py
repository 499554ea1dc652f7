"""How a ``hessian`` report reads: its schema (flat rows, values) and its matrix tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..engine.registry import heading
from ..expr.points import format_scalar
from ..results import HessianReport, HessianRow, HessianRows
from . import Column, console, engine_name, error_number, number, point_text, print_table
from .schema import Cell, ColumnBlock, Schema, point_cells, point_labels

if TYPE_CHECKING:
    from rich.console import Console

    from ..expr.points import Array


class HessianSchema(Schema[HessianReport]):
    """A ``hessian`` report: one flat row per point: a column per coordinate of the point,
    then ``numerical.A.B`` per matrix entry (row A, column B), ``analytic.A.B`` when SymPy
    answered and ``error_estimate.A.B`` for the adaptive methods."""

    def columns(self, report: HessianReport) -> Sequence[str]:
        entries = _entries(report)
        groups = [f"{group}.{entry}" for group in _groups(report) for entry in entries]
        return [
            *_point_labels(report),
            *groups,
            "max_abs_error",
            "evaluations",
            "status",
        ]

    def rows(self, report: HessianReport) -> Iterable[Sequence[Cell]]:
        points = _point_labels(report)
        entries = _entries(report)
        groups = _groups(report)
        for row in report.results:
            own = [f"{first}.{second}" for first in row.labels for second in row.labels]
            line: list[Cell] = point_cells(row.at, points)
            line += _by_entry(own, row.numerical, entries)
            if "analytic" in groups:
                line += _by_entry(own, row.analytic, entries, missing=True)
            if "error_estimate" in groups:
                line += _by_entry(own, row.error_estimate, entries)
            yield [*line, row.max_abs_error, row.evaluations, row.status]

    def column_block(self, report: HessianReport) -> ColumnBlock | None:
        rows = report.results
        if not isinstance(rows, HessianRows):
            return None
        numbers = rows.numbers()
        entries = _entries(report)
        groups = [f"{group}.{entry}" for group in _groups(report) for entry in entries]
        statuses = rows.statuses
        return ColumnBlock(
            len(rows),
            [
                *(rows.columns[label] for label in rows.columns),
                *(numbers[name] for name in groups),
                numbers.get("max_abs_error"),
                rows.evaluations,
                statuses[0] if len(set(statuses)) == 1 else statuses,  # shared: faster
            ],
        )

    def values(self, report: HessianReport) -> Iterable[Sequence[float | None]]:
        rows = report.results
        if isinstance(rows, HessianRows):
            return (line for matrix in rows.numerical.tolist() for line in matrix)
        return (list(line) for row in rows for line in row.numerical)

    def table(self, report: HessianReport, precision: int | None) -> None:
        _table(report, precision)


def _point_labels(report: HessianReport) -> list[str]:
    """The point's columns."""
    if isinstance(report.results, HessianRows):  # scalar variables, held as columns
        return list(report.results.columns)
    return point_labels(row.at for row in report.results)


def _entries(report: HessianReport) -> list[str]:
    """``A.B`` for every matrix entry, row-major, first seen first over all points."""
    if isinstance(report.results, HessianRows):  # one layout for every point
        labels = report.results.labels
        return [f"{first}.{second}" for first in labels for second in labels]
    found: dict[str, None] = {}
    for row in report.results:
        found.update((f"{first}.{second}", None) for first in row.labels for second in row.labels)
    return list(found)


def _groups(report: HessianReport) -> list[str]:
    """Which per-entry columns the rows have: numerical, analytic, error_estimate."""
    rows = report.results
    if isinstance(rows, HessianRows):
        analytic = ["analytic"] if rows.analytic is not None else []
    else:
        analytic = ["analytic"] if any(row.analytic is not None for row in rows) else []
    estimated = ["error_estimate"] if report.method != "central" else []
    return ["numerical", *analytic, *estimated]


def _by_entry(
    own: list[str], matrix: Array | None, entries: list[str], missing: bool = False
) -> list[Cell]:
    """A matrix's entries in the columns' order, None where this row has no such entry;
    with ``missing``, NaN means "no real value" and is None too."""
    values = {} if matrix is None else dict(zip(own, np.ravel(matrix).tolist()))
    found = [values.get(entry) for entry in entries]
    return [None if value is None else _known(value) for value in found] if missing else found


def _known(value: float) -> float | None:
    return None if value != value else float(value)  # NaN marks "no real analytic value"


def _table(report: HessianReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}", soft_wrap=True, markup=False)
    if report.step is None:
        out.print(heading(report.method, "hessian"))
    else:
        out.print(f"central second differences, h = {format_scalar(report.step)}")
    for row in report.results:
        out.print()
        out.print(f"at {point_text(row.at)}", soft_wrap=True, markup=False)
        _matrix(out, row, row.numerical, "numerical Hessian", precision, missing=False)
        if row.error_estimate is not None:
            _matrix(out, row, row.error_estimate, "error estimate", 3, missing=False)
        if row.analytic is not None:
            title = f"analytic Hessian ({engine_name(report.analytic.source)})"
            _matrix(out, row, row.analytic, title, precision, missing=True)
            out.print(f"largest abs error: {error_number(row.max_abs_error)}")
        else:
            out.print(f"analytic Hessian: n/a ({report.analytic.status})")
        if row.error_estimate is not None:
            out.print(f"largest error estimate: {error_number(row.max_error_estimate)}")


def _matrix(
    out: Console,
    row: HessianRow,
    matrix: Array,
    title: str,
    precision: int | None,
    missing: bool,
) -> None:
    """One matrix; with ``missing``, NaN means "no real value" and shows as n/a."""
    columns = [Column("row", justify="left"), *(Column(label) for label in row.labels)]
    cells = [
        [
            label,
            *(number(_known(value) if missing else float(value), precision) for value in line),
        ]
        for label, line in zip(row.labels, matrix)
    ]
    print_table(out, columns, cells, title=title)
