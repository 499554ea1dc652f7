"""The primer's printed numbers, reproduced exactly (compared as ``repr`` of the float)."""

from __future__ import annotations

import json

import pytest

from bench.primer import function_1

SEED_DERIVATIVES = [
    (["0.01*x**2+0.1*x", "--at", "5"], "0.1999999999990898"),
    (["0.01*x**2+0.1*x", "--at", "10"], "0.2999999999986347"),
    (["x0*x0 + 4.0**2.0", "--at", "3.0"], "6.00000000000378"),
    (["3.0**2.0 + x1*x1", "--at", "4.0"], "7.999999999999119"),
    (["x0**2 + x1**2", "--wrt", "x0", "--at", "x0=3,x1=4"], "6.00000000000378"),
    (["x0**2 + x1**2", "--wrt", "x1", "--at", "3,4"], "7.999999999999119"),
    (["x[0]**2 + x[1]**2", "--wrt", "x[0]", "--at", "3,4"], "6.00000000000378"),
]


@pytest.mark.parametrize(("args", "expected"), SEED_DERIVATIVES)
def test_seed_central_differences(run, args, expected):
    outcome = run("diff", *args, "--format", "json")
    numerical = json.loads(outcome.stdout)["results"][0]["numerical"]
    assert repr(numerical) == expected


def test_value_format_prints_the_seed_number_alone(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", "--at", "10", "-f", "value")
    assert outcome.stdout == "0.1999999999990898\n0.2999999999986347\n"


def test_caret_is_power(run):
    caret = run("diff", "0.01*x^2+0.1*x", "--at", "5", "-f", "value").stdout
    assert caret == "0.1999999999990898\n"


def test_seed_analytic_derivative(run):
    report = json.loads(run("diff", "0.01*x**2+0.1*x", "--at", "5", "-f", "json").stdout)
    assert report["derivative"] == "0.02*x + 0.1"
    assert report["results"][0]["analytic"] == 0.2


def test_tiny_step_fails_as_the_seed_explains(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "forward", "--h", "1e-50")
    assert outcome.stdout.splitlines()[-1].split()[:3] == ["x=5", "0.0", "0.2"]
    assert "vanished in rounding" in outcome.stderr
    assert "x + h == x" in outcome.stderr
    value = run(
        "diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "forward", "--h", "1e-50", "-f", "value"
    )
    assert value.stdout == "0.0\n"


def test_forward_difference_matches_the_textbook_formula(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "forward", "-f", "value")
    f = function_1
    assert outcome.stdout == f"{(f(5 + 1e-4) - f(5)) / 1e-4!r}\n"


def test_backward_difference_matches_the_textbook_formula(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "backward", "-f", "value")
    f = function_1
    assert outcome.stdout == f"{(f(5) - f(5 - 1e-4)) / 1e-4!r}\n"
