"""``diffcli diff`` with --method, --order and at kinks; ``diffcli sweep``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import invoke


def test_seed_numbers_are_unchanged(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(
        run("diff", "0.01*x**2+0.1*x", "--at", "5", "--at", "10", "-f", "json").stdout
    )
    assert [row["numerical"] for row in data["results"]] == [0.1999999999990898, 0.2999999999986347]
    assert [row["step"] for row in data["results"]] == [0.0001, 0.0001]
    for row in data["results"]:
        assert row["error_estimate"] >= row["abs_error"]
        assert row["evaluations"] == 4


def test_forward_tiny_step_says_the_estimate_is_worthless(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run(
        "diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "forward", "--h", "1e-50", "-f", "json"
    )
    row = json.loads(outcome.stdout)["results"][0]
    assert (row["numerical"], row["error_estimate"]) == (0.0, None)
    assert "vanished in rounding" in outcome.stderr
    assert "error_estimate is inf, written as null" in outcome.stdout


def test_method_all_gives_one_row_per_method(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("diff", "sin(x)", "--at", "1", "--method", "all", "-f", "json").stdout)
    rows = {row["method"]: row for row in data["results"]}
    assert list(rows) == [
        "forward",
        "backward",
        "central",
        "five-point",
        "richardson",
        "complex",
        "auto",
    ]
    assert rows["complex"]["numerical"] == rows["auto"]["numerical"] == 0.5403023058681398
    assert rows["auto"]["technique"] == "complex step"
    assert rows["central"]["numerical"] == 0.5403023049677103
    for row in rows.values():
        assert row["error_estimate"] >= row["abs_error"]  # every estimate covers
        assert row["evaluations"] > 0


def test_method_all_table_fits_80_columns(run) -> None:  # type: ignore[no-untyped-def]
    lines = run("diff", "sin(x)", "--at", "1", "--method", "all").stdout.splitlines()
    assert lines[2] == "df/dx at x=1 = 0.5403023058681398"
    assert lines[3].split() == ["method", "h", "numerical", "abs", "error", "est.", "err", "evals"]
    assert lines[10].split() == ["complex", "1.36e-20", "0.5403023058681398", "0", "3.55e-16", "26"]
    assert max(len(line) for line in lines) <= 80


@pytest.mark.parametrize(
    ("expression", "at", "expected"),
    [
        ("sqrt(x)", "1e-6", 500.0),
        ("log(x)", "1e-3", 1000.0),
        ("acosh(x)", "1.001", None),
        ("1/(x - 1.001)", "1", None),
    ],
)
def test_auto_near_domain_edges_and_poles(run, expression, at, expected) -> None:  # type: ignore[no-untyped-def]
    row = json.loads(run("diff", expression, "--at", at, "--method", "auto", "-f", "json").stdout)[
        "results"
    ][0]
    if expected is not None:
        assert row["numerical"] == expected
    assert row["rel_error"] <= 1e-15
    assert row["technique"] == "complex step"


def test_complex_refuses_non_analytic_expressions(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("diff", "relu(x) + x**2", "--at", "1", "--method", "complex", expect=2)
    assert outcome.stderr == (
        "error: --method complex: the complex step needs an analytic expression, and relu is "
        "not analytic; use --method richardson (or auto, which falls back to it)\n"
    )
    outcome = run("diff", "(-2)**x", "--at", "3", "--method", "complex", expect=2)
    assert "cannot follow (-2)**x with a negative base" in outcome.stderr


def test_auto_falls_back_to_richardson_for_abs(run) -> None:  # type: ignore[no-untyped-def]
    row = json.loads(
        run("diff", "abs(x)**3", "--at", "-2", "--method", "auto", "-f", "json").stdout
    )["results"][0]
    assert row["technique"] == "Richardson (central)"
    assert row["rel_error"] <= 1e-12


@pytest.mark.parametrize(
    ("expression", "left", "right"), [("abs(x)", -1.0, 1.0), ("relu(x)", 0.0, 1.0)]
)
def test_kinks_report_left_and_right(run, expression, left, right) -> None:  # type: ignore[no-untyped-def]
    outcome = run("diff", expression, "--at", "0", "-f", "json")
    row = json.loads(outcome.stdout)["results"][0]
    assert row["numerical"] is None
    assert (row["left"], row["right"]) == (pytest.approx(left), pytest.approx(right))
    assert f"{expression} is not differentiable at x=0: the left derivative is" in outcome.stderr
    table = run("diff", expression, "--at", "0").stdout
    assert "no derivative" in table


def test_one_sided_at_the_edge_is_said(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("diff", "x**1.5", "--at", "0", "--method", "richardson", "-f", "json")
    row = json.loads(outcome.stdout)["results"][0]
    assert abs(row["numerical"]) < 1e-12
    assert "defined on one side only: richardson used forward (one-sided)" in outcome.stderr


@pytest.mark.parametrize("order", [2, 3, 4])
def test_order_beside_sympy(run, order) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(
        run(
            "diff",
            "exp(2*x)",
            "--at",
            "0.5",
            "--order",
            str(order),
            "--method",
            "auto",
            "-f",
            "json",
        ).stdout
    )
    assert data["order"] == order
    assert data["derivative"] == f"{2**order}*exp(2*x)"
    assert data["results"][0]["rel_error"] <= 1e-8


def test_order_label_and_limits(run) -> None:  # type: ignore[no-untyped-def]
    assert "d2f/dx2 = -sin(x)" in run("diff", "sin(x)", "--at", "1", "--order", "2").stdout
    outcome = run("diff", "sin(x)", "--at", "1", "--order", "7", expect=2)
    assert outcome.stderr == "error: --order must be between 1 and 6, got 7\n"
    outcome = run("diff", "sin(x)", "--at", "1", "--method", "auto", "--h", "0.1", expect=2)
    assert outcome.stderr == (
        "error: --h does not apply to --method auto, which chooses its own steps\n"
    )


def test_sweep_json_marks_the_best_steps(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("sweep", "0.01*x**2+0.1*x", "--at", "5", "-f", "json").stdout)
    assert [row["step"] for row in data["rows"]] == [10.0**-k for k in range(1, 17)]
    assert data["rows"][3]["central"] == 0.1999999999990898
    assert (data["best_forward_step"], data["best_central_step"]) == (1e-07, 0.1)
    assert data["reference_source"] == "analytic"
    assert data["rows"][-1]["forward_error"] == 0.2


def test_sweep_table_explains(run) -> None:  # type: ignore[no-untyped-def]
    lines = run("sweep", "sin(x)", "--at", "1").stdout.splitlines()
    assert lines[3].split() == ["h", "forward", "error", "central", "error", "best", "h", "for"]
    assert lines[-1].startswith("The error first falls as h shrinks because the truncation")
    assert sum("forward" in line for line in lines[5:21]) == 1
    assert sum("central" in line for line in lines[5:21]) == 1


def test_sweep_without_analytic_uses_auto(run) -> None:  # type: ignore[no-untyped-def]
    outcome = run("sweep", "exp(x)", "--at", "1", "--no-analytic", "-f", "json")
    data = json.loads(outcome.stdout)
    assert data["reference_source"] == "auto"
    assert data["reference"] == 2.718281828459045
    assert "measured against the auto estimate" in outcome.stderr


@pytest.mark.parametrize(("expression", "point"), [("sqrt(x)", "5e-324"), ("log(x)", "1e-310")])
def test_an_estimate_as_uncertain_as_its_value_is_flagged(expression, point):
    # near a vertical tangent or in subnormal numbers the extrapolation cannot converge
    outcome = invoke(["diff", expression, "--at", point, "--method", "auto", "--no-analytic"])
    assert outcome.exit_code == 0
    assert "cannot be trusted: its error estimate" in outcome.stderr


def test_a_good_estimate_is_not_flagged():
    outcome = invoke(["diff", "sqrt(x)", "--at", "1e-6", "--method", "auto", "--no-analytic"])
    assert "unreliable" not in outcome.stderr
