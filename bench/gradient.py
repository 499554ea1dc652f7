"""Batched numerical gradient against the primer's loop: time, peak memory, bitwise equality.

Run by hand:  python bench/gradient.py  [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from diffcli.engine.kernel import BATCH_BUDGET, partials
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from primer import numerical_gradient


def best_times(works: list[Callable[[], Any]], repeat: int) -> list[float]:
    """Best wall time of each work over ``repeat`` rounds, run in turn so that both see the
    same machine load."""
    best = [float("inf")] * len(works)
    for _ in range(repeat):
        for position, work in enumerate(works):
            gc.collect()
            start = time.perf_counter()
            work()
            best[position] = min(best[position], time.perf_counter() - start)
    return best


def peak_megabytes(work: Callable[[], Any]) -> tuple[float, Any]:
    """Peak memory traced during one run (NumPy reports its buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    result = work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"BATCH_BUDGET = {BATCH_BUDGET:,} float64 per batched call")
    print(
        f"{'n':>6}  {'loop s':>9}  {'batched s':>9}  {'speed-up':>8}  "
        f"{'loop MB':>8}  {'batched MB':>10}  bitwise"
    )
    expression = parse("sum(x**2)")
    for n in args.sizes:
        x = np.random.default_rng(n).uniform(-10, 10, n)
        compiled = compile_expression(expression, {"x": (n,)})

        def loop(x: Any = x) -> Any:
            return numerical_gradient(lambda v: np.sum(v**2), x.copy())

        def batched(x: Any = x, compiled: Any = compiled) -> Any:
            return partials(compiled, {"x": x}, ("x",))["x"]

        loop_time, batch_time = best_times([loop, batched], args.repeat)
        loop_mb, expected = peak_megabytes(loop)
        batch_mb, ours = peak_megabytes(batched)
        equal = bool(np.array_equal(ours, expected))
        print(
            f"{n:>6}  {loop_time:>9.4f}  {batch_time:>9.4f}  {loop_time / batch_time:>7.1f}x  "
            f"{loop_mb:>8.2f}  {batch_mb:>10.1f}  {'yes' if equal else 'NO'}"
        )
        if not equal:
            sys.exit("the batched gradient differs from the primer's loop")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
