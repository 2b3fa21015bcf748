"""Properties over arbitrary input: offsets valid, masks never hold the value, no crash on any Unicode."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import KIND_TO_TYPE, mask, scan

SETTINGS = settings(max_examples=200, deadline=None)

# Text that mixes arbitrary Unicode with the fragments detectors key on, so properties are exercised on
# real findings and near misses rather than only on noise.
FRAGMENTS = st.sampled_from(
    [
        "@",
        ".",
        " at ",
        " dot ",
        "password: ",
        "Bearer ",
        "4111 1111 1111 1111",
        "+49 30 1234567",
        "eyJ",
        "-----BEGIN RSA PRIVATE KEY-----",
        "\\n",
        "AKIA",
        "ghp_",
        "sk-",
        "DE89 3704 0044 0532 0130 00",
        "123-45-6789",
        "192.168.0.1",
        "::",
        "://u:",
        "İ",
        "ß",
        "😀",
        "\u0000",
        "\n",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=30), FRAGMENTS), max_size=25).map("".join)


@SETTINGS
@given(TEXT)
def test_offsets_valid_sorted_and_disjoint(text: str) -> None:
    findings = scan(text)
    previous_end = 0
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.start >= previous_end
        assert f.kind in KIND_TO_TYPE
        previous_end = f.end


@SETTINGS
@given(TEXT)
def test_masked_form_never_contains_the_value(text: str) -> None:
    for f in scan(text):
        assert text[f.start : f.end] not in f.masked


@SETTINGS
@given(st.sampled_from(sorted(KIND_TO_TYPE)), st.text(min_size=1, max_size=80))
def test_mask_of_any_value_never_contains_it(kind: str, value: str) -> None:
    assert value not in mask(kind, value)


@SETTINGS
@given(st.text(max_size=500))
def test_no_crash_on_any_unicode(text: str) -> None:
    assert isinstance(scan(text), list)


@SETTINGS
@given(TEXT)
def test_pure_and_deterministic(text: str) -> None:
    assert scan(text) == scan(text)


# Any code point at all: lone surrogates included ("\ud800" is valid in a Python str and in JSON, not in
# UTF-8), control characters, unassigned ones, the astral planes.
ANY_CODE_POINT = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
ANY_TEXT = st.lists(
    st.one_of(st.text(ANY_CODE_POINT, max_size=20), FRAGMENTS, st.sampled_from(["\ud800", "\udfff"])),
    max_size=25,
).map("".join)


@SETTINGS
@given(ANY_TEXT)
def test_any_code_point_including_lone_surrogates(text: str) -> None:
    findings = scan(text)
    previous_end = 0
    for f in findings:
        assert previous_end <= f.start < f.end <= len(text)
        assert text[f.start : f.end] not in f.masked
        previous_end = f.end


def test_a_lone_surrogate_moves_no_offset() -> None:
    # The surrogate before the value is read as one character, so the password's span is where it is.
    text = "\ud800 password: Hx7!kq29Lm \udc00 mail ann@example.com"
    spans = [(f.kind, text[f.start : f.end]) for f in scan(text)]
    assert spans == [("password", "Hx7!kq29Lm"), ("email", "ann@example.com")]
