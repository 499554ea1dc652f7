"""What a caller gives, read safely: expressions, points, held values and variable names.

The Python API and the command line read their inputs here: text goes through the whitelist
parser and ``points.read_bindings``; Python numbers, lists, NumPy arrays and mappings are
checked as strictly (finite, at most ``MAX_RANK`` deep and ``MAX_ELEMENTS`` numbers).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError, param
from .parsing import Expression, parse
from .points import (
    MAX_ELEMENTS,
    MAX_RANK,
    Array,
    Bindings,
    Point,
    PointColumns,
    bind,
    bind_each,
    check_known,
    quoted,
    read_bindings,
)
from .ranges import MAX_POINTS


def read_expression(expression: str | Expression) -> Expression:
    """An expression as given, or text parsed by the whitelist parser."""
    if isinstance(expression, Expression):
        return expression
    if not isinstance(expression, str):
        raise InputError(
            f"{param('expression')} must be text or a parsed Expression, "
            f"got {type(expression).__name__}"
        )
    return parse(expression)


def read_points(
    expression: Expression, at: Any, fixed: Mapping[str, Array], parameter: str = "at"
) -> Sequence[Point]:
    """Every point ``at`` gives, matched to the expression's variables, held values added.

    One point: a number, a sequence of numbers or nested lists (values in the order of the
    variables, as ``--at 3,4``), a NumPy array, a mapping of names to values, or a text in
    ``--at``'s syntax. Several points: a list of mappings or of texts, or a text with ranges
    (``"0:20:0.1"``, ``"x0=-2:2.5:0.25,x1=-2:2.5:0.25"``: a grid), at most ``MAX_POINTS``.

    Raises:
        InputError: naming the parameter, the value and what is wrong with it.
    """
    option = param(parameter)
    if isinstance(at, PointColumns):  # points a stream's reader bound, held values aside
        return PointColumns(
            {
                name: fixed[name] if name in fixed else at.first[name]
                for name in expression.variables
            },
            at.columns,
        )
    if _is_many(at):
        if not at:
            raise InputError(f"{option}: no points given")
        if len(at) > MAX_POINTS:
            raise InputError(f"{option}: {len(at):,} points, more than {MAX_POINTS:,}")
        if len(at) > 1 and all(isinstance(one, str) for one in at):
            from .sources import PointReader

            # many plain numbers (``--at 0.1 --at 0.2 …``) are read at once, as a stream's
            plain = PointReader(expression, fixed, "", parameter).plain_lines(list(at))
            if plain is not None:
                return plain
        readings = [read_bindings(one, option) if isinstance(one, str) else one for one in at]
        count = sum(one.point_count() if isinstance(one, Bindings) else 1 for one in readings)
        if count > MAX_POINTS:
            raise InputError(f"{option}: {count:,} points, more than {MAX_POINTS:,}")
        if len(readings) == 1:  # a range stays columns (``PointColumns``)
            return _points(expression, readings[0], fixed, option)
        return [point for one in readings for point in _points(expression, one, fixed, option)]
    return _points(expression, at, fixed, option)


def only_point(points: Sequence[Point], parameter: str, what: str) -> Point:
    """The one point of a command that takes one; InputError naming ``parameter`` otherwise."""
    if len(points) != 1:
        raise InputError(f"{param(parameter)}: {what}, got {len(points):,}")
    return points[0]


def read_constants(expression: Expression, constants: Any) -> dict[str, Array]:
    """Every held value by name: a mapping, or ``NAME=VALUE`` texts as ``--set`` takes them.

    Raises:
        InputError: a value without a name, a name the expression lacks, or one set twice.
    """
    option = param("constants")
    found: dict[str, Array] = {}
    if constants is None:
        return found
    if isinstance(constants, Mapping):
        text = _shown(constants)
        for name, value in constants.items():
            check_known(expression, str(name), option, text)
            found[str(name)] = _value(value, option, text)
        return found
    if isinstance(constants, str):
        constants = [constants]
    for text in constants:
        if not isinstance(text, str):
            raise InputError(
                f"{option}: give a mapping of names to values or NAME=VALUE texts, "
                f"got {type(text).__name__}"
            )
        bindings = read_bindings(text, option)
        if bindings.has_ranges():
            raise InputError(f"{option} {quoted(text)}: a held value cannot be a range")
        if bindings.positional:
            raise InputError(f"{option} {quoted(text)}: write NAME=VALUE, e.g. {option} t=[0,0,1]")
        for name, value in bindings.named.items():
            check_known(expression, name, option, text)
            if name in found:
                raise InputError(f"{option} {quoted(text)}: {name} is already set")
            found[name] = value
    return found


def read_names(
    wanted: str | Sequence[str] | None, expression: Expression, fixed: Mapping[str, Array]
) -> tuple[str, ...] | None:
    """The variables ``gradient`` and ``hessian`` differentiate by: ``wrt``'s (whole variables,
    ``W`` not ``W[0,1]``), else every one not held fixed; None: every variable.

    Raises:
        InputError: a ``wrt`` variable that ``constants`` holds fixed (unknown names are
            refused where the variables are matched, ``usecases.prepare.differentiated``).
    """
    names = (wanted,) if isinstance(wanted, str) else tuple(wanted or ())
    for name in names:
        if name in fixed:
            raise InputError(
                f"{param('wrt')} {name!r}: {name} is held fixed by {param('constants')}; "
                f"differentiate by {param('at')}"
            )
    if names:
        return names
    if fixed:
        return tuple(name for name in expression.variables if name not in fixed)
    return None


def _is_many(at: Any) -> bool:
    return (
        isinstance(at, Sequence)
        and not isinstance(at, str)
        and all(isinstance(one, (str, Mapping)) for one in at)
    )


def _points(
    expression: Expression, at: Any, fixed: Mapping[str, Array], option: str
) -> Sequence[Point]:
    """The points one ``at`` gives: one, or a text's range or grid."""
    if isinstance(at, (str, Bindings)):
        bindings = read_bindings(at, option) if isinstance(at, str) else at
        return bind_each(bindings, expression, fixed, option)
    try:  # messages quote the value: shown (which costs more than the checks) on error only
        return [_bound(expression, at, fixed, option, "")]
    except InputError:
        return [_bound(expression, at, fixed, option, _shown(at))]


def _bound(
    expression: Expression, at: Any, fixed: Mapping[str, Array], option: str, text: str
) -> Point:
    """One point given as Python values, checked; ``text`` quotes it in messages."""
    if isinstance(at, Mapping):
        named = {str(name): _value(value, option, text) for name, value in at.items()}
        return bind(Bindings(text, (), named, option), expression, fixed, option)
    if np.ndim(at) == 0:
        values: tuple[Array, ...] = (_value(at, option, text),)
    else:
        values = tuple(_value(one, option, text) for one in at)
    return bind(Bindings(text, values, {}, option), expression, fixed, option)


def _value(value: Any, option: str, text: str) -> Array:
    """A number or nested list of numbers as a float64 array, checked like ``--at``'s."""
    if type(value) is float and math.isfinite(value):  # the common case, checked at once
        return np.array(value)
    try:
        raw = np.asarray(value)
        array = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{option} {quoted(text)}: {_shown(value)} is not a number or a list of numbers"
        ) from None
    if raw.dtype.kind not in "biuf":
        raise InputError(
            f"{option} {quoted(text)}: {_shown(value)} is not a number or a list of numbers"
        )
    if array.ndim > MAX_RANK:
        raise InputError(f"{option} {quoted(text)}: lists nest at most {MAX_RANK} deep")
    if array.size == 0:
        raise InputError(f"{option} {quoted(text)}: empty list")
    if array.size > MAX_ELEMENTS:
        raise InputError(f"{option} {quoted(text)}: more than {MAX_ELEMENTS} numbers")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{option} {quoted(text)}: {_shown(value)} is not a finite number")
    return array


_BRIEF = reprlib.Repr()
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = 8
_BRIEF.maxlevel = 3
_BRIEF.maxstring = 60


def _shown(value: Any) -> str:
    """A value as an error message repeats it: short, whatever its size."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=16, edgeitems=3)
    return _BRIEF.repr(value)
