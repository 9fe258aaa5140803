"""Every field of every file-format model (`replaylab schema`'s models and what they reach) has a docstring."""

from __future__ import annotations

import importlib
import typing

from pydantic import BaseModel

from replaylab.cli.schemas import _MODELS, own_field_docs


def _docs_of(cls: type) -> set[str]:
    return set(own_field_docs(cls))


def _types(a: object) -> list[type]:
    out = [a] if isinstance(a, type) else []
    for x in typing.get_args(a):
        out += _types(x)
    return out


def _missing() -> tuple[int, list[str]]:
    seen: set[type] = set()
    missing: list[str] = []
    total = 0

    def walk(cls: object) -> None:
        nonlocal total
        if cls in seen or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return
        if not cls.__module__.startswith("replaylab."):  # subclasses other tests define are not file formats
            return
        seen.add(cls)
        docs: set[str] = set()
        for base in cls.__mro__:
            if isinstance(base, type) and issubclass(base, BaseModel) and base is not BaseModel:
                docs |= _docs_of(base)
        for name, f in cls.model_fields.items():
            total += 1
            if name not in docs and not f.description:
                missing.append(f"{cls.__module__}:{cls.__name__}.{name}")
            for t in _types(f.annotation):
                walk(t)
        for sub in cls.__subclasses__():
            walk(sub)

    for _name, mod, cn in _MODELS:
        walk(getattr(importlib.import_module(mod), cn))
    from replaylab.faults import Fault  # a fault scenario's `method`: the scenario schema checks it against this union

    for t in _types(Fault):
        walk(t)
    return total, missing


def test_file_format_fields_have_docstrings() -> None:
    # in a fresh interpreter: other tests reload modules and define subclasses, which change what the walk sees
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=120, check=True).stdout
    total, missing = json.loads(out)
    assert total > 100, "the walk found too few fields: the check itself is broken"
    assert not missing, (
        f"{len(missing)} file-format fields without a docstring (a string literal under the field):\n" + "\n".join(missing)
    )


if __name__ == "__main__":
    import json

    print(json.dumps(_missing()))
