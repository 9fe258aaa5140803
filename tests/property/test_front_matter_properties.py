"""Properties of front matter parsing (replaylab.stack.front_matter).

Whatever the title, source, date and body, front matter written by a YAML library reads back as
the same values and the body comes back byte for byte, front matter cut; a text that does not
open with `---` is never touched; a field mapping never invents or loses a value.
"""

from __future__ import annotations

from datetime import date

import yaml
from hypothesis import given
from hypothesis import strategies as st

from replaylab.stack.front_matter import rename_fields, split_front_matter

TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(lambda s: s.strip() == s and s)
BODY = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)


@given(title=TEXT, source=TEXT, when=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), body=BODY)
def test_written_front_matter_reads_back_and_the_body_is_untouched(title: str, source: str, when: date, body: str) -> None:
    meta = {"title": title, "source": source, "ingested_at": when}
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    got, rest = split_front_matter(text, where="x.md")
    assert got == meta
    assert rest == body


@given(body=BODY)
def test_a_text_without_an_opening_fence_is_returned_as_is(body: str) -> None:
    if body.startswith("---") or body.startswith("\ufeff---"):
        body = "x" + body
    assert split_front_matter(body, where="x.md") == ({}, body)


@given(
    row=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(), max_size=4),
    fields=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["title", "text", None]), max_size=4),
)
def test_a_mapping_renames_or_drops_but_never_invents_a_value(row: dict[str, int], fields: dict[str, str | None]) -> None:
    out = rename_fields(row, fields)
    kept = [k for k in row if fields.get(k, k) is not None]
    assert len(out) <= len(kept)
    assert set(out.values()) <= set(row.values())
    for k in kept:
        assert fields.get(k, k) in out
