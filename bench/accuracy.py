"""Accuracy benchmark: diffcli's methods beside numdifftools and scipy.differentiate.

Run by hand (needs the ``bench`` extra):  python bench/accuracy.py [--cases]
Relative errors are against SymPy's derivative evaluated with 30 digits at the exact binary
value of each point. "fail" means NaN, infinite or a relative error above 1e-6.
"""

from __future__ import annotations

import argparse
import math
import statistics
import warnings
from collections.abc import Callable
from typing import Any

import numdifftools as nd
import numpy as np
from scipy.differentiate import derivative as scipy_derivative

from diffcli.engine.coordinates import Coordinate, along
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.expr.points import bind, read_bindings
from diffcli.options import DiffOptions
from diffcli.usecases.diff import differentiate

#: (expression, point): near domain edges and poles, |x| large and tiny, tiny derivatives,
#: steep and oscillating functions, and three non-analytic expressions.
CASES = [
    ("sqrt(x)", "1e-6"),
    ("sqrt(x)", "1e-10"),
    ("log(x)", "1e-3"),
    ("log(x)", "1e-8"),
    ("acosh(x)", "1.001"),
    ("acosh(x)", "1.00000001"),
    ("1/(x - 1.001)", "1"),
    ("1/x", "1e-5"),
    ("atanh(x)", "0.999"),
    ("asin(x)", "0.9999"),
    ("acos(x)", "-0.9999"),
    ("tan(x)", "1.57"),
    ("sqrt(1 - x**2)", "0.999"),
    ("log(1 + x)", "-0.999"),
    ("sqrt(x)*log(x)", "1e-4"),
    ("log2(x)", "1e-200"),
    ("exp(x)", "100"),
    ("sin(x)", "1e8"),
    ("x**2", "1e10"),
    ("log(x)", "1e15"),
    ("exp(-x)", "50"),
    ("cos(x)", "1e-8"),
    ("x**3", "1e-6"),
    ("exp(-x**2)", "5"),
    ("sin(x)", "3.141592653589793"),
    ("exp(50*x)", "0.5"),
    ("tanh(100*x)", "0.01"),
    ("sigmoid(30*x)", "0.1"),
    ("atan(1e6*x)", "1e-6"),
    ("1/(1 + 25*x**2)", "0.2"),
    ("sin(1/x)", "0.01"),
    ("x**x", "0.01"),
    ("abs(x)**3", "-2"),
    ("relu(x)*x**2", "1.5"),
    ("abs(sin(x))", "1"),
]
METHODS = ("central", "five-point", "richardson", "complex", "auto")
FAIL = 1e-6


def _function(expression: str, at: str) -> tuple[Callable[[Any], Any], float]:
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    compiled = compile_expression(parsed, {"x": ()})
    batch = along(compiled, point, Coordinate("x"))

    def real(t: Any) -> Any:
        array = np.asarray(t, dtype=np.float64)
        return batch(array.reshape(-1)).reshape(array.shape)

    return real, float(point["x"])


def _diffcli(expression: str, at: str, method: str) -> tuple[float, float | None, float | None]:
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    try:
        report = differentiate(parsed, [point], DiffOptions(method=method, analytic=False))
    except Exception:  # the complex step refuses non-analytic expressions
        return math.nan, None, None
    row = report.results[0]
    return row.numerical, row.error_estimate, float(row.evaluations)


def _reference(expression: str, at: str) -> float:
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    report = differentiate(parsed, [point], DiffOptions(method="central", analytic_timeout=60))
    value = report.results[0].analytic
    assert value is not None, expression
    return value


def _relative(value: float, reference: float) -> float:
    if not math.isfinite(value):
        return math.inf
    return abs(value - reference) / abs(reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", action="store_true", help="print every case's errors")
    options = parser.parse_args()
    columns = [*METHODS, "numdifftools", "scipy"]
    errors: dict[str, list[float]] = {name: [] for name in columns}
    honest: dict[str, int] = {name: 0 for name in METHODS}
    evaluations: dict[str, list[float]] = {name: [] for name in METHODS}
    lines = []
    for expression, at in CASES:
        reference = _reference(expression, at)
        function, x = _function(expression, at)
        row = [f"{expression} at {at}"]
        for method in METHODS:
            value, estimate, count = _diffcli(expression, at, method)
            error = _relative(value, reference)
            if method == "complex" and count is None:
                row.append("refused")
                continue
            errors[method].append(error)
            if estimate is not None and abs(value - reference) <= estimate:
                honest[method] += 1
            if count is not None:
                evaluations[method].append(count)
            row.append(f"{error:.1e}")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                numdifftools_value = float(nd.Derivative(function)(x))
            except Exception:
                numdifftools_value = math.nan
            try:
                scipy_value = float(scipy_derivative(function, x).df)
            except Exception:
                scipy_value = math.nan
        for name, value in (("numdifftools", numdifftools_value), ("scipy", scipy_value)):
            errors[name].append(_relative(value, reference))
            row.append(f"{errors[name][-1]:.1e}")
        lines.append(row)
    if options.cases:
        print("| case | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 1) + "|")
        for row in lines:
            print("| " + " | ".join(row) + " |")
        print()
    print(f"{len(CASES)} cases; relative error against SymPy (30 digits)\n")
    print(
        "| method | cases | median | worst | within 1e-12 | fail (NaN or > 1e-6) "
        "| estimate >= error | median evaluations |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in columns:
        values = errors[name]
        finite = [v for v in values if math.isfinite(v)]
        worst = max(values)
        within = sum(v <= 1e-12 for v in values)
        failed = sum(not v <= FAIL for v in values)
        honest_text = f"{honest[name]}/{len(values)}" if name in honest else "n/a"
        count = f"{statistics.median(evaluations[name]):.0f}" if name in evaluations else "n/a"
        median = statistics.median(values)
        print(
            f"| {name} | {len(values)} | {median:.1e} | {worst:.1e} | {within} | {failed} "
            f"| {honest_text} | {count} |"
        )
        del finite


if __name__ == "__main__":
    main()
