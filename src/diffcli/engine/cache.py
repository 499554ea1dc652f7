"""SymPy's answers on disk: one JSON file per question, read as untrusted, written atomically.

A later process that asks the same question (the same expression, shapes, coordinate, order,
held values, diffcli and SymPy versions) reads the answer here and never imports SymPy. An
entry is only ever data: the caller reads its formulas back through the expression parser's
whitelist, and anything unexpected (not JSON, another key, a formula that does not parse) is
a miss whose answer is written over it. Writes go to a temporary file in the same directory
and are renamed into place, so a reader sees a whole entry or none. The directory holds at
most ``MAX_BYTES``; past that the entries least recently used are removed. A directory that
cannot be read or written only means no cache: a query never fails because of it.

Standard library only, and little of it (no pathlib, no hashlib): a cache hit must stay cheap.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat as file_mode
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

try:  # the built-in SHA-256: hashlib loads OpenSSL first, a tenth of a cache hit's time
    from _sha256 import sha256  # type: ignore[import-not-found]  # no stub: private module
except ImportError:  # pragma: no cover - Python 3.12 names it _sha2
    from hashlib import sha256

from .._version import __version__

#: The environment variable naming the cache directory (else the user cache directory).
DIRECTORY_VARIABLE = "DIFFCLI_CACHE_DIR"
#: The most the cache directory holds; past it the least recently used entries go.
MAX_BYTES = 32 * 1024 * 1024
#: An entry larger than this is neither written nor read.
MAX_ENTRY_BYTES = 1024 * 1024
#: Changes whenever the layout of an entry changes: old entries are then misses.
LAYOUT = 1
#: Whether this command uses the cache (``--no-cache`` sets it off).
ENABLED: ContextVar[bool] = ContextVar("diffcli_cache_enabled", default=True)
_SUFFIX = ".json"
_TEMPORARY_PREFIX = ".writing-"
#: An entry's file name: only these (and unfinished writes) are counted, evicted or cleared, so
#: a directory that holds other files too (``DIFFCLI_CACHE_DIR=.``) keeps them.
_ENTRY_NAME = re.compile(r"[0-9a-f]{40}\.json\Z")
_TEMPORARY_NAME = re.compile(re.escape(_TEMPORARY_PREFIX) + r"[A-Za-z0-9_]+\Z")
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def directory() -> str:
    """Where entries live: ``$DIFFCLI_CACHE_DIR``, else the user cache directory.

    On Linux that is ``$XDG_CACHE_HOME/diffcli`` or ``~/.cache/diffcli`` (platformdirs' rule,
    without the 40 ms of importing it); elsewhere platformdirs says.
    """
    chosen = os.environ.get(DIRECTORY_VARIABLE)
    if chosen:
        return chosen
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        return os.path.join(base or os.path.join(os.path.expanduser("~"), ".cache"), "diffcli")
    import platformdirs

    return platformdirs.user_cache_dir("diffcli", appauthor=False)


@functools.cache
def sympy_version() -> str:
    """SymPy's version, read from its ``release.py`` as text (importing SymPy takes a second,
    ``importlib.metadata`` 60 ms); ``unknown`` if it cannot be found."""
    import importlib.util

    with contextlib.suppress(Exception):
        spec = importlib.util.find_spec("sympy")
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                with open(os.path.join(location, "release.py"), encoding="utf-8") as release:
                    found = _VERSION.search(release.read())
                if found:
                    return found.group(1)
    return "unknown"


def question(kind: str, **parts: Any) -> dict[str, Any]:
    """The full key of an entry: what was asked and the versions that answered."""
    return {
        "layout": LAYOUT,
        "kind": kind,
        "diffcli": __version__,
        "sympy": sympy_version(),
        **parts,
    }


def _path(key: dict[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return os.path.join(directory(), sha256(text.encode()).hexdigest()[:40] + _SUFFIX)


def load(key: dict[str, Any]) -> Any:
    """The answer stored for ``key``, as plain JSON data, or None (no entry, cache off, an
    entry that is not JSON, too large, or stored for another key)."""
    if not ENABLED.get():
        return None
    path = _path(key)
    try:
        data = _read_regular_file(path, MAX_ENTRY_BYTES + 1)
        if data is None or len(data) > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key or "answer" not in entry:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # least recently used goes first
    return entry["answer"]


def _read_regular_file(path: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of the regular file at ``path``; None for anything else (a named
    pipe, whose open would wait for a writer forever, a device, a directory)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not file_mode.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return file.read(limit)


def store(key: dict[str, Any], answer: Any) -> None:
    """Write ``answer`` (plain JSON data) for ``key``, atomically; silently nothing where the
    directory cannot be written."""
    if not ENABLED.get():
        return
    data = json.dumps({"key": key, "answer": answer}, separators=(",", ":")).encode()
    if len(data) > MAX_ENTRY_BYTES:
        return
    import tempfile  # only a miss writes: a hit need not load it

    path = _path(key)
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    _evict(folder)


def _entries(folder: str) -> Iterator[tuple[str, os.stat_result]]:
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if _ENTRY_NAME.match(name):
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    status = os.stat(path)
                    if file_mode.S_ISREG(status.st_mode):
                        yield path, status


def _evict(folder: str) -> None:
    """Remove the least recently used entries until the directory holds ``MAX_BYTES``."""
    entries = sorted(_entries(folder), key=lambda entry: entry[1].st_mtime)
    total = sum(stat.st_size for _, stat in entries)
    for path, stat in entries:
        if total <= MAX_BYTES:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
        total -= stat.st_size


def info() -> dict[str, Any]:
    """Where the cache is, how many entries and bytes it holds, and its limit."""
    folder = directory()
    entries = list(_entries(folder))
    return {
        "directory": folder,
        "entries": len(entries),
        "bytes": sum(stat.st_size for _, stat in entries),
        "max_bytes": MAX_BYTES,
        "sympy": sympy_version(),
    }


def clear() -> int:
    """Remove every entry (and any write left unfinished); how many entries were removed."""
    folder = directory()
    removed = 0
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if _ENTRY_NAME.match(name) or _TEMPORARY_NAME.match(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
                    if _ENTRY_NAME.match(name):
                        removed += 1
    return removed
