"""∂L/∂W of a one-layer network against an independent NumPy implementation, primer style."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from diffcli.compiling import compile_expression
from diffcli.errors import EvaluationError, InputError
from diffcli.numerics import gradient
from diffcli.parsing import parse
from diffcli.tensors import TensorGradientOptions, analytic_gradient, tensor_gradient

# --- the primer's network, written out independently of diffcli -----------------------------


def softmax(a: Any) -> Any:
    c = np.max(a)
    exp_a = np.exp(a - c)
    return exp_a / np.sum(exp_a)


def cross_entropy_error(y: Any, t: Any) -> Any:
    delta = 1e-7
    return -np.sum(t * np.log(y + delta))


def numerical_gradient(f: Callable[[Any], Any], x: Any) -> Any:
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


class SimpleNet:
    """The primer's one-layer network: z = x·W, y = softmax(z), L = cross_entropy(y, t)."""

    def __init__(self, W: Any) -> None:
        self.W = np.array(W, dtype=np.float64)

    def predict(self, x: Any) -> Any:
        return np.dot(x, self.W)

    def loss(self, x: Any, t: Any) -> Any:
        z = self.predict(x)
        y = softmax(z)
        return cross_entropy_error(y, t)


def closed_form_gradient(W: Any, x: Any, t: Any) -> Any:
    """∂L/∂W = outer(x, y - t) for one-hot t (ignoring the 1e-7 of the loss)."""
    return np.outer(x, softmax(np.dot(x, W)) - t)


# --------------------------------------------------------------------------------------------

X = np.array([0.6, 0.9])
T = np.array([0.0, 0.0, 1.0])
NETWORK = parse("cross_entropy(softmax(x @ W), t)")
WEIGHTS = [
    [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
    # the weights printed in the primer's example run of simpleNet
    [[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]],
    np.random.default_rng(4).normal(size=(2, 3)).tolist(),
    [[-3.0, 2.5, 0.0], [1.5, -0.5, 4.0]],
]


@pytest.mark.parametrize("weights", WEIGHTS)
def test_network_gradient_matches_the_primers_loop(weights: list[list[float]]) -> None:
    net = SimpleNet(weights)
    expected = numerical_gradient(lambda W: net.loss(X, T), net.W)
    report = tensor_gradient(NETWORK, {"W": np.array(weights), "x": X, "t": T}, ["W"])
    (dW,) = report.gradients
    assert dW.name == "W"
    assert dW.numerical.shape == (2, 3)
    assert np.max(np.abs(dW.numerical - expected)) < 1e-6
    assert report.loss == pytest.approx(float(net.loss(X, T)), abs=1e-15)
    assert report.analytic.status == "ok"
    assert dW.analytic.shape == (2, 3)
    assert dW.max_abs_error is not None and dW.max_abs_error < 1e-7
    assert np.max(np.abs(dW.analytic - expected)) < 1e-6
    # the delta 1e-7 inside the log moves the exact gradient by less than 1e-6 here
    assert np.max(np.abs(dW.analytic - closed_form_gradient(net.W, X, T))) < 1e-6


def test_primer_weights_give_the_gradient_the_primer_prints() -> None:
    # The primer prints W, L and dW rounded to 8 digits; W's rounding moves dW by ~1e-7.
    report = tensor_gradient(NETWORK, {"W": np.array(WEIGHTS[1]), "x": X, "t": T}, ["W"])
    (dW,) = report.gradients
    printed = [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]]
    assert np.max(np.abs(dW.numerical - np.array(printed))) < 5e-7
    assert report.loss == pytest.approx(0.92806853663411326, abs=1e-6)


def test_batched_numerical_gradient_is_the_loop_to_the_last_bit() -> None:
    # Every perturbed W goes through one batched x @ W: (1, 2) against (12, 2, 3).
    weights = np.array(WEIGHTS[0])
    net = SimpleNet(weights)
    expected = numerical_gradient(lambda W: net.loss(X, T), net.W)
    compiled = compile_expression(NETWORK, {"W": (2, 3), "x": (2,), "t": (3,)})
    found = gradient(compiled, {"W": weights, "x": X, "t": T}, ("W",))
    assert found["W"].tolist() == expected.tolist()


def test_gradient_by_several_tensors_and_a_batch_of_rows() -> None:
    rows = np.array([[0.6, 0.9], [1.0, -0.5], [0.0, 2.0]])
    targets = np.eye(3)
    weights = np.array(WEIGHTS[0])
    expression = parse("cross_entropy(softmax(x @ W + b), t) / 3")
    bias = np.array([0.1, -0.2, 0.05])
    point = {"W": weights, "b": bias, "x": rows, "t": targets}
    report = tensor_gradient(expression, point, ["W", "b"])
    dW, db = report.gradients

    def loss(W: Any, b: Any) -> Any:
        z = rows @ W + b
        y = np.exp(z - z.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        return -np.sum(targets * np.log(y + 1e-7)) / 3

    assert np.max(np.abs(dW.numerical - numerical_gradient(lambda W: loss(W, bias), weights))) < (
        1e-10
    )
    assert np.max(np.abs(db.numerical - numerical_gradient(lambda b: loss(weights, b), bias))) < (
        1e-10
    )
    assert dW.max_abs_error is not None and dW.max_abs_error < 1e-7
    assert db.max_abs_error is not None and db.max_abs_error < 1e-7


def test_mean_squared_error_network_and_a_rank_3_tensor() -> None:
    sigmoid_net = parse("mean_squared_error(sigmoid(x @ W), t)")
    report = tensor_gradient(sigmoid_net, {"W": np.array(WEIGHTS[2]), "x": X, "t": T}, ["W"])
    (dW,) = report.gradients
    y = 1 / (1 + np.exp(-(X @ np.array(WEIGHTS[2]))))
    assert np.max(np.abs(dW.analytic - np.outer(X, (y - T) * y * (1 - y)))) < 1e-14
    assert dW.max_abs_error is not None and dW.max_abs_error < 1e-7

    cube = np.arange(1.0, 9.0).reshape(2, 2, 2)
    report = tensor_gradient(parse("sum(A * A) / 2"), {"A": cube})
    (dA,) = report.gradients
    assert dA.analytic.tolist() == cube.tolist()
    assert np.max(np.abs(dA.numerical - cube)) < 1e-9
    assert report.as_dict()["gradients"]["A"]["shape"] == [2, 2, 2]


def test_softmax_network_with_large_scores_stays_finite() -> None:
    weights = np.array([[1000.0, 0.0, -1000.0], [500.0, 0.0, 0.0]])
    report = tensor_gradient(NETWORK, {"W": weights, "x": X, "t": T}, ["W"])
    (dW,) = report.gradients
    assert np.all(np.isfinite(dW.numerical))
    # softmax is [1, 0, 0] to double precision: L = -log(1e-7) and dL/dW is 0 everywhere
    assert report.loss == pytest.approx(-np.log(1e-7), rel=1e-12)
    assert np.max(np.abs(dW.numerical)) < 1e-9
    assert report.analytic.status == "ok"
    assert np.max(np.abs(dW.analytic)) < 1e-9


def test_report_as_json() -> None:
    report = tensor_gradient(NETWORK, {"W": np.array(WEIGHTS[0]), "x": X, "t": T}, ["W"])
    data = report.as_dict()
    assert list(data) == [
        "expression",
        "at",
        "loss",
        "method",
        "step",
        "analytic_status",
        "gradients",
        "warnings",
    ]
    assert data["loss"] == report.loss
    assert data["at"]["t"] == [0.0, 0.0, 1.0]
    gradient_data = data["gradients"]["W"]
    assert gradient_data["shape"] == [2, 3]
    assert gradient_data["numerical"] == report.gradients[0].numerical.tolist()
    assert np.array(gradient_data["analytic"]).shape == (2, 3)
    assert gradient_data["max_abs_error"] < 1e-7
    assert data["warnings"] == []


def test_no_analytic_and_timeout() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    skipped = tensor_gradient(NETWORK, point, ["W"], TensorGradientOptions(analytic=False))
    assert skipped.analytic.status == "skipped"
    assert skipped.gradients[0].analytic is None
    assert skipped.as_dict()["gradients"]["W"]["analytic"] is None
    assert skipped.gradients[0].max_abs_error is None
    # A 6×6 network takes SymPy about half a second: far past a 0.01 s limit.
    rng = np.random.default_rng(6)
    large = {"W": rng.normal(size=(6, 6)), "x": rng.normal(size=6), "t": np.eye(6)[2]}
    late = tensor_gradient(NETWORK, large, ["W"], TensorGradientOptions(analytic_timeout=0.01))
    assert late.analytic.status == "timed out"
    assert late.warnings == ("no analytic gradient: SymPy took longer than 0.01 s",)
    assert late.gradients[0].numerical.shape == (6, 6)


def test_forward_method_and_step() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    options = TensorGradientOptions(method="forward", step=1e-6, analytic=False)
    (dW,) = tensor_gradient(NETWORK, point, ["W"], options).gradients
    net = SimpleNet(WEIGHTS[0])
    base = net.loss(X, T)
    W = net.W.copy()
    W[1, 2] += 1e-6
    assert dW.numerical[1, 2] == (SimpleNet(W).loss(X, T) - base) / 1e-6


def test_analytic_gradient_with_a_non_real_entry_is_nan() -> None:
    values = analytic_gradient(parse("sum(sqrt(v))"), {"v": np.array([4.0, -1.0])}, ["v"])
    assert values["v"][0] == 0.25
    assert np.isnan(values["v"][1])


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([], "nothing to differentiate by: give at least one variable"),
        (
            ["V"],
            "cannot differentiate by 'V': not a variable of the expression "
            "(its variables: W, t, x)",
        ),
        (["W", "W"], "W named more than once"),
    ],
)
def test_bad_names(names: list[str], message: str) -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    with pytest.raises(InputError) as raised:
        tensor_gradient(NETWORK, point, names)
    assert raised.value.message == message


def test_loss_must_be_a_number_and_finite() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X}
    with pytest.raises(InputError, match=r"the expression's value has shape \(3,\)"):
        tensor_gradient(parse("softmax(x @ W)"), point, ["W"])
    with pytest.raises(EvaluationError, match="cannot evaluate sum"):
        tensor_gradient(parse("sum(log(x @ W - 10))"), point, ["W"])
    with pytest.raises(InputError, match="--h must be a positive number, got -1"):
        tensor_gradient(NETWORK, {**point, "t": T}, ["W"], TensorGradientOptions(step=-1.0))
