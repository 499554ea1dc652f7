"""How a ``sweep`` report looks: a table of errors against h, JSON, CSV/TSV or bare values."""

from __future__ import annotations

from ..expr.points import format_point, format_scalar
from ..results import SweepReport
from . import Column, console, emit_delimited, error_number, number, print_table, start


def render_sweep(report: SweepReport, output_format: str, precision: int | None) -> None:
    """Write the report to stdout and its warnings to stderr."""
    if start(report, output_format):
        return
    if output_format == "value":
        for row in report.rows:
            print(number(row.forward_error), number(row.central_error))
        return
    if output_format in {"csv", "tsv"}:
        emit_delimited(
            ["step", "forward", "forward_error", "central", "central_error"],
            (
                [
                    repr(row.step),
                    repr(row.forward),
                    "" if row.forward_error is None else repr(row.forward_error),
                    repr(row.central),
                    "" if row.central_error is None else repr(row.central_error),
                ]
                for row in report.rows
            ),
            "," if output_format == "csv" else "\t",
        )
        return
    out = console()
    out.print(f"f = {report.expression}, at {format_point(report.at)}")
    reference = number(report.reference, precision)
    out.print(f"df/d{report.variable} = {reference} ({report.reference_source})")
    out.print("errors |difference quotient - df/dx| of the primer's quotients:")
    columns = [
        Column("h"),
        Column("forward error"),
        Column("central error"),
        Column("best h for", justify="left"),
    ]
    rows = []
    for row in report.rows:
        best = [
            name
            for name, step in (
                ("forward", report.best_forward_step),
                ("central", report.best_central_step),
            )
            if step == row.step
        ]
        rows.append(
            [
                format_scalar(row.step),
                error_number(row.forward_error),
                error_number(row.central_error),
                " ".join(best),
            ]
        )
    print_table(out, columns, rows)
    out.print(report.explanation, soft_wrap=True)
