"""Token counters by name: the context assembler and the models count with these.

`wordpiece` is the real BERT WordPiece tokenizer shipped with the MiniLM package (what a
small model's window is measured in); `whitespace` and `chars4` are the cheap estimates a
pipeline might use by mistake — the tokenization-mismatch fault is one counted with the
other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from replaylab.errors import UnknownPlugin

Counter = Callable[[str], int]


SPLIT_ABOVE = 48
"""Texts longer than this (characters) are counted word by word: the same total, mostly cache hits."""

_GAP = re.compile(r"[ \n]+")


class WordPiece:
    """Counts WordPiece tokens, caching the count of every word and line it has seen."""

    MAX_PIECES = 262_144
    """Cached words before the cache starts over (a corpus of a million words has far fewer distinct)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        from replaylab.stack.embedders import minilm_path

        self._tok = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        self._pieces: dict[str, int] = {}  # the same words and passages are counted again on every replay
        self._count = lru_cache(maxsize=16384)(self._uncached)  # a replayed prompt is one lookup
        self._primed: set[str] = set()

    def __call__(self, text: str) -> int:
        return self._count(text)

    def piece(self, text: str) -> int:
        """Tokens of a text without spaces or newlines (or a short one), cached."""
        n = self._pieces.get(text)
        if n is None:
            if len(self._pieces) >= self.MAX_PIECES:
                self._pieces.clear()
            n = self._pieces[text] = len(self._tok.encode(text, add_special_tokens=False).ids)
        return n

    def prime(self, texts: Iterable[str], *, once: str | None = None) -> None:
        """Count the unseen words of `texts` in one batched tokenizer call, so that counting the texts
        later is all lookups (a fresh passage otherwise costs a tokenizer call a word). With `once`
        (e.g. a snapshot id) texts under that key are primed once per process."""
        if once is not None:
            if once in self._primed:
                return
            self._primed.add(once)
        new = list({p for t in texts for p in _GAP.split(t) if p and p not in self._pieces})
        if new:
            for word, enc in zip(new, self._tok.encode_batch(new, add_special_tokens=False), strict=True):
                self._pieces[word] = len(enc.ids)

    def _uncached(self, text: str) -> int:
        if len(text) <= SPLIT_ABOVE:
            return self.piece(text)
        if "\n" in text:  # a prompt: its lines (passages, instructions) recur from request to request
            return sum(self._count(line) for line in text.split("\n") if line)
        # WordPiece splits on whitespace before anything else and never joins across it, so a long
        # text counts as the sum of its space- and newline-separated pieces, mostly counted already
        # (a 150-word passage: ~20 us instead of ~300 us for a miss)
        return sum(self.piece(p) for p in _GAP.split(text) if p)


@lru_cache(maxsize=1)
def wordpiece() -> WordPiece:
    """The process's WordPiece counter (the tokenizer file loads once)."""
    return WordPiece()


def _whitespace(text: str) -> int:
    return len(text.split())


def _chars4(text: str) -> int:
    return (len(text) + 3) // 4


TOKENIZERS: dict[str, Callable[[], Counter]] = {
    "wordpiece": wordpiece,
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
