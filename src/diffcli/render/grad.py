"""How a ``grad`` report reads: its schema (flat rows, values) and its table."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..engine.registry import heading
from ..expr.points import Array, format_scalar
from ..results import GradientReport, GradientRow, GradientRows, relative_error
from . import (
    Column,
    analytic_heading,
    console,
    engine_name,
    error_number,
    formula_line,
    number,
    point_text,
    print_table,
)
from .schema import Cell, ColumnBlock, Schema, point_cells, point_labels

if TYPE_CHECKING:
    from rich.console import Console

#: Above this many coordinates the partial derivatives' formulas and the ∇f line are left out.
_FORMULAS_SHOWN = 8
#: A formula longer than this (a network's ∂L/∂W[i,j]) is left to JSON.
_FORMULA_LENGTH = 160


class GradientSchema(Schema[GradientReport]):
    """A ``grad`` report: one flat row per point, never repeating it per coordinate: a column
    per coordinate of the point, f's value, then ``numerical.LABEL`` per coordinate
    differentiated, ``analytic.LABEL`` when SymPy answered and ``error_estimate.LABEL`` when
    the method estimates its error (not the batched quotients)."""

    def columns(self, report: GradientReport) -> Sequence[str]:
        points, partials = _labels(report)
        groups = [f"{group}.{label}" for group in _groups(report) for label in partials]
        summary = ["norm", "analytic_norm", "max_abs_error", "evaluations", "status"]
        return [*points, "value", *groups, *summary]

    def rows(self, report: GradientReport) -> Iterable[Sequence[Cell]]:
        points, partials = _labels(report)
        groups = _groups(report)
        for row in report.results:
            line: list[Cell] = [*point_cells(row.at, points), row.loss]
            line += point_cells(row.numerical, partials)
            if "analytic" in groups:
                line += _known(point_cells(row.analytic or {}, partials))
            if "error_estimate" in groups:
                line += point_cells(row.error_estimate or {}, partials)
            summary = [row.norm, row.analytic_norm, row.max_abs_error, row.evaluations]
            yield [*line, *summary, row.status]

    def column_block(self, report: GradientReport) -> ColumnBlock | None:
        rows = report.results
        if not isinstance(rows, GradientRows):
            return None
        numbers = rows.numbers()
        points, partials = _labels(report)
        groups = [f"{group}.{label}" for group in _groups(report) for label in partials]
        statuses = rows.statuses
        return ColumnBlock(
            len(rows),
            [
                *(rows.columns[label] for label in points),
                numbers["value"],
                *(numbers[name] for name in groups),
                numbers["norm"],
                numbers.get("analytic_norm"),
                numbers.get("max_abs_error"),
                rows.evaluations * len(partials),
                statuses[0] if len(set(statuses)) == 1 else statuses,  # shared: faster
            ],
        )

    def values(self, report: GradientReport) -> Iterable[Sequence[float | None]]:
        rows = report.results
        if isinstance(rows, GradientRows):  # scalar variables: a partial derivative per column
            by_row = zip(*(column.tolist() for column in rows.numerical.values()))
            return ([value] for found in by_row for value in found)
        return ([value] for row in rows for _, value, _ in row.components())

    def table(self, report: GradientReport, precision: int | None) -> None:
        _table(report, precision)


def _labels(report: GradientReport) -> tuple[list[str], list[str]]:
    """The point's columns and the coordinates differentiated by."""
    if isinstance(report.results, GradientRows):  # scalar variables, held as columns
        return list(report.results.columns), list(report.results.numerical)
    points = point_labels(row.at for row in report.results)
    return points, point_labels(row.numerical for row in report.results)


def _groups(report: GradientReport) -> list[str]:
    """Which per-coordinate columns the rows have: numerical, analytic, error_estimate."""
    rows = report.results
    if isinstance(rows, GradientRows):
        return ["numerical", *(["analytic"] if rows.analytic is not None else [])]
    analytic = ["analytic"] if any(row.analytic is not None for row in rows) else []
    estimated = ["error_estimate"] if _has_estimates(report) else []
    return ["numerical", *analytic, *estimated]


def _known(values: list[Cell]) -> list[Cell]:
    """NaN, the analytic side's "no real value", as no value."""
    return [None if value is None or value != value else value for value in values]


def _has_estimates(report: GradientReport) -> bool:
    return any(row.error_estimate is not None for row in report.results)


def _per_coordinate(values: dict[str, Array] | None) -> list[float]:
    """A per-variable map (``error_estimate``, ``partial_evaluations``) flattened in the
    order of ``GradientRow.components``; empty when there is none."""
    if values is None:
        return []
    return [float(item) for value in values.values() for item in np.ravel(value)]


def _table(report: GradientReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}", soft_wrap=True, markup=False)
    partials = report.partials
    if partials is None:
        if report.analytic.source is None:  # AD gives values, never formulas
            out.print(f"∇f: n/a ({report.analytic.status})")
    elif len(partials) > _FORMULAS_SHOWN:
        pass  # the table's rows are the formulas' labels; JSON lists the formulas
    elif any(text is None or len(text) > _FORMULA_LENGTH for text in partials.values()):
        out.print(
            f"∂f/∂{_listing(list(partials))}: formulas too long for the table "
            "(JSON: partial_derivatives)",
            soft_wrap=True,
            markup=False,
        )
    else:
        for label, text in partials.items():
            if text is not None:  # always, after the check above
                out.print(formula_line(f"∂f/∂{label}", text, out.width), soft_wrap=True)
    method = heading(report.method, "grad")
    if report.step is None:
        out.print(method)
    elif report.method == "richardson":
        out.print(f"{method}, largest step h = {format_scalar(report.step)}")
    else:
        out.print(f"{method}, h = {format_scalar(report.step)}")
    for row in report.results:
        out.print()
        _point(out, report, row, precision)


def _listing(labels: list[str]) -> str:
    return ", ".join(labels) if len(labels) <= 2 else f"{labels[0]} … {labels[-1]}"


def _point(out: Console, report: GradientReport, row: GradientRow, precision: int | None) -> None:
    out.print(f"at {point_text(row.at)}", soft_wrap=True, markup=False)
    value = "loss f" if report.predicted is not None else "f"
    out.print(f"{value} = {number(row.loss, precision)}", soft_wrap=True, markup=False)
    if report.predicted is not None and row.predicted is not None:
        _value(out, f"predicted {report.predicted}", "", "", row.predicted, precision)
    for text, value in row.shown.items():
        _value(out, text, "", "", value, precision)
    analytic_shown = report.analytic.status in {"ok", "skipped"}
    unavailable = f"n/a ({report.analytic.status})"
    # (position among all coordinates, component) of the scalar and vector variables
    components = [
        (index, (label, numerical, analytic))
        for index, (label, numerical, analytic) in enumerate(row.components())
        if np.ndim(row.numerical[label.partition("[")[0]]) <= 1
    ]
    estimates = _per_coordinate(row.error_estimate)
    if components:
        columns = [
            Column("∂f/∂", justify="left"),
            Column("numerical"),
            Column(analytic_heading(report.analytic.source)),
            Column("abs error"),
            Column("rel error"),
        ]
        if estimates:
            columns.append(Column("est. err", optional=True))
        cells = [
            [
                label,
                "no derivative" if label in row.kinks else number(numerical, precision),
                number(analytic, precision) if analytic_shown else unavailable,
                error_number(None if analytic is None else abs(numerical - analytic)),
                error_number(relative_error(numerical, analytic)),
                *([error_number(estimates[index])] if estimates else []),
            ]
            for index, (label, numerical, analytic) in components
        ]
        print_table(out, columns, cells)
    for name, numerical in row.numerical.items():
        if np.ndim(numerical) <= 1:
            continue
        _value(out, f"∂f/∂{name}", ", numerical", name, numerical, precision)
        if row.analytic is not None:
            _value(
                out,
                f"∂f/∂{name}",
                f", analytic ({engine_name(report.analytic.source)})",
                name,
                row.analytic[name],
                precision,
                missing=True,
            )
        else:
            out.print(f"∂f/∂{name}, analytic: {unavailable}", soft_wrap=True, markup=False)
        if row.error_estimate is not None:
            _value(out, f"∂f/∂{name}", ", error estimate", name, row.error_estimate[name], 3)
    if row.analytic is not None:
        out.print(f"largest abs error: {error_number(row.max_abs_error)}")
    if row.error_estimate is not None:
        out.print(f"largest error estimate: {error_number(row.max_error_estimate)}")
    if len(components) == len(row.components()) <= _FORMULAS_SHOWN:
        vector = ", ".join(number(value, precision) for _, (_, value, _) in components)
        out.print(f"∇f = [{vector}]", soft_wrap=True, markup=False)
    norm = f"|∇f| = {number(row.norm, precision)}"
    if row.analytic is not None:
        norm += f" (analytic {number(row.analytic_norm, precision)})"
    out.print(norm, soft_wrap=True, markup=False)


def _value(
    out: Console,
    title: str,
    suffix: str,
    name: str,
    value: Array,
    precision: int | None,
    missing: bool = False,
) -> None:
    """A number on one line; a vector as a one-row table; a matrix (or each matrix of a
    rank-3 tensor) as a table in its shape, rows ``[i,:]`` and columns ``[:,j]``.

    With ``missing``, NaN means "no real value" and shows as ``n/a``.
    """
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        entry = _entry(array, precision, missing)
        out.print(f"{title}{suffix} = {entry}", soft_wrap=True, markup=False)
        return
    if array.ndim == 1:
        out.print(title + suffix, soft_wrap=True, markup=False)
        columns = [Column(f"[{j}]") for j in range(array.shape[0])]
        print_table(out, columns, [[_entry(entry, precision, missing) for entry in array]])
        return
    for lead in np.ndindex(*array.shape[:-2]):
        prefix = "".join(f"{i}," for i in lead)
        heading = f"{title}[{prefix}:,:]{suffix}" if lead else title + suffix
        out.print(heading, soft_wrap=True, markup=False)
        matrix = array[lead]
        columns = [
            Column(name, justify="left"),
            *(Column(f"[{prefix}:,{j}]") for j in range(matrix.shape[1])),
        ]
        cells = [
            [f"[{prefix}{i},:]", *(_entry(entry, precision, missing) for entry in line)]
            for i, line in enumerate(matrix)
        ]
        print_table(out, columns, cells)


def _entry(value: Array, precision: int | None, missing: bool) -> str:
    entry = float(value)
    return number(None if missing and math.isnan(entry) else entry, precision)
