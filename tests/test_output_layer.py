"""The output layer: row statuses, the format registry over one schema per report, and tables
that shorten long formulas and large points."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from diffcli.catalog import FORMATS
from diffcli.errors import EXIT_EVALUATION
from diffcli.render import point_text
from diffcli.render.formats import REGISTRY, Format, register, render
from diffcli.render.schema import Schema, cell_text, point_cells, point_labels
from diffcli.results import (
    ROW_STATUSES,
    Analytic,
    DerivativeRow,
    DiffReport,
    GradientReport,
    GradientRow,
    HessianReport,
    HessianRow,
    exit_code,
)

OK = Analytic("ok")


def derivative_row(numerical: float, **extra: Any) -> DerivativeRow:
    return DerivativeRow({"x": np.float64(3.0)}, "central", 1e-4, numerical, 6.0, 4, **extra)


def diff_report(*rows: DerivativeRow) -> DiffReport:
    return DiffReport("x**2", "x", "2*x", OK, rows)


def gradient_row(numerical: list[float], **extra: Any) -> GradientRow:
    values = {"x": np.array(numerical)}
    return GradientRow({"x": np.array([1.0, 2.0])}, values, values, 4, 5.0, **extra)


def hessian_row(numerical: list[list[float]], **extra: Any) -> HessianRow:
    matrix = np.array(numerical)
    return HessianRow(
        {"x0": np.float64(1.0), "x1": np.float64(2.0)}, ("x0", "x1"), matrix, matrix, 9, **extra
    )


def test_rows_derive_their_status_from_their_numbers() -> None:
    assert derivative_row(6.0).status == "ok"
    assert derivative_row(math.nan).status == "not-finite"
    assert derivative_row(math.inf).status == "not-finite"
    assert derivative_row(math.nan, left=-1.0, right=1.0).status == "kink"
    assert gradient_row([2.0, 4.0]).status == "ok"
    assert gradient_row([math.nan, 4.0]).status == "not-finite"
    assert gradient_row([math.nan, 4.0], kinks={"x[0]": (-1.0, 1.0)}).status == "kink"
    # a value that fails elsewhere outweighs a kink
    assert gradient_row([math.nan, math.nan], kinks={"x[0]": (-1.0, 1.0)}).status == "not-finite"
    assert hessian_row([[2.0, 0.0], [0.0, 2.0]]).status == "ok"
    assert hessian_row([[2.0, math.inf], [math.inf, 2.0]]).status == "not-finite"
    assert hessian_row([[math.nan, math.nan], [math.nan, 2.0]], kinks=("x0",)).status == "kink"


def test_a_status_given_is_kept_and_checked() -> None:
    assert derivative_row(0.0, status="step-vanished").status == "step-vanished"
    assert gradient_row([2.0, 4.0], status="unreliable").status == "unreliable"
    with pytest.raises(ValueError, match=r"status must be one of ok, kink, unreliable, .*'fine'"):
        derivative_row(6.0, status="fine")
    assert set(ROW_STATUSES) == {"ok", "kink", "unreliable", "step-vanished", "not-finite"}


def test_the_exit_code_follows_the_statuses() -> None:
    assert exit_code(diff_report(derivative_row(6.0))) == 0
    assert exit_code(diff_report(derivative_row(math.nan, left=-1.0, right=1.0))) == 0
    assert exit_code(diff_report(derivative_row(0.0, status="step-vanished"))) == 0
    failed = diff_report(derivative_row(6.0), derivative_row(math.nan))
    assert exit_code(failed) == EXIT_EVALUATION


def test_the_command_line_reports_statuses_and_exits_by_them(run: Any) -> None:
    kink = json.loads(run("diff", "abs(x)", "--at", "0", "-f", "json").stdout)
    assert [row["status"] for row in kink["results"]] == ["kink"]
    failed = run(
        "diff", "sqrt(x)", "--at", "0", "--at", "1", "-f", "csv", "--no-analytic", expect=1
    )
    assert [line.rsplit(",", 1)[1] for line in failed.stdout.splitlines()] == [
        "status",
        "not-finite",
        "ok",
    ]
    grad = run("grad", "sqrt(x0) + x1", "--at", "0,1", "-f", "json", expect=1).stdout
    assert [row["status"] for row in json.loads(grad)["results"]] == ["not-finite"]
    hessian = run("hessian", "abs(x0) + x1**2", "--at", "0,1", "-f", "json").stdout
    assert [row["status"] for row in json.loads(hessian)["results"]] == ["kink"]


def test_the_built_in_formats_are_the_command_lines_choices() -> None:
    assert tuple(REGISTRY) == FORMATS == ("table", "json", "jsonl", "csv", "tsv", "value")


def test_cells_are_written_in_full_or_to_the_precision() -> None:
    assert [cell_text(v) for v in (None, "ok", 4, np.int64(4), 0.1, np.float64(0.1))] == [
        "",
        "ok",
        "4",
        "4",
        "0.1",
        "0.1",
    ]
    assert [cell_text(v, 3) for v in (None, "ok", 4, 2 / 3, np.float64(1e-5))] == [
        "",
        "ok",
        "4",
        "0.667",
        "1e-05",
    ]


def test_a_point_is_one_column_per_coordinate() -> None:
    points = [{"x0": np.float64(3.0), "x": np.array([1.0, 2.5])}, {"x0": 1.0, "x": np.ones(3)}]
    labels = point_labels(points)
    assert labels == ["x0", "x[0]", "x[1]", "x[2]"]
    assert point_cells(points[0], labels) == [3.0, 1.0, 2.5, None]
    assert point_cells(points[1], labels) == [1.0, 1.0, 1.0, 1.0]


@pytest.fixture
def markdown() -> Iterator[None]:
    """A Markdown table format, registered for one test: one class, no other edit."""

    @register
    class Markdown(Format):
        name = "markdown"

        def write(self, report: Any, schema: Schema[Any], precision: int | None) -> None:
            columns = schema.columns(report)
            print("| " + " | ".join(columns) + " |")
            print("|" + "---|" * len(columns))
            for row in schema.rows(report):
                print("| " + " | ".join(cell_text(cell) for cell in row) + " |")

    yield
    del REGISTRY["markdown"]


@pytest.mark.usefixtures("markdown")
def test_a_format_added_at_run_time_works_for_every_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    render(diff_report(derivative_row(6.5)), "markdown", None)
    render(
        GradientReport("sum(x**2)", ("x",), "central", 1e-4, None, OK, (gradient_row([2.0, 4.0]),)),
        "markdown",
        None,
    )
    hessian = HessianReport(
        "x0**2 + x1**2", ("x0", "x1"), 1e-4, OK, (hessian_row([[2.0, 0.0], [0.0, 2.0]]),)
    )
    render(hessian, "markdown", None)
    assert capsys.readouterr().out == (
        "| x | value | method | step | numerical | analytic | abs_error | rel_error | evaluations "
        "| error_estimate | left | right | technique | status |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| 3.0 |  | central | 0.0001 | 6.5 | 6.0 | 0.5 | 0.08333333333333333 | 4 |  |  |  |  "
        "| ok |\n"
        "| x[0] | x[1] | value | numerical.x[0] | numerical.x[1] | analytic.x[0] | analytic.x[1] "
        "| norm | analytic_norm | max_abs_error | evaluations | status |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"| 1.0 | 2.0 | 5.0 | 2.0 | 4.0 | 2.0 | 4.0 | {math.sqrt(20)!r} | {math.sqrt(20)!r} | 0.0 "
        "| 4 | ok |\n"
        "| x0 | x1 | numerical.x0.x0 | numerical.x0.x1 | numerical.x1.x0 | numerical.x1.x1 "
        "| analytic.x0.x0 | analytic.x0.x1 | analytic.x1.x0 | analytic.x1.x1 | max_abs_error "
        "| evaluations | status |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| 1.0 | 2.0 | 2.0 | 0.0 | 0.0 | 2.0 | 2.0 | 0.0 | 0.0 | 2.0 | 0.0 | 9 | ok |\n"
    )
    assert "markdown" in REGISTRY


@pytest.mark.usefixtures("markdown")
def test_a_format_added_at_run_time_is_a_choice_of_every_command(run: Any) -> None:
    outcome = run("grad", "x0**2 + x1**2", "--at", "3,4", "--no-analytic", "-f", "markdown")
    assert outcome.stdout.splitlines()[2] == (
        "| 3.0 | 4.0 | 25.0 | 6.00000000000378 | 7.999999999999119 | 10.000000000001563 |  |  "
        "| 8 | ok |"
    )
    assert "[table|json|jsonl|csv|tsv|value|markdown]" in run("hessian", "--help").stdout


def test_an_unknown_format_is_refused_with_the_choices(run: Any) -> None:
    outcome = run("diff", "x", "--at", "1", "-f", "markdown", expect=2)
    assert "'markdown' is not one of 'table', 'json', 'jsonl', 'csv', 'tsv', 'value'" in (
        outcome.stderr
    )


def csv_rows(run: Any, *args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout)))


def number_or_none(text: str) -> float | None:
    return float(text) if text else None


@pytest.mark.parametrize("method", ["central", "auto"])
def test_json_and_csv_never_disagree(run: Any, method: str) -> None:
    diff_args = ("diff", "sin(x)", "--at", "1", "--at", "2", "--method", method)
    document = json.loads(run(*diff_args, "-f", "json").stdout)
    for line, row in zip(csv_rows(run, *diff_args), document["results"], strict=True):
        for key in ("value", "numerical", "analytic", "abs_error", "rel_error", "error_estimate"):
            assert number_or_none(line[key]) == row[key]
        assert number_or_none(line["step"]) == row["step"]
        assert (line["status"], int(line["evaluations"])) == (row["status"], row["evaluations"])

    grad_args = ("grad", "x0**2*sin(x1)", "--at", "1,2", "--at", "3,4", "--method", method)
    document = json.loads(run(*grad_args, "-f", "json").stdout)
    for line, row in zip(csv_rows(run, *grad_args), document["results"], strict=True):
        assert [float(line[name]) for name in ("x0", "x1")] == list(row["at"].values())
        for name in ("x0", "x1"):
            assert float(line[f"numerical.{name}"]) == row["numerical"][name]
            assert float(line[f"analytic.{name}"]) == row["analytic"][name]
            if method == "auto":
                assert float(line[f"error_estimate.{name}"]) == row["error_estimate"][name]
        for key in ("norm", "analytic_norm", "max_abs_error", "loss"):
            assert float(line["value" if key == "loss" else key]) == row[key]
        assert line["status"] == row["status"]

    hessian_args = ("hessian", "x0**2*sin(x1)", "--at", "1,2", "--method", method)
    document = json.loads(run(*hessian_args, "-f", "json").stdout)
    (row,) = document["results"]
    (line,) = csv_rows(run, *hessian_args)
    for i, first in enumerate(row["coordinates"]):
        for j, second in enumerate(row["coordinates"]):
            assert float(line[f"numerical.{first}.{second}"]) == row["numerical"][i][j]
            assert float(line[f"analytic.{first}.{second}"]) == row["analytic"][i][j]
    assert float(line["max_abs_error"]) == row["max_abs_error"]
    assert line["status"] == row["status"]

    sweep_args = ("sweep", "sin(x)", "--at", "1")
    document = json.loads(run(*sweep_args, "-f", "json").stdout)
    for line, row in zip(csv_rows(run, *sweep_args), document["rows"], strict=True):
        assert line["x"] == "1.0"  # the point's column leads, as in every command's CSV
        assert {key: line[key] for key in row if key != "status"} == {
            key: "" if value is None else repr(value)
            for key, value in row.items()
            if key != "status"
        }
        assert line["status"] == row["status"] == "ok"


#: A derivative whose SymPy text is some 400 characters: more than a terminal line.
LONG = "sin(exp(cos(tanh(x**3+x**2)))*log(1+x**2))*exp(sin(x))*cosh(x**2+sin(x))"


def test_a_long_formula_takes_one_line_of_the_table_and_all_of_json(run: Any) -> None:
    table = run("diff", LONG, "--at", "1").stdout.splitlines()
    assert table[1].startswith("df/dx = ")
    assert table[1].endswith(" … (full formula: -f json)")
    assert len(table[1]) <= 80
    assert table[2] == "central difference, h = 0.0001"
    formula = json.loads(run("diff", LONG, "--at", "1", "-f", "json").stdout)["derivative"]
    assert len(formula) > 200
    assert formula.startswith(
        table[1].removeprefix("df/dx = ").removesuffix(" … (full formula: -f json)")
    )
    wide = run("diff", LONG, "--at", "1", columns=1000).stdout.splitlines()
    assert wide[1] == f"df/dx = {formula}"


def test_a_large_tensor_point_is_shown_by_its_shape_and_ends(run: Any) -> None:
    weights = [[0.01 * (30 * i + j) for j in range(30)] for i in range(20)]
    point = {"W": np.array(weights), "x": np.array([1.0, 2.0, 3.0])}
    assert point_text(point) == "W=(20×30) [0, 0.01, 0.02, … 5.99], x=[1, 2, 3]"
    assert point_text({"x": np.array([1.0, 2.0])}) == "x=[1, 2]"
    at = "W=" + json.dumps(weights)
    grad = run("grad", "sum(W**2)", "--at", at, "--no-analytic").stdout.splitlines()
    assert "at W=(20×30) [0, 0.01, 0.02, … 5.99]" in grad
    diff = run("diff", "sum(W**2)", "--wrt", "W[0,1]", "--at", at, "--no-analytic").stdout
    assert len(diff.splitlines()) < 10


def test_every_report_kind_has_its_schema() -> None:
    import diffcli.results as results
    import diffcli.usecases.descent as descent
    from diffcli.render.schemas import SCHEMAS, schema_for

    for name in SCHEMAS:
        report_class = getattr(results, name, None) or getattr(descent, name)
        schema = schema_for(report_class.__new__(report_class))
        assert type(schema).__name__ == SCHEMAS[name][1]
    with pytest.raises(TypeError, match="no schema reads Analytic"):
        schema_for(OK)


def test_sweep_shows_failing_steps_and_still_succeeds(run: Any) -> None:
    outcome = run("sweep", "sqrt(x)", "--at", "0.001", "-f", "csv")
    statuses = [line.rsplit(",", 1)[1] for line in outcome.stdout.splitlines()[1:]]
    assert statuses == ["not-finite"] * 2 + ["ok"] * 14
