"""How a ``descend`` run reads: its schemas (runs, comparisons), summary and trace tables, the
history file and the progress bar."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any

from ..engine.coordinates import Layout
from ..errors import InputError, param
from ..expr.points import format_scalar
from ..terminal import OutputError, spelled_for
from ..usecases.descent import (
    CompareReport,
    DescentReport,
    StationaryPoint,
    StationaryPoints,
    Step,
)
from . import Column, console, error_number, number, point_text, print_table
from .schema import Cell, Schema, cell_text

Array = Any

if TYPE_CHECKING:
    from rich.console import Console

#: Runs shorter than this get no progress bar: it would only flicker.
PROGRESS_MIN_STEPS = 10_000
#: A trace shows one column per coordinate up to this many coordinates.
MAX_COORDINATE_COLUMNS = 4


class DescentSchema(Schema[DescentReport]):
    """One run: a flat row per trace point (or the start and the final point), the values of
    the final point. The run's status (``results.RUN_STATUSES``) is in the document."""

    entries_key = None

    def columns(self, report: DescentReport) -> Sequence[str]:
        return _history_headers(report.layout)

    def rows(self, report: DescentReport) -> Iterable[Sequence[Cell]]:
        for row in report.trace or (report.initial, report.final):
            yield _history_cells(row.step, report.layout.flatten(row.at), row.value, row.grad_norm)

    def values(self, report: DescentReport) -> Iterable[Sequence[float | None]]:
        return ([float(value)] for value in report.layout.flatten(report.final.at))

    def table(self, report: DescentReport, precision: int | None) -> None:
        _table(report, precision)


def _reason(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _settings(report: DescentReport | CompareReport) -> str:
    options = report.options
    if options.grad == "analytic":
        gradient = "analytic gradient (SymPy)"
    elif options.grad == "ad":
        gradient = "gradient by reverse-mode AD"
    else:
        gradient = f"numerical gradient (central difference, h = {format_scalar(options.h)})"
    fixed = f", with {point_text(report.fixed)}" if report.fixed else ""
    return f"lr = {format_scalar(options.lr)}, {gradient}{fixed}"


def _table(report: DescentReport, precision: int | None) -> None:
    out = console()
    out.print(f"f = {report.expression}")
    out.print(f"{report.options.rule}, {_settings(report)}")
    out.print()
    lines = [
        ("start", point_text(report.start)),
        ("final", _point(report.final.at, precision)),
        ("f(final)", number(report.final.value, precision)),
        ("|∇f|", number(report.final.grad_norm, precision)),
        ("status", f"{report.status} after {report.steps} steps" + _reason(report.reason)),
    ]
    lines += _analytic_lines(report.analytic, report.nearest, precision)
    # respelt first (|∇f| as |grad f| where the encoding needs it), so the values line up
    lines = [(spelled_for(label, out.encoding), text) for label, text in lines]
    width = max(len(label) for label, _ in lines)
    for label, text in lines:
        out.print(f"{label.ljust(width)}  {text}", soft_wrap=True)
    if report.trace:
        out.print()
        _trace_table(out, report, precision)


def _trace_table(out: Console, report: DescentReport, precision: int | None) -> None:
    """One column per coordinate when there are few, else one point column."""
    layout = report.layout
    by_coordinate = layout.size <= MAX_COORDINATE_COLUMNS
    headers = [*layout.labels] if by_coordinate else ["point"]
    columns = [Column("step"), *(Column(header) for header in headers)]
    columns += [Column("f"), Column("|∇f|")]
    rows = []
    for row in report.trace:
        if by_coordinate:
            cells = [number(float(v), precision) for v in layout.flatten(row.at)]
        else:
            cells = [_point(row.at, precision)]
        rows.append(
            [
                str(row.step),
                *cells,
                number(row.value, precision),
                number(row.grad_norm, precision),
            ]
        )
    print_table(out, columns, rows)


def _analytic_lines(
    analytic: StationaryPoints,
    nearest: tuple[StationaryPoint, float] | None,
    precision: int | None,
) -> list[tuple[str, str]]:
    if analytic.status == "skipped":
        return [("analytic", f"n/a ({analytic.reason})")]
    if analytic.status != "ok":
        return [("analytic", f"n/a ({analytic.status})")]
    if nearest is None:
        return [("analytic", "no real stationary point found by SymPy")]
    count = len(analytic.points)
    best = nearest[0]
    where = f"{best.kind} at {_point(best.at, precision)}, f = {number(best.value, precision)}"
    if best.free:
        where += " (one of a family of stationary points)"
    label = "stationary" if count == 1 else f"nearest of {count} stationary points"
    return [(label, where), ("distance", error_number(nearest[1]))]


def _point(point: dict[str, object], precision: int | None) -> str:
    if precision is None:
        return point_text(point)
    return ", ".join(f"{name}={_value(value, precision)}" for name, value in point.items())


def _value(value: object, precision: int) -> str:
    import numpy as np

    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return number(float(array), precision)
    return "[" + ", ".join(_value(item, precision) for item in array) + "]"


class CompareSchema(Schema[CompareReport]):
    """Every optimizer's run: a flat row each, with its run status; values: the final f."""

    entries_key = None

    def columns(self, report: CompareReport) -> Sequence[str]:
        return ["optimizer", "status", "steps", "f", "grad_norm", "distance"]

    def rows(self, report: CompareReport) -> Iterable[Sequence[Cell]]:
        for row in report.rows:
            final = row.final
            yield [
                row.optimizer,
                row.status,
                final.step,
                final.value,
                final.grad_norm,
                row.distance,
            ]

    def values(self, report: CompareReport) -> Iterable[Sequence[float | None]]:
        return ([row.final.value] for row in report.rows)

    def table(self, report: CompareReport, precision: int | None) -> None:
        out = console()
        out.print(f"f = {report.expression}")
        options = report.options
        out.print(
            f"from {point_text(report.start)}, {_settings(report)}, "
            f"at most {options.steps} steps, tol = {format_scalar(options.tolerance)}",
            soft_wrap=True,
        )
        analytic = report.analytic
        if analytic.status == "ok" and analytic.points:
            points = "; ".join(
                f"{point.kind} at {point_text(point.at)}" for point in analytic.points
            )
            out.print(f"stationary points (SymPy): {points}", soft_wrap=True)
        elif analytic.status == "ok":
            out.print("stationary points (SymPy): none real found; distance n/a")
        else:
            out.print(f"stationary points (SymPy): n/a ({analytic.status}); distance n/a")
        out.print()
        columns = [Column("optimizer", justify="left"), Column("status", justify="left")]
        columns += [Column(header) for header in ("steps", "f", "distance")]
        rows = [
            [
                row.optimizer,
                row.status,
                str(row.final.step),
                number(row.final.value, precision),
                error_number(row.distance),
            ]
            for row in report.rows
        ]
        print_table(out, columns, rows)


def _history_headers(layout: Layout) -> list[str]:
    return ["step", *layout.labels, "f", "grad_norm"]


def _history_cells(step: int, x: Array, value: float, grad_norm: float) -> list[Cell]:
    """One CSV row: the step, every coordinate of the flat point, f and |∇f|."""
    return [step, *(float(item) for item in x), value, grad_norm]


@contextmanager
def history_file(path: str | None, layout: Layout) -> Iterator[Callable[[Step], None] | None]:
    """A callback writing every step to ``path`` as CSV (None without a path).

    The file is opened at the first step, so a run refused before it starts leaves none.

    Raises:
        InputError: the file cannot be opened for writing.
        OutputError: it cannot be written (a full disk, ``/dev/full``, ``/proc/self/mem``).
    """
    if path is None:
        yield None
        return
    opened: list[IO[str]] = []
    writers: list[Any] = []

    def write(record: Step) -> None:
        if not writers:
            try:
                stream: IO[str] = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            except OSError as error:
                raise InputError(
                    f"{param('on_step')} {path!r}: cannot write ({error.strerror})"
                ) from None
            opened.append(stream)
            writers.append(csv.writer(stream, lineterminator="\n"))
            writers[0].writerow(_history_headers(layout))
        cells = _history_cells(record.step, record.x, record.value, record.grad_norm)
        try:
            writers[0].writerow([cell_text(cell) for cell in cells])
        except OSError as error:
            raise _cannot_write(path, error) from None

    try:
        yield write
    except BaseException:
        for stream in opened:
            with suppress(OSError):  # the run's own failure is the one to report
                stream.close()
        raise
    for stream in opened:
        try:
            stream.close()  # writes what is still buffered
        except OSError as error:
            raise _cannot_write(path, error) from None


def _cannot_write(path: str, error: OSError) -> OutputError:
    return OutputError(f"cannot write output to {param('on_step')} {path!r}: {error.strerror}")


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[Step], None] | None]:
    """A Rich progress bar on stderr for long runs when stderr is a terminal; else None."""
    if total < PROGRESS_MIN_STEPS or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    every = max(1, total // 200)
    with Progress(console=console(stderr=True), transient=True) as progress:
        task = progress.add_task("descending", total=total)

        def advance(record: Step) -> None:
            if record.step % every == 0 or record.status is not None:
                progress.update(task, completed=record.step)

        yield advance
