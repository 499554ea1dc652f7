"""SymPy's derivatives, gradients and Hessians at points, under the one time-bounded runner.

Every SymPy job of every command runs through ``bounded``. SymPy cannot be interrupted (it holds
the interpreter lock in big-integer arithmetic, where no timer fires), so on POSIX each job runs
in a forked child process, killed at its limit, and sends its result back as a pickle of plain
data (texts, floats, arrays). Where ``fork`` is missing (Windows) the job runs in a daemon thread
that is abandoned at the limit; long jobs also check a ``deadline`` between steps so that such a
thread stops soon after. SymPy itself is imported only when a job runs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import pickle
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ..children import DEFERRED, as_child, end_with_parent, write_all
from ..errors import DiffcliError, InputError, param
from ..expr import cancellation, exact
from ..expr.compiling import Shape, compile_expression
from ..expr.parsing import Expression, canonical, parse
from ..expr.points import PointColumns
from . import cache
from .coordinates import Array, Coordinate, coordinates

T = TypeVar("T")
Point = Mapping[str, Array]
#: A partial derivative with more SymPy nodes than this is not written out as text.
MAX_FORMULA_NODES = 500
#: The longest single wait, in seconds; longer limits wait again.
_LONGEST_WAIT = 3600.0
#: The thread that warms SymPy up, once started (``_warm_by``).
_WARMING: list[threading.Thread] = []
#: How much of a child's answer is read from the pipe at a time.
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """The outcome of a computation run under a time limit."""

    value: T | None
    status: str  # "ok", "timed out" or "failed"
    reason: str = ""


class OutOfTime(Exception):
    """Raised inside abandoned SymPy work so that its thread stops soon after the limit."""


def deadline(seconds: float) -> Callable[[], None]:
    """A check to call between steps of a job: raises ``OutOfTime`` past ``seconds``."""
    limit = time.monotonic() + seconds if seconds > 0 else float("inf")

    def check() -> None:
        if time.monotonic() > limit:
            raise OutOfTime("past the time limit")

    return check


def bounded(work: Callable[[], T], seconds: float) -> Bounded[T]:
    """Run ``work`` with a limit of ``seconds`` of wall time; 0 or infinite: no limit.

    On POSIX the work runs in a forked child process that is killed at the limit, so the
    limit holds whatever SymPy does; ``work`` must return what pickles (plain data). Elsewhere
    it runs in a daemon thread that is abandoned at the limit. Work that stopped itself at its
    ``deadline`` is reported as timed out.

    Raises:
        InputError: ``seconds`` is not a number (NaN) or is negative.
    """
    if not seconds >= 0:
        raise InputError(f"{param('analytic_timeout')} must be 0 or more seconds, got {seconds!r}")
    end = time.monotonic() + seconds if 0 < seconds < math.inf else None
    run = _in_child_process if hasattr(os, "fork") else _in_thread
    outcome, late = run(work, end)
    if late or "late" in outcome:
        return Bounded(None, "timed out", f"SymPy took longer than {seconds:g} s")
    if "error" in outcome:
        return Bounded(None, "failed", str(outcome["error"]))
    return Bounded(outcome["value"], "ok")


def _wait_until(end: float | None) -> float | None:
    """How long one wait may last before ``end``: 0 once it has passed, never longer than
    ``_LONGEST_WAIT`` (the platform refuses timeouts such as 1e10 s), None for no end."""
    if end is None:
        return None
    return min(max(0.0, end - time.monotonic()), _LONGEST_WAIT)


def _outcome(work: Callable[[], Any]) -> dict[str, Any]:
    """Run ``work``: its value, or why there is none (``error``, or ``late`` past its deadline)."""
    try:
        return {"value": work()}
    except RecursionError:
        return {"error": "the expression is too deep for SymPy"}
    except OutOfTime:
        return {"late": True}
    except Exception as error:  # any SymPy failure means "no analytic value", never a crash
        return {"error": _failure(error)}


def _failure(error: Exception) -> str:
    """SymPy's failure in one short line a user can read (its message, not a class name,
    unless it has none)."""
    lines = str(error).strip().splitlines()
    said = lines[0] if lines else type(error).__name__
    if len(said) > 160:
        said = said[:159] + "…"
    return f"SymPy gave no answer: {said}"


def _in_thread(work: Callable[[], Any], end: float | None) -> tuple[dict[str, Any], bool]:
    """The outcome of ``work`` run in a daemon thread, and whether it was abandoned at ``end``
    (a ``time.monotonic`` time; None: never)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        outcome.update(_outcome(work))

    thread = threading.Thread(target=target, name="diffcli-sympy", daemon=True)
    thread.start()
    while thread.is_alive() and (wait := _wait_until(end)) != 0:
        thread.join(wait)
    return outcome, thread.is_alive()


def _in_child_process(work: Callable[[], Any], end: float | None) -> tuple[dict[str, Any], bool]:
    """The outcome of ``work`` run in a forked child, and whether the child was killed at
    ``end`` (a ``time.monotonic`` time; None: never).

    The parent waits on the pipe (a wait that Ctrl-C and signals interrupt), and kills the
    child at the limit or on any exception, such as KeyboardInterrupt, so none outlives it.
    """
    if not _warm_by(end):
        return {}, True
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = 0
    chunks: list[bytes] = []
    finished = False
    # Ctrl-C and --timeout's alarm wait until the child's pid is known: an exception raised
    # just after the fork would leave the child running.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork in a process with threads (NumPy's BLAS pool); the
            # child only runs SymPy and leaves through os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
            _child(work, reader, writer, end, parent, mask)
        os.close(writer)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        while True:
            wait = _wait_until(end)
            if not select.select([reader], [], [], wait)[0]:
                if wait == 0:
                    break  # the limit passed
                continue
            chunk = os.read(reader, _CHUNK)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        if pid == 0:  # fork failed
            os.close(writer)
        else:
            if not finished:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if not finished:
        return {}, True
    if not chunks:
        return {"error": "SymPy's process ended without an answer"}, False
    outcome: dict[str, Any] = pickle.loads(b"".join(chunks))
    return outcome, False


def _warm_by(end: float | None) -> bool:
    """Whether SymPy is warm in this process (see ``_warm_up``) by ``end``.

    The warm-up runs once, in a thread of its own, so that it counts against the limit like
    the job itself: a run that cannot wait for it gives up at ``end`` and leaves it running.
    """
    if not _WARMING:
        _WARMING.append(threading.Thread(target=_warm_up, name="diffcli-sympy", daemon=True))
        _WARMING[0].start()
    thread = _WARMING[0]
    while thread.is_alive() and (wait := _wait_until(end)) != 0:
        thread.join(wait)
    return not thread.is_alive()


def _warm_up() -> None:
    """Load SymPy and run the smallest derivative in this process.

    SymPy's first derivative in a process spends about 0.1 s importing and filling caches
    (seconds with SymPy's own import). A child's caches die with it, so without this every
    job would pay that again; with it, every child starts warm. A polynomial warms what every
    job uses (derivatives, values, printing) and costs the default path nothing more.
    """
    from . import sympy_tree

    x = sympy_tree.symbol("x")
    derivative = (x**2 / 10).diff(x)
    sympy_tree.text(derivative)
    sympy_tree.value_at(derivative, {x: 0.5})


def _child(
    work: Callable[[], Any],
    reader: int,
    writer: int,
    end: float | None,
    parent: int,
    mask: Iterable[int],
) -> None:  # pragma: no cover
    """Run ``work`` in the forked child, send its outcome to the parent, and leave at once.

    ``os._exit`` skips the parent's clean-up (its buffered output, its atexit hooks), which
    belongs to the parent alone. Ctrl-C ends the child at once, as it does the parent, and so
    does the parent's death (Linux) or, should the parent be gone, ``end`` past a second.
    """
    try:
        as_child(mask)
        if end is not None:  # the kernel ends the child; no Python needs to run for it
            left = min(max(end - time.monotonic(), 0.0) + 1, _LONGEST_WAIT)
            signal.setitimer(signal.ITIMER_REAL, left)
        end_with_parent(parent)
        os.close(reader)
        outcome = _outcome(work)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            data = pickle.dumps({"error": f"SymPy's answer cannot be sent back: {error}"})
        write_all(writer, data)
    finally:
        os._exit(0)


#: Up to this many values in one call (points times formulas per point: 1,000 points of a
#: derivative, 500 of a gradient by two coordinates), analytic values are exact: each formula
#: evaluated at each point's exact binary value and correctly rounded (``expr.exact``, about
#: 0.3 ms a value). Past it each formula is compiled to NumPy once and evaluated at every
#: point in one pass, in double precision, and exact again where ``expr.cancellation`` cannot
#: trust that, the worst first, up to ``EXACT_VALUES`` of them.
EXACT_VALUES = 1000
#: Up to this many points the double values are checked (``expr.cancellation``, about 1 µs a
#: point); past them they are taken as they are.
SCREENED_POINTS = 100_000

Shapes = tuple[tuple[str, tuple[int, ...]], ...]


def derivatives(
    expression: Expression,
    points: Sequence[Point],
    coordinate: Coordinate,
    order: int,
    seconds: float,
) -> Bounded[tuple[str, Array]]:
    """SymPy's ``order``-th derivative by one coordinate, taken once per shape of the points:
    its text, and its value at each point, float64 (NaN where it is not a real number; see
    ``EXACT_VALUES``). See ``_formulas`` for the cache."""

    def derive(group: Group, point: Point, check: Callable[[], None]) -> tuple[Any, list[Any]]:
        from . import sympy_tree

        variable = sympy_tree.symbol(coordinate.name, coordinate.index)
        derivative = sympy_tree.to_sympy(expression, dict(group[0])).diff(variable, order)
        return sympy_tree.text(derivative), [derivative]

    outcome = _formulas(
        _Question(
            "derivative",
            expression,
            {"coordinate": [coordinate.name, list(coordinate.index)], "order": order},
            held=_nothing_held,
            count=lambda point: 1,
            valid=_is_text,
        ),
        points,
        derive,
        lambda: _derivatives_by_sympy(expression, points, coordinate, order),
        seconds,
    )
    if outcome.value is None:
        return Bounded(None, outcome.status, outcome.reason)
    if isinstance(outcome.value, tuple):  # SymPy's own values: an answer not cached
        text, found_values = outcome.value[1]
        return Bounded((text, _nan_for_none(found_values)), "ok")
    found = outcome.value
    try:
        table = _table(found, points, 1)
    except OutOfTime:
        return _late(seconds)
    return Bounded((found.extra[found.first], table[:, 0]), "ok")


def _nan_for_none(values: Sequence[float | None]) -> Array:
    """Values as float64, NaN for None."""
    return np.array([math.nan if value is None else value for value in values], dtype=np.float64)


def _table(found: _Formulas, points: Sequence[Point], width: int) -> Array:
    """Every group's formulas at its points: a row per point, a column per formula (each
    group holds ``width``), NaN where not real."""
    table = np.full((len(points), width), np.nan)
    for group, indices in found.groups.items():
        rows = slice(None) if len(indices) == len(points) else indices
        table[rows] = _evaluate_all(found.formulas[group], group, points, indices, found)
    return table


def _late(seconds: float) -> Bounded[Any]:
    return Bounded(None, "timed out", f"the analytic values took longer than {seconds:g} s")


def _derivatives_by_sympy(
    expression: Expression, points: Sequence[Point], coordinate: Coordinate, order: int
) -> tuple[str, list[float | None]]:
    """The derivative's text and SymPy's own values, for a derivative that the expression
    language cannot write (``sign``, ``Heaviside`` …) and so is neither cached nor read back."""
    from . import sympy_tree

    by_shapes: dict[Any, Any] = {}
    keys = []
    for point in points:
        key = tuple((name, np.shape(value)) for name, value in point.items())
        if key not in by_shapes:
            tree = sympy_tree.to_sympy(expression, dict(key))
            variable = sympy_tree.symbol(coordinate.name, coordinate.index)
            by_shapes[key] = tree.diff(variable, order)
        keys.append(key)
    text = sympy_tree.text(by_shapes[keys[0]])
    if len(points) <= EXACT_VALUES:
        return text, [
            sympy_tree.value_at(by_shapes[key], sympy_tree.point_symbols(point))
            for key, point in zip(keys, points)
        ]
    values: list[float | None] = [None] * len(points)
    for key, derivative in by_shapes.items():
        indices = [index for index, other in enumerate(keys) if other == key]
        found = _in_double_precision(derivative, [points[index] for index in indices])
        for index, value in zip(indices, found):
            values[index] = value
    return text, values


Group = tuple[Shapes, Any]
#: SymPy's answers kept for the rest of one command (``answers_kept``), by their cache key.
_KEPT: ContextVar[dict[str, Any] | None] = ContextVar("diffcli_answers_kept", default=None)


@contextlib.contextmanager
def answers_kept() -> Iterator[None]:
    """Within: each answer SymPy gives is kept in this process and given again for the
    same question, cache or no cache, so a command run once per group of streamed points
    derives once."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def _kept_key(key: Mapping[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class _Question:
    """What a cache entry answers, besides the expression and the points' shapes.

    ``held(point)``: what else of a point the answer depends on (values held fixed);
    ``count(point)``: how many formulas the answer holds; ``valid(extra)``: whether the
    text kept beside the formulas (SymPy's own printing) has the expected form.
    """

    kind: str
    expression: Expression
    parts: Mapping[str, Any]
    held: Callable[[Point], Any]
    count: Callable[[Point], int]
    valid: Callable[[Any], bool]


@dataclass(frozen=True)
class _Formulas:
    """The points by group, each group's formulas (read through the parser) and extra text."""

    groups: Mapping[Group, Sequence[int]]
    formulas: dict[Group, list[Expression]]
    extra: dict[Group, Any]
    first: Group
    #: Called between points: evaluating the formulas counts against the time limit too.
    check: Callable[[], None]


def _formulas(
    question: _Question,
    points: Sequence[Point],
    derive: Callable[[Group, Point, Callable[[], None]], tuple[Any, list[Any]]],
    by_sympy: Callable[[], T],
    seconds: float,
) -> Bounded[_Formulas | tuple[str, T]]:
    """SymPy's formulas for each group of points (shapes and held values), from the cache or
    from SymPy in one time-bounded job (then stored).

    Every formula, cached or fresh, is read back through the parser, so the values computed
    from it are the same whether the cache held it or not. An answer the expression language
    cannot write (``sign``, ``Heaviside``, a formula past ``MAX_FORMULA_NODES`` nodes) is not
    cached: the job then returns ``("values", by_sympy())``, SymPy's own values.
    """
    groups = _groups(points, question.held)
    if not groups:
        return Bounded(("values", by_sympy()), "ok")
    keys = {
        group: cache.question(
            question.kind,
            expression=canonical(question.expression.tree),
            shapes=_jsonable(group[0]),
            held=_jsonable_held(group[1]),
            **question.parts,
        )
        for group in groups
    }
    formulas: dict[Group, list[Expression]] = {}
    extra: dict[Group, Any] = {}
    kept = _KEPT.get()
    for group, indices in groups.items():
        answer = kept.get(_kept_key(keys[group])) if kept is not None else None
        answer = answer if answer is not None else cache.load(keys[group])
        count = question.count(points[indices[0]])
        read = _read_formulas(answer, count, dict(group[0]))
        if read is not None and question.valid(answer.get("extra")):
            formulas[group], extra[group] = read, answer["extra"]
    missing = [group for group in groups if group not in formulas]
    if missing:
        check = deadline(seconds)

        def work() -> tuple[str, Any]:
            derived = [derive(group, points[groups[group][0]], check) for group in missing]
            written = _written(found for _, found in derived)
            if written is None:
                return "values", by_sympy()
            return "formulas", [(text, found) for (text, _), found in zip(derived, written)]

        outcome = bounded(work, seconds)
        if outcome.value is None:
            return Bounded(None, outcome.status, outcome.reason)
        how, answers = outcome.value
        if how == "values":
            return Bounded((how, answers), "ok")
        for group, (text, found) in zip(missing, answers):
            cache.store(keys[group], {"extra": text, "formulas": found})
            if kept is not None:
                kept[_kept_key(keys[group])] = {"extra": text, "formulas": found}
            formulas[group], extra[group] = [parse(item) for item in found], text
    return Bounded(_Formulas(groups, formulas, extra, next(iter(groups)), deadline(seconds)), "ok")


def _groups(points: Sequence[Point], held: Callable[[Point], Any]) -> Mapping[Group, Sequence[int]]:
    """The indices of the points, by their shapes and what ``held`` says of them."""
    if isinstance(points, PointColumns) and len(points):
        return _column_groups(points, held)
    groups: dict[Group, list[int]] = {}
    for index, point in enumerate(points):
        shapes = tuple((name, tuple(np.shape(value))) for name, value in point.items())
        groups.setdefault((shapes, held(point)), []).append(index)
    return groups


def _column_groups(
    points: PointColumns, held: Callable[[Point], Any]
) -> Mapping[Group, Sequence[int]]:
    """``_groups`` of points held as columns (one layout), without making a point each:
    one group, or one per distinct set of held values (in the order they first come)."""
    first = points[0]
    shapes = tuple((name, tuple(np.shape(value))) for name, value in first.items())
    every = range(len(points))  # not a million Python numbers
    if held is _nothing_held:
        return {(shapes, ()): every}
    assert isinstance(held, _HeldValues)
    names = [name for name in sorted(first) if name not in held.names]
    if not names:
        return {(shapes, ()): every}
    if any(shape for _, shape in shapes):
        return {(shapes, held(first)): every} if len(points) == 1 else _groups(list(points), held)
    values = np.column_stack([points.column(name) for name in names])
    distinct, firsts, inverse = np.unique(values, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(firsts, kind="stable")
    members = np.argsort(inverse.reshape(-1), kind="stable")
    ends = np.cumsum(np.bincount(inverse.reshape(-1), minlength=len(distinct)))
    groups: dict[Group, Sequence[int]] = {}
    for one in order.tolist():  # keyed by the group's first point, as point by point
        first_values = values[firsts[one]].tolist()
        key = tuple((name, (value,)) for name, value in zip(names, first_values))
        start = ends[one - 1] if one else 0
        groups[(shapes, key)] = members[start : ends[one]].tolist()
    return groups


def _nothing_held(point: Point) -> tuple[()]:
    """A derivative by one coordinate depends on no held value (they stay symbols)."""
    return ()


@dataclass(frozen=True)
class _HeldValues:
    """The values of a point's variables not in ``names`` (held fixed), hashable."""

    names: tuple[str, ...]

    def __call__(self, point: Point) -> Any:
        return tuple(
            (name, tuple(np.asarray(value, dtype=np.float64).reshape(-1).tolist()))
            for name, value in sorted(point.items())
            if name not in self.names
        )


def _jsonable_held(held: Any) -> list[Any]:
    return [[name, list(values)] for name, values in held]


def _jsonable(shapes: Shapes) -> list[list[Any]]:
    return [[name, list(shape)] for name, shape in sorted(shapes)]


def _written(derived: Iterable[Iterable[Any]]) -> list[list[str]] | None:
    """SymPy's formulas in the expression language, each checked to read back through the
    parser into a tree the exact evaluator computes; None if any one does not (too large,
    a function the language lacks): such answers are not cached."""
    import sympy as sp

    from . import sympy_tree

    found: list[list[str]] = []
    for formulas in derived:
        texts = []
        for formula in formulas:
            nodes = sp.preorder_traversal(formula)
            if sum(1 for _ in itertools.islice(nodes, MAX_FORMULA_NODES + 1)) > MAX_FORMULA_NODES:
                return None
            try:
                text = sympy_tree.in_language(formula)
                if not exact.supported(parse(text).tree):
                    return None
            except (sympy_tree.NotInLanguage, DiffcliError):
                return None
            texts.append(text)
        found.append(texts)
    return found


def _read_formulas(answer: Any, count: int, shapes: Mapping[str, Shape]) -> list[Expression] | None:
    """A cached answer's ``count`` formulas, read through the parser and checked against the
    shapes (each a number the exact evaluator computes); None for anything else."""
    formulas = answer.get("formulas") if isinstance(answer, dict) else None
    if not isinstance(formulas, list) or len(formulas) != count:
        return None
    found = []
    for text in formulas:
        if not isinstance(text, str):
            return None
        try:
            formula = parse(text)
            if not exact.supported(formula.tree) or compile_expression(formula, shapes).shape:
                return None
        except DiffcliError:
            return None
        found.append(formula)
    return found


def _evaluate(
    formula: Expression,
    group: Group,
    points: Sequence[Point],
    indices: Sequence[int],
    found: _Formulas,
) -> Array:
    """A formula's value at the points of ``indices``: exact up to ``EXACT_VALUES`` values in
    all (``found.check`` between points), else in one NumPy pass, and exact again where
    digits may have cancelled; float64, NaN where not a finite real number."""
    if len(points) * len(found.formulas[group]) <= EXACT_VALUES:
        exact_values = []
        for index in indices:
            found.check()
            exact_values.append(
                exact.value_at(formula.tree, exact_point(points[index], formula.variables))
            )
        return _nan_for_none(exact_values)
    shapes = dict(group[0])
    compiled = compile_expression(formula, shapes)
    scalars = all(shapes[name] == () for name in formula.variables)
    if isinstance(points, PointColumns) and scalars:
        every = len(indices) == len(points)
        batch = {
            name: points.column(name) if every else points.column(name)[indices]
            for name in formula.variables
        }
    else:
        batch = {
            name: np.stack([np.asarray(points[index][name], dtype=np.float64) for index in indices])
            for name in formula.variables
        }
    with np.errstate(all="ignore"):
        computed = np.broadcast_to(
            np.asarray(compiled.evaluate_batch(batch), dtype=np.float64).reshape(-1),
            len(indices),
        )
    values = np.where(np.isfinite(computed), computed, np.nan)
    if len(points) > SCREENED_POINTS:
        return values
    # where digits may have cancelled, exact again: up to EXACT_VALUES values in all
    budget = EXACT_VALUES // len(found.formulas[group])
    for position in cancellation.untrusted(formula.tree, batch, len(indices))[:budget].tolist():
        found.check()
        point = exact_point(points[indices[position]], formula.variables)
        value = exact.value_at(formula.tree, point)
        values[position] = math.nan if value is None else value
    return values


def exact_point(point: Point, names: Iterable[str]) -> dict[str, Any]:
    """The named variables of a point as ``expr.exact.value_at`` takes them: a float, or a
    tensor's elements by index."""
    found: dict[str, Any] = {}
    for name in names:
        array = np.asarray(point[name], dtype=np.float64)
        if array.ndim == 0:
            found[name] = float(array)
        else:
            found[name] = {tuple(index): float(array[index]) for index in np.ndindex(*array.shape)}
    return found


def _in_double_precision(derivative: Any, points: Sequence[Point]) -> list[float | None]:
    """A SymPy expression at every point in one NumPy pass (None where not finite); exact,
    point by point, where the expression has a node the compiler does not know."""
    from . import sympy_tree
    from .sympy_numpy import UnsupportedExpression, compile_sympy

    first = sympy_tree.point_symbols(points[0])
    positions = {symbol: position for position, symbol in enumerate(first)}
    try:
        compiled = compile_sympy(derivative, positions)
    except UnsupportedExpression:
        return [sympy_tree.value_at(derivative, sympy_tree.point_symbols(one)) for one in points]
    if isinstance(points, PointColumns):
        coordinates = np.array(points.flat_columns())
    else:
        symbols = [sympy_tree.point_symbols(point) for point in points]
        coordinates = np.array([list(values.values()) for values in symbols]).T
    with np.errstate(all="ignore"):
        found = np.broadcast_to(np.asarray(compiled(coordinates), dtype=np.float64), len(points))
    return [value if math.isfinite(value) else None for value in found.tolist()]


def gradients(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[tuple[dict[str, str | None], list[dict[str, Array]]]]:
    """SymPy's partial derivatives by every coordinate of ``names``: each one's formula (None
    when too long to print), and their values at each point (NaN where not real). See
    ``_formulas`` for the cache."""
    outcome = _gradient_formulas(expression, points, names, seconds)
    if outcome.value is None:
        return Bounded(None, outcome.status, outcome.reason)
    if isinstance(outcome.value, tuple):  # SymPy's own values: an answer not cached
        return Bounded(outcome.value[1], "ok")
    found = outcome.value
    values: list[dict[str, Array]] = [{} for _ in points]
    try:
        for group, indices in found.groups.items():
            flat = _evaluate_all(found.formulas[group], group, points, indices, found)
            for index, row in zip(indices, flat):
                values[index] = _unflatten(row, points[index], names)
    except OutOfTime:
        return _late(seconds)
    return Bounded((found.extra[found.first], values), "ok")


def gradient_table(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[tuple[dict[str, str | None], Array]]:
    """``gradients`` at points of one layout of scalar variables, as a table: a row per
    point, a column per name of ``names`` (NaN where not real); each formula is evaluated
    once over the points of its group (held as columns: no point made one at a time)."""
    outcome = _gradient_formulas(expression, points, names, seconds)
    if outcome.value is None:
        return Bounded(None, outcome.status, outcome.reason)
    if isinstance(outcome.value, tuple):  # SymPy's own values: an answer not cached
        texts, values = outcome.value[1]
        rows = [[float(one[name]) for name in names] for one in values]
        return Bounded((texts, np.array(rows, dtype=np.float64).reshape(-1, len(names))), "ok")
    found = outcome.value
    try:
        table = _table(found, points, len(names))
    except OutOfTime:
        return _late(seconds)
    return Bounded((found.extra[found.first], table), "ok")


def _gradient_formulas(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[Any]:
    """``_formulas`` for the gradient by ``names``: each group's partial derivatives."""

    def derive(group: Group, point: Point, check: Callable[[], None]) -> tuple[Any, list[Any]]:
        partials = _partials(expression, point, names, check)
        texts = {
            coordinate.label: formula(partials[i])
            for i, coordinate in enumerate(coordinates(point, names))
        }
        return texts, partials

    return _formulas(
        _Question(
            "gradient",
            expression,
            {"names": list(names)},
            held=_HeldValues(names),
            count=lambda point: _size(point, names),
            valid=_are_texts,
        ),
        points,
        derive,
        lambda: _gradients_by_sympy(expression, points, names, deadline(seconds)),
        seconds,
    )


def _gradients_by_sympy(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    check: Callable[[], None],
) -> tuple[dict[str, str | None], list[dict[str, Array]]]:
    """The gradient's texts and SymPy's own values (for an answer that is not cached)."""
    from . import sympy_tree

    texts: dict[str, str | None] = {}
    values: list[dict[str, Array]] = []
    for point, partials in _per_shapes(expression, points, names, check):
        found = coordinates(point, names)
        if not texts:
            texts = {coordinate.label: formula(partials[i]) for i, coordinate in enumerate(found)}
        flat = _values(partials, sympy_tree.point_symbols(point), check)
        values.append(_unflatten(flat, point, names))
    return texts, values


def hessians(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[Array]:
    """SymPy's Hessian by the coordinates of ``names`` at each point, a list of matrices
    (NaN where not real), or one array of them all where every point has as many
    coordinates. See ``_formulas``
    for the cache (the upper triangle is stored, row by row)."""

    def derive(group: Group, point: Point, check: Callable[[], None]) -> tuple[Any, list[Any]]:
        return None, _upper_triangle(expression, point, names, check)

    outcome = _formulas(
        _Question(
            "hessian",
            expression,
            {"names": list(names)},
            held=_HeldValues(names),
            count=lambda point: _size(point, names) * (_size(point, names) + 1) // 2,
            valid=lambda extra: extra is None,
        ),
        points,
        derive,
        lambda: _hessians_by_sympy(expression, points, names, deadline(seconds)),
        seconds,
    )
    if outcome.value is None:
        return Bounded(None, outcome.status, outcome.reason)
    if isinstance(outcome.value, tuple):  # SymPy's own values: an answer not cached
        return Bounded(outcome.value[1], "ok")
    found = outcome.value
    sizes = {_size(points[indices[0]], names) for indices in found.groups.values()}
    matrices: list[Array] = [None] * len(points)
    try:
        if len(sizes) == 1:  # each group's entries at once, into one array
            (size,) = sizes
            upper = np.triu_indices(size)
            table = _table(found, points, len(upper[0]))
            every = np.empty((len(points), size, size))
            every[:, upper[0], upper[1]] = table
            every[:, upper[1], upper[0]] = table
            return Bounded(every, "ok")
        for group, indices in found.groups.items():
            size = _size(points[indices[0]], names)
            upper = np.triu_indices(size)
            for index, row in zip(
                indices, _evaluate_all(found.formulas[group], group, points, indices, found)
            ):
                matrix = np.empty((size, size))
                matrix[upper] = row
                matrix.T[upper] = row
                matrices[index] = matrix
    except OutOfTime:
        return _late(seconds)
    return Bounded(matrices, "ok")


def _hessians_by_sympy(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    check: Callable[[], None],
) -> list[Array]:
    """SymPy's own values of the Hessian (for an answer that is not cached)."""
    from . import sympy_tree

    matrices: list[Array] = []
    for point, partials in _per_shapes(expression, points, names, check):
        size = len(partials)
        entries: list[Any] = [None] * (size * size)
        for (i, j), entry in zip(
            zip(*np.triu_indices(size)), _second_partials(partials, point, names, check)
        ):
            entries[i * size + j] = entries[j * size + i] = entry
        flat = _values(entries, sympy_tree.point_symbols(point), check)
        matrices.append(flat.reshape(size, size))
    return matrices


def _upper_triangle(
    expression: Expression, point: Point, names: tuple[str, ...], check: Callable[[], None]
) -> list[Any]:
    """SymPy's second partial derivatives at and above the diagonal, row by row."""
    return _second_partials(_partials(expression, point, names, check), point, names, check)


def _second_partials(
    partials: Sequence[Any], point: Point, names: tuple[str, ...], check: Callable[[], None]
) -> list[Any]:
    from . import sympy_tree

    symbols = [
        sympy_tree.symbol(coordinate.name, coordinate.index)
        for coordinate in coordinates(point, names)
    ]
    found: list[Any] = []
    for i, first in enumerate(partials):
        row = sympy_tree.partial_derivatives(first, symbols[i:], check)
        found.extend(row[symbol_] for symbol_ in symbols[i:])
    return found


def _size(point: Point, names: tuple[str, ...]) -> int:
    """How many coordinates the variables ``names`` have at a point."""
    return sum(int(np.size(point[name])) for name in names)


def _is_text(extra: Any) -> bool:
    """Whether a cached text is one line of printable characters: it reaches the terminal,
    where a control character (an escape sequence) would act."""
    return isinstance(extra, str) and extra.isprintable()


def _are_texts(extra: Any) -> bool:
    return isinstance(extra, dict) and all(
        _is_text(label) and (text is None or _is_text(text)) for label, text in extra.items()
    )


def _evaluate_all(
    formulas: Sequence[Expression],
    group: Group,
    points: Sequence[Point],
    indices: Sequence[int],
    found: _Formulas,
) -> Array:
    """Each formula's value at each point of ``indices`` (rows: points), NaN where not real."""
    table = np.full((len(indices), len(formulas)), np.nan)
    for column, formula in enumerate(formulas):
        table[:, column] = _evaluate(formula, group, points, indices, found)
    return table


def formula(derivative: Any) -> str | None:
    """SymPy's formula as text, or None past ``MAX_FORMULA_NODES`` nodes.

    Printing costs time in proportion to size: a 10×10 network's 100 formulas of 9,000
    characters each take seconds to print, more than it takes to derive them.
    """
    import sympy as sp

    from . import sympy_tree

    nodes = sp.preorder_traversal(derivative)
    if sum(1 for _ in itertools.islice(nodes, MAX_FORMULA_NODES + 1)) > MAX_FORMULA_NODES:
        return None
    return sympy_tree.text(derivative)


def _values(
    derivatives: Iterable[Any], point: Mapping[Any, float], check: Callable[[], None]
) -> Array:
    """Each derivative's value at the point (NaN where it is not a real number)."""
    from . import sympy_tree

    values = []
    for derivative in derivatives:
        check()
        if derivative.is_number:
            value = sympy_tree.value_at(derivative, {})
        else:
            # substitute only the symbols that occur: the point may hold thousands
            used = {symbol_: point[symbol_] for symbol_ in derivative.free_symbols}
            value = sympy_tree.value_at(derivative, used)
        values.append(np.nan if value is None else value)
    return np.array(values, dtype=np.float64)


def _per_shapes(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    check: Callable[[], None],
) -> Iterable[tuple[Point, list[Any]]]:
    """Each point with SymPy's first partial derivatives by the coordinates of ``names``.

    The variables not in ``names`` are held fixed: their values go into SymPy's expression
    before it is differentiated, so terms such as ``t[0]*log(...)`` with ``t[0] = 0`` vanish
    and the derivatives stay small (a 10×10 network's ∂L/∂W takes seconds, not minutes).
    Derived once per set of shapes and held values.
    """

    derived: dict[Any, list[Any]] = {}
    for point in points:
        shapes = {name: tuple(np.shape(value)) for name, value in point.items()}
        held = {name: value for name, value in point.items() if name not in names}
        key = (
            tuple(sorted(shapes.items())),
            tuple(
                (name, np.asarray(value, dtype=np.float64).tobytes())
                for name, value in held.items()
            ),
        )
        if key not in derived:
            derived[key] = _partials(expression, point, names, check)
        yield point, derived[key]


def _partials(
    expression: Expression, point: Point, names: tuple[str, ...], check: Callable[[], None]
) -> list[Any]:
    """SymPy's first partial derivatives by the coordinates of ``names``, flat, with the
    other variables' values put in (see ``_per_shapes``)."""
    from . import sympy_tree

    shapes = {name: tuple(np.shape(value)) for name, value in point.items()}
    held = {name: value for name, value in point.items() if name not in names}
    partials = sympy_tree.gradient_expressions(
        expression, shapes, names, held, exact=False, check=check
    )
    return [item for name in names for item in np.ravel(np.asarray(partials[name], dtype=object))]


def _unflatten(flat: Array, point: Point, names: tuple[str, ...]) -> dict[str, Array]:
    found: dict[str, Array] = {}
    start = 0
    for name in names:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        found[name] = flat[start : start + size].reshape(shape)
        start += size
    return found
