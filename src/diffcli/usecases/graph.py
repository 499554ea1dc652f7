"""``graph``: the computational graph of an expression at one point, the forward pass's value
and the backward pass's adjoint ∂f/∂node at every node (the primer's backpropagation)."""

from __future__ import annotations

import numpy as np

from ..catalog import DEFAULT_STEP
from ..engine.autodiff.tape import backward, record
from ..engine.coordinates import coordinates
from ..engine.kinks import batched_kinks, kink_suspects
from ..expr.compiling import Compiled
from ..expr.nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable, children
from ..expr.parsing import Expression
from ..expr.points import Point
from ..results import GraphNode, GraphReport
from .notes import kink_notes
from .prepare import check_finite, compile_scalar


def computational_graph(expression: Expression, point: Point) -> GraphReport:
    """Every node of the expression's tree (parents before children), with its value and
    adjoint from one reverse-mode pass at ``point``.

    Raises:
        InputError: an expression that is not a scalar, or a variable without a value.
        ShapeError: operand shapes that do not fit together.
        EvaluationError: the expression has no finite value at the point.
    """
    compiled = compile_scalar(expression, {name: np.shape(v) for name, v in point.items()})
    check_finite(compiled, expression, point)
    batched = {name: np.asarray(v, dtype=np.float64)[np.newaxis, ...] for name, v in point.items()}
    with np.errstate(all="ignore"):
        tape = record(compiled, batched)
        adjoints = backward(tape).nodes
    kinked, warnings = kinks_at(expression, compiled, point)
    found: list[GraphNode] = []
    stack: list[tuple[Node, int | None, int]] = [(expression.tree, None, 0)]
    while stack:
        node, parent, depth = stack.pop()
        index = len(found)
        value = np.asarray(tape.value(node))[0]
        adjoint = adjoints.get(id(node))
        if adjoint is not None:
            adjoint = np.broadcast_to(np.asarray(adjoint)[0], np.shape(value)).copy()
        found.append(
            GraphNode(
                index,
                parent,
                depth,
                operation(node),
                expression.source(node),
                node.name if isinstance(node, (Variable, Index)) else None,
                value,
                adjoint,
                # a variable whose adjoint crosses a kink is marked where it is shown
                status="kink"
                if isinstance(node, (Variable, Index)) and node.name in kinked
                else "",
            )
        )
        stack.extend((child, index, depth + 1) for child in reversed(children(node)))
    return GraphReport(expression.text, point, tuple(found), warnings)


def kinks_at(
    expression: Expression, compiled: Compiled, point: Point
) -> tuple[set[str], tuple[str, ...]]:
    """Where the point sits on a kink (abs at 0 …): there the backward pass's adjoint is one
    choice among the one-sided derivatives, not a derivative, and the graph must say so: the
    variables concerned, and the warnings."""
    if not kink_suspects(expression):
        return set(), ()
    names = tuple(point)
    notes = kink_notes(batched_kinks(compiled, point, names, DEFAULT_STEP))
    kinked = {c.name for c in coordinates(point, names) if c.label in notes.kink_values}
    return kinked, tuple(
        f"{warning}: the adjoints there are a choice of AD (a subgradient), not derivatives"
        for warning in notes.warnings(point, "AD")
    )


def operation(node: Node) -> str:
    """What a node computes, in a word: ``+``, ``@``, ``neg``, ``softmax(axis=0)``, a number."""
    if isinstance(node, Number):
        return repr(node.value)
    if isinstance(node, (Constant, Variable)):
        return node.name
    if isinstance(node, Index):
        return f"{node.name}[{','.join(str(i) for i in node.indices)}]"
    if isinstance(node, Unary):
        return "neg" if node.op == "-" else "+x"
    if isinstance(node, Binary):
        return node.op
    assert isinstance(node, Call)
    return node.name if node.axis is None else f"{node.name}(axis={node.axis})"
