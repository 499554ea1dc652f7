"""How a ``sweep`` report reads: its schema (flat rows, values) and its table of errors."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..expr.points import format_scalar
from ..results import SweepReport
from . import Column, console, error_number, number, point_text, print_table
from .schema import Cell, Schema


class SweepSchema(Schema[SweepReport]):
    """A ``sweep`` report: one flat row per step."""

    #: The errors print in full: the sweep is about their size at every step.
    value_precision = False
    entries_key = "rows"

    def columns(self, report: SweepReport) -> Sequence[str]:
        return _COLUMNS

    def rows(self, report: SweepReport) -> Iterable[Sequence[Cell]]:
        for row in report.rows:
            data = row.as_dict()
            yield [data[column] for column in _COLUMNS]

    def values(self, report: SweepReport) -> Iterable[Sequence[float | None]]:
        """Each step's two errors; ``nan nan`` at a kink, where no derivative exists to
        measure them against (``n/a``: no reference for another reason)."""
        for row in report.rows:
            if row.status == "kink":
                yield [math.nan, math.nan]
            else:
                yield [row.forward_error, row.central_error]

    def table(self, report: SweepReport, precision: int | None) -> None:
        _table(report, precision)


#: The flat rows' columns: every key of a row's JSON.
_COLUMNS = ("step", "forward", "forward_error", "central", "central_error", "status")


def _table(report: SweepReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}, at {point_text(report.at)}")
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
