"""Output primitives shared by every command: numbers, tables that never cut a value, JSON.

Data goes to stdout, messages to stderr. Consoles are built per call, so ``NO_COLOR``,
``COLUMNS`` and test runners that swap the streams are honoured.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..results import json_ready

if TYPE_CHECKING:
    from rich.console import Console

FORMATS = ("table", "json", "csv", "tsv", "value")


def console(stderr: bool = False) -> Console:
    """A Rich console for this call only."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=False)


def warn(message: str) -> None:
    """One warning line on stderr."""
    sys.stderr.write(f"warning: {message}\n")


def number(value: float | None, precision: int | None = None) -> str:
    """A value in full (``repr``) or to ``precision`` significant digits; ``n/a`` for None."""
    if value is None:
        return "n/a"
    if precision is None:
        return repr(float(value))
    return f"{float(value):.{precision}g}"


def error_number(value: float | None) -> str:
    """An error to three significant digits: its size matters, not its last digit."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return repr(value)
    return f"{value:.3g}"


def emit_json(data: Any) -> None:
    """One JSON document on stdout; non-finite numbers become null with a warning inside."""
    notes: list[str] = []
    ready = json_ready(data, notes)
    if notes and isinstance(ready, dict):
        ready["warnings"] = list(ready.get("warnings") or []) + notes
    sys.stdout.write(json.dumps(ready, indent=2, allow_nan=False) + "\n")


def emit_delimited(headers: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str) -> None:
    """CSV or TSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())


@dataclass(frozen=True)
class Column:
    """A table column; ``essential`` columns hold values and are never cut or wrapped."""

    header: str
    essential: bool = True
    justify: Literal["left", "right"] = "right"


def print_table(
    out: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
) -> None:
    """A Rich table when it fits the console; otherwise one ``header: value`` block per row.

    Numbers are never cut with an ellipsis or folded: a calculator that prints ``0.199…``
    has failed. Non-essential columns may wrap before the layout falls back to blocks.
    """
    from rich import box
    from rich.table import Table

    widths = [
        max([len(column.header), *(len(row[i]) for row in rows)])
        for i, column in enumerate(columns)
    ]
    essential_width = sum(w for w, c in zip(widths, columns) if c.essential)
    flexible = sum(min(w, 8) for w, c in zip(widths, columns) if not c.essential)
    needed = essential_width + flexible + 2 * len(columns)
    if needed > out.width:
        if title:
            out.print(title)
        for row in rows:
            for column, cell in zip(columns, row):
                out.print(f"{column.header}: {cell}", soft_wrap=True)
            out.print()
        return
    if title:
        out.print(title)
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_edge=False,
    )
    for column, width in zip(columns, widths):
        if column.essential:
            table.add_column(
                column.header,
                justify=column.justify,
                no_wrap=True,
                min_width=width,
            )
        else:
            table.add_column(column.header, justify=column.justify, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)
