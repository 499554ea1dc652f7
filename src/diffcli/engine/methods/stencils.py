"""Finite-difference stencils: offsets and weights for a derivative of any order (Fornberg)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from typing import Any, TypeVar

from .. import registry

#: Numbers the weight recurrence works on: Fractions (exact) or NumPy arrays (one row per step).
N = TypeVar("N", Fraction, Any)


@dataclass(frozen=True)
class Stencil:
    """Integer offsets and exact weights: ``f^(order)(x) ≈ sum(w_i f(x + o_i h)) / h**order``.

    ``exponents`` are the powers of ``h`` in the error expansion, leading term first; a
    symmetric stencil has only every other power, which Richardson extrapolation exploits.
    """

    offsets: tuple[int, ...]
    weights: tuple[Fraction, ...]
    order: int
    exponents: tuple[int, ...]

    @cached_property
    def numerators(self) -> tuple[int, ...]:
        """Integer weights over the common ``denominator`` (the textbook form)."""
        return tuple(int(w * self.denominator) for w in self.weights)

    @cached_property
    def denominator(self) -> int:
        """The least common denominator of the weights."""
        common = 1
        for weight in self.weights:
            common = common * weight.denominator // _gcd(common, weight.denominator)
        return common


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def fornberg_weights(nodes: list[N], order: int) -> list[N]:
    """Weights ``w`` with ``sum(w_i f(nodes_i)) ≈ f^(order)(0)``, exact for polynomials.

    Fornberg's recurrence (Math. Comp. 51, 1988). It works on any number type: Fractions
    give the exact textbook weights; NumPy arrays compute one stencil per row at once.

    Args:
        nodes: distinct abscissae relative to the point (at least ``order + 1``).
        order: the derivative's order.
    """
    count = len(nodes)
    zero = nodes[0] * 0
    table = [[zero for _ in range(order + 1)] for _ in range(count)]
    table[0][0] = zero + 1
    previous_product = zero + 1
    previous_node = nodes[0]
    for i in range(1, count):
        highest = min(i, order)
        product = zero + 1
        before = previous_node
        previous_node = nodes[i]
        for j in range(i):
            gap = nodes[i] - nodes[j]
            product = product * gap
            if j == i - 1:
                for k in range(highest, 0, -1):
                    table[i][k] = (
                        previous_product
                        * (k * table[i - 1][k - 1] - before * table[i - 1][k])
                        / product
                    )
                table[i][0] = -previous_product * before * table[i - 1][0] / product
            for k in range(highest, 0, -1):
                table[j][k] = (nodes[i] * table[j][k] - k * table[j][k - 1]) / gap
            table[j][0] = nodes[i] * table[j][0] / gap
        previous_product = product
    return [row[order] for row in table]


@cache
def stencil(side: str, accuracy: int, order: int = 1) -> Stencil:
    """The stencil for the ``order``-th derivative with error ``O(h**accuracy)``.

    ``side`` ``forward`` or ``backward``: one-sided, first-order accurate. ``central``:
    symmetric, of even ``accuracy`` (2: three points for the first and second derivatives;
    4: five points for them, seven for the third and fourth). Offsets with weight zero are
    left out: they cost an evaluation and add nothing.
    """
    if order < 1:
        raise ValueError("the order of a derivative is at least 1")
    if side == "forward":
        offsets = list(range(order + 1))
    elif side == "backward":
        offsets = list(range(-order, 1))
    else:
        reach = (order + 1) // 2 + accuracy // 2 - 1
        offsets = list(range(-reach, reach + 1))
    weights = fornberg_weights([Fraction(o) for o in offsets], order)
    kept = [(o, w) for o, w in zip(offsets, weights) if w != 0]
    step = 2 if side == "central" else 1
    exponents = tuple(range(accuracy, accuracy + 8 * step, step))
    return Stencil(tuple(o for o, _ in kept), tuple(w for _, w in kept), order, exponents)


def method_stencil(method: str, order: int = 1) -> Stencil:
    """The stencil of the registered fixed-step method called ``method``.

    Raises:
        ValueError: the method has no stencil (it is adaptive).
    """
    entry = registry.method(method)
    if entry.side is None or entry.accuracy is None:
        raise ValueError(f"{method!r} is not a fixed-step method")
    return stencil(entry.side, entry.accuracy, order)
