"""Reverse mode on diffcli's tree: a forward pass that keeps every node's value, then one
backward pass that gives every node's adjoint ∂f/∂node and every variable's gradient.

The forward pass performs the operations ``expr.compiling`` performs, in the same order, so
its values are the evaluator's to the last bit. Nodes are told apart by identity: the same
sub-expression typed twice is two nodes of the graph, as it is two computations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...expr.compiling import ARITHMETIC, Compiled, literal
from ...expr.functions import FUNCTIONS, lift
from ...expr.nodes import (
    Binary,
    Call,
    Index,
    Node,
    Number,
    Unary,
    Variable,
    children,
    walk,
)
from ...expr.numpy_functions import NUMPY
from .jet import primal
from .rules import ELEMENTWISE, arithmetic, matmul, scatter, tensor, unbroadcast

Array = Any
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Tape:
    """One forward pass: the nodes (parents before children) and each one's batched value."""

    compiled: Compiled
    nodes: tuple[Node, ...]
    values: Mapping[int, Array]
    #: Each node's item shape (its value's shape after the batch axis).
    shapes: Mapping[int, Shape]

    def value(self, node: Node) -> Array:
        return self.values[id(node)]

    def shape(self, node: Node) -> Shape:
        return self.shapes[id(node)]

    @property
    def result(self) -> Array:
        return self.values[id(self.nodes[0])]


def record(compiled: Compiled, env: Mapping[str, Array]) -> Tape:
    """Evaluate ``compiled``'s tree at ``env`` (batched values, arrays or jets), keeping
    every node's value."""
    nodes = tuple(walk(compiled.expression.tree))
    values: dict[int, Array] = {}
    shapes: dict[int, Shape] = {}
    for node in reversed(nodes):  # children before parents
        value = forward_value(node, values, shapes, env)
        values[id(node)] = value
        shapes[id(node)] = tuple(np.shape(primal(value))[1:])
    return Tape(compiled, nodes, values, shapes)


def forward_value(
    node: Node,
    values: Mapping[int, Array],
    shapes: Mapping[int, Shape],
    env: Mapping[str, Array],
) -> Array:
    """``node``'s batched value from its children's ``values`` (or ``env``, for a leaf)."""
    number = literal(node)
    if number is not None:
        return np.array([number], dtype=np.float64)
    if isinstance(node, Variable):
        return env[node.name]
    if isinstance(node, Index):
        key: tuple[Any, ...] = (slice(None), *node.indices)
        return env[node.name][key]
    if isinstance(node, Unary):
        operand = values[id(node.operand)]
        return operand if node.op == "+" else np.negative(operand)
    if isinstance(node, Binary):
        return _binary(node, values, shapes)
    assert isinstance(node, Call)
    function = FUNCTIONS[node.name]
    args = [values[id(argument)] for argument in node.args]
    if function.kind == "elementwise":
        return NUMPY[node.name](args[0])
    return NUMPY[node.name](args, [shapes[id(argument)] for argument in node.args], node.axis)


def _binary(node: Binary, values: Mapping[int, Array], shapes: Mapping[int, Shape]) -> Array:
    """``expr.compiling``'s arithmetic: the same operations on the same operands."""
    left, right = values[id(node.left)], values[id(node.right)]
    left_shape, right_shape = shapes[id(node.left)], shapes[id(node.right)]
    if node.op == "@":
        a = left[:, np.newaxis, :] if len(left_shape) == 1 else left
        b = right[..., np.newaxis] if len(right_shape) == 1 else right
        product = np.matmul(a, b)
        if len(right_shape) == 1:
            product = product[..., 0]
        if len(left_shape) == 1:
            product = product[:, 0, ...]
        return product
    if node.op == "**" and isinstance(node.right, Number) and node.right.value == 2:
        return np.square(left)
    operation = ARITHMETIC[node.op]
    left_number, right_number = literal(node.left), literal(node.right)
    if right_number is not None:
        return operation(left, right_number)
    if left_number is not None:
        return operation(left_number, right)
    if len(left_shape) == len(right_shape):
        return operation(left, right)
    rank = len(np.broadcast_shapes(left_shape, right_shape))
    return operation(lift(left, rank), lift(right, rank))


@dataclass(frozen=True)
class Adjoints:
    """The backward pass: ∂f/∂node for every node, and each variable's gradient."""

    nodes: Mapping[int, Array]
    variables: Mapping[str, Array]


def backward(tape: Tape, seed: Array | None = None) -> Adjoints:
    """One backward pass from the result (a scalar per batch row; ``seed`` its adjoint, ones
    by default)."""
    result = primal(tape.result)
    adjoints: dict[int, Array] = {
        id(tape.nodes[0]): np.ones(np.shape(result)) if seed is None else seed
    }
    gradients: dict[str, Array] = {}
    for node in tape.nodes:  # parents before children: a node's adjoint is complete
        adjoint = adjoints.get(id(node))
        if adjoint is None:
            continue
        if isinstance(node, (Variable, Index)):
            whole = adjoint
            if isinstance(node, Index):
                shape = tuple(tape.compiled.shapes[node.name])
                whole = scatter(adjoint, shape, (slice(None), *node.indices))
            earlier = gradients.get(node.name)
            gradients[node.name] = whole if earlier is None else earlier + whole
        for child, child_adjoint in zip(children(node), operand_adjoints(tape, node, adjoint)):
            if child_adjoint is not None:
                adjoints[id(child)] = child_adjoint
    return Adjoints(adjoints, gradients)


def operand_adjoints(tape: Tape, node: Node, adjoint: Array) -> list[Array]:
    """The adjoints of ``node``'s children from its own (None where none is needed)."""
    if isinstance(node, Unary):
        return [adjoint if node.op == "+" else -adjoint]
    if isinstance(node, Binary):
        left, right = tape.value(node.left), tape.value(node.right)
        left_shape, right_shape = tape.shape(node.left), tape.shape(node.right)
        found: tuple[Array | None, ...]
        if node.op == "@":
            found = matmul(adjoint, left, right, left_shape, right_shape)
        else:
            rank = len(tape.shape(node))
            exponent = literal(node.right) if node.op == "**" else None
            pair = arithmetic(
                node.op,
                adjoint,
                lift(left, rank),
                lift(right, rank),
                tape.value(node),
                exponent,
            )
            found = tuple(
                None if item is None else unbroadcast(item, shape)
                for item, shape in zip(pair, (left_shape, right_shape))
            )
        return list(found)
    if isinstance(node, Call):
        function = FUNCTIONS[node.name]
        args = [tape.value(argument) for argument in node.args]
        if function.kind == "elementwise":
            return [adjoint * ELEMENTWISE[node.name](args[0], tape.value(node))]
        shapes = [tape.shape(argument) for argument in node.args]
        return tensor(node.name, adjoint, args, shapes, node.axis, tape.value(node))
    return []
