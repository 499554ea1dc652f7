"""The public Python API: derivative, gradient, hessian, sweep, descend, plot and graph.

Each function takes an expression (text, parsed safely, or an ``Expression``), the points, and
the command line's options as keywords; it returns the result records the command line renders.
Every rule about the options lives in ``options``; errors are ``DiffcliError`` subclasses whose
messages name the parameter (``h must be a positive number``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .catalog import DEFAULT_TIMEOUT
from .options import (
    DescentOptions,
    DiffOptions,
    GradOptions,
    HessianOptions,
    PlotOptions,
    SweepOptions,
)

if TYPE_CHECKING:
    from .expr.parsing import Expression
    from .expr.points import Point
    from .results import (
        DiffReport,
        GradientReport,
        GraphReport,
        HessianReport,
        SweepReport,
        SweepsReport,
    )
    from .usecases.descent import CompareReport, DescentReport
    from .usecases.plot import FunctionSamples

#: A point as Python gives it: a number, a sequence of numbers (``3, 4`` in order), a mapping of
#: names to numbers or nested lists / NumPy arrays, or the command line's text (``"x0=3,x1=4"``).
PointLike = float | Sequence[Any] | Mapping[str, Any] | str
#: One point, or several as a list of mappings (or of texts).
PointsLike = PointLike | Sequence[Mapping[str, Any]] | Sequence[str]
#: Values held fixed: a mapping of names to values, or the command line's ``NAME=VALUE`` texts.
ConstantsLike = Mapping[str, Any] | Sequence[str] | None


def derivative(
    expression: str | Expression,
    at: PointsLike,
    *,
    wrt: str | None = None,
    method: str = "central",
    h: float | None = None,
    order: int = 1,
    constants: ConstantsLike = None,
    analytic: bool | str = True,
    analytic_timeout: float = DEFAULT_TIMEOUT,
) -> DiffReport:
    """The derivative by one variable at each point, numerical beside SymPy's.

    Args:
        expression: the function, e.g. ``"0.01*x**2+0.1*x"``.
        at: one point or several (see ``PointsLike``).
        wrt: the coordinate to differentiate by (``x0``, ``x[1]``, ``W[0,2]``); default: the
            only variable not held fixed.
        method: ``central`` (the primer's), ``forward``, ``backward``, ``five-point``,
            ``richardson``, ``complex``, ``auto``, or ``all`` for one row each.
        h: the step (default: each method's own).
        order: which derivative, 1 to 6.
        constants: values held fixed, e.g. ``{"t": [0, 0, 1]}``.
        analytic: the exact derivative too: True or ``auto``
            (SymPy, AD where SymPy has no answer), ``sympy``, ``ad``, or False.
        analytic_timeout: seconds SymPy may take (0: no limit).

    Returns:
        A ``DiffReport``: one row per point (and method), each with a ``status``.

    >>> r = derivative("0.01*x**2+0.1*x", at=5)
    >>> r.results[0].numerical, r.results[0].analytic, r.results[0].status
    (0.1999999999990898, 0.2, 'ok')
    >>> derivative("x0**2 + x1**2", at={"x0": 3, "x1": 4}, wrt="x0").results[0].numerical
    6.00000000000378
    >>> derivative("x**2", at=1, h=0)
    Traceback (most recent call last):
    ...
    diffcli.errors.InputError: h must be a positive number, got 0
    """
    from .usecases.diff import differentiate

    parsed, points, fixed = _inputs(expression, at, constants)
    options = DiffOptions(
        wrt=wrt,
        method=method,
        h=h,
        order=order,
        analytic=analytic,
        analytic_timeout=analytic_timeout,
        constants=tuple(fixed),
    )
    return differentiate(parsed, points, options)


def gradient(
    expression: str | Expression,
    at: PointsLike,
    *,
    wrt: Sequence[str] | None = None,
    method: str = "central",
    h: float | None = None,
    constants: ConstantsLike = None,
    show: Sequence[str] = (),
    analytic: bool | str = True,
    analytic_timeout: float = DEFAULT_TIMEOUT,
) -> GradientReport:
    """Every partial derivative at each point, each variable's in its own shape.

    Args:
        expression: a function whose value is one number, e.g. a loss.
        at: one point or several (see ``PointsLike``).
        wrt: the variables to differentiate by (default: every one not held fixed).
        method: as ``derivative`` (not ``all``).
        h: the step (default: 1e-4 for the fixed-step methods).
        constants: values held fixed, e.g. ``{"x": [0.6, 0.9], "t": [0, 0, 1]}``.
        show: more expressions whose values to report at each point.
        analytic: the exact gradient too: True or ``auto``
            (SymPy, AD where SymPy has no answer), ``sympy``, ``ad``, or False.
        analytic_timeout: seconds SymPy may take (0: no limit).

    >>> gradient("x0**2 + x1**2", at=[3, 4]).results[0].numerical
    {'x0': 6.00000000000378, 'x1': 7.999999999999119}
    """
    from .expr.inputs import read_names
    from .usecases.grad import gradient_report

    parsed, points, fixed = _inputs(expression, at, constants)
    options = GradOptions(
        method=method,
        h=h,
        wrt=read_names(wrt, parsed, fixed),
        show=tuple(show),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    return gradient_report(parsed, points, options)


def hessian(
    expression: str | Expression,
    at: PointsLike,
    *,
    wrt: Sequence[str] | None = None,
    method: str = "central",
    h: float | None = None,
    constants: ConstantsLike = None,
    analytic: bool | str = True,
    analytic_timeout: float = DEFAULT_TIMEOUT,
) -> HessianReport:
    """The matrix of second derivatives at each point, numerical beside SymPy's.

    Args:
        expression: a function whose value is one number.
        at: one point or several (see ``PointsLike``).
        wrt: the variables to differentiate by (default: every one not held fixed).
        method: ``central`` (step ``h``), ``richardson`` or ``auto`` (their own steps).
        h: the step of ``central`` (default 1e-4).
        constants: values held fixed.
        analytic: the exact Hessian too: True or ``auto``
            (SymPy, AD where SymPy has no answer), ``sympy``, ``ad``, or False.
        analytic_timeout: seconds SymPy may take (0: no limit).

    >>> hessian("x0**2*x1", at=[1, 2], method="richardson", h=0.3)
    Traceback (most recent call last):
    ...
    diffcli.errors.InputError: h does not apply to method richardson, which chooses its own steps
    """
    from .expr.inputs import read_names
    from .usecases.hessian import hessian_report

    parsed, points, fixed = _inputs(expression, at, constants)
    options = HessianOptions(
        method=method,
        h=h,
        wrt=read_names(wrt, parsed, fixed),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    return hessian_report(parsed, points, options)


def sweep(
    expression: str | Expression,
    at: PointsLike,
    *,
    wrt: str | None = None,
    constants: ConstantsLike = None,
    analytic: bool | str = True,
    analytic_timeout: float = DEFAULT_TIMEOUT,
) -> SweepReport | SweepsReport:
    """Forward and central differences for h = 1e-1 … 1e-16 against a reference.

    Args:
        expression: the function.
        at: one point (a ``SweepReport``) or several (a ``SweepsReport``: one sweep per
            point, in order; see ``PointsLike``).
        wrt: the coordinate (default: the only variable not held fixed).
        constants: values held fixed.
        analytic: the exact derivative as the reference (True/``auto``, ``sympy``, ``ad``;
            False: the ``auto`` estimate).
        analytic_timeout: seconds SymPy may take (0: no limit).

    >>> report = sweep("sin(x)", at=1)
    >>> report.best_forward_step, report.best_central_step  # about √ε and ∛ε
    (1e-08, 1e-05)
    >>> [one.best_central_step for one in sweep("sin(x)", at="1:4:1").sweeps]
    [1e-05, 1e-06, 1e-05]
    """
    from .usecases.sweep import sweep as run_sweep
    from .usecases.sweep import sweeps as run_sweeps

    parsed, points, fixed = _inputs(expression, at, constants)
    options = SweepOptions(
        wrt=wrt, analytic=analytic, analytic_timeout=analytic_timeout, constants=tuple(fixed)
    )
    if len(points) == 1:
        return run_sweep(parsed, points[0], options)
    return run_sweeps(parsed, points, options)


def descend(
    expression: str | Expression,
    start: PointLike,
    *,
    constants: ConstantsLike = None,
    lr: float = 0.01,
    steps: int = 100,
    tol: float | None = None,
    optimizer: str | None = None,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    rho: float = 0.99,
    eps: float = 1e-8,
    grad: str = "numerical",
    h: float = 1e-4,
    trace: int | None = None,
    compare: bool = False,
    path: bool = False,
    on_step: Callable[[Any], None] | None = None,
    analytic: bool | str = True,
    analytic_timeout: float = DEFAULT_TIMEOUT,
) -> DescentReport | CompareReport:
    """Minimise by gradient descent from ``start``: the primer's ``x -= lr * grad`` and more.

    Args:
        expression: the function to minimise.
        start: where to start (one point).
        constants: values held fixed.
        lr, steps, tol: learning rate, most updates, and the |∇f| that stops a run.
        optimizer: ``sgd`` (default), ``momentum``, ``nesterov``, ``adagrad``, ``rmsprop``,
            ``adam``; with their ``momentum``, ``beta1``, ``beta2``, ``rho``, ``eps``.
        grad: ``numerical`` (central differences with step ``h``), ``analytic`` (SymPy's) or
            ``ad`` (reverse-mode automatic differentiation).
        trace: keep every ``trace``-th step in the report.
        compare: run every optimizer with the same budget; returns a ``CompareReport``.
        path: keep every iterate in the report's ``path`` (each row's, with ``compare``).
        on_step: called with each step's record as it is made.
        analytic: find SymPy's stationary points too (``ad``: skipped, they need SymPy).
        analytic_timeout: seconds SymPy may take (0: no limit).

    >>> report = descend("x0**2 + x1**2", start=[-3, 4], lr=0.1, steps=100)
    >>> report.final.at
    {'x0': -6.111107928998789e-10, 'x1': 8.148143905314271e-10}
    """
    from .expr.inputs import only_point
    from .usecases import descent

    options = DescentOptions(
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        tol=tol,
        momentum=momentum,
        beta1=beta1,
        beta2=beta2,
        rho=rho,
        eps=eps,
        grad=grad,
        h=h,
        trace=trace,
        compare=compare,
        path=path,
        on_step=on_step,
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    parsed, points, fixed = _inputs(expression, start, constants, "start")
    point = only_point(points, "start", "descend takes one start")
    if compare:
        return descent.compare(parsed, point, fixed, options)
    return descent.descend(parsed, point, fixed, options)


def plot(
    expression: str | Expression,
    *,
    range: str | Sequence[Any] | Mapping[str, Any] | None = None,
    kind: str | None = None,
    constants: ConstantsLike = None,
) -> FunctionSamples:
    """The expression sampled for a plot: a curve of one variable, a grid of two.

    Args:
        expression: the function; its variables not held by ``constants`` are plotted.
        range: ``"START:STOP"`` for every variable, ``"x1=0:1"`` for one, a list of those, a
            ``(start, stop)`` pair or a mapping of names to pairs (default -5…5; for one
            variable 0…10 or -10…0 where f is undefined on the other side of 0).
        kind: for two variables, ``contour`` (default), ``surface`` or ``heatmap``.
        constants: values held fixed; a plot has at most two variables left.

    Returns:
        A ``FunctionSamples``: the sample positions, f there (NaN where undefined), where a
        curve breaks, and warnings; ``diffcli.render.plots.figure`` draws it.

    >>> samples = plot("0.01*x**2+0.1*x", range="0:20")
    >>> samples.kind, float(samples.axes[0][-1]), float(samples.values[-1])
    ('curve', 20.0, 6.0)
    >>> plot("sin(x)", kind="surface")
    Traceback (most recent call last):
    ...
    diffcli.errors.InputError: kind surface needs two variables; one is a curve
    """
    from .expr.inputs import read_constants, read_expression
    from .expr.intervals import read_intervals
    from .usecases.plot import plot_function

    parsed = read_expression(expression)
    options = PlotOptions(ranges=read_intervals(range), kind=kind)
    return plot_function(parsed, read_constants(parsed, constants), options)


def graph(
    expression: str | Expression, at: PointLike, *, constants: ConstantsLike = None
) -> GraphReport:
    """The computational graph at one point: every node's operation, its value from the
    forward pass and its adjoint ∂f/∂node from the backward pass (reverse-mode AD).

    Args:
        expression: the function; its value must be one number.
        at: one point.
        constants: values held fixed (they are leaves of the graph too).

    >>> report = graph("x0**2 + x1**2", at=[3, 4])
    >>> [(node.operation, float(node.value), float(node.adjoint)) for node in report.nodes[:3]]
    [('+', 25.0, 1.0), ('**', 9.0, 1.0), ('x0', 3.0, 6.0)]
    """
    from .expr.inputs import only_point
    from .usecases.graph import computational_graph

    parsed, points, _ = _inputs(expression, at, constants)
    return computational_graph(parsed, only_point(points, "at", "graph takes one point"))


def _inputs(
    expression: str | Expression, at: Any, constants: ConstantsLike, parameter: str = "at"
) -> tuple[Expression, Sequence[Point], dict[str, Any]]:
    """The parsed expression, its points (constants included) and the constants' values."""
    from .expr.inputs import read_constants, read_expression, read_points

    parsed = read_expression(expression)
    fixed = read_constants(parsed, constants)
    return parsed, read_points(parsed, at, fixed, parameter), fixed
