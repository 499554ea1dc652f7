"""Time ∂L/∂W of cross_entropy(softmax(x @ W), t): batched numerics vs the primer's loop, SymPy."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffcli.expr.parsing import parse
from diffcli.options import GradOptions
from diffcli.usecases.grad import gradient_report
from primer import numerical_gradient_nditer, simpleNet

NETWORK = parse("cross_entropy(softmax(x @ W), t)")


def best_of(repeats: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def network(rows: int, columns: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "W": rng.normal(size=(rows, columns)),
        "x": rng.normal(size=rows),
        "t": np.eye(columns)[1],
    }


def compare_numerical(rows: int, columns: int) -> None:
    """One row of the numerical table: diffcli's batched gradient against the primer's loop."""
    point = network(rows, columns)
    options = GradOptions(analytic=False, wrt=("W",))
    reports: list[Any] = []
    loops: list[Any] = []
    ours = best_of(3, lambda: reports.append(gradient_report(NETWORK, [point], options)))
    net = simpleNet(point["W"])

    def loss(w: Any) -> Any:
        return net.loss(point["x"], point["t"])

    theirs = best_of(3, lambda: loops.append(numerical_gradient_nditer(loss, net.W)))
    difference = float(np.max(np.abs(reports[-1].results[0].numerical["W"] - loops[-1])))
    print(f"{f'{rows}x{columns}':>10} {ours:>10.4f} {theirs:>14.4f} {difference:>11.2e}")


def main() -> None:
    print("numerical dL/dW (central, h=1e-4), best of 3")
    print(f"{'W shape':>10} {'diffcli s':>10} {'primer loop s':>14} {'max |diff|':>11}")
    for rows, columns in [(2, 3), (50, 10), (784, 10)]:
        compare_numerical(rows, columns)
    print("analytic dL/dW (SymPy, no time limit), one run")
    print(f"{'W shape':>10} {'seconds':>10} {'max |num - analytic|':>21}")
    for size in [2, 3, 5, 10]:
        point = network(size, size if size > 2 else 3)
        options = GradOptions(analytic_timeout=0, wrt=("W",))
        start = time.perf_counter()
        (result,) = gradient_report(NETWORK, [point], options).results
        elapsed = time.perf_counter() - start
        shape = "x".join(str(n) for n in point["W"].shape)
        print(f"{shape:>10} {elapsed:>10.2f} {result.max_abs_error:>21.2e}")


if __name__ == "__main__":
    main()
