"""Token counters by name: the context assembler and the models count with these.

`wordpiece` is the real BERT WordPiece tokenizer shipped with the MiniLM package (what a
small model's window is measured in); `whitespace` and `chars4` are the cheap estimates a
pipeline might use by mistake — the tokenization-mismatch fault is one counted with the
other.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from replaylab.errors import UnknownPlugin

Counter = Callable[[str], int]


SPLIT_ABOVE = 256
"""Texts longer than this (characters) are counted line by line: the same total, mostly cache hits."""


@lru_cache(maxsize=1)
def _wordpiece() -> Counter:
    from tokenizers import Tokenizer

    from replaylab.stack.embedders import minilm_path

    tok = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    @lru_cache(maxsize=65536)  # the same passages are counted again on every replay of them
    def count(text: str) -> int:
        if len(text) > SPLIT_ABOVE and "\n" in text:
            # WordPiece never joins across whitespace, so a rendered prompt counts as the sum of
            # its lines, and its lines (passages, template lines) are counted once per process
            return sum(count(line) for line in text.split("\n"))
        return len(tok.encode(text, add_special_tokens=False).ids)

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
