"""What the exact analytic column costs at 1,000 points (run by hand; issue 15, point 6).

    python bench/analytic_points.py [--runs N] [--reference OLD_EXACT_PY]

Each round runs every command once, in a new process, in turn (paired and alternating, so
that a busy machine slows all of them alike): each query with its analytic side from a warm
cache (the formula stored; every value evaluated exactly), with `--no-cache` (SymPy derives
in its child first), and with `--no-analytic` (the reference). The table gives each
command's median wall time and its difference from the reference's median, then the exact
evaluator's own cost per value, in this process: CPU time, alternating with an older
``expr/exact.py`` given as ``--reference`` (e.g. ``git show REV:src/diffcli/expr/exact.py >
/tmp/old_exact.py``), whose values must be the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

QUERIES = {
    "cancelling": ["diff", "(1-cos(x))/x**2", "--at", "1e-5:1e-3:1e-6"],
    "smooth": ["diff", "sin(x)*exp(-x**2)", "--at", "0:10:0.01"],
}
VARIANTS = {"warm cache": [], "--no-cache": ["--no-cache"], "--no-analytic": ["--no-analytic"]}


def wall(argv: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=environment)
    return time.perf_counter() - start


def per_value(reference_path: str | None) -> None:
    """The exact evaluator alone: each query's derivative formula at its points."""
    import importlib.util

    import numpy as np

    from diffcli.expr import exact
    from diffcli.expr.parsing import parse

    evaluators: dict[str, Any] = {"this build": exact}
    if reference_path:
        spec = importlib.util.spec_from_file_location("diffcli.expr._reference", reference_path)
        assert spec is not None and spec.loader is not None
        reference = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(reference)
        evaluators["reference"] = reference
    formulas = {
        "cancelling": ("sin(x)/x**2 - 2*(1 - cos(x))/x**3", np.arange(1e-5, 1e-3, 1e-6)),
        "smooth": ("-2*x*exp(-x**2)*sin(x) + exp(-x**2)*cos(x)", np.arange(0, 10, 0.01)),
    }
    for label, (text, points) in formulas.items():
        tree = parse(text).tree
        times: dict[str, list[float]] = {name: [] for name in evaluators}
        values: dict[str, list[float | None]] = {}
        for _ in range(7):
            for name, evaluator in evaluators.items():
                start = time.process_time()
                values[name] = [evaluator.value_at(tree, {"x": x}) for x in points.tolist()]
                times[name].append((time.process_time() - start) / len(points))
        assert len({tuple(found) for found in values.values()}) == 1, "values differ"
        medians = {name: statistics.median(found) * 1e3 for name, found in times.items()}
        line = ", ".join(f"{name} {median:.3f} ms" for name, median in medians.items())
        if reference_path:
            line += f" ({medians['reference'] / medians['this build']:.2f}x)"
        print(f"exact.value_at, {label}, CPU a value: {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reference", help="an older expr/exact.py to compare with")
    arguments = parser.parse_args()
    runs = arguments.runs
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "DIFFCLI_CACHE_DIR": cache}
        command = [sys.executable, "-m", "diffcli"]
        times: dict[tuple[str, str], list[float]] = {}
        for query in QUERIES.values():
            wall([*command, *query, "--format", "csv"], environment)  # fills the cache
        for _ in range(runs):
            for label, query in QUERIES.items():
                for variant, flags in VARIANTS.items():
                    argv = [*command, *query, *flags, "--format", "csv"]
                    times.setdefault((label, variant), []).append(wall(argv, environment))
    print(f"load average before the table: {os.getloadavg()}; {runs} rounds")
    print(f"{'query':12} {'variant':14} {'median s':>9} {'extra s':>8}")
    for label in QUERIES:
        reference = statistics.median(times[(label, "--no-analytic")])
        for variant in VARIANTS:
            median = statistics.median(times[(label, variant)])
            print(f"{label:12} {variant:14} {median:9.2f} {median - reference:8.2f}")
    per_value(arguments.reference)


if __name__ == "__main__":
    main()
