"""The method registry: a method registered at run time is reachable everywhere; orders hold."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import diffcli
from diffcli.catalog import DEFAULT_STEP
from diffcli.engine import registry
from diffcli.engine.estimate import Estimate
from diffcli.engine.methods.fixed_step import fixed_step
from diffcli.expr.parsing import parse
from diffcli.options import DiffOptions, GradOptions
from diffcli.usecases.diff import differentiate
from diffcli.usecases.grad import gradient_report
from tests.conftest import invoke

#: The toy method's step when none is given.
TOY_STEP = 1e-6


def estimate(
    function: Any,
    x: float,
    method: str,
    order: int,
    step: float | None,
    complex_obstacle: str | None,
) -> Estimate:
    """The toy method's implementation: the two-point quotient ``(f(x+h) - f(x)) / h``."""
    h = TOY_STEP if step is None else step
    upper, centre = np.asarray(function(np.array([x + h, x])), dtype=np.float64)
    return Estimate(float((upper - centre) / h), math.inf, 2, h, method)


TOY = registry.Method(
    "toy",
    1,
    True,
    "none",
    "a two-point toy",
    "toy quotient",
    frozenset({"diff", "grad"}),
    __name__,
)


@pytest.fixture
def toy() -> Iterator[registry.Method]:
    registry.register(TOY)
    yield TOY
    registry.unregister(TOY.name)


def test_toy_method_through_the_api_and_the_use_cases(toy: registry.Method) -> None:
    expected = ((3.0 + TOY_STEP) ** 2 - 3.0**2) / TOY_STEP
    report = differentiate(parse("x**2"), [{"x": 3.0}], DiffOptions(method="toy"))
    assert [(row.method, row.numerical) for row in report.results] == [("toy", expected)]
    assert diffcli.derivative("x**2", at=3, method="toy").results == report.results
    everything = differentiate(parse("x**2"), [{"x": 3.0}], DiffOptions(method="all"))
    assert [row.method for row in everything.results][-1] == "toy"
    # grad gives a method with an accuracy order the primer's step, 1e-4
    gradient = gradient_report(parse("x**2 + y"), [{"x": 3.0, "y": 1.0}], GradOptions(method="toy"))
    assert diffcli.gradient("x**2 + y", at=[3, 1], method="toy").results[0].numerical == (
        gradient.results[0].numerical
    )
    h = DEFAULT_STEP
    assert gradient.results[0].numerical == {
        "x": ((3.0 + h) ** 2 + 1.0 - (3.0**2 + 1.0)) / h,
        "y": (3.0**2 + (1.0 + h) - (3.0**2 + 1.0)) / h,
    }


def test_toy_method_through_the_cli(toy: registry.Method) -> None:
    expected = ((3.0 + TOY_STEP) ** 2 - 3.0**2) / TOY_STEP
    outcome = invoke(["diff", "x**2", "--at", "3", "--method", "toy", "--format", "value"])
    assert (outcome.exit_code, outcome.stdout) == (0, f"{expected!r}\n"), outcome.explain()
    help_text = invoke(["diff", "--help"]).stdout
    assert "[forward|backward|central|five-point|richardson|complex|auto|toy|all]" in help_text
    assert "[forward|backward|central|five-point|richardson|complex|auto|toy]" in (
        invoke(["grad", "--help"]).stdout
    )


def test_unregistered_method_is_refused_again() -> None:
    registry.register(TOY)
    registry.unregister(TOY.name)
    outcome = invoke(["diff", "x**2", "--at", "3", "--method", "toy"])
    assert outcome.exit_code == 2
    assert "'toy' is not one of" in outcome.stderr


def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="'central' is already registered"):
        registry.register(registry.method("central"))
    with pytest.raises(ValueError, match="'all' is already registered"):
        registry.register(registry.Method("all", 1, True, "", "", "", frozenset(), __name__))


def test_each_command_offers_the_methods_it_did() -> None:
    assert registry.names("diff") == (
        "forward",
        "backward",
        "central",
        "five-point",
        "richardson",
        "complex",
        "auto",
    )
    assert registry.names("grad") == registry.names("diff")
    assert registry.names("hessian") == ("central", "richardson", "auto")
    assert registry.names("sweep") == ("forward", "central")
    assert registry.batched() == ("forward", "backward", "central")


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("method", registry.fixed_step_methods(), ids=lambda method: method.name)
def test_convergence_slope_is_the_declared_order(method: registry.Method, order: int) -> None:
    """The log-log slope of the error against the step is the registry's accuracy order.

    The steps stay where truncation dominates rounding: above 100·ε^(1/(p+n)).
    """
    assert method.accuracy is not None
    smallest = 100 * float(np.finfo(np.float64).eps) ** (1 / (method.accuracy + order))
    steps = np.geomspace(min(0.5, 1000 * smallest), smallest, 8)
    exact = math.exp(0.5)  # every derivative of exp
    errors = [abs(fixed_step(np.exp, 0.5, method.name, h, order).value - exact) for h in steps]
    slope = float(np.polyfit(np.log(steps), np.log(errors), 1)[0])
    assert slope == pytest.approx(method.accuracy, abs=0.1)
