"""A reference derivative where a method's own evidence cannot settle its value.

Richardson extrapolation (``methods/richardson.py``) on ``f(a) - f(x)`` *correctly rounded*:
each value computed by ``expr/exact.py`` (exact fractions, else mpmath at rising precision)
and rounded once to the nearest double. Such values carry no rounding noise of f's double
evaluation (a cancellation inside f costs precision there, not digits), nor, as differences,
the rounding of a large f, so the extrapolation is limited by half a spacing of the doubles
at the differences: ``(exp(x) - 1)/x`` at 1e-9, whose double values carry relative noise
4e-7, gets 0.5000000003333334 ± 2.2e-16. It is run twice, from steps a hundred times apart, and
used only where the two agree (``SECOND_START``).

A value whose error a method could only bound loosely (f noisy, f's a-priori rounding bound,
an estimate of the size of the value) is then measured: its error is its distance to the
reference plus the reference's own error estimate (``Estimate.referenced``). It takes
hundreds of exact evaluations (30 to 210 ms a point here), so only a command of at most
``REFERENCE_POINTS`` points asks for them, at most that many; elsewhere values keep the
status their own evidence gives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import numpy as np

from ..expr import exact
from ..expr.nodes import Binary, Call, Index, Node, Unary, Variable, walk
from . import registry
from .analytic import exact_point
from .coordinates import BatchFunction, Coordinate
from .estimate import Estimate, underflows
from .methods.richardson import power_of_two, richardson
from .methods.stencils import fornberg_weights, method_stencil
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


#: The reference is Richardson twice, from its own first step and from this share of
#: ``min(1, |x|)/4`` (no power of 2: the two runs' steps never coincide); they must agree
#: within their estimates. Steps far above f's scale alias (``sin(100*x)``'s fourth
#: derivative at 10 from steps of 2 gives 0.0657 ± 4e-10 for 8.3e7), steps a hundred times
#: smaller do not; much smaller ones would lose a fourth derivative to rounding.
SECOND_START = 2.0**-6 * math.pi / 4
#: Richardson's steps per batch in a reference (24 for f in double): values exact to their
#: last bit need fewer, and each costs an exact evaluation.
REFERENCE_STEPS = 12
#: Values of exactly 0 that f's rounding bound flags, checked per command and method against
#: f correctly rounded at their own points (a few exact evaluations each: ``ZeroChecks``), and
#: the seconds a command gives them per method.
ZERO_CHECKS = 4096
ZERO_SECONDS = 1.0


#: Inside a stream of points (``stream_of_points``): the stream's one budget of zero checks.
_STREAM: ContextVar[dict[str, list[float]] | None] = ContextVar("reference_stream", default=None)


@contextmanager
def stream_of_points() -> Iterator[None]:
    """A stream's groups of points, each run as a command: no references (how many points a
    group holds depends on how fast they come, and a status must not), and one budget of
    ``ZERO_CHECKS`` and ``ZERO_SECONDS`` a method for the whole stream."""
    token = _STREAM.set({})
    try:
        yield
    finally:
        _STREAM.reset(token)


class _TooSlow(Exception):
    """A reference ran past its time."""


class References:
    """The references of one command of ``points`` points: at most ``REFERENCE_POINTS``
    computed, each kept by its key, and none where the command has more points than that
    (a range's values cost microseconds each; measuring a few of them would multiply its
    time and leave the rest as they are)."""

    def __init__(self, tree: Node, points: int) -> None:
        self.tree = tree
        small = points <= REFERENCE_POINTS and _STREAM.get() is None
        self.remaining = REFERENCE_POINTS if small else 0
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
    1.13e-6 off, its likely error 0.9e-6), or as zero to within a rounding above 1e-6
    (``sin``'s sixth derivative at 0 by ``central`` with h = 1e-3: 0.867 ± 27), for a reason
    a measurement answers (not a vanished step, nor a point lost against the step: those
    values mean something else)."""
    if not math.isfinite(result.value) or result.is_kink:
        return False
    if result.step_vanished or result.point_lost:
        return False
    if not result.trusted:
        return True
    if abs(result.value) <= result.error and result.error > TRUSTED_RELATIVE_ERROR:
        return True  # "zero to within rounding" of a rounding above 1e-6 (0.867 ± 27)
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
    exact_function = _exact_along(tree, values, coordinate, deadline)
    # f's scale may be 1 (sin at 1e8, whose steps from |x|/4 alias) or |x| (log near 0): the
    # second run starts far below both, where x + h still keeps 40 bits of h
    scale = min(1.0, abs(x)) or 1.0
    second_step = max(power_of_two(scale) / 4 * SECOND_START, abs(x) * 2.0**-40)
    try:
        with np.errstate(all="ignore"):
            found = richardson(exact_function, x, order, steps=REFERENCE_STEPS)
            if not _usable(found):
                return None
            second = richardson(exact_function, x, order, second_step, steps=REFERENCE_STEPS)
    except _TooSlow:
        return None
    if not _usable(second):
        return None
    gap = abs(found.value - second.value)
    if gap > found.error + second.error:
        return None  # one of them aliased f's scale (sin(100*x) from steps of 2): no reference
    found = found if found.error <= second.error else second
    if abs(found.value) <= found.error and underflows(function, x):
        return None  # zero to within rounding says nothing where f underflows (x**2 at 1e-300)
    return found if found.trusted else None


def _usable(found: Estimate) -> bool:
    """A Richardson answer with a finite value and error, not at a kink."""
    return not found.is_kink and math.isfinite(found.value) and math.isfinite(found.error)


def _scalars(point: Mapping[str, Any]) -> dict[str, Any] | None:
    """The point as ``exact.value_at`` takes it (``analytic.exact_point``), or None where a
    value is not finite."""
    if not all(
        np.all(np.isfinite(np.asarray(value, dtype=np.float64))) for value in point.values()
    ):
        return None
    return exact_point(point, point)


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
    centre_value = values[name][index] if index else values[name]

    def function(abscissae: Any) -> Any:
        found = []
        for abscissa in np.asarray(abscissae, dtype=np.float64).reshape(-1).tolist():
            if time.monotonic() > deadline:
                raise _TooSlow
            if abscissa == centre_value:
                found.append(0.0)  # f(x) - f(x), exactly (and at no cost)
                continue
            found.append(_exact_value(difference, values, coordinate, abscissa))
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


class ZeroChecks:
    """A value of exactly 0 that f's a-priori rounding bound flags cannot tell, by itself, a
    cancellation that lost every digit (``x*(sqrt(x**2 + 1) - x)`` above 6.7e7, computed as
    0.0 for about 0.5) from an exact one (``sin(x) - sin(x)``). The first ``ZERO_CHECKS`` of a
    command, of any size, are checked against f correctly rounded at their own points:

    - a fixed-step quotient: f at the stencil's points, whose errors ``δ_i`` (computed minus
      correctly rounded) move the quotient by ``|Σ w_i δ_i| / h**n``; with that, and the
      correctly rounded values' own half spacings, as its rounding, the 0 is judged as any
      zero to within rounding (a common error of every value cancels: at 1e8 every value is
      0.0 for 0.5, and the 0 is right to within the half spacing of 0.5 over h);
    - another (a complex step, ``Estimate.digits_lost``, or Richardson): f at x, or at the
      points of Richardson's largest and smallest steps; where the computed values are within
      4 spacings of the correctly rounded ones, f kept its digits there, and the 0 stands.

    Past them (``ZERO_CHECKS`` a method, or ``ZERO_SECONDS``) the 0 stays ``unreliable``."""

    def __init__(self, tree: Node) -> None:
        self.tree = tree
        self.usable = exact.supported(tree) and sum(1 for _ in walk(tree)) <= MOST_NODES
        #: The checks and seconds left to each method: this command's, or its stream's
        #: (``stream_of_points``); a method of ``--method all`` has what it has alone.
        stream = _STREAM.get()
        self.budgets: dict[str, list[float]] = {} if stream is None else stream

    def remaining(self, method: str) -> bool:
        """Whether ``method`` has checks and time left."""
        checks, seconds = self.budgets.setdefault(method, [ZERO_CHECKS, ZERO_SECONDS])
        return self.usable and checks > 0 and seconds > 0

    def wanted(self, result: Estimate, method: str) -> bool:
        """A 0 the bound flags, or a complex step where f lost its digits, and checks left."""
        flagged = result.digits_lost or (result.value == 0 and result.cancels)
        return flagged and self.remaining(method)

    def judged(
        self,
        result: Estimate,
        point: Mapping[str, Any],
        coordinate: Coordinate,
        order: int,
        function: BatchFunction,
        method: str,
    ) -> Estimate:
        """``result`` checked where ``wanted`` (``method``: the fixed-step method that gave it,
        whose stencil it is; ``function``: f in double along the coordinate)."""
        if not self.wanted(result, method):
            return result
        values = _scalars(point)
        if values is None:
            return result
        budget = self.budgets[method]
        started = time.monotonic()
        try:
            return self._checked(result, values, point, coordinate, order, function, method)
        finally:
            budget[0] -= 1
            budget[1] -= time.monotonic() - started

    def _checked(
        self,
        result: Estimate,
        values: dict[str, Any],
        point: Mapping[str, Any],
        coordinate: Coordinate,
        order: int,
        function: BatchFunction,
        method: str,
    ) -> Estimate:
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        if registry.method(method).side is not None and not result.digits_lost:
            return _stencil_zero(self.tree, values, result, coordinate, order, function, method, x)
        if result.digits_lost and order <= 2:
            # a complex step: f's real part lost its digits, its imaginary part need not
            # (exp(x) - 1 at 1e-20: f is 0.0, the complex step exactly 1)
            if _confirmed(self.tree, values, coordinate, order, x, result.value):
                return replace(result.own(), digits_lost=False, value_bound=0.0, value_loss=0.0)
            return result
        # Richardson's largest and smallest steps, or a complex step's point
        abscissae = x + np.array(result.abscissae or (0.0,), dtype=np.float64)
        correct = np.array(_correctly_rounded(self.tree, values, coordinate, abscissae.tolist()))
        with np.errstate(all="ignore"):
            computed = np.asarray(function(abscissae), dtype=np.float64)
            kept = np.abs(computed - correct) <= 4 * np.maximum(np.spacing(np.abs(correct)), 5e-324)
        if not bool(np.all(kept)):
            return result
        return replace(result.own(), digits_lost=False, value_bound=0.0, value_loss=0.0)


def _confirmed(
    tree: Node, values: dict[str, Any], coordinate: Coordinate, order: int, x: float, value: float
) -> bool:
    """Whether a five-point quotient of ``f(a) - f(x)`` correctly rounded (one tree, as the
    reference's), at a step of ``min(1, |x|)/256``, agrees with ``value`` to 1e-6 of it
    (exactly, where it is 0); never where the steps do not keep five distinct points (x of
    1e300, or subnormal)."""
    step = (min(1.0, abs(x)) or 1.0) * _CONFIRMING_STEP
    abscissae = x + np.array([-2.0, -1.0, 1.0, 2.0]) * step
    taken = (abscissae - x) / step  # (the offsets the doubles give, in steps)
    if not (step > 0 and len({*taken.tolist(), 0.0}) == 5 and np.all(np.isfinite(taken))):
        return False
    differences = _exact_along(tree, values, coordinate, math.inf)(abscissae)
    weights = np.array(fornberg_weights([*taken.tolist(), 0.0], order)[:4])
    with np.errstate(all="ignore"):
        quotient = float(np.sum(weights * differences))
        for _ in range(order):  # (one power at a time: step**order may be no double)
            quotient /= step
    return bool(abs(quotient - value) <= TRUSTED_RELATIVE_ERROR * abs(value))


#: ``_confirmed``'s step against ``min(1, |x|)``.
_CONFIRMING_STEP = 2.0**-8


def _stencil_zero(
    tree: Node,
    values: dict[str, Any],
    result: Estimate,
    coordinate: Coordinate,
    order: int,
    function: BatchFunction,
    method: str,
    x: float,
) -> Estimate:
    """``ZeroChecks`` for a fixed-step quotient of exactly 0."""
    shape = method_stencil(method, order)
    offsets = np.array(result.abscissae, dtype=np.float64)
    if result.step is None or len(offsets) != len(shape.numerators):
        return result
    abscissae = x + offsets
    correct = np.array(_correctly_rounded(tree, values, coordinate, abscissae.tolist()))
    with np.errstate(all="ignore"):
        computed = np.asarray(function(abscissae), dtype=np.float64)
        numerators = np.array(shape.numerators, dtype=np.float64)
        scale = float(shape.denominator) * result.step**order
        measured = abs(float(np.sum(numerators * (computed - correct)))) / scale
        once = float(np.sum(np.abs(numerators) * np.spacing(np.abs(correct)) / 2)) / scale
    if not (math.isfinite(measured) and math.isfinite(once)):
        return result
    likely = (result.likely_error or 0.0) + measured + once
    checked = replace(
        result.own(),
        error=2 * (result.likely_error or 0.0) + result.rounding + measured + once,
        likely_error=likely,
        rounding=result.rounding + measured + once,
        value_bound=0.0,
        value_loss=0.0,
    )
    return checked if checked.trusted else result


def _correctly_rounded(
    tree: Node, values: dict[str, Any], coordinate: Coordinate, abscissae: list[float]
) -> list[float]:
    """f correctly rounded at each abscissa of the coordinate (NaN where it has no value)."""
    return [_exact_value(tree, values, coordinate, abscissa) for abscissa in abscissae]


def _exact_value(
    tree: Node, values: dict[str, Any], coordinate: Coordinate, abscissa: float
) -> float:
    """The tree correctly rounded with the coordinate at ``abscissa`` (NaN where it has no
    finite real value, or none mpmath can give)."""
    moved = dict(values)
    if coordinate.index:
        elements = dict(values[coordinate.name])
        elements[coordinate.index] = abscissa
        moved[coordinate.name] = elements
    else:
        moved[coordinate.name] = abscissa
    try:
        value = exact.value_at(tree, moved)
    except (ArithmeticError, ValueError):
        value = None
    return math.nan if value is None else value
