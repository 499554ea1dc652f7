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

    from .schema import ColumnBlock


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
    from ..expr.points import format_point, format_scalar, format_value

    text = format_point(point)
    if len(text) <= POINT_LENGTH:
        return text
    import numpy as np

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


#: Rows formatted and written at a time by ``emit_column_block`` (bounds the text in memory).
BLOCK_ROWS = 65_536
#: Magnitudes at which orjson's shortest round-trip text may differ from ``repr``'s: from
#: ``_SHORT_FROM`` to ``_REPR_FROM`` in the exponent only (``1e-7`` for ``1e-07``: told by the
#: text), from there to ``_REPR_BELOW`` in form (``0.00001`` for ``1e-05``: these numbers, the
#: band widened on both sides, are written by ``repr``).
_SHORT_FROM, _REPR_FROM, _REPR_BELOW = 9e-10, 9.9e-6, 1.1e-4
#: Bytes of orjson's text that ``numbers_text`` looks for.
_COMMA, _MINUS, _EXPONENT = b",-e"


def numbers_text(
    matrix: Any, missing: Any, delimiter: str, texts: Mapping[int, Any] | None = None
) -> str:
    """Rows of floats as delimited text (each row ends in a line break), each number as
    ``repr`` writes it (so it parses back to the same double), empty where ``missing``;
    ``texts``: columns (by position) whose cells are the given text instead, one per row.

    Every number is written by one call of orjson's compiled shortest round-trip formatter
    (the matrix as one flat list), and its text made ``repr``'s by array operations over its
    bytes: the commas found (each cell's end), every row's last made a line break, and
    single-digit exponents given their zero (``1e-07`` for ``1e-7``). Missing cells, text
    cells and the few numbers whose text differs in form (``0.00001`` for ``1e-05``; NaN and
    infinities) are given as NaN, and their null replaced by their own text in one pass.
    """
    import numpy as np

    if not matrix.size:
        return ""
    width = matrix.shape[1]
    is_text = np.zeros(matrix.shape, dtype=bool)
    is_text[:, list(texts or ())] = True
    size = np.abs(matrix)
    by_repr = (size >= _REPR_FROM) & (size < _REPR_BELOW) | ~np.isfinite(matrix)
    by_repr &= ~missing & ~is_text
    replaced = missing | by_repr | is_text
    flat = np.where(replaced, np.nan, matrix).ravel()
    text = np.frombuffer(_orjson_text(flat), np.uint8)[1:-1].copy()  # without [ and ]
    ends = np.append(np.flatnonzero(text == _COMMA), len(text))  # of each cell
    if delimiter != ",":
        text[ends[:-1]] = ord(delimiter)
    text[ends[width - 1 :: width][:-1]] = ord("\n")  # the last row's ends the text
    candidates = (size >= _SHORT_FROM) & (size < _REPR_FROM) & ~replaced
    cell_ends = ends[np.flatnonzero(candidates.ravel())]
    short = cell_ends[(text[cell_ends - 2] == _MINUS) & (text[cell_ends - 3] == _EXPONENT)]
    inserted = np.full(len(short) + 1, ord("0"), dtype=np.uint8)
    inserted[-1] = ord("\n")
    text = np.insert(text, np.append(short - 1, len(text)), inserted)
    result = text.tobytes().decode()
    if not replaced.any():
        return result
    flat_replaced = replaced.ravel()
    place = np.cumsum(flat_replaced) - 1  # of each replaced cell among them, in text order
    fills = np.full(int(flat_replaced.sum()), "", dtype=object)  # missing: empty
    for column, column_texts in (texts or {}).items():
        fills[place[column::width]] = column_texts
    by_repr_cells = np.flatnonzero(by_repr.ravel())
    numbers = matrix.ravel()[by_repr_cells].tolist()
    fills[place[by_repr_cells]] = [repr(value) for value in numbers]
    pieces = result.split("null")
    joined = [""] * (2 * len(pieces) - 1)
    joined[::2] = pieces
    joined[1::2] = fills.tolist()
    return "".join(joined)


def _orjson_text(array: Any) -> bytes:
    """A float64 array as orjson writes it (JSON lists; NaN and infinities as null)."""
    import numpy as np
    import orjson

    written: bytes = orjson.dumps(
        np.ascontiguousarray(array, dtype=np.float64), option=orjson.OPT_SERIALIZE_NUMPY
    )
    return written


def column_texts(column: Any, precision: int) -> list[str]:
    """One number column of a ``ColumnBlock`` to ``precision`` significant digits, a cell
    per row (empty where masked)."""
    import numpy as np

    missing = np.ma.getmaskarray(column).tolist()
    values = np.ma.getdata(column).tolist()
    return ["" if gone else f"{value:.{precision}g}" for value, gone in zip(values, missing)]


def emit_column_block(
    headers: Sequence[str] | None, block: ColumnBlock, delimiter: str, precision: int | None
) -> None:
    """CSV or TSV from a report's columns, the text ``emit_delimited`` writes from its rows
    (a header row unless ``headers`` is None), ``BLOCK_ROWS`` rows formatted at a time.

    Without ``precision`` each block is one ``numbers_text`` call (``_block_text``);
    with it, neighbouring number columns are written together and a row is joined from a
    few pieces, not cell by cell.
    """
    from itertools import repeat

    from .schema import cell_text

    if headers is not None:
        emit_delimited(headers, (), delimiter)
    groups = _groups(block.columns)
    for start in range(0, block.rows, BLOCK_ROWS):
        rows = min(BLOCK_ROWS, block.rows - start)
        text = _block_text(block.columns, start, rows, delimiter) if precision is None else None
        if text is not None:
            sys.stdout.write(text)
            continue
        pieces: list[str | Iterable[str]] = []  # text of whole lines, or a cell per row
        before = ""  # shared cells that open the next piece
        for group in groups:
            if _is_column(group[0]):
                piece = _piece(group, start, rows, delimiter, precision)
                if before and isinstance(piece, str):
                    piece = before + piece.replace("\n", "\n" + before)[: -len(before)]
                elif before:
                    piece = [before + cell for cell in piece]
                pieces.append(piece)
                before = ""
                continue
            shared = _quoted(cell_text(group[0], precision), delimiter)
            if pieces and isinstance(pieces[-1], str):  # on the end of each line
                pieces[-1] = pieces[-1].replace("\n", delimiter + shared + "\n")
            elif pieces:
                pieces.append(repeat(shared))
            else:
                before += shared + delimiter
        if len(pieces) == 1 and isinstance(pieces[0], str):
            sys.stdout.write(pieces[0])
            continue
        lines = [piece.splitlines() if isinstance(piece, str) else piece for piece in pieces]
        sys.stdout.write("\n".join(map(delimiter.join, zip(*lines))) + "\n")


def _block_text(columns: Sequence[Any], start: int, rows: int, delimiter: str) -> str | None:
    """Rows ``start`` … ``start + rows`` in one ``numbers_text`` call when every column is
    numbers, one cell shared by every row, or text; None when no column is numbers.

    Neighbouring columns that are not numbers (a number column without a value in these
    rows counts as empty text) make one text column of ``numbers_text``: each row's cells
    joined, made once for each distinct combination.
    """
    import numpy as np

    from .schema import cell_text

    numbers: list[Any] = []  # each matrix column's numbers, or None for text
    texts: dict[int, Any] = {}  # the text columns' cells, by their place in the matrix
    run: list[Any] = []  # the run of columns that are not numbers, being gathered
    end = np.empty(0)  # after the last column
    for column in [*columns, end]:
        if not isinstance(column, np.ndarray):
            run.append(column if _is_column(column) else [column])
            continue
        if column is not end and np.ma.getmaskarray(column[start : start + rows]).all():
            run.append([None])  # no value in any of these rows
            continue
        if run:
            texts[len(numbers)] = _joined_cells(run, start, rows, delimiter, cell_text)
            numbers.append(None)
            run = []
        if column is not end:
            numbers.append(column[start : start + rows])
    if len(texts) == len(numbers):
        return None
    matrix = np.full((rows, len(numbers)), np.nan)
    missing = np.zeros((rows, len(numbers)), dtype=bool)
    for index, part in enumerate(numbers):
        if part is not None:
            matrix[:, index] = np.ma.getdata(part)
            missing[:, index] = np.ma.getmaskarray(part)
    return numbers_text(matrix, missing, delimiter, texts)


def _joined_cells(run: list[Any], start: int, rows: int, delimiter: str, cell_text: Any) -> Any:
    """Each row's cells of a run of text columns (a one-cell list: shared by every row),
    quoted and joined by ``delimiter``, as an object array."""
    import numpy as np

    codes = np.zeros(rows, dtype=np.int64)
    distinct_cells: list[list[Any]] = []
    for column in run:
        part = column if len(column) == 1 else column[start : start + rows]
        distinct = dict.fromkeys(part)
        index = {cell: position for position, cell in enumerate(distinct)}
        distinct_cells.append(list(distinct))
        if len(distinct) > 1:
            codes = codes * len(distinct) + np.array([index[cell] for cell in part])
    combinations, inverse = np.unique(codes, return_inverse=True)
    joined = []
    for code in combinations.tolist():
        cells = []
        for distinct in reversed(distinct_cells):
            code, position = divmod(code, len(distinct))
            cells.append(_quoted(cell_text(distinct[position]), delimiter))
        joined.append(delimiter.join(reversed(cells)))
    return np.array(joined, dtype=object)[inverse]


def _groups(columns: Sequence[Any]) -> list[list[Any]]:
    """The columns in runs: neighbouring float64 arrays together, every other column alone."""
    import numpy as np

    groups: list[list[Any]] = []
    for column in columns:
        number = isinstance(column, np.ndarray)
        if number and groups and isinstance(groups[-1][0], np.ndarray):
            groups[-1].append(column)
        else:
            groups.append([column])
    return groups


def _piece(
    group: list[Any], start: int, rows: int, delimiter: str, precision: int | None
) -> str | Iterable[str]:
    """Rows ``start`` … ``start + rows`` of a run of columns: number columns as one text of
    lines, a text column as a list of cells."""
    import numpy as np

    from .schema import cell_text

    column = group[0]
    if isinstance(column, (list, tuple)):  # text, few distinct cells, maybe quoted
        part = column[start : start + rows]
        texts = {cell: _quoted(cell_text(cell, precision), delimiter) for cell in set(part)}
        return [texts[cell] for cell in part]
    parts = [one[start : start + rows] for one in group]
    if precision is None:
        matrix = np.column_stack([np.ma.getdata(one) for one in parts]).astype(np.float64)
        missing = np.column_stack([np.ma.getmaskarray(one) for one in parts])
        return numbers_text(matrix, missing, delimiter)
    return map(delimiter.join, zip(*(column_texts(one, precision) for one in parts)))


def _is_column(column: Any) -> bool:
    """Whether a ``ColumnBlock`` entry holds one value per row (else one for every row)."""
    return hasattr(column, "__len__") and not isinstance(column, str)


def _quoted(text: str, delimiter: str) -> str:
    """A cell as the csv module writes it: quoted if it holds the delimiter, a quote or a
    line break."""
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


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
