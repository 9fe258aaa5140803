"""What the postmortem sections share: the input, the stack, and the replays run once."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from replaylab.errors import ReplaylabError
from replaylab.postmortem.inputs import PostmortemInput
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

__all__ = ["SectionContext"]


class SectionContext:
    """What the sections share: the input, the stack, and replays run once."""

    def __init__(self, inp: PostmortemInput, stack: Stack) -> None:
        from replaylab.evals import evaluate

        self.inp, self.stack = inp, stack
        self.primary = inp.primary
        self.causes = list(inp.result.causes) if inp.result else []
        self.cause_vars = [c.variable for c in self.causes] or (list(inp.journal.bisect_causes) if inp.journal else [])
        self.report = evaluate(self.primary) if self.primary else None
        self.after: Trace | None = None
        self.after_error = ""
        self.diagnosis: Any = None
        self.diagnosis_error = ""
        if self.primary is not None:
            self._replay()

    def _replay(self) -> None:
        from replaylab.cassettes.session import cassette_session
        from replaylab.diagnosis.tree import diagnose
        from replaylab.teach.incident import sandbox_pins

        t = self.primary
        assert t is not None
        path = self.inp.trace_paths.get(t.trace_id, Path(f"{t.trace_id}.json"))
        with ExitStack() as es:
            es.enter_context(sandbox_pins(self.stack))
            try:
                es.enter_context(cassette_session(t, trace_path=path, live=False, stack=self.stack))
                self.diagnosis = diagnose(self.stack, t, good=self.inp.good_config())
            except ReplaylabError as exc:
                self.diagnosis_error = str(exc).splitlines()[0]
            if self.inp.good_values():
                try:
                    self.after = self.stack.replay(t, overrides=self.inp.good_values())
                except ReplaylabError as exc:
                    self.after_error = str(exc).splitlines()[0]
