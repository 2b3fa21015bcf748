"""service_1's shortcut for plain text gives exactly the canonical form alerts.canonical would."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from alerts.canonical import canonicalize
from svc1.scanning import canonical

PIECES = [*string.printable, "  ", "<b>", "&amp;", "\u00a0", "\uff21", "\u200b"]
PLAINISH = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(PLAINISH)
def test_the_shortcut_is_the_canonical_form(text: str) -> None:
    assert canonical(text) == canonicalize(text).text


@given(st.text())
def test_any_text(text: str) -> None:
    assert canonical(text) == canonicalize(text).text
