"""Accuracy benchmark: diffcli's methods beside numdifftools and scipy.differentiate.

Run by hand (needs the ``bench`` extra):  python bench/accuracy.py [--cases] [--honesty]
[--ranges METHOD [--stride S]]
Relative errors are against SymPy's derivative evaluated with 50 digits at the exact binary
value of each point (absolute errors where the derivative is 0). "fail" means NaN, infinite
or a relative error above 1e-6. ``--honesty`` adds the hard cases of issue 15 (cancellations,
poles, extreme magnitudes, higher orders, gradients, Hessians) and reports, per method, how
often the true error is within ``error_estimate`` (coverage), the median of estimate / true
error, silent failures (status ``ok`` beyond 1e-6) and warnings on correct results.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numdifftools as nd
import numpy as np
from scipy.differentiate import derivative as scipy_derivative

from diffcli import derivative, gradient, hessian
from diffcli.engine import sympy_tree
from diffcli.engine.coordinates import Coordinate, along
from diffcli.errors import InputError
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
METHODS = ("forward", "backward", "central", "five-point", "richardson", "complex", "auto")
FAIL = 1e-6
DIGITS = 50

#: First derivatives that cancel, sit on a pole, or live at extreme magnitudes or zero.
HARD_FIRST = [
    ("(1 - cos(x))/x**2", "1e-5"),
    ("(exp(x) - 1)/x", "1e-9"),
    ("(1 + 1/x)**x", "1e6"),
    ("sqrt(x + 1) - sqrt(x)", "1e10"),
    ("log(1 + x) - x", "1e-4"),
    ("1/(x - 1)**2", "0.999"),
    ("tan(x)", "1.5707"),
    ("1/sin(x)", "1e-6"),
    ("x**2", "1e-300"),
    ("sin(x)", "1e-300"),
    ("exp(x)", "700"),
    ("log(x)", "1e300"),
    ("x*exp(-x)", "1"),
    ("cos(x)", "0"),
    ("sigmoid(x)", "40"),
    ("x**3", "0"),
]
#: Higher derivatives: (expression, point, order).
HIGHER = [
    ("exp(-x**2)", "5", 2),
    ("sin(1/x)", "0.01", 2),
    ("sqrt(x)", "1e-6", 2),
    ("x**x", "0.5", 2),
    ("log(x)", "1e-3", 3),
    ("tan(x)", "1.5", 3),
    ("atan(x)", "1e3", 3),
    ("exp(x)", "1", 4),
    ("x**3", "1e100", 3),
    ("log(x)", "1e-100", 2),
]
#: Gradients and Hessians: (expression, point).
SEVERAL = [
    ("x0**2 + x1**2", "3,4"),
    ("exp(x0*x1)", "1,2"),
    ("log(x0) + sqrt(x1)", "1e-6,1e-8"),
    ("sin(x0)*cos(x1) + x0", "1e8,0.5"),
    ("(1 - cos(x0))/x0**2 + x1", "1e-5,1"),
    ("x0 + x1", "1,2"),
    ("sqrt(x0*x1)", "1e-3,1e3"),
    ("1/(x0 - x1)", "1,1.001"),
]
GRADIENT_METHODS = ("forward", "backward", "central", "five-point", "richardson", "complex", "auto")
HESSIAN_METHODS = ("central", "richardson", "auto")


def _function(expression: str, at: str) -> tuple[Callable[[Any], Any], float]:
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    compiled = compile_expression(parsed, {"x": ()})
    batch = along(compiled, point, Coordinate("x"))

    def real(t: Any) -> Any:
        array = np.asarray(t, dtype=np.float64)
        return batch(array.reshape(-1)).reshape(array.shape)

    return real, float(point["x"])


def _tree(expression: str, at: str) -> tuple[Any, dict[Any, float], list[Any]]:
    """SymPy's expression, the point by symbol, and the symbols in the point's order."""
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    tree = sympy_tree.to_sympy(parsed, {name: () for name in point})
    symbols = [sympy_tree.symbol(name) for name in point]
    return tree, {s: float(point[str(s)]) for s in symbols}, symbols


def _reference(expression: str, at: str, order: int = 1) -> float:
    """The derivative by x at 50 digits, rounded to a double."""
    import sympy

    tree, values, (x,) = _tree(expression, at)
    value = sympy_tree.value_at(sympy.diff(tree, x, order), values, DIGITS)
    assert value is not None, expression
    return value


def _error(value: float, reference: float) -> float:
    """Relative error; absolute where the reference is 0."""
    if not math.isfinite(value):
        return math.inf
    return abs(value - reference) / (abs(reference) if reference else 1.0)


@dataclass
class Result:
    """One number a method gave, against its reference."""

    group: str
    method: str
    value: float
    reference: float
    estimate: float | None
    status: str
    evaluations: float | None
    #: Every number of the result's row (a gradient or Hessian) is within 1e-6.
    row_correct: bool = True
    #: The expression, the point and which derivative or entry.
    case: str = ""

    @property
    def error(self) -> float:
        return _error(self.value, self.reference)

    @property
    def absolute(self) -> float:
        return abs(self.value - self.reference) if math.isfinite(self.value) else math.inf


def _derivative_results(group: str, expression: str, at: str, order: int) -> list[Result]:
    reference = _reference(expression, at, order)
    found = []
    for method in METHODS:
        parsed = parse(expression)
        point = bind(read_bindings(at), parsed)
        options = DiffOptions(method=method, order=order, analytic=False)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = differentiate(parsed, [point], options).results[0]
        except InputError:  # the complex step refuses what it cannot follow
            continue
        found.append(
            Result(
                group,
                method,
                row.numerical,
                reference,
                row.error_estimate,
                row.status,
                float(row.evaluations),
                case=f"{expression} at {at}, order {order}",
            )
        )
    return found


def _several_results(expression: str, at: str) -> list[Result]:
    """Every component of the gradient and entry of the Hessian, each row judged whole."""
    found = _components(expression, at)
    for key in {(r.group, r.method) for r in found}:
        row = [r for r in found if (r.group, r.method) == key]
        correct = all(r.error <= FAIL for r in row)
        for r in row:
            r.row_correct = correct
    return found


def _components(expression: str, at: str) -> list[Result]:
    import sympy

    tree, values, symbols = _tree(expression, at)
    found = []
    for method in GRADIENT_METHODS:
        report = gradient(expression, at=at, method=method, analytic=False).results[0]
        for symbol in symbols:
            reference = sympy_tree.value_at(sympy.diff(tree, symbol), values, DIGITS)
            assert reference is not None
            estimate = None
            if report.error_estimate is not None:
                estimate = float(report.error_estimate[str(symbol)])
            value = float(report.numerical[str(symbol)])
            found.append(
                Result(
                    "gradient",
                    method,
                    value,
                    reference,
                    estimate,
                    report.status,
                    None,
                    case=f"{expression} at {at}, d/d{symbol}",
                )
            )
    for method in HESSIAN_METHODS:
        row = hessian(expression, at=at, method=method, analytic=False).results[0]
        for i, first in enumerate(symbols):
            for j, second in enumerate(symbols):
                derivative = sympy.diff(tree, first, second)
                reference = sympy_tree.value_at(derivative, values, DIGITS)
                assert reference is not None
                estimate = None if row.error_estimate is None else float(row.error_estimate[i, j])
                found.append(
                    Result(
                        "hessian",
                        method,
                        float(row.numerical[i, j]),
                        reference,
                        estimate,
                        row.status,
                        float(row.evaluations),
                        case=f"{expression} at {at}, d2/d{first}d{second}",
                    )
                )
    return found


def _counted(function: Callable[[Any], Any]) -> tuple[Callable[[Any], Any], list[int]]:
    count = [0]

    def counting(t: Any) -> Any:
        count[0] += int(np.size(t))
        return function(t)

    return counting, count


def _numdifftools_hessian_evaluations(expression: str, at: str) -> int:
    parsed = parse(expression)
    point = bind(read_bindings(at), parsed)
    compiled = compile_expression(parsed, {name: () for name in point})
    names = list(point)
    count = [0]

    def function(v: Any) -> float:
        count[0] += 1
        return float(compiled(dict(zip(names, (float(c) for c in v)))))

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        nd.Hessian(function)(np.array([float(point[n]) for n in names]))
    return count[0]


def _zero_to_rounding(result: Result) -> bool:
    """``ok`` as zero to within its error estimate, and the derivative is within it too
    (``sigmoid`` at 40: 0 ± 4e-12 for 4.2e-18, f being 1.0 to the last bit): point 4's
    "flat to rounding", right to the accuracy the estimate states."""
    return (
        result.status == "ok"
        and result.estimate is not None
        and abs(result.value) <= result.estimate
        and result.absolute <= result.estimate
    )


def _honesty_row(group: str, method: str, chosen: list[Result]) -> str:
    """One line of the honesty table."""
    within = sum(r.error <= 1e-12 for r in chosen)
    failed = [r for r in chosen if not r.error <= FAIL]
    zeros = [r for r in failed if _zero_to_rounding(r)]
    # a batched quotient (grad and hessian's fixed-step methods) prints no estimate, but its
    # status is judged by one as the others' are
    silent = sum(r.status == "ok" for r in failed) - len(zeros)
    # a gradient's or Hessian's status covers its row: an alarm where all of it is right
    alarms = sum(
        r.status not in ("ok", "kink") and r.error <= FAIL and r.row_correct for r in chosen
    )
    estimated = [r for r in chosen if r.estimate is not None and math.isfinite(r.value)]
    coverage = ratio = infinite = "n/a"
    if estimated:
        # a NaN estimate covers nothing; inf (JSON null) says the method cannot tell
        covered = sum(r.absolute <= r.estimate for r in estimated)  # type: ignore[operator]
        coverage = f"{100 * covered / len(estimated):.1f} % of {len(estimated)}"
        infinite = str(sum(r.estimate == math.inf for r in estimated))
        ratios = [
            r.estimate / r.absolute  # type: ignore[operator]
            for r in estimated
            if r.absolute > 0 and math.isfinite(r.estimate)  # type: ignore[arg-type]
        ]
        ratio = f"{statistics.median(ratios):.3g}" if ratios else "n/a"
    return (
        f"| {group} | {method} | {len(chosen)} | {within} | {len(failed)} | {len(zeros)} "
        f"| {silent} | {alarms} | {coverage} | {infinite} | {ratio} |"
    )


def honesty(show_cases: bool) -> None:
    """Issue 15's figures: coverage, tightness, silence and false alarms, per method."""
    results: list[Result] = []
    for expression, at in [*CASES, *HARD_FIRST]:
        results += _derivative_results("first", expression, at, 1)
    for expression, at, order in HIGHER:
        results += _derivative_results("higher", expression, at, order)
    for expression, at in SEVERAL:
        results += _several_results(expression, at)
    if show_cases:
        for result in results:
            print(
                f"{result.group:8} {result.method:10} {result.value!r:>24} "
                f"ref {result.reference!r:>24} est {result.estimate!r:>24} {result.status}"
                f"  {result.case}"
            )
    print(f"{len(results)} results; references: SymPy at {DIGITS} digits\n")
    print(
        "| group | method | results | within 1e-12 | fail (> 1e-6) | zero to rounding "
        "| silent fails | warned but correct "
        "| coverage (finite values: error <= estimate) | of which estimate inf "
        "| median estimate / error |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    groups = ["first", "higher", "gradient", "hessian", "all"]
    for group in groups:
        for method in METHODS:
            chosen = [r for r in results if r.method == method and group in ("all", r.group)]
            if chosen:
                print(_honesty_row(group, method, chosen))
    print()
    evaluations = [r.evaluations for r in results if r.group == "first" and r.method == "auto"]
    numdifftools_counts = []
    for expression, at in [*CASES, *HARD_FIRST]:
        function, x = _function(expression, at)
        counting, count = _counted(function)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            with contextlib.suppress(Exception):
                nd.Derivative(counting)(x)
        numdifftools_counts.append(count[0])
    print(
        f"median evaluations per first derivative: auto "
        f"{statistics.median(e for e in evaluations if e is not None):.0f}, "
        f"numdifftools {statistics.median(numdifftools_counts):.0f}"
    )
    hessian_auto = statistics.median(
        hessian(e, at=a, method="auto", analytic=False).results[0].evaluations for e, a in SEVERAL
    )
    hessian_numdifftools = statistics.median(
        _numdifftools_hessian_evaluations(e, a) for e, a in SEVERAL
    )
    print(
        f"median evaluations per Hessian (2 variables): auto {hessian_auto:.0f}, "
        f"numdifftools {hessian_numdifftools:.0f}"
    )


#: Ranges over which a status rule is checked against the analytic column: (expression,
#: range, order). Smooth functions where rounding limits the result, and cancellations.
RANGES = [
    ("sin(x)*exp(-x**2)", "0.001:6:0.006", 1),
    ("cos(x)", "1e-9:1e-6:1e-9", 1),
    ("cos(x)", "0.001:10:0.01", 1),
    ("atan(x)", "1:2000:2", 3),
    ("exp(x)", "-5:5:0.01", 4),
    ("log(x)", "0.001:10:0.01", 2),
    ("x**3", "1e90:1e100:1e97", 3),
    ("sqrt(x)", "1e-8:1e-5:1e-8", 2),
    ("tan(x)", "0:1.5:0.002", 3),
    ("1/(1 + 25*x**2)", "-1:1:0.002", 2),
    ("exp(-x**2)", "0:12:0.01", 1),
    ("sin(x)", "1e7:1e7+1000:1", 1),
    ("(1 - cos(x))/x**2", "1e-4:0.1:1e-4", 1),
    ("(exp(x) - 1)/x", "1e-9:1e-6:1e-9", 1),
    ("log(1 + x) - x", "1e-5:1e-2:1e-5", 1),
    ("sqrt(x + 1) - sqrt(x)", "1e6:1e9:1e6", 1),
    ("x*exp(-x)", "0.5:1.5:0.001", 1),
    ("sin(x)*cos(0.5) + x", "1e6:1e6+100:0.1", 1),
    ("exp(x)", "0:2:0.002", 3),
    ("sin(1/x)", "0.01:0.1:0.0001", 2),
    # more cancellations, near 0 and at large x
    ("(1 - cos(x))/x**2", "1e-6:1e-3:1e-6", 1),
    ("exp(x) - 1 - x", "1e-9:1e-6:1e-9", 1),
    ("exp(x) - 1 - x", "-40:-1:0.04", 1),
    ("log(1 + x) - x", "1e-9:1e-6:1e-9", 1),
    ("log(1 + x) - x", "1e6:1e9:1e6", 1),
    ("x*(sqrt(x**2 + 1) - x)", "1e5:1e8:1e5", 1),
]


def ranges(method: str, stride: int = 0) -> None:
    """Statuses against the analytic column over ``RANGES``: ok or unreliable, right or off
    by more than 1e-6 (relative; absolute where the derivative is 0); "ok zero" is ok as zero
    to within its error estimate, the derivative within it too (point 4's "flat to rounding",
    as ``_zero_to_rounding``), not counted as wrong. Each range is one command (of 1,000
    points or so: no references, ``engine/reference.py``); with ``stride``, every
    ``stride``-th point of it is a command of its own (references where its own evidence
    does not trust a value)."""
    print(
        "| expression | range | order | ok right | ok zero | ok wrong | unreliable right "
        "| unreliable wrong |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for expression, at, order in RANGES:
        counts = dict.fromkeys(
            ("ok right", "ok zero", "ok wrong", "unreliable right", "unreliable wrong"), 0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = derivative(expression, at=at, method=method, order=order)
            rows = list(report.results)
            if stride:
                rows = [
                    derivative(
                        expression, at=repr(float(row.at["x"])), method=method, order=order
                    ).results[0]
                    for row in rows[::stride]
                ]
        for row in rows:
            if row.analytic is None or not math.isfinite(row.analytic):
                continue
            wrong = not _error(row.numerical, row.analytic) <= FAIL
            status = "ok" if row.status == "ok" else "unreliable"
            estimate = row.error_estimate
            if (
                wrong
                and status == "ok"
                and estimate is not None
                and abs(row.numerical) <= estimate
                and abs(row.numerical - row.analytic) <= estimate
            ):
                counts["ok zero"] += 1
                continue
            counts[f"{status} {'wrong' if wrong else 'right'}"] += 1
        print(
            f"| `{expression}` | {at} | {order} | " + " | ".join(map(str, counts.values())) + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", action="store_true", help="print every case's errors")
    parser.add_argument("--honesty", action="store_true", help="issue 15's figures")
    parser.add_argument("--ranges", metavar="METHOD", help="statuses over ranges (issue 15)")
    parser.add_argument(
        "--stride",
        type=int,
        default=0,
        metavar="S",
        help="with --ranges: every S-th point of each range as a command of its own",
    )
    options = parser.parse_args()
    if options.ranges:
        ranges(options.ranges, options.stride)
        return
    if options.honesty:
        honesty(options.cases)
        return
    columns = [*METHODS, "numdifftools", "scipy"]
    errors: dict[str, list[float]] = {name: [] for name in columns}
    honest: dict[str, int] = {name: 0 for name in METHODS}
    evaluations: dict[str, list[float]] = {name: [] for name in METHODS}
    lines = []
    for expression, at in CASES:
        reference = _reference(expression, at)
        function, x = _function(expression, at)
        row = [f"{expression} at {at}"]
        found = {r.method: r for r in _derivative_results("first", expression, at, 1)}
        for method in METHODS:
            if method not in found:
                row.append("refused")
                continue
            result = found[method]
            errors[method].append(result.error)
            if result.estimate is not None and result.absolute <= result.estimate:
                honest[method] += 1
            if result.evaluations is not None:
                evaluations[method].append(result.evaluations)
            row.append(f"{result.error:.1e}")
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
            errors[name].append(_error(value, reference))
            row.append(f"{errors[name][-1]:.1e}")
        lines.append(row)
    if options.cases:
        print("| case | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 1) + "|")
        for row in lines:
            print("| " + " | ".join(row) + " |")
        print()
    print(f"{len(CASES)} cases; relative error against SymPy ({DIGITS} digits)\n")
    print(
        "| method | cases | median | worst | within 1e-12 | fail (NaN or > 1e-6) "
        "| estimate >= error | median evaluations |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in columns:
        values = errors[name]
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


if __name__ == "__main__":
    main()
