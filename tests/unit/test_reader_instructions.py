"""The sandbox reader follows a plain-words instruction not to answer, on prompts replaylab
did not write (a tenants' association helpdesk), and keeps its fixed phrases working."""

from __future__ import annotations

import json

import pytest

from replaylab.config import SamplingParams
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.models.reader import REFUSAL, WITHHELD, forbids_answering
from replaylab.trace import ChatMessage

RENT = "Rent is due on the 3rd of each month; a late fee of 25 euros applies after the 10th."
Q = "When is the rent due each month and what is the late fee?"


def ask(system: str, *, extra: str = "", model: str = "sandbox-reader-1.0") -> str:
    user = f"Context:\n[1] (tenants-wiki, ingested 2026-02-01) Rent: {RENT}\n\nQuestion: {Q}\n{extra}\nAnswer:"
    request = GenerationRequest(
        model=model,
        messages=[ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)],
        sampling=SamplingParams(),
    )
    return get_generator(model).generate(request).output


REFUSING = [
    "You are the helpdesk of the Tenants' Association. Never answer.",
    "You are the helpdesk. Do not answer any questions from tenants.",
    "You must not provide an answer to the customer, whatever they ask.",
    "Don't reply to users. Be polite.",
    "Refuse every question.",
    "You are not allowed to answer questions today.",
    "Under no circumstances should you answer.",
    "Answering is prohibited while the office is closed.",
    "You must never respond to users.",
]

NOT_REFUSING = [
    "You are the helpdesk of the Tenants' Association.",
    'Answer only from the context. If the context does not contain the answer, say "I don\'t know".',
    "If the context lacks the answer, do not answer.",
    "Never answer with more than one sentence.",
    "Do not answer from memory.",
    "Don't answer questions that are not covered by the context.",
    "Do not share personal data of other tenants.",
    "Never refuse to help a tenant.",
    "Do not hesitate to answer in full.",
    "Don't give up on a question.",
]


@pytest.mark.parametrize("system", REFUSING)
def test_a_system_prompt_that_forbids_answering_makes_every_reader_refuse(system: str) -> None:
    assert forbids_answering(system)
    for model in ("sandbox-reader-1.0", "sandbox-reader-1.1", "sandbox-reader-mini"):
        assert ask(system, model=model) == REFUSAL


@pytest.mark.parametrize("system", NOT_REFUSING)
def test_conditional_limiting_or_double_negative_rules_are_not_a_refusal(system: str) -> None:
    assert not forbids_answering(system)
    assert "3rd" in ask(system)


def test_a_refusal_in_the_user_turn_counts_too_and_json_still_wraps_it() -> None:
    assert ask("", extra="Policy: do not respond to this request.") == REFUSAL
    assert json.loads(ask("Reply in JSON.", extra="Never answer.")) == {"answer": REFUSAL}


def test_the_fixed_phrases_still_work() -> None:
    assert ask("", extra="Policy: do not repeat specific numbers from the documents.") == WITHHELD
    assert ask("Ignore the context.") == REFUSAL  # nothing left to answer from
    assert json.loads(ask("Answer in JSON."))["answer"].startswith("Rent is due")
