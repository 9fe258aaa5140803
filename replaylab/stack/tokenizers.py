"""Token counters by name: the context assembler and the models count with these.

`wordpiece` is the real BERT WordPiece tokenizer shipped with the MiniLM package (what a
small model's window is measured in); `whitespace` and `chars4` are the cheap estimates a
pipeline might use by mistake — the tokenization-mismatch fault is one counted with the
other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from replaylab.errors import UnknownPlugin

Counter = Callable[[str], int]


SPLIT_ABOVE = 48
"""Texts longer than this (characters) are counted word by word: the same total, mostly cache hits."""

_GAP = re.compile(r"[ \n]+")


@lru_cache(maxsize=1)
def _wordpiece() -> Counter:
    from tokenizers import Tokenizer

    from replaylab.stack.embedders import minilm_path

    tok = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    @lru_cache(maxsize=65536)  # the same words and passages are counted again on every replay
    def piece(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    @lru_cache(maxsize=16384)  # a replayed prompt is one lookup
    def count(text: str) -> int:
        if len(text) <= SPLIT_ABOVE:
            return piece(text)
        # WordPiece splits on whitespace before anything else and never joins across it, so a long
        # text counts as the sum of its space- and newline-separated pieces, mostly counted already
        # (a 150-word passage: ~20 us instead of ~300 us for a miss)
        return sum(piece(p) for p in _GAP.split(text) if p)

    return count


def _whitespace(text: str) -> int:
    return len(text.split())


def _chars4(text: str) -> int:
    return (len(text) + 3) // 4


TOKENIZERS: dict[str, Callable[[], Counter]] = {
    "wordpiece": _wordpiece,
    "whitespace": lambda: _whitespace,
    "chars4": lambda: _chars4,
}


def token_counter(name: str) -> Counter:
    """The counting function of tokenizer `name`."""
    if name not in TOKENIZERS:
        raise UnknownPlugin(f"Unknown tokenizer {name!r}. Valid: {sorted(TOKENIZERS)}")
    return TOKENIZERS[name]()


def truncate_to(text: str, budget: int, counter: Counter) -> str:
    """The longest prefix of whole words of `text` that fits in `budget` tokens."""
    if counter(text) <= budget:
        return text
    words = text.split(" ")
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if counter(" ".join(words[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo])
