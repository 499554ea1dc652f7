"""Kinks made by functions smooth but at isolated points (sqrt, norm, fractional powers):
reported as kinks, never as a reassuring 0, and no false alarm at smooth points."""

from __future__ import annotations

import json

import numpy as np
import pytest

import diffcli
from diffcli.engine.kinks import kink_at, kink_suspected, kink_suspects
from diffcli.expr.parsing import parse


def test_sqrt_of_a_square_at_0_is_a_kink_not_sympys_sign(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("diff", "sqrt(x**2)", "--at", "0", "-f", "json")
    data = json.loads(outcome.stdout)
    assert data["derivative"] == "sign(x)"
    (row,) = data["results"]
    assert (row["numerical"], row["analytic"], row["status"]) == (None, None, "kink")
    assert (row["left"], row["right"]) == (-1.0, 1.0)
    assert outcome.stderr == (
        "warning: sqrt(x**2) is not differentiable at x=0: "
        "the left derivative is -1.0, the right derivative is 1.0\n"
    )


def test_the_norm_at_the_origin_is_a_kink_in_every_coordinate(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("grad", "norm(x)", "--at", "x=[0,0]", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert row["status"] == "kink"
    assert row["numerical"] == {"x": [None, None]}
    assert row["analytic"] == {"x": [None, None]}
    assert row["kinks"] == {
        "x[0]": {"left": -1.0, "right": 1.0},
        "x[1]": {"left": -1.0, "right": 1.0},
    }
    assert "left and right derivatives differ (not differentiable) for x[0]" in outcome.stderr


@pytest.mark.parametrize(
    ("command", "at"),
    [
        (["grad", "sqrt(x**2 + y**2)"], "x=0,y=0"),  # batched across points: left to the check
        (["hessian", "sqrt(x**2 + y**2)"], "x=0,y=0"),
        (["diff", "sqrt(x**2)"], "-1:1:0.5"),  # a range: the kink among batched points
    ],
)
def test_batched_paths_find_the_kink(run, command, at) -> None:  # type: ignore[no-untyped-def]
    outcome = run(*command, "--at", at, "-f", "csv")
    statuses = [line.rsplit(",", 1)[1] for line in outcome.stdout.splitlines()[1:]]
    assert "kink" in statuses
    assert "not differentiable" in outcome.stderr


@pytest.mark.parametrize(
    ("expression", "at", "function"),
    [
        ("sqrt(x**2 + 1)", 0.0, lambda x: np.sqrt(x**2 + 1)),
        ("x**2", 0.0, lambda x: x**2),
        ("abs(x)**1.5", 0.0, lambda x: np.abs(x) ** 1.5),
        ("sqrt(x**2)", 1.0, lambda x: np.sqrt(x**2)),
        ("sqrt(x)", 4.0, np.sqrt),
        ("x**2.5", 1.0, lambda x: x**2.5),
    ],
)
def test_no_false_alarm_at_smooth_points(run, expression, at, function) -> None:  # type: ignore[no-untyped-def]
    outcome = run("diff", expression, "--at", repr(at), "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    central = (function(at + 1e-4) - function(at - 1e-4)) / 2e-4  # the primer's quotient
    assert (row["status"], row["numerical"], row["left"]) == ("ok", central, None)
    assert outcome.stderr == ""


def test_smooth_points_keep_the_batched_rows_and_the_primers_numbers() -> None:
    report = diffcli.derivative("sqrt(x)", at="0.5:2:0.5", analytic=False)
    assert type(report.results).__name__ == "DerivativeRows"  # screened, still batched
    for row in report.results:
        x = float(row.at["x"])
        assert row.numerical == (np.sqrt(x + 1e-4) - np.sqrt(x - 1e-4)) / 2e-4


def test_a_gradient_with_a_zero_partial_is_not_a_kink(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("grad", "sqrt(sum(x**2) + 1)", "--at", "x=[0,0]", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert (row["status"], row["numerical"]) == ("ok", {"x": [0.0, 0.0]})


@pytest.mark.parametrize(
    ("expression", "suspects"),
    [
        ("sqrt(x**2) + abs(x)", ["abs", "sqrt"]),
        ("norm(x) + x[0]**0.5", ["norm", "**"]),
        ("x**y", ["**"]),
        ("x**2 + 2**x + x**-3 + e**x", []),
        ("sin(x)*exp(x)", []),
    ],
)
def test_what_can_make_a_kink(expression: str, suspects: list[str]) -> None:
    assert kink_suspects(parse(expression)) == suspects


def test_the_screen_tells_a_jump_in_the_slope_from_curvature() -> None:
    def shifted_abs(x: np.ndarray) -> np.ndarray:
        return np.sqrt(x**2) + 100 * x  # slopes 99 and 101: 2 % apart

    assert kink_suspected(shifted_abs, 0.0)
    kink = kink_at(shifted_abs, 0.0, suspects=["sqrt"])
    assert kink is not None and (kink.left, kink.right) == (99.0, 101.0)
    # curvature: the quotients' gap halves with the step
    assert not kink_suspected(lambda x: 1e6 * x**2, 0.0)
    assert not kink_suspected(np.cos, 0.0)
    assert not kink_suspected(np.sin, np.pi / 2)
    # a side where f is not defined is a domain's edge, for Richardson's one-sided answer
    assert not kink_suspected(np.sqrt, 0.0)
