"""Points and bound values: ``--at 5``, ``--at 3,4``, ``--at x0=3,x1=4``, ``--at W=[[1,2],[3,4]]``.

A value is a number, a constant expression (``pi/4``, ``-1e-3``) or a nested list of them; a
scalar's value may be a range, ``0:20:0.1``, and ranges make grids (``ranges``).
Values are read with the expression parser and evaluated by the compiler: nothing is ``eval``-ed.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..errors import DiffcliError, InputError, param
from .floats import DECIMAL_LITERAL
from .parsing import Expression, parse

if TYPE_CHECKING:  # NumPy, which ranges need, is imported by the functions that use it
    from .ranges import NumberRange

Array = Any
#: A point: each variable's value, a float64 array (0-d for a scalar).
Point = dict[str, Array]

MAX_RANK = 3
MAX_ELEMENTS = 10_000_000
#: ``at``, the parameter most messages here name (``--at`` on the command line).
AT = param("at")
SET = param("constants")
_BINDING = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Bindings:
    """What one ``--at`` text says, before it is matched to an expression's variables.

    A value may be a ``NumberRange`` until ``expand`` makes one ``Bindings`` per point.
    """

    text: str
    positional: tuple[Array, ...]
    named: Mapping[str, Array]
    option: str = AT

    def has_ranges(self) -> bool:
        """Whether a value is a range (then the text stands for several points)."""
        from .ranges import NumberRange

        values = (*self.positional, *self.named.values())
        return any(isinstance(value, NumberRange) for value in values)

    def point_count(self) -> int:
        """How many points the text stands for: the size of its ranges' grid (1 if none).

        Raises:
            InputError: a grid of more than ``ranges.MAX_POINTS`` points.
        """
        from .ranges import NumberRange, grid_size

        values = (*self.positional, *self.named.values())
        ranges = [value for value in values if isinstance(value, NumberRange)]
        return grid_size(ranges, f"{self.option} {quoted(self.text)}")


def read_bindings(text: str, option: str = AT) -> Bindings:
    """Split ``3,4`` / ``x0=3,x1=4`` / ``x=3,4,y=[1,2]`` into values.

    A bare value after ``name=`` extends that name's value into a vector (``x=3,4``).

    Raises:
        InputError: naming the option, the offending item and why.
    """
    items = _split_top_level(text, option)
    positional: list[Array] = []
    named: dict[str, list[Array]] = {}
    current: str | None = None
    for item in items:
        match = _BINDING.match(item)
        if match:
            current = match.group(1)
            if current in named:
                raise InputError(f"{option} {quoted(text)}: {current} is given twice")
            named[current] = [_read_item(match.group(2), option, text)]
        elif current is None:
            positional.append(_read_item(item, option, text))
        else:
            named[current].append(_read_item(item, option, text))
    joined = {name: _join(values, option, text, name) for name, values in named.items()}
    return Bindings(text, tuple(positional), joined, option)


def expand(bindings: Bindings) -> list[Bindings]:
    """One ``Bindings`` per point of the grid that ``bindings``' ranges make (itself if none).

    Raises:
        InputError: a grid of more than ``ranges.MAX_POINTS`` points.
    """
    slots, columns = _grid_of(bindings)
    if not slots:
        return [bindings]
    return [
        _filled(bindings, dict(zip(slots, numbers)))
        for numbers in zip(*(column.tolist() for column in columns))
    ]


def bind_each(
    bindings: Bindings,
    expression: Expression,
    fixed: Mapping[str, Array] | None = None,
    option: str = AT,
) -> Sequence[Point]:
    """``bind`` at every point of the grid ``bindings``' ranges make (one point if none).

    The first point is bound in full. Where each range fills one scalar variable, the other
    points are the first with those variables' values replaced: the same points, without
    binding each one again.

    Raises:
        InputError: as ``bind``, or a grid of more than ``ranges.MAX_POINTS`` points.
    """
    import numpy as np

    slots, columns = _grid_of(bindings)
    if not slots:
        return [bind(bindings, expression, fixed, option)]
    first_values = {slot: np.array(column[0]) for slot, column in zip(slots, columns)}
    first = bind(_filled(bindings, first_values), expression, fixed, option)
    # the variable each range fills: the one holding its very value (not joined into a vector)
    names = [name for slot in slots for name, value in first.items() if value is first_values[slot]]
    if len(names) != len(slots):
        return [bind(one, expression, fixed, option) for one in expand(bindings)]
    return PointColumns(first, dict(zip(names, columns)))


class PointColumns(Sequence[Point]):
    """Many points that differ only in some scalar variables, held as one float64 column per
    such variable (a range's or a stream's numbers) beside the values every point shares.

    Indexing makes the point (a ``Point``), so any code that takes a sequence of points takes
    this one; code that evaluates many points at once reads ``column``.
    """

    def __init__(self, first: Point, columns: Mapping[str, Array]) -> None:
        import numpy as np

        #: The first point: its variables' order, and the values the points share.
        self.first = first
        self.columns = {
            name: np.asarray(column, dtype=np.float64) for name, column in columns.items()
        }
        (self.length,) = {len(column) for column in self.columns.values()}

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Point: ...

    @overload
    def __getitem__(self, index: slice) -> PointColumns: ...

    def __getitem__(self, index: int | slice) -> Point | PointColumns:
        import numpy as np

        if isinstance(index, slice):
            return PointColumns(
                self.first, {name: column[index] for name, column in self.columns.items()}
            )
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return {
            name: np.array(self.columns[name][index]) if name in self.columns else value
            for name, value in self.first.items()
        }

    def __iter__(self) -> Iterator[Point]:
        return (self[index] for index in range(self.length))

    def without(self, names: Iterable[str]) -> PointColumns:
        """The points without the variables ``names`` (values held fixed)."""
        dropped = set(names)
        first = {name: value for name, value in self.first.items() if name not in dropped}
        columns = {name: column for name, column in self.columns.items() if name not in dropped}
        return PointColumns(first, columns)

    def column(self, name: str) -> Array:
        """A scalar variable's value at every point, one float64 array."""
        import numpy as np

        if name in self.columns:
            return self.columns[name]
        return np.full(self.length, float(self.first[name]))

    def flat_columns(self) -> list[Array]:
        """Every scalar coordinate's value at every point (variables in order, each one's
        elements row-major): one float64 array each."""
        import numpy as np

        return [
            self.columns[name] if name in self.columns else np.full(self.length, float(element))
            for name, value in self.first.items()
            for element in np.ravel(value).tolist()
        ]


PointsT = TypeVar("PointsT", bound=Sequence[Mapping[str, Array]])


def layouts(points: PointsT) -> PointsT:
    """Points enough to see every layout (names and shapes) among ``points``: the first of
    ``PointColumns``, whose points share one, else every point."""
    return points[:1] if isinstance(points, PointColumns) else points  # type: ignore[return-value]


Slot = int | str


def _grid_of(bindings: Bindings) -> tuple[list[Slot], list[Array]]:
    """The positions and names holding ranges, and each one's column of the grid."""
    from .ranges import NumberRange, grid

    slots: list[tuple[Slot, Array]] = [
        *enumerate(bindings.positional),
        *bindings.named.items(),
    ]
    ranged = [(slot, value) for slot, value in slots if isinstance(value, NumberRange)]
    if not ranged:
        return [], []
    where = f"{bindings.option} {quoted(bindings.text)}"
    return [slot for slot, _ in ranged], grid([value for _, value in ranged], where)


def _filled(bindings: Bindings, values: Mapping[Slot, Any]) -> Bindings:
    """``bindings`` with the ranges at these positions and names replaced by numbers."""
    import numpy as np

    positional = tuple(
        np.asarray(values[index], dtype=np.float64) if index in values else value
        for index, value in enumerate(bindings.positional)
    )
    named = {
        name: np.asarray(values[name], dtype=np.float64) if name in values else value
        for name, value in bindings.named.items()
    }
    return Bindings(bindings.text, positional, named, bindings.option)


def _read_item(text: str, option: str, whole: str) -> Array | NumberRange:
    """A value, or a range ``START:STOP:STEP`` (a ``:`` outside brackets)."""
    from .ranges import number_range

    if ":" not in text or text.strip().startswith("["):
        return read_value(text, option, whole)
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(
            f"{option} {quoted(whole)}: write a range as START:STOP:STEP, e.g. 0:20:0.1"
        )
    start, stop, step = (_constant(part.strip(), option, whole) for part in parts)
    item = "" if text.strip() == whole.strip() else f": {text.strip()}"
    return number_range(start, stop, step, f"{option} {quoted(whole)}{item}")


def _join(values: list[Array], option: str, text: str, name: str) -> Array:
    import numpy as np

    from .ranges import NumberRange

    if len(values) == 1:
        return values[0]
    if any(isinstance(value, NumberRange) for value in values):
        raise InputError(f"{option} {quoted(text)}: a range gives {name} one number per point")
    if any(np.ndim(value) != 0 for value in values):
        raise InputError(
            f"{option} {quoted(text)}: write {name}'s value as one list, e.g. {name}=[1,2]"
        )
    return np.array(values, dtype=np.float64)


def _split_top_level(text: str, option: str) -> list[str]:
    items: list[str] = []
    depth = 0
    start = 0
    for position, character in enumerate(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        elif character == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:])
    if not text.strip():
        raise InputError(f"{option} needs a value, e.g. {option} 5 or {option} x0=3,x1=4")
    for item in items:
        if not item.strip():
            raise InputError(f"{option} {quoted(text)}: empty item between commas")
    return items


def read_value(text: str, option: str = AT, whole: str | None = None) -> Array:
    """A number, constant expression or nested list of them, as a float64 array."""
    import numpy as np

    whole = text if whole is None else whole
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            tree = ast.parse(stripped, mode="eval").body
        except (SyntaxError, RecursionError, ValueError):
            raise InputError(
                f"{option} {quoted(whole)}: cannot read the list {quoted(stripped)}"
            ) from None
        nested = _read_list(tree, _Source(stripped), option, whole, 1)
        try:
            array = np.array(nested, dtype=np.float64)
        except ValueError:
            raise InputError(
                f"{option} {quoted(whole)}: the rows of {quoted(stripped)} have different lengths"
            ) from None
        if array.size > MAX_ELEMENTS:
            raise InputError(f"{option} {quoted(whole)}: more than {MAX_ELEMENTS} numbers")
        return array
    return np.array(_constant(stripped, option, whole), dtype=np.float64)


class _Source:
    """The text of a list, cut into the items ``ast`` found in it.

    ``ast.get_source_segment`` splits the whole text into lines on every call, which makes a
    list of n numbers cost n² (100,000 numbers: hours); this splits it once.
    """

    def __init__(self, text: str) -> None:
        # ast counts columns in UTF-8 bytes and lines at \n, \r\n and \r, as bytes.splitlines
        self.lines = text.encode("utf-8").splitlines(keepends=True)

    def segment(self, node: ast.expr) -> str:
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        end = node.end_col_offset
        if first == last:
            return self.lines[first][node.col_offset : end].decode("utf-8")
        pieces = [self.lines[first][node.col_offset :], *self.lines[first + 1 : last]]
        return b"".join([*pieces, self.lines[last][:end]]).decode("utf-8")


def _read_list(node: ast.expr, source: _Source, option: str, whole: str, depth: int) -> Any:
    if isinstance(node, ast.List):
        if depth > MAX_RANK:
            raise InputError(f"{option} {quoted(whole)}: lists nest at most {MAX_RANK} deep")
        if not node.elts:
            raise InputError(f"{option} {quoted(whole)}: empty list")
        return [_read_list(element, source, option, whole, depth + 1) for element in node.elts]
    return _constant(source.segment(node), option, whole)


def _constant(text: str, option: str, whole: str) -> float:
    import numpy as np

    from .compiling import compile_expression

    if whole.strip() == "-":  # diff, grad, hessian and sweep read their points from stdin
        raise InputError(
            f"{option} '-': points from stdin are read only by the diff, grad, hessian and "
            f"sweep commands; write the point here (e.g. {option} 3)"
        )
    if DECIMAL_LITERAL.match(text):  # a plain number: float() rounds it as the parser would
        literal = float(text)
        if math.isinf(literal):
            raise InputError(
                f"{option} {quoted(whole)}: {quoted(text.strip())} overflows a double "
                f"(the largest is {sys.float_info.max:.2g})"
            )
        return literal
    try:
        expression = parse(text)
        if expression.variables:
            raise InputError(
                f"{option} {quoted(whole)}: {quoted(text.strip())} is not a number "
                f"(it names {', '.join(expression.variables)})"
            )
        with np.errstate(all="ignore"):
            value = float(compile_expression(expression, {})({}))
    except InputError as error:
        if error.template.startswith(option):
            raise
        raise InputError(
            f"{option} {quoted(whole)}: {quoted(text.strip())} is not a number"
        ) from None
    except DiffcliError:
        raise InputError(
            f"{option} {quoted(whole)}: {quoted(text.strip())} is not a number"
        ) from None
    if not math.isfinite(value):
        raise InputError(f"{option} {quoted(whole)}: {quoted(text.strip())} is not a finite number")
    return value


def check_known(expression: Expression, name: str, option: str, text: str) -> None:
    """Raise InputError when ``option``'s ``text`` names a variable the expression lacks."""
    if name not in expression.variables:
        known = ", ".join(expression.variables) or "none"
        raise InputError(
            f"{option} {quoted(text)}: unknown variable {name!r} "
            f"(the expression's variables: {known})"
        )


def bind(
    bindings: Bindings,
    expression: Expression,
    fixed: Mapping[str, Array] | None = None,
    option: str = AT,
) -> Point:
    """Match one ``--at`` to the expression's variables.

    Positional values bind the variables not fixed elsewhere in natural order (x0, x1, …, x10);
    an expression with one such variable takes all the values, as a vector when there are
    several.

    Raises:
        InputError: unknown, missing or doubly given variables, or a wrong count.
    """
    if bindings.has_ranges():
        raise InputError(
            f"{option} {quoted(bindings.text)}: a range gives several points; {option} takes one"
        )
    fixed = dict(fixed or {})
    free = [name for name in expression.variables if name not in fixed]
    point: Point = {}
    for name, value in bindings.named.items():
        check_known(expression, name, option, bindings.text)
        if name in fixed:
            raise InputError(f"{option} {quoted(bindings.text)}: {name} is already given by {SET}")
        point[name] = value
    positional = list(bindings.positional)
    if positional:
        unbound = [name for name in free if name not in point]
        if len(unbound) == 1:
            name = unbound[0]
            indexed = name in expression.indexed
            if len(positional) == 1 and not indexed:
                point[name] = positional[0]
            else:
                point[name] = _join_positional(positional, option, bindings.text, name)
                if not indexed:
                    _refuse_decimal_comma(expression, {**fixed, **point}, bindings, option)
        elif len(unbound) == len(positional) and not any(
            name in expression.indexed for name in unbound
        ):
            point.update(zip(unbound, positional))
        elif not unbound:
            raise InputError(
                f"{option} {quoted(bindings.text)}: {_left_over(positional)} left over: "
                + _nothing_unbound(expression, fixed)
            )
        else:
            names = ", ".join(unbound)
            raise InputError(
                f"{option} {quoted(bindings.text)} gives {len(positional)} value"
                f"{'s' if len(positional) != 1 else ''} for the variables {names}; "
                f"write {option} {_example(unbound)}"
            )
    missing = [name for name in free if name not in point]
    if missing:
        raise InputError(
            f"{option} {quoted(bindings.text)} gives no value for {', '.join(missing)}"
        )
    point.update(fixed)
    return {name: point[name] for name in expression.variables}


#: ``1,5``: two plain numbers that read as one number with a decimal comma.
_DECIMAL_COMMA = re.compile(r"\s*([-+]?\d+)\s*,\s*(\d+)\s*\Z")


def _refuse_decimal_comma(
    expression: Expression, point: Mapping[str, Array], bindings: Bindings, option: str
) -> None:
    """Refuse ``--at 1,5`` where the two values make a vector the expression cannot reduce.

    One variable takes every positional value, so ``1,5`` is the vector [1, 5]: right for
    ``sum(x)``, a misread decimal comma for ``x**2``, whose value would then not be one
    number. Said here, where the text is known, rather than as a shape error later.
    """
    import numpy as np

    from .compiling import compile_expression

    match = _DECIMAL_COMMA.match(bindings.text)
    if not match:
        return
    try:
        shape = compile_expression(expression, {n: np.shape(v) for n, v in point.items()}).shape
    except DiffcliError:
        return  # the usual checks report it
    if shape != ():
        raise InputError(
            f"{option} {quoted(bindings.text)}: ',' separates values and the decimal mark is "
            f"'.': did you mean {option} {match.group(1)}.{match.group(2)}?"
        )


def _join_positional(values: Sequence[Array], option: str, text: str, name: str) -> Array:
    import numpy as np

    if len(values) == 1:
        return np.atleast_1d(values[0])
    return _join(list(values), option, text, name)


def _left_over(values: Sequence[Array]) -> str:
    return "1 value" if len(values) == 1 else f"{len(values)} values"


def _nothing_unbound(expression: Expression, fixed: Mapping[str, Array]) -> str:
    if not expression.variables:
        return "the expression has no variables"
    if all(name in fixed for name in expression.variables):
        return (
            f"{param('constants')} holds every variable fixed ({', '.join(expression.variables)})"
        )
    return f"every variable ({', '.join(expression.variables)}) is already named"


def _example(names: Sequence[str]) -> str:
    if not names:
        return "…"
    return ",".join(f"{name}=…" for name in names)


def format_value(value: Array) -> str:
    """A value as a user would type it: ``5``, ``0.1``, ``[3, 4]``."""
    if isinstance(value, float):  # a point read without NumPy (``expr.floats.plain_point``)
        return format_scalar(value)
    import numpy as np

    array = np.asarray(value)
    if array.ndim == 0:
        return format_scalar(float(array))
    return "[" + ", ".join(format_value(item) for item in array) + "]"


def format_scalar(value: float) -> str:
    """``repr`` of a float, without a trailing ``.0``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


#: The most characters of user text an error message repeats.
SHORT_TEXT = 60


def shortened(text: str, limit: int = SHORT_TEXT) -> str:
    """``text``, or its start and end around `` … `` when it is longer than ``limit``.

    An error about one bad item of a 100,000-number ``--at`` must stay one readable line.
    """
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail - 3].rstrip()} … {text[-tail:].lstrip()}"


def quoted(text: str) -> str:
    """User text as an error message quotes it: ``repr``, shortened."""
    return repr(shortened(text))


def format_point(point: Mapping[str, Array]) -> str:
    """``x0=3, x1=4``."""
    return ", ".join(f"{name}={format_value(value)}" for name, value in point.items())


def point_as_json(point: Mapping[str, Array]) -> dict[str, Any]:
    """Each variable as a number or nested list of numbers."""
    import numpy as np

    return {name: np.asarray(value).tolist() for name, value in point.items()}
