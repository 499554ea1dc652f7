"""Vector functions sum, prod, mean, dot, norm; element-wise functions on vectors; indexing."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse

X = np.array([1.5, -2.0, 3.25])
Y = np.array([0.5, 4.0, -1.0])
W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("sum(x)", lambda x, y, w: np.sum(x)),
        ("prod(x)", lambda x, y, w: np.prod(x)),
        ("mean(x)", lambda x, y, w: np.mean(x)),
        ("dot(x, y)", lambda x, y, w: np.sum(x * y)),
        ("norm(x)", lambda x, y, w: np.sqrt(np.sum(x * x))),
        ("norm(W)", lambda x, y, w: np.sqrt(np.sum(w * w))),
        ("sum(norm(W, axis=1))", lambda x, y, w: np.sum(np.sqrt(np.sum(w * w, axis=1)))),
        ("sum(prod(W, axis=0))", lambda x, y, w: np.sum(np.prod(w, axis=0))),
        ("sum(mean(W, axis=1) * mean(W, axis=-1))", lambda x, y, w: np.sum(np.mean(w, 1) ** 2)),
        ("sum(sin(x) * exp(y))", lambda x, y, w: np.sum(np.sin(x) * np.exp(y))),
        ("norm(x[0])", lambda x, y, w: abs(x[0])),
        ("mean(x[1])", lambda x, y, w: x[1]),
    ],
)
def test_values_equal_numpy(text: str, reference: Any) -> None:
    expression = parse(text)
    shapes = {"x": (3,), "y": (3,), "W": (2, 3)}
    compiled = compile_expression(expression, {name: shapes[name] for name in expression.variables})
    values = {"x": X, "y": Y, "W": W}
    result = compiled({name: values[name] for name in expression.variables})
    assert result.shape == ()
    assert float(result) == float(reference(X, Y, W))


def test_batched_and_single_evaluation_agree() -> None:
    expression = parse("dot(x, y) + norm(x) * prod(y) / mean(x)")
    compiled = compile_expression(expression, {"x": (3,), "y": (3,)})
    rows = np.random.default_rng(1).uniform(1, 2, (5, 3))
    batched = compiled.evaluate_batch({"x": rows, "y": Y[np.newaxis, :]})
    single = [float(compiled({"x": row, "y": Y})) for row in rows]
    assert list(batched) == single


@pytest.mark.parametrize(
    ("text", "at", "analytic"),
    [
        ("prod(x)", "x=[1,2,3]", {"x": [6.0, 3.0, 2.0]}),
        ("mean(x)", "x=[1,2,4]", {"x": [1 / 3, 1 / 3, 1 / 3]}),
        ("dot(x, y)", "x=[1,2],y=[5,7]", {"x": [5.0, 7.0], "y": [1.0, 2.0]}),
        ("norm(x)", "x=[3,4]", {"x": [0.6, 0.8]}),
        ("sum(exp(x))", "x=[0,1]", {"x": [1.0, float(np.exp(1.0))]}),
    ],
)
def test_analytic_gradients(run: Any, text: str, at: str, analytic: dict[str, Any]) -> None:
    document = json.loads(run("grad", text, "--at", at, "-f", "json").stdout)
    (result,) = document["results"]
    assert result["analytic"] == analytic
    for name, values in analytic.items():
        assert np.allclose(result["numerical"][name], values, rtol=1e-9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dot(x, y)", "dot(x, y): the vectors have lengths 3 and 2"),
        (
            "dot(x, y[0])",
            "dot(x, y[0]): needs two vectors, got shapes (3,) and ()",
        ),
        ("dot(x)", "dot() takes 2 arguments, got 1"),
        ("norm(x, axis=1)", "norm(x, axis=1): axis 1 is out of range for shape (3,)"),
        ("x[3]", "index 3 is out of range for x of length 3"),
    ],
)
def test_shape_errors_name_both_numbers(run: Any, text: str, message: str) -> None:
    at = "x=[1,2,3],y=[1,2]" if "y" in text else "x=[1,2,3]"
    outcome = run("grad", text, "--at", at, expect=2)
    first_line = outcome.stderr.splitlines()[0]
    assert first_line.startswith("error: ") and message in first_line
