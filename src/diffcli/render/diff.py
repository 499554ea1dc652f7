"""How a ``diff`` report looks: table, JSON, CSV/TSV or bare values."""

from __future__ import annotations

from ..points import format_point, format_scalar
from ..results import DiffReport
from . import Column, console, emit_delimited, emit_json, error_number, number, print_table, warn

_METHOD_NAMES = {
    "forward": "forward difference",
    "backward": "backward difference",
    "central": "central difference",
}


def render_diff(report: DiffReport, output_format: str, precision: int | None) -> None:
    """Write the report to stdout and its warnings to stderr."""
    for message in report.warnings:
        warn(message)
    if output_format == "json":
        emit_json(report.as_dict())
        return
    if output_format == "value":
        for row in report.results:
            print(number(row.numerical, precision))
        return
    if output_format in {"csv", "tsv"}:
        headers = [
            "at",
            "method",
            "step",
            "numerical",
            "analytic",
            "abs_error",
            "rel_error",
            "evaluations",
        ]
        emit_delimited(
            headers,
            (
                [
                    format_point(row.at),
                    row.method,
                    "" if row.step is None else repr(row.step),
                    repr(row.numerical),
                    "" if row.analytic is None else repr(row.analytic),
                    "" if row.abs_error is None else repr(row.abs_error),
                    "" if row.rel_error is None else repr(row.rel_error),
                    str(row.evaluations),
                ]
                for row in report.results
            ),
            "," if output_format == "csv" else "\t",
        )
        return
    _table(report, precision)


def _table(report: DiffReport, precision: int | None) -> None:
    out = console()
    variable = report.variable
    out.print(f"f = {report.expression}")
    if report.derivative is not None:
        out.print(f"df/d{variable} = {report.derivative}")
    else:
        out.print(f"df/d{variable}: n/a ({report.analytic.status})")
    methods = {row.method for row in report.results}
    steps = {row.step for row in report.results}
    shared: list[str] = []
    if len(methods) == 1:
        method = next(iter(methods))
        shared.append(_METHOD_NAMES.get(method, method))
    if len(steps) == 1 and None not in steps:
        shared.append(f"h = {format_scalar(next(iter(steps)))}")  # type: ignore[arg-type]
    columns = [Column("at", essential=False, justify="left")]
    if len(methods) > 1:
        columns.append(Column("method", essential=False, justify="left"))
    if len(steps) > 1:
        columns.append(Column("h", essential=False))
    columns += [Column("numerical"), Column("analytic"), Column("abs err"), Column("rel err")]
    rows = []
    for row in report.results:
        cells = [format_point(row.at)]
        if len(methods) > 1:
            cells.append(row.method)
        if len(steps) > 1:
            cells.append("" if row.step is None else format_scalar(row.step))
        cells += [
            number(row.numerical, precision),
            number(row.analytic, precision)
            if report.analytic.status in {"ok", "skipped"}
            else f"n/a ({report.analytic.status})",
            error_number(row.abs_error),
            error_number(row.rel_error),
        ]
        rows.append(cells)
    print_table(out, columns, rows, title=", ".join(shared) or None)
