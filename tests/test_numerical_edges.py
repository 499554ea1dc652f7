"""Exact zeros, extreme points and steps, negative indices: numbers, never crashes or silence."""

from __future__ import annotations

import json
import math

import pytest

from diffcli import derivative, gradient
from diffcli.engine.quotients import apply_stencil
from diffcli.engine.registry import names
from diffcli.errors import InputError
from diffcli.options import MAX_STEP
from diffcli.usecases.notes import LARGE_STEP_RATIO
from tests.conftest import Run, invoke

TABLE_ZERO_GRADIENT = """\
f = x0**2 + x1**2
∂f/∂x0 = 2*x0
∂f/∂x1 = 2*x1
central difference, h = 0.0001

at x0=0, x1=0
f = 0.0
∂f/∂  numerical  analytic  abs error  rel error
───────────────────────────────────────────────
x0          0.0       0.0          0        n/a
x1          0.0       0.0          0        n/a
largest abs error: 0
∇f = [0.0, 0.0]
|∇f| = 0.0 (analytic 0.0)
"""


def ran(*args: str, expect: int = 0) -> Run:
    outcome = invoke(args)
    assert outcome.exit_code == expect, outcome.explain()
    assert "internal error" not in outcome.stderr, outcome.explain()
    return outcome


# 3. A gradient that is exactly zero has norm 0.0 (the norm divided by its largest component).


def test_the_minimum_itself_prints_a_zero_norm() -> None:
    outcome = ran("grad", "x0**2 + x1**2", "--at", "0,0")
    assert outcome.stdout == TABLE_ZERO_GRADIENT
    assert outcome.stderr == ""


@pytest.mark.parametrize("method", names("grad"))
def test_an_exactly_zero_gradient_has_norm_zero_by_every_method(method: str) -> None:
    outcome = ran("grad", "x0*x1", "--at", "0,0", "--method", method, "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert row["numerical"] == {"x0": 0.0, "x1": 0.0}
    assert (row["norm"], row["analytic_norm"], row["status"]) == (0.0, 0.0, "ok")


@pytest.mark.parametrize("method", names("grad"))
@pytest.mark.parametrize("point", ["0,0", "1e-200,0"])
def test_the_norm_at_and_near_the_minimum_by_every_method(method: str, point: str) -> None:
    args = ("grad", "x0**2 + x1**2", "--at", point, "--method", method)
    outcome = ran(*args, "--no-analytic", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    norm = math.hypot(row["numerical"]["x0"], row["numerical"]["x1"])
    assert row["norm"] == pytest.approx(norm, rel=4e-16, abs=0.0)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "csv",
            "x0,x1,value,numerical.x0,numerical.x1,norm,analytic_norm,max_abs_error,"
            "evaluations,status\n0.0,0.0,0.0,0.0,0.0,0.0,,,8,ok\n",
        ),
        ("value", "0.0\n0.0\n"),
    ],
)
def test_a_zero_gradient_without_sympy_in_flat_formats(fmt: str, expected: str) -> None:
    outcome = ran("grad", "x0*x1", "--at", "0,0", "--no-analytic", "-f", fmt)
    assert outcome.stdout == expected


def test_a_huge_point_whose_steps_vanished_has_norm_zero_and_says_why() -> None:
    outcome = ran("grad", "x0**2+x1**2", "--at", "1e20,1", "-f", "json")
    (row,) = json.loads(outcome.stdout)["results"]
    assert (row["norm"], row["analytic_norm"], row["status"]) == (0.0, 2e20, "step-vanished")
    assert "the step h=0.0001 vanished in rounding for x0" in outcome.stderr


def test_the_norm_of_a_zero_gradient_in_the_api() -> None:
    (row,) = gradient("x0*x1", at="0,0", analytic=False).results
    assert row.norm == 0.0


# 4. Scales and powers of steps that are no double at extreme points.


def test_mixed_hessian_entries_at_1e_300_are_scaled_back_one_scale_at_a_time() -> None:
    # before: the scales 2**-997 * 2**-997 underflowed to 0, and the entry divided by it
    args = ("hessian", "sqrt(x0*x1)", "--at", "1e-300,1e-300", "--method", "richardson")
    outcome = ran(*args, "-f", "json", "--no-analytic")
    (row,) = json.loads(outcome.stdout)["results"]
    # x0*x1 underflows to 0 in doubles: the function computed is 0 near the point
    assert row["numerical"] == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("method", ["richardson", "auto"])
def test_mixed_entries_of_a_regular_function_at_tiny_points(method: str) -> None:
    args = ("hessian", "x0*x1 + x0**2", "--at", "1e-300,1e-300", "--method", method)
    outcome = ran(*args, "-f", "json", "--no-analytic")
    (row,) = json.loads(outcome.stdout)["results"]
    assert row["numerical"][0][1] == row["numerical"][1][0]
    assert row["numerical"][0][1] == pytest.approx(1.0, rel=1e-8)
    assert row["numerical"][0][0] == pytest.approx(2.0, rel=1e-8)


def test_a_third_derivative_at_1e300_whose_step_cubed_overflows() -> None:
    # before: internal error (OverflowError: h**3 with h = 7.4e296)
    outcome = ran("diff", "x", "--at", "1e300", "--order", "3", "-f", "csv")
    assert outcome.stdout.splitlines()[1] == (
        "1e+300,1e+300,central,7.40095979741405e+296,-0.0,0.0,0.0,,12,0.0,,,,ok"
    )


def test_a_second_derivative_whose_step_squared_underflows_is_a_vanished_step() -> None:
    # h**2 = 1e-400 is 0: before, the quotient divided by it (inf or nan)
    outcome = ran("diff", "x**2", "--at", "1", "--order", "2", "--h", "1e-200", "-f", "csv")
    assert outcome.stdout.splitlines()[1].endswith(",9,inf,,,,step-vanished")
    assert "the step h=1e-200 vanished in rounding" in outcome.stderr


def test_apply_stencil_divides_by_h_power_by_power_where_the_power_is_no_double() -> None:
    assert apply_stencil((-1, 1), [0.0, 1e300], 2, 1e296, 3) == 1e300 / 2 / 1e296 / 1e296 / 1e296
    # h**2 = 1e-320 is subnormal: dividing by it would keep only 4 digits (4.00004e20)
    assert (
        apply_stencil((1, -2, 1), [2e-300, 0.0, 2e-300], 1, 1e-160, 2) == 4e-300 / 1e-160 / 1e-160
    )
    # where h**N is a double the quotient is the textbook one, bit for bit
    assert apply_stencil((-1, 1), [1.0, 3.0], 2, 0.5, 1) == (3.0 - 1.0) / (2 * 0.5)


# 7. --wrt x[-1] counts from the end, as x[-1] does in an expression: on both sides.


def test_a_negative_wrt_index_is_the_element_from_the_end_on_both_sides() -> None:
    outcome = ran("diff", "sum(x)", "--at", "1,2", "--wrt", "x[-1]", "-f", "csv")
    assert outcome.stdout.splitlines()[1] == (
        "1.0,2.0,3.0,central,0.0001,0.9999999999998899,1.0,1.1013412404281553e-13,"
        "1.1013412404281553e-13,4,1.924386576016938e-11,,,,ok"
    )


def test_a_negative_wrt_index_is_labelled_by_the_element_it_names() -> None:
    report = derivative("x[0]*x[1]**2", at="1,2", wrt="x[-1]")
    assert (report.variable, report.derivative) == ("x[1]", "2*x[0]*x[1]")
    assert report.results[0].analytic == 4.0
    matrix = derivative("sum(W*W)", at="W=[[1,2],[3,4]]", wrt="W[-1,-2]", analytic=False)
    assert matrix.variable == "W[1,0]"
    assert matrix.results[0].numerical == pytest.approx(6.0, rel=1e-9)


def test_a_negative_index_naming_different_elements_at_different_points_is_refused() -> None:
    outcome = ran("diff", "sum(x)", "--at", "1,2", "--at", "1,2,3", "--wrt", "x[-1]", expect=2)
    assert outcome.stderr == (
        "error: --wrt x[-1] names x[1] and x[2] at points of different shapes; "
        "count from the start\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "sum(x)", "--at", "1,2", "--wrt", "x[-3]"], "index -3 is out of range"),
        (["diff", "x[-9]", "--at", "1,2"], "index -9 is out of range for x of length 2"),
        (["grad", "sum(x)", "--at", "1,2", "--wrt", "x[-1]"], "cannot differentiate by x[-1]"),
    ],
)
def test_negative_indices_out_of_range_or_in_grad_are_refused(
    args: list[str], message: str
) -> None:
    assert message in ran(*args, expect=2).stderr


def test_a_negative_index_in_the_expression_agrees_with_sympy() -> None:
    report = derivative("x[-1]**2*x[0]", at="1,2", wrt="x[1]")
    assert report.results[0].analytic == 4.0
    assert report.results[0].numerical == pytest.approx(4.0, rel=1e-9)


# 9. A step so large that the stencil overflows is refused; one far past the point, flagged.


@pytest.mark.parametrize("command", ["diff", "grad", "hessian"])
def test_a_step_whose_stencil_can_overflow_is_refused(command: str) -> None:
    outcome = ran(command, "x**2", "--at", "1", "--h", "1e308", expect=2)
    assert outcome.stderr == (
        "error: --h must be at most 2.2e+307, an eighth of the largest double: "
        "the widest stencil reaches x ± 6h, got 1e+308\n"
    )


def test_the_largest_step_is_refused_in_the_api_too() -> None:
    with pytest.raises(InputError, match=r"^h must be at most 2.2e\+307"):
        derivative("x", at=1, h=MAX_STEP * 2)
    assert derivative("x", at=1, h=MAX_STEP, analytic=False).results[0].status == "unreliable"


def test_a_step_far_larger_than_the_point_is_unreliable_with_a_warning() -> None:
    outcome = ran("diff", "sin(x)", "--at", "1", "--h", "1e7", "-f", "csv")
    assert outcome.stdout.splitlines()[1].endswith(",unreliable")
    assert outcome.stderr == (
        "warning: at x=1 the step h=10000000 is more than 1000000 times the scale "
        "max(1, |x|) of x: the quotient samples f too far from the point to be its "
        "derivative; use a smaller --h\n"
    )


def test_a_large_step_within_the_ratio_is_not_flagged() -> None:
    step = LARGE_STEP_RATIO * 1e3  # the scale of x = 1e3 is 1e3
    report = derivative("x**2", at=1e3, h=step, analytic=False)
    assert (report.results[0].status, report.warnings) == ("ok", ())


@pytest.mark.parametrize(
    ("command", "method"), [("grad", "central"), ("grad", "complex"), ("hessian", "central")]
)
def test_grad_and_hessian_flag_a_step_far_larger_than_the_point(command: str, method: str) -> None:
    args = (command, "sin(x0) + x1", "--at", "1,1", "--h", "1e7", "--method", method)
    outcome = ran(*args, "-f", "json", expect=1 if method == "complex" else 0)
    (row,) = json.loads(outcome.stdout)["results"]
    assert "is more than 1000000 times the scale max(1, |x|) of x0, x1" in outcome.stderr
    if method != "complex":  # sin(1 + 1e7 i) overflows: not-finite, exit 1
        assert row["status"] == "unreliable"


def test_richardson_only_starts_from_a_large_step_and_is_not_flagged_for_it() -> None:
    outcome = ran("grad", "x0**2 + x1", "--at", "1,1", "--h", "1e7", "--method", "richardson")
    assert "times the scale" not in outcome.stderr


# 12. sweep --format value at a kink: nan nan, the rows' status kink.


def test_sweep_value_format_at_a_kink_prints_nan() -> None:
    outcome = ran("sweep", "abs(x)", "--at", "0", "-f", "value")
    assert outcome.stdout == "nan nan\n" * 16
    assert outcome.stderr == (
        "warning: abs(x) is not differentiable at x=0: the left derivative is -1.0, "
        "the right derivative is 1.0\n"
    )


def test_sweep_rows_at_a_kink_have_status_kink_and_no_errors() -> None:
    outcome = ran("sweep", "abs(x)", "--at", "0", "-f", "csv")
    assert outcome.stdout.splitlines()[:3] == [
        "x,step,forward,forward_error,central,central_error,status",
        "0.0,0.1,1.0,,0.0,,kink",
        "0.0,0.01,1.0,,0.0,,kink",
    ]


def test_sweep_without_a_kink_still_prints_its_errors() -> None:
    outcome = ran("sweep", "x**2", "--at", "1", "-f", "value")
    assert outcome.stdout.splitlines()[0] == "0.10000000000000187 4.440892098500626e-16"


# 13. Messages that say what went wrong.


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["diff", "x", "--at", "1,5"],
            "error: --at '1,5': ',' separates values and the decimal mark is '.': "
            "did you mean --at 1.5?\n",
        ),
        (
            ["descend", "x**2", "--from", "-2,25"],
            "error: --from '-2,25': ',' separates values and the decimal mark is '.': "
            "did you mean --from -2.25?\n",
        ),
        (
            ["diff", "x", "--at", "1e400"],
            "error: --at '1e400': '1e400' overflows a double (the largest is 1.8e+308)\n",
        ),
        (
            ["grad", "sum(x)", "--at", "x=[1,-1e400]"],
            "error: --at 'x=[1,-1e400]': '-1e400' overflows a double (the largest is 1.8e+308)\n",
        ),
        (
            ["diff", "x*1e400", "--at", "1"],
            "error: number literal overflows a double (the largest is 1.8e+308) (column 3)\n"
            "  x*1e400\n"
            "    ^\n",
        ),
        (
            ["diff", "sin x", "--at", "1"],
            "error: syntax error: unexpected 'x'; a function takes its argument in "
            "parentheses: sin(x) (column 5)\n"
            "  sin x\n"
            "      ^\n",
        ),
    ],
)
def test_messages_name_the_likely_mistake(args: list[str], message: str) -> None:
    assert ran(*args, expect=2).stderr == message


def test_two_values_for_a_vector_variable_are_still_a_vector() -> None:
    outcome = ran("diff", "sum(x)", "--at", "1,5", "--wrt", "x[0]", "-f", "value")
    assert float(outcome.stdout) == pytest.approx(1.0, rel=1e-9)


def test_a_syntax_error_after_a_variable_gets_no_function_hint() -> None:
    assert ran("diff", "x y", "--at", "1", expect=2).stderr.startswith(
        "error: syntax error: unexpected 'y' (column 3)\n"
    )


# The same class elsewhere: every method at exact zeros, subnormals and extreme magnitudes.

EXTREMES = ("0", "5e-324", "-1e-300", "1e300", "-1.7e308")


@pytest.mark.parametrize("point", EXTREMES)
@pytest.mark.parametrize("method", [*names("diff"), "all"])
def test_diff_at_extreme_points_by_every_method_never_crashes(point: str, method: str) -> None:
    for expression in ("x**3", "sqrt(abs(x))"):
        outcome = invoke(["diff", expression, "--at", point, "--method", method, "--order", "2"])
        assert outcome.exit_code in (0, 1, 2), outcome.explain()
        assert "internal error" not in outcome.stderr, outcome.explain()


@pytest.mark.parametrize("first", EXTREMES)
@pytest.mark.parametrize("command", ["grad", "hessian"])
def test_grad_and_hessian_at_extreme_points_never_crash(command: str, first: str) -> None:
    for method in names(command):
        for second in ("0", "1e-300", "1e300"):
            point = f"{first},{second}"
            args = [command, "x0/x1 + x0*x1", "--at", point, "--method", method]
            outcome = invoke([*args, "--no-analytic", "-f", "json"])
            assert outcome.exit_code in (0, 1), outcome.explain()
            assert "internal error" not in outcome.stderr, outcome.explain()
            if outcome.exit_code == 0:
                for row in json.loads(outcome.stdout)["results"]:
                    assert row["status"] in ("ok", "kink", "unreliable", "step-vanished")
                    if command == "grad":  # a finite gradient has a finite norm
                        assert isinstance(row["norm"], float), outcome.explain()


@pytest.mark.parametrize("method", ["complex", "auto"])
def test_the_complex_step_at_a_subnormal_point_is_the_smallest_normal_double(method: str) -> None:
    # before: 2**-66 * 2**-1074 underflowed to 0 and Im f(x + 0i) / 0 was nan (exit 1)
    (row,) = derivative("sin(x)", at=5e-324, method=method, analytic=False).results
    assert (row.step, row.numerical, row.status) == (2.2250738585072014e-308, 1.0, "ok")


@pytest.mark.parametrize("command", ["diff", "descend"])
def test_a_time_limit_past_what_a_wait_can_take_is_refused(command: str) -> None:
    # before: internal error (OverflowError: timestamp out of range for platform time_t)
    option = "--at" if command == "diff" else "--from"
    outcome = ran(command, "x**2", option, "1", "--analytic-timeout", "1e10", expect=2)
    assert outcome.stderr == (
        "error: --analytic-timeout must be at most 1e+09 seconds (inf or 0: no limit), got 1e+10\n"
    )
