"""Benchmark: automatic differentiation against the numerical side, SymPy and hand-written NumPy.

Run by hand: ``python -m bench.autodiff [--pairs N] [--repeats N] [--steps N]``. Every
comparison runs the two sides alternately, ``--pairs`` times (the in-process reverse pass
``--repeats`` times), and reports the medians and their ratio. The goals
(issue 13):

1. ``grad "sum(x**2)"`` at n = 10,000 with ``--analytic ad -f value``: the whole process at
   most 1.2x the same command with ``--no-analytic``;
2. in process, n = 10^6: one reverse pass at most 4x one evaluation of f;
3. ∂L/∂W of a 784×10 network: AD at most 0.1x the numerical gradient's time (and AD equal to
   SymPy on a 10×10 W to 1e-12);
4. ``descend``, 10^5 Adam steps on Rosenbrock with ``--grad ad``: at most 1.5x a hand-written
   NumPy loop with a hand-derived gradient;
5. accuracy: on the accuracy benchmark's cases, AD's derivative in ulps of SymPy's exact one
   (``--accuracy``; needs the ``bench`` extra, as ``bench/accuracy.py`` does).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.descent import BETA1, BETA2, EPS, EXPRESSION, LR, START, hand_written
from diffcli import derivative, gradient
from diffcli.engine import autodiff
from diffcli.engine.kernel import partials
from diffcli.expr.compiling import compile_expression
from diffcli.expr.parsing import parse
from diffcli.expr.points import bind, read_bindings
from diffcli.options import DescentOptions
from diffcli.usecases import descent


def paired(pairs: int, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[float, float]:
    """Median seconds of each, the two run alternately so that load hits both alike."""
    times: list[list[float]] = [[], []]
    for _ in range(pairs):
        for side, work in enumerate((first, second)):
            started = time.perf_counter()
            work()
            times[side].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def report(title: str, first: str, second: str, seconds: tuple[float, float], goal: str) -> None:
    a, b = seconds
    print(f"{title}\n  {first:<34} {a * 1e3:10.2f} ms\n  {second:<34} {b * 1e3:10.2f} ms")
    print(f"  ratio {a / b:.3f} ({goal})\n")


def whole_process(pairs: int) -> None:
    point = "x=" + str(list(range(10_000)))
    command = [sys.executable, "-m", "diffcli", "grad", "sum(x**2)", "--at", point, "-f", "value"]

    def run(extra: str) -> Callable[[], Any]:
        return lambda: subprocess.run([*command, extra], check=True, capture_output=True)

    seconds = paired(pairs, run("--analytic=ad"), run("--no-analytic"))
    report(
        "1. grad sum(x**2), n = 10,000, whole process",
        "--analytic ad -f value",
        "--no-analytic -f value",
        seconds,
        "goal <= 1.2",
    )


def reverse_pass(repeats: int) -> None:
    x = np.random.default_rng(0).normal(size=1_000_000)
    for text in ("sum(x**2)", "sum(exp(sin(x)) * x)"):
        compiled = compile_expression(parse(text), {"x": x.shape})
        point = {"x": x}
        autodiff.gradient(compiled, point, ("x",))  # warm: the first pass pays page faults
        seconds = paired(
            repeats,
            lambda: autodiff.gradient(compiled, point, ("x",)),  # noqa: B023
            lambda: compiled(point),  # noqa: B023
        )
        report(
            f"2. {text}, n = 10^6, in process, {repeats} alternating pairs",
            "one forward + reverse pass",
            "one evaluation of f",
            seconds,
            "goal <= 4",
        )


def network(pairs: int) -> None:
    rng = np.random.default_rng(1)
    text = "cross_entropy(softmax(x @ W), t)"
    point = {"W": rng.normal(size=(784, 10)) * 0.01, "x": rng.random(784), "t": np.eye(10)[3]}
    compiled = compile_expression(parse(text), {k: v.shape for k, v in point.items()})
    seconds = paired(
        pairs,
        lambda: autodiff.gradient(compiled, point, ("W",)),
        lambda: partials(compiled, point, ("W",), "central", 1e-4),
    )
    report(
        "3. dL/dW of cross_entropy(softmax(x @ W), t), W 784x10",
        "reverse-mode AD",
        "numerical (batched central)",
        seconds,
        "goal <= 0.1",
    )
    small = {"W": rng.normal(size=(10, 10)), "x": rng.random(10), "t": np.eye(10)[3]}
    by_ad = gradient(text, small, wrt="W", analytic="ad").results[0].analytic
    by_sympy = gradient(text, small, wrt="W", analytic="sympy", analytic_timeout=60)
    exact = by_sympy.results[0].analytic
    assert by_ad is not None and exact is not None
    relative = np.max(np.abs(by_ad["W"] - exact["W"]) / np.abs(exact["W"]))
    print(f"  W 10x10: largest relative difference AD vs SymPy {relative:.2e} (goal <= 1e-12)\n")


def descent_run(pairs: int, steps: int) -> None:
    expression = parse(EXPRESSION)
    start = bind(read_bindings(START, "--from"), expression)
    options = DescentOptions(
        optimizer="adam", lr=LR, steps=steps, beta1=BETA1, beta2=BETA2, eps=EPS, grad="ad"
    )
    problem = descent.prepare(expression, start, {}, options)

    def ours() -> Any:
        return list(descent.iterate(problem.value, problem.gradient, problem.start, options))[-1]

    last = ours()
    np.testing.assert_allclose(last.x, hand_written(last.step), atol=10 * LR)
    seconds = paired(pairs, ours, lambda: hand_written(last.step))
    report(
        f"4. descend, {last.step} Adam steps on {EXPRESSION}",
        "diffcli iterate, --grad ad",
        "hand-written NumPy loop",
        seconds,
        "goal <= 1.5",
    )


def accuracy() -> None:
    from bench.accuracy import CASES

    print("5. AD's first derivative against SymPy's exact value, in ulps of that value")
    within = 0
    for text, at in CASES:
        exact = derivative(text, at, analytic="sympy", analytic_timeout=60).results[0]
        by_ad = derivative(text, at, analytic="ad").results[0].analytic
        if exact.analytic is None or by_ad is None or exact.is_kink:
            print(f"  {text} at {at}: no derivative to compare")
            continue
        ulps = abs(by_ad - exact.analytic) / np.spacing(abs(exact.analytic))
        within += ulps <= 4
        print(f"  {text} at {at}: {ulps:.0f} ulp")
    print(f"  within 4 ulp: {within} of {len(CASES)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=31, help="pairs for the reverse pass")
    parser.add_argument("--accuracy", action="store_true", help="only the accuracy part")
    arguments = parser.parse_args()
    if arguments.accuracy:
        accuracy()
        return
    whole_process(arguments.pairs)
    reverse_pass(arguments.repeats)
    network(arguments.pairs)
    descent_run(max(1, arguments.pairs // 2), arguments.steps)


if __name__ == "__main__":
    main()
