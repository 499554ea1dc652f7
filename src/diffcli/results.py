"""Result records: frozen dataclasses, the only contract between the core and the output code."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar, overload

from .errors import EXIT_EVALUATION
from .expr.points import Array, Point, point_as_json

#: How far a result row's numbers can be trusted, the ``status`` of every row (records, JSON,
#: CSV/TSV):
#:
#: - ``ok``: a finite numerical value;
#: - ``kink``: the derivative does not exist there; the one-sided derivatives differ (``left``,
#:   ``right``, or ``kinks`` of a gradient or Hessian) and the numerical value is NaN (a
#:   sweep's quotients stay, with no error: there is no derivative to measure them against);
#: - ``unreliable``: a finite value the method itself distrusts (its error estimate is large);
#: - ``step-vanished``: ``x + h == x`` in rounding, so the quotient carries no information;
#: - ``not-finite``: a numerical value is NaN or infinite where no kink explains it (exit 1).
#:
#: Rows derive ``ok``, ``kink`` or ``not-finite`` from their own numbers unless told otherwise.
#: The analytic side has its own status (``Analytic.status``); a descent run ends ``converged``,
#: ``diverged`` or ``max_steps`` (``RUN_STATUSES``).
ROW_STATUSES = ("ok", "kink", "unreliable", "step-vanished", "not-finite")
#: How a descent run ended (``DescentReport.status``, ``CompareRow.status``): ``converged``
#: (``|∇f|`` fell below ``tol``), ``diverged`` (f, the point or the gradient stopped being
#: finite, or f grew past its bound: exit 1), ``max_steps`` (the budget ran out).
RUN_STATUSES = ("converged", "diverged", "max_steps")
#: Row statuses that make a command exit with ``EXIT_EVALUATION`` once its output is written.
FAILING_STATUSES = frozenset({"not-finite"})


class HasStatuses(Protocol):
    """A report whose rows each carry a status."""

    @property
    def statuses(self) -> tuple[str, ...]: ...


def exit_code(report: HasStatuses) -> int:
    """The exit code a report implies: ``EXIT_EVALUATION`` if a row failed, else 0.

    Which statuses fail is the report kind's ``failing_statuses`` (default
    ``FAILING_STATUSES``): a sweep's ``not-finite`` steps are part of what it shows (none
    fail), a descent fails when it ``diverged``. Every command exits with this code after
    writing its output.
    """
    failing: frozenset[str] = getattr(report, "failing_statuses", FAILING_STATUSES)
    return EXIT_EVALUATION if failing.intersection(report.statuses) else 0


def _settle_status(row: Any, failed: bool, kink: bool = False) -> None:
    """Give a frozen row its status: the one it was given (checked), else its own verdict:
    ``not-finite`` when a value failed, ``kink`` when there is one, else ``ok``."""
    status = row.status or ("not-finite" if failed else "kink" if kink else "ok")
    if status not in ROW_STATUSES:
        raise ValueError(f"status must be one of {', '.join(ROW_STATUSES)}, not {status!r}")
    object.__setattr__(row, "status", status)


def plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Each 0-d value as a Python float, so that a scalar variable's value reads as a number
    (``{'x0': 6.0}``, not ``{'x0': array(6.)}``); arrays stay arrays."""
    import numpy as np

    return {name: float(value) if np.ndim(value) == 0 else value for name, value in values.items()}


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
    """How the analytic side went: ``ok``, ``timed out``, ``failed`` or ``skipped``, and
    which engine gave its values (``source``: ``sympy`` or ``ad``, None without values)."""

    status: str
    reason: str = ""
    source: str | None = None


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
    #: One-sided derivatives where they disagree (a kink); ``numerical`` is then NaN.
    left: float | None = None
    right: float | None = None
    #: How an adaptive method got its value, e.g. ``complex step`` or ``central``.
    technique: str = ""
    #: One of ``ROW_STATUSES``; derived from the row's numbers when not given.
    status: str = ""
    #: The function's value f(x) at the point (with the derivative: the tangent line).
    value: float | None = None

    def __post_init__(self) -> None:
        failed = not math.isfinite(self.numerical) and not self.is_kink
        _settle_status(self, failed, self.is_kink)

    @property
    def is_kink(self) -> bool:
        return self.left is not None and self.right is not None

    @property
    def abs_error(self) -> float | None:
        return None if self.is_kink else absolute_error(self.numerical, self.analytic)

    @property
    def rel_error(self) -> float | None:
        return None if self.is_kink else relative_error(self.numerical, self.analytic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": point_as_json(self.at),
            "value": self.value,
            "method": self.method,
            "step": self.step,
            "numerical": self.numerical,
            "analytic": self.analytic,
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "error_estimate": self.error_estimate,
            "evaluations": self.evaluations,
            "technique": self.technique,
            "left": self.left,
            "right": self.right,
            "status": self.status,
        }


def settled_statuses(finite: Array, given: Mapping[int, str]) -> list[str]:
    """Each row's status where rows held as columns give ``given`` ones (by index) and the
    others settle theirs: ``ok`` where ``finite``, else ``not-finite``."""
    import numpy as np

    found = ["ok"] * len(finite)
    for index in np.flatnonzero(~finite).tolist():
        found[index] = "not-finite"
    for index, status in given.items():
        found[index] = status or found[index]
    return found


R = TypeVar("R")


class ColumnRows(Sequence[R]):
    """Rows at many points held as columns: one row is made when asked for (``_row``), a
    slice makes a list of them; the output layer reads the columns without making rows."""

    points: Sequence[Point]

    def __len__(self) -> int:
        return len(self.points)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[R]: ...

    def __getitem__(self, index: int | slice) -> R | Sequence[R]:
        if isinstance(index, slice):
            return [self._row(one) for one in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._row(index % len(self))

    def _row(self, index: int) -> R:
        """The row at ``index`` (0 ≤ index < len)."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


class DerivativeRows(ColumnRows[DerivativeRow]):
    """The rows of one fixed-step method at many points, held as columns (``diff``'s batched
    path): indexing makes the ``DerivativeRow`` a point-by-point run makes; the output layer
    reads the columns (``numbers``) without making rows."""

    def __init__(
        self,
        points: Sequence[Point],
        method: str,
        step: float,
        evaluations: int,
        columns: Mapping[str, Array],
        statuses: Mapping[int, str],
    ) -> None:
        """``columns``: ``numerical``, ``analytic`` (NaN: none), ``error_estimate`` and
        ``value``, float64 arrays of one number per point; ``statuses``: the rows given one
        (the others derive theirs from their numbers)."""
        self.points = points
        self.method = method
        self.step = step
        self.evaluations = evaluations
        self.columns = dict(columns)
        self.given_statuses = dict(statuses)

    def _row(self, index: int) -> DerivativeRow:
        numbers = {name: float(column[index]) for name, column in self.columns.items()}
        analytic = numbers["analytic"]
        return DerivativeRow(
            self.points[index],
            self.method,
            self.step,
            numbers["numerical"],
            analytic if math.isfinite(analytic) else None,
            self.evaluations,
            numbers["error_estimate"],
            status=self.given_statuses.get(index, ""),
            value=numbers["value"],
        )

    @property
    def statuses(self) -> list[str]:
        """Every row's status, as each row settles it."""
        import numpy as np

        return settled_statuses(np.isfinite(self.columns["numerical"]), self.given_statuses)

    def numbers(self) -> dict[str, Array]:
        """Each number column of the rows' JSON, float64 (masked: no value): ``value``,
        ``numerical``, ``analytic``, ``abs_error``, ``rel_error``, ``error_estimate``."""
        import numpy as np

        numerical, analytic = self.columns["numerical"], self.columns["analytic"]
        none = ~np.isfinite(analytic)
        with np.errstate(all="ignore"):
            absolute = np.abs(numerical - analytic)
            relative = absolute / np.abs(analytic)
        return {
            "value": self.columns["value"],
            "numerical": numerical,
            "analytic": np.ma.MaskedArray(analytic, none),
            "abs_error": np.ma.MaskedArray(absolute, none),
            "rel_error": np.ma.MaskedArray(relative, none | (analytic == 0)),
            "error_estimate": self.columns["error_estimate"],
        }


@dataclass(frozen=True)
class DiffReport:
    """The answer of ``diffcli diff``: one variable, one or more points."""

    expression: str
    variable: str
    derivative: str | None
    analytic: Analytic
    #: A tuple of rows, or ``DerivativeRows`` (many points, held as columns).
    results: Sequence[DerivativeRow]
    warnings: tuple[str, ...] = field(default=())
    order: int = 1

    @property
    def statuses(self) -> tuple[str, ...]:
        if isinstance(self.results, DerivativeRows):
            return tuple(self.results.statuses)
        return tuple(row.status for row in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variable": self.variable,
            "order": self.order,
            "derivative": self.derivative,
            "analytic_status": self.analytic.status,
            "analytic_source": self.analytic.source,
            "results": [row.as_dict() for row in self.results],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class SweepRow:
    """Forward and central differences at one step, with their errors."""

    step: float
    forward: float
    forward_error: float | None
    central: float
    central_error: float | None
    #: One of ``ROW_STATUSES``; derived from the two quotients when not given (``kink``
    #: is given: the point's, not the quotients').
    status: str = ""

    def __post_init__(self) -> None:
        failed = not (math.isfinite(self.forward) and math.isfinite(self.central))
        _settle_status(self, failed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "forward": self.forward,
            "forward_error": self.forward_error,
            "central": self.central,
            "central_error": self.central_error,
            "status": self.status,
        }


@dataclass(frozen=True)
class SweepReport:
    """The answer of ``diffcli sweep``: errors of the difference quotients against h."""

    #: A step whose quotient is not finite is part of the lesson, not a failure.
    failing_statuses: ClassVar[frozenset[str]] = frozenset()

    expression: str
    variable: str
    at: Point
    reference: float | None
    #: Where the reference comes from: ``analytic`` (SymPy), ``ad`` (automatic
    #: differentiation) or ``auto`` (best numerical).
    reference_source: str
    rows: tuple[SweepRow, ...]
    best_forward_step: float | None
    best_central_step: float | None
    explanation: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(row.status for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variable": self.variable,
            "at": point_as_json(self.at),
            "reference": self.reference,
            "reference_source": self.reference_source,
            "rows": [row.as_dict() for row in self.rows],
            "best_forward_step": self.best_forward_step,
            "best_central_step": self.best_central_step,
            "explanation": self.explanation,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class SweepsReport:
    """The answer of ``diffcli sweep`` at several points: one sweep per point, in order."""

    failing_statuses: ClassVar[frozenset[str]] = frozenset()

    expression: str
    variable: str
    sweeps: tuple[SweepReport, ...]
    #: Every sweep's warnings, once each, in order (a point's own say where).
    warnings: tuple[str, ...] = field(default=())

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(status for swept in self.sweeps for status in swept.statuses)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variable": self.variable,
            "sweeps": [swept.as_dict() for swept in self.sweeps],
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


def _listed(value: Any, missing_as_none: bool = False) -> Any:
    """A float array as a number or nested lists; NaN as None where it means "no value"."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim > 0:
        return [_listed(item, missing_as_none) for item in value]
    number = float(value)
    if missing_as_none and math.isnan(number):
        return None
    return number


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class GradientRow:
    """The gradient at one point: each variable's partial derivatives in its own shape.

    ``analytic`` holds NaN where SymPy gives no real number, and is None when the analytic
    side did not run (skipped, timed out or failed).
    """

    at: Point
    numerical: dict[str, Array]
    analytic: dict[str, Array] | None
    evaluations: int
    #: The expression's value at the point (the loss).
    loss: float
    #: The value of the loss's first argument (``GradientReport.predicted``), if there is one.
    predicted: Array | None = None
    #: The value of each ``--show`` expression, by its text.
    shown: dict[str, Array] = field(default_factory=dict)
    #: Each partial derivative's estimated absolute error, in the variable's shape; None for
    #: the batched difference quotients (forward, backward, central), which estimate none.
    error_estimate: dict[str, Array] | None = None
    #: Function evaluations each partial derivative cost, in the variable's shape.
    partial_evaluations: dict[str, Array] | None = None
    #: Coordinates where the derivative does not exist (a kink of abs, relu …): label ->
    #: (left derivative, right derivative). Their numerical value is NaN.
    kinks: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: One of ``ROW_STATUSES``; derived when not given: ``not-finite`` if a partial
    #: derivative is (other than at a kink), else ``kink`` if there is one, else ``ok``.
    status: str = ""

    def __post_init__(self) -> None:
        for name in ("numerical", "analytic", "error_estimate"):
            values = getattr(self, name)
            if values is not None:
                object.__setattr__(self, name, plain(values))
        _settle_status(self, self.failed, bool(self.kinks))

    @property
    def failed(self) -> bool:
        """A partial derivative is not finite, other than at a kink (which is reported)."""
        import numpy as np

        if all(np.all(np.isfinite(value)) for value in self.numerical.values()):
            return False  # the common case, without a label per coordinate
        return any(
            not math.isfinite(value) and label not in self.kinks
            for label, value, _ in self.components()
        )

    @property
    def abs_error(self) -> dict[str, Array] | None:
        import numpy as np

        if self.analytic is None:
            return None
        return {name: np.abs(self.numerical[name] - self.analytic[name]) for name in self.numerical}

    @property
    def max_abs_error(self) -> float | None:
        """The largest ``|numerical - analytic|`` over the coordinates with both values."""
        import numpy as np

        errors = self.abs_error
        if errors is None:
            return None
        flat = np.concatenate([np.ravel(value) for value in errors.values()])
        flat = flat[~np.isnan(flat)]
        return float(np.max(flat)) if flat.size else None

    @property
    def max_error_estimate(self) -> float | None:
        """The largest error estimate over the coordinates (NaN ones ignored), or None."""
        import numpy as np

        if self.error_estimate is None:
            return None
        flat = np.concatenate([np.ravel(value) for value in self.error_estimate.values()])
        flat = flat[~np.isnan(flat)]
        return float(np.max(flat)) if flat.size else None

    @property
    def norm(self) -> float:
        """Euclidean norm of the numerical gradient (a correctly rounded sum of squares)."""
        return _euclidean(self.numerical)

    @property
    def analytic_norm(self) -> float | None:
        if self.analytic is None:
            return None
        return _optional(_euclidean(self.analytic))

    def components(self) -> list[tuple[str, float, float | None]]:
        """``(coordinate label, numerical, analytic)`` for every coordinate, in order."""
        import numpy as np

        from .engine.coordinates import coordinates

        found = []
        for coordinate in coordinates(self.numerical):
            numerical = float(np.asarray(self.numerical[coordinate.name])[coordinate.index])
            analytic = None
            if self.analytic is not None:
                analytic = _optional(
                    float(np.asarray(self.analytic[coordinate.name])[coordinate.index])
                )
            found.append((coordinate.label, numerical, analytic))
        return found

    def as_dict(self) -> dict[str, Any]:
        errors = self.abs_error
        return {
            "at": point_as_json(self.at),
            "numerical": {name: _listed(value) for name, value in self.numerical.items()},
            "analytic": None
            if self.analytic is None
            else {name: _listed(value, True) for name, value in self.analytic.items()},
            "abs_error": None
            if errors is None
            else {name: _listed(value, True) for name, value in errors.items()},
            "max_abs_error": self.max_abs_error,
            **self._estimates_as_dict(),
            "norm": self.norm,
            "analytic_norm": self.analytic_norm,
            "evaluations": self.evaluations,
            "loss": self.loss,
            **(
                {
                    "kinks": {
                        label: {"left": left, "right": right}
                        for label, (left, right) in self.kinks.items()
                    }
                }
                if self.kinks
                else {}
            ),
            **({} if self.predicted is None else {"predicted": _listed(self.predicted)}),
            **(
                {"shown": {text: _listed(v) for text, v in self.shown.items()}}
                if self.shown
                else {}
            ),
            "status": self.status,
        }

    def _estimates_as_dict(self) -> dict[str, Any]:
        """``error_estimate``, ``max_error_estimate``, ``partial_evaluations``: only for the
        methods that estimate their error (the batched quotients' JSON stays as it was)."""
        import numpy as np

        if self.error_estimate is None:
            return {}
        counts = self.partial_evaluations or {}
        return {
            "error_estimate": {name: _listed(v) for name, v in self.error_estimate.items()},
            "max_error_estimate": self.max_error_estimate,
            "partial_evaluations": {
                name: np.asarray(value).astype(int).tolist() for name, value in counts.items()
            },
        }


class GradientRows(ColumnRows[GradientRow]):
    """The rows of a fixed-step method at many points of scalar variables, held as columns
    (``grad``'s batched path): indexing makes the ``GradientRow`` a point-by-point run makes;
    the output layer reads the columns (``numbers``) without making rows."""

    def __init__(
        self,
        points: Sequence[Point],
        columns: Mapping[str, Array],
        loss: Array,
        numerical: Mapping[str, Array],
        evaluations: int,
        statuses: Mapping[int, str],
        analytic: Mapping[str, Array] | None = None,
    ) -> None:
        """``columns``: each variable's value at every point; ``loss`` f's; ``numerical`` and
        ``analytic`` (NaN: no real number) each partial derivative's; all float64 arrays of
        one number per point. ``evaluations``: each partial derivative's cost. ``statuses``:
        the rows given one (the others derive theirs from their numbers)."""
        self.points = points
        self.columns = dict(columns)
        self.loss = loss
        self.numerical = dict(numerical)
        self.evaluations = evaluations
        self.given_statuses = dict(statuses)
        self.analytic = None if analytic is None else dict(analytic)

    def _row(self, index: int) -> GradientRow:
        import numpy as np

        analytic = self.analytic
        return GradientRow(
            self.points[index],
            {name: float(column[index]) for name, column in self.numerical.items()},
            None if analytic is None else {n: float(c[index]) for n, c in analytic.items()},
            self.evaluations * len(self.numerical),
            float(self.loss[index]),
            partial_evaluations={name: np.full((), self.evaluations) for name in self.numerical},
            status=self.given_statuses.get(index, ""),
        )

    @property
    def statuses(self) -> list[str]:
        """Every row's status, as each row settles it."""
        import numpy as np

        finite = np.logical_and.reduce([np.isfinite(v) for v in self.numerical.values()])
        return settled_statuses(finite, self.given_statuses)

    def numbers(self) -> dict[str, Array]:
        """The number columns of the flat rows, float64 (masked: no value): ``value``,
        ``numerical.NAME`` and ``analytic.NAME`` per variable, ``norm``, ``analytic_norm``
        and ``max_abs_error`` (each as the rows compute it)."""
        import numpy as np

        found: dict[str, Array] = {"value": self.loss}
        found.update({f"numerical.{name}": v for name, v in self.numerical.items()})
        found["norm"] = np.array([_norm(items) for items in _by_row(self.numerical)])
        if self.analytic is None:
            return found
        found.update(
            {
                f"analytic.{name}": np.ma.MaskedArray(v, np.isnan(v))
                for name, v in self.analytic.items()
            }
        )
        norms = np.array([_norm(items) for items in _by_row(self.analytic)])
        found["analytic_norm"] = np.ma.MaskedArray(norms, np.isnan(norms))
        with np.errstate(all="ignore"):
            errors = [np.abs(self.numerical[name] - v) for name, v in self.analytic.items()]
        largest = np.fmax.reduce(errors)  # NaN only where every error is
        found["max_abs_error"] = np.ma.MaskedArray(largest, np.isnan(largest))
        return found


def _by_row(columns: Mapping[str, Array]) -> Iterable[tuple[float, ...]]:
    """The columns' numbers one row at a time, as Python floats."""
    return zip(*(column.tolist() for column in columns.values()))


def _euclidean(values: dict[str, Array]) -> float:
    import numpy as np

    return _norm([float(item) for value in values.values() for item in np.ravel(value)])


def _norm(items: Sequence[float]) -> float:
    """Euclidean norm of Python floats (a correctly rounded sum of squares)."""
    largest = max(map(abs, items), default=0.0)
    if 0 < largest < math.inf and not _SQUARABLE[0] <= largest <= _SQUARABLE[1]:
        # a square would overflow (1e300 ** 2 raises) or vanish: scale by the largest first
        # (an exactly-zero gradient has nothing to scale: its norm is the plain sum's 0.0)
        return largest * math.sqrt(math.fsum((item / largest) ** 2 for item in items))
    return math.sqrt(math.fsum(item**2 for item in items))


#: Magnitudes whose squares (and sums of up to 1e16 of them) are normal doubles.
_SQUARABLE = (1e-140, 1e140)


@dataclass(frozen=True)
class GradientReport:
    """The answer of ``diffcli grad``: the gradient at one or more points."""

    expression: str
    variables: tuple[str, ...]
    method: str
    #: The quotients' step; for ``five-point`` the step used, for ``richardson`` the largest
    #: step if one was given; None where the method chose its own steps.
    step: float | None
    #: Each coordinate's analytic partial derivative as text (at the first point's shapes);
    #: None for a formula too large to print (``gradients.MAX_FORMULA_NODES``).
    partials: dict[str, str | None] | None
    analytic: Analytic
    results: Sequence[GradientRow]
    warnings: tuple[str, ...] = field(default=())
    #: The expression whose value is the predicted scores: the first argument of a loss
    #: function (``cross_entropy``, ``mean_squared_error``) called at the top, else None.
    predicted: str | None = None

    @property
    def statuses(self) -> tuple[str, ...]:
        if isinstance(self.results, GradientRows):
            return tuple(self.results.statuses)
        return tuple(row.status for row in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variables": list(self.variables),
            "method": self.method,
            "step": self.step,
            "analytic_status": self.analytic.status,
            "analytic_source": self.analytic.source,
            "partial_derivatives": self.partials,
            "predicted_expression": self.predicted,
            "results": [row.as_dict() for row in self.results],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class HessianRow:
    """The Hessian at one point: an n×n matrix over the coordinates named by ``labels``.

    ``analytic`` holds NaN where SymPy gives no real number, and is None when the analytic
    side did not run.
    """

    at: Point
    labels: tuple[str, ...]
    numerical: Array
    analytic: Array | None
    evaluations: int
    #: Each entry's estimated absolute error (adaptive methods); None for central differences.
    error_estimate: Array | None = None
    #: Coordinates where f has a kink: their rows and columns are NaN (no second derivative).
    kinks: tuple[str, ...] = ()
    #: One of ``ROW_STATUSES``; derived when not given: ``not-finite`` if an entry is (other
    #: than in a kink's row or column), else ``kink`` if there is one, else ``ok``.
    status: str = ""

    def __post_init__(self) -> None:
        _settle_status(self, self.failed, bool(self.kinks))

    @property
    def failed(self) -> bool:
        """An entry is not finite, other than in the row or column of a kink."""
        import numpy as np

        at_kink = np.array([label in self.kinks for label in self.labels])
        reported = at_kink[:, np.newaxis] | at_kink[np.newaxis, :]
        return not bool(np.all(np.isfinite(self.numerical) | reported))

    @property
    def abs_error(self) -> Array | None:
        import numpy as np

        if self.analytic is None:
            return None
        return np.abs(self.numerical - self.analytic)

    @property
    def max_abs_error(self) -> float | None:
        """The largest ``|numerical - analytic|`` over entries with an analytic value."""
        import numpy as np

        errors = self.abs_error
        if errors is None or np.all(np.isnan(errors)):
            return None
        return float(np.nanmax(errors))

    @property
    def max_error_estimate(self) -> float | None:
        """The largest entry of ``error_estimate`` (NaN ones ignored), or None."""
        import numpy as np

        if self.error_estimate is None or np.all(np.isnan(self.error_estimate)):
            return None
        return float(np.nanmax(self.error_estimate))

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": point_as_json(self.at),
            "coordinates": list(self.labels),
            "numerical": _listed(self.numerical),
            "analytic": None if self.analytic is None else _listed(self.analytic, True),
            "max_abs_error": self.max_abs_error,
            # only for the adaptive methods: central differences estimate no error
            **(
                {}
                if self.error_estimate is None
                else {
                    "error_estimate": _listed(self.error_estimate),
                    "max_error_estimate": self.max_error_estimate,
                }
            ),
            "evaluations": self.evaluations,
            "status": self.status,
        }


class HessianRows(ColumnRows[HessianRow]):
    """The central Hessians at many points of scalar variables, held as arrays (``hessian``'s
    batched path): indexing makes the ``HessianRow`` a point-by-point run makes; the output
    layer reads the arrays (``numbers``) without making rows."""

    def __init__(
        self,
        points: Sequence[Point],
        columns: Mapping[str, Array],
        labels: tuple[str, ...],
        numerical: Array,
        evaluations: int,
        statuses: Mapping[int, str],
        analytic: Array | None = None,
    ) -> None:
        """``columns``: each variable's value at every point; ``numerical`` and ``analytic``
        (NaN: no real number): one matrix per point, shape ``(points, n, n)``; ``statuses``:
        the rows given one (the others derive theirs from their numbers)."""
        self.points = points
        self.columns = dict(columns)
        self.labels = labels
        self.numerical = numerical
        self.evaluations = evaluations
        self.given_statuses = dict(statuses)
        self.analytic = analytic

    def _row(self, index: int) -> HessianRow:
        return HessianRow(
            self.points[index],
            self.labels,
            self.numerical[index],
            None if self.analytic is None else self.analytic[index],
            self.evaluations,
            status=self.given_statuses.get(index, ""),
        )

    @property
    def statuses(self) -> list[str]:
        """Every row's status, as each row settles it."""
        import numpy as np

        finite = np.isfinite(self.numerical).all(axis=(1, 2))
        return settled_statuses(finite, self.given_statuses)

    def numbers(self) -> dict[str, Array]:
        """The number columns of the flat rows, float64 (masked: no value):
        ``numerical.A.B`` and ``analytic.A.B`` per entry (row A, column B) and
        ``max_abs_error`` (as the rows compute it)."""
        import numpy as np

        found: dict[str, Array] = {}
        pairs = [(i, a, j, b) for i, a in enumerate(self.labels) for j, b in enumerate(self.labels)]
        for i, first, j, second in pairs:
            found[f"numerical.{first}.{second}"] = self.numerical[:, i, j]
        if self.analytic is None:
            return found
        for i, first, j, second in pairs:
            entry = self.analytic[:, i, j]
            found[f"analytic.{first}.{second}"] = np.ma.MaskedArray(entry, np.isnan(entry))
        with np.errstate(all="ignore"):
            errors = np.abs(self.numerical - self.analytic).reshape(len(self), -1)
        largest = np.fmax.reduce(errors, axis=1)  # NaN only where every error is
        found["max_abs_error"] = np.ma.MaskedArray(largest, np.isnan(largest))
        return found


@dataclass(frozen=True)
class HessianReport:
    """The answer of ``diffcli hessian``: second derivatives at one or more points."""

    expression: str
    variables: tuple[str, ...]
    #: The central differences' step; None for the adaptive methods (they choose their own).
    step: float | None
    analytic: Analytic
    results: Sequence[HessianRow]
    warnings: tuple[str, ...] = field(default=())
    #: ``central``, ``richardson`` or ``auto``.
    method: str = "central"

    @property
    def statuses(self) -> tuple[str, ...]:
        if isinstance(self.results, HessianRows):
            return tuple(self.results.statuses)
        return tuple(row.status for row in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variables": list(self.variables),
            "method": self.method,
            "step": self.step,
            "analytic_status": self.analytic.status,
            "analytic_source": self.analytic.source,
            "results": [row.as_dict() for row in self.results],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class GraphNode:
    """One node of the computational graph: its operation, forward value and adjoint."""

    index: int
    #: The index of the node that uses this one's value (None for the result).
    parent: int | None
    depth: int
    #: ``+``, ``@``, ``softmax``, ``sum(axis=0)``, ``neg``, a number, a variable's name …
    operation: str
    #: The sub-expression as typed.
    text: str
    #: The variable a leaf reads (``x`` for ``x`` and ``x[0]``), else None.
    variable: str | None
    value: Array
    #: ∂f/∂node from the backward pass; None where none is needed (a literal exponent).
    adjoint: Array | None
    #: ``ok``, or ``not-finite`` where the value or the adjoint is NaN or infinite.
    status: str = ""

    def __post_init__(self) -> None:
        import numpy as np

        values = [self.value] if self.adjoint is None else [self.value, self.adjoint]
        failed = not all(np.all(np.isfinite(value)) for value in values)
        _settle_status(self, failed)

    def as_dict(self) -> dict[str, Any]:
        import numpy as np

        return {
            "index": self.index,
            "parent": self.parent,
            "operation": self.operation,
            "text": self.text,
            "variable": self.variable,
            "shape": list(np.shape(self.value)),
            "value": _listed(np.asarray(self.value)),
            "adjoint": None if self.adjoint is None else _listed(np.asarray(self.adjoint)),
            "status": self.status,
        }


@dataclass(frozen=True)
class GraphReport:
    """The answer of ``diffcli graph``: the expression's computational graph at one point,
    each node with the forward value and the adjoint the engine computed."""

    #: A NaN adjoint (sqrt at 0) is part of what the graph shows, not a failure.
    failing_statuses: ClassVar[frozenset[str]] = frozenset()

    expression: str
    at: Point
    nodes: tuple[GraphNode, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(node.status for node in self.nodes)

    def as_dict(self) -> dict[str, Any]:
        import numpy as np

        return {
            "expression": self.expression,
            "at": point_as_json(self.at),
            "value": _listed(np.asarray(self.nodes[0].value)),
            "nodes": [node.as_dict() for node in self.nodes],
            "warnings": list(self.warnings),
        }
