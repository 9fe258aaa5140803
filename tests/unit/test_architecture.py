"""The package's shape: no import circles, no import that runs back up a layer, a small root.

Pure `ast` over the source (nothing is imported). Module-level imports only; imports under
`if TYPE_CHECKING:` and inside functions are not edges. See replaylab/__init__.py for the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "replaylab"

# higher imports lower, never the other way; a module's layer is its folder's (root modules: 1)
LAYERS: dict[str, int] = {
    "cli": 5,
    "__main__": 5,
    "drills": 4,
    "bisection": 4,
    "teach": 4,
    "postmortem": 4,
    "golden": 4,
    "backtest": 4,
    "bench": 4,
    "proxy": 4,
    "diagnosis": 3,
    "evals": 3,
    "faults": 3,
    "detectors": 3,
    "agents": 3,
    "sessions": 3,
    "importers": 3,
    "stack": 2,
    "models": 2,
    "cassettes": 2,
}
ROOT_NOUNS = {"errors", "registry", "config", "trace", "variables", "scenario", "workspace", "files"}
MAX_LOOSE_ROOT_MODULES = len(ROOT_NOUNS)


def _layer(mod: str) -> int:
    parts = mod.split(".")[1:]
    if not parts:
        return 6  # the package facade re-exports from every layer
    return LAYERS.get(parts[0], 1)


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG.parent).with_suffix("")
        if rel.parts[1:2] == ("data",):
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = p
    return mods


def _is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name | ast.Attribute)
        and (getattr(node.test, "id", None) == "TYPE_CHECKING" or getattr(node.test, "attr", None) == "TYPE_CHECKING")
    )


def _module_level_imports(mod: str, path: Path, known: set[str]) -> set[str]:
    out: set[str] = set()
    pkg_parts = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                for a in node.names:
                    name = a.name
                    while name not in known and "." in name:
                        name = name.rsplit(".", 1)[0]
                    out.add(name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*pkg_parts[: len(pkg_parts) - node.level + 1], *filter(None, [node.module])])
                for a in node.names:
                    out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
            elif isinstance(node, ast.ClassDef):
                walk(node.body)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(node, field, None)
                    if isinstance(sub, list):
                        walk(
                            [s for s in sub if isinstance(s, ast.stmt)]
                            + [s for h in sub if isinstance(h, ast.ExceptHandler) for s in h.body]
                        )

    walk(ast.parse(path.read_text(encoding="utf-8")).body)
    return {m for m in out if m in known and m != mod}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _module_level_imports(m, p, set(mods)) for m, p in mods.items()}


def test_no_import_circles() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> None:  # Tarjan; the graph is a few hundred edges
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == [], f"import circles: {circles}"


def test_no_import_runs_back_up() -> None:
    graph = _graph()
    upward = sorted(
        f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})" for m, ts in graph.items() for t in ts if _layer(t) > _layer(m)
    )
    assert upward == [], "imports against the layer order:\n" + "\n".join(upward)


def test_root_holds_only_shared_nouns() -> None:
    loose = sorted(p.stem for p in PKG.glob("*.py") if p.stem not in {"__init__", "__main__"})
    assert len(loose) <= MAX_LOOSE_ROOT_MODULES, f"loose root modules: {loose}; put a concept in its folder"


def test_no_module_over_400_lines_and_no_function_over_60() -> None:
    import ast

    root = Path(__file__).resolve().parents[2] / "replaylab"
    too_long: list[str] = []
    for f in sorted(root.rglob("*.py")):
        src = f.read_text(encoding="utf-8")
        if len(src.splitlines()) > 400:
            too_long.append(f"{f.relative_to(root)}: {len(src.splitlines())} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > 60:
                    too_long.append(f"{f.relative_to(root)}:{node.lineno} {node.name}(): {size} lines")
    assert not too_long, "split these:\n" + "\n".join(too_long)
