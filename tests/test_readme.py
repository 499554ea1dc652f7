"""The README's console examples are real: each one is run and its output compared."""

from __future__ import annotations

import doctest
import json
import pathlib
import re
import shlex

import pytest

from tests.conftest import invoke

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def console_examples() -> list[tuple[str, str, str]]:
    """(command, expected stdout, expected stderr) for every ``$ diffcli`` line."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), re.DOTALL):
        command: str | None = None
        stdout: list[str] = []
        stderr: list[str] = []
        in_error = False
        lines = iter(block.splitlines())
        for line in lines:
            while line.startswith("$ ") and line.endswith("\\"):
                line = line[:-1] + next(lines).strip()
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "".join(stdout), "".join(stderr)))
                command, stdout, stderr, in_error = line[2:], [], [], False
            elif line.startswith("error:") or in_error:
                in_error = True
                stderr.append(line + "\n")
            elif line.startswith("warning:"):
                stderr.append(line + "\n")
            else:
                stdout.append(line + "\n")
        if command is not None:
            examples.append((command, "".join(stdout), "".join(stderr)))
    return examples


EXAMPLES = console_examples()


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 5


#: Difference quotients of exp and log sums: NumPy's exp and log differ in the last bit from one
#: CPU's vector unit to another, and a quotient by h = 1e-4 shows that bit near the 12th digit.
#: Their text is compared exactly, their numbers to 1e-9 (the analytic ones still agree exactly).
MACHINE_DEPENDENT = ("softmax",)
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def same_but_last_digits(actual: str, expected: str) -> bool:
    """The same text, and each decimal number within 1e-9 of the documented one."""
    if NUMBER.sub("#", actual) != NUMBER.sub("#", expected):
        return False
    pairs = zip(NUMBER.findall(actual), NUMBER.findall(expected))
    return all(float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-12) for a, b in pairs)


@pytest.mark.parametrize(("command", "stdout", "stderr"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_readme_example(command, stdout, stderr):
    words = shlex.split(command)
    assert words[0] == "diffcli"
    outcome = invoke(words[1:])
    if any(name in command for name in MACHINE_DEPENDENT) and outcome.stdout != stdout:
        assert same_but_last_digits(outcome.stdout, stdout), outcome.explain()
    else:
        assert outcome.stdout == stdout, outcome.explain()
    assert outcome.stderr == stderr, outcome.explain()


def test_last_digit_comparison_still_sees_a_wrong_number():
    assert same_but_last_digits("f = 0.9560980115456158\n", "f = 0.9560980115456159\n")
    assert not same_but_last_digits("f = 0.9560980115\n", "f = 0.9560990115\n")
    assert not same_but_last_digits("g = 0.95\n", "f = 0.95\n")


def test_readme_diff_json_is_the_real_output():
    text = README.read_text()
    block = text[text.index("`diff`, the JSON is:") :]
    start = block.index("```json\n") + len("```json\n")
    documented = json.loads(block[start : block.index("\n```", start)])
    outcome = invoke(["diff", "x0**2 + x1**2", "--wrt", "x0", "--at", "x0=3,x1=4", "-f", "json"])
    assert json.loads(outcome.stdout) == documented


def python_examples() -> list[str]:
    """Every ``pycon`` block of the README: the Python API's documented sessions."""
    return re.findall(r"```pycon\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_python_examples_run_as_shown():
    blocks = python_examples()
    assert len(blocks) >= 2
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    session: dict[str, object] = {}  # the blocks read as one session, names carried over
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, session, f"README python block {number}", "README", 0)
        runner.run(test, clear_globs=False)
        session.update(test.globs)
    assert runner.summarize(verbose=False).failed == 0
