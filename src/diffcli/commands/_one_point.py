"""``diff EXPRESSION --at POINT`` answered by ``engine.one_point``, as ``-f value`` or as the
table: on a cache hit no NumPy, no SymPy, and (typed in its plainest form) not even Click; on
a miss SymPy's formula is derived and stored, without the rest of the full path.

``value_at_one_point`` serves the ``diff`` command's ``-f value`` (any spelling Click reads);
``answer`` serves the console script before Click is imported, for the one plain spelling
``diff EXPRESSION`` followed by ``--at POINT`` and optionally ``-f value``/``-f table`` (or
``--format value``/``--format table``) and ``--wrt NAME``, each once, in any order. The table
is the full path's own (``render.diff``), drawn from a report built here. Anything else, and
any question ``engine.one_point`` cannot answer to the last bit, goes to the full command
line.
"""

from __future__ import annotations

import sys

#: ``typing.TYPE_CHECKING`` without importing ``typing``: this runs before Click, which would.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..engine.one_point import OnePoint
    from ..expr.parsing import Expression
    from ..results import DiffReport

#: ``diff``'s ``-f value`` with every option that decides the numbers at its default
#: (``--at`` aside): format, precision, plot, constants, method, step, order.
DEFAULT_VALUE_QUERY = ("value", None, None, (), "central", None, 1)

#: The options of the plain spelling: each one's value, given once.
_PLAIN_OPTIONS = {"--at": "at", "-f": "format", "--format": "format", "--wrt": "wrt"}


def value_at_one_point(
    expression: Expression, text: str, wrt: str | None, derive_within: float | None = None
) -> bool:
    """Print the derivative at one plain point when ``engine.one_point`` has it (the numbers
    of the full path, without NumPy or SymPy on a cache hit); False where the full path must
    answer. ``derive_within``: on a miss, let SymPy derive the formula in this many seconds
    (see ``central_derivative``)."""
    found = _at_one_point(expression, text, wrt, derive_within)
    if found is None:
        return False
    sys.stdout.write(repr(found[0].numerical) + "\n")
    return True


def table_at_one_point(
    expression: Expression, text: str, wrt: str | None, derive_within: float | None = None
) -> bool:
    """Draw ``diff``'s table at one plain point when ``engine.one_point`` has its numbers
    (the full path's table, from the same report; without NumPy or SymPy on a cache hit);
    False where the full path must answer."""
    found = _at_one_point(expression, text, wrt, derive_within)
    if found is None:
        return False
    from ..render.formats import render

    render(one_point_report(expression, *found), "table", None)
    return True


def _at_one_point(
    expression: Expression, text: str, wrt: str | None, derive_within: float | None
) -> tuple[OnePoint, dict[str, float], str] | None:
    """``engine.one_point``'s answer at the plain point ``text``, the point and the variable;
    None where the full path must answer."""
    from ..engine.one_point import central_derivative
    from ..expr.floats import plain_point

    if not isinstance(text, str):  # points read from a stream or file come as points
        return None
    variables = expression.variables
    point = plain_point(text, variables)
    name = wrt if wrt is not None else variables[0] if len(variables) == 1 else None
    if point is None or name not in point:
        return None
    found = central_derivative(expression, point, name, derive_within)
    return None if found is None else (found, point, name)


def one_point_report(
    expression: Expression, found: OnePoint, point: Mapping[str, float], name: str
) -> DiffReport:
    """The report ``usecases.diff`` makes for this question (the default method and step, no
    warning), from ``engine.one_point``'s answer: the variables in the expression's order,
    each a float where the full path holds a 0-d array (the same text in every format)."""
    from ..catalog import DEFAULT_STEP
    from ..results import Analytic, DerivativeRow, DiffReport

    row = DerivativeRow(
        {variable: point[variable] for variable in expression.variables},
        "central",
        DEFAULT_STEP,
        found.numerical,
        found.analytic,
        found.evaluations,
        found.error_estimate,
        value=found.value,
    )
    return DiffReport(
        expression.text, name, found.derivative, Analytic("ok", source="sympy"), (row,)
    )


def answer(arguments: Sequence[str]) -> int | None:
    """The exit code of ``diffcli ARGUMENTS`` if answered here (the plain spelling), else
    None: nothing was printed, and the full command line runs. A Ctrl-C meanwhile ends the
    run at once (``__main__``'s start-up handler; SymPy's child dies with this process)."""
    if len(arguments) < 2 or arguments[0] != "diff" or arguments[1].startswith("-"):
        return None
    given: dict[str, str] = {}
    rest = list(arguments[2:])
    while rest:
        if len(rest) < 2 or rest[0] not in _PLAIN_OPTIONS:
            return None
        name = _PLAIN_OPTIONS[rest[0]]
        if name in given:
            return None
        given[name] = rest[1]
        del rest[:2]
    output_format = given.get("format", "table")
    if output_format not in _ANSWERED or "at" not in given:
        return None
    from ..catalog import DEFAULT_TIMEOUT
    from ..errors import DiffcliError
    from ..expr.parsing import parse
    from ..terminal import guarded_run

    at = given["at"]
    try:
        expression = parse(arguments[1].removeprefix(" "))  # as ``expression_argument`` reads it
    except DiffcliError:
        return None  # the full command line reports it
    answering = _ANSWERED[output_format]
    answered = guarded_run(
        lambda: 0 if answering(expression, at, given.get("wrt"), DEFAULT_TIMEOUT) else None
    )
    return answered if isinstance(answered, int) else None


#: What ``answer`` prints for each format it takes (a table's rows all ``ok``: exit code 0).
_ANSWERED = {"value": value_at_one_point, "table": table_at_one_point}
