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


#: How many "written as null" notes a JSON document lists before it counts the rest.
NULL_NOTES = 10


def emit_json(data: Any) -> None:
    """One JSON document on stdout; non-finite numbers become null with a warning inside."""
    from ..results import json_ready

    notes: list[str] = []
    ready = json_ready(data, notes)
    if len(notes) > NULL_NOTES:  # a range where f overflows must not bury the document
        rest = len(notes) - NULL_NOTES
        notes = [*notes[:NULL_NOTES], f"{rest:,} more numbers that are not finite written as null"]
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
BLOCK_ROWS = 8_192
#: Magnitudes at which orjson's shortest round-trip text may differ from ``repr``'s: from
#: ``_SHORT_FROM`` to ``_REPR_FROM`` in the exponent only (``1e-7`` for ``1e-07``: told by the
#: text), from there to ``_REPR_BELOW`` in form (``0.00001`` for ``1e-05``: these numbers, the
#: band widened on both sides, are written by ``repr``).
_SHORT_FROM, _REPR_FROM, _REPR_BELOW = 9e-10, 9.9e-6, 1.1e-4
#: Bytes of orjson's text that ``delimited_bytes`` looks for.
_COMMA, _MINUS, _EXPONENT = b",-e"
#: orjson's text for the zero a cell written otherwise is given first: then written over (a
#: number ``repr`` writes) or taken out (a cell without a value).
_PLACEHOLDER = b"0.0"


@dataclass(frozen=True)
class TextRun:
    """Cells that are not numbers between two number columns of ``delimited_bytes``: the
    ``after``-th number column's (0: before the first), each row's text ``texts[codes[row]]``
    (``codes`` None: ``texts[0]`` on every row), its cells already joined by the delimiter."""

    after: int
    texts: Sequence[str]
    codes: Any = None


def numbers_text(matrix: Any, missing: Any, delimiter: str) -> str:
    """Rows of floats as delimited text (each row ends in a line break), each number as
    ``repr`` writes it (so it parses back to the same double), empty where ``missing``."""
    text: str = delimited_bytes(matrix, missing, delimiter, ()).tobytes().decode()
    return text


def delimited_bytes(matrix: Any, missing: Any, delimiter: str, runs: Sequence[TextRun]) -> Any:
    """Rows of floats and text cells as delimited text (a uint8 array, each row ending in a
    line break): each number as ``repr`` writes it, empty where ``missing``, the ``runs`` of
    text cells in their places.

    Every number is written by one call of orjson's compiled shortest round-trip formatter
    (the matrix as one flat list); its commas are each cell's end (every row's last made a
    line break). A run whose texts are all 3 to 18 characters long is given a column of
    numbers whose text is as long (``_stand_in``), then written over them in place. The
    rest is put in by one splice of the bytes (``_Insertions``): the other runs, a zero into
    single-digit exponents (``1e-07`` for ``1e-7``), and for the cells written otherwise
    (missing; ``1e-05`` for orjson's ``0.00001``; NaN, infinities) their text in place of
    orjson's.
    """
    import numpy as np

    rows = matrix.shape[0]
    if not rows:
        return np.empty(0, dtype=np.uint8)
    columns: list[Any] = list(matrix.T)
    gaps: list[Any] = list(missing.T)
    in_place: dict[int, TextRun] = {}  # by column
    spliced: list[TextRun] = []  # their ``after`` counting the columns in place
    for run in sorted(runs, key=lambda one: one.after, reverse=True):
        texts = [one.encode() for one in run.texts]
        if all(_STAND_IN_SIZES[0] <= len(one) <= _STAND_IN_SIZES[1] for one in texts):
            codes = 0 if run.codes is None else run.codes
            stand_ins = np.array([_stand_in(len(one)) for one in texts])
            columns.insert(run.after, np.broadcast_to(stand_ins[codes], (rows,)))
            gaps.insert(run.after, np.zeros(rows, dtype=bool))
            in_place = {column + 1: placed for column, placed in in_place.items()}
            in_place[run.after] = run
            spliced = [TextRun(one.after + 1, one.texts, one.codes) for one in spliced]
        else:
            spliced.append(run)
    wide = np.column_stack(columns)
    missing = np.column_stack(gaps)
    width = wide.shape[1]
    size = np.abs(wide)
    by_repr = ((size >= _REPR_FROM) & (size < _REPR_BELOW) | ~np.isfinite(wide)) & ~missing
    replaced = missing | by_repr
    flat = np.where(replaced, 0.0, wide).ravel()  # replaced: orjson's text is _PLACEHOLDER
    text = np.frombuffer(_orjson_text(flat), np.uint8)[1:-1].copy()  # without [ and ]
    ends = np.append(np.flatnonzero(text == _COMMA), len(text))  # of each cell
    if delimiter != ",":
        text[ends[:-1]] = ord(delimiter)
    text[ends[width - 1 :: width][:-1]] = ord("\n")  # the last row's: inserted below
    cell_ends = ends.reshape(rows, width)
    row_starts = np.append(0, cell_ends[:-1, -1] + 1)
    for column, run in in_place.items():
        starts = row_starts if column == 0 else cell_ends[:, column - 1] + 1
        for code, one in enumerate(run.texts):
            chosen = starts if run.codes is None else starts[run.codes == code]
            for offset, byte in enumerate(one.encode()):  # a byte of every cell at a time
                text[chosen + offset] = byte
    insertions = _Insertions()  # in this order where they meet: see spliced
    cell_starts = np.append(0, ends[:-1] + 1)
    by_repr_cells = np.flatnonzero(by_repr.ravel())
    if len(by_repr_cells):  # each text at least as long as _PLACEHOLDER: written over it
        written = [repr(value).encode() for value in wide.ravel()[by_repr_cells].tolist()]
        heads = np.frombuffer(b"".join(one[: len(_PLACEHOLDER)] for one in written), np.uint8)
        places = cell_starts[by_repr_cells]
        for offset, column in enumerate(heads.reshape(-1, len(_PLACEHOLDER)).T):
            text[places + offset] = column
        tails = [one[len(_PLACEHOLDER) :] for one in written]
        insertions.add(places + len(_PLACEHOLDER), tails, np.arange(len(tails)))
    for run in spliced:
        if run.after == width:
            place = cell_ends[:, -1]
            texts = [(delimiter + one).encode() for one in run.texts]
        else:
            place = row_starts if run.after == 0 else cell_ends[:, run.after - 1] + 1
            texts = [(one + delimiter).encode() for one in run.texts]
        insertions.add(place, texts, 0 if run.codes is None else run.codes)
    placeholders = cell_starts[np.flatnonzero(missing.ravel())]  # of empty cells: taken out
    candidates = (size >= _SHORT_FROM) & (size < _REPR_FROM) & ~replaced
    candidate_ends = ends[np.flatnonzero(candidates.ravel())]
    short = candidate_ends[
        (text[candidate_ends - 2] == _MINUS) & (text[candidate_ends - 3] == _EXPONENT)
    ]
    insertions.add(short - 1, [b"0"], 0)
    insertions.add(np.array([len(text)]), [b"\n"], 0)
    if len(placeholders):
        kept = np.ones(len(text), dtype=bool)
        for offset in range(len(_PLACEHOLDER)):
            kept[placeholders + offset] = False
        text = text[kept]
    return insertions.spliced(text, placeholders, len(_PLACEHOLDER))


#: The lengths of text ``_stand_in`` has a number for.
_STAND_IN_SIZES = (3, 18)


def _stand_in(length: int) -> float:
    """A number orjson writes in ``length`` characters (3 to 18): ``1.0``, ``10.0``, …"""
    return float(10 ** (length - 3))


class _Insertions:
    """Texts to put into a text (a uint8 array) at places, gathered, then put in at once."""

    def __init__(self) -> None:
        self.pool: list[bytes] = []  # every distinct text, in turn
        self.pool_size = 0
        self.places: list[Any] = []
        self.starts: list[Any] = []  # in the pool, of each insertion's text
        self.lengths: list[Any] = []

    def add(self, places: Any, texts: Sequence[bytes], chosen: Any) -> None:
        """At each of ``places`` (before the byte there), ``texts[chosen]`` (an index per
        place, or one for all); put in after what was added before at the same place."""
        import numpy as np

        sizes = np.array([len(one) for one in texts], dtype=np.int64)
        offsets = self.pool_size + np.cumsum(sizes) - sizes
        self.pool.extend(texts)
        self.pool_size += int(sizes.sum())
        self.places.append(places)
        self.starts.append(np.broadcast_to(offsets[chosen], places.shape))
        self.lengths.append(np.broadcast_to(sizes[chosen], places.shape))

    def spliced(self, text: Any, removed: Any, removed_length: int) -> Any:
        """``text`` with every insertion put in; ``removed``: the sorted places of runs of
        ``removed_length`` bytes already taken out of it (insertions there go where they
        were)."""
        import numpy as np

        places = np.concatenate(self.places)
        order = np.argsort(places, kind="stable")
        places = places[order]
        if len(removed):  # keeps the order: no insertion falls inside what was taken out
            places -= removed_length * np.searchsorted(removed, places)
        lengths = np.concatenate(self.lengths)[order]
        starts = np.concatenate(self.starts)[order]
        inserted = int(lengths.sum())
        along = np.arange(inserted)  # each inserted byte's place among them
        targets = np.repeat(places, lengths)
        targets += along
        sources = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        sources += along
        result = np.empty(len(text) + inserted, dtype=np.uint8)
        result[targets] = np.frombuffer(b"".join(self.pool), np.uint8)[sources]
        from_text = np.ones(len(result), dtype=bool)
        from_text[targets] = False
        result[from_text] = text
        return result


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
    (a header row unless ``headers`` is None), ``BLOCK_ROWS`` rows formatted at a time, by
    two processes when there are many blocks (``parallel.write_in_order``).
    """
    from .parallel import write_in_order

    if headers is not None:
        emit_delimited(headers, (), delimiter)
    groups = _groups(block.columns)
    starts = range(0, block.rows, BLOCK_ROWS)

    def rows_text(index: int) -> bytes:
        start = starts[index]
        return _rows_text(
            block, groups, start, min(BLOCK_ROWS, block.rows - start), delimiter, precision
        )

    write_in_order(len(starts), rows_text, _write_text)


def _write_text(data: bytes) -> None:
    """Text made by ``_rows_text`` on stdout."""
    sys.stdout.write(data.decode("utf-8", "surrogatepass"))


def _rows_text(
    block: ColumnBlock,
    groups: list[list[Any]],
    start: int,
    rows: int,
    delimiter: str,
    precision: int | None,
) -> bytes:
    """Rows ``start`` … ``start + rows`` of ``block`` as text (UTF-8, surrogates kept).

    Without ``precision`` one ``delimited_bytes`` call (``_block_text``); with it,
    neighbouring number columns are written together and a row is joined from a few
    pieces, not cell by cell.
    """
    from itertools import repeat

    from .schema import cell_text

    text = _block_text(block.columns, start, rows, delimiter) if precision is None else None
    if text is not None:
        written: bytes = text.tobytes()
        return written
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
        return pieces[0].encode("utf-8", "surrogatepass")
    lines = [piece.splitlines() if isinstance(piece, str) else piece for piece in pieces]
    joined = "\n".join(map(delimiter.join, zip(*lines))) + "\n"
    return joined.encode("utf-8", "surrogatepass")


def _block_text(columns: Sequence[Any], start: int, rows: int, delimiter: str) -> Any:
    """Rows ``start`` … ``start + rows`` in one ``delimited_bytes`` call when every column is
    numbers, one cell shared by every row, or text; None when no column is numbers.

    Neighbouring columns that are not numbers (a number column without a value in these
    rows counts as empty text) make one ``TextRun``: each row's cells joined, made once for
    each distinct combination.
    """
    import numpy as np

    numbers: list[Any] = []  # the number columns' values in these rows
    runs: list[TextRun] = []
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
            runs.append(_joined_cells(len(numbers), run, start, rows, delimiter))
            run = []
        if column is not end:
            numbers.append(column[start : start + rows])
    if not numbers:
        return None
    matrix = np.column_stack([np.ma.getdata(part) for part in numbers]).astype(np.float64)
    missing = np.column_stack([np.ma.getmaskarray(part) for part in numbers])
    return delimited_bytes(matrix, missing, delimiter, runs)


def _joined_cells(after: int, run: list[Any], start: int, rows: int, delimiter: str) -> TextRun:
    """The ``TextRun`` of a run of text columns (a one-cell list: shared by every row) after
    the ``after``-th number column: each row's cells quoted and joined by ``delimiter``."""
    import numpy as np

    from .schema import cell_text

    codes = np.zeros(rows, dtype=np.int64)
    distinct_cells: list[list[Any]] = []
    for column in run:
        part = column if len(column) == 1 else column[start : start + rows]
        distinct = dict.fromkeys(part)
        index = {cell: position for position, cell in enumerate(distinct)}
        distinct_cells.append(list(distinct))
        if len(distinct) > 1:
            codes = codes * len(distinct) + np.fromiter(map(index.__getitem__, part), np.int64)
    combinations, inverse = np.unique(codes, return_inverse=True)
    joined = []
    for code in combinations.tolist():
        cells = []
        for distinct in reversed(distinct_cells):
            code, position = divmod(code, len(distinct))
            cells.append(_quoted(cell_text(distinct[position]), delimiter))
        joined.append(delimiter.join(reversed(cells)))
    return TextRun(after, joined, inverse if len(joined) > 1 else None)


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
