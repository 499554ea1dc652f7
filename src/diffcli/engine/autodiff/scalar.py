"""Reverse mode planned once for expressions whose every value is one number: forward and
backward passes as flat lists of closures over slots of Python floats.

``+ - * /``, negation and ``**2`` run on Python floats, whose arithmetic is the same IEEE
arithmetic NumPy performs, so values and gradients equal ``tape``'s to the last bit. Every
other node (functions, other powers) runs ``tape``'s own forward step and reverse rule on
one-element arrays. Python raises where NumPy returns inf or nan (a division by zero), so a
caller catches ``ArithmeticError`` and asks ``tape`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ...expr.compiling import Compiled, literal
from ...expr.functions import FUNCTIONS
from ...expr.nodes import Binary, Call, Index, Node, Unary, Variable, children, walk
from .tape import Tape, forward_value, operand_adjoints

Array = Any
Slots = list[float]
ForwardStep = Callable[[Slots], None]
BackwardStep = Callable[[Slots, Slots], None]


def plannable(compiled: Compiled) -> bool:
    """Whether every node of ``compiled``'s tree has a single number as its value."""
    for node in walk(compiled.expression.tree):
        if isinstance(node, Index):
            return False
        if isinstance(node, Variable) and tuple(compiled.shapes[node.name]) != ():
            return False
        if isinstance(node, Binary) and node.op == "@":
            return False
        if isinstance(node, Call) and FUNCTIONS[node.name].kind != "elementwise":
            return False
    return True


class ScalarPlan:
    """f and its gradient by the variables ``names`` (others fixed by ``constants``) for a
    tree of single numbers, the node order and each node's steps chosen once."""

    def __init__(
        self, compiled: Compiled, names: Sequence[str], constants: Mapping[str, float]
    ) -> None:
        nodes = walk(compiled.expression.tree)  # parents before children, as ``tape``'s
        slot = {id(node): index for index, node in enumerate(nodes)}
        self.initial: Slots = [0.0] * len(nodes)
        #: (slot, position in ``names``) of each use of a variable, in ``tape``'s order
        self.uses: list[tuple[int, int]] = []
        self.forward: list[ForwardStep] = []
        self.backward: list[BackwardStep] = []
        self.size = len(names)
        position = {name: index for index, name in enumerate(names)}
        for index, node in enumerate(nodes):
            number = literal(node)
            if number is not None:
                self.initial[index] = number
            elif isinstance(node, Variable):
                if node.name in position:
                    self.uses.append((index, position[node.name]))
                else:
                    self.initial[index] = float(constants[node.name])
            else:
                operands = [slot[id(child)] for child in children(node)]
                forward, backward = _steps(compiled, node, index, operands)
                self.forward.append(forward)
                self.backward.append(backward)
        self.forward.reverse()  # children before parents
        self.last: tuple[bytes, Slots] | None = None

    def _values(self, point: Array) -> Slots:
        key = point.tobytes()  # bitwise: 0.0 and -0.0 are different points
        if self.last is not None and self.last[0] == key:
            return self.last[1]
        values = self.initial.copy()
        coordinates = point.tolist()
        for index, position in self.uses:
            values[index] = coordinates[position]
        for step in self.forward:
            step(values)
        self.last = (key, values)
        return values

    def value(self, point: Array) -> float:
        """f at ``point`` (a float64 array of the variables' values, in ``names``' order)."""
        return self._values(point)[0]

    def gradient(self, point: Array) -> Array:
        """∂f/∂ each variable at ``point``, from one backward pass (the forward one is shared
        with ``value`` at the same point)."""
        values = self._values(point)
        adjoints = [0.0] * len(values)
        adjoints[0] = 1.0
        for step in self.backward:
            step(values, adjoints)
        gradient = [-0.0] * self.size  # -0.0 + a == a for every a, -0.0 and 0.0 included
        for index, position in self.uses:
            gradient[position] = gradient[position] + adjoints[index]
        return np.array(gradient)


def _steps(
    compiled: Compiled, node: Node, index: int, operands: list[int]
) -> tuple[ForwardStep, BackwardStep]:
    if isinstance(node, Unary):
        (operand,) = operands
        if node.op == "+":
            return _copy(index, operand)
        return _negation(index, operand)
    if isinstance(node, Binary) and node.op in _ARITHMETIC_STEPS:
        return _ARITHMETIC_STEPS[node.op](index, *operands)
    if isinstance(node, Binary) and node.op == "**" and literal(node.right) == 2:
        return _square(index, operands[0])
    return _on_arrays(compiled, node, index, operands)


def _copy(index: int, operand: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = v[operand]

    def backward(v: Slots, g: Slots) -> None:
        g[operand] = g[index]

    return forward, backward


def _negation(index: int, operand: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = -v[operand]

    def backward(v: Slots, g: Slots) -> None:
        g[operand] = -g[index]

    return forward, backward


def _square(index: int, operand: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        a = v[operand]
        v[index] = a * a

    def backward(v: Slots, g: Slots) -> None:
        g[operand] = (2.0 * g[index]) * v[operand]

    return forward, backward


def _add(index: int, left: int, right: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = v[left] + v[right]

    def backward(v: Slots, g: Slots) -> None:
        g[left] = g[right] = g[index]

    return forward, backward


def _subtract(index: int, left: int, right: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = v[left] - v[right]

    def backward(v: Slots, g: Slots) -> None:
        adjoint = g[index]
        g[left] = adjoint
        g[right] = -adjoint

    return forward, backward


def _multiply(index: int, left: int, right: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = v[left] * v[right]

    def backward(v: Slots, g: Slots) -> None:
        adjoint = g[index]
        g[left] = adjoint * v[right]
        g[right] = adjoint * v[left]

    return forward, backward


def _divide(index: int, left: int, right: int) -> tuple[ForwardStep, BackwardStep]:
    def forward(v: Slots) -> None:
        v[index] = v[left] / v[right]

    def backward(v: Slots, g: Slots) -> None:
        adjoint, denominator = g[index], v[right]
        g[left] = adjoint / denominator
        g[right] = -(adjoint * v[index]) / denominator

    return forward, backward


#: The reverse rules of ``rules.arithmetic`` for ``+ - * /``, on floats.
_ARITHMETIC_STEPS: dict[str, Callable[[int, int, int], tuple[ForwardStep, BackwardStep]]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
}


def _on_arrays(
    compiled: Compiled, node: Node, index: int, operands: list[int]
) -> tuple[ForwardStep, BackwardStep]:
    """``tape``'s forward step and reverse rule of ``node``, on one-element arrays."""
    parts = children(node)
    keys = [id(child) for child in parts]
    shapes: dict[int, tuple[int, ...]] = {key: () for key in (*keys, id(node))}

    def arrays(v: Slots) -> dict[int, Any]:
        return {key: np.array([v[operand]]) for key, operand in zip(keys, operands)}

    def forward(v: Slots) -> None:
        v[index] = float(forward_value(node, arrays(v), shapes, {})[0])

    def backward(v: Slots, g: Slots) -> None:
        values = arrays(v)
        values[id(node)] = np.array([v[index]])
        tape = Tape(compiled, (), values, shapes)
        found = operand_adjoints(tape, node, np.array([g[index]]))
        for operand, adjoint in zip(operands, found):
            if adjoint is not None:
                g[operand] = float(np.reshape(adjoint, -1)[0])

    return forward, backward
