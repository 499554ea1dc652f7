"""Many points as columns: the same points, rows and text as one point, one row, one cell at a
time (ranges and streams held as arrays, CSV/TSV written a block of columns at a time)."""

from __future__ import annotations

import io
import math
from contextlib import redirect_stdout
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import diffcli
from diffcli.cli import cli
from diffcli.expr.points import PointColumns, bind, expand, read_bindings
from diffcli.render import emit_column_block, emit_delimited, numbers_text
from diffcli.render.fields import Selected
from diffcli.render.formats import REGISTRY, Delimited
from diffcli.render.schema import ColumnBlock, cell_text
from diffcli.render.schemas import schema_for
from diffcli.results import DerivativeRows

#: Where orjson's text and repr's differ, their edges, and numbers far from them.
EDGES = [
    0.0, -0.0, 1e-4, 9.999999999999999e-05, 1.1e-4, 1e-5, 9.99999e-06, 1.5e-07, 1e-9,
    9.999999999999999e-10, 1e-10, 5e-324, 1e16, 9999999999999998.0, 1e22, 1.7976931348623157e308,
    0.1, 123.456, -2.5e-06, math.nan, math.inf, -math.inf,
]  # fmt: skip


def test_numbers_text_writes_every_number_as_repr_does() -> None:
    matrix = np.array([EDGES, [-value for value in EDGES]]).T
    missing = np.zeros(matrix.shape, dtype=bool)
    missing[3, 1] = missing[7, 0] = True
    expected = "".join(
        ",".join("" if gone else repr(value) for value, gone in zip(row, gaps)) + "\n"
        for row, gaps in zip(matrix.tolist(), missing.tolist())
    )
    assert numbers_text(matrix, missing, ",") == expected
    assert numbers_text(matrix, missing, "\t") == expected.replace(",", "\t")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3),
        min_size=1,
        max_size=40,
    )
)
def test_numbers_text_parses_back_to_the_same_doubles(rows: list[list[float]]) -> None:
    matrix = np.array(rows, dtype=np.float64)
    text = numbers_text(matrix, np.zeros(matrix.shape, dtype=bool), ",")
    assert text == "".join(",".join(map(repr, row)) + "\n" for row in matrix.tolist())
    back = np.array([[float(cell) for cell in line.split(",")] for line in text.splitlines()])
    assert np.array_equal(back.view(np.int64), matrix.view(np.int64)) or np.isnan(matrix).any()


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_block_of_numbers_shared_cells_and_text_writes_what_its_rows_write(
    delimiter: str,
) -> None:
    statuses = ["ok", "unreliable", "ok", "not, finite", 'say "hi"', "ok"] * 3
    numbers = np.array([1e-7, 2.5e-5, math.nan, 0.1, -1e-300, 1e22] * 3)
    masked = np.ma.MaskedArray(numbers * 3, numbers > 1)
    columns = ["a,b", 4, numbers, None, "", masked, statuses, 1e-6, numbers]
    _assert_block_is_written_as_rows(columns, len(statuses), delimiter)


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_text_written_in_place_of_stand_in_numbers_keeps_every_row_as_written(
    delimiter: str,
) -> None:
    # runs of 3 to 18 characters (written over stand-in numbers), varying by row, at a row's
    # start, between numbers and at its end; around them numbers whose text is fixed after
    # orjson's (1e-05, 1e-07, NaN), missing cells, and a number equal to a stand-in (100.0)
    kinds = ["ok", "unreliable", "step-vanished", "x" * 18, "x" * 19, "abc"]
    statuses = [kinds[(row * 7) % len(kinds)] for row in range(24)]
    methods = [kinds[(row * 5) % 3 + 1] for row in range(24)]
    numbers = np.array([1e-5, 2.5e-7, math.nan, 100.0, -3e-9, 1e16] * 4)
    masked = np.ma.MaskedArray(numbers, numbers > 50)
    columns = [methods, numbers, "abc", masked, statuses, numbers[::-1].copy(), "central", 4]
    _assert_block_is_written_as_rows(columns, len(statuses), delimiter)


def _assert_block_is_written_as_rows(columns: list[Any], length: int, delimiter: str) -> None:
    """The block writer writes ``columns`` as the row writer writes their cells (a masked
    cell empty)."""

    def cell(column: Any, row: int) -> str:
        if np.ma.is_masked(column) and np.ma.getmaskarray(column)[row]:
            return ""
        if isinstance(column, (list, np.ndarray)):
            return cell_text(np.ma.getdata(column)[row])
        return cell_text(column)

    rows = [[cell(column, row) for column in columns] for row in range(length)]
    expected, written = io.StringIO(), io.StringIO()
    with redirect_stdout(expected):
        emit_delimited(None, rows, delimiter)
    with redirect_stdout(written):
        emit_column_block(None, ColumnBlock(length, columns), delimiter, None)
    assert written.getvalue() == expected.getvalue()


def test_a_grid_held_as_columns_gives_the_points_bound_one_by_one() -> None:
    expression = diffcli.parse("x0*sin(x1)")
    text = "x0=-2:2.5:0.25,x1=0:1:0.3"
    points = diffcli.derivative(expression, text, wrt="x1", analytic=False).results
    assert isinstance(points, DerivativeRows)
    assert isinstance(points.points, PointColumns)
    one_by_one = [bind(one, expression) for one in expand(read_bindings(text))]
    assert len(points.points) == len(one_by_one) == 18 * 4
    assert [row.at for row in points] == one_by_one


def _written(report: object, format_name: str, fields: list[str] | None, digits: int | None) -> str:
    """The format's text, and the text the row-by-row path writes for the same report."""
    format_ = REGISTRY[format_name]
    assert isinstance(format_, Delimited)
    schema = schema_for(report)
    if fields:
        schema = Selected.of(schema, report, fields, format_name, "columns")
    assert schema.column_block(report) is not None
    by_columns, by_rows = io.StringIO(), io.StringIO()
    with redirect_stdout(by_columns):
        format_.write(report, schema, digits)
    rows = ([cell_text(cell, digits) for cell in row] for row in schema.rows(report))
    with redirect_stdout(by_rows):
        emit_delimited(schema.columns(report), rows, format_.delimiter)
    assert by_columns.getvalue() == by_rows.getvalue()
    return by_columns.getvalue()


@pytest.mark.parametrize("format_name", ["csv", "tsv"])
@pytest.mark.parametrize("fields", [None, ["x", "numerical"], ["status", "x", "method"]])
@pytest.mark.parametrize("digits", [None, 4])
def test_columns_write_the_text_of_the_rows(
    format_name: str, fields: list[str] | None, digits: int | None
) -> None:
    # values from 1e-9 to 1e-4, where orjson's text and repr's differ, and zeros
    report = diffcli.derivative("1e-5*x + x**3", "-1:1:0.01")
    text = _written(report, format_name, fields, digits)
    assert len(text.splitlines()) == 201


def test_columns_hold_missing_analytic_values_and_given_statuses() -> None:
    report = diffcli.derivative("x**2", "0:3:0.5", h=1e-50, analytic=False)
    assert "step-vanished" in report.statuses
    text = _written(report, "csv", None, None)
    assert ",,,," in text  # no analytic value, no errors
    other = diffcli.derivative("sqrt(x)", "1e6:1e6+5:1")
    _written(other, "csv", None, None)


def test_streamed_plain_numbers_give_the_rows_of_points_read_one_by_one() -> None:
    numbers = [k * 0.0013 - 3 for k in range(5000)]
    plain = "".join(f"{value!r}\n" for value in numbers)
    named = "".join(f"x={value!r}\n" for value in numbers)  # read line by line
    runner = CliRunner()
    arguments = ["diff", "exp(x)*cos(x)", "--at", "-", "-f", "csv"]
    fast = runner.invoke(cli, arguments, input=plain)
    slow = runner.invoke(cli, arguments, input=named)
    assert fast.exit_code == slow.exit_code == 0, (fast.output, slow.output)
    assert (fast.stdout, fast.stderr) == (slow.stdout, slow.stderr)
    assert len(fast.stdout.splitlines()) == 5001


def test_streamed_columns_keep_held_values_and_line_numbers() -> None:
    runner = CliRunner()
    lines = "".join(f"{k},{k + 1}\n" for k in range(5000)) + "1,oops\n"
    found = runner.invoke(
        cli,
        ["diff", "t*x0*x1", "--set", "t=2", "--wrt", "x0", "--at", "-", "-f", "csv"],
        input=lines,
    )
    assert found.exit_code == 2
    rows = found.stdout.splitlines()
    assert rows[0].startswith("t,x0,x1,value,")
    assert rows[1].startswith("2.0,0.0,1.0,0.0,")
    assert len(rows) == 5001
    assert "<stdin>:5001:" in found.stderr
