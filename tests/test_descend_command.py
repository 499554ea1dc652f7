"""``diffcli descend``: the seed's runs, output formats, trace, history, compare, errors."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from diffcli.render.descend import PROGRESS_MIN_STEPS, progress_bar
from diffcli.usecases.descent import Step

SEED = ("descend", "x0**2 + x1**2", "--from", "-3,4", "--lr", "0.1", "--steps", "100")


def test_seed_table(run: Any) -> None:
    result = run(*SEED)
    assert result.stdout == (
        "f = x0**2 + x1**2\n"
        "sgd, lr = 0.1, numerical gradient (central difference, h = 0.0001)\n"
        "\n"
        "start       x0=-3, x1=4\n"
        "final       x0=-6.111107928998789e-10, x1=8.148143905314271e-10\n"
        "f(final)    1.0373788922158197e-18\n"
        "|∇f|        2.03703597633229e-09\n"
        "status      max_steps after 100 steps\n"
        "stationary  minimum at x0=0, x1=0, f = 0.0\n"
        "distance    1.02e-09\n"
    )
    assert result.stderr == ""


def test_seed_json_contract(run: Any) -> None:
    data = json.loads(run(*SEED, "--format", "json").stdout)
    assert list(data) == [
        "expression",
        "variables",
        "optimizer",
        "lr",
        "steps",
        "status",
        "start",
        "final",
        "analytic",
        "trace",
        "warnings",
    ]
    assert (data["optimizer"], data["lr"], data["steps"], data["status"]) == (
        "sgd",
        0.1,
        100,
        "max_steps",
    )
    assert data["variables"] == ["x0", "x1"]
    assert data["start"] == {"x0": -3.0, "x1": 4.0}
    final = data["final"]["at"]
    assert [f"{final[name]:.9g}" for name in ("x0", "x1")] == ["-6.11110793e-10", "8.14814391e-10"]
    assert data["analytic"]["stationary_points"] == [
        {"at": {"x0": 0.0, "x1": 0.0}, "kind": "minimum", "value": 0.0}
    ]
    nearest = data["analytic"]["nearest"]
    assert nearest["kind"] == "minimum"
    assert nearest["distance"] == pytest.approx(np.hypot(final["x0"], final["x1"]), rel=1e-15)
    assert data["trace"] == []


def test_large_rate_is_diverged_with_exit_one(run: Any) -> None:
    result = run(*SEED[:4], "--lr", "10", "--format", "json", expect=1)
    data = json.loads(result.stdout)
    assert (data["status"], data["steps"]) == ("diverged", 4)
    assert result.stderr == (
        "error: the descent diverged: f = 4.25e+11 at step 4: |f| grew past "
        "1e10 × max(|f(start)|, 1) = 2.5e+11; try a smaller --lr, or check that f is "
        "bounded below\n"
    )


def test_tiny_rate_ends_near_the_start(run: Any) -> None:
    data = json.loads(run(*SEED[:4], "--lr", "1e-10", "--format", "json").stdout)
    assert (data["status"], data["steps"]) == ("max_steps", 100)
    assert data["final"]["at"]["x0"] == pytest.approx(-3.0, abs=1e-7)
    assert data["final"]["at"]["x1"] == pytest.approx(4.0, abs=1e-7)


def test_value_format_prints_the_final_coordinates(run: Any) -> None:
    result = run(*SEED, "--format", "value", "--precision", "9")
    assert result.stdout == "-6.11110793e-10\n8.14814391e-10\n"


def test_trace_rows_every_k_steps_and_the_last(run: Any) -> None:
    data = json.loads(run(*SEED, "--trace", "30", "--format", "json").stdout)
    assert [row["step"] for row in data["trace"]] == [0, 30, 60, 90, 100]
    assert data["trace"][0] == {
        "step": 0,
        "at": {"x0": -3.0, "x1": 4.0},
        "value": 25.0,
        "grad_norm": 10.000000000001563,
    }
    assert data["trace"][-1]["at"] == data["final"]["at"]


def test_trace_table(run: Any) -> None:
    result = run(*SEED[:6], "--steps", "2", "--trace", "1", "--no-analytic", "--precision", "6")
    assert result.stdout.endswith(
        "analytic  n/a (--no-analytic)\n"
        "\n"
        "step     x0    x1      f  |∇f|\n"
        "──────────────────────────────\n"
        "   0     -3     4     25    10\n"
        "   1   -2.4   3.2     16     8\n"
        "   2  -1.92  2.56  10.24   6.4\n"
    )


def test_history_file_has_every_step(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    data = json.loads(run(*SEED, "--history", str(path), "--format", "json").stdout)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["step", "x0", "x1", "f", "grad_norm"]
    assert len(rows) == 102
    assert rows[1] == ["0", "-3.0", "4.0", "25.0", "10.000000000001563"]
    last = rows[-1]
    assert last[0] == "100"
    assert [float(last[1]), float(last[2])] == [
        data["final"]["at"]["x0"],
        data["final"]["at"]["x1"],
    ]


def test_history_labels_tensor_elements(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    run(
        "descend", "sum(W**2)", "--from", "W=[[1,2],[3,4]]", "--steps", "1", "--history",
        str(path), "--no-analytic",
    )  # fmt: skip
    header = next(csv.reader(path.open()))
    assert header == ["step", "W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "f", "grad_norm"]


def test_history_unwritable_is_an_input_error(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "h.csv"
    result = run(*SEED, "--history", str(target), expect=2)
    assert result.stderr.startswith(f"error: --history {str(target)!r}: cannot write")


def test_tensor_from_and_set(run: Any) -> None:
    result = run(
        "descend", "sum((W - T)**2)", "--from", "W=[[1,2],[3,4]]", "--set", "T=[[0,1],[1,0]]",
        "--lr", "0.25", "--steps", "1", "--format", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    # one step with lr 0.25 halves W - T: W_1 = T + (W_0 - T)/2
    assert data["variables"] == ["W"]
    np.testing.assert_allclose(data["final"]["at"]["W"], [[0.5, 1.5], [2.0, 2.0]], rtol=1e-7)
    assert data["analytic"]["nearest"]["at"] == {"W": [[0.0, 1.0], [1.0, 0.0]]}


def test_optimizer_through_the_command(run: Any) -> None:
    # momentum on x**2 from 1, lr 0.1, exact gradient: 1, 0.8, 0.46
    result = run(
        "descend", "x**2", "--from", "1", "--optimizer", "momentum", "--lr", "0.1",
        "--steps", "2", "--grad", "analytic", "--format", "value",
    )  # fmt: skip
    assert float(result.stdout) == pytest.approx(0.46, rel=1e-15)


def test_compare_rows(run: Any) -> None:
    result = run(
        "descend", "x**2 + 10*y**2", "--from", "3,1", "--lr", "0.05", "--steps", "500",
        "--compare", "--grad", "analytic", "--format", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["tol"] == 1e-6
    rows = {row["optimizer"]: row for row in data["results"]}
    assert list(rows) == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    # sgd: x_k = 3 * 0.9**k, y_1 = 0; |∇f| = 6 * 0.9**k < 1e-6 first at k = 149
    assert (rows["sgd"]["status"], rows["sgd"]["steps"]) == ("converged", 149)
    assert rows["sgd"]["distance"] == pytest.approx(3 * 0.9**149, rel=1e-9)
    assert rows["adagrad"]["status"] == "max_steps"


def test_compare_table_fits_80_columns(run: Any) -> None:
    result = run("descend", "x**2 + 10*y**2", "--from", "3,1", "--lr", "0.05", "--compare")
    lines = result.stdout.splitlines()
    assert lines[2] == "stationary points (SymPy): minimum at x=0, y=0"
    assert lines[4].split() == ["optimizer", "status", "steps", "f", "distance"]
    assert lines[6].split()[:3] == ["sgd", "max_steps", "100"]


def test_analytic_timeout_never_blocks_the_result(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffcli.engine import analytic

    monkeypatch.setattr(
        analytic, "bounded", lambda work, seconds: analytic.Bounded(None, "timed out", "slow")
    )
    result = run(*SEED, "--format", "json")
    data = json.loads(result.stdout)
    assert data["analytic"] is None
    assert data["warnings"] == ["no analytic stationary points: slow"]
    assert f"{data['final']['at']['x0']:.9g}" == "-6.11110793e-10"
    table = run(*SEED)
    assert "analytic  n/a (timed out)\n" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "3"), "error: --set '3': write NAME=VALUE, e.g. --set t=[0,0,1]\n"),
        (
            ("--set", "z=1"),
            "error: --set 'z=1': unknown variable 'z' (the expression's variables: x0, x1)\n",
        ),
        (
            ("--compare", "--trace", "5"),
            "error: --compare runs every optimizer once: drop --trace\n",
        ),
        (("--lr", "-1"), "error: --lr must be a positive number, got -1\n"),
        (
            ("--grad", "analytic", "--no-analytic"),
            "error: --grad analytic needs SymPy: drop --no-analytic\n",
        ),
    ],
)
def test_bad_input_exit_two(run: Any, args: tuple[str, ...], message: str) -> None:
    result = run(*SEED[:2], "--from", "-3,4", *args, expect=2)
    assert result.stderr == message


def test_lr_zero_message(run: Any) -> None:
    result = run(*SEED[:4], "--lr", "0", expect=2)
    assert result.stderr == "error: --lr must be a positive number, got 0\n"


def test_everything_fixed(run: Any) -> None:
    result = run("descend", "x**2", "--from", "1", "--set", "x=1", expect=2)
    assert result.stderr == (
        "error: --from '1': 1 value left over: --set holds every variable fixed (x)\n"
    )


def test_start_outside_domain_exit_one(run: Any) -> None:
    result = run("descend", "log(x)", "--from", "0", expect=1)
    assert result.stderr == "error: cannot evaluate log(x) at x=0: log of zero in log(x)\n"


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    with progress_bar(10 * PROGRESS_MIN_STEPS) as advance:
        assert advance is None


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress_bar(PROGRESS_MIN_STEPS) as advance:
        assert advance is not None
        advance(Step(PROGRESS_MIN_STEPS, np.zeros(1), 0.0, 0.0, "max_steps"))
    assert "descending" in stream.getvalue()
    with progress_bar(PROGRESS_MIN_STEPS - 1) as short:
        assert short is None


def test_csv_without_trace_gives_start_and_final(run: Any) -> None:
    assert run(*SEED, "--format", "csv", "--no-analytic").stdout == (
        "step,x0,x1,f,grad_norm\n"
        "0,-3.0,4.0,25.0,10.000000000001563\n"
        "100,-6.111107928998789e-10,8.148143905314271e-10,1.0373788922158197e-18,"
        "2.03703597633229e-09\n"
    )


def test_analytic_gradient_through_the_command(run: Any) -> None:
    # x0**2 + x1**2 with the exact gradient: x_k = 0.8**k * start
    data = json.loads(run(*SEED, "--grad", "analytic", "--format", "json").stdout)
    np.testing.assert_allclose(
        [data["final"]["at"]["x0"], data["final"]["at"]["x1"]],
        [-3 * 0.8**100, 4 * 0.8**100],
        rtol=1e-13,
    )


def test_infinite_gradient_at_the_start_exit_one(run: Any) -> None:
    result = run("descend", "sqrt(x)", "--from", "0", "--grad", "analytic", expect=1)
    assert result.stderr == "error: the gradient of f is not finite at the start\n"
