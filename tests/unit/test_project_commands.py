"""Every command reads replaylab.yaml: drills, game days and the workspace golden set run on the
project's golden set and corpus, not the bundled ones.

The project is written the way a user would: a .jsonl corpus and a golden set in the user's own
field names (mapped in replaylab.yaml), question ids that do not exist in the bundled set. The
content is the tiny test corpus (tests/data), renamed; hashing-test embedder (a stand-in for
MiniLM) and the sandbox reader (a deterministic stand-in for a model), for speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _cli import run_main

DATA = Path(__file__).resolve().parents[1] / "data"
STALE = (Path(__file__).resolve().parents[1] / "data" / "stale_scenario.yaml").read_text()
"""A stale-index scenario small enough for the tiny corpus (tests/data)."""
DOC_FIELDS = {"doc_id": "id", "title": "heading", "text": "body", "source": "origin", "topic": "area", "ingested_at": "published"}
GOLDEN_FIELDS = {"qid": "id", "question": "ask", "answer": "expected", "doc_ids": "sources", "topic": "area"}


def _renamed(src: Path, dst: Path, names: dict[str, str], *, prefix: str = "") -> list[dict[str, object]]:
    rows = []
    for line in src.read_text().splitlines():
        row = {names.get(k, k): v for k, v in json.loads(line).items()}
        if prefix:
            row["id"] = prefix + str(row["id"])
        rows.append(row)
    dst.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


@pytest.fixture
def project(tmp_path: Path, in_tmp: Path) -> Path:
    """A user's project folder, as the current directory, with its own workspace (`in_tmp`)."""
    (tmp_path / "kb").mkdir()
    _renamed(DATA / "tiny_corpus.jsonl", tmp_path / "kb" / "articles.jsonl", DOC_FIELDS)
    _renamed(DATA / "tiny_golden.jsonl", tmp_path / "qa.jsonl", GOLDEN_FIELDS, prefix="mine-")
    data = {
        "version": 1,
        "name": "helpdesk",
        "corpus": {"path": "kb/articles.jsonl", "fields": {v: k for k, v in DOC_FIELDS.items()}},
        "embedder": "hashing-test",
        "golden": {"path": "qa.jsonl", "fields": {v: k for k, v in GOLDEN_FIELDS.items()}},
        "prompts": [
            {
                "template": "helpdesk-answer",
                "system": "Answer the question using only the numbered context passages. If the context does not "
                'contain the answer, say "I don\'t know".',
                "user": "Context:\n{context}\n\nQuestion: {question}\nAnswer:",
            }
        ],
        "baseline": {"top_k": 3},
    }
    (tmp_path / "replaylab.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "stale.yaml").write_text(STALE)
    return in_tmp


MINE = {f"mine-t{i}" for i in range(1, 7)}


_cli = run_main


def _saved_traces(folder: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(folder.rglob("*.json"))]


def test_drill_sends_the_projects_golden_questions_over_the_projects_corpus(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(["drill", "stale.yaml", "--json", "journal.json"], monkeypatch, capsys)
    assert code in (0, 1) and not err.strip(), err
    journal = json.loads((project / "journal.json").read_text())
    assert journal["scenario"] == "stale" and journal["error"] in (None, ""), journal.get("error")
    traces = _saved_traces(project / "ws" / "runs" / "drills")
    assert traces, out
    qids = {t["golden"]["qid"] for t in traces if t.get("golden")}  # type: ignore[index]
    assert qids and qids <= MINE, qids
    sources = {t["config"]["corpus"]["source"] for t in traces}  # type: ignore[index]
    assert sources == {str(project / "kb" / "articles.jsonl")}
    assert {t["config"]["prompt"].split("@")[0] for t in traces} == {"helpdesk-answer"}  # type: ignore[index]


def test_teach_opens_its_incident_on_the_projects_golden_set(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "play.txt").write_text("traces\nsubmit layer=retrieval variable=index rollback=index\n")
    argv = ["teach", "stale.yaml", "--script", "play.txt", "--json", "game.json", "--name", "ana", "--sample", "4"]
    code, out, err = _cli(argv, monkeypatch, capsys)
    assert code == 0, out + err
    record = json.loads((project / "game.json").read_text())
    assert record["status"] == "submitted"
    questions = [json.loads(line)["question"] for line in (DATA / "tiny_golden.jsonl").read_text().splitlines()]
    sample = out.split("fault-window sample", 1)[1].split("on-call> submit", 1)[0]
    assert sum(q in sample for q in questions) >= 3, sample
    assert "Orlavik" not in out, "no bundled question reaches the game"
    # the impact analysis ran over the project's 6 questions (1 marked updated), not the bundled 252
    assert "(1 of the 1 rows marked updated)" in " ".join(out.split())


def test_golden_add_and_list_build_on_the_projects_golden_set(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(["run", "mine-t2", "--set", "context=none", "--out", "bad.json"], monkeypatch, capsys)
    assert code in (0, 1), err
    code, out, err = _cli(["golden", "add", "bad.json", "--note", "reset links"], monkeypatch, capsys)
    assert code == 0, out + err
    assert "reg-001" in out and "golden@2" in out
    stored = list((project / "ws" / "golden").glob("golden*.json"))
    assert [p.name for p in stored] != ["golden.json"] and len(stored) == 1, "kept apart from the bundled set's cases"
    code, out, err = _cli(["golden", "list", "--all"], monkeypatch, capsys)
    assert code == 0, err
    assert "golden@2: 7 cases (1 added) over" in out and "qa.jsonl" in out, out
    assert all(q in out for q in MINE) and "reg-001" in out
    assert "q001" not in out, "the bundled set is not the base"


# ---- several corpus sources -----------------------------------------------------------------------


def _two_sources(root: Path, *, prefix: str = "") -> Path:
    """A project whose corpus is a folder of Markdown with front matter plus a .jsonl in the user's field names."""
    docs = root / "handbook"
    (docs / "security").mkdir(parents=True)
    (docs / "security" / "keys.md").write_text(
        "---\ntitle: Rotating API keys\nsource: security-handbook\ningested_at: 2026-03-02\n---\n"
        "# Rotating keys\n\nAPI keys rotate every 90 days.\n"
    )
    (docs / "faq.md").write_text("---\nname: Support hours\n---\nSupport answers from 8:00 to 18:00 CET.\n")
    (root / "tickets.jsonl").write_text(
        json.dumps({"key": "faq", "body": "Refunds take 5 working days.", "day": "2026-05-01"})
        + "\n"
        + json.dumps({"key": "sla", "body": "The uptime target is 99.9%.", "day": "2026-05-02"})
        + "\n"
    )
    jsonl: dict[str, object] = {"path": "tickets.jsonl", "fields": {"key": "doc_id", "body": "text", "day": "ingested_at"}}
    if prefix:
        jsonl["id_prefix"] = prefix
    data = {
        "corpus": [{"path": "handbook", "fields": {"name": "title"}, "source": "handbook"}, jsonl],
        "embedder": "hashing-test",
    }
    path = root / "replaylab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_list_of_corpus_sources_is_merged_each_read_through_its_own_mapping(project: Path) -> None:
    from replaylab.cli._common import base_config
    from replaylab.stack.corpus import load_corpus
    from replaylab.workspace import Workspace

    _two_sources(project, prefix="tickets/")
    cfg = base_config(None)
    docs = {d.doc_id: d for d in load_corpus(cfg.corpus, Workspace(project / "ws"))}
    assert set(docs) == {"security/keys", "faq", "tickets/faq", "tickets/sla"}
    assert (docs["security/keys"].source, docs["security/keys"].title) == ("security-handbook", "Rotating API keys")
    assert (docs["faq"].title, docs["faq"].source) == ("Support hours", "handbook")
    assert docs["tickets/sla"].text == "The uptime target is 99.9%." and str(docs["tickets/sla"].ingested_at) == "2026-05-02"
    # the merged corpus is what runs retrieve from
    from replaylab.cli._common import get_stack

    trace = get_stack().run("How often do API keys rotate?", cfg)
    assert trace.retrieval is not None and {c.doc_id for c in trace.retrieval.chunks} <= set(docs)


def test_a_document_id_in_two_sources_is_one_error_naming_both(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_sources(project)
    code, _, err = _cli(["run", "How long do refunds take?"], monkeypatch, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "'faq' is in two corpus sources" in err and "handbook" in err and "tickets.jsonl" in err and "id_prefix" in err


def test_the_single_source_form_still_loads_and_errors_in_a_list_name_the_entry(project: Path) -> None:
    from replaylab.errors import ConfigError
    from replaylab.project import load_project

    single = load_project(project / "replaylab.yaml")
    assert len(single.sources) == 1 and single.corpus_spec().source == str(project / "kb" / "articles.jsonl")
    path = _two_sources(project)
    data = yaml.safe_load(path.read_text())
    data["corpus"][1]["feilds"] = data["corpus"][1].pop("fields")
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"unknown key 'corpus.1.feilds'. Valid here: path, fields"):
        load_project(path)
    data["corpus"] = {"path": "handbook", "feilds": {}}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"unknown key 'corpus.feilds'"):
        load_project(path)
    data["corpus"] = []
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"corpus lists no source"):
        load_project(path)


# ---- an imported trace on the project's stack -------------------------------------------------------

LANGFUSE = DATA / "imports" / "langfuse_trace.json"


def _import(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *, failing: bool) -> Path:
    """Import a Langfuse export (tests/data/imports, its shape from Langfuse's docs) naming a model and
    a query embedder replaylab can run: the sandbox reader stands in for the app's model, and the
    app's query embedder is hashing-test-v2 while the project's index is built with hashing-test
    (the embedder rotated, the index not rebuilt). `failing`: the app asked about password resets,
    retrieved the sync-worker runbook and the changelog (both in the project's corpus), and said
    it does not know; else the export as it is (it also retrieved `rb-7`, which the project lacks)."""
    text = LANGFUSE.read_text()
    text = text.replace("gpt-4o-mini-2024-07-18", "sandbox-reader-1.0").replace("text-embedding-3-small", "hashing-test-v2")
    if failing:
        text = text.replace("Which port does the sync worker listen on?", "When do password reset links expire?")
        text = text.replace("The sync worker listens on port 7443.", "I don't know.")
        export = json.loads(text)
        changelog = json.loads((DATA / "tiny_corpus.jsonl").read_text().splitlines()[-1])
        assert changelog["doc_id"] == "cl-5"
        for obs in export["observations"]:
            if obs["type"] == "RETRIEVER":
                ports = obs["output"][1]
                ports["page_content"] = changelog["text"]
                ports["metadata"].update(id="cl-5#0", doc_id="cl-5", title=changelog["title"], source="changelog")
        text = json.dumps(export)
    (project / "export.json").write_text(text)
    code, out, err = _cli(["import", "langfuse", "export.json", "-o", "imported"], monkeypatch, capsys)
    assert code == 0, out + err
    (path,) = (project / "imported").glob("imp-*.json")
    return path


def test_an_imported_trace_whose_documents_are_in_the_project_is_bisected_on_the_projects_stack(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = _import(project, monkeypatch, capsys, failing=True)
    assert json.loads(trace.read_text())["golden"]["qid"] == "mine-t2", "matched against the project's golden set"
    code, out, err = _cli(["bisect", str(trace), "--json", "bisect.json"], monkeypatch, capsys)
    flat = " ".join(out.split())
    assert "its 2 recorded documents are all in the project's corpus" in flat, out + err
    assert "query embedder hashing-test-v2 as recorded" in flat and "top_k 2 as recorded" in flat
    assert "The re-retrieval returns 2 of the 2 recorded documents" in flat
    assert code == 0, out + err
    report = json.loads((project / "bisect.json").read_text())
    assert report["reproducible"] and "embedder" in report["differing"], out
    assert [(c["variable"], c["layer"]) for c in report["causes"]] == [("embedder", "retrieval")], out
    # the counterfactuals and the diagnosis replay it on the project's stack too: the oracle context
    # (the golden document, from the project's corpus) fixes it
    code, out, err = _cli(["counterfactuals", str(trace), "--json", "cf.json"], monkeypatch, capsys)
    runs = {r["name"]: r for r in json.loads((project / "cf.json").read_text())["runs"]}
    assert runs["oracle"]["passed"] is True and runs["oracle"]["context_chunk_ids"][0].startswith("hc-2"), out + err
    code, out, err = _cli(["diagnose", str(trace), "--json", "diagnosis.json"], monkeypatch, capsys)
    assert json.loads((project / "diagnosis.json").read_text())["layer"] == "retrieval", out + err


def test_an_imported_trace_the_project_cannot_stand_in_for_says_which_variables_stay_fixed(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = _import(project, monkeypatch, capsys, failing=False)
    code, out, err = _cli(["counterfactuals", str(trace)], monkeypatch, capsys)
    flat = " ".join(out.split())
    assert code == 0 and "index, embedder, top_k, corpus cannot be swapped" in flat, out + err
    assert "1 of the 2 recorded document ids are not in the project's corpus (e.g. 'rb-7')" in flat
    assert "the context stays held at the recorded documents" in flat
    monkeypatch.chdir(project / "kb")  # no replaylab.yaml here
    code, out, err = _cli(["counterfactuals", str(trace)], monkeypatch, capsys)
    assert code == 0 and "there is no replaylab.yaml" in " ".join(out.split()), out + err


def test_init_takes_several_corpus_sources(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from replaylab.project import load_project

    _two_sources(project)
    argv = ["init", "--corpus", "handbook", "--corpus", "tickets.jsonl", "--embedder", "hashing-test", "--out", "two.yaml"]
    code, _, err = _cli(argv, monkeypatch, capsys)
    assert code == 0, err
    written = load_project(project / "two.yaml")
    assert [c.path for c in written.sources] == ["handbook", "tickets.jsonl"] and isinstance(written.corpus, list)
    code, _, err = _cli(["init", "--corpus", "handbook", "--corpus", "nowhere", "--out", "x.yaml"], monkeypatch, capsys)
    assert code == 2 and "--corpus nowhere" in err and not (project / "x.yaml").exists()
