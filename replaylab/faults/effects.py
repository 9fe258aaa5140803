"""What a deployment lets the model see, without running the model.

Injectors use this to choose the golden questions a fault should break *by mechanism*:
retrieval, context assembly and the model's context window are run (cheap, cached), the
generation is not. A question is "visible" under a deployment when its golden answer (or an
alias) is in a passage that reaches the model: retrieved, kept by the assembler's budget and
inside the served model's window. Also here: the deterministic wrong values the data faults
plant (a perturbed figure or code, a made-up name).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from replaylab.models.base import GenerationRequest, get_generator
from replaylab.models.reader import SandboxReader, parse_prompt
from replaylab.stack import assembler
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import RetrievalSpan, RetrievedChunk

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ARTICLES = frozenset({"a", "an", "the"})
_DIGITS = re.compile(r"\d+")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FAKE_NAMES = (
    "Northwind",
    "Bluepeak",
    "Ironleaf",
    "Saltmarsh",
    "Copperfield",
    "Greystone",
    "Westhaven",
    "Larkspur",
    "Ambercove",
    "Thornbury",
)
"""Made-up names a data fault substitutes for a non-numeric answer."""


def norm_tokens(text: str) -> list[str]:
    """Lowercase tokens, punctuation dropped, articles dropped."""
    return [t for t in _NON_WORD.sub(" ", text.lower()).split() if t not in _ARTICLES]


def contains(text: str, needle: str) -> bool:
    """Whether `needle` occurs in `text` as a run of whole normalised tokens ("7" is not in "17")."""
    hay, pin = norm_tokens(text), norm_tokens(needle)
    n = len(pin)
    if n == 0 or n > len(hay):
        return False
    return any(hay[i : i + n] == pin for i in range(len(hay) - n + 1))


def needles(item: GoldenItem) -> list[str]:
    """The golden answer and its aliases."""
    return [a for a in (item.answer, *item.aliases) if norm_tokens(a)]


def mentions_answer(text: str, item: GoldenItem) -> bool:
    return any(contains(text, n) for n in needles(item))


@dataclass(frozen=True)
class Placed:
    """One passage the model sees, in prompt order, with the text that survived its window."""

    chunk: RetrievedChunk
    position: int
    """0-based position in the prompt."""
    visible: str
    """The passage text inside the model's window ('' when the window cut it entirely)."""


@dataclass(frozen=True)
class Seen:
    """Retrieval, assembly and window of one question under one deployment."""

    retrieval: RetrievalSpan
    placed: list[Placed]
    """Every passage the assembler kept, in prompt order."""
    in_window: int
    """How many of them reach the model (the last one possibly cut)."""
    request: GenerationRequest
    """The request the model would get."""

    def visible_text(self) -> str:
        return "\n".join(p.visible for p in self.placed)

    def answer_rank(self, item: GoldenItem) -> int | None:
        """Rank of the best retrieved chunk that holds the answer, if any."""
        ranks = [c.rank for c in self.retrieval.chunks if mentions_answer(c.text, item)]
        return min(ranks) if ranks else None


def _window(deployment: Deployment, messages_request: GenerationRequest, n: int) -> list[str]:
    """The passage texts inside the served model's context window (all of them for a model we cannot inspect)."""
    served = deployment.served_as.get(deployment.config.model, deployment.config.model)
    generator = get_generator(served)
    parsed = parse_prompt(messages_request)
    if isinstance(generator, SandboxReader):
        # the model side's own truncation: exactly what the reader will keep
        return generator._fit_window(parsed)
    return parsed.passages[:n]


def _see(stack: Stack, deployment: Deployment, question: str) -> Seen:
    config = deployment.config
    held = config.context is not None
    retrieval = stack.held_context(question, config, None) if held else stack.retrieve(question, config)
    packed = assembler.assemble(
        retrieval.chunks, order=config.context_order, tokenizer=config.tokenizer, budget=config.context_budget
    )
    pv = stack.prompts.resolve(config.prompt)
    messages = assembler.render(pv, question=question, chunks=packed.chunks)
    request = GenerationRequest(model=config.model, messages=messages, sampling=config.sampling)
    kept = _window(deployment, request, len(packed.chunks))
    placed = []
    for pos, chunk in enumerate(packed.chunks):
        text = kept[pos] if pos < len(kept) else ""
        # the passage is "(source, ingested date) title: text"; the header never counts as evidence
        header = len(assembler.format_chunk(pos + 1, chunk).partition(" ")[2]) - len(chunk.text)
        placed.append(Placed(chunk=chunk, position=pos, visible=text[header:] if len(text) > header else ""))
    return Seen(retrieval=retrieval, placed=placed, in_window=len(kept), request=request)


class Lens:
    """Looks at what deployments let the model see on one stack; remembers what it has seen."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._memo: dict[tuple[str, str], Seen] = {}

    def see(self, deployment: Deployment, question: str) -> Seen:
        """Retrieve, assemble and fit one question's context as `deployment` would, without generating."""
        key = (deployment.model_dump_json(), question)
        if key not in self._memo:
            self._memo[key] = _see(self.stack, deployment, question)
        return self._memo[key]

    def hits(self, deployment: Deployment, items: Iterable[GoldenItem]) -> set[str]:
        """Qids whose golden answer reaches the model under `deployment`."""
        return {it.qid for it in items if mentions_answer(self.see(deployment, it.question).visible_text(), it)}

    def lost(self, before: Deployment, after: Deployment, items: Sequence[GoldenItem]) -> list[str]:
        """Qids whose golden answer reaches the model before the fault and no longer after it."""
        hit_before = self.hits(before, items)
        hit_after = self.hits(after, [it for it in items if it.qid in hit_before])
        return sorted(hit_before - hit_after)


def visible_hits(stack: Stack, deployment: Deployment, items: Iterable[GoldenItem]) -> set[str]:
    """Qids whose golden answer reaches the model under `deployment`."""
    return Lens(stack).hits(deployment, items)


def lost_answers(stack: Stack, before: Deployment, after: Deployment, items: Sequence[GoldenItem]) -> list[str]:
    """Qids whose golden answer reaches the model before the fault and no longer after it."""
    return Lens(stack).lost(before, after, items)


def _salt(text: str, salt: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}|{text}".encode()).digest()[:4], "big")


def _bump(digits: str) -> str:
    n = int(digits)
    year = 1900 <= n <= 2100 and len(digits) == 4  # a year moves by one
    m = n + 1 if year else n + max(1, int(n * 0.5 + 0.5))
    return str(m).zfill(len(digits))


def _shift_date(m: re.Match[str]) -> str:
    try:
        return (date.fromisoformat(m.group(0)) + timedelta(days=17)).isoformat()
    except ValueError:
        return _DIGITS.sub(lambda d: _bump(d.group(0)), m.group(0))


def wrong_value(answer: str, *, salt: int = 0) -> str:
    """A deterministic wrong value for `answer`: dates moved 17 days, other figures raised by half
    (a year by one), or a made-up name."""
    if _DIGITS.search(answer):
        wrong = _ISO_DATE.sub(_shift_date, answer)
        wrong = _DIGITS.sub(lambda m: _bump(m.group(0)), wrong) if wrong == answer else wrong
    else:
        names = [n for n in FAKE_NAMES if not contains(answer, n)]
        wrong = names[_salt(answer, salt) % len(names)]
    return wrong


def replace_mentions(text: str, needle: str, value: str) -> str:
    """`text` with every whole-word, case-insensitive mention of `needle` replaced by `value`."""
    pattern = r"(?<![A-Za-z0-9])" + re.escape(needle) + r"(?![A-Za-z0-9])"
    return re.sub(pattern, lambda _m: value, text, flags=re.IGNORECASE)
