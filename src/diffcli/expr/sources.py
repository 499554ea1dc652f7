"""Points read from a stream, as they arrive: ``--at -`` (stdin) and ``--points FILE``.

A line is one point in ``--at``'s syntax (``3,4``, ``x0=3,x1=4``, ``x=[1,2]``, a range), or,
when the first line is a header naming variables (``x0,x1``; ``x[0]\tx[1]``; diffcli's own
CSV, ``x,value,method,…``), a CSV or TSV row whose columns naming the expression's variables
(or their elements, ``x[0]``, ``W[0,1]``) make the point; other columns are ignored. Blank
lines and ``#`` comments are skipped. Lines are handed on in groups: every complete line that
had arrived when the stream was read, at most ``CHUNK_POINTS`` points at a time, so answers
follow lines that come slowly and memory stays bounded for any length of input.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np

from ..errors import DiffcliError, InputError, param
from .parsing import Expression
from .points import Array, Bindings, Point, PointColumns, bind, bind_each, read_bindings

#: The most points handed on at once.
CHUNK_POINTS = 262_144
#: Bytes asked of the stream at a time (a pipe gives what has arrived, up to this).
READ_SIZE = 1 << 22
#: A line of plain decimal numbers separated by commas.
#: (One way only to match a number: a block of lines that fails fails in linear time.)
_NUMBER = r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*"
_PLAIN = re.compile(f"{_NUMBER}(?:,{_NUMBER})*\\Z")
#: What ``str.translate`` drops from lines of plain numbers: every character they may hold.
_PLAIN_CHARACTERS = str.maketrans("", "", "0123456789.eE+-, \t\n")
#: A header's field: a variable (``x0``) or one element of one (``W[0,1]``).
_LABEL = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\[\s*(\d+(?:\s*,\s*\d+)*)\s*\])?\s*\Z")


@dataclass(frozen=True)
class Line:
    """One line of the stream and its number (from 1)."""

    number: int
    text: str


def arrived_lines(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """The stream's lines in groups, each with the number of its first line: each group
    holds every complete line that had arrived when the stream was read (a pipe's ``read1``
    returns what is there, waiting only for the first byte)."""
    pending = b""
    count = 0
    for data in _arrived(stream):
        pending += data
        end = pending.rfind(b"\n")
        if end >= 0:
            lines = _decoded(pending[:end])
            yield count + 1, lines
            count += len(lines)
            pending = pending[end + 1 :]
    if pending:
        yield count + 1, _decoded(pending)


def _arrived(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes as they arrive: each read waits for the first byte only, then
    takes whatever else is already there, up to ``READ_SIZE`` (a fast writer into a pipe,
    whose buffer holds 64 KiB, makes few large groups; a slow one, an answer per line)."""
    read = getattr(stream, "read1", stream.read)
    waiting = _more_waiting(stream)
    while data := read(READ_SIZE):
        parts, size = [data], len(data)
        while size < READ_SIZE and waiting():
            more = read(READ_SIZE - size)
            if not more:  # the end of the stream
                break
            parts.append(more)
            size += len(more)
        yield b"".join(parts)


def _more_waiting(stream: IO[bytes]) -> Callable[[], bool]:
    """Whether more of the stream can be read at once, without waiting (False where the
    stream has no descriptor ``select`` can watch)."""
    import select

    try:
        descriptor = stream.fileno()
        select.select([descriptor], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return lambda: False
    return lambda: bool(select.select([descriptor], [], [], 0)[0])


def _decoded(lines: bytes) -> list[str]:
    """Lines split at line feeds (never inside a UTF-8 character) as text, each without
    its carriage return."""
    text = lines.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").removesuffix("\r").split("\n")


class PointReader:
    """Reads the lines of one stream into points of one expression, remembering a header."""

    def __init__(
        self, expression: Expression, fixed: Mapping[str, Array], source: str, parameter: str
    ) -> None:
        self.expression = expression
        self.fixed = dict(fixed)
        self.source = source
        self.option = param(parameter)
        self.started = False
        #: The header's columns naming variables: position -> (variable, element index).
        self.columns: dict[int, tuple[str, tuple[int, ...]]] | None = None
        self.delimiter = ","

    def chunks(self, stream: IO[bytes], most: int | None = None) -> Iterator[Sequence[Point]]:
        """The stream's points, in groups as they arrive, of at most ``most`` points and
        at most ``CHUNK_POINTS``.

        Raises:
            InputError: ``SOURCE:LINE:COLUMN: why``, for the first bad line, after the points
                of the lines before it are handed on.
        """
        most = min(most or CHUNK_POINTS, CHUNK_POINTS)
        for number, texts in arrived_lines(stream):
            start = 0
            while not self.started and start < len(texts):  # up to the header, if any
                text = texts[start]
                if text.strip() and not text.lstrip().startswith("#"):
                    self.started = True  # the first line that is not blank nor a comment
                    if self._read_header(Line(number + start, text)):
                        start += 1  # a header, not a point
                    break
                start += 1
            for first in range(start, len(texts), most):
                part = texts[first : first + most]
                many = None if self.columns is not None else self.plain_lines(part)
                if many is not None:
                    yield many
                else:
                    yield from self._read_lines(number + first, part, most)

    def _read_lines(self, number: int, texts: list[str], most: int) -> Iterator[list[Point]]:
        """The points of lines ``number``, ``number + 1``, … one line at a time, at most
        ``most`` at a time."""
        points: list[Point] = []
        for offset, text in enumerate(texts):
            try:
                points.extend(self.read(Line(number + offset, text)))
            except InputError as error:
                if points:
                    yield points
                raise error from None
            if len(points) >= most:
                yield points
                points = []
        if points:
            yield points

    def plain_lines(self, texts: list[str]) -> PointColumns | None:
        """Lines that are all plain numbers, one for each scalar variable (``0.5``, ``3,4``),
        read at once into columns: the points ``read`` makes of them; None for any other."""
        free = [name for name in self.expression.variables if name not in self.fixed]
        if not free or any(name in self.expression.indexed for name in free):
            return None
        text = "\n".join(texts)
        if text.translate(_PLAIN_CHARACTERS):  # a character no plain number holds
            return None
        commas = len(free) - 1
        if ("," in text) if commas == 0 else any(one.count(",") != commas for one in texts):
            return None
        fields = texts if commas == 0 else text.replace("\n", ",").split(",")
        try:  # Python's float on each field: a field that is no number fails
            numbers = np.array(fields, dtype=np.float64)
        except ValueError:
            return None
        if not np.isfinite(numbers).all():
            return None  # read line by line: the error names the number
        first = self._plain_numbers(texts[0])
        assert first is not None
        columns = numbers.reshape(len(texts), len(free)).T
        return PointColumns(first, dict(zip(free, columns)))

    def read(self, line: Line) -> list[Point]:
        """The points of one line: none for a blank line, a comment or the header."""
        text = line.text
        if not text.strip() or text.lstrip().startswith("#"):
            return []
        if not self.started:
            self.started = True
            if self._read_header(line):
                return []
        if self.columns is not None:
            return [self._row(line)]
        plain = self._plain_numbers(text)
        if plain is not None:
            return [plain]
        try:
            bindings = read_bindings(text, self.option)
            return list(bind_each(bindings, self.expression, self.fixed, self.option))
        except InputError as error:
            raise self._located(line, _item_column(text, self.option), error) from None

    def _plain_numbers(self, text: str) -> Point | None:
        """A line of plain numbers for as many scalar variables (``0.5``, ``3,4``), read at
        once: what ``bind`` makes of it; None for any other line (read in full)."""
        if not _PLAIN.match(text):
            return None
        free = [name for name in self.expression.variables if name not in self.fixed]
        numbers = text.split(",")
        if len(numbers) != len(free) or any(name in self.expression.indexed for name in free):
            return None
        values = [float(number) for number in numbers]
        if not all(math.isfinite(value) for value in values):
            return None  # read in full: its error names the number
        point = {name: np.array(value) for name, value in zip(free, values)}
        point.update(self.fixed)
        return {name: point[name] for name in self.expression.variables}

    def _read_header(self, line: Line) -> bool:
        """Take the line as a header if a field names a variable and none binds one (``=``):
        as a point it could only be an error, since a variable is no number."""
        self.delimiter = "\t" if "\t" in line.text else ","
        try:
            fields = next(csv.reader([line.text], delimiter=self.delimiter))
        except csv.Error:  # a field past the csv module's limit: no header, read as a point
            return False
        if any("=" in field for field in fields):
            return False
        matches = [_LABEL.match(field) for field in fields]
        free = set(self.expression.variables) - set(self.fixed)
        columns = {}
        for position, match in enumerate(matches):
            if match is not None and match.group(1) in free:
                index = tuple(int(i) for i in (match.group(2) or "").split(",") if i.strip())
                columns[position] = (match.group(1), index)
        if not columns:
            return False
        missing = sorted(free - {name for name, _ in columns.values()})
        if missing:
            raise self._located(
                line, 1, InputError(f"the header names no column for {', '.join(missing)}")
            )
        self.columns = columns
        return True

    def _row(self, line: Line) -> Point:
        assert self.columns is not None
        fields = self._fields(line)
        elements: dict[str, dict[tuple[int, ...], float]] = {}
        for position, (name, index) in self.columns.items():
            column = _field_column(fields, position, self.delimiter)
            if position >= len(fields):
                raise self._located(
                    line, column, InputError(f"no value for {name} (too few columns)")
                )
            try:
                value = float(read_bindings(fields[position], self.option).positional[0])
            except (InputError, IndexError, TypeError):
                shown = fields[position].strip() or "an empty field"
                message = f"{shown!r} is not a number (column {name}{_index_text(index)})"
                raise self._located(line, column, InputError(message)) from None
            elements.setdefault(name, {})[index] = value
        named = {name: _assembled(values) for name, values in elements.items()}
        try:
            bindings = Bindings(line.text, (), named, self.option)
            return bind(bindings, self.expression, self.fixed, self.option)
        except InputError as error:
            raise self._located(line, 1, error) from None

    def _fields(self, line: Line) -> list[str]:
        """The line's fields as CSV (or TSV) reads them; a located InputError where the csv
        module refuses the line (a field longer than its limit of 131,072 characters)."""
        try:
            return next(csv.reader([line.text], delimiter=self.delimiter))
        except csv.Error as error:
            raise self._located(line, 1, InputError(f"not a CSV row ({error})")) from None

    def _located(self, line: Line, column: int, error: DiffcliError) -> InputError:
        return InputError(f"{self.source}:{line.number}:{column}: {error.template}")


def _assembled(values: dict[tuple[int, ...], float]) -> Array:
    """A variable's value from its elements by index (a scalar: the one with no index)."""
    if () in values:
        return np.array(values[()], dtype=np.float64)
    shape = tuple(
        max(index[axis] for index in values) + 1 for axis in range(len(next(iter(values))))
    )
    array = np.full(shape, np.nan)
    for index, value in values.items():
        array[index] = value
    return array


def _index_text(index: tuple[int, ...]) -> str:
    return f"[{','.join(str(i) for i in index)}]" if index else ""


def _field_column(fields: list[str], position: int, delimiter: str) -> int:
    """Where field ``position`` starts in the line, counted from 1 (exact without quotes)."""
    return 1 + sum(len(field) + len(delimiter) for field in fields[:position])


def _item_column(text: str, option: str) -> int:
    """Where the first item that is bad on its own starts in an ``--at`` line (else 1)."""
    offset = 0
    for item in text.split(","):
        try:
            read_bindings(item.split("=", 1)[-1], option)
        except InputError:
            return offset + 1 + len(item) - len(item.lstrip())
        offset += len(item) + 1
    return 1
