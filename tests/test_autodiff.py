"""Automatic differentiation on the tree: exact values, SymPy's agreement, kinks, the choice of
engine (``--analytic sympy|ad|auto``) and ``descend --grad ad``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.primer import numerical_gradient_nditer, simpleNet
from diffcli import derivative, descend, gradient
from diffcli.engine import analytic, autodiff
from diffcli.engine.coordinates import Coordinate
from diffcli.engine.kernel import partials
from diffcli.expr.compiling import Compiled, compile_expression
from diffcli.expr.functions import FUNCTIONS
from diffcli.expr.numpy_functions import NUMPY
from diffcli.expr.parsing import parse
from tests.test_grad_tensors import NETWORK, WEIGHTS, T, X


def compiled(text: str, point: dict[str, Any]) -> Compiled:
    return compile_expression(parse(text), {name: np.shape(v) for name, v in point.items()})


def at(derivatives: Any, point: dict[str, Any]) -> Any:
    """SymPy expressions (one or an object array) at exact binary values of ``point``, in
    process (NaN where not real)."""
    from diffcli.engine import sympy_tree

    symbols = sympy_tree.point_symbols(point)

    def value(item: Any) -> float:
        found = sympy_tree.value_at(item, symbols)
        return math.nan if found is None else found

    return np.vectorize(value, otypes=[float])(np.asarray(derivatives, dtype=object))


def test_the_primers_gradient_is_exact(run: Any) -> None:
    document = json.loads(
        run("grad", "x0**2 + x1**2", "--at", "3,4", "--analytic", "ad", "-f", "json").stdout
    )
    assert document["analytic_source"] == "ad"
    assert document["partial_derivatives"] is None
    assert document["results"][0]["analytic"] == {"x0": 6.0, "x1": 8.0}
    point = {"x": np.array([3.0, 4.0])}
    assert autodiff.gradient(compiled("sum(x**2)", point), point, ("x",))["x"].tolist() == [
        6.0,
        8.0,
    ]


def test_sympy_answers_stay_as_they_were(run: Any) -> None:
    document = json.loads(run("grad", "x0**2 + x1**2", "--at", "3,4", "-f", "json").stdout)
    assert document["analytic_source"] == "sympy"
    assert document["partial_derivatives"] == {"x0": "2*x0", "x1": "2*x1"}


def test_the_table_says_where_the_values_come_from(run: Any) -> None:
    table = run("grad", "x0**2 + x1**2", "--at", "3,4", "--analytic", "ad").stdout
    assert "analytic (AD)" in table
    assert "∂f/∂x0 = " not in table and "n/a" not in table  # no formula line without SymPy
    table = run("diff", "sin(x)", "--at", "1", "--analytic", "ad").stdout
    assert table.splitlines()[:2] == ["f = sin(x)", "central difference, h = 0.0001"]
    assert "analytic (AD)" in table and "0.5403023058681398" in table
    table = run("hessian", "x*y**2", "--at", "1,2", "--analytic", "ad").stdout
    assert "analytic Hessian (AD)" in table


#: One command of each kind, each with ``--analytic ad``.
_WITHOUT_SYMPY = [
    ["grad", "cross_entropy(softmax(x @ W), t)", "--at", "W=[[1,2],[3,4]]", "--set", "x=[1,2]",
     "--set", "t=[0,1]"],
    ["diff", "sin(x)*exp(x)", "--at", "1", "--order", "6"],
    ["hessian", "x*y**2 + relu(x)", "--at", "1,2"],
    ["sweep", "exp(x)", "--at", "1"],
    ["descend", "x**2 + y**2", "--from", "1,2", "--grad", "ad", "--steps", "5"],
]  # fmt: skip


def test_analytic_ad_never_imports_sympy() -> None:
    script = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from diffcli.cli import cli\n"
        "from diffcli.engine import analytic\n"
        "analytic.bounded = None  # any SymPy job would fail loudly\n"
        "sources = []\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    result = CliRunner().invoke(cli, args + ['--analytic', 'ad', '-f', 'json'])\n"
        "    assert result.exit_code == 0, (args, result.output, result.exception)\n"
        "    document = json.loads(result.stdout)\n"
        "    sources.append(document.get('analytic_source', document.get('reference_source')))\n"
        "assert 'sympy' not in sys.modules\n"
        "print(json.dumps(sources))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script, json.dumps(_WITHOUT_SYMPY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == ["ad", "ad", "ad", "ad", None]


def test_the_primers_network_against_the_book_and_sympy() -> None:
    from diffcli.engine import sympy_tree

    shapes = {"W": (2, 3), "x": (2,), "t": (3,)}
    function = compile_expression(NETWORK, shapes)
    # derived once, x and t held: SymPy's ∂L/∂W for every W of the book
    exact = sympy_tree.gradient_expressions(NETWORK, shapes, ("W",), {"x": X, "t": T}, False)
    for weights in WEIGHTS:
        net = simpleNet(weights)
        book = numerical_gradient_nditer(lambda W, net=net: net.loss(X, T), net.W)
        point = {"W": np.array(weights), "x": X, "t": T}
        by_ad = autodiff.gradient(function, point, ("W",))["W"]
        assert np.max(np.abs(by_ad - book)) < 1e-6
        np.testing.assert_allclose(by_ad, at(exact["W"], point), rtol=1e-12, atol=1e-15)
    # the same through the API, as a user gets it
    point = {"W": np.array(WEIGHTS[0]), "x": X, "t": T}
    report = gradient(NETWORK.text, point, wrt="W", analytic="ad")
    assert report.analytic.source == "ad" and report.results[0].analytic is not None
    assert report.results[0].analytic["W"].tolist() == (
        autodiff.gradient(function, point, ("W",))["W"].tolist()
    )


#: Element-wise functions with the interval of arguments where each is smooth and defined.
_SAFE = ["sin", "cos", "exp", "tanh", "atan", "sigmoid", "sinh", "asinh", "cosh"]


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["x", "y", "2.5", "x*y", "(1 + x*x)"])

    def grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(_SAFE), children).map(lambda p: f"{p[0]}({p[1]})"),
            st.tuples(children, st.sampled_from("+-*"), children).map(
                lambda p: f"({p[0]} {p[1]} {p[2]})"
            ),
            st.tuples(children, children).map(lambda p: f"({p[0]}) / (2 + ({p[1]})**2)"),
            st.tuples(children, st.integers(2, 4)).map(lambda p: f"({p[0]})**{p[1]}"),
            children.map(lambda a: f"sqrt(1 + ({a})**2)"),
            children.map(lambda a: f"log(2 + ({a})**2)"),
        )

    return st.recursive(leaves, grow, max_leaves=6)


#: y away from 0, where partials such as y/sqrt(1+y²)·cos y − sqrt(1+y²)·sin y ≈ −y³/2 cancel:
#: there rounding, not the chain rule, sets the digits in floating point
_Y = st.one_of(st.floats(-1.0, -0.2), st.floats(0.2, 1.0))


@settings(max_examples=12, deadline=None, derandomize=True)
@given(_expressions(), st.floats(0.2, 1.2), _Y)
def test_ad_agrees_with_sympy_on_random_expressions(part: str, x: float, y: float) -> None:
    from diffcli.engine import sympy_tree

    expression = parse(f"({part}) * cos(y) + x")  # both variables, always
    point = {"x": x, "y": y}
    function = compile_expression(expression, {"x": (), "y": ()})
    tree = sympy_tree.to_sympy(expression, {"x": (), "y": ()})
    symbols = [sympy_tree.symbol("x"), sympy_tree.symbol("y")]
    firsts = [tree.diff(symbol) for symbol in symbols]
    by_ad = autodiff.gradient(function, point, ("x", "y"))
    for name, first in zip(("x", "y"), at(firsts, point)):
        if math.isfinite(first):
            assert by_ad[name] == pytest.approx(first, rel=1e-12, abs=1e-300)
    exact = at([[first.diff(symbol) for symbol in symbols] for first in firsts], point)
    matrix = autodiff.hessian(function, point, ("x", "y"))
    np.testing.assert_allclose(matrix, exact, rtol=1e-11, atol=1e-11 * np.max(np.abs(exact)))


def test_taylor_mode_gives_every_order() -> None:
    import mpmath
    import sympy as sp

    from diffcli.engine import sympy_tree

    text = "sin(x)*exp(x)/(1 + x**3) + sqrt(x)*tanh(x) + atan(x)**2.5 + log10(x)"
    tree = sympy_tree.to_sympy(parse(text), {"x": ()})
    variable = sympy_tree.symbol("x")
    assert derivative(text, "0.7", analytic="ad").results[0].analytic == pytest.approx(
        float(at(tree.diff(variable), {"x": 0.7})), rel=1e-12
    )
    # SymPy's tree in mpmath at 60 digits, its derivatives to that precision: SymPy's own
    # sixth derivative takes seconds to build
    with mpmath.workdps(60):
        exact = list(mpmath.diffs(sp.lambdify(variable, tree, "mpmath"), mpmath.mpf(0.7), 6))
    for order in (1, 4, 6):
        by_ad = derivative(text, "0.7", order=order, analytic="ad").results[0].analytic
        assert by_ad == pytest.approx(float(exact[order]), rel=1e-12)


def test_taylor_mode_is_exact_on_polynomials() -> None:
    point = {"x": 2.0}
    polynomial = compiled("x**6 - 3*x**4 + x", point)
    found = [autodiff.derivative(polynomial, point, Coordinate("x"), n) for n in range(1, 7)]
    assert found == [
        6 * 32 - 12 * 8 + 1,
        30 * 16 - 36 * 4,
        120 * 8 - 72 * 2,
        360 * 4 - 72,
        1440.0,
        720.0,
    ]


#: One expression using every tensor function of the whitelist.
_TENSORS = (
    "cross_entropy(softmax(x @ W), t) + sum(max(W, axis=0)) + prod(W[0]) + norm(x)"
    " + mean(min(x, axis=1)) + sum(transpose(W) @ transpose(x)) + mean_squared_error(x @ W, t)"
    " + dot(W[0], v) + sum(softmax(W, axis=0) * W) + sum(norm(W, axis=1)) + mean(x / v[1])"
    " + prod(v, axis=0) + sum(log2(v) * sqrt(v) ** 3) + W[2][1] * x[1, 2]"
)


def test_every_whitelisted_function_has_its_rule() -> None:
    # element by element: each function's derivative at a point inside its domain
    for function in FUNCTIONS.values():
        if function.kind != "elementwise":
            assert f"{function.name}(" in _TENSORS, function.name
            continue
        at = 1.5 if function.name == "acosh" else 0.375
        point = {"x": at}
        found = autodiff.gradient(compiled(f"{function.name}(x)", point), point, ("x",))["x"]
        step = 1e-5
        quotient = (
            NUMPY[function.name](np.float64(at + step))
            - NUMPY[function.name](np.float64(at - step))
        ) / (2 * step)
        assert float(found) == pytest.approx(float(quotient), rel=1e-8), function.name


def test_every_tensor_function_against_central_differences() -> None:
    rng = np.random.default_rng(0)
    point = {
        "x": rng.random((2, 3)),
        "W": rng.random((3, 4)),
        "t": np.array([[0, 0, 1, 0], [1, 0, 0, 0]], dtype=float),
        "v": rng.random(4) + 0.5,
    }
    function = compiled(_TENSORS, point)
    names = ("W", "x", "v")
    exact = autodiff.gradient(function, point, names)
    numerical = partials(function, point, names, "central", 1e-6)
    for name in names:
        np.testing.assert_allclose(exact[name], numerical[name], rtol=1e-7, atol=1e-8)
    matrix = autodiff.hessian(function, point, names)
    assert matrix.shape == (22, 22)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-12)
    flat = np.concatenate([point[name].reshape(-1) for name in names])

    def flat_gradient(values: Any) -> Any:
        moved = dict(point)
        offset = 0
        for name in names:
            size = point[name].size
            moved[name] = values[offset : offset + size].reshape(point[name].shape)
            offset += size
        found = autodiff.gradient(function, moved, names)
        return np.concatenate([found[name].reshape(-1) for name in names])

    step = 1e-6
    columns = [
        (flat_gradient(flat + step * unit) - flat_gradient(flat - step * unit)) / (2 * step)
        for unit in np.eye(flat.size)
    ]
    np.testing.assert_allclose(matrix, np.array(columns), rtol=1e-6, atol=1e-6)


def test_prod_with_a_zero_element() -> None:
    point = {"v": np.array([2.0, 0.0, 3.0])}
    function = compiled("prod(v)", point)
    assert autodiff.gradient(function, point, ("v",))["v"].tolist() == [0.0, 6.0, 0.0]
    assert autodiff.hessian(function, point, ("v",)).tolist() == [
        [0.0, 3.0, 0.0],
        [3.0, 0.0, 2.0],
        [0.0, 2.0, 0.0],
    ]


def test_central_differences_converge_to_ad_at_order_two() -> None:
    point = {"x": np.array([0.3, -0.7, 1.1])}
    function = compiled("sum(exp(x) * sin(x)) + prod(x)", point)
    exact = autodiff.gradient(function, point, ("x",))["x"]
    steps = np.array([1e-1, 5e-2, 2.5e-2, 1.25e-2])
    errors = [
        np.max(np.abs(partials(function, point, ("x",), "central", h)["x"] - exact)) for h in steps
    ]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize(
    ("text", "at", "label", "left", "right"),
    [
        ("abs(x)", {"x": 0.0}, "x", -1.0, 1.0),
        ("relu(x) + y", {"x": 0.0, "y": 1.0}, "x", 0.0, 1.0),
        ("max(v)", {"v": np.array([1.0, 1.0])}, "v[0]", 0.0, 1.0),
    ],
)
def test_kinks_are_reported_as_by_the_numerical_side(
    text: str, at: dict[str, Any], label: str, left: float, right: float
) -> None:
    by_ad = gradient(text, at, analytic="ad")
    (row,) = by_ad.results
    assert by_ad.analytic.source == "ad"
    assert row.status == "kink"
    assert row.kinks[label] == pytest.approx((left, right), abs=1e-9)
    assert row.analytic is not None and math.isnan(
        float(np.asarray(row.analytic[label.split("[")[0]]).reshape(-1)[0])
    )
    assert row.kinks == gradient(text, at, analytic=False).results[0].kinks


def test_a_kink_in_diff_has_no_analytic_value(run: Any) -> None:
    document = json.loads(
        run("diff", "abs(x)", "--at", "0", "--analytic", "ad", "-f", "json").stdout
    )
    (result,) = document["results"]
    assert (result["status"], result["analytic"]) == ("kink", None)
    assert (result["left"], result["right"]) == pytest.approx((-1.0, 1.0))


def test_auto_goes_to_ad_past_sympys_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    many = np.arange(101, dtype=np.float64)
    report = gradient("sum(x**2)", {"x": many})
    assert report.analytic.source == "ad"
    assert report.results[0].analytic is not None
    assert report.results[0].analytic["x"].tolist() == (2 * many).tolist()
    monkeypatch.setattr(
        analytic, "bounded", lambda work, seconds: analytic.Bounded(None, "timed out", "slow")
    )
    late = derivative("x**3", "2")
    assert (late.analytic.status, late.analytic.source) == ("ok", "ad")
    assert late.analytic.reason == "SymPy timed out: slow"
    assert late.warnings == ()
    assert late.results[0].analytic == 12.0
    refused = derivative("x**3", "2", analytic="sympy")
    assert (refused.analytic.status, refused.results[0].analytic) == ("timed out", None)


def test_analytic_keyword_is_checked() -> None:
    from diffcli.errors import InputError

    with pytest.raises(InputError, match=r"^unknown analytic 'jax'; choose from auto, sympy, ad$"):
        gradient("x*y", "1,2", analytic="jax")


def test_descend_with_ad_follows_the_hand_derived_gradient() -> None:
    from bench.descent import BETA1, BETA2, EPS, EXPRESSION, LR, START, hand_written

    report = descend(
        EXPRESSION, START, optimizer="adam", lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS,
        steps=300, grad="ad", analytic=False,
    )  # fmt: skip
    assert report.final.step == 300 and report.analytic.status == "skipped"
    np.testing.assert_allclose(
        report.layout.flatten(report.final.at), hand_written(300), rtol=1e-12
    )


#: Scalar expressions for the planned reverse pass: every planned step and every delegated one.
_PLANNED = [
    "(1-x0)**2 + 100*(x1-x0**2)**2",
    "-x0 + +x1 - x0*x0*x0/x1 + pi*e - 3/x0",
    "sin(x0)*exp(x1)/(1+x0**2) - x1**3 + x0**0.5 + x0**-1",
    "tanh(x0*x1) + sigmoid(x0) - relu(x1 - 1) + abs(x0 - x1) + log(x0)*x1**x0 + 2**x1",
]


@pytest.mark.parametrize("text", _PLANNED)
def test_the_planned_pass_is_the_tapes_to_the_last_bit(text: str) -> None:
    expression = parse(text)
    function = compile_expression(expression, {"x0": (), "x1": ()})
    assert autodiff.plannable(function)
    plan = autodiff.ScalarPlan(function, ("x0", "x1"), {})
    for x in np.random.default_rng(3).uniform(0.1, 3.0, size=(200, 2)):
        point = {"x0": x[0], "x1": x[1]}
        on_tape = autodiff.gradient(function, point, ("x0", "x1"))
        assert plan.value(x) == float(function(point))
        assert plan.gradient(x).tolist() == [float(on_tape["x0"]), float(on_tape["x1"])]


def test_the_plan_holds_fixed_values_and_leaves_tensors_to_the_tape() -> None:
    function = compile_expression(parse("a*x**2 + y"), {"a": (), "x": (), "y": ()})
    plan = autodiff.ScalarPlan(function, ("y", "x"), {"a": 3.0})
    assert plan.value(np.array([1.0, 2.0])) == 13.0
    assert plan.gradient(np.array([1.0, 2.0])).tolist() == [1.0, 12.0]
    for text, shapes in (("sum(v**2)", {"v": (2,)}), ("v[0]*x", {"v": (2,), "x": ()})):
        assert not autodiff.plannable(compile_expression(parse(text), shapes))


def test_where_python_raises_the_descent_asks_numpy() -> None:
    from diffcli.options import DescentOptions
    from diffcli.usecases import descent

    # Python's 1/0 raises where NumPy gives inf: the descent gets NumPy's values there
    expression = parse("1/x + y**2")
    options = DescentOptions(grad="ad")
    problem = descent.prepare(expression, {"x": 1.0, "y": 2.0}, {}, options)
    with np.errstate(all="ignore"):
        assert problem.value(np.array([0.0, 2.0])) == math.inf
        assert problem.value(np.array([-0.0, 2.0])) == -math.inf
        slope = problem.gradient(np.array([0.0, 2.0]))
    assert slope[0] == -math.inf and slope[1] == 4.0
    assert problem.gradient(np.array([0.5, 2.0])).tolist() == [-4.0, 4.0]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_small_iterates_on_floats_step_as_large_ones_on_arrays(optimizer: str) -> None:
    # f is a sum over elements, so each coordinate of 20 (NumPy) moves as its twin of 4 (floats)
    four = [-1.5, 0.25, 2.0, 3.5]
    settings: dict[str, Any] = {"lr": 0.05, "steps": 40, "grad": "ad", "analytic": False}
    text = "sum((x - 1)**2 * exp(x / 10))"
    small, large = (
        descend(text, {"x": np.array(values)}, optimizer=optimizer, **settings)
        for values in (four, four * 5)
    )
    assert large.layout.flatten(large.final.at).tolist() == 5 * small.final.at["x"].tolist()
    assert small.final.at["x"].tolist() != four


def test_descend_with_ad_on_a_tensor(run: Any) -> None:
    outcome = run(
        "descend", "sum((W @ x - t)**2)", "--from", "W=[[0,0],[0,0]]", "--set", "x=[1,2]",
        "--set", "t=[1,-1]", "--grad", "ad", "--optimizer", "momentum", "--steps", "300",
        "--lr", "0.02", "--no-analytic", "-f", "json",
    )  # fmt: skip
    document = json.loads(outcome.stdout)
    final = np.array(document["final"]["at"]["W"]) @ np.array([1.0, 2.0])
    np.testing.assert_allclose(final, [1.0, -1.0], atol=1e-6)


def test_near_a_domain_edge_the_rules_keep_their_digits() -> None:
    # 1/sqrt(x*x - 1) at 1 + 1e-8 would keep 8 digits; (x - 1)(x + 1) keeps them all
    for text, at in (("acosh(x)", "1.00000001"), ("asin(x)", "0.9999"), ("atanh(x)", "0.999")):
        exact = derivative(text, at, analytic="sympy", analytic_timeout=60).results[0].analytic
        by_ad = derivative(text, at, analytic="ad").results[0].analytic
        assert exact is not None and by_ad is not None
        assert abs(by_ad - exact) <= 4 * np.spacing(abs(exact))


def test_sympys_gradient_is_refused_with_analytic_ad(run: Any) -> None:
    outcome = run(
        "descend", "x**2", "--from", "1", "--grad", "analytic", "--analytic", "ad", expect=2
    )
    assert outcome.stderr == (
        "error: --grad analytic is SymPy's gradient, and the analytic side is set to ad "
        "(no SymPy): use --grad ad\n"
    )
