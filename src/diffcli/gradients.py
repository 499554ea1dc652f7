"""``grad`` and ``hessian``: partial and second derivatives, numerical beside analytic."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .compiling import Compiled, compile_expression
from .derivative import check_finite, check_method_and_step, compile_scalar
from .errors import InputError, ParseError
from .nodes import Call
from .numerics import DEFAULT_STEP, Coordinate, coordinates, gradient, hessian
from .parsing import Expression, parse
from .points import Array, Point, format_point, format_scalar, shortened
from .results import Analytic, GradientReport, GradientRow, HessianReport, HessianRow

if TYPE_CHECKING:
    from .symbolic import Bounded

T = TypeVar("T")
DEFAULT_TIMEOUT = 5.0
#: A Hessian has n² entries and needs about 2n² evaluations: past this many coordinates, refuse.
MAX_HESSIAN_COORDINATES = 300
#: Coordinates named in one warning before "and N more".
_NAMED_IN_WARNING = 5
#: A partial derivative with more SymPy nodes than this is not written out as text.
MAX_FORMULA_NODES = 500
#: Loss functions whose first argument is the prediction, shown beside the gradient.
LOSS_FUNCTIONS = ("cross_entropy", "mean_squared_error")


@dataclass(frozen=True)
class GradOptions:
    """How to take the gradient: the options of ``diffcli grad`` as one value.

    ``wrt`` names the variables to differentiate by (default: every variable); the others
    are held fixed, and SymPy gets their values before it differentiates. ``show`` lists
    extra expressions (``--show``, as typed) whose values are reported at each point.
    """

    method: str = "central"
    step: float = DEFAULT_STEP
    analytic: bool = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    wrt: tuple[str, ...] | None = None
    show: tuple[str, ...] = ()


@dataclass(frozen=True)
class HessianOptions:
    """How to take the Hessian: central second differences with step ``step``."""

    step: float = DEFAULT_STEP
    analytic: bool = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    wrt: tuple[str, ...] | None = None


def gradient_report(
    expression: Expression, points: Sequence[Point], options: GradOptions = GradOptions()
) -> GradientReport:
    """The gradient of a scalar expression at each point, numerical beside SymPy's.

    Variables may be scalars or tensors of any rank; each one's gradient has its shape
    (∂L/∂W of a 2×3 W is 2×3). Each row also holds the expression's value (the loss), the
    predicted scores when the expression is a loss function called at the top
    (``cross_entropy(softmax(x @ W), t)`` predicts ``softmax(x @ W)``), and the value of
    every ``options.show`` expression.

    Raises:
        InputError: a bad method, step, ``wrt`` or ``show``, or an expression that is not a
            scalar.
        ShapeError: operand shapes that do not fit together at a point.
        EvaluationError: the expression has no finite value at one of the points.
    """
    check_method_and_step(options.method, options.step)
    names = _differentiated(expression, options.wrt)
    shown = _shown_expressions(expression, options.show)
    predicted = predicted_expression(expression)
    warnings: list[str] = []
    rows: list[GradientRow] = []
    for point, compiled in _compiled_points(expression, points):
        with np.errstate(all="ignore"):
            loss = float(compiled(point))
            numerical = gradient(compiled, point, names, options.method, options.step)
        warnings += _step_warnings(point, names, options.method, options.step)
        warnings += _non_finite_warnings(point, numerical)
        size = sum(max(np.size(point[name]), 1) for name in names)
        rows.append(
            GradientRow(
                point,
                numerical,
                None,
                2 * size,
                loss,
                None if predicted is None else value_at_point(predicted, point),
                {extra.text: _shown_value(extra, point) for extra in shown},
            )
        )
    partials, analytic_values, analytic = _analytic_gradients(expression, points, names, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic gradient: {analytic.reason}")
    rows = [replace(row, analytic=values) for row, values in zip(rows, analytic_values)]
    for row in rows:
        missing = [label for label, _, value in row.components() if value is None]
        if row.analytic is not None and missing:
            warnings.append(
                f"at {format_point(row.at)} the analytic derivative is not a real number "
                f"for {_listing(missing)}"
            )
    return GradientReport(
        expression.text,
        names,
        options.method,
        options.step,
        partials,
        analytic,
        tuple(rows),
        tuple(warnings),
        None if predicted is None else predicted.text,
    )


def predicted_expression(expression: Expression) -> Expression | None:
    """The first argument of a loss function called at the top of ``expression``, or None.

    ``cross_entropy(softmax(x @ W), t)`` gives ``softmax(x @ W)``: the network's prediction.
    """
    tree = expression.tree
    if isinstance(tree, Call) and tree.name in LOSS_FUNCTIONS and tree.args:
        return parse(expression.source(tree.args[0]))
    return None


def value_at_point(expression: Expression, point: Point) -> Array:
    """The value of any expression over (some of) the point's variables, in its own shape.

    Raises:
        InputError: the expression names a variable the point lacks.
        ShapeError: operand shapes that do not fit together.
    """
    shapes = {name: tuple(np.shape(point[name])) for name in expression.variables if name in point}
    compiled = compile_expression(expression, shapes)
    with np.errstate(all="ignore"):
        return np.asarray(compiled({name: point[name] for name in shapes}), dtype=np.float64)


def hessian_report(
    expression: Expression, points: Sequence[Point], options: HessianOptions = HessianOptions()
) -> HessianReport:
    """The Hessian of a scalar expression at each point, numerical beside SymPy's.

    Raises:
        InputError: a bad step or ``wrt``, too many coordinates, or a non-scalar expression.
        EvaluationError: the expression has no finite value at one of the points.
    """
    check_method_and_step("central", options.step)
    names = _differentiated(expression, options.wrt)
    warnings: list[str] = []
    rows: list[HessianRow] = []
    for point, compiled in _compiled_points(expression, points):
        labels = tuple(coordinate.label for coordinate in coordinates(point, names))
        size = len(labels)
        if size > MAX_HESSIAN_COORDINATES:
            raise InputError(
                f"at {_short_point(point)} the Hessian would have {size}×{size} entries; "
                f"at most {MAX_HESSIAN_COORDINATES} coordinates are supported"
            )
        with np.errstate(all="ignore"):
            numerical = hessian(compiled, point, names, options.step)
        warnings += _step_warnings(point, names, "central", options.step)
        if not np.all(np.isfinite(numerical)):
            warnings.append(
                f"at {_short_point(point)} some second differences are not finite: "
                "the expression is not finite within h of the point"
            )
        rows.append(HessianRow(point, labels, numerical, None, 1 + 2 * size * size))
    analytic_values, analytic = _analytic_hessians(expression, points, names, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic Hessian: {analytic.reason}")
    rows = [
        HessianRow(row.at, row.labels, row.numerical, values, row.evaluations)
        for row, values in zip(rows, analytic_values)
    ]
    for row in rows:
        if row.analytic is not None and np.any(np.isnan(row.analytic)):
            warnings.append(
                f"at {_short_point(row.at)} some analytic second derivatives are not real numbers"
            )
    return HessianReport(
        expression.text, names, options.step, analytic, tuple(rows), tuple(warnings)
    )


def _shown_expressions(expression: Expression, texts: Sequence[str]) -> list[Expression]:
    """Each ``--show`` text parsed, using only the expression's variables."""
    found = []
    for text in texts:
        try:
            extra = parse(text)
        except ParseError as error:
            raise _about_show(error) from None
        unknown = [name for name in extra.variables if name not in expression.variables]
        if unknown:
            known = ", ".join(expression.variables) or "none"
            raise InputError(
                f"--show {text!r}: unknown variable {unknown[0]!r} "
                f"(the expression's variables: {known})"
            )
        found.append(extra)
    return found


def _shown_value(extra: Expression, point: Point) -> Array:
    try:
        return value_at_point(extra, point)
    except ParseError as error:  # a ShapeError: operands that do not fit at this point
        raise _about_show(error) from None


def _about_show(error: ParseError) -> ParseError:
    """The same error, saying that it is about a ``--show`` expression."""
    return type(error)(f"--show: {error.message}", error.text, error.column)


def _differentiated(expression: Expression, wrt: tuple[str, ...] | None) -> tuple[str, ...]:
    if wrt is None:
        if not expression.variables:
            raise InputError("the expression has no variable to differentiate by")
        return tuple(expression.variables)
    unknown = [name for name in wrt if name not in expression.variables]
    if unknown:
        known = ", ".join(expression.variables) or "none"
        raise InputError(
            f"cannot differentiate by {', '.join(unknown)}: not a variable of the expression "
            f"(its variables: {known})"
        )
    if not wrt:
        raise InputError("no variable to differentiate by")
    repeated = sorted({name for name in wrt if wrt.count(name) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)} named more than once")
    return tuple(name for name in expression.variables if name in wrt)


def _compiled_points(
    expression: Expression, points: Sequence[Point]
) -> list[tuple[Point, Compiled]]:
    """Each point with the expression compiled for its shapes, checked finite there."""
    compiled_by_shapes: dict[Any, Compiled] = {}
    found = []
    for point in points:
        shapes = {name: tuple(np.shape(value)) for name, value in point.items()}
        key = tuple(sorted(shapes.items()))
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, shapes)
        compiled = compiled_by_shapes[key]
        check_finite(compiled, expression, point)
        found.append((point, compiled))
    return found


def _step_warnings(point: Point, names: tuple[str, ...], method: str, step: float) -> list[str]:
    vanished = []
    for name in names:
        value = np.asarray(point[name], dtype=np.float64)
        lost = np.zeros(value.shape, dtype=bool)
        if method != "backward":
            lost |= value + step == value
        if method != "forward":
            lost |= value - step == value
        vanished += _labels(name, lost)
    if not vanished:
        return []
    return [
        f"at {_short_point(point)} the step h={format_scalar(step)} vanished in rounding for "
        f"{_listing(vanished)}; those differences carry no information: use a larger --h"
    ]


def _non_finite_warnings(point: Point, numerical: Mapping[str, Array]) -> list[str]:
    bad = [
        label for name, value in numerical.items() for label in _labels(name, ~np.isfinite(value))
    ]
    if not bad:
        return []
    return [
        f"at {_short_point(point)} the difference is not finite for {_listing(bad)}: "
        "the expression is not finite within h of the point"
    ]


def _labels(name: str, flags: Array) -> list[str]:
    """Labels of the coordinates of variable ``name`` where ``flags`` is true."""
    if flags.ndim == 0:
        return [name] if bool(flags) else []
    return [Coordinate(name, tuple(int(i) for i in index)).label for index in np.argwhere(flags)]


def _listing(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:_NAMED_IN_WARNING])
    if len(labels) > _NAMED_IN_WARNING:
        shown += f" and {len(labels) - _NAMED_IN_WARNING} more"
    return shown


def _short_point(point: Point) -> str:
    return shortened(format_point(point))


class _OutOfTime(Exception):
    """Raised inside abandoned SymPy work so that its thread stops soon after the limit."""


def _deadline_check(seconds: float) -> Callable[[], None]:
    deadline = time.monotonic() + seconds if seconds > 0 else float("inf")

    def check() -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime("past the time limit")

    return check


def partial_derivatives(
    sympy_expression: Any, symbols: Sequence[Any], check: Callable[[], None] = lambda: None
) -> dict[Any, Any]:
    """SymPy's derivative by each symbol, differentiating only where the symbol occurs.

    A sum is split into its terms and each term is differentiated only by the symbols it
    contains, so ``sum(x**2)`` over 1,000 symbols costs 1,000 small derivatives, not a
    million term visits. ``check`` is called between derivatives (to abandon work past a
    time limit).
    """
    import sympy as sp

    wanted = set(symbols)
    pieces: dict[Any, list[Any]] = {}
    for term in sp.Add.make_args(sympy_expression):
        for symbol_ in term.free_symbols & wanted:
            check()
            pieces.setdefault(symbol_, []).append(term.diff(symbol_))
    return {symbol_: sp.Add(*pieces.get(symbol_, [])) for symbol_ in symbols}


def _analytic_values(
    derivatives: Iterable[Any], point: Mapping[Any, float], check: Callable[[], None]
) -> Array:
    """Each derivative's value at the point (NaN where it is not a real number)."""
    from . import symbolic

    values = []
    for derivative in derivatives:
        check()
        if derivative.is_number:
            value = symbolic.value_at(derivative, {})
        else:
            # substitute only the symbols that occur: the point may hold thousands
            used = {symbol_: point[symbol_] for symbol_ in derivative.free_symbols}
            value = symbolic.value_at(derivative, used)
        values.append(np.nan if value is None else value)
    return np.array(values, dtype=np.float64)


def _symbols(point: Point, names: tuple[str, ...]) -> list[Any]:
    from . import symbolic

    return [
        symbolic.symbol(coordinate.name, coordinate.index)
        for coordinate in coordinates(point, names)
    ]


def _formula(derivative: Any) -> str | None:
    """SymPy's formula as text, or None past ``MAX_FORMULA_NODES`` nodes.

    Printing costs time in proportion to size: a 10×10 network's 100 formulas of 9,000
    characters each take seconds to print, more than it takes to derive them.
    """
    import sympy as sp

    from . import symbolic

    nodes = sp.preorder_traversal(derivative)
    if sum(1 for _ in itertools.islice(nodes, MAX_FORMULA_NODES + 1)) > MAX_FORMULA_NODES:
        return None
    return symbolic.text(derivative)


def _analytic_gradients(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    options: GradOptions,
) -> tuple[dict[str, str | None] | None, list[dict[str, Array] | None], Analytic]:
    nothing: list[dict[str, Array] | None] = [None] * len(points)
    if not options.analytic:
        return None, nothing, Analytic("skipped", "--no-analytic")
    check = _deadline_check(options.analytic_timeout)

    def work() -> tuple[dict[str, str | None], list[dict[str, Array] | None]]:
        from . import symbolic

        texts: dict[str, str | None] = {}
        values: list[dict[str, Array] | None] = []
        for point, partials in _per_shapes(expression, points, names, check):
            coordinates_ = coordinates(point, names)
            if not texts:
                texts = {
                    coordinate.label: _formula(partials[i])
                    for i, coordinate in enumerate(coordinates_)
                }
            flat = _analytic_values(partials, symbolic.point_symbols(point), check)
            values.append(_unflatten(flat, point, names))
        return texts, values

    outcome = _bounded(work, options.analytic_timeout)
    if outcome.value is None:
        return None, nothing, Analytic(outcome.status, outcome.reason)
    texts, values = outcome.value
    return texts, values, Analytic("ok")


def _analytic_hessians(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    options: HessianOptions,
) -> tuple[list[Array | None], Analytic]:
    nothing: list[Array | None] = [None] * len(points)
    if not options.analytic:
        return nothing, Analytic("skipped", "--no-analytic")
    check = _deadline_check(options.analytic_timeout)

    def work() -> list[Array | None]:
        from . import symbolic

        matrices: list[Array | None] = []
        for point, partials in _per_shapes(expression, points, names, check):
            symbols = _symbols(point, names)
            size = len(symbols)
            entries: list[Any] = [None] * (size * size)
            for i, first in enumerate(partials):
                row = partial_derivatives(first, symbols[i:], check)
                for j in range(i, size):
                    entries[i * size + j] = entries[j * size + i] = row[symbols[j]]
            flat = _analytic_values(entries, symbolic.point_symbols(point), check)
            matrices.append(flat.reshape(size, size))
        return matrices

    outcome = _bounded(work, options.analytic_timeout)
    if outcome.value is None:
        return nothing, Analytic(outcome.status, outcome.reason)
    return outcome.value, Analytic("ok")


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
    from . import symbolic

    cache: dict[Any, list[Any]] = {}
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
        if key not in cache:
            tree = symbolic.to_sympy(expression, shapes)
            if isinstance(tree, np.ndarray):  # a 0-d object array: one SymPy number
                tree = tree.reshape(-1)[0]
            tree = symbolic.substitute(tree, symbolic.point_symbols(held))
            check()
            symbols = _symbols(point, names)
            partials = partial_derivatives(tree, symbols, check)
            cache[key] = [partials[symbol_] for symbol_ in symbols]
        yield point, cache[key]


def _unflatten(flat: Array, point: Point, names: tuple[str, ...]) -> dict[str, Array]:
    found: dict[str, Array] = {}
    start = 0
    for name in names:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        found[name] = flat[start : start + size].reshape(shape)
        start += size
    return found


def _bounded(work: Callable[[], T], seconds: float) -> Bounded[T]:
    """``symbolic.bounded``, reporting cooperative abandonment as a time-out."""
    from . import symbolic

    outcome = symbolic.bounded(work, seconds)
    if outcome.status == "failed" and outcome.reason.startswith(_OutOfTime.__name__):
        return symbolic.Bounded(None, "timed out", f"SymPy took longer than {seconds:g} s")
    return outcome
