"""``plot``: an expression sampled along a range (a curve) or over a grid (two variables)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import EvaluationError, InputError, param
from ..expr.compiling import Array
from ..expr.parsing import Expression
from ..expr.points import Point, format_scalar
from ..options import PlotOptions
from .prepare import compile_scalar

#: The interval of a variable no ``range`` names.
DEFAULT_RANGE = (-5.0, 5.0)
#: Samples of a curve, and per axis of a grid.
CURVE_SAMPLES = 801
GRID_SAMPLES = 121
#: A curve breaks between two samples whose values jump across this share of its spread.
JUMP_SHARE = 0.5
#: Undefined stretches a warning names before it says "and more".
NAMED_STRETCHES = 3


@dataclass(frozen=True)
class FunctionSamples:
    """The answer of ``diffcli plot``: f on a range of one variable or a grid of two."""

    #: A plot shows what f does; where it is undefined is a warning, not a failure.
    failing_statuses: ClassVar[frozenset[str]] = frozenset()

    expression: str
    variables: tuple[str, ...]
    #: ``curve`` for one variable; ``contour``, ``surface`` or ``heatmap`` for two.
    kind: str
    #: Each variable's sample positions.
    axes: tuple[Array, ...]
    #: f at every sample, NaN where undefined: shape ``(n,)``, or ``(n1, n0)`` for two
    #: variables (rows follow the second variable, as ``numpy.meshgrid`` lays them out).
    values: Array
    #: Where a curve breaks (a pole or a jump): between sample ``i`` and ``i + 1``.
    breaks: tuple[int, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("ok",)


def grid_values(
    expression: Expression, held: Point, names: Sequence[str], axes: Sequence[Array]
) -> Array:
    """f on the grid of ``axes`` (one or two) over ``names``, the others held at ``held``:
    one batched evaluation; NaN wherever f is not finite."""
    shapes = {name: np.shape(value) for name, value in held.items() if name not in names}
    compiled = compile_scalar(expression, {**shapes, **dict.fromkeys(names, ())})
    grids = np.meshgrid(*axes) if len(axes) > 1 else [np.asarray(axes[0])]
    batch = {
        name: np.asarray(value, dtype=np.float64)[np.newaxis, ...]
        for name, value in held.items()
        if name not in names
    }
    batch.update({name: grid.ravel() for name, grid in zip(names, grids)})
    with np.errstate(all="ignore"):
        values = np.asarray(compiled.evaluate_batch(batch), dtype=np.float64)
    values = np.broadcast_to(values, grids[0].size).reshape(grids[0].shape).copy()
    values[~np.isfinite(values)] = np.nan
    return values


def plot_function(expression: Expression, held: Point, options: PlotOptions) -> FunctionSamples:
    """Sample ``expression`` over its free variables (those not in ``held``): one is a curve,
    two a grid; more are refused (hold them with ``constants``).

    Raises:
        InputError: no free variable or more than two, a range for an unknown variable, a
            kind for one variable, or an expression whose value is not one number.
        EvaluationError: f is undefined everywhere in the range.
    """
    names = tuple(name for name in expression.variables if name not in held)
    if not names:
        raise InputError(f"the expression has no variable to plot (all are held by {_SET})")
    if len(names) > 2:
        raise InputError(
            f"a plot has one or two variables; {expression.text} has {', '.join(names)}: "
            f"hold the others with {_SET}, e.g. {_SET} {names[2]}=0"
        )
    if len(names) == 1 and options.kind is not None:
        raise InputError(f"{param('kind')} {options.kind} needs two variables; one is a curve")
    unknown = [name for name, _, _ in options.ranges if name is not None and name not in names]
    if unknown:
        raise InputError(
            f"{param('range')} for {', '.join(unknown)}: not a variable to plot "
            f"(those are {', '.join(names)})"
        )
    intervals = _intervals(names, options)
    if len(names) == 1:
        return _curve(expression, held, names[0], intervals.get(names[0]))
    axes = tuple(np.linspace(*intervals.get(name, DEFAULT_RANGE), GRID_SAMPLES) for name in names)
    values = grid_values(expression, held, names, axes)
    _check_defined(expression, values)
    warnings = []
    undefined = int(np.isnan(values).sum())
    if undefined:
        warnings.append(f"f is undefined at {undefined} of {values.size} grid points (left blank)")
    return FunctionSamples(
        expression.text, names, options.kind or "contour", axes, values, (), tuple(warnings)
    )


_SET = param("constants")


def _intervals(names: Sequence[str], options: PlotOptions) -> dict[str, tuple[float, float]]:
    """Each variable's interval from ``range``: its own, else the one for every variable."""
    given = {name: (start, stop) for name, start, stop in options.ranges}
    return {name: given.get(name) or given[None] for name in names if {name, None} & set(given)}


def _curve(
    expression: Expression, held: Point, name: str, interval: tuple[float, float] | None
) -> FunctionSamples:
    axis = np.linspace(*(interval or DEFAULT_RANGE), CURVE_SAMPLES)
    values = grid_values(expression, held, [name], [axis])
    if interval is None:
        axis, values = _domain_side(expression, held, name, axis, values)
    _check_defined(expression, values)
    breaks = _jumps(values)
    warnings = [f"f is undefined for {_stretches(name, axis, np.isnan(values))}"]
    if breaks:
        where = ", ".join(format_scalar(_round(axis[i])) for i in breaks[:NAMED_STRETCHES])
        more = ", …" if len(breaks) > NAMED_STRETCHES else ""
        warnings.append(f"f jumps (a pole or a step) near {name} = {where}{more}: the curve breaks")
    return FunctionSamples(
        expression.text,
        (name,),
        "curve",
        (axis,),
        values,
        breaks,
        tuple(warnings[0 if np.isnan(values).any() else 1 :]),
    )


def _domain_side(
    expression: Expression, held: Point, name: str, axis: Array, values: Array
) -> tuple[Array, Array]:
    """The default interval: ``DEFAULT_RANGE``, or 0…10 (-10…0) where f is undefined on the
    whole negative (positive) side of it, as log and sqrt are."""
    defined = ~np.isnan(values)
    low, high = DEFAULT_RANGE
    if not defined[axis < 0].any() and defined[axis > 0].any():
        axis = np.linspace(0.0, high - low, CURVE_SAMPLES)
    elif not defined[axis > 0].any() and defined[axis < 0].any():
        axis = np.linspace(low - high, 0.0, CURVE_SAMPLES)
    else:
        return axis, values
    return axis, grid_values(expression, held, [name], [axis])


def _check_defined(expression: Expression, values: Array) -> None:
    if np.isnan(values).all():
        raise EvaluationError(f"{expression.text} has no finite value anywhere in the range")


def _jumps(values: Array) -> tuple[int, ...]:
    """Where neighbouring samples change sign across more than ``JUMP_SHARE`` of the
    curve's spread (its 2nd to 98th percentile): a pole, or a step such as sign(x)."""
    finite = values[~np.isnan(values)]
    spread = float(np.percentile(finite, 98) - np.percentile(finite, 2))
    if spread == 0:
        return ()
    left, right = values[:-1], values[1:]
    with np.errstate(invalid="ignore"):
        jump = (np.sign(left) != np.sign(right)) & (np.abs(right - left) > JUMP_SHARE * spread)
    return tuple(int(i) for i in np.flatnonzero(jump))


def _stretches(name: str, axis: Array, undefined: Array) -> str:
    """The stretches of ``axis`` where ``undefined`` holds, as text: ``x in [-5, -0.0125]``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], undefined.astype(int), [0]])))
    pairs = list(zip(edges[::2], edges[1::2] - 1))
    texts = [
        f"{name} = {format_scalar(_round(axis[a]))}"
        if a == b
        else f"{name} in [{format_scalar(_round(axis[a]))}, {format_scalar(_round(axis[b]))}]"
        for a, b in pairs[:NAMED_STRETCHES]
    ]
    more = f" and {len(pairs) - NAMED_STRETCHES} more" if len(pairs) > NAMED_STRETCHES else ""
    return ", ".join(texts) + more + " (the curve breaks there)"


def _round(value: float) -> float:
    """A sample position to 6 significant digits: ``-0.0125``, not ``-0.012499999999999956``."""
    return float(f"{value:.6g}") if math.isfinite(value) else value
