"""``sweep`` at several points: one sweep per point, each the sweep of that point alone."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

import diffcli
from diffcli.engine.coordinates import along, coordinates
from diffcli.engine.estimate import estimate
from diffcli.engine.methods.fixed_step import values_at_steps
from diffcli.expr import sources
from diffcli.expr.parsing import parse
from diffcli.results import SweepReport, SweepsReport
from diffcli.usecases import sweep as sweep_usecase
from diffcli.usecases.prepare import compile_scalar
from diffcli.usecases.sweep import STEPS
from tests.conftest import invoke
from tests.test_point_sources import piped


@pytest.mark.parametrize(
    ("expression", "x"),
    [("sin(x)*exp(-x**2)", 0.7), ("0.01*x**2+0.1*x", 5.0), ("sqrt(x)", 1e-3), ("1/x", 3e5)],
)
def test_the_quotients_of_one_evaluation_are_fixed_steps_values(expression: str, x: float) -> None:
    compiled = compile_scalar(parse(expression), {"x": ()})
    point = {"x": np.float64(x)}
    function = along(compiled, point, coordinates(point)[0])
    with np.errstate(all="ignore"):
        for method in ("forward", "central"):
            expected = [estimate(function, x, method, 1, step).value for step in STEPS]
            found = values_at_steps(function, x, method, STEPS).tolist()
            assert np.array_equal(found, expected, equal_nan=True), method


def test_each_point_gets_the_sweep_it_gets_alone() -> None:
    report = diffcli.sweep("sin(x)*exp(-x**2)", at="0.5:2:0.5")
    assert isinstance(report, SweepsReport)
    assert [float(one.at["x"]) for one in report.sweeps] == [0.5, 1.0, 1.5]
    for swept in report.sweeps:
        alone = diffcli.sweep("sin(x)*exp(-x**2)", at=float(swept.at["x"]))
        assert isinstance(alone, SweepReport)
        assert swept.rows == alone.rows
        assert (swept.reference, swept.best_forward_step, swept.best_central_step) == (
            alone.reference,
            alone.best_forward_step,
            alone.best_central_step,
        )


def test_the_csv_of_several_points_is_each_points_csv_after_its_point(run: Any) -> None:
    several = run("sweep", "x0**2*x1", "--at", "3,4", "--at", "1,-2", "--wrt", "x1", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(several.stdout)))
    header = "x0,x1,step,forward,forward_error,central,central_error,status"
    assert list(rows[0]) == header.split(",")
    assert len(rows) == 2 * len(STEPS)
    for first, at in enumerate(("3,4", "1,-2")):
        alone = run("sweep", "x0**2*x1", "--at", at, "--wrt", "x1", "-f", "csv")
        assert [list(row.values()) for row in rows[16 * first : 16 * (first + 1)]] == [
            line.split(",") for line in alone.stdout.splitlines()[1:]
        ]


def test_the_json_of_several_points_holds_each_points_document(run: Any) -> None:
    document = json.loads(run("sweep", "sin(x)", "--at", "1", "--at", "2", "-f", "json").stdout)
    assert (document["expression"], document["variable"]) == ("sin(x)", "x")
    for swept, at in zip(document["sweeps"], ("1", "2"), strict=True):
        assert swept == json.loads(run("sweep", "sin(x)", "--at", at, "-f", "json").stdout)


def test_the_table_shows_each_sweep_and_the_lesson_once(run: Any) -> None:
    table = run("sweep", "sin(x)", "--at", "1", "--at", "2").stdout
    assert table.count("f = sin(x), at x=") == 2
    assert table.count("The error first falls") == 1
    alone = run("sweep", "sin(x)", "--at", "2").stdout
    assert table.endswith(alone)  # the last point's table, then the lesson


def test_a_stream_of_points_sweeps_each(monkeypatch: pytest.MonkeyPatch, run: Any) -> None:
    monkeypatch.setattr(sources, "CHUNK_POINTS", 1)  # every point its own group
    outcome = piped("1\n2\n3\n", "sweep", "sin(x)", "--at", "-", "-f", "csv")
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    expected = run("sweep", "sin(x)", "--at", "1:4:1", "-f", "csv").stdout
    assert outcome.stdout == expected


def test_without_an_analytic_value_one_warning_counts_the_points(run: Any) -> None:
    outcome = run("sweep", "sin(x)", "--at", "0:3:0.1", "--no-analytic", "-f", "csv")
    # before: a line per point, 30 of them
    assert outcome.stderr == (
        "warning: no analytic value: the errors are measured against the auto estimate at 30 "
        "of the 30 points (each sweep's reference and its estimated error: -f json)\n"
    )
    document = json.loads(
        run("sweep", "sin(x)", "--at", "1", "--at", "2", "--no-analytic", "-f", "json").stdout
    )
    for swept in document["sweeps"]:
        (warning,) = swept["warnings"]
        assert warning.startswith(
            f"no analytic value: the errors are measured against the "
            f"auto estimate {swept['reference']!r} (estimated error "
        )


def test_a_figure_of_several_sweeps_is_refused(run: Any) -> None:
    outcome = run("sweep", "sin(x)", "--at", "0:2:1", "--plot", "sweep.png", expect=2)
    assert outcome.stderr == (
        "error: --plot draws the sweep at one point, not 2: give one --at for a figure "
        "(see 'diffcli sweep --help')\n"
    )


def test_a_figure_of_streamed_points_shows_every_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, drawn: list[Figure]
) -> None:
    monkeypatch.setattr(sources, "CHUNK_POINTS", 1)
    target = str(tmp_path / "tangents.png")
    outcome = piped("1\n2\n3\n", "diff", "x**2", "--at", "-", "-f", "csv", "--plot", target)
    assert outcome.exit_code == 0
    # before: each group drew its own figure over the last, which showed only x = 3
    (figure,) = drawn
    tangents = [line for line in figure.axes[0].get_lines() if "slope" in line.get_label()]
    assert sorted(float(np.mean(line.get_xdata())) for line in tangents) == [1.0, 2.0, 3.0]


def test_the_command_line_takes_the_same_points_as_the_api() -> None:
    outcome = invoke(["sweep", "sin(x)", "--at", "1:4:1", "-f", "value"])
    report = diffcli.sweep("sin(x)", at="1:4:1")
    assert isinstance(report, SweepsReport)
    expected = [
        f"{row.forward_error!r} {row.central_error!r}"
        for swept in report.sweeps
        for row in swept.rows
    ]
    assert outcome.stdout.splitlines() == expected


def test_diffs_warnings_about_its_own_quotients_are_left_out(run: Any) -> None:
    # before: 21 more warnings like these at other points, with none of them shown
    assert run("diff", "sin(x)*exp(-x**2)", "--at", "3.2:3.4:0.002", "-f", "csv").stderr.endswith(
        "(see -f csv or -f json)\n"
    )
    outcome = run("sweep", "sin(x)*exp(-x**2)", "--at", "3.2:3.4:0.002", "-f", "csv")
    assert outcome.stderr == ""
    assert len(outcome.stdout.splitlines()) == 1 + 100 * len(STEPS)


def test_more_points_than_one_command_sweeps_are_refused_before_any_work(run: Any) -> None:
    outcome = run("sweep", "sin(x)", "--at", "0:10001:1", "-f", "csv", expect=2)
    assert outcome.stderr == (
        "error: --at: sweep takes at most 10,000 points in one command (16 rows each), got "
        "10,001: stream them (--at - or --points) to csv, tsv, jsonl or value\n"
    )
    assert outcome.stdout == ""


def test_a_stream_reaches_sweep_in_groups_it_can_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_usecase, "SWEEP_MOST_POINTS", 10)  # small sizes, the same rule
    monkeypatch.setattr(sources, "CHUNK_POINTS", 4)
    text = "".join(f"{k}\n" for k in range(25))
    outcome = piped(text, "sweep", "x**2", "--at", "-", "-f", "value", "--no-analytic", "-q")
    assert (outcome.exit_code, outcome.stderr) == (0, "")  # more than one command sweeps
    assert len(outcome.stdout.splitlines()) == 16 * 25
    outcome = piped(text, "sweep", "x**2", "--at", "-", "-f", "json", "--no-analytic")
    assert outcome.exit_code == 2  # json waits for every point: one command, the limit holds
    assert "sweep takes at most 10 points in one command" in outcome.stderr


def test_numbers_written_as_null_are_listed_ten_then_counted(run: Any) -> None:
    # before: 939 "written as null" warnings in the document for 29 points
    outcome = run("sweep", "log(x)", "--at", "1e-300:3e-299:1e-300", "-f", "json")
    warnings = json.loads(outcome.stdout)["warnings"]
    nulls = [warning for warning in warnings if "written as null" in warning]
    assert len(nulls) == 11
    assert nulls[-1] == "918 more numbers that are not finite written as null"
