"""The public Python API: the primer's numbers, every way to give points, parameter errors."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import numpy as np
import pytest

import diffcli
from diffcli import DiffcliError, InputError, api, derivative, descend, gradient, hessian, sweep
from diffcli.results import SweepsReport
from tests.conftest import invoke


def test_the_docstring_examples_run() -> None:
    outcome = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0
    assert outcome.attempted >= 8


def test_the_issue_examples_exactly() -> None:
    r = derivative("0.01*x**2+0.1*x", at=5)
    assert (r.results[0].numerical, r.results[0].analytic, r.results[0].status) == (
        0.1999999999990898,
        0.2,
        "ok",
    )
    assert repr(gradient("x0**2 + x1**2", at=[3, 4]).results[0].numerical) == (
        "{'x0': 6.00000000000378, 'x1': 7.999999999999119}"
    )
    final = descend("x0**2 + x1**2", start=[-3, 4], lr=0.1, steps=100).final.at
    assert repr(final) == "{'x0': -6.111107928998789e-10, 'x1': 8.148143905314271e-10}"


@pytest.mark.parametrize(
    "at",
    [
        [3, 4],
        (3.0, 4.0),
        np.array([3.0, 4.0]),
        {"x0": 3, "x1": 4},
        {"x0": np.float64(3), "x1": np.array(4.0)},
        "3,4",
        "x0=3,x1=4",
        [{"x0": 3, "x1": 4}],
        ["x0=3,x1=4"],
    ],
    ids=repr,
)
def test_every_way_to_give_one_point(at: object) -> None:
    (row,) = gradient("x0**2 + x1**2", at=at).results
    assert row.numerical == {"x0": 6.00000000000378, "x1": 7.999999999999119}


def test_several_points_are_a_list_of_mappings() -> None:
    report = derivative("0.01*x**2+0.1*x", at=[{"x": 5}, {"x": 10}])
    assert [row.numerical for row in report.results] == [0.1999999999990898, 0.2999999999986347]
    assert [row.at["x"] for row in report.results] == [5.0, 10.0]


def test_a_tensor_as_nested_lists_or_an_array_and_constants_as_a_mapping() -> None:
    weights = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    loss = "cross_entropy(softmax(x @ W), t)"
    held = {"x": [0.6, 0.9], "t": [0, 0, 1]}
    by_lists = gradient(loss, at={"W": weights}, constants=held, analytic=False)
    by_array = gradient(loss, at={"W": np.array(weights)}, constants=held, analytic=False)
    (row,) = by_lists.results
    assert list(row.numerical) == ["W"]
    assert np.array_equal(row.numerical["W"], by_array.results[0].numerical["W"])
    held_text = ["--set", "x=[0.6,0.9]", "--set", "t=[0,0,1]"]
    cli = invoke(["grad", loss, "--at", f"W={weights}", *held_text, "--no-analytic", "-f", "json"])
    assert json.loads(cli.stdout)["results"][0]["numerical"]["W"] == row.numerical["W"].tolist()


def test_a_parsed_expression_is_accepted() -> None:
    expression = diffcli.parse("x**3")
    assert derivative(expression, at=2, method="complex").results[0].numerical == 12.0


@pytest.mark.parametrize(
    ("call", "message", "command", "flag_message"),
    [
        (
            lambda: derivative("x**2", at=1, h=0),
            "h must be a positive number, got 0",
            ["diff", "x**2", "--at", "1", "--h", "0"],
            "--h must be a positive number, got 0",
        ),
        (
            lambda: hessian("x0**2*x1", at=[1, 2], method="richardson", h=0.3),
            "h does not apply to method richardson, which chooses its own steps",
            ["hessian", "x0**2*x1", "--at", "1,2", "--method", "richardson", "--h", "0.3"],
            "--h does not apply to --method richardson, which chooses its own steps",
        ),
        (
            lambda: derivative("x**2", at=1, order=7),
            "order must be between 1 and 6, got 7",
            ["diff", "x**2", "--at", "1", "--order", "7"],
            "--order must be between 1 and 6, got 7",
        ),
        (
            lambda: descend("x**2", start=1, compare=True, optimizer="adam"),
            "compare runs every optimizer once: drop optimizer",
            ["descend", "x**2", "--from", "1", "--compare", "--optimizer", "adam"],
            "--compare runs every optimizer once: drop --optimizer",
        ),
        (
            lambda: descend("x**2", start=1, lr=-1),
            "lr must be a positive number, got -1",
            ["descend", "x**2", "--from", "1", "--lr", "-1"],
            "--lr must be a positive number, got -1",
        ),
        (
            lambda: gradient("x*y", at=[1, 2], constants={"y": 2}, wrt=["y"]),
            "wrt 'y': y is held fixed by constants; differentiate by at",
            ["grad", "x*y", "--at", "1", "--set", "y=2", "--wrt", "y"],
            "--wrt 'y': y is held fixed by --set; differentiate by --at",
        ),
    ],
)
def test_the_api_and_the_command_line_refuse_alike(
    call: object, message: str, command: list[str], flag_message: str
) -> None:
    with pytest.raises(InputError) as raised:
        call()  # type: ignore[operator]
    assert str(raised.value) == message
    outcome = invoke(command)
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr == f"error: {flag_message}\n"


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ({"x": float("nan")}, """at "{'x': nan}": nan is not a finite number"""),
        ({"x": "3"}, """at "{'x': '3'}": '3' is not a number or a list of numbers"""),
        ({"y": 3}, """at "{'y': 3}": unknown variable 'y' (the expression's variables: x)"""),
        ({"x": [[[[1.0]]]]}, """at "{'x': [[[...]]]}": lists nest at most 3 deep"""),
        (
            {"x": [1, [2]]},
            """at "{'x': [1, [2]]}": [1, [2]] is not a number or a list of numbers""",
        ),
        ([], "at: no points given"),
    ],
)
def test_bad_points_name_the_parameter(at: object, message: str) -> None:
    with pytest.raises(DiffcliError) as raised:
        derivative("x**2", at=at)
    assert str(raised.value) == message


def test_sweep_at_several_points_gives_a_sweep_of_each() -> None:
    report = sweep("x**2", at=[{"x": 1}, {"x": 2}])
    assert isinstance(report, SweepsReport)
    assert [swept.reference for swept in report.sweeps] == [2.0, 4.0]


def test_import_diffcli_imports_nothing_heavy() -> None:
    script = (
        "import sys, diffcli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numpy', 'sympy', 'rich', 'click', 'matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout == "[]\n", out.stderr
