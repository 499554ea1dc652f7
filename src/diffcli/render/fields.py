"""``--fields a,b,…``: a schema that shows only the named columns (or JSON keys), in order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from ..errors import InputError, param
from ..expr.points import shortened
from .schema import Cell, ColumnBlock, Schema

#: How much of the list of known fields an error message shows.
_KNOWN_LENGTH = 400


class Selected(Schema[Any]):
    """Another schema's report with only the chosen fields: CSV columns, the keys of each
    entry of the JSON document, JSON Lines keys. Tables and values are the other schema's."""

    def __init__(self, schema: Schema[Any], fields: Sequence[str]) -> None:
        self.schema = schema
        self.fields = tuple(fields)

    @classmethod
    def of(
        cls,
        schema: Schema[Any],
        report: Any,
        fields: Sequence[str],
        format_name: str,
        selects: Literal["columns", "keys"] | None,
    ) -> Selected:
        """``schema`` narrowed to ``fields``, checked against what ``format_name`` writes.

        Raises:
            InputError: the format takes no fields, or a field it does not write.
        """
        option = param("fields")
        if selects is None:
            raise InputError(f"{option} applies to csv, tsv, json and jsonl, not {format_name}")
        if selects == "keys":
            if schema.entries_key is None:
                raise InputError(f"{option} does not apply to this report in json: use jsonl")
            entries = schema.document(report)[schema.entries_key]
            known = list({key: None for entry in entries for key in entry})
        else:
            known = list(schema.columns(report))
        repeated = sorted({field for field in fields if fields.count(field) > 1})
        if repeated:
            raise InputError(f"{option}: {', '.join(repeated)} given twice")
        unknown = [field for field in fields if field not in known]
        if unknown:
            listing = shortened(", ".join(known), _KNOWN_LENGTH)
            raise InputError(
                f"{option}: unknown field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)} (the fields of {format_name} here: {listing})"
            )
        return cls(schema, fields)

    def document(self, report: Any) -> dict[str, Any]:
        document = self.schema.document(report)
        key = self.schema.entries_key
        if key is not None:
            document[key] = [
                {field: entry.get(field) for field in self.fields} for entry in document[key]
            ]
        return document

    def columns(self, report: Any) -> Sequence[str]:
        return self.fields

    def rows(self, report: Any) -> Iterable[Sequence[Cell]]:
        positions = self._positions(report)
        for row in self.schema.rows(report):
            yield [row[position] for position in positions]

    def column_block(self, report: Any) -> ColumnBlock | None:
        block = self.schema.column_block(report)
        return None if block is None else block.select(self._positions(report))

    def _positions(self, report: Any) -> list[int]:
        columns = list(self.schema.columns(report))
        return [columns.index(field) for field in self.fields]

    def values(self, report: Any) -> Iterable[Sequence[float | None]]:
        return self.schema.values(report)

    def table(self, report: Any, precision: int | None) -> None:
        self.schema.table(report, precision)
