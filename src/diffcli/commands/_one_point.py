"""``diff EXPRESSION --at POINT -f value`` answered by ``engine.one_point``: on a cache hit no
NumPy, no SymPy, and (typed in its plainest form) not even Click; on a miss SymPy's formula
is derived and stored, without the rest of the full path.

``value_at_one_point`` serves the ``diff`` command (any spelling Click reads); ``answer``
serves the console script before Click is imported, for the one plain spelling
``diff EXPRESSION`` followed by ``--at POINT``, ``-f value`` (or ``--format value``) and
optionally ``--wrt NAME``, each once, in any order. Anything else, and any question
``engine.one_point`` cannot answer to the last bit, goes to the full command line.
"""

from __future__ import annotations

import sys

#: ``typing.TYPE_CHECKING`` without importing ``typing``: this runs before Click, which would.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..expr.parsing import Expression

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
    from ..engine.one_point import central_derivative
    from ..expr.floats import plain_point

    if not isinstance(text, str):  # points read from a stream or file come as points
        return False
    variables = expression.variables
    point = plain_point(text, variables)
    name = wrt if wrt is not None else variables[0] if len(variables) == 1 else None
    if point is None or name not in point:
        return False
    found = central_derivative(expression, point, name, derive_within)
    if found is None:
        return False
    sys.stdout.write(repr(found.numerical) + "\n")
    return True


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
    if given.get("format") != "value" or "at" not in given:
        return None
    from ..catalog import DEFAULT_TIMEOUT
    from ..errors import DiffcliError
    from ..expr.parsing import parse
    from ..terminal import guarded_run

    at = given["at"]
    try:
        expression = parse(arguments[1])
    except DiffcliError:
        return None  # the full command line reports it
    answered = guarded_run(
        lambda: 0 if value_at_one_point(expression, at, given.get("wrt"), DEFAULT_TIMEOUT) else None
    )
    return answered if isinstance(answered, int) else None
