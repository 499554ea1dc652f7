"""Result records: frozen dataclasses, the only contract between the core and the output code."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .points import Point, point_as_json


def relative_error(numerical: float, analytic: float | None) -> float | None:
    """``|numerical - analytic| / |analytic|``; None where undefined (analytic 0 or absent)."""
    if analytic is None or analytic == 0 or not math.isfinite(analytic):
        return None
    return abs(numerical - analytic) / abs(analytic)


def absolute_error(numerical: float, analytic: float | None) -> float | None:
    """``|numerical - analytic|``; None without an analytic value."""
    if analytic is None:
        return None
    return abs(numerical - analytic)


@dataclass(frozen=True)
class Analytic:
    """How the analytic side went: ``ok``, ``timed out``, ``failed`` or ``skipped``."""

    status: str
    reason: str = ""


@dataclass(frozen=True)
class DerivativeRow:
    """One derivative at one point by one method."""

    at: Point
    method: str
    step: float | None
    numerical: float
    analytic: float | None
    evaluations: int
    error_estimate: float | None = None

    @property
    def abs_error(self) -> float | None:
        return absolute_error(self.numerical, self.analytic)

    @property
    def rel_error(self) -> float | None:
        return relative_error(self.numerical, self.analytic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": point_as_json(self.at),
            "method": self.method,
            "step": self.step,
            "numerical": self.numerical,
            "analytic": self.analytic,
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "error_estimate": self.error_estimate,
            "evaluations": self.evaluations,
        }


@dataclass(frozen=True)
class DiffReport:
    """The answer of ``diffcli diff``: one variable, one or more points."""

    expression: str
    variable: str
    derivative: str | None
    analytic: Analytic
    results: tuple[DerivativeRow, ...]
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variable": self.variable,
            "derivative": self.derivative,
            "analytic_status": self.analytic.status,
            "results": [row.as_dict() for row in self.results],
            "warnings": list(self.warnings),
        }


def json_ready(data: Any, warnings: list[str], path: str = "") -> Any:
    """Replace non-finite floats by None, noting each in ``warnings``: the output stays JSON."""
    if isinstance(data, float):
        if math.isfinite(data):
            return data
        warnings.append(f"{path or 'value'} is {data!r}, written as null")
        return None
    if isinstance(data, dict):
        return {
            key: json_ready(value, warnings, f"{path}.{key}" if path else key)
            for key, value in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [json_ready(value, warnings, f"{path}[{i}]") for i, value in enumerate(data)]
    return data


def _nested_or_none(values: Any) -> Any:
    """An array as nested lists, NaN (no value) written as None."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return None if math.isnan(float(array)) else float(array)
    return [_nested_or_none(item) for item in array]


@dataclass(frozen=True, eq=False)
class TensorGradient:
    """∂L/∂V for one variable V, numerical beside analytic, both in V's shape."""

    name: str
    numerical: Any  # float64 array of the variable's shape (0-d for a scalar)
    #: SymPy's values, NaN where not a real number; None when the analytic side did not run.
    analytic: Any | None

    @property
    def max_abs_error(self) -> float | None:
        """The largest ``|numerical - analytic|`` over the entries that have both."""
        if self.analytic is None:
            return None
        errors = np.abs(np.asarray(self.numerical) - np.asarray(self.analytic))
        errors = errors[~np.isnan(errors)]
        return float(np.max(errors)) if errors.size else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "shape": list(np.shape(self.numerical)),
            "numerical": np.asarray(self.numerical).tolist(),
            "analytic": None if self.analytic is None else _nested_or_none(self.analytic),
            "max_abs_error": self.max_abs_error,
        }


@dataclass(frozen=True, eq=False)
class TensorGradientReport:
    """The gradient of a scalar loss by whole tensors at one point, and the loss itself."""

    expression: str
    at: Point
    loss: float
    method: str
    step: float
    gradients: tuple[TensorGradient, ...]
    analytic: Analytic
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "at": point_as_json(self.at),
            "loss": self.loss,
            "method": self.method,
            "step": self.step,
            "analytic_status": self.analytic.status,
            "gradients": {gradient.name: gradient.as_dict() for gradient in self.gradients},
            "warnings": list(self.warnings),
        }
