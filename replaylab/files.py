"""Atomic file writes and strict JSON reads: nothing already on disk is lost."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write `obj` as indented, key-sorted JSON atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def canonical_json(obj: Any) -> str:
    """The one canonical text of a JSON-able value, for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


# ---- safe reading of user input ------------------------------------------------------------
# Every reader of a user's file (trace, config, scenario, corpus, golden set, cassette, bisect
# report, drill journal) goes through `read_input_text` and `parse_json` / `parse_yaml`: a
# FIFO, a device, a directory, a file over the size cap, bytes that are not UTF-8, nesting past
# `MAX_DEPTH`, an integer past `MAX_INT_DIGITS` digits, a lone surrogate or a YAML alias bomb
# is one InputError line (exit 2), never a traceback, a hang or a walk of the whole disk.

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Default size cap for one input file (64 MiB)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted in a JSON or YAML input."""
MAX_INT_DIGITS = 60
"""Longest integer accepted in a JSON or YAML input, in decimal digits."""
MAX_NODES = 1_000_000
"""Most values a JSON or YAML input may expand to (YAML aliases counted at each use)."""
MAX_YAML_ALIASES = 200
"""Most YAML alias uses (`*name`) accepted in one file."""


def _input_error(error: type[Exception] | None) -> type[Exception]:
    if error is not None:
        return error
    from replaylab.errors import InputError

    return InputError


def _cap(what: str) -> str:
    return what[:1].upper() + what[1:]


def _subject(what: str, path: Path | str) -> str:
    return f"{_cap(what)} {path}" if what else str(path)


def check_regular_file(path: Path, *, what: str, error: type[Exception] | None = None) -> os.stat_result:
    """The stat of `path`, a regular file; anything else (missing, a directory, a FIFO, a device,
    a socket) is one `error` line."""
    err = _input_error(error)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise err(f"Cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise err(f"{_subject(what, path)} is a directory; give a file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise err(f"{_subject(what, path)} is {kind}, not a regular file")
    return st


def read_input_bytes(
    path: Path | str, *, what: str, max_bytes: int = MAX_INPUT_BYTES, error: type[Exception] | None = None
) -> bytes:
    """The bytes of a user's input file: a regular file of at most `max_bytes`, else one `error` line."""
    path = Path(path)
    err = _input_error(error)
    st = check_regular_file(path, what=what, error=error)
    if st.st_size > max_bytes:
        raise err(f"{_subject(what, path)} is {st.st_size:,} bytes; the limit is {max_bytes:,}")
    try:  # O_NONBLOCK: a file swapped for a FIFO after the stat still never blocks
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise err(f"Cannot read {what} {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise err(f"{_subject(what, path)} is not a regular file")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise err(f"Cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise err(f"{_subject(what, path)} is over the size limit of {max_bytes:,} bytes")
    return data


def decode_input(data: bytes, *, what: str, path: Path | str, error: type[Exception] | None = None) -> str:
    """`data` decoded as strict UTF-8 (a leading BOM dropped), or one `error` line saying where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise _input_error(error)(
            f"{_subject(what, path)} is not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}{hint}"
        ) from None


def read_input_text(
    path: Path | str, *, what: str, max_bytes: int = MAX_INPUT_BYTES, error: type[Exception] | None = None
) -> str:
    """A user's input file as text: a regular file (not a FIFO, device or directory) of at most
    `max_bytes`, strict UTF-8. Any problem is one line of `error` (default InputError)."""
    data = read_input_bytes(path, what=what, max_bytes=max_bytes, error=error)
    return decode_input(data, what=what, path=path, error=error)


def check_limits(data: Any, *, what: str, path: Path | str, error: type[Exception] | None = None) -> Any:
    """`data` (parsed JSON or YAML) if it is within the depth, integer, size and text limits; else one
    `error` line. Iterative (never a RecursionError) and memoised by identity, so a YAML alias bomb
    is measured without being expanded."""
    err = _input_error(error)
    memo: dict[int, tuple[int, int]] = {}  # id -> (height, expanded size)
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, dict | list):
            _check_scalar(obj, what=what, path=path, err=err)
            continue
        key = id(obj)
        children = [*obj.keys(), *obj.values()] if isinstance(obj, dict) else obj
        if done:
            sub = [memo.get(id(c), (0, 1)) for c in children]
            height, size = 1 + max((h for h, _ in sub), default=0), 1 + sum(n for _, n in sub)
            if height > MAX_DEPTH:
                raise err(f"{_subject(what, path)} is nested more than {MAX_DEPTH} levels deep")
            if size > MAX_NODES:
                raise err(f"{_subject(what, path)} expands to more than {MAX_NODES:,} values (a YAML alias bomb?)")
            memo[key] = (height, size)
            open_.discard(key)
        elif key not in memo:
            if key in open_:
                raise err(f"{_subject(what, path)} holds a value that contains itself (a recursive YAML alias)")
            open_.add(key)
            stack.append((obj, True))
            stack.extend((c, False) for c in children)
    return data


def _check_scalar(obj: Any, *, what: str, path: Path | str, err: type[Exception]) -> None:
    if isinstance(obj, int) and not isinstance(obj, bool) and obj.bit_length() > MAX_INT_DIGITS * 3.33:
        raise err(f"{_subject(what, path)} holds an integer longer than {MAX_INT_DIGITS} digits")
    if isinstance(obj, str) and _SURROGATE.search(obj):
        raise err(f"{_subject(what, path)} holds a lone UTF-16 surrogate (\\ud800-\\udfff) in a string")


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_arguments(args: list[str]) -> None:
    """Refuse a command-line argument that is not valid UTF-8 (Python hands such bytes over as lone
    surrogates, which crash the first encoder they reach): one InputError line."""
    for n, arg in enumerate(args, 1):
        if _SURROGATE.search(arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")[:60]
            raise _input_error(None)(f"Argument {n} ({shown!r}) is not valid UTF-8 text")


def parse_json(text: str, *, what: str, path: Path | str, error: type[Exception] | None = None) -> Any:
    """JSON text parsed within the limits of `check_limits`; bad JSON is one `error` line."""
    err = _input_error(error)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise err(f"{_subject(what, path)} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise err(f"{_subject(what, path)} is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # int() past sys.get_int_max_str_digits()
        raise err(f"{_subject(what, path)} is not usable JSON ({' '.join(str(exc).split())[:80]})") from None
    return check_limits(data, what=what, path=path, error=error)


def parse_yaml(
    text: str, *, what: str, path: Path | str, error: type[Exception] | None = None, loader: type | None = None
) -> Any:
    """YAML text parsed with the safe loader, an alias cap and a depth cap, then `check_limits`.
    `loader` swaps in another safe loader (vcrpy's, for cassettes); the limits still hold, as
    `check_limits` measures an alias bomb without expanding it."""
    err = _input_error(error)
    try:
        data = yaml.load(text, Loader=loader or _LimitedLoader)  # a SafeLoader subclass
    except _YamlLimit as exc:
        raise err(f"{_subject(what, path)} {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise err(f"{_subject(what, path)} is not valid YAML ({where}{problem})") from None
    except RecursionError:
        raise err(f"{_subject(what, path)} is nested more than {MAX_DEPTH} levels deep") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise err(f"{_subject(what, path)} is not valid YAML ({' '.join(str(exc).split())[:80]})") from None
    return check_limits(data, what=what, path=path, error=error)


class _YamlLimit(Exception):
    pass


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts nesting and alias uses while composing (before any expansion)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _YamlLimit(f"uses more than {MAX_YAML_ALIASES} YAML aliases (an alias bomb?)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                raise _YamlLimit(f"is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
