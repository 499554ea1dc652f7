"""The output formats, one class each, and ``render``: every command's one way to its output.

A format works for every report through the report's schema (``schema_for``). Adding one is
one class decorated with ``@register``; ``catalog.FORMATS`` names the built-in ones for
``--format`` without importing this module.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from . import emit_delimited, emit_json, number, warn
from .schema import Report, Schema, cell_text


class Format(ABC):
    """One way to write any report, through its schema."""

    name: ClassVar[str]

    @abstractmethod
    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        """Write ``report`` to stdout; its warnings are already on stderr."""


#: Every format by name, in the order ``--format`` lists them.
REGISTRY: dict[str, Format] = {}


def register(format_class: type[Format]) -> type[Format]:
    """Class decorator: make a format available to ``render`` under its ``name``."""
    REGISTRY[format_class.name] = format_class()
    return format_class


def render(report: Report, format_name: str, precision: int | None) -> None:
    """Write a report's warnings to stderr, then the report in the named format to stdout."""
    from .schemas import schema_for

    for message in report.warnings:
        warn(message)
    REGISTRY[format_name].write(report, schema_for(report), precision)


@register
class Table(Format):
    """For people: each report's own layout (Rich tables, matrices, summaries)."""

    name = "table"

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        schema.table(report, precision)


@register
class Json(Format):
    """One JSON document: the schema's document, non-finite numbers written as null."""

    name = "json"

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        emit_json(schema.document(report))


class Delimited(Format):
    """A header and the schema's flat rows, values in full."""

    delimiter: ClassVar[str]

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        rows = ([cell_text(cell) for cell in row] for row in schema.rows(report))
        emit_delimited(schema.columns(report), rows, self.delimiter)


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

    def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
        digits = precision if schema.value_precision else None
        for line in schema.values(report):
            sys.stdout.write(" ".join(number(value, digits) for value in line) + "\n")
