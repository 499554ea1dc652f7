"""The options of every use case: frozen keyword-only dataclasses, each validating itself.

Every rule about an option lives here, so the Python API and the command line refuse the same
values with the same message; messages name the API's parameter (``h``), which the command line
spells as its flag (``--h``, see ``errors.param``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .catalog import ANALYTIC_ENGINES, DEFAULT_STEP, DEFAULT_TIMEOUT, OPTIMIZERS, PLOT_KINDS
from .errors import InputError, param

if TYPE_CHECKING:  # intervals needs NumPy; its type alone is needed here
    from .expr.intervals import Interval

#: The highest derivative ``order`` accepts.
MAX_ORDER = 6
#: The gradient ``descend`` follows.
GRADIENTS = ("numerical", "analytic", "ad")
#: Past this many coordinates ``auto`` goes straight to AD: SymPy's formulas grow with them
#: (a 10×10 network's ∂L/∂W takes SymPy 3.3 s, a 784×10 one past any limit).
AUTO_SYMPY_COORDINATES = 100
#: ``tol`` of ``descend(compare=True)`` when none is given.
COMPARE_TOL = 1e-6


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def check_positive(name: str, value: float) -> None:
    """Raise InputError unless ``value`` is a finite number above 0."""
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{param(name)} must be a positive number, got {_number(value)}")


#: The largest step, an eighth of the largest double: the widest stencil (a sixth
#: derivative's, one-sided or Richardson's) reaches x ± 6h, which must stay a double.
MAX_STEP = sys.float_info.max / 8


def check_step(value: float) -> None:
    """Raise InputError unless ``value`` is a positive step whose stencils stay doubles."""
    check_positive("h", value)
    if value > MAX_STEP:
        raise InputError(
            f"{param('h')} must be at most {MAX_STEP:.2g}, an eighth of the largest double: "
            f"the widest stencil reaches x ± 6h, got {_number(value)}"
        )


#: The longest finite time limit, in seconds (about 31 years): a thread's wait takes no more
#: than ``threading.TIMEOUT_MAX`` (9.2e9 s here), and inf already means "no limit".
MAX_TIMEOUT = 1e9


def check_timeout(seconds: float) -> None:
    """Raise InputError for a time limit that is negative, NaN or finite past ``MAX_TIMEOUT``
    (0 and inf mean none)."""
    if not seconds >= 0:
        raise InputError(f"{param('analytic_timeout')} must be 0 or more seconds, got {seconds!r}")
    if MAX_TIMEOUT < seconds < math.inf:
        raise InputError(
            f"{param('analytic_timeout')} must be at most {MAX_TIMEOUT:g} seconds "
            f"(inf or 0: no limit), got {seconds:g}"
        )


def check_analytic(analytic: bool | str) -> None:
    """Raise InputError unless ``analytic`` is True, False or one of ``ANALYTIC_ENGINES``."""
    if isinstance(analytic, bool) or analytic in ANALYTIC_ENGINES:
        return
    raise InputError(
        f"unknown {param('analytic')} {analytic!r}; choose from {', '.join(ANALYTIC_ENGINES)}"
    )


class AnalyticChoice:
    """The ``analytic`` option's meaning, shared by every command's options.

    ``analytic`` is True (``auto``), False (no analytic side) or one of
    ``catalog.ANALYTIC_ENGINES``: ``sympy`` (formulas, within the time limit), ``ad``
    (automatic differentiation on the tree: exact in floating point, never imports SymPy),
    ``auto`` (SymPy, and AD where SymPy has no answer: timed out, failed, or more
    coordinates than ``AUTO_SYMPY_COORDINATES``).
    """

    analytic: bool | str

    @property
    def engine(self) -> str | None:
        """``sympy``, ``ad`` or ``auto``; None when the analytic side is off."""
        if self.analytic is False:
            return None
        return "auto" if self.analytic is True else str(self.analytic)

    def sympy_first(self, coordinates: int) -> bool:
        """Whether SymPy is asked (AD answers where it has none, with ``auto``)."""
        engine = self.engine
        return engine == "sympy" or (engine == "auto" and coordinates <= AUTO_SYMPY_COORDINATES)


def check_method(method: str, methods: tuple[str, ...], extra: tuple[str, ...] = ()) -> None:
    """Raise InputError for a method that is not one of ``methods`` (or ``extra``)."""
    if method not in (*methods, *extra):
        choices = ", ".join(methods) + (f" or {', '.join(extra)}" if extra else "")
        raise InputError(f"unknown {param('method')} {method!r}; choose from {choices}")


def _own_steps(method: str) -> InputError:
    return InputError(
        f"{param('h')} does not apply to {param('method')} {method}, which chooses its own steps"
    )


@dataclass(frozen=True, kw_only=True)
class DiffOptions(AnalyticChoice):
    """How ``derivative`` differentiates (``diffcli diff``).

    Attributes:
        wrt: the coordinate to differentiate by (``x``, ``x[1]``, ``W[0,2]``); None: the only
            variable not held fixed.
        method: a method of the registry, or ``all`` for one row each.
        h: the step of a fixed-step quotient, the largest step of ``richardson``, the imaginary
            step of ``complex``; None: each method's own default (1e-4 for first derivatives).
        order: which derivative, 1 to ``MAX_ORDER``.
        analytic: the exact derivative beside the numerical one: ``auto`` (True), ``sympy``,
            ``ad`` (see ``ANALYTIC_ENGINES``), or False for none.
        analytic_timeout: seconds SymPy may take (0 or inf: no limit).
        constants: variables held fixed (``--set``): never chosen, never named by ``wrt``.
    """

    wrt: str | None = None
    method: str = "central"
    h: float | None = None
    order: int = 1
    analytic: bool | str = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    constants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from .engine import registry

        check_method(self.method, registry.names("diff"), ("all",))
        if self.h is not None:
            check_step(self.h)
            if self.method != "all" and not registry.method(self.method).takes_step:
                raise _own_steps(self.method)
        if not 1 <= self.order <= MAX_ORDER:
            raise InputError(
                f"{param('order')} must be between 1 and {MAX_ORDER}, got {self.order}"
            )
        check_analytic(self.analytic)
        check_timeout(self.analytic_timeout)


@dataclass(frozen=True, kw_only=True)
class GradOptions(AnalyticChoice):
    """How ``gradient`` differentiates (``diffcli grad``).

    Attributes:
        method: a method of the registry; ``forward``, ``backward`` and ``central`` are batched
            over every coordinate (the primer's loop), the others go coordinate by coordinate.
        h: the step of the quotients (None: 1e-4), the largest step of ``richardson`` or the
            imaginary step of ``complex``; ``auto`` takes none.
        wrt: the variables to differentiate by (None: every variable not held fixed); the
            others are held fixed, and SymPy gets their values before it differentiates.
        show: extra expressions, as typed, whose values are reported at each point.
        analytic: the exact gradient beside the numerical one: ``auto`` (True), ``sympy``,
            ``ad`` (see ``ANALYTIC_ENGINES``), or False for none.
        analytic_timeout: seconds SymPy may take (0 or inf: no limit).
    """

    method: str = "central"
    h: float | None = None
    wrt: tuple[str, ...] | None = None
    show: tuple[str, ...] = ()
    analytic: bool | str = True
    analytic_timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        from .engine import registry

        methods = registry.names("grad")
        if self.method == "all":
            raise InputError(
                f"{param('method')} all is diff's side-by-side view of one derivative "
                f"(diffcli diff EXPR --wrt NAME --method all); grad takes one method: "
                + ", ".join(methods)
            )
        check_method(self.method, methods)
        if self.h is not None:
            if not registry.method(self.method).takes_step:
                raise _own_steps(self.method)
            check_step(self.h)
        check_analytic(self.analytic)
        check_timeout(self.analytic_timeout)


@dataclass(frozen=True, kw_only=True)
class HessianOptions(AnalyticChoice):
    """How ``hessian`` differentiates twice (``diffcli hessian``).

    Attributes:
        method: ``central`` (second and mixed central differences with step ``h``), or an
            adaptive method of the registry that serves the Hessian (every entry with an error
            estimate, its own steps).
        h: the step of ``central`` (None: 1e-4); refused with the adaptive methods.
        wrt: the variables to differentiate by (None: every variable not held fixed).
        analytic: the exact Hessian beside the numerical one: ``auto`` (True), ``sympy``,
            ``ad`` (see ``ANALYTIC_ENGINES``), or False for none.
        analytic_timeout: seconds SymPy may take (0 or inf: no limit).
    """

    method: str = "central"
    h: float | None = None
    wrt: tuple[str, ...] | None = None
    analytic: bool | str = True
    analytic_timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        from .engine import registry

        check_method(self.method, registry.names("hessian"))
        if self.h is not None:
            if not registry.method(self.method).batched:  # the adaptive ones choose steps
                raise _own_steps(self.method)
            check_step(self.h)
        check_analytic(self.analytic)
        check_timeout(self.analytic_timeout)

    @property
    def step(self) -> float:
        """The step of the central second differences."""
        return DEFAULT_STEP if self.h is None else self.h


@dataclass(frozen=True, kw_only=True)
class SweepOptions(AnalyticChoice):
    """How ``sweep`` runs the step from 1e-1 to 1e-16 (``diffcli sweep``).

    Attributes:
        wrt: the coordinate to differentiate by; None: the only variable not held fixed.
        analytic: the exact derivative as the reference (``auto``/True, ``sympy`` or ``ad``;
            False: the ``auto`` method's estimate).
        analytic_timeout: seconds SymPy may take (0 or inf: no limit).
        constants: variables held fixed: never chosen, never named by ``wrt``.
    """

    wrt: str | None = None
    analytic: bool | str = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    constants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_analytic(self.analytic)
        check_timeout(self.analytic_timeout)


@dataclass(frozen=True, kw_only=True)
class DescentOptions(AnalyticChoice):
    """How ``descend`` minimises (``diffcli descend``).

    Attributes:
        optimizer: one of ``catalog.OPTIMIZERS``; None: ``sgd``, the primer's x ← x − lr ∇f
            (and, with ``compare``, every optimizer).
        lr: the learning rate, above 0.
        steps: the most updates to make (0: only evaluate the start).
        tol: stop when |∇f| falls below this; None: never (``COMPARE_TOL`` with ``compare``).
        momentum, beta1, beta2, rho: the optimizers' decay rates, each in [0, 1).
        eps: ε of adagrad, rmsprop and adam, above 0.
        grad: ``numerical`` (central differences with step ``h``), ``analytic`` (SymPy's) or
            ``ad`` (reverse-mode automatic differentiation: no SymPy).
        h: the step of the numerical gradient.
        trace: record every ``trace``-th step in the report (None: none).
        compare: run every optimizer from the same start with the same budget.
        path: keep every iterate in the report (``path``, for a plot of the run).
        on_step: called with every step's record as it is made (the command line's
            ``--history`` and progress bar); not with ``compare``.
        analytic: find SymPy's stationary points beside the run.
        analytic_timeout: seconds SymPy may take (0 or inf: no limit).
    """

    optimizer: str | None = None
    lr: float = 0.01
    steps: int = 100
    tol: float | None = None
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.99
    eps: float = 1e-8
    grad: str = "numerical"
    h: float = DEFAULT_STEP
    trace: int | None = None
    compare: bool = False
    path: bool = False
    on_step: Callable[[Any], None] | None = field(default=None, compare=False, repr=False)
    analytic: bool | str = True
    analytic_timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if self.compare:
            given = [
                param(name)
                for name, value in (
                    ("optimizer", self.optimizer),
                    ("trace", self.trace),
                    ("on_step", self.on_step),
                )
                if value is not None
            ]
            if given:
                raise InputError(
                    f"{param('compare')} runs every optimizer once: drop {', '.join(given)}"
                )
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise InputError(
                f"unknown {param('optimizer')} {self.optimizer!r}; "
                f"choose from {', '.join(OPTIMIZERS)}"
            )
        if self.grad not in GRADIENTS:
            raise InputError(
                f"unknown {param('grad')} {self.grad!r}; choose from {', '.join(GRADIENTS)}"
            )
        for name in ("lr", "eps"):
            check_positive(name, getattr(self, name))
        check_step(self.h)
        if self.tol is not None and not (math.isfinite(self.tol) and self.tol >= 0):
            raise InputError(f"{param('tol')} must be 0 or more, got {_number(self.tol)}")
        if self.steps < 0:
            raise InputError(f"{param('steps')} must be 0 or more, got {self.steps}")
        if self.trace is not None and self.trace < 1:
            raise InputError(f"{param('trace')} must be 1 or more, got {self.trace}")
        for name in ("momentum", "beta1", "beta2", "rho"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise InputError(f"{param(name)} must be in [0, 1), got {_number(value)}")
        if self.grad == "analytic" and self.engine is None:
            raise InputError(f"{param('grad')} analytic needs SymPy: drop {param('analytic')}")
        if self.grad == "analytic" and self.engine == "ad":
            raise InputError(
                f"{param('grad')} analytic is SymPy's gradient, and the analytic side is set "
                f"to ad (no SymPy): use {param('grad')} ad"
            )
        check_analytic(self.analytic)
        check_timeout(self.analytic_timeout)

    @property
    def rule(self) -> str:
        """The update rule of a single run."""
        return self.optimizer or "sgd"

    @property
    def tolerance(self) -> float:
        """The gradient norm that ends a run (0: never)."""
        if self.tol is not None:
            return self.tol
        return COMPARE_TOL if self.compare else 0.0


@dataclass(frozen=True, kw_only=True)
class PlotOptions:
    """What ``plot`` draws (``diffcli plot``).

    Attributes:
        ranges: each variable's interval; None as the name gives the interval of every
            variable not named (default: ``usecases.plot.DEFAULT_RANGE``, moved to 0…10 or
            -10…0 for one variable where f is undefined on the other side of 0).
        kind: for two variables, one of ``catalog.PLOT_KINDS`` (None: ``contour``); one
            variable is always drawn as a curve.
    """

    ranges: tuple[Interval, ...] = ()
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in PLOT_KINDS:
            raise InputError(
                f"unknown {param('kind')} {self.kind!r}; choose from {', '.join(PLOT_KINDS)}"
            )
        for name, start, stop in self.ranges:
            if not (math.isfinite(start) and math.isfinite(stop) and start < stop):
                where = "" if name is None else f" of {name}"
                raise InputError(
                    f"{param('range')}{where} must go from a finite start to a larger finite "
                    f"stop, got {_number(start)}:{_number(stop)}"
                )
        names = [name for name, _, _ in self.ranges]
        repeated = sorted({name or "every variable" for name in names if names.count(name) > 1})
        if repeated:
            raise InputError(f"{param('range')} given twice for {', '.join(repeated)}")
