"""Tensor values on the command line: ranks 1 to 3, their errors, and ``--set`` constants."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from diffcli.cli import flag
from diffcli.errors import InputError
from diffcli.expr.inputs import read_constants, read_points
from diffcli.expr.parsing import parse
from diffcli.expr.points import read_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.5", np.array(2.5)),
        ("[1,2,3]", np.array([1.0, 2.0, 3.0])),
        ("[[1,2,3],[4,5,6]]", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        ("[[[1,2],[3,4]],[[5,6],[7,8]]]", np.arange(1.0, 9.0).reshape(2, 2, 2)),
        (" [ pi/4 , -1e-3 ] ", np.array([np.pi / 4, -0.001])),
    ],
)
def test_values_of_rank_0_to_3(text: str, expected: Any) -> None:
    value = read_value(text, "--set")
    assert value.dtype == np.float64
    assert value.shape == expected.shape
    assert np.array_equal(value, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[[[1]]]]", "--set '[[[[1]]]]': lists nest at most 3 deep"),
        ("[[1,2],[3]]", "--set '[[1,2],[3]]': the rows of '[[1,2],[3]]' have different lengths"),
        ("[1,[2]]", "--set '[1,[2]]': the rows of '[1,[2]]' have different lengths"),
        ("[]", "--set '[]': empty list"),
        ("[a]", "--set '[a]': 'a' is not a number (it names a)"),
        ("[1e999]", "--set '[1e999]': '1e999' overflows a double (the largest is 1.8e+308)"),
        ("[1,2", "--set '[1,2': cannot read the list '[1,2'"),
    ],
)
def test_bad_values_are_named(text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        read_value(text, "--set")
    assert raised.value.message == message


NETWORK = parse("cross_entropy(softmax(x @ W), t)")


def test_read_constants_binds_named_values_and_points_take_the_rest() -> None:
    constants = read_constants(NETWORK, ["x=[0.6,0.9]", "t=[0,0,1]"])
    assert list(constants) == ["x", "t"]
    assert constants["t"].tolist() == [0.0, 0.0, 1.0]
    (point,) = read_points(NETWORK, ["[[0.1,0.2,0.3],[0.4,0.5,0.6]]"], constants)
    assert list(point) == ["W", "t", "x"]
    assert point["W"].shape == (2, 3)
    assert point["x"].tolist() == [0.6, 0.9]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["x=[1,2]", "x=[3,4]"], "--set 'x=[3,4]': x is already set"),
        (["q=1"], "--set 'q=1': unknown variable 'q' (the expression's variables: W, t, x)"),
        (["[1,2]"], "--set '[1,2]': write NAME=VALUE, e.g. --set t=[0,0,1]"),
        (["x="], "--set 'x=': '' is not a number"),
    ],
)
def test_read_constants_errors(texts: list[str], message: str) -> None:
    with pytest.raises(InputError) as raised:
        read_constants(NETWORK, texts)
    assert raised.value.render(flag) == message  # the command line's spelling
    assert raised.value.message == message.replace("--set", "constants")  # the API's


W_TEXT = "W=[[0.1,0.2,0.3],[0.4,0.5,0.6]]"
NETWORK_ARGS = ("cross_entropy(softmax(x @ W), t)", "--set", "x=[0.6,0.9]", "--set", "t=[0,0,1]")


def test_diff_with_set_differentiates_one_weight(run: Any) -> None:
    result = run("diff", *NETWORK_ARGS, "--at", W_TEXT, "--wrt", "W[0,0]", "-f", "json")
    data = json.loads(result.stdout)
    (row,) = data["results"]
    assert row["at"] == {
        "W": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
        "t": [0.0, 0.0, 1.0],
        "x": [0.6, 0.9],
    }
    assert row["numerical"] == 0.17085771319480525
    assert row["analytic"] == pytest.approx(0.17085771316387666, abs=1e-15)


def test_diff_without_wrt_names_the_only_free_tensor(run: Any) -> None:
    result = run("diff", *NETWORK_ARGS, "--at", W_TEXT, expect=2)
    assert result.stderr == (
        "error: W is a tensor of shape (2,3): choose an element with --wrt, e.g. --wrt W[0,0]\n"
    )


def test_diff_set_values_cannot_be_differentiated_or_given_twice(run: Any) -> None:
    result = run("diff", *NETWORK_ARGS, "--at", W_TEXT, "--wrt", "x[0]", expect=2)
    assert result.stderr == (
        "error: --wrt 'x[0]': x is held fixed by --set; differentiate by --at\n"
    )
    result = run("diff", *NETWORK_ARGS, "--at", W_TEXT + ",x=[1,2]", "--wrt", "W[0,0]", expect=2)
    assert result.stderr == (f"error: --at '{W_TEXT},x=[1,2]': x is already given by --set\n")


def test_positional_at_binds_the_variable_not_set(run: Any) -> None:
    result = run(
        "diff", "sum(x*W)", "--set", "x=[1,2]", "--at", "3,4", "--wrt", "W[1]", "-f", "value"
    )
    assert result.stdout == "1.9999999999953388\n"


def test_rank_3_tensor_through_diff(run: Any) -> None:
    result = run(
        "diff", "sum(A*A*c)", "--at", "A=[[[1,2],[3,4]],[[5,6],[7,8]]]", "--set", "c=0.5",
        "--wrt", "A[1,0,1]", "-f", "json",
    )  # fmt: skip
    (row,) = json.loads(result.stdout)["results"]
    assert row["analytic"] == 6.0
    assert row["numerical"] == pytest.approx(6.0, abs=1e-9)
