"""∂L/∂W through ``gradients.gradient_report``: a one-layer network against independent NumPy."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
import pytest

from bench.primer import numerical_gradient_nditer, simpleNet, softmax
from diffcli.engine.kernel import partials
from diffcli.errors import EvaluationError, InputError
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.results import GradientReport, GradientRow
from diffcli.usecases.grad import GradOptions, gradient_report
from tests.test_grad import squeezed


def closed_form_gradient(W: Any, x: Any, t: Any) -> Any:
    """∂L/∂W = outer(x, y - t) for one-hot t (ignoring the 1e-7 of the loss)."""
    return np.outer(x, softmax(np.dot(x, W)) - t)


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


def by_tensors(
    expression: Any, point: dict[str, Any], wrt: tuple[str, ...] | None, **options: Any
) -> tuple[GradientReport, GradientRow]:
    """The report of one point, differentiated by ``wrt`` (the rest held fixed)."""
    report = gradient_report(expression, [point], GradOptions(wrt=wrt, **options))
    (row,) = report.results
    return report, row


def analytic(row: GradientRow, name: str) -> Any:
    assert row.analytic is not None
    return row.analytic[name]


@pytest.mark.parametrize("weights", WEIGHTS)
def test_network_gradient_matches_the_primers_loop(weights: list[list[float]]) -> None:
    net = simpleNet(weights)
    expected = numerical_gradient_nditer(lambda W: net.loss(X, T), net.W)
    report, row = by_tensors(NETWORK, {"W": np.array(weights), "x": X, "t": T}, ("W",))
    assert report.variables == ("W",)
    assert list(row.numerical) == ["W"]
    dW = row.numerical["W"]
    assert dW.shape == (2, 3)
    assert np.max(np.abs(dW - expected)) < 1e-6
    assert row.loss == pytest.approx(float(net.loss(X, T)), abs=1e-15)
    assert report.analytic.status == "ok"
    assert analytic(row, "W").shape == (2, 3)
    assert row.max_abs_error is not None and row.max_abs_error < 1e-7
    assert np.max(np.abs(analytic(row, "W") - expected)) < 1e-6
    # the delta 1e-7 inside the log moves the exact gradient by less than 1e-6 here
    assert np.max(np.abs(analytic(row, "W") - closed_form_gradient(net.W, X, T))) < 1e-6
    # the prediction is softmax(x @ W), the primer's y
    assert report.predicted == "softmax(x @ W)"
    assert np.max(np.abs(row.predicted - softmax(X @ net.W))) < 1e-15


def test_primer_weights_give_the_gradient_the_primer_prints() -> None:
    # The primer prints W, L and dW rounded to 8 digits; W's rounding moves dW by ~1e-7.
    _, row = by_tensors(NETWORK, {"W": np.array(WEIGHTS[1]), "x": X, "t": T}, ("W",))
    printed = [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]]
    assert np.max(np.abs(row.numerical["W"] - np.array(printed))) < 5e-7
    assert row.loss == pytest.approx(0.92806853663411326, abs=1e-6)


def test_batched_numerical_gradient_is_the_loop_to_the_last_bit() -> None:
    # Every perturbed W goes through one batched x @ W: (1, 2) against (12, 2, 3).
    weights = np.array(WEIGHTS[0])
    net = simpleNet(weights)
    expected = numerical_gradient_nditer(lambda W: net.loss(X, T), net.W)
    compiled = compile_expression(NETWORK, {"W": (2, 3), "x": (2,), "t": (3,)})
    found = partials(compiled, {"W": weights, "x": X, "t": T}, ("W",))
    assert found["W"].tolist() == expected.tolist()
    _, row = by_tensors(NETWORK, {"W": weights, "x": X, "t": T}, ("W",), analytic=False)
    assert row.numerical["W"].tolist() == expected.tolist()


def test_gradient_by_several_tensors_and_a_batch_of_rows() -> None:
    rows = np.array([[0.6, 0.9], [1.0, -0.5], [0.0, 2.0]])
    targets = np.eye(3)
    weights = np.array(WEIGHTS[0])
    expression = parse("cross_entropy(softmax(x @ W + b), t) / 3")
    bias = np.array([0.1, -0.2, 0.05])
    point = {"W": weights, "b": bias, "x": rows, "t": targets}
    report, row = by_tensors(expression, point, ("W", "b"))
    dW, db = row.numerical["W"], row.numerical["b"]

    def loss(W: Any, b: Any) -> Any:
        z = rows @ W + b
        y = np.exp(z - z.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        return -np.sum(targets * np.log(y + 1e-7)) / 3

    assert np.max(np.abs(dW - numerical_gradient_nditer(lambda W: loss(W, bias), weights))) < 1e-10
    assert np.max(np.abs(db - numerical_gradient_nditer(lambda b: loss(weights, b), bias))) < 1e-10
    assert np.max(np.abs(dW - analytic(row, "W"))) < 1e-7
    assert np.max(np.abs(db - analytic(row, "b"))) < 1e-7
    assert row.loss == loss(weights, bias)
    assert report.predicted is None  # a quotient at the top, not a call of a loss function


def test_mean_squared_error_network_and_a_rank_3_tensor() -> None:
    sigmoid_net = parse("mean_squared_error(sigmoid(x @ W), t)")
    report, row = by_tensors(sigmoid_net, {"W": np.array(WEIGHTS[2]), "x": X, "t": T}, ("W",))
    y = 1 / (1 + np.exp(-(X @ np.array(WEIGHTS[2]))))
    assert np.max(np.abs(analytic(row, "W") - np.outer(X, (y - T) * y * (1 - y)))) < 1e-14
    assert row.max_abs_error is not None and row.max_abs_error < 1e-7
    assert report.predicted == "sigmoid(x @ W)"
    assert np.max(np.abs(row.predicted - y)) < 1e-15

    cube = np.arange(1.0, 9.0).reshape(2, 2, 2)
    report, row = by_tensors(parse("sum(A * A) / 2"), {"A": cube}, None)
    assert analytic(row, "A").tolist() == cube.tolist()
    assert np.max(np.abs(row.numerical["A"] - cube)) < 1e-9
    assert np.array(row.as_dict()["numerical"]["A"]).shape == (2, 2, 2)


def test_softmax_network_with_large_scores_stays_finite() -> None:
    weights = np.array([[1000.0, 0.0, -1000.0], [500.0, 0.0, 0.0]])
    report, row = by_tensors(NETWORK, {"W": weights, "x": X, "t": T}, ("W",))
    assert np.all(np.isfinite(row.numerical["W"]))
    # softmax is [1, 0, 0] to double precision: L = -log(1e-7) and dL/dW is 0 everywhere
    assert row.loss == pytest.approx(-np.log(1e-7), rel=1e-12)
    assert np.max(np.abs(row.numerical["W"])) < 1e-9
    assert report.analytic.status == "ok"
    assert np.max(np.abs(analytic(row, "W"))) < 1e-9


def test_report_as_json() -> None:
    report, row = by_tensors(NETWORK, {"W": np.array(WEIGHTS[0]), "x": X, "t": T}, ("W",))
    data = report.as_dict()
    assert data["variables"] == ["W"]
    assert data["predicted_expression"] == "softmax(x @ W)"
    (result,) = data["results"]
    assert list(result) == [
        "at",
        "numerical",
        "analytic",
        "abs_error",
        "max_abs_error",
        "norm",
        "analytic_norm",
        "evaluations",
        "loss",
        "predicted",
        "status",
    ]
    assert result["loss"] == row.loss
    assert result["at"]["t"] == [0.0, 0.0, 1.0]
    assert result["numerical"] == {"W": row.numerical["W"].tolist()}
    assert np.array(result["analytic"]["W"]).shape == (2, 3)
    assert result["max_abs_error"] < 1e-7
    assert result["predicted"] == row.predicted.tolist()
    assert data["warnings"] == []


@pytest.mark.usefixtures("sympy_never_finishes")
def test_no_analytic_and_timeout() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    skipped, row = by_tensors(NETWORK, point, ("W",), analytic=False)
    assert skipped.analytic.status == "skipped"
    assert row.analytic is None
    assert row.as_dict()["analytic"] is None
    assert row.max_abs_error is None
    # SymPy is held back past any limit (the fixture), so this cannot depend on its speed.
    rng = np.random.default_rng(6)
    large = {"W": rng.normal(size=(6, 6)), "x": rng.normal(size=6), "t": np.eye(6)[2]}
    late, row = by_tensors(NETWORK, large, ("W",), analytic="sympy", analytic_timeout=0.01)
    assert late.analytic.status == "timed out"
    assert late.warnings == ("no analytic gradient: SymPy took longer than 0.01 s",)
    assert row.numerical["W"].shape == (6, 6)


def test_forward_method_and_step() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    _, row = by_tensors(NETWORK, point, ("W",), method="forward", h=1e-6, analytic=False)
    net = simpleNet(WEIGHTS[0])
    base = net.loss(X, T)
    W = net.W.copy()
    W[1, 2] += 1e-6
    assert row.numerical["W"][1, 2] == (simpleNet(W).loss(X, T) - base) / 1e-6


def test_held_values_go_into_sympy_before_it_differentiates() -> None:
    # t[0] = t[1] = 0 and x are numbers in the formulas: only W's symbols remain
    report, _ = by_tensors(NETWORK, {"W": np.array(WEIGHTS[0]), "x": X, "t": T}, ("W",))
    assert report.partials is not None
    assert all("x[" not in text and "t[" not in text for text in report.partials.values())
    assert "exp(0.6*W[0,0] + 0.9*W[1,0])" in report.partials["W[0,0]"]


def test_analytic_entry_that_is_not_real_is_nan() -> None:
    # d sqrt(v)/dv at 0 is infinite: NaN in the analytic gradient, null in JSON
    report, row = by_tensors(parse("sum(sqrt(v))"), {"v": np.array([4.0, 0.0])}, None)
    assert analytic(row, "v")[0] == 0.25
    assert np.isnan(analytic(row, "v")[1])
    assert row.as_dict()["analytic"] == {"v": [0.25, None]}
    assert "the analytic derivative is not a real number for v[1]" in " ".join(report.warnings)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ((), "no variable to differentiate by"),
        (
            ("V",),
            "cannot differentiate by V: not a variable of the expression (its variables: W, t, x)",
        ),
        (("W", "W"), "W named more than once"),
    ],
)
def test_bad_names(names: tuple[str, ...], message: str) -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    with pytest.raises(InputError) as raised:
        by_tensors(NETWORK, point, names)
    assert raised.value.message == message


def test_loss_must_be_a_number_and_finite() -> None:
    point = {"W": np.array(WEIGHTS[0]), "x": X}
    with pytest.raises(InputError, match=r"the expression's value has shape \(3,\)"):
        by_tensors(parse("softmax(x @ W)"), point, ("W",))
    with pytest.raises(EvaluationError, match="cannot evaluate sum"):
        by_tensors(parse("sum(log(x @ W - 10))"), point, ("W",))
    with pytest.raises(InputError, match=r"^h must be a positive number, got -1$"):
        by_tensors(NETWORK, {**point, "t": T}, ("W",), h=-1.0)


# --- the network from the command line: diffcli grad ... --at W=... --set x=... --set t=... --

W_TEXT = "W=[[0.1,0.2,0.3],[0.4,0.5,0.6]]"


def contiguous(lines: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` occurs in ``lines`` as consecutive lines."""
    return any(lines[i : i + len(wanted)] == wanted for i in range(len(lines)))


NETWORK_ARGS = (
    "grad",
    "cross_entropy(softmax(x @ W), t)",
    "--at",
    W_TEXT,
    "--set",
    "x=[0.6,0.9]",
    "--set",
    "t=[0,0,1]",
)


def test_the_issue_example_as_json_against_numpy(run: Any) -> None:
    document = json.loads(run(*NETWORK_ARGS, "--format", "json").stdout)
    net = simpleNet(WEIGHTS[0])
    assert document["variables"] == ["W"]
    assert document["predicted_expression"] == "softmax(x @ W)"
    (result,) = document["results"]
    assert result["at"] == {"W": WEIGHTS[0], "t": [0.0, 0.0, 1.0], "x": [0.6, 0.9]}
    assert list(result["numerical"]) == ["W"]  # the values set by --set are not differentiated
    numerical = np.array(result["numerical"]["W"])
    analytic_ = np.array(result["analytic"]["W"])
    assert numerical.shape == analytic_.shape == (2, 3)
    expected = numerical_gradient_nditer(lambda W: net.loss(X, T), net.W)
    assert np.max(np.abs(numerical - expected)) < 1e-6
    assert np.max(np.abs(analytic_ - expected)) < 1e-6
    assert np.max(np.abs(analytic_ - closed_form_gradient(net.W, X, T))) < 1e-6
    assert np.max(np.abs(numerical - analytic_)) < 1e-7
    assert result["max_abs_error"] == np.max(np.abs(numerical - analytic_))
    assert result["loss"] == pytest.approx(float(net.loss(X, T)), abs=1e-15)
    assert np.max(np.abs(np.array(result["predicted"]) - softmax(X @ net.W))) < 1e-15
    assert "shown" not in result
    assert document["warnings"] == []


def primer_gradient(weights: Any) -> Any:
    """The primer's own loop on this machine: the last bits of exp and log vary by CPU."""
    net = simpleNet(weights)
    return numerical_gradient_nditer(lambda W: net.loss(X, T), net.W)


def test_the_issue_example_as_a_table_at_80_columns(run: Any) -> None:
    primer = primer_gradient(WEIGHTS[0])
    norm = json.loads(run(*NETWORK_ARGS, "-f", "json").stdout)["results"][0]["norm"]
    outcome = run(*NETWORK_ARGS)
    assert outcome.stderr == ""
    assert all(len(line) <= 80 for line in outcome.stdout.splitlines())
    assert squeezed(outcome.stdout) == [
        "f = cross_entropy(softmax(x @ W), t)",
        "∂f/∂W[0,0] … W[1,2]: formulas too long for the table (JSON: partial_derivatives)",
        "central difference, h = 0.0001",
        "",
        "at W=[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], t=[0, 0, 1], x=[0.6, 0.9]",
        "loss f = 0.9560980115456158",
        "predicted softmax(x @ W)",
        "[0] [1] [2]",
        "─",
        "0.2847629293549305 0.3308473223841733 0.3843897482608961",
        "∂f/∂W, numerical",
        "W [:,0] [:,1] [:,2]",
        "─",
        *(f"[{i},:] " + " ".join(repr(float(v)) for v in row) for i, row in enumerate(primer)),
        "∂f/∂W, analytic (SymPy)",
        "W [:,0] [:,1] [:,2]",
        "─",
        "[0,:] 0.17085771316387666 0.19850834178803883 -0.3693660549519155",
        "[1,:] 0.256286569745815 0.2977625126820583 -0.5540490824278732",
        "largest abs error: 1.06e-10",
        f"|∇f| = {norm!r} (analytic 0.8162995210017862)",
    ]
    assert norm == pytest.approx(math.sqrt(float(np.sum(primer**2))), rel=1e-15)


def test_a_narrow_terminal_gets_blocks_and_never_a_cut_number(run: Any) -> None:
    primer = primer_gradient(WEIGHTS[0])
    out = run(*NETWORK_ARGS, "--no-analytic", columns=50).stdout
    assert f"∂f/∂W, numerical\nW: [0,:]\n[:,0]: {float(primer[0, 0])!r}\n" in out
    assert f"[:,2]: {float(primer[1, 2])!r}\n" in out
    assert "∂f/∂W, analytic: n/a (skipped)\n" in out
    assert all(len(line) <= 50 for line in out.splitlines() if not line.startswith("at "))


def test_show_prints_any_expression_in_its_shape(run: Any) -> None:
    args = [*NETWORK_ARGS, "--no-analytic", "--show", "x @ W", "--show", "sum(t)"]
    out = run(*args).stdout
    assert contiguous(
        squeezed(out),
        [
            "x @ W",
            "[0] [1] [2]",
            "─",
            "0.42000000000000004 0.5700000000000001 0.72",
            "sum(t) = 1.0",
        ],
    )
    (result,) = json.loads(run(*args, "-f", "json").stdout)["results"]
    assert result["shown"] == {"x @ W": (X @ np.array(WEIGHTS[0])).tolist(), "sum(t)": 1.0}


def test_show_a_matrix_for_a_batch_of_rows(run: Any) -> None:
    rows = np.array([[0.6, 0.9], [1.0, -1.0]])
    args = [
        "grad",
        "cross_entropy(softmax(x @ W), t) / 2",
        "--at",
        W_TEXT,
        "--set",
        "x=[[0.6,0.9],[1,-1]]",
        "--set",
        "t=[[0,0,1],[1,0,0]]",
        "--show",
        "softmax(x @ W)",
        "--no-analytic",
    ]
    out = run(*args).stdout
    assert contiguous(
        squeezed(out),
        [
            "f = 1.0273550001068852",
            "softmax(x @ W)",
            "[:,0] [:,1] [:,2]",
            "─",
            "[0,:] 0.2847629293549305 0.3308473223841733 0.3843897482608961",
            "[1,:] 0.3333333333333333 0.3333333333333333 0.3333333333333333",
        ],
    )
    z = rows @ np.array(WEIGHTS[0])
    y = np.exp(z - z.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    (result,) = json.loads(run(*args, "-f", "json").stdout)["results"]
    assert "predicted" not in result  # the loss is divided: not a call of a loss function
    assert np.max(np.abs(np.array(result["shown"]["softmax(x @ W)"]) - y)) < 1e-15


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--set", "q=1"],
            "error: --set 'q=1': unknown variable 'q' (the expression's variables: W, t, x)\n",
        ),
        (["--set", "x=[1,2]"], "error: --set 'x=[1,2]': x is already set\n"),
        (["--set", "[1,2]"], "error: --set '[1,2]': write NAME=VALUE, e.g. --set t=[0,0,1]\n"),
        (
            ["--at", "x=[1,2]"],
            "error: --at 'x=[1,2]': x is already given by --set\n",
        ),
        (
            ["--show", "y + 1"],
            "error: --show 'y + 1': unknown variable 'y' (the expression's variables: W, t, x)\n",
        ),
        (
            ["--show", "x @ transpose(W)"],
            "error: --show: x @ transpose(W): (2,) and (3,2) do not align (column 1)\n"
            "  x @ transpose(W)\n"
            "  ^\n",
        ),
        (
            ["--show", "x +"],
            "error: --show: syntax error: the expression ends after '+' (column 3)\n  x +\n    ^\n",
        ),
        (["--show", "x", "-f", "csv"], "error: --show needs --format table or json, not csv\n"),
    ],
)
def test_set_and_show_errors_exit_2(run: Any, extra: list[str], message: str) -> None:
    outcome = run(*NETWORK_ARGS, *extra, expect=2)
    assert outcome.stdout == ""
    assert outcome.stderr == message


def test_set_value_missing_for_a_variable(run: Any) -> None:
    outcome = run(*NETWORK_ARGS[:-2], expect=2)
    assert outcome.stderr == f"error: --at '{W_TEXT}' gives no value for t\n"


def test_shape_error_through_grad_names_both_shapes(run: Any) -> None:
    outcome = run(
        "grad",
        "cross_entropy(softmax(x @ W), t)",
        "--at",
        "W=[[1,2,3],[4,5,6],[7,8,9]]",
        "--set",
        "x=[0.6,0.9]",
        "--set",
        "t=[0,0,1]",
        expect=2,
    )
    assert outcome.stdout == ""
    assert outcome.stderr == (
        "error: x @ W: (2,) and (3,3) do not align (column 23)\n"
        "  cross_entropy(softmax(x @ W), t)\n"
        "                        ^\n"
    )


def test_csv_and_value_give_the_gradient_of_the_at_tensors_only(run: Any) -> None:
    values = run(*NETWORK_ARGS, "--no-analytic", "-f", "value").stdout.split()
    expected = numerical_gradient_nditer(lambda W: simpleNet(W).loss(X, T), np.array(WEIGHTS[0]))
    assert [float(v) for v in values] == expected.reshape(-1).tolist()
    header, row = csv.reader(io.StringIO(run(*NETWORK_ARGS, "-f", "csv").stdout))
    labels = ["W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]"]
    held = ["t[0]", "t[1]", "t[2]", "x[0]", "x[1]"]
    assert header[: len(labels) + len(held) + 1] == [*labels, *held, "value"]
    numerical = [header.index(f"numerical.{label}") for label in labels]
    assert numerical == list(range(12, 18))  # the held values are not differentiated
    assert [float(row[index]) for index in numerical] == expected.reshape(-1).tolist()


def test_formulas_past_the_node_limit_are_not_printed() -> None:
    import sympy as sp

    from diffcli.engine.analytic import MAX_FORMULA_NODES, formula

    small = sp.Symbol("w") * sp.Float(0.6, 30)
    assert formula(small) == "0.6*w"
    large = sp.Add(*(sp.exp(sp.Symbol(f"w{i}")) for i in range(MAX_FORMULA_NODES)))
    assert formula(large) is None
