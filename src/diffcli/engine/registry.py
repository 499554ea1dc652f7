"""The differentiation methods: one entry each, free of NumPy so that ``--help`` can list them.

Each entry names the module that implements it; that module is imported only when the method
is used. The module defines ``estimate(function, x, method, order, step, complex_obstacle)``
returning an ``engine.estimate.Estimate``. ``diff``, ``grad``, ``hessian`` and ``sweep``, their
``--method`` choices, help texts, table labels and the convergence tests all read this table.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

#: Every command that takes a differentiation method.
COMMANDS = ("diff", "grad", "hessian", "sweep")


class Method(NamedTuple):
    """One differentiation method and what the commands need to know about it.

    A named tuple, not a dataclass: ``--help`` imports this module, and a tuple class is
    built faster.
    """

    name: str
    #: Power of h of the leading error term (fixed-step methods); None for adaptive methods,
    #: whose error is estimated, not predicted.
    accuracy: int | None
    #: The method has a step the user may set with ``--h``.
    takes_step: bool
    #: How the method estimates the error of its value (one line).
    error_estimate: str
    #: One line for ``--method``'s help.
    help: str
    #: The method's name in a table heading.
    label: str
    #: The commands that offer it.
    commands: frozenset[str]
    #: The module that implements it (imported on first use).
    module: str
    #: The stencil of a fixed-step method: ``forward``, ``backward`` or ``central``
    #: (symmetric); None for other methods.
    side: str | None = None
    #: ``grad`` takes every partial derivative in one batched pass, as the primer's loop does
    #: (no error estimate); otherwise coordinate by coordinate, each with an error estimate.
    batched: bool = False
    #: ``required``: uses the complex step and refuses an expression it cannot follow;
    #: ``preferred``: uses it where it can, else falls back to Richardson; empty: never.
    complex_step: str = ""
    #: ``diff``'s heading when it says more than ``label`` (how the method chooses).
    diff_label: str = ""

    @property
    def adaptive(self) -> bool:
        """The method chooses its steps and estimates its error from them."""
        return self.accuracy is None

    def heading(self, command: str) -> str:
        """The method's name in ``command``'s table heading."""
        if command == "diff" and self.diff_label:
            return self.diff_label
        if command == "hessian" and self.adaptive:
            return f"{self.label}, entry by entry"
        return self.label

    def implementation(self) -> Any:
        """The implementing module (it has an ``estimate`` function)."""
        return importlib.import_module(self.module)


_FIXED_STEP = "diffcli.engine.methods.fixed_step"
_TRUNCATION = "|D(h) - D(h/2)| / (1 - 2**-p) plus the rounding bound"

_BATCHED = "batched difference quotients (the primer's, no error estimate)"
_PER_COORDINATE = "coordinate by coordinate, each with an error estimate (as in diff)"

_METHODS: dict[str, Method] = {}


def register(method: Method) -> None:
    """Add a method (its name must be new); every command listed in ``commands`` offers it."""
    if method.name in _METHODS or method.name == "all":
        raise ValueError(f"a method named {method.name!r} is already registered")
    unknown = method.commands - set(COMMANDS)
    if unknown:
        raise ValueError(f"unknown commands {sorted(unknown)}")
    _METHODS[method.name] = method


def unregister(name: str) -> None:
    """Remove a method added by ``register``."""
    del _METHODS[name]


def heading(name: str, command: str) -> str:
    """A method's name in ``command``'s table heading; an unregistered name as it is."""
    entry = _METHODS.get(name)
    return name if entry is None else entry.heading(command)


def method(name: str) -> Method:
    """The registered method called ``name``.

    Raises:
        KeyError: no such method.
    """
    return _METHODS[name]


def names(command: str) -> tuple[str, ...]:
    """The methods ``command`` offers, in registration order."""
    return tuple(name for name, entry in _METHODS.items() if command in entry.commands)


def batched() -> tuple[str, ...]:
    """The methods ``grad`` takes in one batched pass: the primer's difference quotients."""
    return tuple(name for name, entry in _METHODS.items() if entry.batched)


def fixed_step_methods() -> tuple[Method, ...]:
    """Every method with a fixed accuracy order (the convergence tests' subjects)."""
    return tuple(entry for entry in _METHODS.values() if not entry.adaptive)


def help_text(command: str) -> str:
    """``--method``'s help for ``command``: methods with the same help are named together."""
    groups: dict[str, list[str]] = {}
    for name in names(command):
        entry = _METHODS[name]
        summary = entry.help
        if command == "grad":  # how grad takes it matters more than the formula
            summary = _BATCHED if entry.batched else _PER_COORDINATE
        groups.setdefault(summary, []).append(name)
    return "; ".join(f"{'/'.join(group)}: {summary}" for summary, group in groups.items())


for _entry in (
    Method(
        "forward",
        1,
        True,
        _TRUNCATION,
        "fixed step",
        "forward difference",
        frozenset({"diff", "grad", "sweep"}),
        _FIXED_STEP,
        side="forward",
        batched=True,
    ),
    Method(
        "backward",
        1,
        True,
        _TRUNCATION,
        "fixed step",
        "backward difference",
        frozenset({"diff", "grad"}),
        _FIXED_STEP,
        side="backward",
        batched=True,
    ),
    Method(
        "central",
        2,
        True,
        _TRUNCATION,
        "fixed step",
        "central difference",
        frozenset(COMMANDS),
        _FIXED_STEP,
        side="central",
        batched=True,
    ),
    Method(
        "five-point",
        4,
        True,
        _TRUNCATION,
        "fixed step",
        "five-point stencil",
        frozenset({"diff", "grad"}),
        _FIXED_STEP,
        side="central",
    ),
    Method(
        "richardson",
        None,
        True,
        "spread of neighbouring extrapolations plus the rounding noise",
        "adaptive extrapolation",
        "Richardson extrapolation",
        frozenset({"diff", "grad", "hessian"}),
        "diffcli.engine.methods.richardson",
        diff_label="Richardson extrapolation (adaptive steps)",
    ),
    Method(
        "complex",
        None,
        True,
        "scatter of Im f(x + ih)/h over a few steps",
        "complex step",
        "complex step",
        frozenset({"diff", "grad"}),
        "diffcli.engine.methods.complex_step",
        complex_step="required",
    ),
    Method(
        "auto",
        None,
        False,
        "Richardson's, which checks the complex step",
        "the most accurate",
        "auto (complex step where analytic, else Richardson)",
        frozenset({"diff", "grad", "hessian"}),
        "diffcli.engine.methods.auto",
        complex_step="preferred",
        diff_label="auto (the most accurate method available)",
    ),
):
    register(_entry)
