"""How a ``grad`` report looks: table, JSON, CSV/TSV or bare values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..points import format_point, format_scalar
from ..results import GradientReport, GradientRow, relative_error
from . import Column, console, emit_delimited, emit_json, error_number, number, print_table, warn

if TYPE_CHECKING:
    from rich.console import Console

_METHOD_NAMES = {
    "forward": "forward difference",
    "backward": "backward difference",
    "central": "central difference",
}
#: Above this many coordinates the partial derivatives' formulas and the ∇f line are left out.
_FORMULAS_SHOWN = 8


def render_grad(report: GradientReport, output_format: str, precision: int | None) -> None:
    """Write the report to stdout and its warnings to stderr."""
    for message in report.warnings:
        warn(message)
    if output_format == "json":
        emit_json(report.as_dict())
        return
    if output_format == "value":
        for row in report.results:
            for _, numerical, _ in row.components():
                print(number(numerical, precision))
        return
    if output_format in {"csv", "tsv"}:
        _delimited(report, "," if output_format == "csv" else "\t")
        return
    _table(report, precision)


def _delimited(report: GradientReport, delimiter: str) -> None:
    headers = ["at", "coordinate", "numerical", "analytic", "abs_error", "rel_error"]
    lines = []
    for row in report.results:
        at = format_point(row.at)
        for label, numerical, analytic in row.components():
            error = None if analytic is None else abs(numerical - analytic)
            relative = relative_error(numerical, analytic)
            lines.append(
                [
                    at,
                    label,
                    repr(numerical),
                    "" if analytic is None else repr(analytic),
                    "" if error is None else repr(error),
                    "" if relative is None else repr(relative),
                ]
            )
    emit_delimited(headers, lines, delimiter)


def _table(report: GradientReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}", soft_wrap=True, markup=False)
    partials = report.partials
    if partials is not None and len(partials) <= _FORMULAS_SHOWN:
        for label, text in partials.items():
            out.print(f"∂f/∂{label} = {text}", soft_wrap=True, markup=False)
    elif partials is None:
        out.print(f"∇f: n/a ({report.analytic.status})")
    method = _METHOD_NAMES.get(report.method, report.method)
    out.print(f"{method}, h = {format_scalar(report.step)}")
    for row in report.results:
        out.print()
        _point_table(out, report, row, precision)


def _point_table(
    out: Console, report: GradientReport, row: GradientRow, precision: int | None
) -> None:
    analytic_shown = report.analytic.status in {"ok", "skipped"}
    unavailable = f"n/a ({report.analytic.status})"
    columns = [
        Column("∂f/∂", justify="left"),
        Column("numerical"),
        Column("analytic"),
        Column("abs error"),
        Column("rel error"),
    ]
    cells = []
    for label, numerical, analytic in row.components():
        error = None if analytic is None else abs(numerical - analytic)
        cells.append(
            [
                label,
                number(numerical, precision),
                number(analytic, precision) if analytic_shown else unavailable,
                error_number(error),
                error_number(relative_error(numerical, analytic)),
            ]
        )
    print_table(out, columns, cells, title=f"at {format_point(row.at)}")
    components = row.components()
    if len(components) <= _FORMULAS_SHOWN:  # a longer vector is the table's column already
        vector = ", ".join(number(value, precision) for _, value, _ in components)
        out.print(f"∇f = [{vector}]", soft_wrap=True, markup=False)
    norm = f"|∇f| = {number(row.norm, precision)}"
    if row.analytic is not None:
        norm += f" (analytic {number(row.analytic_norm, precision)})"
    out.print(norm, soft_wrap=True, markup=False)
