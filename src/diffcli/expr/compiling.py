"""Tree to NumPy function: shapes checked first, then the same operations in the order typed.

Every value flowing through a compiled function carries a leading *batch* axis: a variable of
shape ``(3,)`` arrives as an array of shape ``(B, 3)`` (``B`` may be 1 for values shared by the
whole batch). One call therefore evaluates the expression at many points, which is how
difference stencils and gradients are computed without Python loops. The element-wise
operations are the very IEEE operations a plain Python evaluation would perform, so results
agree to the last bit with the textbook code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, ShapeError
from .functions import CONSTANTS, FUNCTIONS, lift, shape_text
from .nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable
from .numpy_functions import NUMPY
from .parsing import Expression

Array = Any
Shape = tuple[int, ...]
Evaluator = Callable[[Mapping[str, Array]], Array]

#: The NumPy function of each arithmetic operator; reverse mode (``engine.autodiff``) replays
#: its forward pass with this same table, so its values are the evaluator's to the last bit.
ARITHMETIC: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "**": np.power,
}


@dataclass(frozen=True)
class Compiled:
    """An expression ready to evaluate for variables of fixed shapes."""

    expression: Expression
    shapes: Mapping[str, Shape]
    shape: Shape
    evaluate_batch: Evaluator

    def __call__(self, point: Mapping[str, Array]) -> Array:
        """Evaluate at one point (unbatched values); returns an array of ``self.shape``."""
        batch = {name: np.asarray(value)[np.newaxis, ...] for name, value in point.items()}
        return np.asarray(self.evaluate_batch(batch))[0]


def compile_expression(expression: Expression, shapes: Mapping[str, Shape]) -> Compiled:
    """Check shapes and build the NumPy evaluator.

    Args:
        expression: the parsed expression.
        shapes: the shape of every variable (``()`` for a scalar).

    Raises:
        InputError: a variable has no shape (no value was given for it).
        ShapeError: operands do not fit together, or an index is out of range.
    """
    missing = [name for name in expression.variables if name not in shapes]
    if missing:
        raise InputError(f"no value given for {', '.join(missing)}")
    compiler = _Compiler(expression, shapes)
    evaluator, shape = compiler.compile(expression.tree)
    return Compiled(expression, dict(shapes), shape, evaluator)


class _Compiler:
    def __init__(self, expression: Expression, shapes: Mapping[str, Shape]) -> None:
        self.expression = expression
        self.shapes = shapes

    def fail(self, message: str, node: Node) -> ShapeError:
        return ShapeError(message, self.expression.text, node.span[0])

    def compile(self, node: Node) -> tuple[Evaluator, Shape]:
        if isinstance(node, Number):
            return _constant(node.value), ()
        if isinstance(node, Constant):
            return _constant(CONSTANTS[node.name]), ()
        if isinstance(node, Variable):
            return _variable(node.name), tuple(self.shapes[node.name])
        if isinstance(node, Index):
            return self._index(node)
        if isinstance(node, Unary):
            operand, shape = self.compile(node.operand)
            if node.op == "+":
                return operand, shape
            return (lambda env: np.negative(operand(env))), shape
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover - the parser builds nodes

    def _index(self, node: Index) -> tuple[Evaluator, Shape]:
        shape = tuple(self.shapes[node.name])
        if len(node.indices) > len(shape):
            if not shape:
                raise self.fail(
                    f"{node.name} is indexed as {self.expression.source(node)} "
                    "but its value is a single number",
                    node,
                )
            raise self.fail(
                f"{self.expression.source(node)} uses {len(node.indices)} indices "
                f"but {node.name} has shape {shape_text(shape)}",
                node,
            )
        for axis, (index, length) in enumerate(zip(node.indices, shape)):
            if not -length <= index < length:
                where = "" if len(shape) == 1 else f" along axis {axis}"
                raise self.fail(
                    f"index {index} is out of range for {node.name} of length {length}{where}",
                    node,
                )
        key = (slice(None), *node.indices)
        name = node.name
        return (lambda env: env[name][key]), shape[len(node.indices) :]

    def _binary(self, node: Binary) -> tuple[Evaluator, Shape]:
        left, left_shape = self.compile(node.left)
        right, right_shape = self.compile(node.right)
        if node.op == "@":
            return self._matmul(node, left, left_shape, right, right_shape)
        try:
            shape = tuple(np.broadcast_shapes(left_shape, right_shape))
        except ValueError:
            raise self.fail(
                f"{self.expression.source(node)}: shapes {shape_text(left_shape)} and "
                f"{shape_text(right_shape)} do not broadcast",
                node,
            ) from None
        if node.op == "**" and isinstance(node.right, Number) and node.right.value == 2:
            # what NumPy's own ``x**2`` does (the primer's np.sum(x**2)): x*x, several times
            # faster than pow() and never less accurate
            return (lambda env: np.square(left(env))), shape
        operation = ARITHMETIC[node.op]
        left_number, right_number = literal(node.left), literal(node.right)
        if right_number is not None:
            # A Python float operand keeps NumPy's exact paths: x**2 is a correctly rounded
            # square, as in the primer's np.sum(x**2), not a general pow() call.
            return (lambda env: operation(left(env), right_number)), shape
        if left_number is not None and right_number is None:
            return (lambda env: operation(left_number, right(env))), shape
        rank = len(shape)
        if len(left_shape) == len(right_shape):
            return (lambda env: operation(left(env), right(env))), shape
        return (lambda env: operation(lift(left(env), rank), lift(right(env), rank))), shape

    def _matmul(
        self,
        node: Binary,
        left: Evaluator,
        left_shape: Shape,
        right: Evaluator,
        right_shape: Shape,
    ) -> tuple[Evaluator, Shape]:
        text = self.expression.source(node)
        if not left_shape or not right_shape or len(left_shape) > 2 or len(right_shape) > 2:
            raise self.fail(
                f"{text}: @ needs vectors or matrices, got shapes {shape_text(left_shape)} "
                f"and {shape_text(right_shape)}",
                node,
            )
        if left_shape[-1] != right_shape[0]:
            raise self.fail(
                f"{text}: {shape_text(left_shape)} and {shape_text(right_shape)} do not align",
                node,
            )
        shape = left_shape[:-1] + right_shape[1:]
        left_vector = len(left_shape) == 1
        right_vector = len(right_shape) == 1

        def matmul(env: Mapping[str, Array]) -> Array:
            a = left(env)
            b = right(env)
            if left_vector:
                a = a[:, np.newaxis, :]
            if right_vector:
                b = b[..., np.newaxis]
            product = np.matmul(a, b)
            if right_vector:
                product = product[..., 0]
            if left_vector:
                product = product[:, 0, ...]
            return product

        return matmul, shape

    def _call(self, node: Call) -> tuple[Evaluator, Shape]:
        function = FUNCTIONS[node.name]
        compiled = [self.compile(argument) for argument in node.args]
        numpy_function = NUMPY[node.name]
        if function.kind == "elementwise":
            ((argument, shape),) = compiled
            return (lambda env: numpy_function(argument(env))), shape
        assert function.shape is not None
        evaluators = [evaluator for evaluator, _ in compiled]
        shapes = [shape for _, shape in compiled]
        axis = node.axis
        try:
            shape = tuple(function.shape(shapes, axis))
        except ValueError as error:
            raise self.fail(f"{self.expression.source(node)}: {error}", node) from None

        def call(env: Mapping[str, Array]) -> Array:
            return numpy_function([evaluate(env) for evaluate in evaluators], shapes, axis)

        return call, shape


def literal(node: Node) -> float | None:
    """The value of a number or named constant; None for any other node."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Constant):
        return CONSTANTS[node.name]
    return None


def _constant(value: float) -> Evaluator:
    array = np.array([value], dtype=np.float64)
    return lambda env: array


def _variable(name: str) -> Evaluator:
    return lambda env: env[name]
