"""``diffcli cache``: where SymPy's stored answers are, how much they hold, and clearing them."""

from __future__ import annotations

import click

from ..cli import CONTEXT_SETTINGS


@click.group(
    context_settings=CONTEXT_SETTINGS,
    short_help="SymPy's stored answers: where they are, how large; clear them.",
    epilog="""\b
Examples:
  diffcli cache info
  diffcli cache clear
  DIFFCLI_CACHE_DIR=/tmp/diffcli-cache diffcli diff "x**3" --at 2

The analytic side's answers (derivatives, gradients, Hessians and their formulas, descent's
stationary points) are kept on disk, so that a repeated question needs no SymPy: in
$DIFFCLI_CACHE_DIR if set, else the user cache directory. --no-cache on a command neither
reads nor writes them.
""",
)
def cache() -> None:
    """SymPy's answers stored on disk: show where and how much (info), or remove them (clear)."""


@cache.command(context_settings=CONTEXT_SETTINGS)
def info() -> None:
    """Print the cache directory, its size and limit, and SymPy's version."""
    from ..engine import cache as stored

    found = stored.info()
    click.echo(f"directory: {found['directory']}")
    click.echo(f"entries: {found['entries']}")
    click.echo(f"bytes: {found['bytes']} (at most {found['max_bytes']})")
    click.echo(f"sympy: {found['sympy']}")


@cache.command(context_settings=CONTEXT_SETTINGS)
def clear() -> None:
    """Remove every stored answer."""
    from ..engine import cache as stored

    removed = stored.clear()
    click.echo(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {stored.directory()}")
