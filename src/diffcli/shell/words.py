"""A shell line's words made into one command's arguments: names expanded, ``ans`` put in.

Everything else passes through untouched, so the command parses, checks and reports exactly
as it does when run on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import click

from ..errors import ParseError
from ..expr.parsing import parse
from .answer import Answer, known
from .names import ANS, Namespace

#: The commands' parameters that hold an expression, a point, or ``NAME=VALUE`` held values.
EXPRESSION_PARAMETERS = frozenset({"expression", "shown"})
POINT_PARAMETERS = frozenset({"points", "point", "start"})
HELD_PARAMETERS = frozenset({"constants"})
_NAMED_ANS = re.compile(rf"\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*{ANS}\s*\Z")


def command_arguments(
    command: click.Command, words: Sequence[str], names: Namespace, answer: Answer | None
) -> list[str]:
    """``words`` (the line after the command's name) as the command's arguments.

    The words from the first one that is not an option up to the next option make up the
    expression (so ``diff f + sin(x) --at 1`` needs no quotes); a word starting with ``--``
    or spelled like one of the command's options ends it.
    """
    valued: dict[str, str] = {}
    flags = set(command.context_settings.get("help_option_names", ("--help",)))
    for parameter in command.params:
        if isinstance(parameter, click.Option) and parameter.name:
            spellings = [*parameter.opts, *parameter.secondary_opts]
            if parameter.is_flag or parameter.count:
                flags.update(spellings)
            else:
                valued.update(dict.fromkeys(spellings, parameter.name))

    def is_option(word: str) -> bool:
        return word in flags or word in valued or word.startswith("--")

    arguments: list[str] = []
    position = 0
    expression_seen = False
    while position < len(words):
        word = words[position]
        spelling, equals, value = word.partition("=")
        if word == "--":
            arguments.extend(words[position:])
            break
        if word in valued and position + 1 < len(words):
            text = _argument(valued[word], words[position + 1], names, answer)
            arguments.extend((word, text))
            position += 2
        elif equals and spelling in valued:
            arguments.append(f"{spelling}={_argument(valued[spelling], value, names, answer)}")
            position += 1
        elif is_option(word) or expression_seen:
            arguments.append(word)
            position += 1
        else:
            end = position + 1
            while end < len(words) and not is_option(words[end]):
                end += 1
            arguments.append(_argument("expression", " ".join(words[position:end]), names, answer))
            expression_seen = True
            position = end
    return arguments


def _argument(parameter: str, text: str, names: Namespace, answer: Answer | None) -> str:
    if parameter in EXPRESSION_PARAMETERS:
        return _expression(text, names)
    if parameter in POINT_PARAMETERS and text.strip() == ANS:
        return known(answer).point_text()
    named = _NAMED_ANS.match(text)
    if named and parameter in POINT_PARAMETERS | HELD_PARAMETERS:
        name = named.group(1)
        return f"{name}={known(answer).value_text(name)}"
    return text


def _expression(text: str, names: Namespace) -> str:
    try:
        parsed = parse(text)
    except ParseError:
        return text  # the command reports it, caret and all, as it does on its own
    expanded = names.expand(parsed)
    if expanded is parsed:
        return text
    # a leading minus would read as an option (-x): the commands drop one leading space
    return " " + expanded.text if expanded.text.startswith("-") else expanded.text
