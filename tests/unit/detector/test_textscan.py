"""The compiled engine's C passes (alerts/patterns/_textscan.c) answer what their Python versions in
alerts.patterns._text answer, on every corpus text and on arbitrary Unicode."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.corpus.evaluate import HELDOUT, load
from alerts.patterns._text import _long_words, _numeric_runs, lower_same_length
from tests.unit.detector.test_properties import TEXT

# Built with the compiled engine by python -m alerts build (scripts/test runs it): missing, this fails.
textscan = importlib.import_module("alerts_native.patterns._textscan")

# Characters where the two passes decide something: digits of every listed script and one just outside
# each range, the separators, word characters of spaced and spaceless scripts, "_", and whitespace of
# every kind str.split knows.
EDGES = st.sampled_from(
    [
        *"0123456789 -.()_\u00a0aZé\t\n\r\x0b\x0c\x1c\u2028\u3000\u200b",
        *("\u0660", "\u0669", "\u066a", "\u06f0", "\u06f9", "\u0966", "\u096f", "\u09e6", "\u09ef"),
        *("\u0e50", "\u0e59", "\u0e00", "\u0dff", "\u0eff", "\u0f00", "\u1000", "\u17ff", "\u2e7f"),
        *("\u2e80", "\ufaff", "\ufb00", "\ufe30", "\ufe4f", "\uff10", "\uff19", "\uff1a", "\uffef"),
        *("\ufff0", "\U0001ffff", "\U00020000", "\U0003ffff", "\U00040000", "ก", "电", "ä", "İ", "٣"),
    ]
)
EDGY_TEXT = st.lists(st.one_of(EDGES, st.text(max_size=6)), max_size=120).map("".join)


def _corpus_texts() -> list[str]:
    texts = [row["text"] for path in (None, *HELDOUT) for row in (load() if path is None else load(path))]
    return texts + [" ".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]


@pytest.mark.parametrize(
    ("fast", "reference", "prepare"),
    [
        (textscan.numeric_runs, _numeric_runs, lower_same_length),
        (textscan.long_words, _long_words, str),
    ],
    ids=["numeric_runs", "long_words"],
)
def test_same_answers_on_every_corpus(
    fast: Callable[[str], object], reference: Callable[[str], object], prepare: Callable[[str], str]
) -> None:
    texts = [prepare(t) for t in _corpus_texts()]
    assert [t for t in texts if fast(t) != reference(t)] == []


@settings(max_examples=400, deadline=None)
@given(st.one_of(EDGY_TEXT, TEXT, st.text(max_size=200)))
def test_numeric_runs_same_answers_on_any_text(text: str) -> None:
    for low in (text, lower_same_length(text)):
        assert textscan.numeric_runs(low) == _numeric_runs(low)


@settings(max_examples=400, deadline=None)
@given(st.one_of(EDGY_TEXT, TEXT, st.text(max_size=200)))
def test_long_words_same_answers_on_any_text(text: str) -> None:
    assert textscan.long_words(text) == _long_words(text)


def test_wrong_argument_types_raise_type_error() -> None:
    for function in (textscan.numeric_runs, textscan.long_words):
        with pytest.raises(TypeError):
            function(b"123456")
        with pytest.raises(TypeError):
            function(None)
