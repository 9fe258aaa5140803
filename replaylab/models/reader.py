"""The sandbox reader: a deterministic, seeded stand-in for an LLM, for tests and drills.

It reads the rendered prompt the way a small instruction-tuned model does and builds its
answer from the context. Its behaviour is set by documented knobs that real models show;
a "model version" is one setting of the knobs:

- `position_bias` / `bias_depth`: how much attention a passage gets by its place in the
  context: `none`; `primacy` (falls linearly to `1 - depth` at the end); `recency` (rises
  linearly from `1 - depth` at the start: how Gemma 3 270M measures); `lost-in-the-middle`
  (a U: full at both ends, `1 - depth` in the middle, as Liu et al. measured).
- temperature / top_p / seed: sentences are scored; at temperature 0 the best wins, above
  it one is sampled from softmax(score / temperature) with a seeded RNG, nucleus-cut at top_p.
- `instruction_policy`: which instruction wins a conflict, `latest` (the user turn
  overrides the system rules, as most chat models do) or `system`.
  Understood instructions: "only ... context" + "I don't know" (refuse when the context
  does not support an answer); "do not repeat specific numbers" (withhold figures);
  "ignore the context"; "JSON" (answer as {"answer": ...}); and, in the system rules or
  the user turn, any plain-words instruction not to answer at all ("Never answer.", "Do
  not respond to customers.", "You must not provide an answer.", "Refuse every question.",
  "Answering is prohibited."): the reader then refuses ("I don't know.") whatever the
  context holds. A conditional or limiting rule ("if the context lacks it, do not answer",
  "do not give specific numbers", "never answer with more than one sentence") is not a
  refusal; see `forbids_answering`. This is a stand-in for instruction following, not a
  language model: instructions outside these families are ignored, so prompt-fault drills
  should express a prompt fault in one of them (or use a model that reads prompts).
- `sycophancy`: the probability of agreeing with a premise the question asserts
  ("Since X, ...") instead of answering from the context.
- `window_tokens`: the context window in WordPiece tokens; passages past it are cut.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

from replaylab.models.base import GenerationRequest, GenerationResult, Generator
from replaylab.registry import register
from replaylab.stack.chunker import split_sentences
from replaylab.stack.tokenizers import token_counter, truncate_to

PositionBias = Literal["none", "primacy", "recency", "lost-in-the-middle"]

STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being do does did "
    "how what which who whom when where why can could should would will shall may might must i we you it "
    "its this that these those my our your their there here than then so not no yes into about over after "
    "before under up down out per via any all each more most much many some such only own same too very "
    "s t just have has had me us them they he she his her".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9\-_.]*[a-z0-9]|[a-z0-9]")
_PASSAGE = re.compile(r"^\[(\d+)\]\s*(.*)$")
_PREMISE = re.compile(r"^(?:since|given that|as|because|now that)\s+(.+?),\s+(.+)$", re.IGNORECASE)
REFUSAL = "I don't know."
WITHHELD = "Please check the help centre for the exact details."


def content_words(text: str) -> set[str]:
    """Lowercased content words (stopwords dropped, a plural 's' folded)."""
    return set(_content_words(text))


@lru_cache(maxsize=8192)
def _content_words(text: str) -> frozenset[str]:
    """`content_words`, memoised: a replay reads the same passages and questions again."""
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in STOPWORDS:
            continue
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return frozenset(out)


@dataclass(frozen=True)
class ParsedPrompt:
    system: str
    instructions: str
    """Every line of the user turn that is neither a passage nor the question."""
    passages: list[str]
    question: str


def parse_prompt(request: GenerationRequest) -> ParsedPrompt:
    """Split the rendered chat into system rules, passages, question and other instructions."""
    system = "\n".join(m.content for m in request.messages if m.role == "system")
    user = "\n".join(m.content for m in request.messages if m.role == "user")
    passages: list[str] = []
    question = ""
    other: list[str] = []
    for line in user.splitlines():
        m = _PASSAGE.match(line.strip())
        low = line.lower()
        if m:
            passages.append(m.group(2))
        elif "question:" in low and not question:
            question = line.split(":", 1)[1].strip()
        elif line.strip() and not line.strip().endswith(":"):
            other.append(line.strip())
    return ParsedPrompt(system=system, instructions="\n".join(other), passages=passages, question=question)


@lru_cache(maxsize=1024)
def _directives(text: str) -> frozenset[str]:
    low = text.lower()
    found = set()
    if "only" in low and "context" in low and "don't know" in low:
        found.add("grounded")
    if re.search(r"do not (repeat|state|give|share) specific", low):
        found.add("withhold")
    if "ignore the context" in low:
        found.add("ignore_context")
    if "json" in low:
        found.add("json")
    if forbids_answering(text):
        found.add("refuse")
    return frozenset(found)


_NEGATION = (
    r"(?:never|not ever|do not|don'?t|does not|doesn'?t|must not|mustn'?t|may not|should not|shouldn'?t|shall not|"
    r"cannot|can'?t|can not|will not|won'?t|are not|is not|am not|no longer)"
)
_FILLER = r"(?!refus|declin|hesitat|fail|forget|stop)\w+"
"""A word between the negation and the verb; not one that flips it back ("never refuse to help")."""
_ANSWER_VERB = r"(?:answer|respond|reply|help|assist)\w*"
_GIVE_ANSWER = r"(?:provide|give|offer)\w*\s+(?:\w+\s+){0,2}?(?:answers?|responses?|replies|help|assistance)"
_FORBID = [
    # "never answer", "do not reply to the customer", "you are not to respond"
    re.compile(rf"\b{_NEGATION}\s+(?:{_FILLER}\s+){{0,2}}?(?:to\s+)?{_ANSWER_VERB}\b(?P<rest>.*)", re.IGNORECASE),
    # "you must not provide an answer", "do not give any answers"
    re.compile(rf"\b{_NEGATION}\s+(?:{_FILLER}\s+){{0,2}}?(?:to\s+)?{_GIVE_ANSWER}\b(?P<rest>.*)", re.IGNORECASE),
    # "refuse every question", "decline to answer", "refuse all requests" (not "never refuse")
    re.compile(rf"^(?:(?!\b{_NEGATION}\b).)*?\b(?:refuse|decline)\w*\b(?P<rest>.*)", re.IGNORECASE),
    # "you are forbidden to answer", "answering is prohibited", "under no circumstances answer"
    re.compile(
        rf"\b(?:(?:forbidden|prohibited|not (?:allowed|permitted))\s+(?:from\s+|to\s+)?{_ANSWER_VERB}|"
        rf"{_ANSWER_VERB}\s+(?:\w+\s+){{0,2}}?(?:is|are)\s+(?:forbidden|prohibited|not allowed)|"
        rf"under no circumstances\s+(?:\w+\s+){{0,3}}?{_ANSWER_VERB})\b(?P<rest>.*)",
        re.IGNORECASE,
    ),
]
_CONDITION = re.compile(
    r"\b(?:if|unless|when|whenever|where|except|only|outside|beyond|without|other than|that (?:is|are) not|"
    r"not (?:in|covered|supported|found|stated))\b",
    re.IGNORECASE,
)
_QUALIFIED = re.compile(
    r"^\s*(?:with|in|from|using|by|more|longer|about|specific|exact|figures?|numbers?|details?|personal|"
    r"medical|legal|financial|opinions?|guesses|speculat|links?|urls?|code)\b",
    re.IGNORECASE,
)


def forbids_answering(text: str) -> bool:
    """Whether `text` holds an unconditional instruction not to answer at all.

    A sentence counts when it negates an answering verb ("never answer", "do not respond",
    "you must not provide an answer", "don't reply to customers"), refuses or declines
    ("refuse every question"), or forbids answering ("answering is prohibited", "under no
    circumstances answer"). It does not count when it is conditional ("if the context does
    not contain the answer, do not answer", "only ... context", "unless") or limits what an
    answer holds ("do not give specific numbers", "never answer with more than one sentence",
    "do not answer from memory"): those are other instructions.
    """
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):
        if not sentence.strip() or _CONDITION.search(sentence):
            continue
        for pattern in _FORBID:
            m = pattern.search(sentence)
            if m and not _QUALIFIED.match(m.group("rest")):
                return True
    return False


class SandboxReader(Generator):
    """Deterministic reader model; subclasses are its versions (knob settings)."""

    position_bias: ClassVar[PositionBias] = "none"
    bias_depth: ClassVar[float] = 0.0
    instruction_policy: ClassVar[Literal["latest", "system"]] = "latest"
    sycophancy: ClassVar[float] = 0.0
    window_tokens: ClassVar[int] = 2048
    min_support: ClassVar[int] = 2
    """Content words a sentence must share with the question to count as support."""
    alias: ClassVar[str] = "sandbox-reader"

    def position_weight(self, pos: int, n: int) -> float:
        """The reader's documented knob, not a measurement: `position_bias` and `bias_depth`."""
        if n <= 1 or self.position_bias == "none":
            return 1.0
        p = pos / (n - 1)
        if self.position_bias == "primacy":
            return 1.0 - self.bias_depth * p
        if self.position_bias == "recency":
            return 1.0 - self.bias_depth * (1.0 - p)
        return 1.0 - self.bias_depth * (1.0 - abs(2 * p - 1))

    def _rng(self, request: GenerationRequest) -> random.Random:
        key = f"{request.sampling.seed}|{self.id}|" + "|".join(m.content for m in request.messages)
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def _fit_window(self, parsed: ParsedPrompt) -> list[str]:
        count = token_counter("wordpiece")
        budget = self.window_tokens - count(parsed.system) - count(parsed.question) - count(parsed.instructions) - 16
        kept: list[str] = []
        for passage in parsed.passages:
            cost = count(passage) + 3
            if cost > budget:
                if budget > 8:
                    kept.append(truncate_to(passage, budget, count))
                break
            kept.append(passage)
            budget -= cost
        return kept

    def _choose(self, question: str, passages: list[str], request: GenerationRequest, rng: random.Random) -> tuple[str, int]:
        qwords = _content_words(question)
        cands: list[tuple[float, int, str]] = []
        for pos, passage in enumerate(passages):
            title, _, body = passage.partition(": ")
            body = body or title
            w = self.position_weight(pos, len(passages))
            for sentence in split_sentences(body):
                overlap = len(qwords & _content_words(sentence))
                if overlap:
                    cands.append((overlap * w, overlap, sentence))
        if not cands:
            return "", 0
        t = request.sampling.temperature
        if t <= 0:
            best = max(range(len(cands)), key=lambda i: (cands[i][0], -i))
            return cands[best][2], cands[best][1]
        top = max(c[0] for c in cands)
        probs = [math.exp((c[0] - top) / t) for c in cands]
        total = sum(probs)
        order = sorted(range(len(cands)), key=lambda i: -probs[i])
        kept, mass = [], 0.0
        for i in order:
            kept.append(i)
            mass += probs[i] / total
            if mass >= request.sampling.top_p:
                break
        pick = rng.choices(kept, weights=[probs[i] for i in kept])[0]
        return cands[pick][2], cands[pick][1]

    def generate(self, request: GenerationRequest) -> GenerationResult:
        parsed = parse_prompt(request)
        rng = self._rng(request)
        sys_dirs, user_dirs = _directives(parsed.system), _directives(parsed.instructions)
        dirs = set(sys_dirs | user_dirs)
        if "withhold" in user_dirs and self.instruction_policy == "system" and "grounded" in sys_dirs:
            dirs.discard("withhold")
        passages = [] if "ignore_context" in dirs else self._fit_window(parsed)
        answer = ""
        premise = _PREMISE.match(parsed.question.strip())
        if "refuse" in dirs:
            answer = REFUSAL
        elif premise and self.sycophancy > 0 and rng.random() < self.sycophancy:
            answer = f"Yes, that's right: {premise.group(1).strip()}."
        else:
            sentence, support = self._choose(parsed.question, passages, request, rng)
            if not sentence or ("grounded" in dirs and support < self.min_support):
                answer = REFUSAL
            elif "withhold" in dirs and re.search(r"\d", sentence):
                answer = WITHHELD
            else:
                answer = sentence
        if "json" in dirs:
            answer = json.dumps({"answer": answer})
        count = token_counter("wordpiece")
        answer = truncate_to(answer, request.sampling.max_tokens, count)
        prompt_tokens = sum(count(m.content) for m in request.messages)
        return GenerationResult(
            output=answer, model_returned=self.id, prompt_tokens=prompt_tokens, completion_tokens=count(answer)
        )


@register("generator", "sandbox-reader-1.0")
class Reader10(SandboxReader):
    """Careful reader: no position bias, follows the latest instruction, never sycophantic."""

    id = "sandbox-reader-1.0"


@register("generator", "sandbox-reader-1.1")
class Reader11(SandboxReader):
    """A silent update of 1.0: lost in the middle (depth 0.75) and sycophantic."""

    id = "sandbox-reader-1.1"
    position_bias = "lost-in-the-middle"
    bias_depth = 0.75
    sycophancy = 1.0


@register("generator", "sandbox-reader-mini")
class ReaderMini(SandboxReader):
    """The cheap model: strong primacy bias and a 384-token window."""

    id = "sandbox-reader-mini"
    alias = "sandbox-reader-mini"
    position_bias = "primacy"
    bias_depth = 0.6
    window_tokens = 384
