"""alerts.patterns._phonemeta.is_valid answers exactly what phonenumbers.is_valid_number answers."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.patterns._phonemeta import _digits_only, is_valid, parse_plus

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
# phonenumbers' example number of every number type of every region.
EXAMPLES = [
    example
    for region in REGIONS
    for kind in range(12)
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
]


def reference(country_code: int, nsn: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(nsn))
    if nsn.startswith("0"):
        number.italian_leading_zero = True
        number.number_of_leading_zeros = len(nsn) - len(nsn.lstrip("0"))
    return phonenumbers.is_valid_number(number)


def test_every_example_number_of_every_region_and_type() -> None:
    assert len(EXAMPLES) > 1000
    for example in EXAMPLES:
        nsn = phonenumbers.national_significant_number(example)
        assert is_valid(example.country_code, nsn) == phonenumbers.is_valid_number(example), nsn


@pytest.mark.parametrize("country_code", COUNTRY_CODES)
def test_random_numbers_of_each_country_code(country_code: int) -> None:
    rnd = random.Random(country_code)
    for _ in range(300):
        length = rnd.randint(4, 14)
        nsn = str(rnd.randint(10 ** (length - 1), 10**length - 1))
        if rnd.random() < 0.2:
            nsn = "0" + nsn[1:]
        assert is_valid(country_code, nsn) == reference(country_code, nsn), nsn


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([*COUNTRY_CODES, 0, 999]), st.from_regex(r"[1-9][0-9]{3,15}", fullmatch=True))
def test_any_number(country_code: int, nsn: str) -> None:
    assert is_valid(country_code, nsn) == reference(country_code, nsn)


def parsed_by_phonenumbers(candidate: str) -> tuple[int, str] | None:
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    return number.country_code, phonenumbers.national_significant_number(number)


def test_parse_plus_on_every_example_in_every_format() -> None:
    formats = phonenumbers.PhoneNumberFormat
    for example in EXAMPLES:
        national = phonenumbers.format_number(example, formats.NATIONAL)
        cc = f"+{example.country_code} "
        candidates = (
            phonenumbers.format_number(example, formats.E164),
            phonenumbers.format_number(example, formats.INTERNATIONAL),
            cc + national,
            cc + "(0) " + national.lstrip("0"),
            cc + national.replace(" ", "-"),
        )
        for candidate in candidates:
            assert parse_plus(candidate) == parsed_by_phonenumbers(candidate), candidate


@settings(max_examples=1000, deadline=None)
@given(st.from_regex(r"\+[0-9][0-9 \-.()]{0,24}[0-9]", fullmatch=True))
def test_parse_plus_on_any_candidate(candidate: str) -> None:
    assert parse_plus(candidate) == parsed_by_phonenumbers(candidate)


@pytest.mark.parametrize("country_code", COUNTRY_CODES)
def test_parse_plus_on_random_numbers(country_code: int) -> None:
    rnd = random.Random(-country_code)
    for _ in range(100):
        rest = str(rnd.randint(0, 10 ** rnd.randint(1, 14)))
        if rnd.random() < 0.3:
            rest = "0" + rest
        candidate = f"+{country_code} {rest}"
        assert parse_plus(candidate) == parsed_by_phonenumbers(candidate), candidate


# Digits of many scripts, superscripts and other characters with a digit value, separators, letters.
DIGIT_TEXT = st.text(alphabet=st.sampled_from([*"+0123456789 -.()aZ\u00a0²³¹⁴①٣۴६০๕１９𝟗"]) | st.characters())


@settings(max_examples=500, deadline=None)
@given(DIGIT_TEXT)
def test_digits_only_is_phonenumbers_normalize_digits_only(text: str) -> None:
    assert _digits_only(text) == phonenumbers.normalize_digits_only(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[0-9٠-٩０-９][0-9٠-٩０-９ \-.()]{0,24}[0-9٠-٩０-９]", fullmatch=True))
def test_parse_plus_on_candidates_in_other_digits(candidate: str) -> None:
    assert parse_plus(candidate) == parsed_by_phonenumbers(candidate)
