"""``diffcli graph``: the computational graph, each node's value and adjoint, as a tree, JSON
and Graphviz DOT."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from diffcli import graph
from tests.test_grad_tensors import WEIGHTS, T


def test_the_tree_of_the_primers_square_sum(run: Any) -> None:
    assert run("graph", "x0**2 + x1**2", "--at", "3,4").stdout == (
        "f = x0**2 + x1**2\n"
        "at x0=3, x1=4\n"
        "node: value, ∂f/∂node (backward pass)\n"
        "+: 25.0, ∂f/∂ = 1.0\n"
        "├── **: 9.0, ∂f/∂ = 1.0\n"
        "│   ├── x0 (variable): 3.0, ∂f/∂ = 6.0\n"
        "│   └── 2.0: 2.0, ∂f/∂ = —\n"
        "└── **: 16.0, ∂f/∂ = 1.0\n"
        "    ├── x1 (variable): 4.0, ∂f/∂ = 8.0\n"
        "    └── 2.0: 2.0, ∂f/∂ = —\n"
    )


def test_dot_is_graphviz_text(run: Any) -> None:
    assert run("graph", "sin(x)*exp(x)", "--at", "1", "-f", "dot", "--precision", "4").stdout == (
        "digraph computational_graph {\n"
        "  rankdir=BT;\n"
        '  node [shape=box, fontname="monospace"];\n'
        '  label="f = sin(x)*exp(x)";\n'
        '  n0 [label="*\\nvalue = 2.287\\n∂f/∂ = 1"];\n'
        '  n1 [label="sin\\nvalue = 0.8415\\n∂f/∂ = 2.718"];\n'
        '  n2 [label="x\\nvalue = 1\\n∂f/∂ = 1.469", shape=ellipse];\n'
        '  n3 [label="exp\\nvalue = 2.718\\n∂f/∂ = 0.8415"];\n'
        '  n4 [label="x\\nvalue = 1\\n∂f/∂ = 2.287", shape=ellipse];\n'
        "  n1 -> n0;\n"
        "  n2 -> n1;\n"
        "  n3 -> n0;\n"
        "  n4 -> n3;\n"
        "}\n"
    )


def test_the_network_json_holds_the_values_the_gradient_uses(run: Any) -> None:
    weights = json.dumps(WEIGHTS[0])
    args = ["cross_entropy(softmax(x @ W), t)", "--at", f"W={weights}"]
    args += ["--set", "x=[0.6,0.9]", "--set", "t=[0,0,1]"]
    document = json.loads(run("graph", *args, "-f", "json").stdout)
    nodes = {node["text"]: node for node in document["nodes"]}
    assert [node["operation"] for node in document["nodes"]] == [
        "cross_entropy", "softmax", "@", "x", "W", "t",
    ]  # fmt: skip
    assert nodes["W"]["variable"] == "W" and nodes["W"]["shape"] == [2, 3]
    gradient = json.loads(run("grad", *args, "--analytic", "ad", "-f", "json").stdout)
    assert nodes["W"]["adjoint"] == gradient["results"][0]["analytic"]["W"]
    assert document["value"] == gradient["results"][0]["loss"]
    scores = np.array(nodes["x @ W"]["value"])
    assert nodes["softmax(x @ W)"]["value"] == (np.exp(scores) / np.exp(scores).sum()).tolist()
    # ∂L/∂(x@W) = y - t: the primer's softmax-with-loss backward step (up to the log's 1e-7)
    np.testing.assert_allclose(
        nodes["x @ W"]["adjoint"], np.array(nodes["softmax(x @ W)"]["value"]) - T, atol=1e-6
    )


def test_a_shared_variable_has_one_leaf_per_use() -> None:
    report = graph("sum(x*x) + x[1]", at={"x": [2.0, 3.0]})
    leaves = [(node.operation, node.adjoint.tolist()) for node in report.nodes if node.variable]
    assert leaves == [("x", [2.0, 3.0]), ("x", [2.0, 3.0]), ("x[1]", 1.0)]


def test_graph_errors_are_one_line(run: Any) -> None:
    outcome = run("graph", "log(x)", "--at", "-1", expect=1)
    assert (
        outcome.stderr
        == "error: cannot evaluate log(x) at x=-1: log of a negative number in log(x)\n"
    )
    outcome = run("graph", "x", "--at", "1,2", expect=2)
    assert outcome.stderr.startswith("error: ")


def test_graph_has_help_and_runnable_examples(run: Any) -> None:
    outcome = run("graph", "--help", columns=100)
    assert outcome.stdout.startswith("Usage: diffcli graph [OPTIONS] EXPRESSION\n")
    for option in ("--at", "--set", "--format", "--precision", "--color", "-q, --quiet"):
        assert option in outcome.stdout, option
    assert "[table|json|jsonl|csv|tsv|value|dot]" in outcome.stdout
    examples = outcome.stdout.split("Examples:\n")[1]
    assert examples.count("    diffcli graph ") >= 3


def test_a_kink_is_said_not_hidden_behind_the_adjoint_ad_chose(run: Any) -> None:
    outcome = run("graph", "abs(x) + relu(y)", "--at", "0,2")
    assert outcome.stderr == (
        "warning: at x=0, y=2 the left and right derivatives differ (not differentiable) for x "
        "(left -1.0, right 1.0): the adjoints there are a choice of AD (a subgradient), "
        "not derivatives\n"
    )
    assert "└── x (variable): 0.0, ∂f/∂ = 0.0 (kink)\n" in outcome.stdout
    assert "y (variable): 2.0, ∂f/∂ = 1.0\n" in outcome.stdout  # smooth there: unmarked
    at_max = json.loads(run("graph", "max(x)", "--at", "[1,1]", "-f", "json").stdout)
    assert [node["status"] for node in at_max["nodes"]] == ["ok", "kink"]
    assert [warning.split(": ")[0] for warning in at_max["warnings"]] == [
        "at x=[1, 1] the left and right derivatives differ (not differentiable) for x[0] "
        "(left 0.0, right 1.0), x[1] (left 0.0, right 1.0)"
    ]
    smooth = run("graph", "abs(x) + relu(y)", "--at", "-1,2")
    assert smooth.stderr == ""


def test_at_dash_names_the_commands_that_read_stdin(run: Any) -> None:
    # before: "--at '-': '-' is not a number", for graph and descend alike
    for command, option in (("graph", "--at"), ("descend", "--from")):
        outcome = run(command, "x**2", option, "-", expect=2)
        assert outcome.stderr == (
            f"error: {option} '-': points from stdin are read only by the diff, grad, hessian "
            f"and sweep commands; write the point here (e.g. {option} 3)\n"
        )
    assert run("graph", "x", "--at", "1,-", expect=2).stderr == (
        "error: --at '1,-': '-' is not a number\n"
    )
