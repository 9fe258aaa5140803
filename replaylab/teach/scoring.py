"""How a game day is scored: the submission, the rules, and the score card.

A submission names a layer, the variable(s) at fault and a rollback:

    submit layer=retrieval variable=embedder rollback=embedder
    submit layer=generation variable=prompt rollback=rag-answer@4
    submit layer=retrieval variable=top_k rollback=top_k=5

What counts (ScoringRules holds the points):

- **layer**: the answer key's layer (the scenario's `expect.layer`, else the fault's own).
- **variable**: the set of variables equals the answer key's (the scenario's `expect.bisect`,
  else what the injection changed); naming some of them earns half.
- **rollback**: `VAR` (back to its last known-good value), `VAR=VALUE`, or a prompt version
  `template@N` (the production label moved there). It counts when, replayed in the sandbox
  on the incident's failing requests, it restores them to the scenario's steady-state pass
  rate, *and* it changes a variable of the faulty layer other than `context`: holding the
  context is an oracle, not a rollback, and a fix in another layer masks the symptom.
- **costs**: every hint; sandbox runs (`replay`, `counterfactuals`, `diagnose`) beyond the
  free ones; minutes beyond par. The total never goes below 0.
"""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.variables import LAYERS, get_variable, layer_of, parse_assignment

__all__ = ["RollbackCheck", "ScoreCard", "ScoreLine", "ScoringRules", "Submission", "parse_rollback", "parse_submission", "score"]

_LAYER_ALIASES = {"upstream": "upstream_data", "upstream-data": "upstream_data", "data": "upstream_data"}
_PROMPT_ID = re.compile(r"^[A-Za-z0-9_.\-]+@\d+$")
AGENT_GUARDS = "guards"
"""The agent runtime's guard configuration (`off` or `playbook`): a routing variable of agent-session
game days, not a RunConfig field, so it has no entry in the variable registry."""


class ScoringRules(BaseModel):
    """Points and costs. The three findings add up to `max_points`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    layer: int = 40
    variable: int = 30
    rollback: int = 30
    hint_cost: int = 10
    free_runs: int = 6
    """Sandbox runs that cost nothing: a focused investigation needs a handful."""
    run_cost: int = 2
    max_run_penalty: int = 20
    par_minutes: float = 15.0
    """The playbook's first fifteen minutes."""
    minute_cost: int = 2
    max_time_penalty: int = 20

    @property
    def max_points(self) -> int:
        return self.layer + self.variable + self.rollback


class Submission(BaseModel):
    """What the trainee submitted."""

    raw: str
    """The submission text as the trainee typed it."""
    layer: str | None = None
    """The layer the trainee blamed (one of the diagnosis layers)."""
    variables: list[str] = Field(default_factory=list)
    """The variables the trainee named as the cause (canonical variable names)."""
    rollback: str | None = None
    """The rollback the trainee proposed, as typed (None: none proposed)."""


class RollbackCheck(BaseModel):
    """The sandbox verdict on a proposed rollback."""

    variable: str | None = None
    """The variable the rollback sets (None when it named none)."""
    value: Any = None
    """The value the rollback sets the variable to."""
    restored: int = 0
    """Failing requests the rollback made pass."""
    tried: int = 0
    """Number of failing requests the rollback was replayed on."""
    ok: bool = False
    """The rollback restored enough failing requests to reach the steady state's pass rate."""
    why: str = ""
    """One-line explanation of the verdict."""


class ScoreLine(BaseModel):
    item: str
    """What the line scores (e.g. `layer`, `hints`, `submission`)."""
    points: int
    """Points awarded (negative for a cost)."""
    why: str
    """Why these points were given."""


class ScoreCard(BaseModel):
    """The score of one session, line by line."""

    total: int
    """Total points: the sum of the lines, never below 0."""
    max_points: int
    """The most points a session can earn (layer + variable + rollback)."""
    layer_ok: bool = False
    """The submitted layer was right."""
    variable_ok: bool = False
    """The submitted variables were exactly the answer key's."""
    rollback_ok: bool = False
    """The proposed rollback checked out in the sandbox."""
    hints_used: int = 0
    """Number of hints the trainee asked for."""
    sandbox_runs: int = 0
    """Number of sandbox commands run (replay, counterfactuals, diagnose)."""
    elapsed_s: float = 0.0
    """Seconds from the page to the end, rounded to 0.1."""
    lines: list[ScoreLine] = Field(default_factory=list)
    """The scoring lines, in order."""
    rating: str = ""
    """One-line rating from the share of `max_points` earned."""


def parse_submission(text: str) -> Submission:
    """Parse `layer=... variable=... rollback=...` (any order, values may be quoted)."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"Cannot parse the submission: {exc}") from None
    sub = Submission(raw=text)
    for tok in tokens:
        key, sep, value = tok.partition("=")
        key = key.strip().lower()
        if not sep or not value.strip():
            raise ConfigError(
                f"Expected key=value, got {tok!r}. Example: submit layer=retrieval variable=embedder rollback=embedder"
            )
        if key == "layer":
            layer = _LAYER_ALIASES.get(value.strip().lower(), value.strip().lower())
            if layer not in LAYERS:
                raise ConfigError(f"Unknown layer {value!r}. Valid: {list(LAYERS)}")
            sub.layer = layer
        elif key in ("variable", "variables", "var"):
            names = [v.strip() for v in value.split(",") if v.strip()]
            sub.variables = [n if n == AGENT_GUARDS else get_variable(n).name for n in names]
        elif key == "rollback":
            sub.rollback = value.strip()
        else:
            raise ConfigError(f"Unknown submission field {key!r}. Valid: layer, variable, rollback")
    if sub.layer is None:
        raise ConfigError("A submission names at least the layer: submit layer=... variable=... rollback=...")
    return sub


def parse_rollback(spec: str, *, failing: RunConfig, good: RunConfig) -> tuple[str, Any]:
    """(variable, value) of a rollback: `VAR` (its known-good value), `VAR=VALUE`, or `template@N`."""
    spec = spec.strip()
    if _PROMPT_ID.match(spec):
        return "prompt", spec
    if spec.partition("=")[0].strip() == AGENT_GUARDS:
        return AGENT_GUARDS, spec.partition("=")[2].strip() or "playbook"
    if "=" not in spec:
        var = get_variable(spec)
        return var.name, var.read(good)
    return parse_assignment(spec, failing)


def _rating(total: int, max_points: int) -> str:
    share = total / max_points if max_points else 0.0
    if share >= 0.9:
        return "incident commander: found, proved and rolled back"
    if share >= 0.7:
        return "solid on-call: the right fix, with some detours"
    if share >= 0.4:
        return "on the right track: part of the diagnosis was right"
    return "shadow another rotation: the triage loop (trace, isolate, evaluate, simulate) is the way in"


def score(
    sub: Submission | None,
    *,
    key_layer: str,
    key_variables: list[str],
    rollback: RollbackCheck | None,
    hints_used: int,
    sandbox_runs: int,
    elapsed_s: float,
    rules: ScoringRules,
) -> ScoreCard:
    """The score card of a session (a None submission is a session quit before submitting)."""
    card = ScoreCard(
        total=0, max_points=rules.max_points, hints_used=hints_used, sandbox_runs=sandbox_runs, elapsed_s=round(elapsed_s, 1)
    )
    if sub is None:
        card.lines.append(ScoreLine(item="submission", points=0, why="the session ended without a submission"))
        card.rating = _rating(0, rules.max_points)
        return card
    _answer_lines(card, sub, key_layer=key_layer, key_variables=key_variables, rollback=rollback, rules=rules)
    card.lines.extend(_penalty_lines(hints_used=hints_used, sandbox_runs=sandbox_runs, elapsed_s=elapsed_s, rules=rules))
    card.total = max(0, sum(line.points for line in card.lines))
    card.rating = _rating(card.total, rules.max_points)
    return card


def _answer_lines(
    card: ScoreCard,
    sub: Submission,
    *,
    key_layer: str,
    key_variables: list[str],
    rollback: RollbackCheck | None,
    rules: ScoringRules,
) -> None:
    """Score the submission's layer, variables and rollback into `card`."""
    card.layer_ok = sub.layer == key_layer
    card.lines.append(
        ScoreLine(
            item="layer",
            points=rules.layer if card.layer_ok else 0,
            why=f"named {sub.layer}; the fault is in the {key_layer} layer",
        )
    )
    named, wanted = set(sub.variables), set(key_variables)
    card.variable_ok = bool(named) and named == wanted
    partial = bool(named & wanted) and not card.variable_ok
    card.lines.append(
        ScoreLine(
            item="variable",
            points=rules.variable if card.variable_ok else (rules.variable // 2 if partial else 0),
            why=f"named {', '.join(sorted(named)) or 'none'}; the cause is {', '.join(sorted(wanted))}"
            + (" (partly right)" if partial else ""),
        )
    )
    card.rollback_ok = bool(rollback and rollback.ok)
    card.lines.append(
        ScoreLine(
            item="rollback",
            points=rules.rollback if card.rollback_ok else 0,
            why=rollback.why if rollback else "no rollback named",
        )
    )


def _penalty_lines(*, hints_used: int, sandbox_runs: int, elapsed_s: float, rules: ScoringRules) -> list[ScoreLine]:
    """The deductions for hints, sandbox runs past the free ones, and time over par."""
    lines: list[ScoreLine] = []
    if hints_used:
        lines.append(
            ScoreLine(item="hints", points=-rules.hint_cost * hints_used, why=f"{hints_used} hint(s) at {rules.hint_cost} each")
        )
    extra_runs = max(0, sandbox_runs - rules.free_runs)
    if extra_runs:
        lines.append(
            ScoreLine(
                item="sandbox runs",
                points=-min(rules.max_run_penalty, extra_runs * rules.run_cost),
                why=f"{sandbox_runs} runs, {rules.free_runs} free",
            )
        )
    over = elapsed_s / 60 - rules.par_minutes
    if over > 0:
        lines.append(
            ScoreLine(
                item="time",
                points=-min(rules.max_time_penalty, math.ceil(over) * rules.minute_cost),
                why=f"{elapsed_s / 60:.1f} min, par {rules.par_minutes:g} min",
            )
        )
    return lines


def rollback_layer_ok(variable: str, key_layer: str) -> tuple[bool, str]:
    """Whether rolling back `variable` addresses the faulty layer (and is not an oracle)."""
    if variable == "context":
        return False, "holding the context is an oracle replay, not a rollback production can run"
    layer = "routing" if variable == AGENT_GUARDS else layer_of(variable)
    if layer != key_layer:
        return False, f"{variable} is a {layer} variable; the fault is in the {key_layer} layer, so this masks the symptom"
    return True, ""
