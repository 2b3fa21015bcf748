"""``phonenumbers.is_valid_number``, answered from the same metadata in a fraction of the time.

phonenumbers decides validity by matching the national significant number against the region's general
pattern and then each number type's pattern, one helper call and one compiled-pattern lookup at a time, and
``is_valid_number`` does it twice (once to pick the region, once to validate). Here each region's patterns
are compiled once into a list, and the same rules run in one pass: the same answers (tests hold the two
together on every region's example numbers and on random numbers), at a few µs instead of 10-25.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers

# The number types is_valid_number accepts (phonenumberutil._number_type_helper: anything but UNKNOWN).
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

_Desc = tuple[frozenset[int], re.Pattern[str]]


class _Region:
    __slots__ = ("general", "leading_digits", "types")

    def __init__(
        self, general: _Desc | None, types: list[_Desc], leading_digits: re.Pattern[str] | None
    ) -> None:
        self.general = general
        self.types = types
        self.leading_digits = leading_digits


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(nsn: str, desc: _Desc | None) -> bool:
    # phonenumberutil._is_number_matching_desc: the length first (when lengths are given), then the whole
    # number against the pattern.
    if desc is None:
        return False
    lengths, pattern = desc
    if lengths and len(nsn) not in lengths:
        return False
    return pattern.fullmatch(nsn) is not None


@cache
def _region(country_code: int, region_code: str) -> _Region | None:
    meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region_code)
    if meta is None:
        return None
    types = [d for d in (_desc(getattr(meta, name)) for name in _TYPES) if d is not None]
    leading = re.compile(meta.leading_digits) if meta.leading_digits is not None else None
    return _Region(_desc(meta.general_desc), types, leading)


def _known_type(nsn: str, region: _Region) -> bool:
    if not _matches(nsn, region.general):
        return False
    return any(_matches(nsn, desc) for desc in region.types)


def is_valid(country_code: int, nsn: str) -> bool:
    """``phonenumbers.is_valid_number`` of the number with this country code and national significant
    number (leading zeros included, as phonenumbers.national_significant_number gives it)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return False
    chosen: _Region | None = None
    if len(regions) == 1:
        chosen = _region(country_code, regions[0])
    else:
        # phonenumberutil._region_code_for_number_from_list: the first region whose leading digits match,
        # or (for a region without them) whose patterns know the number.
        for code in regions:
            region = _region(country_code, code)
            if region is None:
                continue
            if region.leading_digits is not None:
                if region.leading_digits.match(nsn) is not None:
                    chosen = region
                    break
            elif _known_type(nsn, region):
                chosen = region
                break
    return chosen is not None and _known_type(nsn, chosen)
