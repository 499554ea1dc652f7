"""A reference derivative where a method's own evidence cannot settle its value.

Richardson extrapolation (``methods/richardson.py``) on f *correctly rounded*: each value of
f at each abscissa computed by ``expr/exact.py`` (exact fractions, else mpmath at rising
precision) and rounded once to the nearest double. Such values carry no rounding noise of
f's double evaluation (a cancellation inside f costs precision there, not digits), so the
extrapolation is limited by half a spacing of the doubles only: ``(exp(x) - 1)/x`` at 1e-9,
whose double values carry relative noise 4e-7, gets 0.5000000003333 ± 7e-14.

A value whose error a method could only bound loosely (f noisy, f's a-priori rounding bound,
an estimate of the size of the value) is then measured: its error is its distance to the
reference plus the reference's own error estimate (``Estimate.referenced``). It takes
hundreds of exact evaluations (10 to 100 ms a point), so only a command of at most
``REFERENCE_POINTS`` points asks for them, at most that many; elsewhere values keep the
status their own evidence gives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np

from ..expr import exact
from ..expr.nodes import Binary, Call, Index, Node, Unary, Variable, walk
from .coordinates import BatchFunction, Coordinate
from .estimate import Estimate, underflows
from .methods.richardson import richardson
from .quotients import TRUSTED_RELATIVE_ERROR

#: References computed per command (each point, coordinate and order once).
REFERENCE_POINTS = 32
#: A tree with more nodes than this is not evaluated exactly point by point (too slow).
MOST_NODES = 400
#: A reference still unfinished after this many seconds is given up (``x**(10**300)``,
#: whose exact values need thousands of bits), and so are all once a command has spent
#: ``COMMAND_SECONDS`` on them: the values keep their own evidence's status.
REFERENCE_SECONDS = 1.0
COMMAND_SECONDS = 3.0


class _TooSlow(Exception):
    """A reference ran past its time."""


class References:
    """The references of one command of ``points`` points: at most ``REFERENCE_POINTS``
    computed, each kept by its key, and none where the command has more points than that
    (a range's values cost microseconds each; measuring a few of them would multiply its
    time and leave the rest as they are)."""

    def __init__(self, tree: Node, points: int) -> None:
        self.tree = tree
        self.remaining = REFERENCE_POINTS if points <= REFERENCE_POINTS else 0
        self.usable = exact.supported(tree) and sum(1 for _ in walk(tree)) <= MOST_NODES
        self.found: dict[Hashable, Estimate | None] = {}
        self.seconds_left = COMMAND_SECONDS

    @property
    def available(self) -> int:
        """How many more references this command may compute."""
        return self.remaining if self.usable else 0

    def judged(
        self,
        result: Estimate,
        point: Mapping[str, Any],
        coordinate: Coordinate,
        order: int,
        key: Hashable,
        function: BatchFunction,
    ) -> Estimate:
        """``result``, measured against the reference where its own evidence does not trust
        it (``wanted``); as is where no reference can be had or the budget is spent.
        ``key`` names the point (one reference per point, coordinate and order);
        ``function`` is f in double along the coordinate."""
        if not wanted(result):
            return result
        reference = self.reference(point, coordinate, order, key, function)
        return result if reference is None else result.referenced(reference)

    def reference(
        self,
        point: Mapping[str, Any],
        coordinate: Coordinate,
        order: int,
        key: Hashable,
        function: BatchFunction,
    ) -> Estimate | None:
        """The reference at ``point`` along ``coordinate`` (``key`` names the three), or None
        where there is none: a tree ``expr/exact.py`` does not compute, a point that is not
        finite, a kink, a reference Richardson does not trust itself, or no budget left."""
        full = (key, coordinate, order)
        if full in self.found:
            return self.found[full]
        if not self.usable or self.remaining <= 0 or self.seconds_left <= 0:
            return None
        self.remaining -= 1
        started = time.monotonic()
        seconds = min(REFERENCE_SECONDS, self.seconds_left)
        found = reference_at(self.tree, point, coordinate, order, function, seconds)
        self.seconds_left -= time.monotonic() - started
        self.found[full] = found
        return found


def wanted(result: Estimate) -> bool:
    """Whether a reference can settle ``result``: a finite value, not at a kink, that its own
    evidence does not trust, or trusts by its most likely error only (its bound, ``error``,
    is more than 1e-6 of it: ``sin(1/x)``'s second derivative at 0.087 by ``backward`` is
    1.13e-6 off, its likely error 0.9e-6), for a reason a measurement answers (not a
    vanished step, nor a point lost against the step: those values mean something else)."""
    if not math.isfinite(result.value) or result.is_kink:
        return False
    if result.step_vanished or result.point_lost:
        return False
    if not result.trusted:
        return True
    likely = result.likely_error
    limit = TRUSTED_RELATIVE_ERROR * abs(result.value)
    return likely is not None and likely <= limit < result.error


def reference_at(
    tree: Node,
    point: Mapping[str, Any],
    coordinate: Coordinate,
    order: int,
    function: BatchFunction,
    seconds: float = REFERENCE_SECONDS,
) -> Estimate | None:
    """Richardson on f correctly rounded along ``coordinate`` at ``point`` (None: see
    ``References.reference``, or not done within ``seconds``); ``function``: f in double
    along the coordinate, where an underflow is looked for."""
    values = _scalars(point)
    if values is None:
        return None
    x = float(np.asarray(point[coordinate.name])[coordinate.index])
    deadline = time.monotonic() + seconds
    try:
        with np.errstate(all="ignore"):
            found = richardson(_exact_along(tree, values, coordinate, deadline), x, order)
    except _TooSlow:
        return None
    if found.is_kink or not (math.isfinite(found.value) and math.isfinite(found.error)):
        return None
    if abs(found.value) <= found.error and underflows(function, x):
        return None  # zero to within rounding says nothing where f underflows (x**2 at 1e-300)
    return found if found.trusted else None


def _scalars(point: Mapping[str, Any]) -> dict[str, Any] | None:
    """The point as ``exact.value_at`` takes it (a tensor by its elements), or None where a
    value is not finite."""
    found: dict[str, Any] = {}
    for name, value in point.items():
        array = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            return None
        if array.ndim == 0:
            found[name] = float(array)
        else:
            found[name] = {tuple(index): float(array[index]) for index in np.ndindex(*array.shape)}
    return found


def _exact_along(
    tree: Node, values: dict[str, Any], coordinate: Coordinate, deadline: float
) -> Callable[[Any], Any]:
    """``f(a) - f(x)`` correctly rounded as a batch function of one coordinate's value a (NaN
    where it has no finite real value).

    The difference is one tree, ``f(a) - f(x)``, the coordinate's variable held at x in
    the second copy under another name: its rounding is ε of the change of f, not of f (f
    of 1e8 whose change along x1 is 0.45 per unit keeps every digit of that change). Every
    quotient's weights add up to 0, so f(x) cancels from it. Raises ``_TooSlow`` past
    ``deadline`` (``time.monotonic``)."""
    name, index = coordinate.name, coordinate.index
    centre = f"{name}@centre"
    difference = Binary("-", tree, _renamed(tree, name, centre))
    values = {**values, centre: values[name]}

    def function(abscissae: Any) -> Any:
        found = []
        for abscissa in np.asarray(abscissae, dtype=np.float64).reshape(-1).tolist():
            if time.monotonic() > deadline:
                raise _TooSlow
            moved = dict(values)
            if index:
                elements = dict(values[name])
                elements[index] = abscissa
                moved[name] = elements
            else:
                moved[name] = abscissa
            try:
                value = exact.value_at(difference, moved)
            except (ArithmeticError, ValueError):  # (no value mpmath can give there)
                value = None
            found.append(math.nan if value is None else value)
        return np.array(found, dtype=np.float64)

    return function


def _renamed(tree: Node, name: str, new: str) -> Node:
    """``tree`` with the variable ``name`` (and its elements) called ``new``; built bottom
    up, without recursion (trees may be deep)."""
    built: dict[int, Node] = {}
    for node in reversed(walk(tree)):
        found: Node
        if isinstance(node, Variable) and node.name == name:
            found = Variable(new, node.span)
        elif isinstance(node, Index) and node.name == name:
            found = Index(new, node.indices, node.span)
        elif isinstance(node, Unary):
            found = Unary(node.op, built[id(node.operand)], node.span)
        elif isinstance(node, Binary):
            found = Binary(node.op, built[id(node.left)], built[id(node.right)], node.span)
        elif isinstance(node, Call):
            args = tuple(built[id(argument)] for argument in node.args)
            found = Call(node.name, args, node.axis, node.span)
        else:
            found = node
        built[id(node)] = found
    return built[id(tree)]
