"""Truncated Taylor polynomials (jets) that NumPy's own functions compute with: forward mode.

A ``Jet`` holds the coefficients ``c[0] + c[1] t + … + c[K] t**K`` of a value along one
direction, each coefficient an array with the batch axis first. NumPy's ufuncs and the few
array functions the expression language uses dispatch to it (``__array_ufunc__``,
``__array_function__``), so the very code that evaluates an expression (``expr.functions``)
and the reverse rules (``rules``) run on jets unchanged: ``K`` up to 6 gives ``diff --order
N``, and ``K = 1`` with one direction per batch row gives the tangents of forward-over-reverse
Hessians. Coefficient 0 is always the plain float64 value NumPy computes; higher ones follow
the standard recurrences (Griewank & Walther, *Evaluating Derivatives*, ch. 13).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = Any
#: NumPy, typed loosely: its functions take jets through the protocols above, which its
#: stubs do not know.
_NUMPY: Any = np
#: A zero coefficient: a plain 0.0 broadcasts against any array.
_ZERO = 0.0


def _coefficients(value: Any, length: int) -> list[Array]:
    if isinstance(value, Jet):
        return value.coefficients + [_ZERO] * (length - len(value.coefficients))
    return [value] + [_ZERO] * (length - 1)


def primal(value: Any) -> Array:
    """The value itself (coefficient 0 of a jet)."""
    return value.coefficients[0] if isinstance(value, Jet) else value


def _cauchy(a: list[Array], b: list[Array], k: int, product: Callable[..., Array]) -> Array:
    total: Array = _ZERO
    for j in range(k + 1):
        if np.ndim(a[j]) and np.ndim(b[k - j]):  # a scalar coefficient is a missing 0
            total = total + product(a[j], b[k - j])
        elif product is np.multiply:
            total = total + a[j] * b[k - j]
    return total


def _multiply(a: list[Array], b: list[Array]) -> list[Array]:
    return [_cauchy(a, b, k, np.multiply) for k in range(len(a))]


def _divide(a: list[Array], b: list[Array], first: Array) -> list[Array]:
    quotient = [first]
    for k in range(1, len(a)):
        total = a[k]
        for j in range(1, k + 1):
            total = total - b[j] * quotient[k - j]
        quotient.append(total / b[0])
    return quotient


def _integrate(
    a: list[Array], derivative: Callable[[list[Array]], list[Array]], first: Array
) -> list[Array]:
    """Coefficients of y = f(a) from y' = g a', where ``derivative(y so far)`` gives g's
    coefficients (g may depend on y: exp, tan, tanh, sqrt)."""
    y = [first]
    for k in range(1, len(a)):
        g = derivative(y + [_ZERO] * (len(a) - k))
        total: Array = _ZERO
        for j in range(1, k + 1):
            total = total + j * a[j] * g[k - j]
        y.append(total / k)
    return y


def _power(a: list[Array], exponent: float, first: Array) -> list[Array]:
    """a**p for a constant p: repeated products for small whole p (exact at a = 0), else
    the recurrence a·y' = p·a'·y."""
    if exponent == int(exponent) and 0 <= exponent <= 64:
        result = [np.ones_like(np.asarray(a[0], dtype=np.float64))] + [_ZERO] * (len(a) - 1)
        base, remaining = a, int(exponent)
        while remaining:
            if remaining & 1:
                result = _multiply(result, base)
            remaining >>= 1
            if remaining:
                base = _multiply(base, base)
        return [first, *result[1:]]
    y = [first]
    for k in range(1, len(a)):
        total: Array = _ZERO
        for j in range(1, k + 1):
            total = total + (exponent * j - (k - j)) * a[j] * y[k - j]
        y.append(total / (k * a[0]))
    return y


def _sine_cosine(a: list[Array], hyperbolic: bool) -> tuple[list[Array], list[Array]]:
    sine = [np.sinh(a[0]) if hyperbolic else np.sin(a[0])]
    cosine = [np.cosh(a[0]) if hyperbolic else np.cos(a[0])]
    sign = 1.0 if hyperbolic else -1.0
    for k in range(1, len(a)):
        s: Array = _ZERO
        c: Array = _ZERO
        for j in range(1, k + 1):
            s = s + j * a[j] * cosine[k - j]
            c = c + j * a[j] * sine[k - j]
        sine.append(s / k)
        cosine.append(sign * c / k)
    return sine, cosine


#: f' of the functions whose derivative needs only the argument, as a jet of it.
_BY_ARGUMENT: dict[str, Callable[[Jet], Any]] = {
    "log": lambda a: 1.0 / a,
    "log2": lambda a: 1.0 / (a * math.log(2.0)),
    "log10": lambda a: 1.0 / (a * math.log(10.0)),
    # (1 - a)(1 + a), not 1 - a*a: near |a| = 1 the factor 1 - a is exact (Sterbenz)
    "arcsin": lambda a: ((1.0 - a) * (1.0 + a)) ** -0.5,
    "arccos": lambda a: -(((1.0 - a) * (1.0 + a)) ** -0.5),
    "arctan": lambda a: 1.0 / (1.0 + a * a),
    "arcsinh": lambda a: (a * a + 1.0) ** -0.5,
    "arccosh": lambda a: ((a - 1.0) * (a + 1.0)) ** -0.5,
    "arctanh": lambda a: 1.0 / ((1.0 - a) * (1.0 + a)),
}
#: f' of the functions whose derivative is simplest through the result y.
_BY_RESULT: dict[str, Callable[[Jet], Any]] = {
    "exp": lambda y: y,
    "tan": lambda y: 1.0 + y * y,
    "tanh": lambda y: 1.0 - y * y,
    "sqrt": lambda y: 0.5 / y,
}


class Jet:
    """A truncated Taylor polynomial of arrays; see the module's docstring."""

    __slots__ = ("coefficients",)

    def __init__(self, coefficients: Sequence[Array]) -> None:
        self.coefficients = list(coefficients)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.coefficients[0]))

    @property
    def ndim(self) -> int:
        return int(np.ndim(self.coefficients[0]))

    def _each(self, operation: Callable[[Array], Array]) -> Jet:
        return Jet([operation(c) if np.ndim(c) else c for c in self.coefficients])

    def __getitem__(self, key: Any) -> Jet:
        return self._each(lambda c: c[key])

    def reshape(self, shape: tuple[int, ...]) -> Jet:
        """Each coefficient in ``shape`` after its own batch axis (coefficients may have more
        batch rows than the value: one per direction)."""
        return Jet(
            [
                np.reshape(c, (np.shape(c)[0], *shape[1:])) if np.ndim(c) else c
                for c in self.coefficients
            ]
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            return NotImplemented
        length = max(len(x.coefficients) for x in inputs if isinstance(x, Jet))
        values = [primal(x) for x in inputs]
        name = ufunc.__name__
        if name in {"greater", "less", "greater_equal", "less_equal", "equal", "not_equal", "sign"}:
            return ufunc(*values)
        first = ufunc(*values)
        if len(inputs) == 1:
            return Jet(self._unary(name, _coefficients(inputs[0], length), first))
        a, b = (_coefficients(x, length) for x in inputs)
        if name == "add":
            return Jet([first, *(x + y for x, y in zip(a[1:], b[1:]))])
        if name == "subtract":
            return Jet([first, *(x - y for x, y in zip(a[1:], b[1:]))])
        if name == "multiply":
            return Jet([first, *_multiply(a, b)[1:]])
        if name == "matmul":
            return Jet([first, *(_cauchy(a, b, k, np.matmul) for k in range(1, length))])
        if name == "divide":
            return Jet(_divide(a, b, first))
        if name == "maximum":
            keep = values[0] >= values[1]
            return Jet([first, *(np.where(keep, x, y) for x, y in zip(a[1:], b[1:]))])
        if name == "power":
            if isinstance(inputs[1], Jet) or np.size(values[1]) != 1:
                # a**b = exp(b log a), the value itself as NumPy's power computes it
                general = np.exp(inputs[1] * np.log(inputs[0]))
                return Jet([first, *general.coefficients[1:]])
            return Jet(_power(a, float(np.asarray(values[1]).reshape(-1)[0]), first))
        return NotImplemented

    @staticmethod
    def _unary(name: str, a: list[Array], first: Array) -> list[Array]:
        if name == "negative":
            return [first, *(-x for x in a[1:])]
        if name == "positive":
            return [first, *a[1:]]
        if name == "square":
            return [first, *_multiply(a, a)[1:]]
        if name in {"sin", "cos", "sinh", "cosh"}:
            sine, cosine = _sine_cosine(a, name.endswith("h"))
            return [first, *(sine if name.startswith("sin") else cosine)[1:]]
        if name == "absolute":
            sign = np.sign(a[0])
            return [first, *(sign * x for x in a[1:])]
        if name in _BY_ARGUMENT:
            g = _BY_ARGUMENT[name](Jet(a)).coefficients
            return _integrate(a, lambda _: g, first)
        if name in _BY_RESULT:
            rule = _BY_RESULT[name]
            return _integrate(a, lambda y: _coefficients(rule(Jet(y)), len(a)), first)
        raise TypeError(f"no Taylor rule for {name}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        rule = _FUNCTIONS.get(func.__name__)
        if rule is None:
            return NotImplemented
        return rule(*args, **kwargs)

    def __add__(self, other: Any) -> Any:
        return _NUMPY.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _NUMPY.add(other, self)

    def __sub__(self, other: Any) -> Any:
        return _NUMPY.subtract(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _NUMPY.subtract(other, self)

    def __mul__(self, other: Any) -> Any:
        return _NUMPY.multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _NUMPY.multiply(other, self)

    def __truediv__(self, other: Any) -> Any:
        return _NUMPY.true_divide(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _NUMPY.true_divide(other, self)

    def __pow__(self, other: Any) -> Any:
        return _NUMPY.power(self, other)

    def __neg__(self) -> Any:
        return _NUMPY.negative(self)

    def __matmul__(self, other: Any) -> Any:
        return _NUMPY.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _NUMPY.matmul(other, self)


def _linear(operation: Callable[..., Array]) -> Callable[..., Jet]:
    """A function linear in its first argument acts on each coefficient alike."""

    def apply(value: Any, *args: Any, **kwargs: Any) -> Jet:
        return Jet(
            [
                operation(c, *args, **kwargs) if np.ndim(c) else c
                for c in (value.coefficients if isinstance(value, Jet) else [value])
            ]
        )

    return apply


def _extremum(choose: Callable[..., Array]) -> Callable[..., Jet]:
    """max/min: the coefficients of the element the value comes from (ties share equally: a
    tie is a kink, which ``engine.kinks`` reports)."""

    def apply(value: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
        first = value.coefficients[0]
        chosen = choose(first, axis=axis, keepdims=True)
        mask = (first == chosen).astype(np.float64)
        mask = mask / np.sum(mask, axis=axis, keepdims=True)
        coefficients = [choose(first, axis=axis, keepdims=keepdims)]
        for c in value.coefficients[1:]:
            coefficients.append(np.sum(c * mask, axis=axis, keepdims=keepdims) if np.ndim(c) else c)
        return Jet(coefficients)

    return apply


def _product(value: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
    """prod over axes: the jets of the elements multiplied one by one."""
    axes = (
        tuple(range(value.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    )
    axes = tuple(a % value.ndim for a in axes)
    rest = [a for a in range(value.ndim) if a not in axes]
    moved = _NUMPY.transpose(value, (*rest, *axes))
    kept = tuple(moved.shape[: len(rest)])
    flat = moved.reshape((moved.shape[0], *kept[1:], -1))
    count = flat.shape[-1]
    result: Any = flat[..., 0]
    for index in range(1, count):
        result = result * flat[..., index]
    if keepdims:
        for a in sorted(axes):
            result = np.expand_dims(result, a)
    return result  # type: ignore[no-any-return]


def _where(condition: Array, first: Any, second: Any) -> Jet:
    length = max(len(x.coefficients) for x in (first, second) if isinstance(x, Jet))
    a, b = _coefficients(first, length), _coefficients(second, length)
    return Jet([np.where(condition, x, y) for x, y in zip(a, b)])


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sum": _linear(np.sum),
    "mean": _linear(np.mean),
    "transpose": _linear(np.transpose),
    "expand_dims": _linear(np.expand_dims),
    "moveaxis": _linear(np.moveaxis),
    "max": _extremum(np.max),
    "min": _extremum(np.min),
    "prod": _product,
    "where": _where,
}
