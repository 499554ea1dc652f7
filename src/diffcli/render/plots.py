"""Figures of the reports (matplotlib, Agg, imported only when a plot is asked for).

``figure(report)`` draws what a command computed from its own records: the slopes, gradients,
paths and errors are the report's numbers, never computed again. Only the backdrop (the curve
or contour lines of f) is sampled here, through ``usecases.plot.grid_values``.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import PLOT_FORMATS, PLOT_SIZE
from ..errors import InputError, param
from ..expr.points import quoted

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..expr.parsing import Expression
    from ..expr.points import Point
    from ..results import DiffReport, GradientReport, SweepReport
    from ..usecases.descent import CompareReport, DescentReport, Path
    from ..usecases.plot import FunctionSamples

Array = Any
#: Samples of a backdrop: along a curve, and per axis of a contour.
BACKDROP_CURVE = 400
BACKDROP_GRID = 81
#: The analytic tangent is drawn (dashed) when it parts from the numerical one by more than
#: this share of the plot's height across the tangent's width.
VISIBLE_SHARE = 0.002


def plot_format(target: str, option: str) -> str:
    """The file format of ``target`` by its extension (``-`` is PNG on standard output).

    Raises:
        InputError: another extension, or ``-`` while standard output is a terminal.
    """
    if target == "-":
        if sys.stdout.isatty():
            raise InputError(f"{option} -: standard output is a terminal; name a file or pipe it")
        return "png"
    extension = PurePath(target).suffix.lower().removeprefix(".")
    if extension not in PLOT_FORMATS:
        supported = ", ".join("." + name for name in PLOT_FORMATS)
        raise InputError(f"{option} {quoted(target)}: write {supported} (by the file's extension)")
    return extension


def save(figure: Figure, target: str, dpi: int, option: str) -> None:
    """Write ``figure`` to ``target`` (format by extension; ``-``: PNG on standard output).

    Raises:
        InputError: the file cannot be written (one line; exit code 2).
    """
    format_name = plot_format(target, option)
    if target == "-":
        data = io.BytesIO()
        figure.savefig(data, format=format_name, dpi=dpi)
        _write_stdout(data.getvalue())
        return
    try:
        figure.savefig(target, format=format_name, dpi=dpi)
    except OSError as error:
        raise InputError(
            f"{option} {quoted(target)}: cannot write: {error.strerror or error}"
        ) from None


def _write_stdout(data: bytes) -> None:
    """Bytes as they are (no respelling) on standard output, failing as it does."""
    stream = sys.stdout
    beneath = getattr(stream, "stream", stream)  # a GuardedStream's own stream
    binary = beneath.buffer

    def write() -> None:
        beneath.flush()
        binary.write(data)
        binary.flush()

    guarded: Callable[[Callable[[], object]], None] | None = getattr(stream, "guarded", None)
    if guarded is None:
        write()
    else:
        guarded(write)


def figure(report: Any, size: tuple[float, float] | None = None) -> Figure:
    """The figure of a report of ``diff``, ``grad``, ``descend``, ``sweep`` or ``plot``.

    Raises:
        InputError: the report holds nothing this figure can draw (e.g. three variables).
        TypeError: no figure draws this kind of report.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    try:
        draw = _DRAWINGS[type(report).__name__]
    except KeyError:
        raise TypeError(f"no figure draws {type(report).__name__}") from None
    # matplotlib's default margins: a layout engine would add 0.2 s to every figure
    drawn = Figure(figsize=size or PLOT_SIZE)
    FigureCanvasAgg(drawn)
    draw(drawn, report)
    return drawn


def _parsed(text: str) -> Expression:
    from ..expr.parsing import parse

    return parse(text)


def _function(figure: Figure, report: FunctionSamples) -> None:
    names = report.variables
    if report.kind == "curve":
        axes = figure.add_subplot()
        x, y = report.axes[0], report.values
        breaks = [i + 1 for i in report.breaks]
        axes.plot(np.insert(x, breaks, np.nan), np.insert(y, breaks, np.nan))
        if report.breaks:  # a pole would stretch the axis to its largest sample
            finite = y[~np.isnan(y)]
            low, high = np.percentile(finite, [2, 98])
            margin = 0.1 * (high - low)
            axes.set_ylim(low - margin, high + margin)
        axes.set_xlabel(names[0])
        axes.set_ylabel(f"f({names[0]})")
        axes.grid(alpha=0.3)
    else:
        axes = _surface_axes(figure, report)
        axes.set_xlabel(names[0])
        axes.set_ylabel(names[1])
    axes.set_title(report.expression)


def _surface_axes(figure: Figure, report: FunctionSamples) -> Any:
    x, y = np.meshgrid(*report.axes)
    z = report.values
    label = f"f({', '.join(report.variables)})"
    if report.kind == "surface":
        axes = figure.add_subplot(projection="3d")
        axes.plot_surface(x, y, np.ma.masked_invalid(z), cmap="viridis")
        axes.set_zlabel(label)
        return axes
    axes = figure.add_subplot()
    drawn: Any
    if report.kind == "heatmap":
        drawn = axes.pcolormesh(x, y, z, cmap="viridis", shading="auto")
    else:
        drawn = axes.contourf(x, y, z, levels=20, cmap="viridis")
        axes.contour(x, y, z, levels=20, colors="k", linewidths=0.4, alpha=0.5)
    figure.colorbar(drawn, ax=axes, label=label)
    return axes


def _tangents(figure: Figure, report: DiffReport) -> None:
    """f along the coordinate with the tangent ``f(a) + f'(a)(x - a)`` at each point: the
    numerical slope solid, the analytic one dashed where the two part visibly."""
    from ..engine.coordinates import along
    from ..usecases.prepare import choose_coordinate, compile_scalar

    if report.order != 1:
        raise InputError(
            f"{param('plot')} draws tangents, the first derivative's; order {report.order} has none"
        )
    expression = _parsed(report.expression)
    coordinate = choose_coordinate(expression, report.results[0].at, report.variable)
    axes = figure.add_subplot()
    places = [
        float(np.asarray(row.at[coordinate.name])[coordinate.index]) for row in report.results
    ]
    half = _half_width(places)
    drawn_curves: list[Point] = []
    for row, a in zip(report.results, places):
        shapes = {name: np.shape(value) for name, value in row.at.items()}
        along_f = along(compile_scalar(expression, shapes), row.at, coordinate)
        if not any(_same_others(row.at, seen, coordinate.name) for seen in drawn_curves):
            xs = np.linspace(min(places) - 2 * half, max(places) + 2 * half, BACKDROP_CURVE)
            with np.errstate(all="ignore"):
                axes.plot(xs, along_f(xs), color="black", linewidth=1.2, label="f")
            drawn_curves.append(row.at)
        fa = float(along_f(np.array([a]))[0])
        ends = np.array([a - half, a + half])
        slopes = [(row.numerical, "-", f"{row.method} slope {row.numerical:.6g} at {a:g}")]
        if row.is_kink:
            assert row.left is not None and row.right is not None
            slopes = [
                (row.left, ":", f"left slope {row.left:.6g} at {a:g}"),
                (row.right, ":", f"right slope {row.right:.6g} at {a:g}"),
            ]
        elif row.analytic is not None and _parts_visibly(row.numerical, row.analytic, half, axes):
            slopes.append((row.analytic, "--", f"analytic slope {row.analytic:.6g} at {a:g}"))
        for slope, style, label in slopes:
            if math.isfinite(slope):
                axes.plot(ends, fa + slope * (ends - a), style, linewidth=1.5, label=label)
        axes.plot([a], [fa], "o", color="black", markersize=4)
    axes.set_xlabel(report.variable)
    axes.set_ylabel(f"f({report.variable})")
    axes.set_title(report.expression)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")


def _same_others(point: Point, other: Point, varied: str) -> bool:
    """Whether two points agree but for the varied variable (one curve serves both)."""
    return all(
        np.array_equal(value, other[name]) for name, value in point.items() if name != varied
    )


def _half_width(places: Sequence[float]) -> float:
    """Half the width of a tangent: a quarter of the points' spread or of the largest
    point's size, at least 1."""
    spread = max(places) - min(places)
    return max(spread / 4, abs(max(places, key=abs)) / 4, 1.0)


def _parts_visibly(numerical: float, analytic: float, half: float, axes: Axes) -> bool:
    low, high = axes.get_ylim()
    return abs(numerical - analytic) * half > VISIBLE_SHARE * (high - low)


def _gradients(figure: Figure, report: GradientReport) -> None:
    """At one point, ∇f as an arrow on the contour lines; at many, −∇f at each (a field)."""
    names = _two_scalars(report.variables, report.results[0].at, "the gradient")
    rows = report.results
    x = np.array([float(row.at[names[0]]) for row in rows])
    y = np.array([float(row.at[names[1]]) for row in rows])
    u = np.array([float(row.numerical[names[0]]) for row in rows])
    v = np.array([float(row.numerical[names[1]]) for row in rows])
    field = len(rows) > 1
    if field:
        u, v = -u, -v
    axes = figure.add_subplot()
    bounds = _bounds(x, y)
    _contours(axes, _parsed(report.expression), rows[0].at, names, bounds)
    spacing = _spacing(x, y) if field else 0.4 * (bounds[1] - bounds[0])
    longest = float(np.nanmax(np.hypot(u, v))) if len(u) else 0.0
    scale = longest / spacing if longest > 0 and math.isfinite(longest) else 1.0
    axes.quiver(
        x, y, u, v, angles="xy", scale_units="xy", scale=scale, color="tab:red", width=0.004
    )
    if not field:
        axes.plot(x, y, "o", color="tab:red", markersize=4)
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    what = "−∇f" if field else "∇f"
    axes.set_title(f"{what} of {report.expression}")


def _two_scalars(names: Sequence[str], point: Point, what: str) -> tuple[str, str]:
    tensors = [name for name in names if np.ndim(point[name]) > 0]
    if len(names) != 2 or tensors:
        why = f" ({', '.join(tensors)}: not a single number)" if tensors else ""
        raise InputError(
            f"{param('plot')} draws {what} of two single-number variables, not of "
            f"{', '.join(names)}{why}"
        )
    return names[0], names[1]


def _bounds(x: Array, y: Array) -> tuple[float, float, float, float]:
    """A square view around the points with a margin: x0, x1, y0, y1."""
    spread = max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    margin = 0.15 * spread if len(x) > 1 else spread
    cx, cy = (float(np.min(x)) + float(np.max(x))) / 2, (float(np.min(y)) + float(np.max(y))) / 2
    half = spread / 2 + margin
    return cx - half, cx + half, cy - half, cy + half


def _spacing(x: Array, y: Array) -> float:
    """The grid's step: the smallest distance between distinct positions on either axis."""
    steps = [np.diff(np.unique(values)) for values in (x, y)]
    found = [float(np.min(step)) for step in steps if step.size]
    return min(found) if found else 1.0


def _contours(
    axes: Axes,
    expression: Expression,
    held: Point,
    names: tuple[str, str],
    bounds: tuple[float, float, float, float],
) -> None:
    from ..usecases.plot import grid_values

    grid = (
        np.linspace(bounds[0], bounds[1], BACKDROP_GRID),
        np.linspace(bounds[2], bounds[3], BACKDROP_GRID),
    )
    values = grid_values(expression, held, names, grid)
    axes.set_xlim(bounds[0], bounds[1])
    axes.set_ylim(bounds[2], bounds[3])
    if np.isnan(values).all():
        return
    drawn = axes.contour(*grid, values, levels=15, cmap="viridis", linewidths=0.8)
    axes.clabel(drawn, fontsize="x-small", inline=True)


def _descent(figure: Figure, report: DescentReport) -> None:
    _paths(figure, report, [(report.options.rule, report.path, report.status)])


def _comparison(figure: Figure, report: CompareReport) -> None:
    runs = [(f"{row.optimizer} ({row.status})", row.path, row.status) for row in report.rows]
    _paths(figure, report, runs)


def _paths(
    figure: Figure,
    report: DescentReport | CompareReport,
    runs: Sequence[tuple[str, Path | None, str]],
) -> None:
    """Each run's path over the contour lines of f (two variables), along the curve of f (one
    variable), or its loss against the step (tensors, or more variables). The view is that of
    the runs that did not diverge, if there are any."""
    kept = [(label, path) for label, path, _ in runs if path is not None]
    if len(kept) != len(runs):
        raise InputError("the report keeps no path: descend with path=True to plot it")
    layout = report.layout
    axes = figure.add_subplot()
    axes.set_title(report.expression)
    scalars = all(shape == () for shape in layout.shapes)
    if not scalars or len(layout.names) > 2:
        for label, path in kept:
            axes.plot(np.arange(len(path.values)), path.values, label=label)
        axes.set_xlabel("step")
        axes.set_ylabel("f")
        if all(np.all(path.values > 0) for _, path in kept):
            axes.set_yscale("log")
            _plain_decades(axes)
        axes.legend(fontsize="small")
        return
    viewed = [path.points for _, path, status in runs if path is not None and status != "diverged"]
    every = np.concatenate(viewed or [path.points for _, path in kept])
    every = every[np.all(np.isfinite(every), axis=1)]
    expression = _parsed(report.expression)
    if len(layout.names) == 1:
        low, high = float(np.min(every)), float(np.max(every))
        margin = max(0.15 * (high - low), 0.5)
        xs = np.linspace(low - margin, high + margin, BACKDROP_CURVE)
        from ..usecases.plot import grid_values

        axes.plot(xs, grid_values(expression, report.fixed, layout.names, [xs]), color="black")
        coordinates = [(path.points[:, 0], path.values) for _, path in kept]
        axes.set_xlabel(layout.names[0])
        axes.set_ylabel(f"f({layout.names[0]})")
    else:
        names = (layout.names[0], layout.names[1])
        bounds = _bounds(every[:, 0], every[:, 1])
        _contours(axes, expression, report.fixed, names, bounds)
        coordinates = [(path.points[:, 0], path.points[:, 1]) for _, path in kept]
        axes.set_xlabel(names[0])
        axes.set_ylabel(names[1])
        _minima(axes, report, names)
    for number, ((label, _), (xs, ys)) in enumerate(zip(kept, coordinates)):
        (line,) = axes.plot(xs, ys, "o-", markersize=3, linewidth=1, label=label)
        end = "end" if number == 0 else None
        axes.plot(xs[-1:], ys[-1:], "*", color=line.get_color(), markersize=12, label=end)
    xs, ys = coordinates[0]
    axes.plot(xs[:1], ys[:1], "s", color="black", markersize=7, label="start")
    axes.legend(fontsize="small")


def _minima(axes: Axes, report: DescentReport | CompareReport, names: tuple[str, str]) -> None:
    minima = [point for point in report.analytic.points if point.kind == "minimum"]
    for number, point in enumerate(minima):
        label = "analytic minimum" if number == 0 else None
        axes.plot(
            [float(point.at[names[0]])],
            [float(point.at[names[1]])],
            "X",
            color="black",
            markersize=9,
            label=label,
            zorder=5,
        )


def _sweep(figure: Figure, report: SweepReport) -> None:
    """|error| against h on log-log axes: truncation falls with h (slope 1 forward, 2
    central), rounding rises as h shrinks (slope −1); the best h of each marked."""
    axes = figure.add_subplot()
    steps = np.array([row.step for row in report.rows])
    for name, best, truncation in (
        ("forward", report.best_forward_step, 1),
        ("central", report.best_central_step, 2),
    ):
        errors = np.array(
            [
                np.nan if e is None or e == 0 else e
                for e in (getattr(r, f"{name}_error") for r in report.rows)
            ],
            dtype=np.float64,
        )
        (line,) = axes.loglog(steps, errors, "o-", markersize=4, label=f"{name} |error|")
        if best is None:
            continue
        at_best = float(errors[list(steps).index(best)])
        if not math.isfinite(at_best):
            continue
        axes.plot(
            [best],
            [at_best],
            "*",
            color=line.get_color(),
            markersize=14,
            label=f"best {name} h = {best:g}",
        )
        larger, smaller = steps[steps >= best], steps[steps <= best]
        axes.loglog(
            larger,
            at_best * (larger / best) ** truncation,
            ":",
            color=line.get_color(),
            label=f"∝ h{'²' if truncation == 2 else ''}",
        )
        axes.loglog(
            smaller,
            at_best * (best / smaller),
            "--",
            color=line.get_color(),
            alpha=0.6,
            label="∝ 1/h (rounding)",
        )
    _plain_decades(axes)
    axes.set_xlabel("step h")
    axes.set_ylabel("|error|")
    axes.set_title(f"{report.expression}: error against h")
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize="x-small")


def _plain_decades(axes: Any) -> None:
    """Log-axis labels as plain text (``1e-08``): matplotlib's default typesets every decade
    as mathtext, a quarter of a second of a figure's cost."""
    from matplotlib.ticker import LogFormatter, NullFormatter

    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_formatter(LogFormatter(labelOnlyBase=True))
        axis.set_minor_formatter(NullFormatter())


_DRAWINGS: dict[str, Callable[[Figure, Any], None]] = {
    "FunctionSamples": _function,
    "DiffReport": _tangents,
    "GradientReport": _gradients,
    "DescentReport": _descent,
    "CompareReport": _comparison,
    "SweepReport": _sweep,
}
