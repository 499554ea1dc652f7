"""Output for machines: a column per coordinate, JSON Lines, --fields, --precision everywhere."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest


def test_diff_rows_carry_f_so_the_tangent_line_can_be_built(run: Any) -> None:
    out = run("diff", "x**3", "--at", "2", "-f", "csv", "--fields", "x,value,analytic").stdout
    assert out == "x,value,analytic\n2.0,8.0,12.0\n"


def test_json_lines_is_one_object_per_row_keyed_by_the_columns(run: Any) -> None:
    csv_out = run("diff", "sin(x)", "--at", "0:1:0.5", "-f", "csv").stdout
    jsonl_out = run("diff", "sin(x)", "--at", "0:1:0.5", "-f", "jsonl").stdout
    lines = jsonl_out.splitlines()
    assert len(lines) == 2
    for line, row in zip(lines, csv.DictReader(io.StringIO(csv_out)), strict=True):
        record = json.loads(line)
        assert list(record) == list(row)  # the same keys, in the columns' order
        assert {key: "" if value is None else str(value) for key, value in record.items()} == row
    assert json.loads(lines[1])["numerical"] == 0.8775825604276366


def test_json_lines_writes_null_for_a_value_that_is_not_finite_and_says_so(run: Any) -> None:
    outcome = run("diff", "sqrt(x)", "--at", "0", "-f", "jsonl", "--no-analytic", expect=1)
    record = json.loads(outcome.stdout)
    assert record["numerical"] is None and record["status"] == "not-finite"
    assert "warning: row 1: numerical is nan, written as null" in outcome.stderr


def test_fields_select_and_order_columns_and_keys(run: Any) -> None:
    args = ("grad", "x0**2 + x1**2", "--at", "3,4")
    fields = "numerical.x1,x0,status"
    assert run(*args, "-f", "tsv", "--fields", fields).stdout == (
        "numerical.x1\tx0\tstatus\n7.999999999999119\t3.0\tok\n"
    )
    assert run(*args, "-f", "jsonl", "--fields", fields).stdout == (
        '{"numerical.x1": 7.999999999999119, "x0": 3.0, "status": "ok"}\n'
    )
    document = json.loads(run(*args, "-f", "json", "--fields", "norm,at").stdout)
    assert document["results"] == [{"norm": 10.000000000001563, "at": {"x0": 3.0, "x1": 4.0}}]
    assert document["expression"] == "x0**2 + x1**2"  # the rest of the document stays


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("-f", "csv", "--fields", "x,slope"),
            "error: --fields: unknown field slope (the fields of csv here: x, value, method, "
            "step, numerical, analytic, abs_error, rel_error, evaluations, error_estimate, left, "
            "right, technique, status)\n",
        ),
        (
            ("-f", "json", "--fields", "x"),
            "error: --fields: unknown field x (the fields of json here: at, value, method, step, "
            "numerical, analytic, abs_error, rel_error, error_estimate, evaluations, technique, "
            "left, right, status)\n",
        ),
        (("--fields", "x"), "error: --fields applies to csv, tsv, json and jsonl, not table\n"),
        (
            ("-f", "value", "--fields", "x"),
            "error: --fields applies to csv, tsv, json and jsonl, not value\n",
        ),
        (("-f", "csv", "--fields", "x,x"), "error: --fields: x given twice\n"),
    ],
)
def test_bad_fields_are_refused_before_any_output(run: Any, args: Any, message: str) -> None:
    outcome = run("diff", "x**2", "--at", "1", *args, expect=2)
    assert (outcome.stdout, outcome.stderr) == ("", message)


def test_an_empty_field_name_is_a_usage_error(run: Any) -> None:
    outcome = run("diff", "x**2", "--at", "1", "-f", "csv", "--fields", "x,,value", expect=2)
    assert "'--fields': 'x,,value': an empty field name" in outcome.stderr


def test_precision_applies_to_csv_tsv_json_and_json_lines(run: Any) -> None:
    args = ("diff", "sin(x)", "--at", "1", "--precision", "4")
    assert run(*args, "-f", "csv", "--fields", "x,value,numerical").stdout == (
        "x,value,numerical\n1,0.8415,0.5403\n"
    )
    assert run(*args, "-f", "jsonl", "--fields", "value,numerical").stdout == (
        '{"value": 0.8415, "numerical": 0.5403}\n'
    )
    (row,) = json.loads(run(*args, "-f", "json").stdout)["results"]
    assert (row["numerical"], row["analytic"], row["at"]) == (0.5403, 0.5403, {"x": 1.0})
    assert row["rel_error"] == float(f"{row['rel_error']:.4g}") and row["rel_error"] > 0
    full = json.loads(run("diff", "sin(x)", "--at", "1", "-f", "json").stdout)["results"][0]
    assert full["numerical"] == 0.5403023049677103


def test_a_gradient_row_never_repeats_its_point_per_coordinate(run: Any) -> None:
    ones = ",".join(["1"] * 1000)
    out = run("grad", "sum(x**2)", "--at", ones, "--no-analytic", "-f", "csv").stdout
    header, row = out.splitlines()  # one row for the point, not one per coordinate
    names = header.split(",")
    assert names[:2] == ["x[0]", "x[1]"] and names[1000:1002] == ["value", "numerical.x[0]"]
    assert len(names) == 1000 + 1 + 1000 + 5  # the point, f, ∇f, norms, evaluations, status
    assert row.split(",")[1000] == "1000.0"
