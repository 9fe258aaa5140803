"""The game-day engine: one trainee command in, one Reply out. It never prints and reads the
time only through the injected clock, so a script, a test and a terminal drive it alike.

    session = GameSession(incident, stack=stack, clock=clock)
    session.opening()                       # the page
    session.handle("show 2")                # Reply(blocks=[...])
    session.handle("submit layer=retrieval variable=embedder rollback=embedder")
    session.record()                        # SessionRecord: transcript, score, debrief
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from replaylab.errors import ReplaylabError
from replaylab.stack.pipeline import Stack
from replaylab.teach.blocks import Reply
from replaylab.teach.debrief import Action, build_debrief, data_hints, mmss
from replaylab.teach.incident import Incident, sandbox_pins
from replaylab.teach.record import SessionRecord, TranscriptEntry
from replaylab.teach.scoring import (
    RollbackCheck,
    ScoreCard,
    ScoringRules,
    Submission,
    parse_rollback,
    parse_submission,
    rollback_layer_ok,
    score,
)
from replaylab.teach.views import counterfactual_view, diagnosis_view, eval_view, replay_view, trace_view
from replaylab.trace import Trace
from replaylab.variables import layer_of, parse_assignment

__all__ = ["COMMANDS", "GameSession", "SessionRecord", "TranscriptEntry"]

Clock = Callable[[], datetime]

COMMANDS: dict[str, str] = {
    "traces": "list the sample of traces from the fault window (and your replays)",
    "show ID": "one trace: versions, retrieved chunks with scores/sources/dates, rendered prompt, output",
    "replay ID VAR=VALUE": "re-run a trace in the sandbox with ONE variable swapped (e.g. replay 2 top_k=8)",
    "counterfactuals ID": "recorded / oracle / no-context / answer-first / answer-last replays of a trace",
    "eval ID": "run the evaluators on a trace",
    "diagnose ID": "the four-layer diagnosis with evidence for and against each layer",
    "hint": "a hint (costs points)",
    "submit layer=L variable=V rollback=R": "your diagnosis; ends the session (R: VAR, VAR=VALUE or template@N)",
    "help": "this list",
    "quit": "end the session without submitting",
}
SANDBOX_COMMANDS = frozenset({"replay", "counterfactuals", "diagnose"})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class GameSession:
    """One trainee's session over an open incident."""

    def __init__(
        self,
        incident: Incident,
        *,
        stack: Stack,
        clock: Clock | None = None,
        rules: ScoringRules | None = None,
        trainee: str = "trainee",
    ) -> None:
        self.incident = incident
        self.stack = stack
        self.clock = clock or _utcnow
        self.rules = rules or ScoringRules()
        self.trainee = trainee
        self.started = self.clock()
        self.transcript: list[TranscriptEntry] = []
        self.actions: list[Action] = []
        self.replays: dict[str, Trace] = {}
        self.hints_used = 0
        self.sandbox_runs = 0
        self.status: Literal["submitted", "quit"] | None = None
        self.submission: Submission | None = None
        self.rollback_check: RollbackCheck | None = None
        self.card: ScoreCard | None = None
        self.debrief: list[str] = []
        self._opening = self._page()
        hints = list(incident.scenario.teaching.hints) or data_hints(incident)
        self._hints = hints

    # ---- the session ----------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.status is not None

    def elapsed(self) -> float:
        return max(0.0, (self.clock() - self.started).total_seconds())

    def opening(self) -> Reply:
        return self._opening

    def _page(self) -> Reply:
        t = self.incident.scenario.teaching
        r = Reply().say(f"PAGE  {self.started:%Y-%m-%d %H:%M} UTC", "alert").say(t.first_seen.strip(), "alert")
        r.say(f"Dashboards: {t.dashboards}", "dim")
        r.say(
            f"{len(self.incident.window)} requests were recorded in the fault window; you have a sample of "
            f"{len(self.incident.shown)}. Type `traces` to start, `help` for the commands."
        )
        r.say(
            f"Scoring: layer {self.rules.layer}, variable {self.rules.variable}, rollback {self.rules.rollback}; "
            f"a hint costs {self.rules.hint_cost}; {self.rules.free_runs} sandbox runs free; par "
            f"{self.rules.par_minutes:g} min.",
            "dim",
        )
        return r

    def handle(self, line: str) -> Reply:
        """Carry out one command and record it in the transcript."""
        line = line.strip()
        if not line or line.startswith("#"):
            return Reply()
        at = self.elapsed()
        if self.ended:
            reply = Reply(error=True).say("The session is over.", "bad")
        else:
            verb, _, rest = line.partition(" ")
            verb = verb.lower()
            handler = getattr(self, f"_cmd_{verb}", None)
            if handler is None:
                reply = Reply(error=True).say(
                    f"Unknown command {verb!r}. Commands: {', '.join(c.split()[0] for c in COMMANDS)}", "bad"
                )
            else:
                try:
                    reply = handler(rest.strip())
                except ReplaylabError as exc:
                    reply = Reply(error=True).say(str(exc).strip() or type(exc).__name__, "bad")
        self.transcript.append(TranscriptEntry(at_s=round(at, 1), command=line, output=reply.text(), error=reply.error))
        return reply

    def record(self) -> SessionRecord:
        """The session's record (the session is ended as quit if it has not ended yet)."""
        if not self.ended:
            self._end(None, "quit")
        assert self.card is not None and self.status is not None
        return SessionRecord(
            scenario=self.incident.scenario.name,
            title=self.incident.scenario.title,
            trainee=self.trainee,
            started_at=self.started,
            ended_at=self.started + timedelta(seconds=self.card.elapsed_s),
            status=self.status,
            opening=self._opening.text(),
            transcript=self.transcript,
            submission=self.submission,
            rollback_check=self.rollback_check,
            score=self.card,
            debrief=self.debrief,
            answer=self.incident.key,
            shown_trace_ids=[t.trace_id for t in self.incident.shown],
            fired_detectors=self.incident.fired,
        )

    # ---- references -----------------------------------------------------------------
    def _resolve(self, ref: str) -> tuple[str, Trace]:
        ref = ref.strip().lstrip("#")
        if not ref:
            raise _Usage("Give a trace: a number from `traces` (1, 2, ...), a replay (R1, ...) or a trace id")
        if ref.isdigit() and 1 <= int(ref) <= len(self.incident.shown):
            return f"#{int(ref)}", self.incident.shown[int(ref) - 1]
        if ref.upper() in self.replays:
            return ref.upper(), self.replays[ref.upper()]
        if len(ref) >= 6:
            hits = [(f"#{i}", t) for i, t in enumerate(self.incident.shown, 1) if t.trace_id.startswith(ref)]
            hits += [(k, t) for k, t in self.replays.items() if t.trace_id.startswith(ref)]
            if len(hits) == 1:
                return hits[0]
        raise _Usage(
            f"No trace {ref!r}. Valid: 1..{len(self.incident.shown)}"
            + (f", {', '.join(self.replays)}" if self.replays else "")
            + " or a trace id"
        )

    def _note(self, command: str, ref: str | None = None, **kw: Any) -> None:
        if command in SANDBOX_COMMANDS:
            self.sandbox_runs += 1
        self.actions.append(Action(at_s=round(self.elapsed(), 1), command=command, ref=ref, **kw))

    # ---- commands -------------------------------------------------------------------
    def _cmd_help(self, rest: str) -> Reply:
        return Reply().grid(["command", "what it does"], [[c, d] for c, d in COMMANDS.items()], title="commands")

    def _cmd_traces(self, rest: str) -> Reply:
        rows = []
        for i, t in enumerate(self.incident.shown, 1):
            out = t.generation.output if t.generation else "(no output)"
            latency = f"{t.generation.latency_ms:.0f}" if t.generation else "–"
            rows.append([f"#{i}", t.trace_id, t.question, out, latency])
        reply = Reply().grid(["ref", "trace", "question", "output", "ms"], rows, title="fault-window sample")
        if self.replays:
            reply.grid(
                ["ref", "trace", "question", "output", ""],
                [[k, t.trace_id, t.question, t.generation.output if t.generation else "", ""] for k, t in self.replays.items()],
                title="your replays",
            )
        self._note("traces")
        return reply

    def _cmd_show(self, rest: str) -> Reply:
        label, trace = self._resolve(rest)
        self._note("show", label)
        return trace_view(label, trace)

    def _cmd_eval(self, rest: str) -> Reply:
        from replaylab.evals import evaluate

        label, trace = self._resolve(rest)
        report = self.incident.sandbox.evaluate(trace) if self.incident.sandbox else evaluate(trace)
        self._note("eval", label, passed=report.passed)
        return eval_view(label, report)

    def _cmd_diagnose(self, rest: str) -> Reply:
        from replaylab.diagnosis.tree import diagnose

        label, trace = self._resolve(rest)
        if self.incident.sandbox is not None:  # agent sessions: the Layer 3 session evidence
            self._note("diagnose", label)
            return self.incident.sandbox.diagnose(label, trace)  # type: ignore[no-any-return]
        with sandbox_pins(self.stack):
            d = diagnose(self.stack, trace, good=self.incident.good_config)
        self._note("diagnose", label, layer=d.layer)
        return diagnosis_view(label, d)

    def _cmd_counterfactuals(self, rest: str) -> Reply:
        from replaylab.diagnosis.counterfactuals import counterfactuals

        label, trace = self._resolve(rest)
        if self.incident.sandbox is not None:
            raise _Usage("An agent session retrieves no context to hold or drop: replay it with tools=... or guards=...")
        with sandbox_pins(self.stack):
            report = counterfactuals(self.stack, trace)
        self._note("counterfactuals", label)
        return counterfactual_view(label, report)

    def _cmd_replay(self, rest: str) -> Reply:
        from replaylab.evals import evaluate

        try:
            parts = shlex.split(rest)
        except ValueError as exc:
            raise _Usage(f"Cannot parse: {exc}") from None
        if len(parts) < 2:
            raise _Usage("Usage: replay ID VAR=VALUE (one variable; `help` lists the commands)")
        if len(parts) > 2:
            raise _Usage(
                "One variable at a time: the swap that fixes the failure names the cause. "
                f"You gave {len(parts) - 1}: {' '.join(parts[1:])}"
            )
        label, trace = self._resolve(parts[0])
        box = self.incident.sandbox
        name, value = box.parse(parts[1], trace) if box else parse_assignment(parts[1], trace.config)
        new = self._replay(trace, name, value)
        ref = f"R{len(self.replays) + 1}"
        self.replays[ref] = new
        before, after = (box.evaluate(trace), box.evaluate(new)) if box else (evaluate(trace), evaluate(new))
        self._note("replay", label, variable=name, layer=_layer(name), passed=after.passed, value=json.dumps(value))
        return replay_view(
            ref,
            label,
            trace,
            new,
            before,
            after,
            assignment=f"{name}={json.dumps(value)}",
            layer=_layer(name),
            runs=self.sandbox_runs,
            free=self.rules.free_runs,
        )

    def _cmd_hint(self, rest: str) -> Reply:
        if self.hints_used >= len(self._hints):
            return Reply().say("No more hints.", "dim")
        hint = self._hints[self.hints_used]
        self.hints_used += 1
        self._note("hint")
        return Reply().say(f"Hint {self.hints_used}/{len(self._hints)} (-{self.rules.hint_cost} points): {hint}")

    def _cmd_quit(self, rest: str) -> Reply:
        self._end(None, "quit")
        return self._final(Reply().say("You left the incident without a submission.", "bad"))

    def _cmd_submit(self, rest: str) -> Reply:
        sub = parse_submission(rest)
        check = self._check_rollback(sub.rollback) if sub.rollback else None
        self._end(sub, "submitted", check)
        return self._final(Reply())

    # ---- the end --------------------------------------------------------------------
    def _check_rollback(self, spec: str) -> RollbackCheck:
        """Replay the incident's failing sample with the rollback applied (see scoring)."""
        from replaylab.evals.golden_traffic import passes

        inc = self.incident
        failing = inc.failing(inc.shown) or inc.failing()
        name, value = parse_rollback(spec, failing=failing[0].config, good=inc.good_config)
        ok_layer, why_not = rollback_layer_ok(name, inc.key.layer)
        judge = inc.sandbox.passes if inc.sandbox else passes
        restored = sum(judge(self._replay(t, name, value)) for t in failing)
        rate = restored / len(failing)
        need = inc.scenario.steady_state.min_pass_rate
        what = f"{name}={json.dumps(value)} restores {restored}/{len(failing)} failing requests in the sandbox"
        if not ok_layer:
            return RollbackCheck(
                variable=name, value=value, restored=restored, tried=len(failing), ok=False, why=f"{what}, but {why_not}"
            )
        ok = rate >= need
        return RollbackCheck(
            variable=name,
            value=value,
            restored=restored,
            tried=len(failing),
            ok=ok,
            why=f"{what} ({rate:.0%}; the steady state needs {need:.0%})",
        )

    def _replay(self, trace: Trace, name: str, value: Any) -> Trace:
        """`trace` rerun in the sandbox with one variable swapped (an agent session by the incident's sandbox)."""
        if self.incident.sandbox is not None:
            return self.incident.sandbox.replay(trace, name, value)  # type: ignore[no-any-return]
        with sandbox_pins(self.stack):
            return self.stack.replay(trace, overrides={name: value})

    def _end(self, sub: Submission | None, status: Literal["submitted", "quit"], check: RollbackCheck | None = None) -> None:
        self.status = status
        self.submission = sub
        self.rollback_check = check
        key = self.incident.key
        self.card = score(
            sub,
            key_layer=key.layer,
            key_variables=key.variables,
            rollback=check,
            hints_used=self.hints_used,
            sandbox_runs=self.sandbox_runs,
            elapsed_s=self.elapsed(),
            rules=self.rules,
        )
        self.debrief = build_debrief(self.incident, actions=self.actions, card=self.card, submission=sub, rules=self.rules)

    def _final(self, reply: Reply) -> Reply:
        card = self.card
        assert card is not None
        reply.ended = True
        reply.grid(
            ["", "points", "why"],
            [[ln.item, f"{ln.points:+d}", ln.why] for ln in card.lines],
            title=f"SCORE {card.total}/{card.max_points} in {mmss(card.elapsed_s)} — {card.rating}",
        )
        reply.say("DEBRIEF", "title")
        for line in self.debrief:
            reply.say(line)
        return reply


def _layer(name: str) -> str:
    """The layer of a variable (`guards`, the agent runtime's guard configuration, is routing)."""
    return "routing" if name == "guards" else layer_of(name)


class _Usage(ReplaylabError):
    """A command the game could not carry out; nothing was spent."""
