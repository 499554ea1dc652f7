"""Output primitives every format shares: numbers, uncut tables, short formulas, JSON, CSV.

Data goes to stdout, messages to stderr. Consoles are built per call, so ``NO_COLOR``,
``COLUMNS`` and test runners that swap the streams are honoured.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console


def console(stderr: bool = False) -> Console:
    """A Rich console for this call only, coloured as the command's terminal settings say."""
    from ..terminal import console as terminal_console

    return terminal_console(stderr)


def warn(message: str) -> None:
    """One warning line on stderr (none with ``--quiet``)."""
    from ..terminal import warn as terminal_warn

    terminal_warn(message)


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


#: Shown after a formula cut to one line: where the whole of it is.
FULL_FORMULA = " … (full formula: -f json)"
#: A point whose text is longer than this shows each large value by its shape and ends.
POINT_LENGTH = 120
#: In such a point, a value whose text is longer than this is shortened.
VALUE_LENGTH = 32
#: How many leading elements a shortened value shows (then ``…`` and the last one).
LEADING_ELEMENTS = 3


def formula_line(label: str, formula: str, width: int) -> str:
    """``label = formula`` on one line of ``width``: a longer formula is cut (JSON has it all)."""
    line = f"{label} = {formula}"
    if len(line) <= width:
        return line
    kept = max(width - len(FULL_FORMULA), len(label) + 3 + len("…"))
    return line[:kept].rstrip() + FULL_FORMULA


def engine_name(source: str | None) -> str:
    """Who gave the analytic values, as the tables say it: ``SymPy`` or ``AD``."""
    return "AD" if source == "ad" else "SymPy"


def analytic_heading(source: str | None) -> str:
    """The analytic column's heading: ``analytic``, or ``analytic (AD)`` when automatic
    differentiation gave its values (SymPy's column reads as it always has)."""
    return "analytic (AD)" if source == "ad" else "analytic"


def point_text(point: Mapping[str, Any]) -> str:
    """A point as typed (``x0=3, x1=4``); a large tensor as ``W=(20×30) [0, 0.1, 0.2, … 5.9]``:
    its shape, its first elements and its last, in row-major order."""
    import numpy as np

    from ..expr.points import format_point, format_scalar, format_value

    text = format_point(point)
    if len(text) <= POINT_LENGTH:
        return text
    parts = []
    for name, value in point.items():
        array = np.asarray(value, dtype=np.float64)
        if len(format_value(array)) <= VALUE_LENGTH or array.size <= LEADING_ELEMENTS + 1:
            parts.append(f"{name}={format_value(array)}")
            continue
        shape = "×".join(map(str, array.shape))
        flat = array.ravel()
        leading = ", ".join(format_scalar(item) for item in flat[:LEADING_ELEMENTS])
        parts.append(f"{name}=({shape}) [{leading}, … {format_scalar(flat[-1])}]")
    return ", ".join(parts)


def rounded(data: Any, precision: int | None) -> Any:
    """``data`` with every float rounded to ``precision`` significant digits (None: as is),
    through dicts and lists: what ``--precision`` does to JSON."""
    if precision is None:
        return data
    if isinstance(data, float):
        return float(f"{data:.{precision}g}")
    if isinstance(data, dict):
        return {key: rounded(value, precision) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [rounded(value, precision) for value in data]
    return data


def emit_json(data: Any) -> None:
    """One JSON document on stdout; non-finite numbers become null with a warning inside."""
    from ..results import json_ready

    notes: list[str] = []
    ready = json_ready(data, notes)
    if notes and isinstance(ready, dict):
        ready["warnings"] = list(ready.get("warnings") or []) + notes
    sys.stdout.write(json.dumps(ready, indent=2, allow_nan=False) + "\n")


def emit_delimited(
    headers: Sequence[str] | None, rows: Iterable[Sequence[str]], delimiter: str
) -> None:
    """CSV or TSV, with a header row unless ``headers`` is None."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    if headers is not None:
        writer.writerow(headers)
    writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())


@dataclass(frozen=True)
class Column:
    """A table column.

    ``essential`` columns hold values: never cut, never wrapped. Other columns may wrap.
    ``optional`` columns are left out, right to left, when the table would not fit otherwise;
    a line under the table names them.
    """

    header: str
    essential: bool = True
    justify: Literal["left", "right"] = "right"
    optional: bool = False


def print_table(
    out: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
) -> None:
    """A Rich table when it fits the console; otherwise one ``header: value`` block per row.

    Numbers are never cut with an ellipsis or folded: a calculator that prints ``0.199…``
    has failed. Before a value would be cut, non-essential columns wrap, then optional
    columns are left out, and last the layout falls back to blocks.
    """
    if title:
        out.print(title)
    shown = list(range(len(columns)))
    while True:
        table, width = _table(
            [columns[i] for i in shown], [[row[i] for i in shown] for row in rows]
        )
        if width <= out.width:
            out.print(table)
            hidden = [columns[i].header for i in range(len(columns)) if i not in shown]
            if hidden:
                out.print(f"(hidden at this width: {', '.join(hidden)})")
            return
        optional = [i for i in shown if columns[i].optional]
        if not optional:
            break
        shown.remove(optional[-1])
    for row in rows:
        for column, cell in zip(columns, row):
            out.print(f"{column.header}: {cell}", soft_wrap=True)
        out.print()


def _table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> tuple[Any, int]:
    """The Rich table and the narrowest width it can take without cutting a word."""
    from rich import box
    from rich.table import Table

    # Between two columns: one space of padding and the box's one-space divider; none at the
    # edges, so no line ends in a space.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1), show_edge=False)
    narrowest = 2 * (len(columns) - 1)
    for index, column in enumerate(columns):
        cells = [row[index] for row in rows]
        if column.essential:
            width = max([len(column.header), *(len(cell) for cell in cells)])
            table.add_column(column.header, justify=column.justify, no_wrap=True, min_width=width)
        else:
            # wraps between words (x0=3, x1=4), never inside one
            words = [len(word) for cell in cells for word in cell.split()]
            width = max([len(column.header), *words])
            table.add_column(column.header, justify=column.justify, min_width=width)
        narrowest += width
    for row in rows:
        table.add_row(*row)
    return table, narrowest
