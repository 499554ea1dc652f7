"""How a ``sweep`` report reads: its schema (flat rows, values) and its table of errors."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

from ..expr.points import format_scalar
from ..results import SweepReport, SweepsReport
from . import Column, console, error_number, number, point_text, print_table
from .schema import Cell, Schema, point_cells, point_labels


class SweepSchema(Schema[SweepReport]):
    """A ``sweep`` report: one flat row per step, after the point's columns."""

    #: The errors print in full: the sweep is about their size at every step.
    value_precision = False
    entries_key = "rows"

    def columns(self, report: SweepReport) -> Sequence[str]:
        return [*point_labels([report.at]), *_COLUMNS]

    def rows(self, report: SweepReport) -> Iterable[Sequence[Cell]]:
        return _rows(report, point_labels([report.at]))

    def values(self, report: SweepReport) -> Iterable[Sequence[float | None]]:
        return _values(report)

    def table(self, report: SweepReport, precision: int | None) -> None:
        _table(report, precision)
        console().print(report.explanation, soft_wrap=True)


class SweepsSchema(Schema[SweepsReport]):
    """``sweep`` at several points: each point's sweep in turn, the flat rows of all of them
    under one header (each row leads with its point)."""

    value_precision = False
    #: JSON nests each point's rows in its sweep: ``--fields`` selects CSV/TSV/JSONL columns.
    entries_key = None

    def columns(self, report: SweepsReport) -> Sequence[str]:
        return [*point_labels(swept.at for swept in report.sweeps), *_COLUMNS]

    def rows(self, report: SweepsReport) -> Iterable[Sequence[Cell]]:
        labels = point_labels(swept.at for swept in report.sweeps)
        for swept in report.sweeps:
            yield from _rows(swept, labels)

    def values(self, report: SweepsReport) -> Iterable[Sequence[float | None]]:
        for swept in report.sweeps:
            yield from _values(swept)

    def table(self, report: SweepsReport, precision: int | None) -> None:
        for index, swept in enumerate(report.sweeps):
            if index:
                console().print()
            _table(swept, precision)
        console().print(report.sweeps[0].explanation, soft_wrap=True)


def _rows(report: SweepReport, labels: Sequence[str]) -> Iterator[Sequence[Cell]]:
    """The flat rows of one sweep, each after its point's value in the point columns."""
    point = point_cells(report.at, labels)
    for row in report.rows:
        data = row.as_dict()
        yield [*point, *(data[column] for column in _COLUMNS)]


def _values(report: SweepReport) -> Iterator[Sequence[float | None]]:
    """Each step's two errors; ``nan nan`` at a kink, where no derivative exists to measure
    them against (``n/a``: no reference for another reason)."""
    for row in report.rows:
        if row.status == "kink":
            yield [math.nan, math.nan]
        else:
            yield [row.forward_error, row.central_error]


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
