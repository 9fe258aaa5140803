"""A pytest plugin that runs the workspace golden set against a configuration as ordinary tests.

    pytest --replaylab-golden config.yaml [--replaylab-home DIR] -m replaylab_golden

One test item per golden case (`config.yaml::replaylab-golden::q001`, `...::reg-001`); an
item fails, with the question, the output and the evaluators that failed, when the replay
fails the evaluators' gate or any check the case pins. Without `--replaylab-golden` the
plugin only declares its options: it imports nothing of replaylab's stack (keep the
module-level imports to pytest and the standard library).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from replaylab.config import RunConfig
    from replaylab.golden.known_failures import KnownFailure
    from replaylab.golden.store import GoldenCase
    from replaylab.stack.pipeline import Stack

MARKER = "replaylab_golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replaylab", "replaylab golden set")
    group.addoption(
        "--replaylab-golden",
        metavar="CONFIG",
        default=None,
        help="run the workspace golden set against this RunConfig (.yaml/.json), one test per case",
    )
    group.addoption(
        "--replaylab-home",
        metavar="DIR",
        default=None,
        help="the replaylab workspace (default: $REPLAYLAB_HOME, else ./.replaylab)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("replaylab_golden", None):
        config.addinivalue_line("markers", f"{MARKER}: a golden case replayed by the replaylab plugin")


class GoldenFailure(Exception):
    """A golden case whose replay failed; its message is the whole report."""


class GoldenSet(pytest.Collector):
    """The golden set of one workspace, replayed under one configuration."""

    def __init__(self, *, config_path: Path, home: Path | None, **kw: Any) -> None:
        super().__init__(**kw)
        self.config_path = config_path
        self.home = home
        self._stack: Stack | None = None
        self._config: RunConfig | None = None
        self.known: dict[str, KnownFailure] = {}
        """Bundled cases the shipped baseline fails for a recorded cause (data/golden_known_failures.yaml)."""

    def setup(self) -> None:
        from replaylab.config import load_config
        from replaylab.golden.known_failures import known_failures
        from replaylab.stack.pipeline import Stack
        from replaylab.workspace import Workspace

        self._config = load_config(self.config_path)
        self.known = known_failures()
        ws = Workspace(self.home) if self.home else Workspace.default()
        self._stack = Stack(ws)

    def collect(self) -> Iterator[pytest.Item]:
        from replaylab.errors import ReplaylabError
        from replaylab.golden.store import GoldenStore
        from replaylab.workspace import Workspace

        ws = Workspace(self.home) if self.home else Workspace.default()
        try:
            golden = GoldenStore(ws).load()
        except ReplaylabError as exc:
            raise pytest.UsageError(str(exc)) from None
        for case in golden.cases:
            item = GoldenCaseItem.from_parent(self, name=case.qid, case=case, golden_id=golden.id)
            item.add_marker(MARKER)
            yield item


class GoldenCaseItem(pytest.Item):
    """One golden case: replay it and check the gate plus the case's pinned checks."""

    def __init__(self, *, case: GoldenCase, golden_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.case = case
        self.golden_id = golden_id

    def runtest(self) -> None:
        from replaylab.evals import DEFAULT_GATE, evaluate
        from replaylab.stack.pipeline import golden_of

        parent = self.parent
        assert isinstance(parent, GoldenSet) and parent._stack is not None and parent._config is not None
        case = self.case
        trace = parent._stack.run(case.question, parent._config, golden=golden_of(case), tags={"golden": case.qid})
        report = evaluate(trace, evaluators=[*DEFAULT_GATE, *[c for c in case.checks if c not in DEFAULT_GATE]])
        failed = [s for s in report.scores if s.passed is False or (s.error and s.name in {*DEFAULT_GATE, *case.checks})]
        if not failed:
            return
        known = parent.known.get(case.qid) if case.added_in is None else None
        if known is not None and known.explains(trace, case.doc_ids):
            pytest.xfail(f"known failure of the shipped baseline ({known.cause}): {known.reason}")
        output = trace.generation.output if trace.generation else "(no output)"
        chunks = ", ".join(c.chunk_id for c in (trace.retrieval.chunks[:5] if trace.retrieval else [])) or "none"
        lines = [
            f"golden case {case.qid} ({self.golden_id}) fails under {parent.config_path}",
            f"  question: {case.question}",
            f"  expected: {case.answer!r}" + (f" from {', '.join(case.doc_ids)}" if case.doc_ids else ""),
            f"  output:   {output!r}",
            *[f"  ✗ {s.name}: {s.error or s.reason}" for s in failed],
            f"  retrieved: {chunks}",
            f"  versions: {trace.versions.ppv}, {trace.versions.mrv.returned}, index {trace.versions.index_snapshot}, "
            f"embedder {trace.versions.embedder}",
        ]
        if case.behaviour:
            lines.append(f"  pinned because: {case.behaviour}")
        raise GoldenFailure("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenFailure):
            return str(excinfo.value)
        from replaylab.errors import ReplaylabError

        if isinstance(excinfo.value, ReplaylabError):
            return f"golden case {self.case.qid} could not replay: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"golden {self.case.qid}"


@pytest.hookimpl(tryfirst=True)  # before `-k`/`-m` deselect, so they apply to golden items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    value = config.getoption("replaylab_golden", None)
    if not value:
        return
    home = config.getoption("replaylab_home", None)
    path = Path(value)
    if not path.exists():
        raise pytest.UsageError(f"--replaylab-golden {value}: no such config file")
    # node ids read `<config relative to rootdir>::replaylab-golden::<qid>`: a failure names its configuration
    nodeid = f"{Path(os.path.relpath(path.resolve(), config.rootpath)).as_posix()}::replaylab-golden"
    collector = GoldenSet.from_parent(
        session, name="replaylab-golden", nodeid=nodeid, path=path.resolve(), config_path=path, home=Path(home) if home else None
    )
    from _pytest.runner import collect_one_node  # the path Session.genitems takes: reports count the items

    report = collect_one_node(collector)
    collector.ihook.pytest_collectreport(report=report)
    if report.failed:
        raise pytest.UsageError(f"replaylab golden set: {report.longreprtext.strip().splitlines()[-1]}")
    items.extend(i for i in report.result if isinstance(i, pytest.Item))
