"""How a ``hessian`` report reads: its schema (flat rows, values) and its matrix tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..engine.registry import heading
from ..expr.points import format_scalar
from ..results import HessianReport, HessianRow
from . import Column, console, error_number, number, point_text, print_table
from .schema import Cell, Schema

if TYPE_CHECKING:
    from rich.console import Console

    from ..expr.points import Array


class HessianSchema(Schema[HessianReport]):
    """A ``hessian`` report: one flat row per matrix entry; an ``error_estimate`` column
    follows for the adaptive methods."""

    def columns(self, report: HessianReport) -> Sequence[str]:
        estimated = ["error_estimate"] if report.method != "central" else []
        return ["at", "row", "column", "numerical", "analytic", "abs_error", *estimated, "status"]

    def rows(self, report: HessianReport) -> Iterable[Sequence[Cell]]:
        estimated = report.method != "central"
        for row in report.results:
            errors = row.abs_error
            for i, first in enumerate(row.labels):
                for j, second in enumerate(row.labels):
                    line: list[Cell] = [
                        row.at,
                        first,
                        second,
                        float(row.numerical[i, j]),
                        None if row.analytic is None else _known(row.analytic[i, j]),
                        None if errors is None else _known(errors[i, j]),
                    ]
                    if estimated:
                        estimate = row.error_estimate
                        line.append(None if estimate is None else float(estimate[i, j]))
                    yield [*line, row.status]

    def values(self, report: HessianReport) -> Iterable[Sequence[float | None]]:
        return (list(line) for row in report.results for line in row.numerical)

    def table(self, report: HessianReport, precision: int | None) -> None:
        _table(report, precision)


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
            _matrix(out, row, row.analytic, "analytic Hessian (SymPy)", precision, missing=True)
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
