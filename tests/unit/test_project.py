"""The project file, front matter, strict golden sets, `init`, `prompts add`, `golden run`, the good side."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
import yaml
from _cli import run_main

from replaylab.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data"


_cli = run_main


# ---- front matter -------------------------------------------------------------------------------


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "docs"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _docs(folder: Path, **opts: object) -> dict[str, object]:
    from replaylab.stack.corpus import _read_folder
    from replaylab.stack.front_matter import SourceOptions

    return {d.doc_id: d for d in _read_folder(folder, SourceOptions(**opts))}  # type: ignore[arg-type]


def test_front_matter_gives_title_source_and_date_and_is_cut_from_the_text(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "keys.md": "---\ntitle: Rotating API keys\nsource: security-handbook\ningested_at: 2026-03-02\n"
            "topic: security\n---\n# Rotating keys\n\nKeys rotate every 90 days.\n",
            "guides/dated.md": "---\ndate: 2025-12-24\n---\nSome text.\n",
        },
    )
    docs = _docs(folder)
    keys = docs["keys"]
    assert (keys.title, keys.source, keys.ingested_at, keys.topic) == (  # type: ignore[attr-defined]
        "Rotating API keys",
        "security-handbook",
        date(2026, 3, 2),
        "security",
    )
    assert "---" not in keys.text and "ingested_at" not in keys.text  # type: ignore[attr-defined]
    assert keys.text.startswith("# Rotating keys")  # type: ignore[attr-defined]
    dated = docs["guides/dated"]
    assert dated.ingested_at == date(2025, 12, 24) and dated.source == "guides"  # type: ignore[attr-defined]
    assert dated.title == "Some text."  # type: ignore[attr-defined]


def test_without_front_matter_the_fallbacks_are_the_heading_the_folder_and_the_project_default(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"a.md": "Intro line\n\n## The real title\n\nBody.\n", "b.txt": "plain text"})
    docs = _docs(folder)
    assert docs["a"].title == "The real title"  # type: ignore[attr-defined]
    assert docs["b"].title == "plain text" and docs["b"].source == "docs"  # type: ignore[attr-defined]
    mtime = date.fromtimestamp((folder / "b.txt").stat().st_mtime)
    assert docs["b"].ingested_at == mtime  # type: ignore[attr-defined]
    docs = _docs(folder, source="handbook", ingested_at=date(2026, 1, 5))
    assert docs["b"].source == "handbook" and docs["b"].ingested_at == date(2026, 1, 5)  # type: ignore[attr-defined]


def test_front_matter_keys_are_renamed_by_the_field_mapping(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"x.md": "---\nname: Fancy name\npublished: '2026-04-01T10:00:00Z'\nslug: x\n---\nBody\n"})
    doc = _docs(folder, fields={"name": "title", "published": "ingested_at", "slug": None})["x"]
    assert doc.title == "Fancy name" and doc.ingested_at == date(2026, 4, 1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "front matter is not valid YAML"),
        ("---\n- a\n- b\n---\nbody", "not a mapping"),
        ("---\ndate: someday\n---\nbody", "'someday' is not a date"),
    ],
)
def test_bad_front_matter_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    folder = _folder(tmp_path, {"bad.md": text})
    with pytest.raises(ConfigError) as exc:
        _docs(folder)
    assert message in str(exc.value) and "bad.md" in str(exc.value) and "\n" not in str(exc.value)


def test_a_horizontal_rule_later_in_the_text_is_not_front_matter() -> None:
    from replaylab.stack.front_matter import split_front_matter

    meta, body = split_front_matter("# Title\n\n---\n\nmore\n", where="x")
    assert meta == {} and body.startswith("# Title")


# ---- strict golden sets -------------------------------------------------------------------------


def _golden(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_golden_row_with_an_unknown_field_is_one_error_naming_it_and_the_valid_ones(tmp_path: Path) -> None:
    from replaylab.stack.corpus import load_golden

    path = _golden(
        tmp_path,
        [
            {"qid": "a", "question": "Q?", "answer": "A", "doc_ids": ["d1"]},
            {"qid": "b", "question": "Q?", "answer": "A", "docs": ["d1"]},
        ],
    )
    with pytest.raises(ConfigError) as exc:
        load_golden(path)
    msg = str(exc.value)
    assert f"{path}:2" in msg and "'docs'" in msg and "doc_ids" in msg and "golden.fields" in msg and "\n" not in msg


def test_a_field_mapping_loads_a_golden_set_in_its_own_field_names(tmp_path: Path) -> None:
    from replaylab.stack.corpus import load_golden

    path = _golden(tmp_path, [{"id": "a", "ask": "Q?", "expected": "A", "sources": ["d1"], "notes": "x"}])
    [item] = load_golden(path, fields={"id": "qid", "ask": "question", "expected": "answer", "sources": "doc_ids", "notes": None})
    assert (item.qid, item.question, item.answer, item.doc_ids) == ("a", "Q?", "A", ("d1",))


def test_a_null_answer_is_an_error_unless_the_row_says_it_is_unanswerable(tmp_path: Path) -> None:
    from replaylab.evals.answer import golden_is_refusal
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.pipeline import golden_of

    with pytest.raises(ConfigError, match="answer is missing or null"):
        load_golden(_golden(tmp_path, [{"qid": "a", "question": "Q?", "answer": None}]))
    [item] = load_golden(_golden(tmp_path, [{"qid": "a", "question": "Q?", "answer": None, "unanswerable": True}]))
    g = golden_of(item)
    assert g.unanswerable is True and golden_is_refusal(g.answer, g.unanswerable)
    # a literal answer "None" (what a Python function returns) is an answer, not "unanswerable"
    [item] = load_golden(_golden(tmp_path, [{"qid": "b", "question": "What does print return?", "answer": "None"}]))
    g = golden_of(item)
    assert g.unanswerable is False and not golden_is_refusal(g.answer, g.unanswerable)


def test_the_bundled_golden_set_still_loads_strictly_false_premises_included() -> None:
    from replaylab.stack.corpus import load_golden

    items = load_golden()
    assert len(items) == 252 and sum(1 for g in items if g.false_premise) >= 10
    assert not any(g.unanswerable for g in items)


# ---- the project file ---------------------------------------------------------------------------


def _write_project(root: Path, extra: dict[str, object] | None = None) -> Path:
    data: dict[str, object] = {
        "version": 1,
        "corpus": {"path": str(DATA / "tiny_corpus.jsonl")},
        "embedder": "hashing-test",
        "golden": {"path": str(DATA / "tiny_golden.jsonl")},
        "prompts": [
            {
                "template": "tiny-answer",
                "system": "Answer the question using only the numbered context passages. If the context does not "
                'contain the answer, say "I don\'t know".',
                "user": "Context:\n{context}\n\nQuestion: {question}\nAnswer:",
            }
        ],
        "baseline": {"top_k": 3},
        **(extra or {}),
    }
    path = root / "replaylab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_project_file_yields_the_baseline_config_golden_and_corpus(in_tmp: Path) -> None:
    from replaylab.project import find_project, load_project

    path = _write_project(in_tmp)
    assert find_project() == path
    project = load_project(path)
    cfg = project.run_config(prompt="tiny-answer@1")
    assert cfg.corpus.source == str(DATA / "tiny_corpus.jsonl")
    assert (cfg.embedder, cfg.index.embedder, cfg.top_k, cfg.prompt) == ("hashing-test", "hashing-test", 3, "tiny-answer@1")
    assert project.golden_path() == DATA / "tiny_golden.jsonl"
    assert project.prompt_ref() == "tiny-answer:production"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"embeder": "x"}, "unknown key 'embeder'. Valid here: version, name, corpus"),
        ({"corpus": {"path": "x", "feilds": {}}}, "unknown key 'corpus.feilds'. Valid here: path, fields, source"),
        ({"baseline": {"top_k": 0}}, "baseline.top_k"),
        ({"prompts": [{"template": "t", "system": "s", "user": "u", "labl": "x"}]}, "unknown key 'prompts.0.labl'"),
    ],
)
def test_a_bad_project_file_is_one_line_and_exit_2(
    in_tmp: Path, extra: dict[str, object], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_project(in_tmp, extra)
    code, _, err = _cli(["variables"], monkeypatch, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_replaylab_project_names_a_file_that_must_exist(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from replaylab.project import find_project

    monkeypatch.setenv("REPLAYLAB_PROJECT", str(in_tmp / "nope.yaml"))
    with pytest.raises(ConfigError, match="REPLAYLAB_PROJECT"):
        find_project()


def test_a_project_jsonl_corpus_is_read_through_its_field_mapping(in_tmp: Path) -> None:
    from replaylab.project import load_project
    from replaylab.stack.corpus import all_rows
    from replaylab.workspace import Workspace

    corpus = in_tmp / "mine.jsonl"
    corpus.write_text(
        json.dumps({"id": "k1", "body": "Keys rotate every 90 days.", "origin": "wiki", "day": "2026-02-02"}) + "\n"
    )
    path = _write_project(
        in_tmp,
        {"corpus": {"path": "mine.jsonl", "fields": {"id": "doc_id", "body": "text", "origin": "source", "day": "ingested_at"}}},
    )
    spec = load_project(path).corpus_spec()
    [doc] = all_rows(spec, Workspace(in_tmp / "ws"))
    assert (doc.doc_id, doc.source, doc.ingested_at) == ("k1", "wiki", date(2026, 2, 2))


# ---- init ---------------------------------------------------------------------------------------


def test_init_writes_a_strict_project_file_and_its_schema_and_refuses_to_overwrite(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from replaylab.project import load_project

    golden = _golden(in_tmp, [{"id": "a", "ask": "Q?", "expected": "A", "sources": ["d"], "area": "x"}])
    argv = ["init", "--corpus", str(DATA / "tiny_corpus.jsonl"), "--golden", str(golden), "--embedder", "hashing-test"]
    code, _, err = _cli(argv, monkeypatch, capsys)
    assert code == 0, err
    text = (in_tmp / "replaylab.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=schemas/project.schema.json")
    schema = json.loads((in_tmp / "schemas" / "project.schema.json").read_text())
    assert schema["additionalProperties"] is False and "corpus" in schema["required"]
    project = load_project(in_tmp / "replaylab.yaml")
    assert project.golden is not None and project.golden.path == "golden.jsonl"
    assert project.golden.fields == {"id": "qid", "ask": "question", "expected": "answer", "sources": "doc_ids", "area": "topic"}
    assert "Orlavik" not in text, "the default prompt names no bundled company"

    before = text
    code, _, err = _cli(argv, monkeypatch, capsys)
    assert code == 2 and "already exists; pass --force" in err and len(err.strip().splitlines()) == 1
    assert (in_tmp / "replaylab.yaml").read_text() == before
    code, _, err = _cli([*argv, "--force", "--top-k", "4"], monkeypatch, capsys)
    assert code == 0 and load_project(in_tmp / "replaylab.yaml").baseline.top_k == 4


def test_init_refuses_a_corpus_that_does_not_exist(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(["init", "--corpus", "nowhere"], monkeypatch, capsys)
    assert code == 2 and "--corpus nowhere" in err and not (in_tmp / "replaylab.yaml").exists()


# ---- prompts add --------------------------------------------------------------------------------


def test_prompts_add_stores_an_immutable_version_reuses_an_identical_one_and_moves_the_label(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    system = in_tmp / "system.txt"
    system.write_text("Answer from the context only.")
    user = "Context:\n{context}\n\nQ: {question}\nA:"
    code, out, err = _cli(
        ["prompts", "add", "docs", "--system", str(system), "--user", user, "--label", "canary"], monkeypatch, capsys
    )
    assert code == 0 and "docs@1 (new)" in out and "docs:canary → 1" in out, err
    stored = in_tmp / "ws" / "prompts" / "docs" / "1.json"
    first = stored.read_text()
    assert json.loads(first)["system"] == "Answer from the context only."
    code, out, _ = _cli(["prompts", "add", "docs", "--system", str(system), "--user", user], monkeypatch, capsys)
    assert code == 0 and "docs@1 (identical to a stored version)" in out
    code, out, _ = _cli(
        ["prompts", "add", "docs", "--system", "Be brief.", "--user", user, "--label", "canary"], monkeypatch, capsys
    )
    assert code == 0 and "docs@2 (new)" in out
    assert stored.read_text() == first, "a stored version never changes"
    labels = json.loads((in_tmp / "ws" / "prompts" / "labels.json").read_text())
    assert labels["docs"] == {"canary": 2}
    code, _, err = _cli(["prompts", "add", "docs", "--system", "x", "--user", "no placeholders"], monkeypatch, capsys)
    assert code == 2 and "{context} and {question}" in err


# ---- the good side of bisect ----------------------------------------------------------------------


def test_no_project_and_no_good_on_a_user_corpus_says_what_to_pass(tiny_stack: object, tiny_config: object) -> None:
    from replaylab.bisection.trace_bisector import resolve_good
    from replaylab.config import RunConfig

    with pytest.raises(ConfigError) as exc:
        resolve_good(None, stack=tiny_stack, baseline=RunConfig(), bad=tiny_config)  # type: ignore[arg-type]
    assert "--good" in str(exc.value) and "replaylab init" in str(exc.value)


def test_a_partial_good_file_fills_its_missing_fields_from_the_trace(
    tiny_stack: object, tiny_config: object, tmp_path: Path
) -> None:
    from replaylab.bisection.trace_bisector import resolve_good
    from replaylab.config import RunConfig

    good = tmp_path / "good.yaml"
    good.write_text("prompt: rag-answer@3\n")
    cfg, desc = resolve_good(str(good), stack=tiny_stack, baseline=RunConfig(), bad=tiny_config)  # type: ignore[arg-type]
    assert cfg == tiny_config.model_copy(update={"prompt": "rag-answer@3"})  # type: ignore[attr-defined]
    assert "the trace's" in desc


def test_with_a_project_every_command_uses_its_baseline_and_its_prompt_version(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from replaylab.cli._common import base_config, baseline_desc, get_stack

    _write_project(in_tmp)
    cfg = base_config(None)
    assert cfg.prompt == "tiny-answer@1" and cfg.embedder == "hashing-test" and cfg.top_k == 3
    assert "project baseline" in baseline_desc()
    # moving the label to a bad version does not move the good baseline the file declares
    reg = get_stack().prompts
    bad = reg.add_version(template="tiny-answer", system="x", user="{context} {question}", label="production")
    assert bad.id == "tiny-answer@2" and base_config(None).prompt == "tiny-answer@1"


# ---- golden run ---------------------------------------------------------------------------------


def test_golden_run_reports_every_case_and_exits_1_iff_one_fails(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_project(in_tmp)
    code, out, err = _cli(["golden", "run", "--json", "run.json"], monkeypatch, capsys)
    report = json.loads((in_tmp / "run.json").read_text())
    assert len(report["cases"]) == 6 and report["config"]["prompt"] == "tiny-answer@1"
    failed = [c["qid"] for c in report["cases"] if not c["passed"]]
    assert code == (1 if failed else 0), err
    assert "by topic" in out and "by evaluator" in out and f"{6 - len(failed)}/6 passed" in out
    topics = {t["name"]: t for t in report["by_topic"]}
    assert sum(t["cases"] for t in topics.values()) == 6
    # a config that cannot answer anything fails every case, with exit 1
    code, out, _ = _cli(["golden", "run", "--set", "context=none", "--json", "none.json"], monkeypatch, capsys)
    report = json.loads((in_tmp / "none.json").read_text())
    assert code == 1 and not any(c["passed"] for c in report["cases"] if c["qid"] != "t6")
    assert os.path.exists(in_tmp / "none.json")


def test_prompts_add_in_a_project_stores_the_project_templates_first(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from replaylab.cli._common import base_config

    _write_project(in_tmp)
    argv = [
        "prompts",
        "add",
        "tiny-answer",
        "--system",
        "Ignore the context.",
        "--user",
        "{context}\n{question}",
        "--label",
        "canary",
    ]
    code, out, err = _cli(argv, monkeypatch, capsys)
    assert code == 0 and "tiny-answer@2 (new)" in out, err
    assert base_config(None).prompt == "tiny-answer@1"
