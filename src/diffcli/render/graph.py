"""How a ``graph`` report reads: its schema (one flat row per node), the tree it prints and
its Graphviz (DOT) text."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..expr.points import shortened
from ..results import GraphNode, GraphReport
from . import console, number, point_text
from .schema import Cell, Schema

#: The longest value the tree prints on a node's line (JSON and DOT carry every number).
_VALUE_TEXT = 80


def value_text(value: Any, precision: int | None) -> str:
    """A scalar as ``number`` writes it, a tensor as nested lists of such numbers."""
    array = np.asarray(value)
    if array.ndim == 0:
        return number(float(array), precision)
    return "[" + ", ".join(value_text(item, precision) for item in array) + "]"


class GraphSchema(Schema[GraphReport]):
    """A ``graph`` report: one flat row per node, parents before children; tensor values as
    JSON text in their cell."""

    entries_key = "nodes"

    def columns(self, report: GraphReport) -> Sequence[str]:
        return ["index", "parent", "operation", "text", "variable", "value", "adjoint", "status"]

    def rows(self, report: GraphReport) -> Iterable[Sequence[Cell]]:
        for node in report.nodes:
            yield [
                node.index,
                node.parent,
                node.operation,
                node.text,
                node.variable,
                _cell(node.value),
                None if node.adjoint is None else _cell(node.adjoint),
                node.status,
            ]

    def values(self, report: GraphReport) -> Iterable[Sequence[float | None]]:
        """Each variable's adjoint at each leaf that reads it (the gradient's pieces)."""
        for node in report.nodes:
            if node.variable is not None and node.adjoint is not None:
                yield [float(item) for item in np.ravel(node.adjoint)]

    def table(self, report: GraphReport, precision: int | None) -> None:
        out = console()
        out.print(f"f = {report.expression}", soft_wrap=True, markup=False)
        out.print(f"at {point_text(report.at)}", soft_wrap=True, markup=False)
        out.print("node: value, ∂f/∂node (backward pass)")
        for node, prefix in zip(report.nodes, _prefixes(report.nodes)):
            out.print(f"{prefix}{_line(node, precision)}", soft_wrap=True, markup=False)


def _cell(value: Any) -> Cell:
    array = np.asarray(value)
    return float(array) if array.ndim == 0 else json.dumps(array.tolist())


def _line(node: GraphNode, precision: int | None) -> str:
    label = node.operation
    if node.variable is not None:
        label += " (variable)" if node.variable == label else f" (variable {node.variable})"
    adjoint = "—" if node.adjoint is None else value_text(node.adjoint, precision)
    value = shortened(value_text(node.value, precision), _VALUE_TEXT)
    line = f"{label}: {value}, ∂f/∂ = {shortened(adjoint, _VALUE_TEXT)}"
    return line if node.status == "ok" else f"{line} ({node.status})"


def _prefixes(nodes: Sequence[GraphNode]) -> list[str]:
    """The tree's branches before each node: ``├── ``, ``└── `` under ``│   `` or spaces."""
    last_child: dict[int, int] = {}
    for node in nodes:
        if node.parent is not None:
            last_child[node.parent] = node.index
    prefixes: list[str] = []
    trail: dict[int, str] = {}  # what a node's children draw below it
    for node in nodes:
        if node.parent is None:
            prefixes.append("")
            trail[node.index] = ""
            continue
        above = trail[node.parent]
        last = last_child[node.parent] == node.index
        prefixes.append(above + ("└── " if last else "├── "))
        trail[node.index] = above + ("    " if last else "│   ")
    return prefixes


def write_dot(report: GraphReport, precision: int | None) -> None:
    """``--format dot``: the graph on stdout in Graphviz's language."""
    sys.stdout.write(dot_text(report, precision))


def dot_text(report: GraphReport, precision: int | None) -> str:
    """The graph in Graphviz's DOT language: data flows from each node to its parent; every
    node says its operation, value and adjoint."""
    lines = [
        "digraph computational_graph {",
        "  rankdir=BT;",
        '  node [shape=box, fontname="monospace"];',
        f"  label={json.dumps('f = ' + report.expression)};",
    ]
    for node in report.nodes:
        adjoint = "—" if node.adjoint is None else value_text(node.adjoint, precision)
        text = f"{node.operation}\nvalue = {value_text(node.value, precision)}\n∂f/∂ = {adjoint}"
        shape = ", shape=ellipse" if node.variable is not None else ""
        lines.append(f"  n{node.index} [label={json.dumps(text, ensure_ascii=False)}{shape}];")
    for node in report.nodes:
        if node.parent is not None:
            lines.append(f"  n{node.index} -> n{node.parent};")
    lines.append("}")
    return "\n".join(lines) + "\n"
