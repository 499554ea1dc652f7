"""The gradient of a scalar loss by whole tensors (∂L/∂W), numerical beside analytic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .derivative import check_finite, check_method_and_step, compile_scalar
from .errors import InputError
from .numerics import DEFAULT_STEP, coordinates, gradient
from .parsing import Expression
from .points import Point, format_point
from .results import Analytic, TensorGradient, TensorGradientReport

Array = Any


@dataclass(frozen=True)
class TensorGradientOptions:
    """How to differentiate: difference method and step, and the analytic side's limits."""

    method: str = "central"
    step: float = DEFAULT_STEP
    analytic: bool = True
    analytic_timeout: float = 5.0


def tensor_gradient(
    expression: Expression,
    point: Point,
    names: Sequence[str] | None = None,
    options: TensorGradientOptions = TensorGradientOptions(),
) -> TensorGradientReport:
    """∂L/∂V of the scalar ``expression`` L for each variable V in ``names``, in V's shape.

    The numerical side is the primer's central difference entry by entry (all entries of one
    variable evaluated in batched calls); the analytic side differentiates SymPy's expansion of L
    by each scalar symbol ``W[i,j]`` within ``options.analytic_timeout`` seconds. Variables of
    ``point`` not in ``names`` are held fixed.

    Args:
        expression: the parsed loss.
        point: every variable's value (scalars as 0-d arrays, tensors of any rank).
        names: the variables to differentiate by, in the order to report them; all of the
            point's variables when None.
        options: method, step and the analytic side's switch and time limit.

    Raises:
        InputError: a name the expression does not have, a loss that is not a single number,
            a bad method or step.
        EvaluationError: the loss is not finite at the point.
    """
    check_method_and_step(options.method, options.step)
    chosen = tuple(point) if names is None else tuple(names)
    _check_names(expression, point, chosen)
    shapes = {name: np.shape(value) for name, value in point.items()}
    compiled = compile_scalar(expression, shapes)
    check_finite(compiled, expression, point)
    with np.errstate(all="ignore"):
        loss = float(compiled(point))
        numerical = gradient(compiled, point, chosen, options.method, options.step)
    warnings: list[str] = []
    for name in chosen:
        if not np.all(np.isfinite(numerical[name])):
            warnings.append(
                f"at {format_point(point)} the {options.method} difference by {name} is not "
                "finite in every entry: the loss is not finite within h of the point"
            )
    analytic_values, analytic = _analytic(expression, point, chosen, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic gradient: {analytic.reason}")
    if analytic_values is not None:
        for name in chosen:
            if np.any(np.isnan(analytic_values[name])):
                warnings.append(
                    f"the analytic derivative by {name} is not a real number in every entry "
                    f"at {format_point(point)}"
                )
    gradients = tuple(
        TensorGradient(
            name,
            numerical[name],
            None if analytic_values is None else analytic_values[name],
        )
        for name in chosen
    )
    return TensorGradientReport(
        expression.text,
        point,
        loss,
        options.method,
        options.step,
        gradients,
        analytic,
        tuple(warnings),
    )


def analytic_gradient(
    expression: Expression, point: Point, names: Sequence[str]
) -> dict[str, Array]:
    """SymPy's ∂L/∂V for each named variable, in its shape; NaN where not a real number.

    Variables not in ``names`` are replaced by their values before differentiating.

    Runs without a time limit: call it through ``symbolic.bounded``.
    """
    from . import symbolic

    shapes = {name: np.shape(value) for name, value in point.items()}
    loss = symbolic.to_sympy(expression, shapes)
    if isinstance(loss, np.ndarray):  # a 1-element tensor the compiler accepted as a number
        loss = loss.reshape(-1)[0]
    # Values held fixed go in before differentiating: terms with t[i] = 0 vanish and the
    # derivatives stay small (a 10×10 W takes seconds instead of minutes).
    held = {name: value for name, value in point.items() if name not in names}
    loss = symbolic.substitute(loss, symbolic.point_symbols(held))
    substitutions = symbolic.point_symbols(point)
    found: dict[str, Array] = {}
    for name in names:
        values = np.full(np.shape(point[name]), np.nan)
        for coordinate in coordinates(point, (name,)):
            derivative = loss.diff(symbolic.symbol(coordinate.name, coordinate.index))
            value = symbolic.value_at(derivative, substitutions)
            values[coordinate.index] = np.nan if value is None else value
        found[name] = values
    return found


def _analytic(
    expression: Expression, point: Point, names: Sequence[str], options: TensorGradientOptions
) -> tuple[dict[str, Array] | None, Analytic]:
    if not options.analytic:
        return None, Analytic("skipped", "--no-analytic")
    from . import symbolic

    outcome = symbolic.bounded(
        lambda: analytic_gradient(expression, point, names), options.analytic_timeout
    )
    if outcome.value is None:
        return None, Analytic(outcome.status, outcome.reason)
    return outcome.value, Analytic("ok")


def _check_names(expression: Expression, point: Mapping[str, Array], names: Sequence[str]) -> None:
    if not names:
        raise InputError("nothing to differentiate by: give at least one variable")
    for name in names:
        if name not in expression.variables:
            known = ", ".join(expression.variables) or "none"
            raise InputError(
                f"cannot differentiate by {name!r}: not a variable of the expression "
                f"(its variables: {known})"
            )
        if name not in point:
            raise InputError(f"no value given for {name}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)} named more than once")
