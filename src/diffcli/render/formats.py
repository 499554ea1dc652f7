"""The output formats, one class each, and ``render``: every command's one way to its output.

A format works for every report through the report's schema (``schema_for``). Adding one is
one class decorated with ``@register``; ``catalog.FORMATS`` names the built-in ones for
``--format`` without importing this module.
"""

from __future__ import annotations

import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

from . import emit_column_block, emit_delimited, emit_json, number, rounded, warn
from .schema import Report, Schema, cell_text


class Format(ABC):
    """One way to write any report, through its schema."""

    name: ClassVar[str]
    #: What ``--fields`` selects in this format: the flat rows' ``columns`` (CSV), the
    #: ``keys`` of the document's entries (JSON), or None: it takes no ``--fields``.
    selects: ClassVar[Literal["columns", "keys"] | None] = None
    #: Whether reports of successive groups of points may be written one after another
    #: (``write_more``), as points stream in; else the command waits for every point.
    streams: ClassVar[bool] = False
    #: The format writes ``--show``'s extra values (whole arrays, in their shapes).
    shows_values: ClassVar[bool] = False

    def write_more(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        """Write the next group's report after an earlier one (by default as the first)."""
        self.write(report, schema, precision)

    @abstractmethod
    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        """Write ``report`` to stdout; its warnings are already on stderr."""


#: Every format by name, in the order ``--format`` lists them.
REGISTRY: dict[str, Format] = {}


def register(format_class: type[Format]) -> type[Format]:
    """Class decorator: make a format available to ``render`` under its ``name``."""
    REGISTRY[format_class.name] = format_class()
    return format_class


def render(
    report: Report,
    format_name: str,
    precision: int | None,
    fields: Sequence[str] | None = None,
    continued: bool = False,
) -> None:
    """Write a report's warnings to stderr, then the report in the named format to stdout,
    only the ``fields`` named (in their order) if given; ``continued``: after an earlier
    report of the same command (the next group of streamed points).

    Raises:
        InputError: ``fields`` given to a format that takes none, or naming an unknown field
            (before anything is written).
    """
    from .fields import Selected
    from .schemas import schema_for

    chosen = REGISTRY[format_name]
    schema = schema_for(report)
    if fields:
        schema = Selected.of(schema, report, fields, format_name, chosen.selects)
    for message in report.warnings:
        warn(message)
    if continued:
        chosen.write_more(report, schema, precision)
    else:
        chosen.write(report, schema, precision)


@register
class Table(Format):
    """For people: each report's own layout (Rich tables, matrices, summaries)."""

    name = "table"
    shows_values = True

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        schema.table(report, precision)


@register
class Json(Format):
    """One JSON document: the schema's document, non-finite numbers written as null."""

    name = "json"
    shows_values = True
    selects = "keys"

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        emit_json(rounded(schema.document(report), precision))


@register
class JsonLines(Format):
    """JSON Lines: one JSON object per flat row, keyed by the columns, for streams.

    A number that is not finite is written as null, with a warning on stderr (a JSON Lines
    stream has no document to hold warnings).
    """

    name = "jsonl"
    selects = "columns"
    streams = True

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        from ..results import json_ready

        columns = schema.columns(report)
        notes: list[str] = []
        for index, row in enumerate(schema.rows(report)):
            line = json_ready(dict(zip(columns, rounded(list(row), precision))), notes)
            sys.stdout.write(json.dumps(line, allow_nan=False) + "\n")
            for note in notes:
                warn(f"row {index + 1}: {note}")
            notes.clear()


class Delimited(Format):
    """A header and the schema's flat rows, values in full or to ``--precision`` digits."""

    delimiter: ClassVar[str]
    selects = "columns"
    streams = True

    #: The header of the command's rows so far (the streamed groups after the first add rows
    #: under it only).
    header: list[str] | None = None

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        self.header = list(schema.columns(report))
        self._write(self.header, report, schema, precision)

    def write_more(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        """The rows, without a second header; InputError where they need other columns (a
        variable's shape changed between the groups of a stream), before any is written."""
        columns = list(schema.columns(report))
        if columns != self.header:
            from ..errors import InputError

            header = self.header or []
            added = [name for name in columns if name not in header]
            missing = [name for name in header if name not in columns]
            differ = ", ".join([*(f"+{name}" for name in added), *(f"-{name}" for name in missing)])
            differ = differ or "the same columns in another order"
            raise InputError(
                f"these points need other columns than the {self.name} header written above "
                f"({differ}: a variable changed its shape); give points of one shape to one "
                "command, or write -f jsonl"
            )
        self._write(None, report, schema, precision)

    def _write(
        self, headers: Sequence[str] | None, report: Any, schema: Schema[Any], precision: int | None
    ) -> None:
        block = schema.column_block(report)
        if block is not None:
            emit_column_block(headers, block, self.delimiter, precision)
        else:
            emit_delimited(headers, self._rows(report, schema, precision), self.delimiter)

    @staticmethod
    def _rows(report: Any, schema: Schema[Any], precision: int | None) -> Iterator[list[str]]:
        return ([cell_text(cell, precision) for cell in row] for row in schema.rows(report))


@register
class Csv(Delimited):
    """Comma-separated values."""

    name = "csv"
    delimiter = ","


@register
class Tsv(Delimited):
    """Tab-separated values."""

    name = "tsv"
    delimiter = "\t"


@register
class Value(Format):
    """The bare numbers, a line of them at a time, for shell pipes."""

    name = "value"
    streams = True

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        digits = precision if schema.value_precision else None
        for line in schema.values(report):
            sys.stdout.write(" ".join(number(value, digits) for value in line) + "\n")


def check_shown(format_name: str, shown: bool) -> None:
    """Refuse ``--show`` with a format that would drop its values (before any work).

    Raises:
        InputError: the format cannot carry the shown values.
    """
    if shown and not REGISTRY[format_name].shows_values:
        from ..errors import InputError, param

        able = " or ".join(name for name, kind in REGISTRY.items() if kind.shows_values)
        raise InputError(f"{param('show')} needs --format {able}, not {format_name}")
