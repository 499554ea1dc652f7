"""Which schema reads which report: the one lookup every format goes through."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .schema import Schema

#: Report class name -> (module of ``diffcli.render``, schema class). Only the module a
#: report needs is imported: ``diff`` does not pay for ``descend``'s imports.
SCHEMAS = {
    "DiffReport": ("diff", "DiffSchema"),
    "GradientReport": ("grad", "GradientSchema"),
    "HessianReport": ("hessian", "HessianSchema"),
    "SweepReport": ("sweep", "SweepSchema"),
    "SweepsReport": ("sweep", "SweepsSchema"),
    "DescentReport": ("descend", "DescentSchema"),
    "CompareReport": ("descend", "CompareSchema"),
    "GraphReport": ("graph", "GraphSchema"),
}


def schema_for(report: object) -> Schema[Any]:
    """The schema of ``report``'s kind.

    Raises:
        TypeError: no schema reads this kind of report.
    """
    try:
        module, name = SCHEMAS[type(report).__name__]
    except KeyError:
        raise TypeError(f"no schema reads {type(report).__name__}") from None
    schema: Schema[Any] = getattr(import_module(f"{__package__}.{module}"), name)()
    return schema
