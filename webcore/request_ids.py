"""Request ids: the caller's ``X-Request-ID`` when it is short, plain and holds nothing sensitive, a fresh
one otherwise. The id goes into every log line of every process, the broker's headers and the responses."""

from __future__ import annotations

import re

from alerts import scan
from webcore.ids import fresh_id

HEADER = "X-Request-ID"
MAX_LENGTH = 64
_SAFE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_LENGTH - 1}}}")
_SEPARATORS = re.compile(r"[-_]+")
# A digit run is looked at alone too, so a card number glued to hex letters is seen (7: the shortest
# number the vocabulary names); card numbers are 12 to 19 digits.
_DIGIT_RUN = re.compile(r"\d{7,}")
_CARD_MIN, _CARD_MAX = 12, 19
# Digits grouped by separators (``415-555-2671_aa00``), looked at without the letters around them when
# they are at least as many as an SSN's or a phone number's with its area code (a UUID's ``4351-8619``
# alone reads as a local phone number, in the UUID as none).
_GROUPED_MIN = 9
_DIGIT_GROUPS = re.compile(r"(?<![A-Za-z0-9])\d+(?:[-_]+\d+)+(?![A-Za-z0-9])")
# A number standing on its own this long (not part of a token of letters and digits) can be a phone,
# account or id number the detector only names with context around it: kept out of the logs regardless.
_LONE_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d{9,}(?![A-Za-z0-9])")


def new_request_id() -> str:
    return fresh_id()


def holds_sensitive(raw: str) -> bool:
    """Whether an id holds anything the detector finds, whatever its shape: the id as written, with its
    separators as spaces (``4111-1111-1111-1111``), its groups of digits alone (the phone number in
    ``415-555-2671_aa00``), each of its digit runs alone (the card number in
    ``4194154635683363abcdefabcdefabcd``) and every card-sized stretch of a longer run; or a long number
    standing on its own."""
    if _LONE_NUMBER.search(raw):
        return True
    views = dict.fromkeys((raw, _SEPARATORS.sub(" ", raw)))
    for group in _DIGIT_GROUPS.findall(raw):
        if sum(c.isdigit() for c in group) >= _GROUPED_MIN:
            views[group] = views[_SEPARATORS.sub(" ", group)] = None
    for run in _DIGIT_RUN.findall(raw):
        if len(run) > _CARD_MAX:
            return True  # longer than any number the vocabulary names: no random id has one
        views[run] = None
        # A card number inside a longer run of digits (hex digits before or after it).
        for size in range(_CARD_MIN, min(_CARD_MAX, len(run) - 1) + 1):
            for start in range(len(run) - size + 1):
                views[run[start : start + size]] = None
    return any(scan(view) for view in views)


def accept_request_id(raw: str | None) -> str:
    """The id to use for a request. Anything long, odd or holding sensitive data is replaced, never
    refused: the request itself is fine, only its id is not."""
    if not raw or not _SAFE.fullmatch(raw) or holds_sensitive(raw):
        return new_request_id()
    return raw
