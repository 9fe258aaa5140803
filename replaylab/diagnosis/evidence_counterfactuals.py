"""What the counterfactual replays (recorded, oracle, answer moved, no context) say about each layer."""

from __future__ import annotations

from replaylab.diagnosis.counterfactuals import CounterfactualReport
from replaylab.diagnosis.facts import Facts, Ledger, short

__all__ = ["counterfactual_evidence"]


def counterfactual_evidence(f: Facts, cf: CounterfactualReport, ledger: Ledger) -> None:
    """Read the counterfactual verdicts into `f` and their evidence into `ledger`."""

    def out(name: str) -> str:
        return short(cf.run(name).output or "", 60)  # type: ignore[arg-type]

    rec, orc, none = cf.run("recorded"), cf.run("oracle"), cf.run("no_context")
    first, last = cf.run("answer_first"), cf.run("answer_last")
    f.replay_passed, f.oracle_passed, f.no_context_passed = rec.passed, orc.passed, none.passed
    f.first_passed, f.last_passed = first.passed, last.passed
    f.oracle_has_answer = cf.oracle_holds_answer
    _held_replay(f, cf, out("recorded"), ledger)
    _oracle(f, cf, out("oracle"), ledger)
    moved = [(run, where) for run, where in ((first, "1"), (last, f"{f.n_placed} (last)")) if run.passed is True]
    if moved and rec.passed is False:
        run, where = moved[0]
        ledger.pro(
            "generation",
            0.35,
            f"Moving the answer chunk from position {f.answer_pos} to {where} fixes it ({out(run.name)!r}): a position effect.",
        )
    elif first.passed is False and last.passed is not True and rec.passed is False and f.in_ctx:
        ledger.con("generation", 0.1, "Moving the answer chunk first or last does not help, so position is not the cause.")
    if none.passed is True:
        ledger.pro(
            "retrieval",
            0.1,
            f"Without any context the model answers correctly ({out('no_context')!r}): the context is misleading it.",
        )


def _held_replay(f: Facts, cf: CounterfactualReport, said: str, ledger: Ledger) -> None:
    rec = cf.run("recorded")
    if rec.passed is False and f.in_ctx:
        ledger.pro("generation", 0.4, f"The answer was in the context and the held replay still fails: {said!r}.")
    elif rec.passed is True and not f.recorded_passed:
        ledger.con(
            "generation",
            0.3,
            f"The held replay of the recorded context passes ({said!r}): "
            "the recorded failure does not reproduce with this configuration.",
        )
        replayed = cf.traces.get("recorded")
        if replayed is not None and replayed.routing.handler != f.route:
            ledger.pro(
                "routing",
                0.4,
                f"Replaying the same configuration routes the request to "
                f"{replayed.routing.handler!r} and passes; the recording went to {f.route!r}.",
            )


def _oracle(f: Facts, cf: CounterfactualReport, said: str, ledger: Ledger) -> None:
    orc = cf.run("oracle")
    if f.oracle_has_answer is False:
        says = f"; the oracle replay says {said!r}" if orc.output is not None else ""
        ledger.pro("upstream_data", 0.4, f"The golden documents in the current corpus do not state {f.answer!r}{says}.")
        ledger.con("retrieval", 0.4, "Retrieving the golden documents would not help: they lack the answer.")
    if orc.passed is True:
        ledger.pro(
            "retrieval",
            0.5 if not f.in_ctx else 0.2,
            f"The oracle context ({len(orc.context_chunk_ids)} "
            f"golden chunks from the current corpus) fixes the replay: {said!r}.",
        )
        ledger.con("generation", 0.5, "Given the golden passages the model answers correctly: it can do the task.")
        ledger.con("upstream_data", 0.3, "The current corpus states the answer and the model uses it.")
    elif orc.passed is False and f.oracle_has_answer:
        if f.route_wrong and f.route_fix_passed is not False:
            ledger.con(
                "generation",
                0.1,
                f"The oracle replay fails too ({said!r}), but through the same wrong route {f.route!r}.",
            )
        else:
            ledger.pro("generation", 0.4, f"Even the oracle context, which holds the answer, fails: {said!r}.")
            ledger.con("retrieval", 0.5, "Better retrieval cannot help: the oracle context fails too.")
    elif orc.skipped:
        ledger.con("retrieval", 0.05, f"The oracle replay could not run: {orc.skipped}.")
