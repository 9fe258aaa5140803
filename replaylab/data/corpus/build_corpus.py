"""Build the bundled Orlavik Systems knowledge base, golden set and router examples.

The hand-written content lives in the sibling modules ``_content_<topic>.py`` (documents,
document updates and golden questions per topic) and ``_content_router.py`` (labelled
router queries). This script only assembles them and writes three JSONL files next to
itself::

    python replaylab/data/corpus/build_corpus.py            # rewrite the bundled files
    python replaylab/data/corpus/build_corpus.py --out DIR  # write somewhere else
    python replaylab/data/corpus/build_corpus.py --check    # exit 1 if the files are stale

It is stdlib-only and deterministic: two runs produce byte-identical files.

Content module contract (plain data, no imports):

* ``TOPIC``: the topic name shared by every document and question in the module.
* ``DOCS``: ``(doc_id, source, ingested_at, title, text)`` tuples. ``text`` is prose;
  paragraphs are separated by blank lines and whitespace inside a paragraph is collapsed.
* ``UPDATES``: ``(doc_id, ingested_at, [(old, new), ...])``: a later version of a document
  made by replacing each ``old`` snippet (which must occur exactly once) with ``new``.
* ``QUESTIONS``: dicts with ``q``, ``a`` and ``docs``, and optionally ``aliases``, ``fp``
  (the false premise the question asserts) and ``old`` (the answer before the update).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent

#: Topic modules, in the order their questions are numbered.
TOPICS: tuple[str, ...] = ("billing", "sso", "security", "storage", "api", "sync", "incidents")

SOURCE_PREFIX: dict[str, str] = {
    "help-centre": "hc",
    "policies": "pol",
    "changelog": "chg",
    "runbooks": "rb",
    "status-page": "sp",
}

FILES: tuple[str, ...] = ("documents.jsonl", "golden.jsonl", "router_examples.jsonl")


def _load(name: str) -> ModuleType:
    """Import a sibling content module by file path (works with or without a package)."""
    path = HERE / f"_content_{name}.py"
    spec = importlib.util.spec_from_file_location(f"_orlavik_content_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - only on a broken checkout
        raise RuntimeError(f"cannot load content module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalise(text: str) -> str:
    """Collapse whitespace inside paragraphs; keep blank-line paragraph breaks."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _apply_update(text: str, replacements: list[tuple[str, str]], doc_id: str) -> str:
    for old, new in replacements:
        old_n, new_n = " ".join(old.split()), " ".join(new.split())
        count = text.count(old_n)
        if count != 1:
            raise ValueError(f"{doc_id}: update snippet occurs {count} times: {old_n!r}")
        text = text.replace(old_n, new_n)
    return text


def build_documents(modules: dict[str, ModuleType]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: dict[str, dict[str, str]] = {}
    for topic, mod in modules.items():
        for doc_id, source, date, title, text in mod.DOCS:
            if doc_id in seen:
                raise ValueError(f"duplicate doc_id {doc_id}")
            if not doc_id.startswith(SOURCE_PREFIX[source] + "-"):
                raise ValueError(f"{doc_id}: prefix does not match source {source}")
            row = {
                "doc_id": doc_id,
                "title": title,
                "source": source,
                "topic": topic,
                "ingested_at": date,
                "text": normalise(text),
            }
            seen[doc_id] = row
            rows.append(row)
        for doc_id, date, replacements in mod.UPDATES:
            base = seen[doc_id]
            if date <= base["ingested_at"]:
                raise ValueError(f"{doc_id}: update {date} is not later than the original")
            rows.append({**base, "ingested_at": date, "text": _apply_update(base["text"], replacements, doc_id)})
    rows.sort(key=lambda r: (r["doc_id"], r["ingested_at"]))
    return rows


def build_golden(modules: dict[str, ModuleType]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for topic, mod in modules.items():
        for q in mod.QUESTIONS:
            rows.append(
                {
                    "qid": f"q{len(rows) + 1:03d}",
                    "question": " ".join(q["q"].split()),
                    "answer": q["a"],
                    "aliases": list(q.get("aliases", [])),
                    "doc_ids": list(q["docs"]),
                    "topic": topic,
                    "false_premise": q.get("fp"),
                    "updated": q.get("old") is not None,
                    "old_answer": q.get("old"),
                }
            )
    return rows


def build_router(router: ModuleType) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for intent, texts in router.EXAMPLES.items():
        rows.extend({"text": " ".join(t.split()), "intent": intent} for t in texts)
    return rows


def render() -> dict[str, str]:
    """Return the three files' contents, keyed by file name."""
    modules = {topic: _load(topic) for topic in TOPICS}
    for topic, mod in modules.items():
        if topic != mod.TOPIC:
            raise ValueError(f"_content_{topic}.py declares TOPIC={mod.TOPIC!r}")
    tables: dict[str, list[Any]] = {
        "documents.jsonl": build_documents(modules),
        "golden.jsonl": build_golden(modules),
        "router_examples.jsonl": build_router(_load("router")),
    }
    return {name: "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows) for name, rows in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the files on disk differ")
    args = parser.parse_args(argv)
    contents = render()
    if args.check:
        stale = [
            n for n, c in contents.items() if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != c
        ]
        for name in stale:
            print(f"stale: {args.out / name} (rerun build_corpus.py)", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        target = args.out / name
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(content, encoding="utf-8", newline="\n")
        tmp.replace(target)
        print(f"wrote {target} ({content.count(chr(10))} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
