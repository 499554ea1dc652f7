"""Ranges and grids: ``--at START:STOP:STEP`` as numpy.arange, grids in meshgrid order."""

from __future__ import annotations

import numpy as np
import pytest

import diffcli
from bench import primer
from diffcli.errors import InputError
from diffcli.expr.parsing import parse
from diffcli.expr.points import bind, bind_each, expand, read_bindings
from diffcli.expr.ranges import MAX_POINTS


def test_the_primers_range_gives_its_200_points_and_its_derivatives_to_the_bit(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "0:20:0.1", "-f", "value", "--no-analytic")
    xs = np.arange(0.0, 20.0, 0.1)
    expected = [primer.numerical_diff(primer.function_1, x) for x in xs]
    assert [float(line) for line in outcome.stdout.splitlines()] == expected
    assert len(expected) == 200


def test_the_kth_point_is_start_plus_k_steps_without_drift():
    (bindings,) = [read_bindings("0.5:1:0.1")]
    values = [float(one.positional[0]) for one in expand(bindings)]
    assert values == [0.5 + k * 0.1 for k in range(5)]
    # summing the step would drift: 0.5 + 0.1 + 0.1 + 0.1 is 0.7999999999999999
    assert values[3] == 0.8


def test_a_range_runs_downwards_with_a_negative_step_and_excludes_its_stop():
    values = [float(one.positional[0]) for one in expand(read_bindings("1:-1:-0.5"))]
    assert values == [1.0, 0.5, 0.0, -0.5]


def test_two_ranges_make_the_primers_meshgrid_in_flatten_order():
    report = diffcli.gradient("x0**2 + x1**2", at="x0=-2:2.5:0.25,x1=-2:2.5:0.25", analytic=False)
    axis = np.arange(-2, 2.5, 0.25)
    grid_x0, grid_x1 = (axis_values.flatten() for axis_values in np.meshgrid(axis, axis))
    points = [(float(row.at["x0"]), float(row.at["x1"])) for row in report.results]
    assert points == list(zip(grid_x0.tolist(), grid_x1.tolist()))
    assert points[:3] == [(-2.0, -2.0), (-1.75, -2.0), (-1.5, -2.0)]  # x0 varies fastest
    assert len(points) == 18 * 18


def test_a_range_beside_a_fixed_value_and_in_constant_expressions(run):
    outcome = run("diff", "x0*x1", "--wrt", "x0", "--at", "x0=0:3:1,x1=5", "-f", "csv")
    assert [line.split(",")[:3] for line in outcome.stdout.splitlines()] == [
        ["x0", "x1", "value"],
        ["0.0", "5.0", "0.0"],
        ["1.0", "5.0", "5.0"],
        ["2.0", "5.0", "10.0"],
    ]
    bindings = expand(read_bindings("-pi:pi:pi/2"))
    assert [float(one.positional[0]) for one in bindings] == [-np.pi, -np.pi / 2, 0.0, np.pi / 2]


def test_the_api_reads_ranges_in_text():
    report = diffcli.derivative("x**2", at="0:3:1", analytic=False)
    assert [row.numerical for row in report.results] == [0.0, 1.9999999999992246, 4.000000000004]


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("0:1:0", "error: --at '0:1:0': the step of a range cannot be 0\n"),
        (
            "0:1:-1",
            "error: --at '0:1:-1': the range is empty: its step must be positive to "
            "reach its stop\n",
        ),
        (
            "1:0:0.5",
            "error: --at '1:0:0.5': the range is empty: its step must be negative to "
            "reach its stop\n",
        ),
        ("1:1:1", "error: --at '1:1:1': the range is empty (its stop is excluded)\n"),
        ("0:1", "error: --at '0:1': write a range as START:STOP:STEP, e.g. 0:20:0.1\n"),
        ("0:1e9:1e-3", "error: --at '0:1e9:1e-3': the range has more than 1,000,000 points\n"),
        (
            "0:1e308:1e-308",
            "error: --at '0:1e308:1e-308': the range has more than 1,000,000 points\n",
        ),
        ("0:x:1", "error: --at '0:x:1': 'x' is not a number (it names x)\n"),
        (
            "x0=0:2000:1,x1=0:2000:1",
            "error: --at 'x0=0:2000:1,x1=0:2000:1': the grid has 2,000 × 2,000 = 4,000,000 "
            "points, more than 1,000,000\n",
        ),
        (
            "x0=0:2:1,3,x1=1",
            "error: --at 'x0=0:2:1,3,x1=1': a range gives x0 one number per point\n",
        ),
    ],
)
def test_bad_ranges_are_refused_with_the_reason(run, at, message):
    outcome = run("diff", "x0 + x1", "--wrt", "x0", "--at", at, expect=2)
    assert outcome.stderr == message
    assert outcome.stdout == ""


def test_every_points_together_are_bounded_too():
    texts = ["0:600000:1", "0:600000:1"]
    with pytest.raises(InputError, match=r"^at: 1,200,000 points, more than 1,000,000$"):
        diffcli.derivative("x", at=texts)
    assert MAX_POINTS == 1_000_000


def test_commands_of_one_point_refuse_a_range(run):
    assert run("descend", "x**2", "--from", "0:1:0.5", expect=2).stderr == (
        "error: --from: descend takes one start, got 2\n"
    )
    assert run("diff", "x*t", "--at", "1", "--set", "t=0:1:0.5", expect=2).stderr == (
        "error: --set 't=0:1:0.5': a held value cannot be a range\n"
    )


def test_binding_a_range_without_expanding_it_is_refused():
    with pytest.raises(InputError, match="a range gives several points; at takes one"):
        bind(read_bindings("0:1:0.5"), parse("x"))


@pytest.mark.parametrize(
    ("expression", "at", "fixed"),
    [
        ("x0*x1", "x0=0:1:0.25,x1=-1:1:0.5", {}),
        ("x0*x1", "0:1:0.25,3", {}),
        ("x*t", "0:1:0.5", {"t": np.array(2.0)}),
        ("x[0]*x[1]", "0:2:1,5", {}),  # joined into a vector: bound point by point
        ("sum(W)", "W=[[1,2],[3,4]]", {}),  # no range: one point
    ],
)
def test_binding_a_grid_once_gives_the_points_binding_each_gives(
    expression: str, at: str, fixed: dict[str, object]
) -> None:
    parsed = parse(expression)
    bindings = read_bindings(at)
    fast = bind_each(bindings, parsed, fixed)
    each = [bind(one, parsed, fixed) for one in expand(bindings)]
    assert len(fast) == len(each)
    for point, reference in zip(fast, each, strict=True):
        assert list(point) == list(reference)
        for name in point:
            assert np.asarray(point[name]).dtype == np.float64
            assert np.array_equal(point[name], reference[name])
            assert np.shape(point[name]) == np.shape(reference[name])
