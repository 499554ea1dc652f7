"""Plots: drawn from the commands' own records (the data equal the JSON), written as asked."""

from __future__ import annotations

import doctest
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

import diffcli
from diffcli.expr import intervals
from diffcli.render import plots
from tests.conftest import invoke

QUADRATIC = "0.01*x**2+0.1*x"
BOWL = "x0**2 + x1**2"
#: The primer's grid, as repeated --at (ranges of points are not read yet).
GRID = [f"{a},{b}" for a in (-2.0, -1.0, 0.0, 1.0, 2.5) for b in (-2.0, 0.5, 2.5)]


def plotted(args: list[str], tmp_path: Path, figures: list[Figure]) -> tuple[Any, Figure]:
    """Run a command with ``--format json --plot``: its JSON output and its figure."""
    outcome = invoke([*args, "--format", "json", "--plot", str(tmp_path / "figure.png")])
    assert outcome.exit_code == 0, outcome.explain()
    (figure,) = figures
    return json.loads(outcome.stdout), figure


def lines(figure: Figure, containing: str) -> list[Any]:
    return [line for line in figure.axes[0].get_lines() if containing in line.get_label()]


def test_tangents_have_the_slopes_of_the_json(tmp_path: Path, drawn: list[Figure]) -> None:
    document, figure = plotted(["diff", QUADRATIC, "--at", "5", "--at", "10"], tmp_path, drawn)
    tangents = lines(figure, "central slope")
    assert len(tangents) == 2
    for line, row in zip(tangents, document["results"]):
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert (x0 + x1) / 2 == row["at"]["x"]
        assert (y1 - y0) / (x1 - x0) == pytest.approx(row["numerical"], rel=1e-12)
        assert row["numerical"] != row["analytic"]
    # 9e-13 apart: the analytic tangent would lie under the numerical one
    assert lines(figure, "analytic slope") == []
    assert figure.axes[0].get_xlabel() == "x"
    assert figure.axes[0].get_ylabel() == "f(x)"
    assert figure.axes[0].get_title() == QUADRATIC


def test_a_visibly_different_analytic_slope_is_dashed(tmp_path: Path, drawn: list[Figure]) -> None:
    args = ["diff", "x**3", "--at", "1", "--method", "forward", "--h", "0.3"]
    document, figure = plotted(args, tmp_path, drawn)
    (dashed,) = lines(figure, "analytic slope")
    assert dashed.get_linestyle() == "--"
    (x0, x1), (y0, y1) = dashed.get_xdata(), dashed.get_ydata()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(document["results"][0]["analytic"], rel=1e-12)


def test_a_kink_draws_both_one_sided_slopes(tmp_path: Path, drawn: list[Figure]) -> None:
    document, figure = plotted(["diff", "abs(x)", "--at", "0"], tmp_path, drawn)
    left, right = lines(figure, "left slope"), lines(figure, "right slope")
    assert [line.get_ydata()[1] - line.get_ydata()[0] for line in left + right] == [
        2 * document["results"][0]["left"],
        2 * document["results"][0]["right"],
    ]


def test_the_field_is_the_negative_gradient_of_the_json(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    args = ["grad", BOWL, *(item for point in GRID for item in ("--at", point))]
    document, figure = plotted(args, tmp_path, drawn)
    (quiver,) = figure.axes[0].collections[-1:]
    rows = document["results"]
    assert np.array_equal(quiver.U, [-row["numerical"]["x0"] for row in rows])
    assert np.array_equal(quiver.V, [-row["numerical"]["x1"] for row in rows])
    assert quiver.get_offsets().tolist() == [[row["at"]["x0"], row["at"]["x1"]] for row in rows]
    assert figure.axes[0].get_title() == f"−∇f of {BOWL}"


def test_the_field_from_the_api_on_a_grid_points_at_the_minimum() -> None:
    axis = np.arange(-2, 2.75, 0.25)  # the primer's grid
    grid = [{"x0": a, "x1": b} for a in axis for b in axis]
    figure = plots.figure(diffcli.gradient(BOWL, at=grid, analytic=False))
    quiver = figure.axes[0].collections[-1]
    offsets = quiver.get_offsets()
    # −∇f of the bowl points back at the origin: (U, V) = −2 (x0, x1) up to the quotient's error
    assert np.allclose(np.column_stack([quiver.U, quiver.V]), -2 * offsets, atol=1e-6)


def test_one_point_draws_the_gradient_itself(tmp_path: Path, drawn: list[Figure]) -> None:
    document, figure = plotted(["grad", BOWL, "--at", "3,4"], tmp_path, drawn)
    quiver = figure.axes[0].collections[-1]
    numerical = document["results"][0]["numerical"]
    assert (quiver.U.tolist(), quiver.V.tolist()) == ([numerical["x0"]], [numerical["x1"]])


def test_the_path_is_the_trace_of_the_json(tmp_path: Path, drawn: list[Figure]) -> None:
    args = ["descend", BOWL, "--from", "-3,4", "--lr", "0.1", "--steps", "20", "--trace", "1"]
    document, figure = plotted(args, tmp_path, drawn)
    (path,) = lines(figure, "sgd")
    trace = document["trace"]
    assert path.get_xdata().tolist() == [row["at"]["x0"] for row in trace]
    assert path.get_ydata().tolist() == [row["at"]["x1"] for row in trace]
    (start,) = lines(figure, "start")
    assert (start.get_xdata()[0], start.get_ydata()[0]) == (-3.0, 4.0)
    (minimum,) = lines(figure, "analytic minimum")
    assert (minimum.get_xdata()[0], minimum.get_ydata()[0]) == (0.0, 0.0)


def test_a_compared_path_per_optimizer_ends_where_the_json_says(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    args = ["descend", "x0**2 + 10*x1**2", "--from", "-3,4", "--compare"]
    document, figure = plotted(args, tmp_path, drawn)
    for row in document["results"]:
        (path,) = lines(figure, f"{row['optimizer']} ({row['status']})")
        assert len(path.get_xdata()) == row["steps"] + 1
        end = (path.get_xdata()[-1], path.get_ydata()[-1])
        assert end == (row["final"]["at"]["x0"], row["final"]["at"]["x1"])
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "end" in legend and legend[-1] == "start"
    assert len(legend) == len(document["results"]) + 3  # the minimum, the runs, end, start


def test_tensors_plot_the_loss_against_the_step(tmp_path: Path, drawn: list[Figure]) -> None:
    args = ["descend", "sum((W - T)**2)", "--from", "W=[[1,2],[3,4]]", "--set",
            "T=[[0,1],[1,0]]", "--lr", "0.1", "--steps", "5", "--trace", "1"]  # fmt: skip
    document, figure = plotted(args, tmp_path, drawn)
    (loss,) = lines(figure, "sgd")
    assert loss.get_xdata().tolist() == [row["step"] for row in document["trace"]]
    assert loss.get_ydata().tolist() == [row["value"] for row in document["trace"]]
    assert figure.axes[0].get_xlabel() == "step"


def test_the_sweep_draws_the_errors_of_the_json(tmp_path: Path, drawn: list[Figure]) -> None:
    document, figure = plotted(["sweep", QUADRATIC, "--at", "5"], tmp_path, drawn)
    axes = figure.axes[0]
    assert (axes.get_xscale(), axes.get_yscale()) == ("log", "log")
    for name in ("forward", "central"):
        (line,) = lines(figure, f"{name} |error|")
        errors = [row[f"{name}_error"] or np.nan for row in document["rows"]]
        assert np.array_equal(line.get_ydata(), errors, equal_nan=True)
        (best,) = lines(figure, f"best {name} h")
        assert best.get_xdata()[0] == document[f"best_{name}_step"]
    assert lines(figure, "∝ h²") and lines(figure, "∝ 1/h (rounding)")


def test_plot_draws_the_curve_the_api_samples(tmp_path: Path, drawn: list[Figure]) -> None:
    outcome = invoke(["plot", QUADRATIC, "--range", "0:20", "-o", str(tmp_path / "f.png")])
    assert outcome.exit_code == 0, outcome.explain()
    assert (outcome.stdout, outcome.stderr) == ("", "")
    (figure,) = drawn
    (curve,) = figure.axes[0].get_lines()
    samples = diffcli.plot(QUADRATIC, range="0:20")
    assert np.array_equal(curve.get_xdata(), samples.axes[0])
    assert np.array_equal(curve.get_ydata(), samples.values)
    assert (curve.get_xdata()[0], curve.get_xdata()[-1]) == (0.0, 20.0)
    assert curve.get_ydata()[-1] == 0.01 * 20.0**2 + 0.1 * 20.0


def test_a_curve_breaks_at_a_pole_and_where_f_is_undefined(
    tmp_path: Path, drawn: list[Figure]
) -> None:
    outcome = invoke(["plot", "tan(x)", "--range", "0:3", "-o", str(tmp_path / "tan.png")])
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stderr == (
        "warning: f jumps (a pole or a step) near x = 1.5675: the curve breaks\n"
    )
    (curve,) = drawn[0].axes[0].get_lines()
    gap = np.flatnonzero(np.isnan(curve.get_ydata()))
    (x_before,) = curve.get_xdata()[gap - 1]
    assert x_before < np.pi / 2 < curve.get_xdata()[gap + 1][0]
    outcome = invoke(["plot", "log(x)", "-o", str(tmp_path / "log.png")])
    assert outcome.stderr == "warning: f is undefined for x = 0 (the curve breaks there)\n"
    samples = diffcli.plot("log(x)")
    assert (samples.axes[0][0], samples.axes[0][-1]) == (0.0, 10.0)  # the side where f lives
    samples = diffcli.plot("sqrt(x)", range="-1:1")
    assert samples.warnings == ("f is undefined for x in [-1, -0.0025] (the curve breaks there)",)


@pytest.mark.parametrize("kind", ["contour", "heatmap", "surface"])
def test_two_variables_are_drawn_as_asked(kind: str, tmp_path: Path, drawn: list[Figure]) -> None:
    args = ["plot", BOWL, "--range", "-3:3", "--range", "x1=0:1", "--kind", kind]
    outcome = invoke([*args, "-o", str(tmp_path / "map.png")])
    assert outcome.exit_code == 0, outcome.explain()
    axes = drawn[0].axes[0]
    assert axes.name == ("3d" if kind == "surface" else "rectilinear")
    assert (axes.get_xlabel(), axes.get_ylabel(), axes.get_title()) == ("x0", "x1", BOWL)
    samples = diffcli.plot(BOWL, range=["-3:3", "x1=0:1"], kind=kind)
    assert samples.values[0, 0] == 9.0 and samples.values[-1, -1] == 10.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y*z"], "a plot has one or two variables; x*y*z has x, y, z: hold the others "
         "with --set, e.g. --set z=0"),
        (["x", "--kind", "surface"], "--kind surface needs two variables; one is a curve"),
        (["x", "--range", "y=0:1"], "--range for y: not a variable to plot (those are x)"),
        (["x", "--range", "2:1"], "--range must go from a finite start to a larger finite "
         "stop, got 2:1"),
        (["x", "--range", "1:2:3"], "--range '1:2:3': write START:STOP, e.g. -3:3 or x=0:20"),
    ],
)  # fmt: skip
def test_plot_refuses_what_it_cannot_draw(args: list[str], message: str, tmp_path: Path) -> None:
    outcome = invoke(["plot", *args, "-o", str(tmp_path / "f.png")])
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr == f"error: {message}\n"
    assert not (tmp_path / "f.png").exists()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_files_are_valid_and_of_the_requested_size(tmp_path: Path) -> None:
    base = ["diff", QUADRATIC, "--at", "5", "--size", "5x3", "--dpi", "80", "--plot"]
    for name in ("f.png", "f.svg", "f.pdf"):
        outcome = invoke([*base, str(tmp_path / name)])
        assert outcome.exit_code == 0, outcome.explain()
    assert png_size((tmp_path / "f.png").read_bytes()) == (400, 240)
    svg = (tmp_path / "f.svg").read_text()
    assert svg.startswith("<?xml") and '<svg xmlns:xlink="http://www.w3.org/1999/xlink"' in svg
    assert 'width="360pt" height="216pt"' in svg  # 5 x 3 inches at 72 points an inch
    pdf = (tmp_path / "f.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"/MediaBox [ 0 0 360 216 ]" in pdf


def test_dash_writes_png_to_standard_output() -> None:
    from click.testing import CliRunner

    from diffcli.cli import cli

    result = CliRunner().invoke(cli, ["plot", BOWL, "-o", "-", "--size", "2x1"])
    assert result.exit_code == 0, result.stderr
    assert png_size(result.stdout_bytes) == (200, 100)


def test_plot_dash_is_refused_where_standard_output_carries_the_report() -> None:
    outcome = invoke(["diff", QUADRATIC, "--at", "5", "--plot", "-"])
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr == (
        "error: Invalid value for '--plot': standard output carries the command's output: name "
        "a file (diffcli plot -o - writes a figure there) (see 'diffcli diff --help')\n"
    )


def test_diverged_runs_do_not_set_the_view(tmp_path: Path, drawn: list[Figure]) -> None:
    args = ["descend", "x0**2 + 10*x1**2", "--from", "-3,4", "--lr", "0.2", "--compare"]
    document, figure = plotted(args, tmp_path, drawn)
    assert "diverged" in {row["status"] for row in document["results"]}
    low, high = figure.axes[0].get_ylim()
    assert -2 < low < high < 5


def test_an_unknown_extension_is_refused_before_any_work() -> None:
    outcome = invoke(["diff", QUADRATIC, "--at", "5", "--plot", "f.gif"])
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr == (
        "error: Invalid value for '--plot': 'f.gif': write .png, .svg, .pdf "
        "(by the file's extension) (see 'diffcli diff --help')\n"
    )


def test_an_unwritable_file_is_one_line_after_the_normal_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = invoke(["diff", QUADRATIC, "--at", "5", "-f", "value", "--plot", "no/f.png"])
    assert outcome.exit_code == 2
    assert outcome.stdout == "0.1999999999990898\n"
    assert outcome.stderr == "error: --plot 'no/f.png': cannot write: No such file or directory\n"


def test_a_plot_it_cannot_draw_is_refused_after_the_output(tmp_path: Path) -> None:
    args = ["grad", "x0*x1*x2", "--at", "1,2,3", "--format", "value"]
    outcome = invoke([*args, "--plot", str(tmp_path / "f.png")])
    assert outcome.exit_code == 2
    assert outcome.stdout == invoke(args).stdout != ""
    assert outcome.stderr == (
        "error: --plot draws the gradient of two single-number variables, not of x0, x1, x2\n"
    )


def test_the_api_keeps_the_path_only_when_asked() -> None:
    assert diffcli.descend(BOWL, start=[-3, 4], steps=3).path is None
    report = diffcli.descend(BOWL, start=[-3, 4], lr=0.1, steps=20, path=True)
    assert report.path is not None
    assert report.path.points[0].tolist() == [-3.0, 4.0]
    assert report.path.points[-1].tolist() == [report.final.at["x0"], report.final.at["x1"]]
    assert report.path.values[0] == 25.0 and len(report.path.values) == 21
    assert report.path.values[-1] == report.final.value


def test_commands_without_plot_import_no_matplotlib() -> None:
    code = (
        "import sys\n"
        "from diffcli.cli import cli\n"
        "cli.main(args=['diff', 'x**2', '--at', '1', '--no-analytic'], standalone_mode=False)\n"
        "print('matplotlib' in sys.modules, file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "False"


def test_the_readme_figures_are_checked_in_small() -> None:
    figures = Path(__file__).resolve().parents[1] / "docs" / "figures"
    names = {"function.png", "tangents.png", "surface.png", "field.png", "path.png"}
    for name in names:
        data = (figures / name).read_bytes()
        assert len(data) <= 200_000, name
        assert png_size(data) == (512, 384), name  # 6.4 x 4.8 inches at 80 dpi
        assert f"(docs/figures/{name})" in (figures.parents[1] / "README.md").read_text()


def test_the_interval_examples_run() -> None:
    assert doctest.testmod(intervals).failed == 0
