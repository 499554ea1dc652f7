"""The analytic cache: the same numbers hit or miss, untrusted entries, atomic writes, limits."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffcli import derivative
from diffcli.engine import cache, plans, stationary

from .conftest import invoke

QUERIES = {
    "diff": ["diff", "(1 - cos(x))/x**2", "--at", "1e-5", "--at", "0.5", "-f", "json"],
    "grad": ["grad", "x**2*y + sin(x*y)", "--at", "x=1,y=2", "-f", "json"],
    "hessian": ["hessian", "exp(x)*y**3", "--at", "x=0.5,y=-1.5", "-f", "json"],
    "tensor": ["grad", "sum(W**3)*t", "--at", "W=[[1,2],[3,4]], t=0.1", "--wrt", "W", "-f", "json"],
    "descend": ["descend", "x0**2 + x1**2 - x0*x1", "--from", "-3,4", "--steps", "9", "-f", "json"],
}


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def cache_dir() -> Path:
    return Path(os.environ[cache.DIRECTORY_VARIABLE])


@pytest.mark.parametrize("name", QUERIES)
def test_a_hit_prints_exactly_what_the_miss_printed(name: str) -> None:
    first = invoke(QUERIES[name])
    assert first.exit_code == 0, first.explain()
    assert len(entries(cache_dir())) == 1
    again = invoke(QUERIES[name])
    assert again.stdout == first.stdout
    assert invoke([*QUERIES[name], "--no-cache"]).stdout == first.stdout


def test_the_analytic_column_is_correctly_rounded_where_the_formula_cancels() -> None:
    outcome = invoke(["diff", "(1 - cos(x))/x**2", "--at", "1e-5", "-f", "json"])
    # the true value is -8.33333333327777845947004e-7; SymPy in double gave -8.3333333331064e-7
    assert json.loads(outcome.stdout)["results"][0]["analytic"] == -8.333333333277779e-07


def test_no_cache_neither_reads_nor_writes() -> None:
    assert invoke(["diff", "x**3", "--at", "2", "--no-cache"]).exit_code == 0
    assert entries(cache_dir()) == []


TAMPERED = {
    "code": None,  # the formula replaced by Python that would run a command
    "pickle": pickle.dumps({"answer": "x"}),
    "garbage": b"\x00\xff not json",
    "truncated": None,
    "wrong version": None,
    "deep": None,
}


@pytest.mark.parametrize("how", TAMPERED)
def test_a_tampered_entry_is_ignored_and_rewritten(how: str, tmp_path: Path) -> None:
    query = ["diff", "x**3 + x", "--at", "2", "-f", "json"]
    honest = invoke(query).stdout
    (path,) = entries(cache_dir())
    entry = json.loads(path.read_text())
    marker = tmp_path / "ran"
    if how == "code":
        entry["answer"]["formulas"] = [f"__import__('os').system('touch {marker}')"]
        path.write_text(json.dumps(entry))
    elif how == "truncated":
        path.write_text(json.dumps(entry)[:40])
    elif how == "wrong version":
        entry["key"]["sympy"] = "0.0.1"
        entry["answer"]["formulas"] = ["5*x"]
        path.write_text(json.dumps(entry))
    elif how == "deep":
        entry["answer"]["formulas"] = ["(" * 500 + "x" + ")" * 500]
        path.write_text(json.dumps(entry))
    else:
        path.write_bytes(TAMPERED[how] or b"")
    outcome = invoke(query)
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stdout == honest
    assert not marker.exists()
    assert json.loads(path.read_text()) == json.loads(honest_entry(query))


def honest_entry(query: list[str]) -> str:
    """The entry a fresh cache writes for ``query``."""
    folder = cache_dir()
    for path in entries(folder):
        path.unlink()
    invoke(query)
    (path,) = entries(folder)
    return path.read_text()


def test_a_formula_for_other_shapes_or_variables_is_refused() -> None:
    query = ["diff", "x**3", "--at", "2", "-f", "value"]
    assert invoke(query).stdout == "12.00000001000845\n"
    (path,) = entries(cache_dir())
    entry = json.loads(path.read_text())
    for formula in ["y*3", "x[0]", "sum(x)", "x @ x", "1e400*x"]:
        entry["answer"]["formulas"] = [formula]
        path.write_text(json.dumps(entry))
        outcome = invoke(["diff", "x**3", "--at", "2", "-f", "json"])
        assert json.loads(outcome.stdout)["results"][0]["analytic"] == 12.0, formula


def test_an_unwritable_or_missing_directory_never_fails_a_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(blocker / "cache"))
    outcome = invoke(["diff", "x**3", "--at", "2", "-f", "value"])
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    assert invoke(["cache", "info"]).stdout.splitlines()[1] == "entries: 0"
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(tmp_path / "new" / "nested"))
    assert invoke(["diff", "x**3", "--at", "2", "-f", "value"]).exit_code == 0
    assert len(entries(tmp_path / "new" / "nested")) == 1


def test_the_oldest_entries_go_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(json.dumps({"key": cache.question("t", n=0), "answer": "a" * 100}))
    monkeypatch.setattr(cache, "MAX_BYTES", 3 * size + 10)
    for n in range(5):
        cache.store(cache.question("t", n=n), "a" * 100)
        os.utime(cache._path(cache.question("t", n=n)), (n + 1, n + 1))  # ages in order
    assert [cache.load(cache.question("t", n=n)) for n in range(5)] == [None, None] + [
        "a" * 100
    ] * 3
    path = entries(cache_dir())
    assert len(path) == 3


def test_info_and_clear() -> None:
    invoke(["diff", "x**3", "--at", "2"])
    invoke(["grad", "x*y", "--at", "1,2"])
    info = invoke(["cache", "info"]).stdout.splitlines()
    assert info[0] == f"directory: {cache_dir()}"
    assert info[1] == "entries: 2"
    assert invoke(["cache", "clear"]).stdout == f"removed 2 entries from {cache_dir()}\n"
    assert entries(cache_dir()) == []


EXPRESSIONS = ["x**3", "sin(x)*x", "log(1 + x**2)"]


def _queries(worker: int) -> list[str]:
    wrong = []
    for n in range(25):
        text = EXPRESSIONS[(worker + n) % len(EXPRESSIONS)]
        at = 0.5 + n % 3
        report = derivative(text, [at], analytic_timeout=0)
        expected = REFERENCE[text][at]
        if report.results[0].analytic != expected:
            wrong.append(f"{text} at {at}: {report.results[0].analytic!r} != {expected!r}")
    return wrong


#: Each expression's analytic values, found once without the cache (before the fork).
REFERENCE: dict[str, dict[float, float | None]] = {}


def test_eight_processes_share_one_cache_and_leave_no_corrupt_entry() -> None:
    # the reference values: one process, no cache
    cache.ENABLED.set(False)
    try:
        for text in EXPRESSIONS:
            REFERENCE[text] = {
                at: derivative(text, [at]).results[0].analytic for at in (0.5, 1.5, 2.5)
            }
    finally:
        cache.ENABLED.set(True)
    with multiprocessing.get_context("fork").Pool(8) as pool:
        wrong = pool.map(_queries, range(8))
    assert wrong == [[]] * 8
    found = entries(cache_dir())
    assert len(found) == len(EXPRESSIONS)
    for path in found:
        assert json.loads(path.read_text())["answer"]["formulas"]
    assert not [path for path in cache_dir().iterdir() if path.name.startswith(".")]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(["x**2*sin(x)", "exp(x)/(1 + x**2)", "atan(x)*x**3", "cosh(x) - x**2/2"]),
    st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
    st.integers(1, 3),
)
def test_hit_and_miss_agree_to_the_last_bit_on_random_points(
    text: str, at: float, order: int
) -> None:
    cache.clear()
    missed = derivative(text, [{"x": at}, {"x": at / 3}], order=order)
    hit = derivative(text, [{"x": at}, {"x": at / 3}], order=order)
    assert [row.analytic for row in hit.results] == [row.analytic for row in missed.results]
    assert hit.derivative == missed.derivative


def test_evaluating_a_cached_formula_counts_against_the_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from diffcli.expr import exact

    points = [{"x": 1.0 + n} for n in range(6)]
    assert derivative("x**3", points).analytic.status == "ok"  # now cached
    original = exact.value_at

    def slow(*args: object) -> float | None:
        time.sleep(0.1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(exact, "value_at", slow)
    report = derivative("x**3", points, analytic="sympy", analytic_timeout=0.25)
    assert (report.analytic.status, report.analytic.reason) == (
        "timed out",
        "the analytic values took longer than 0.25 s",
    )


@pytest.mark.parametrize(
    "kind, query",
    [
        ("derivative", ["diff", "x**3 + x", "--at", "2"]),
        ("gradient", ["grad", "x**2*y", "--at", "x=1,y=2"]),
    ],
)
def test_a_cached_text_with_control_characters_never_reaches_the_terminal(
    kind: str, query: list[str]
) -> None:
    honest = invoke(query)
    assert honest.exit_code == 0, honest.explain()
    (path,) = entries(cache_dir())
    entry = json.loads(path.read_text())
    escape = "\x1b]0;title\x07\x1b[2J3*x**2"
    if kind == "derivative":
        entry["answer"]["extra"] = escape
    else:
        entry["answer"]["extra"] = {label: escape for label in entry["answer"]["extra"]}
    path.write_text(json.dumps(entry))
    outcome = invoke(query)
    assert (outcome.exit_code, outcome.stdout) == (0, honest.stdout)
    assert "\x1b" not in outcome.stdout + outcome.stderr


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-1e999"])
def test_a_cached_stationary_point_that_is_not_finite_is_a_miss(number: str) -> None:
    query = ["descend", "x0**2 + x1**2", "--from", "1,2", "--steps", "3"]
    honest = invoke(query)
    assert "stationary  minimum at x0=0, x1=0, f = 0.0" in honest.stdout
    (path,) = entries(cache_dir())
    entry = json.loads(path.read_text())
    entry["answer"] = [[[0.0, 0.0], "minimum", 0.0, []], [[1.0, 1.0], "minimum", 0.0, []]]
    text = json.dumps(entry).replace("1.0, 1.0", f"{number}, 1.0")
    path.write_text(text)
    assert invoke(query).stdout == honest.stdout


def test_a_named_pipe_or_a_directory_in_an_entrys_place_is_a_miss_not_a_hang() -> None:
    import threading

    query = ["diff", "x**3", "--at", "2", "-f", "value"]
    assert invoke(query).stdout == "12.00000001000845\n"
    (path,) = entries(cache_dir())
    key = json.loads(path.read_text())["key"]
    path.unlink()
    os.mkfifo(path)
    answers: list[object] = []
    reader = threading.Thread(target=lambda: answers.append(cache.load(key)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert answers == [None]
    (cache_dir() / ("d" * 40 + ".json")).mkdir()
    assert invoke(["cache", "info"]).stdout.splitlines()[1] == "entries: 0"
    outcome = invoke(query)
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, "12.00000001000845\n", "")


def test_clear_and_eviction_touch_only_the_caches_own_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # before: DIFFCLI_CACHE_DIR=. and `diffcli cache clear` removed package.json and every
    # other *.json there, and eviction past MAX_BYTES could too
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    theirs = {"package.json": "{}", "notes.txt": "x", ".writing-notes.json": "{}"}
    for name, text in theirs.items():
        (folder / name).write_text(text)
    invoke(["diff", "x**3", "--at", "2"])
    assert invoke(["cache", "info"]).stdout.splitlines()[1] == "entries: 1"
    monkeypatch.setattr(cache, "MAX_BYTES", 0)
    cache.store(cache.question("t", n=0), "a")  # evicts every entry it may
    assert invoke(["cache", "clear"]).stdout == f"removed 0 entries from {folder}\n"
    assert {path.name: path.read_text() for path in folder.iterdir()} == theirs


DESCEND_ANALYTIC = [
    "descend",
    "x0**2 + 3*sin(x1)",
    "--from",
    "-3,4",
    "--steps",
    "9",
    "--grad",
    "analytic",
    "-f",
    "json",
]


def _gradient_plans_entry() -> Path:
    (found,) = [
        path
        for path in entries(cache_dir())
        if json.loads(path.read_text())["key"]["kind"] == "gradient plans"
    ]
    return found


def test_descend_keeps_its_analytic_gradient_and_a_hit_needs_no_sympy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = invoke(DESCEND_ANALYTIC)
    assert first.exit_code == 0, first.explain()
    assert _gradient_plans_entry()

    def no_sympy(*args: object) -> None:
        raise AssertionError("SymPy asked again")

    monkeypatch.setattr(stationary, "_gradient_plans", no_sympy)
    assert invoke(DESCEND_ANALYTIC).stdout == first.stdout


@pytest.mark.parametrize(
    "plan",
    [
        ["function", "__import__", ["symbol", 0]],  # a name build does not know
        ["symbol", 7],  # past the coordinates
        ["symbol", True],
        ["constant", "1"],
        ["integer power", ["symbol", 0], -1],
        ["power", ["symbol", 0]],
        ["exec", "print(1)"],
        "x0**2",
        [],
    ],
)
def test_a_tampered_gradient_plan_is_ignored_and_rewritten(plan: object) -> None:
    first = invoke(DESCEND_ANALYTIC)
    path = _gradient_plans_entry()
    entry = json.loads(path.read_text())
    entry["answer"][1] = plan
    path.write_text(json.dumps(entry))
    assert plans.checked(plan, 2) is None
    assert invoke(DESCEND_ANALYTIC).stdout == first.stdout
    assert json.loads(path.read_text())["answer"][1] != plan


def test_a_plan_read_back_is_the_plan_sympy_gave() -> None:
    plan = ("add", ("integer power", ("symbol", 0), 2), ("function", "sin", ("symbol", 1)))
    assert plans.checked(json.loads(json.dumps(plan)), 2) == plan
    assert plans.checked(json.loads(json.dumps(plan)), 1) is None
    deep: list[object] = ["symbol", 0]
    for _ in range(plans.MAX_DEPTH + 1):
        deep = ["sqrt", deep]
    assert plans.checked(deep, 1) is None
