"""How a ``diff`` report looks: table, JSON, CSV/TSV or bare values."""

from __future__ import annotations

from ..expr.points import format_point, format_scalar
from ..results import DerivativeRow, DiffReport
from . import Column, console, emit_delimited, error_number, number, print_table, start

_METHOD_NAMES = {
    "forward": "forward difference",
    "backward": "backward difference",
    "central": "central difference",
    "five-point": "five-point stencil",
    "richardson": "Richardson extrapolation (adaptive steps)",
    "complex": "complex step",
    "auto": "auto (the most accurate method available)",
}


def render_diff(report: DiffReport, output_format: str, precision: int | None) -> None:
    """Write the report to stdout and its warnings to stderr."""
    if start(report, output_format):
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
            "error_estimate",
            "left",
            "right",
            "technique",
        ]
        emit_delimited(
            headers,
            (
                [
                    format_point(row.at),
                    row.method,
                    _plain(row.step),
                    repr(row.numerical),
                    _plain(row.analytic),
                    _plain(row.abs_error),
                    _plain(row.rel_error),
                    str(row.evaluations),
                    _plain(row.error_estimate),
                    _plain(row.left),
                    _plain(row.right),
                    row.technique,
                ]
                for row in report.results
            ),
            "," if output_format == "csv" else "\t",
        )
        return
    _table(report, precision)


def _plain(value: float | None) -> str:
    return "" if value is None else repr(value)


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
        out.print(f"{label} = {report.derivative}")
    else:
        out.print(f"{label}: n/a ({report.analytic.status})")
    methods = {row.method for row in report.results}
    steps = {row.step for row in report.results}
    kinks = any(row.is_kink for row in report.results)
    shared: list[str] = []
    if len(methods) == 1:
        method = next(iter(methods))
        shared.append(_METHOD_NAMES.get(method, method))
    if len(steps) == 1 and None not in steps:
        shared.append(f"h = {format_scalar(next(iter(steps)))}")  # type: ignore[arg-type]
    points = {format_point(row.at) for row in report.results}
    if len(methods) > 1 and len(points) == 1:
        _side_by_side(report, precision, label, next(iter(points)))
        return
    columns = [Column("at", essential=False, justify="left")]
    if len(methods) > 1:
        columns.append(Column("method", essential=False, justify="left"))
    if len(steps) > 1:
        columns.append(Column("h", essential=False))
    columns += [Column("numerical"), Column("analytic"), Column("abs err"), Column("rel err")]
    if kinks:
        columns += [Column("left"), Column("right")]
    columns += [Column("est. err", optional=True), Column("evals", optional=True)]
    rows = []
    for row in report.results:
        cells = [format_point(row.at)]
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
        out.print(f"{label} at {point} = {number(analytic, precision)}")
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
