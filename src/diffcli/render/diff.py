"""How a ``diff`` report reads: its schema (flat rows, values) and its table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter

from ..engine.registry import heading
from ..expr.points import Point, PointColumns, format_point, format_scalar, layouts
from ..results import DerivativeRow, DerivativeRows, DiffReport
from . import (
    Column,
    analytic_heading,
    console,
    error_number,
    formula_line,
    number,
    point_text,
    print_table,
)
from .schema import Cell, ColumnBlock, Schema, point_cells, point_labels


class DiffSchema(Schema[DiffReport]):
    """A ``diff`` report: one flat row per point and method, a column per coordinate."""

    def columns(self, report: DiffReport) -> Sequence[str]:
        return [*point_labels(_points(report)), *_FIELDS]

    def rows(self, report: DiffReport) -> Iterable[Sequence[Cell]]:
        labels = point_labels(_points(report))
        # the same values as the row's JSON (whose keys are the row's attributes), the point
        # one column per coordinate
        fields = attrgetter(*_FIELDS)
        for row in report.results:
            yield [*point_cells(row.at, labels), *fields(row)]

    def column_block(self, report: DiffReport) -> ColumnBlock | None:
        rows = report.results
        if not isinstance(rows, DerivativeRows) or not isinstance(rows.points, PointColumns):
            return None
        labels = point_labels(layouts(rows.points))
        if labels != list(rows.points.first):  # a variable that is not a scalar
            return None
        numbers = rows.numbers()
        shared = {"method": rows.method, "step": rows.step, "evaluations": rows.evaluations}
        cells = {**numbers, **shared, "left": None, "right": None, "technique": ""}
        statuses = rows.statuses
        cells["status"] = statuses[0] if len(set(statuses)) == 1 else statuses  # shared: faster
        points = [rows.points.column(label) for label in labels]
        return ColumnBlock(len(rows), [*points, *(cells[name] for name in _FIELDS)])

    def values(self, report: DiffReport) -> Iterable[Sequence[float | None]]:
        return ([row.numerical] for row in report.results)

    def table(self, report: DiffReport, precision: int | None) -> None:
        _table(report, precision)


def _points(report: DiffReport) -> Sequence[Point]:
    """The rows' points, enough of them to show every layout (``layouts``)."""
    if isinstance(report.results, DerivativeRows):
        return layouts(report.results.points)
    return [row.at for row in report.results]


#: The flat rows' columns after the point's: every other key of a result's JSON, ``status``
#: last.
_FIELDS = (
    "value",
    "method",
    "step",
    "numerical",
    "analytic",
    "abs_error",
    "rel_error",
    "evaluations",
    "error_estimate",
    "left",
    "right",
    "technique",
    "status",
)


def derivative_label(variable: str, order: int) -> str:
    """``df/dx``, ``d2f/dx2`` …"""
    if order == 1:
        return f"df/d{variable}"
    return f"d{order}f/d{variable}{order}"


def _table(report: DiffReport, precision: int | None) -> None:
    out = console()
    label = derivative_label(report.variable, report.order)
    out.print(f"f = {report.expression}")
    if report.derivative is not None:
        out.print(formula_line(label, report.derivative, out.width))
    elif report.analytic.source is None:
        out.print(f"{label}: n/a ({report.analytic.status})")
    methods = {row.method for row in report.results}
    steps = {row.step for row in report.results}
    kinks = any(row.is_kink for row in report.results)
    shared: list[str] = []
    if len(methods) == 1:
        method = next(iter(methods))
        shared.append(heading(method, "diff"))
    if len(steps) == 1 and None not in steps:
        shared.append(f"h = {format_scalar(next(iter(steps)))}")  # type: ignore[arg-type]
    points = {format_point(row.at) for row in report.results}
    if len(methods) > 1 and len(points) == 1:
        _side_by_side(report, precision, label, point_text(report.results[0].at))
        return
    columns = [Column("at", essential=False, justify="left")]
    if len(methods) > 1:
        columns.append(Column("method", essential=False, justify="left"))
    if len(steps) > 1:
        columns.append(Column("h", essential=False))
    columns += [
        Column("numerical"),
        Column(analytic_heading(report.analytic.source)),
        Column("abs err"),
        Column("rel err"),
    ]
    if kinks:
        columns += [Column("left"), Column("right")]
    columns += [Column("est. err", optional=True), Column("evals", optional=True)]
    rows = []
    for row in report.results:
        cells = [point_text(row.at)]
        if len(methods) > 1:
            cells.append(row.method)
        if len(steps) > 1:
            cells.append("" if row.step is None else error_number(row.step))
        cells += [
            _numerical(row, precision),
            number(row.analytic, precision)
            if report.analytic.status in {"ok", "skipped"}
            else f"n/a ({report.analytic.status})",
            error_number(row.abs_error),
            error_number(row.rel_error),
        ]
        if kinks:
            cells += [number(row.left, precision), number(row.right, precision)]
        cells += [error_number(row.error_estimate), str(row.evaluations)]
        rows.append(cells)
    print_table(out, columns, rows, title=", ".join(shared) or None)


def _numerical(row: DerivativeRow, precision: int | None) -> str:
    return "no derivative" if row.is_kink else number(row.numerical, precision)


def _side_by_side(report: DiffReport, precision: int | None, label: str, point: str) -> None:
    """Every method at one point: the analytic value goes above, one row per method."""
    out = console()
    analytic = report.results[0].analytic
    if report.analytic.status in {"ok", "skipped"}:
        by_ad = " (AD)" if report.analytic.source == "ad" else ""
        out.print(f"{label} at {point} = {number(analytic, precision)}{by_ad}")
    kinks = any(row.is_kink for row in report.results)
    columns = [Column("method", justify="left"), Column("h"), Column("numerical")]
    # at a kink every row is one, and an error against SymPy's value means nothing
    columns += [Column("left"), Column("right")] if kinks else [Column("abs error")]
    columns += [Column("est. err", optional=True), Column("evals", optional=True)]
    rows = []
    for row in report.results:
        cells = [
            row.method,
            "adaptive" if row.step is None else error_number(row.step),
            _numerical(row, precision),
        ]
        if kinks:
            cells += [number(row.left, precision), number(row.right, precision)]
        else:
            cells.append(error_number(row.abs_error))
        cells += [error_number(row.error_estimate), str(row.evaluations)]
        rows.append(cells)
    print_table(out, columns, rows)
