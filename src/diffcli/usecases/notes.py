"""Warnings about many coordinates or points at once (diff, grad, hessian)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.coordinates import Array, Coordinate
from ..engine.estimate import Estimate
from ..engine.quotients import TRUSTED_RELATIVE_ERROR
from ..expr.points import Point, format_point, format_scalar, shortened

#: Coordinates named in one warning before "and N more".
_NAMED_IN_WARNING = 5


#: Warnings about single points printed before the rest are only counted.
MAX_POINT_WARNINGS = 10


def capped(
    warnings: Sequence[str], limit: int = MAX_POINT_WARNINGS, total: int | None = None
) -> list[str]:
    """The first ``limit`` warnings and one line counting the rest: a range of a million
    points must not print a line per point (each row keeps its status). ``total``: how many
    warnings there are, where only the first ``limit`` were written."""
    count = len(warnings) if total is None else total
    if count <= limit:
        return list(warnings)
    rest = count - limit
    return [*warnings[:limit], f"{rest} more warning{'s' if rest > 1 else ''}{_REST}"]


#: How ``capped``'s line counting the warnings it leaves out ends.
_REST = " like these at other points: each row's status says which (see -f csv or -f json)"


def about_one_point(warning: str) -> bool:
    """Whether a warning of ``capped``'s list is about one point (``at x=…``) or counts such
    warnings, rather than about the command as a whole."""
    return warning.startswith("at ") or warning.endswith(_REST)


class EstimateNotes:
    """What the estimators said about each coordinate (or Hessian entry), as warnings."""

    def __init__(self) -> None:
        self.kinks: list[str] = []
        self.kink_values: dict[str, tuple[float, float]] = {}
        self.one_sided: list[str] = []
        self.complex_rejected: list[str] = []
        self.not_finite: list[str] = []
        self.untrusted: list[str] = []
        self.untrusted_reasons: dict[str, None] = {}

    def add(self, label: str, result: Estimate) -> None:
        if not result.trusted:
            self.untrusted.append(label)
            self.untrusted_reasons[untrusted_reason(result)] = None
        if result.is_kink:
            self.kinks.append(f"{label} (left {result.left!r}, right {result.right!r})")
            self.kink_values[label] = (float(result.left or 0.0), float(result.right or 0.0))
        elif not math.isfinite(result.value):
            self.not_finite.append(label)
        if result.complex_rejected:
            self.complex_rejected.append(label)
        side = result.technique.removeprefix("Richardson (").removesuffix(")")
        if side in {"forward", "backward"}:
            self.one_sided.append(label)

    def warnings(self, point: Point, method: str) -> list[str]:
        where = short_point(point)
        found = []
        if self.kinks:
            found.append(
                f"at {where} the left and right derivatives differ (not differentiable) "
                f"for {listing(self.kinks)}"
            )
        if self.not_finite:
            found.append(
                f"at {where} the {method} estimate is not finite for "
                f"{listing(self.not_finite)}: the expression is not finite near the point"
            )
        if self.complex_rejected:
            found.append(
                f"at {where} the complex step disagreed with Richardson extrapolation (a "
                f"branch point?) for {listing(self.complex_rejected)}; auto used Richardson"
            )
        if self.untrusted:
            found.append(
                untrusted_values_warning(where, method, self.untrusted, self.untrusted_reasons)
            )
        if self.one_sided:
            found.append(
                f"at {where} the function is defined on one side only for "
                f"{listing(self.one_sided)}: {method} used one-sided differences"
            )
        return found


def untrusted_reason(result: Estimate) -> str:
    """Why ``result`` is not ``trusted``, in words; where it was measured against a reference
    (``engine/reference.py``), what that reference says the derivative is."""
    reason = _own_reason(result.own())
    if result.reference is None:
        return reason
    return (
        f"f correctly rounded gives {result.reference!r} (± {result.reference_error:.1g}), "
        f"{abs(result.value - result.reference):.2g} away (by its own evidence: {reason})"
    )


def _own_reason(result: Estimate) -> str:
    """Why ``result`` is not ``trusted`` by its own evidence, in words."""
    if result.digits_lost:
        return (
            f"f's computed value may have lost its digits here ({_bound_size(result)}), and its "
            "complex step with them"
        )
    if result.cancels and replace(result, value_bound=0.0).trusted:
        return cancellation_reason(result)  # (the one reason: the rest of the evidence holds)
    if result.underflow:
        return (
            "f underflows there (an intermediate result falls below the smallest double, "
            "2.2e-308), so its values carry no digits of the derivative"
        )
    if result.noisy:
        return (
            f"f(x) itself carries relative rounding noise ≈ {result.noise:.0e} here (digits "
            "cancel inside the expression), so no difference quotient is reliable"
        )
    if result.step_vanished:
        return "the step vanished in rounding"
    if result.point_lost:
        return (
            "the point vanished against the step (x + h == h), so the quotient is the "
            "derivative near 0, not at x"
        )
    if result.error == math.inf:
        return (
            "it has no error estimate (inf): its steps are too large for f's scale there, or "
            "f is not smooth near the point"
        )
    if not result.error < abs(result.value):
        return (
            f"its error estimate ({result.error:.3g}) is as large as the value (rounding "
            "noise, a step too large for f's scale, or a singularity near the point)"
        )
    return (
        f"its error estimate ({result.error:.3g}) is more than "
        f"{format_scalar(TRUSTED_RELATIVE_ERROR)} of the value"
    )


def untrusted_values_warning(
    where: str, method: str, labels: Sequence[str], reasons: Iterable[str], better: str = ""
) -> str:
    """The warning for the values of several coordinates that are not ``trusted``."""
    return (
        f"at {where} the {method} values of {listing(labels)} cannot be trusted: "
        f"{'; '.join(reasons)}{better}"
    )


def cancellation_reason(result: Estimate) -> str:
    """Why a value that f's a-priori rounding bound can move too far is not trusted."""
    steps = f"step {format_scalar(result.step)}" if result.step is not None else "its steps"
    return (
        f"f's value loses digits to cancellation here ({_bound_size(result)}); no "
        f"difference quotient with {steps} is reliable"
    )


def _bound_size(result: Estimate) -> str:
    """f's a-priori rounding bound, in words: against f, or absolute where f is 0."""
    if math.isfinite(result.value_loss):
        return f"a rounding bound of ≈ {result.value_loss:.0e} of f"
    return f"a rounding bound of ≈ {result.value_bound:.0e}, and f is computed as 0"


def untrusted_warning(where: str, method: str, result: Estimate, better: str = "") -> str:
    """The warning for a value that is not ``trusted``; ``better`` suggests what to do."""
    return (
        f"at {where} the {method} estimate {result.value!r} cannot be trusted: "
        f"{untrusted_reason(result)}{better}"
    )


def kink_notes(kinks: Mapping[str, Estimate]) -> EstimateNotes:
    """Notes on the kinks ``kinks.batched_kinks`` found."""
    notes = EstimateNotes()
    for label, kink in kinks.items():
        notes.add(label, kink)
    return notes


def step_warnings(point: Point, names: tuple[str, ...], side: str, step: float) -> list[str]:
    """Where ``x ± step == x`` for a stencil of that ``side`` (``forward`` moves up only,
    ``backward`` down only, ``central`` both): the quotient there carries no information."""
    vanished = []
    for name in names:
        value = np.asarray(point[name], dtype=np.float64)
        lost = np.zeros(value.shape, dtype=bool)
        if side != "backward":
            lost |= value + step == value
        if side != "forward":
            lost |= value - step == value
        vanished += labels(name, lost)
    if not vanished:
        return []
    return [
        f"at {short_point(point)} the step h={format_scalar(step)} vanished in rounding for "
        f"{listing(vanished)}; those differences carry no information: use a larger --h"
    ]


#: A step more than this many times a coordinate's scale ``max(1, |x|)`` samples the function
#: so far from the point that the quotient says nothing about its derivative there.
LARGE_STEP_RATIO = 1e6


def step_too_large(step: float, x: Array) -> Array:
    """Where ``step`` exceeds ``LARGE_STEP_RATIO`` times the scale ``max(1, |x|)``."""
    return np.asarray(step / LARGE_STEP_RATIO > np.maximum(1.0, np.abs(x)))


def large_step_warning(where: str, step: float, labels: Sequence[str]) -> str:
    return (
        f"at {where} the step h={format_scalar(step)} is more than "
        f"{format_scalar(LARGE_STEP_RATIO)} times the scale max(1, |x|) of {listing(labels)}: "
        "the quotient samples f too far from the point to be its derivative; use a smaller --h"
    )


def large_step_warnings(point: Point, names: tuple[str, ...], step: float) -> list[str]:
    """Where the step is far larger than the coordinates (``step_too_large``)."""
    large = [
        label
        for name in names
        for label in labels(name, step_too_large(step, np.asarray(point[name], dtype=np.float64)))
    ]
    return [large_step_warning(short_point(point), step, large)] if large else []


def non_finite_warnings(
    point: Point, numerical: Mapping[str, Array], kinks: Mapping[str, Any]
) -> list[str]:
    bad = [
        label
        for name, value in numerical.items()
        for label in labels(name, ~np.isfinite(value))
        if label not in kinks
    ]
    if not bad:
        return []
    return [
        f"at {short_point(point)} the difference is not finite for {listing(bad)}: "
        "the expression is not finite within h of the point"
    ]


def labels(name: str, flags: Array) -> list[str]:
    """Labels of the coordinates of variable ``name`` where ``flags`` is true."""
    if flags.ndim == 0:
        return [name] if bool(flags) else []
    return [Coordinate(name, tuple(int(i) for i in index)).label for index in np.argwhere(flags)]


def listing(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:_NAMED_IN_WARNING])
    if len(labels) > _NAMED_IN_WARNING:
        shown += f" and {len(labels) - _NAMED_IN_WARNING} more"
    return shown


def short_point(point: Point) -> str:
    return shortened(format_point(point))
