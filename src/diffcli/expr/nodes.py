"""The expression tree: immutable nodes built by the parser and read by every later stage."""

from __future__ import annotations

from dataclasses import dataclass, field

#: ``(start, end)`` columns of a node in the text the user typed, for error carets.
Span = tuple[int, int]


class Node:
    """Base class of every tree node."""

    __slots__ = ()
    span: Span


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal, held as the float64 it denotes."""

    value: float
    is_integer: bool = False
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Constant(Node):
    """A named constant: ``pi`` or ``e``."""

    name: str
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Variable(Node):
    """A free variable, scalar or tensor; its shape comes from the point it is evaluated at."""

    name: str
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Index(Node):
    """One element of a tensor variable: ``x[0]``, ``W[1, 2]`` or ``W[1][2]``."""

    name: str
    indices: tuple[int, ...]
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Unary(Node):
    """``-a`` or ``+a``."""

    op: str
    operand: Node
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Binary(Node):
    """``a op b`` with op one of ``+ - * / ** @``."""

    op: str
    left: Node
    right: Node
    span: Span = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Call(Node):
    """A call of a whitelisted function, with an optional integer ``axis`` keyword."""

    name: str
    args: tuple[Node, ...]
    axis: int | None = None
    span: Span = field(default=(0, 0), compare=False)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (iterative: trees may be deep)."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-trees of a node."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()
