"""Tree to SymPy, SymPy's derivatives and values, as plain text. Imported lazily.

SymPy only ever sees trees this module builds from validated nodes; user text never reaches
``sympify``. Tensor variables become NumPy object arrays of scalar symbols (``x[0]``,
``W[0,1]``), so element-wise operations and matrix products apply to them unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from ..expr import exact
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Binary, Call, Constant, Index, Node, Number, Unary, Variable
from ..expr.parsing import Expression

Shape = tuple[int, ...]
#: Integer powers with more result bits than this are built as floats, never expanded exactly.
_MAX_EXACT_POWER_BITS = 4096
#: The precision of a float64 (and of ``sp.Float(x)`` for a Python float).
_DOUBLE_BITS = 53


def symbol(name: str, index: tuple[int, ...] = ()) -> Any:
    """The real SymPy symbol for a variable or one element of a tensor variable."""
    label = name if not index else f"{name}[{','.join(str(i) for i in index)}]"
    return sp.Symbol(label, real=True)


def symbols_for(name: str, shape: Shape) -> Any:
    """A symbol, or an object array of symbols in the variable's shape."""
    if not shape:
        return symbol(name)
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = symbol(name, tuple(int(i) for i in index))
    return array


def to_sympy(expression: Expression, shapes: Mapping[str, Shape]) -> Any:
    """The expression as a SymPy expression (scalar) or object array of them (tensor)."""
    variables = {name: symbols_for(name, tuple(shapes[name])) for name in expression.variables}
    return _Converter(variables).convert(expression.tree)


class _Converter:
    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables

    def convert(self, node: Node) -> Any:
        if isinstance(node, Number):
            if node.is_integer:
                return sp.Integer(int(node.value))
            return sp.Float(node.value)
        if isinstance(node, Constant):
            return {"pi": sp.pi, "e": sp.E}[node.name]
        if isinstance(node, Variable):
            return self.variables[node.name]
        if isinstance(node, Index):
            return self.variables[node.name][node.indices]
        if isinstance(node, Unary):
            operand = self.convert(node.operand)
            return -operand if node.op == "-" else operand
        if isinstance(node, Binary):
            return self.binary(node.op, self.convert(node.left), self.convert(node.right))
        if isinstance(node, Call):
            return self.call(node, [self.convert(argument) for argument in node.args])
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def binary(self, op: str, left: Any, right: Any) -> Any:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        if op == "**":
            return _power(left, right)
        if op == "@":
            return _matmul(left, right)
        raise ValueError(op)  # pragma: no cover

    def call(self, node: Call, args: list[Any]) -> Any:
        function = FUNCTIONS[node.name]
        builder = function.sympy
        if function.kind == "elementwise":
            (argument,) = args
            if isinstance(builder, str):
                sympy_function = getattr(sp, builder)
                apply: Callable[[Any], Any] = sympy_function
            else:
                apply = lambda value: builder(sp, value)  # noqa: E731
            if isinstance(argument, np.ndarray):
                return np.vectorize(apply, otypes=[object])(argument)
            return apply(argument)
        assert callable(builder)
        result = builder(sp, args, node.axis)
        if isinstance(result, np.ndarray) and result.ndim == 0:
            return result.item()
        return result


def _power(base: Any, exponent: Any) -> Any:
    if isinstance(base, np.ndarray) or isinstance(exponent, np.ndarray):
        return np.vectorize(_power, otypes=[object])(base, exponent)
    if isinstance(base, sp.Integer) and isinstance(exponent, sp.Integer):
        bits = abs(int(exponent)) * max(1, abs(int(base)).bit_length())
        if bits > _MAX_EXACT_POWER_BITS:
            return sp.Pow(sp.Float(int(base)), sp.Float(int(exponent)))
    return base**exponent


def _matmul(left: Any, right: Any) -> Any:
    product = np.matmul(np.asarray(left, dtype=object), np.asarray(right, dtype=object))
    if isinstance(product, np.ndarray) and product.ndim == 0:
        return product.item()
    return product


def substitute(expression: Any, values: Mapping[Any, float], digits: int = 30) -> Any:
    """The expression with symbols replaced by the exact binary values of floats."""
    return expression.xreplace(
        {symbol_: sp.Float(float(v), digits) for symbol_, v in values.items()}
    )


def value_at(expression: Any, point: Mapping[Any, float], digits: int = 30) -> float | None:
    """A SymPy expression evaluated at exact binary values of the point, rounded to float.

    Returns None where the value is not a real number (complex, infinite, undefined).
    """
    try:
        result = sp.Float(expression) if isinstance(expression, (int, float)) else expression
        result = substitute(result, point, digits).evalf(digits)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not result.is_number or result.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    try:
        real, imaginary = result.as_real_imag()
        if abs(float(imaginary)) > 0:
            return None
        value = float(real)
    except TypeError:  # a number SymPy cannot give a value, e.g. DiracDelta(0)
        return None
    return value if math.isfinite(value) else None


class _DoublePrinter(StrPrinter):  # type: ignore[misc]
    """SymPy's plain text, with numbers wider than a double printed as the double."""

    def _print_Float(self, expr: Any) -> str:
        if expr._prec > _DOUBLE_BITS:
            expr = sp.Float(float(expr))
        return str(super()._print_Float(expr))


def text(expression: Any) -> str:
    """SymPy's plain-text form of an expression, each number shown at double precision.

    Values substituted at 30 digits (``substitute``) print as ``0.6``, not
    ``0.599999999999999977795539507497``.
    """
    return str(_DoublePrinter().doprint(expression))


def point_symbols(point: Mapping[str, Any]) -> dict[Any, float]:
    """Each scalar coordinate of a point, keyed by its SymPy symbol."""
    found: dict[Any, float] = {}
    for name, value in point.items():
        array = np.asarray(value, dtype=np.float64)
        if array.ndim == 0:
            found[symbol(name)] = float(array)
            continue
        for index in np.ndindex(*array.shape):
            found[symbol(name, tuple(int(i) for i in index))] = float(array[index])
    return found


def gradient_expressions(
    expression: Expression,
    shapes: Mapping[str, Shape],
    names: tuple[str, ...],
    fixed: Mapping[str, Any] | None = None,
    exact: bool = True,
    check: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """SymPy's partial derivatives of a scalar expression by every element of ``names``.

    Values held fixed go in before differentiating, so terms such as ``t[0]*log(...)`` with
    ``t[0] = 0`` vanish and the derivatives stay small.

    Args:
        expression: the parsed expression (its value must be a single number).
        shapes: the shape of every variable.
        names: the variables to differentiate by, in the order wanted.
        fixed: values of variables held constant.
        exact: enter fixed values as the exact decimals they print as (``0.1`` becomes
            ``1/10``, so that solving stays exact); otherwise as their exact binary values.
        check: called between derivatives, to abandon work past a time limit.

    Returns:
        Each name mapped to a SymPy expression (scalar variable) or an object array of them in
        the variable's shape (tensor variable).
    """
    tree = held_fixed(expression, shapes, fixed or {}, exact)
    check()
    symbols = {name: symbols_for(name, tuple(shapes[name])) for name in names}
    flat = [item for value in symbols.values() for item in np.ravel(np.asarray(value, object))]
    partials = partial_derivatives(tree, flat, check)
    found: dict[str, Any] = {}
    for name, value in symbols.items():
        if isinstance(value, np.ndarray):
            found[name] = np.vectorize(partials.__getitem__, otypes=[object])(value)
        else:
            found[name] = partials[value]
    return found


def held_fixed(
    expression: Expression, shapes: Mapping[str, Shape], fixed: Mapping[str, Any], exact: bool
) -> Any:
    """A scalar expression as SymPy, with the values of ``fixed`` put in for their symbols.

    ``exact`` puts in the decimals the values print as (``0.1`` is ``1/10``); otherwise their
    exact binary values.
    """
    tree = to_sympy(expression, shapes)
    if isinstance(tree, np.ndarray):  # a 1-element tensor the compiler accepted as a number
        tree = tree.reshape(-1)[0]
    if not fixed:
        return tree
    if exact:
        return tree.xreplace(exact_substitutions(fixed))
    return substitute(tree, point_symbols(fixed))


def partial_derivatives(
    sympy_expression: Any, symbols: Sequence[Any], check: Callable[[], None] = lambda: None
) -> dict[Any, Any]:
    """SymPy's derivative by each symbol, differentiating only where the symbol occurs.

    A sum is split into its terms and each term is differentiated only by the symbols it
    contains, so ``sum(x**2)`` over 1,000 symbols costs 1,000 small derivatives, not a
    million term visits.
    """
    wanted = set(symbols)
    pieces: dict[Any, list[Any]] = {}
    for term in sp.Add.make_args(sympy_expression):
        for symbol_ in term.free_symbols & wanted:
            check()
            pieces.setdefault(symbol_, []).append(term.diff(symbol_))
    return {symbol_: sp.Add(*pieces.get(symbol_, [])) for symbol_ in symbols}


def exact_substitutions(values: Mapping[str, Any]) -> dict[Any, Any]:
    """Each coordinate's symbol mapped to the exact decimal its float prints as."""
    return {symbol_: sp.Rational(repr(value)) for symbol_, value in point_symbols(values).items()}


#: SymPy's functions that the expression language spells the same or by another name.
_DIALECT_FUNCTIONS = {
    **{name: name for name in exact.FUNCTIONS},  # (ln and sqrt are never SymPy's class names)
    "Abs": "abs",
}


class NotInLanguage(Exception):
    """A SymPy result the expression language cannot write (``sign``, ``Heaviside`` …)."""


def in_language(expression: Any) -> str:
    """A real SymPy expression written in diffcli's own expression language.

    Every number reads back as the same value: integers and fractions exactly, floats as
    the double they hold (the shortest text that reads back as it). The text goes back
    through ``parse``, the whitelist, never through SymPy.

    Raises:
        NotInLanguage: a node the language has no spelling for.
    """
    if isinstance(expression, sp.Integer):
        return _signed(str(int(expression)))
    if isinstance(expression, sp.Rational):
        return f"({int(expression.p)}/{int(expression.q)})"
    if isinstance(expression, sp.Float):
        value = float(expression)
        if not math.isfinite(value):
            raise NotInLanguage(f"the number {expression}")
        return _signed(repr(value))
    if expression is sp.pi:
        return "pi"
    if expression is sp.E:
        return "e"
    if isinstance(expression, sp.Symbol):
        return str(expression.name)
    if isinstance(expression, sp.Add):
        return "(" + " + ".join(in_language(term) for term in expression.args) + ")"
    if isinstance(expression, sp.Mul):
        return "(" + "*".join(in_language(factor) for factor in expression.args) + ")"
    if isinstance(expression, sp.Pow):
        base, exponent = expression.args
        return f"({in_language(base)}**{in_language(exponent)})"
    name = _DIALECT_FUNCTIONS.get(type(expression).__name__)
    if name is None or len(expression.args) != 1:
        raise NotInLanguage(f"{type(expression).__name__}()")
    return f"{name}({in_language(expression.args[0])})"


def _signed(number: str) -> str:
    return f"({number})" if number.startswith("-") else number
