"""How a ``hessian`` report looks: matrix tables, JSON, CSV/TSV or bare values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..expr.points import format_point, format_scalar
from ..results import HessianReport, HessianRow
from . import Column, console, emit_delimited, error_number, number, print_table, start

if TYPE_CHECKING:
    from rich.console import Console

    from ..expr.points import Array


_ADAPTIVE_NAMES = {
    "richardson": "Richardson extrapolation, entry by entry",
    "auto": "auto (complex step where analytic, else Richardson), entry by entry",
}


def render_hessian(report: HessianReport, output_format: str, precision: int | None) -> None:
    """Write the report to stdout and its warnings to stderr."""
    if start(report, output_format):
        return
    if output_format == "value":
        for row in report.results:
            for line in row.numerical:
                print(" ".join(number(value, precision) for value in line))
        return
    if output_format in {"csv", "tsv"}:
        _delimited(report, "," if output_format == "csv" else "\t")
        return
    _table(report, precision)


def _delimited(report: HessianReport, delimiter: str) -> None:
    """One line per matrix entry; an ``error_estimate`` column follows for the adaptive
    methods."""
    estimated = report.method != "central"
    headers = ["at", "row", "column", "numerical", "analytic", "abs_error"]
    if estimated:
        headers.append("error_estimate")
    lines = []
    for row in report.results:
        at = format_point(row.at)
        errors = row.abs_error
        for i, first in enumerate(row.labels):
            for j, second in enumerate(row.labels):
                analytic = None if row.analytic is None else _known(row.analytic[i, j])
                error = None if errors is None else _known(errors[i, j])
                line = [
                    at,
                    first,
                    second,
                    repr(float(row.numerical[i, j])),
                    "" if analytic is None else repr(analytic),
                    "" if error is None else repr(error),
                ]
                if estimated and row.error_estimate is not None:
                    line.append(repr(float(row.error_estimate[i, j])))
                lines.append(line)
    emit_delimited(headers, lines, delimiter)


def _known(value: float) -> float | None:
    return None if value != value else float(value)  # NaN marks "no real analytic value"


def _table(report: HessianReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}", soft_wrap=True, markup=False)
    if report.step is None:
        out.print(_ADAPTIVE_NAMES.get(report.method, report.method))
    else:
        out.print(f"central second differences, h = {format_scalar(report.step)}")
    for row in report.results:
        out.print()
        out.print(f"at {format_point(row.at)}", soft_wrap=True, markup=False)
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
