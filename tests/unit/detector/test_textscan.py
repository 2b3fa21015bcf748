"""The compiled engine's C passes (alerts/patterns/_textscan.c) answer what their Python versions in
alerts.patterns._text answer (the keyword automaton: what ahocorasick_rs finds), on every corpus text and
on arbitrary Unicode."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from ahocorasick_rs import AhoCorasick
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.corpus.evaluate import HELDOUT, load
from alerts.patterns._common import _shannon_entropy
from alerts.patterns._text import (
    _PLAIN_FORMS,
    _WORD_FLAGS,
    _find_keywords,
    _long_words,
    _numeric_runs,
    lower_same_length,
)
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


KEYWORDS = textscan.keyword_automaton(list(_WORD_FLAGS))


def _c_keywords(low: str) -> list[tuple[int, int, int]]:
    found = textscan.find_keywords(KEYWORDS, low)
    # Promised order: by end, longest first at one end.
    assert found == sorted(found, key=lambda m: (m[2], m[1]))
    return sorted(found)


def _rs_keywords(low: str) -> list[tuple[int, int, int]]:
    return sorted(_find_keywords(low))


@pytest.mark.parametrize(
    ("fast", "reference", "prepare"),
    [
        (textscan.numeric_runs, _numeric_runs, lower_same_length),
        (textscan.long_words, _long_words, str),
        (_c_keywords, _rs_keywords, lower_same_length),
    ],
    ids=["numeric_runs", "long_words", "keywords"],
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


KEYWORD_TEXT = st.lists(
    st.one_of(st.sampled_from(list(_WORD_FLAGS)), EDGES, st.text(max_size=4)), max_size=60
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(KEYWORD_TEXT.map("".join), TEXT, st.text(max_size=200)))
def test_keywords_same_answers_on_any_text(text: str) -> None:
    for low in (text, lower_same_length(text)):
        assert _c_keywords(low) == _rs_keywords(low)


# Any set of words, not only the detector's: the automaton's construction (failure and output links,
# words inside words, characters of every width) is what is tested.
ALPHABET = "abAé电\U0001f600 "
WORDS = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=5), min_size=1, max_size=12, unique=True)


@settings(max_examples=400, deadline=None)
@given(WORDS, st.text(alphabet=ALPHABET + "x", max_size=80))
def test_keyword_automaton_finds_what_ahocorasick_rs_finds(words: list[str], text: str) -> None:
    automaton = textscan.keyword_automaton(words)
    expected = sorted(AhoCorasick(words).find_matches_as_indexes(text, overlapping=True))
    assert sorted(textscan.find_keywords(automaton, text)) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.just("\u0130"), st.text(max_size=8)), max_size=30).map("".join))
def test_lower_same_length_keeps_every_offset(text: str) -> None:
    low = lower_same_length(text)
    assert len(low) == len(text)
    dotted = [i for i, ch in enumerate(text) if ch == "\u0130"]
    assert [i for i, ch in enumerate(low) if ch == "\u0130"] == dotted
    assert low.replace("\u0130", "") == "".join(part.lower() for part in text.split("\u0130"))
    if "\u0130" not in text:
        assert low == text.lower()


def test_shannon_entropy_same_bits_on_every_corpus_word() -> None:
    words = {word for text in _corpus_texts() for word in text.split()}
    assert len(words) > 10_000
    assert [w for w in words if textscan.shannon_entropy(w) != _shannon_entropy(w)] == []


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.text(alphabet="ab", max_size=200),
        st.text(alphabet=st.sampled_from([*"aA0/+=_-", "é", "电", "\U0001f600"]), max_size=160),
    )
)
def test_shannon_entropy_same_bits_on_any_text(value: str) -> None:
    assert textscan.shannon_entropy(value) == _shannon_entropy(value)


def test_plain_forms_maps_every_code_point_as_the_table_does() -> None:
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    assert textscan.plain_forms(every) == every.translate(_PLAIN_FORMS)
    # Narrower when the wide characters were full-width forms (a str is always in its narrowest kind:
    # equality with the expected str checks that too).
    assert textscan.plain_forms("０９０－１２３４") == "090-1234"
    plain = "no forms here, 电话"
    assert textscan.plain_forms(plain) is plain


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        EDGY_TEXT, TEXT, st.text(alphabet=st.sampled_from([*"\u00a0\u202f\u3000＋－．＠（）０９Ａｚ：a1 电"]))
    )
)
def test_plain_forms_same_answers_on_any_text(text: str) -> None:
    assert textscan.plain_forms(text) == text.translate(_PLAIN_FORMS)


def test_wrong_arguments_raise() -> None:
    for function in (
        textscan.numeric_runs,
        textscan.long_words,
        textscan.shannon_entropy,
        textscan.plain_forms,
    ):
        with pytest.raises(TypeError):
            function(b"123456")
        with pytest.raises(TypeError):
            function(None)
    with pytest.raises(TypeError):
        textscan.keyword_automaton(("tuple",))
    with pytest.raises(ValueError, match="non-empty"):
        textscan.keyword_automaton(["ok", ""])
    with pytest.raises(ValueError, match="non-empty"):
        textscan.keyword_automaton(["ok", 7])
    with pytest.raises(TypeError):
        textscan.find_keywords(KEYWORDS, b"bytes")
    with pytest.raises(ValueError):  # not an automaton: the capsule's name is checked
        textscan.find_keywords(object(), "text")
    with pytest.raises(TypeError):
        textscan.find_keywords(KEYWORDS)
