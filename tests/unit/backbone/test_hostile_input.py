"""Hostile input, one step alone: JSON bodies built to crash a parser, request ids built to smuggle data,
and the OpenAPI documents' rules against the validators' own."""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alerts import scan
from svc1.openapi import SPEC as SVC1_SPEC
from svc1.validation import NOT_BLANK_PATTERN, WHITESPACE, parse_message
from svc2.views import parse as svc2_parse
from webcore.errors import InvalidRequest
from webcore.jsonbody import parse_json
from webcore.protocol import describe
from webcore.request_ids import accept_request_id, holds_sensitive

HOSTILE_BODIES = [
    b"[" * 30_000,
    b'{"a":' * 10_000,
    b"1" * 60_000,
    b'{"user": "u", "text": ' + b"1" * 5_000 + b"}",
    b'{"user": "u", "text": "hi", "mode": ' + b"[" * 20_000 + b"}",
    b'{"user": "u", "text": -' + b"9" * 4_301 + b"}",
    b'{"user": "u", "text": "\\ud800"}',
    b'{"user": "\\udfff", "text": "hi"}',
    b'{"user": "u", "text": "a\\ud83d"}',
    b'{"user": "u", "text": 1e999999}',
    b'{"user": "u", "text": NaN}',
    b'{"user": "u", "text": "hi"} trailing',
    b"\xef\xbb\xbf{}",
    b"\x00" * 100,
]


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_bodies_are_invalid_requests_for_both_services(body: bytes) -> None:
    for parse in (parse_message, svc2_parse):
        with pytest.raises(InvalidRequest) as info:
            parse(body)
        assert info.value.status == 400
        assert "ud800" not in info.value.detail and "1111" not in info.value.detail


@given(st.binary(max_size=2_000))
def test_parse_json_raises_nothing_but_invalid_request(body: bytes) -> None:
    try:
        parse_json(body)
    except InvalidRequest:
        pass


def test_surrogate_pairs_are_text_lone_surrogates_are_not() -> None:
    assert parse_message(b'{"user": "\\ud83d\\ude00", "text": "hi"}').user == "\U0001f600"
    with pytest.raises(InvalidRequest, match="surrogate"):
        parse_message(b'{"user": "u", "text": "\\ude00\\ud83d"}')


def test_whitespace_is_what_str_isspace_calls_whitespace() -> None:
    everything = (chr(c) for c in range(0x110000))
    assert set(WHITESPACE) == {c for c in everything if c.isspace()}


@pytest.mark.parametrize("char", [*WHITESPACE, "\u200b", "\ufeff", "\u180e", "x"])
def test_the_documents_pattern_refuses_exactly_what_the_service_refuses(char: str) -> None:
    value = char * 3
    schema_ok = re.search(NOT_BLANK_PATTERN, value) is not None
    try:
        parse_message(json.dumps({"user": value, "text": value}).encode())
        service_ok = True
    except InvalidRequest:
        service_ok = False
    assert schema_ok == service_ok
    user = SVC1_SPEC["components"]["schemas"]["MessageIn"]["properties"]["user"]
    assert user["pattern"] == NOT_BLANK_PATTERN


def test_malformed_http_details_never_quote_the_request() -> None:
    from aiohttp import http_exceptions

    canary = "carl@example.org"
    for exc in (
        http_exceptions.BadStatusLine(canary),
        http_exceptions.LineTooLong(canary, "8190"),
        http_exceptions.InvalidHeader(canary),
        http_exceptions.BadHttpMessage(canary),
        http_exceptions.InvalidURLError(canary),
        ValueError(canary),
        None,
    ):
        assert canary not in describe(exc)


# ------------------------------------------------------------------------------------------ request ids


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


cards = st.builds(
    lambda prefix, rest: _luhn_complete((prefix + rest)[:15]),
    st.sampled_from(["4", "51", "52", "53", "54", "55", "6011"]),
    st.text("0123456789", min_size=14, max_size=14),
)
hex_letters = st.text("abcdef", min_size=1, max_size=8)
hex_tail = st.text("0123456789abcdef", min_size=0, max_size=12)


def _grouped(card: str) -> str:
    return "-".join(card[i : i + 4] for i in range(0, len(card), 4))


seeds = st.one_of(
    cards,
    cards.map(_grouped),
    st.sampled_from(
        [
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "xoxb-123456789012-abcdefABCDEF",
            "536-22-4567",
            "415-555-2671",
        ]
    ),
)


@st.composite
def ids_holding_something(draw: st.DrawFn) -> tuple[str, str]:
    """(id, the sensitive value in it) in the shapes an id takes: alone, glued to hex letters (a digit seed
    followed or preceded by hex, as in ``4194154635683363abcdef…``), between separators, in a UUID layout."""
    seed = draw(seeds)
    assume(scan(seed))
    letters = draw(hex_letters)
    shapes = [seed, f"req-{seed}", f"{seed}_{letters}{draw(hex_tail)}", f"x-{seed}-{letters}"]
    if seed.isdigit():
        lead = draw(st.text("0123456789abcdef", max_size=6)) + draw(hex_letters)
        shapes += [seed + draw(hex_letters) + draw(hex_tail), lead + seed + draw(hex_letters)]
        # The UUID layout 8-4-4-4-12 over the digits and hex letters after them.
        flat = (seed + draw(st.text("abcdef", min_size=32, max_size=32)))[:32]
        shapes.append(f"{flat[:8]}-{flat[8:12]}-{flat[12:16]}-{flat[16:20]}-{flat[20:]}")
    shape = draw(st.sampled_from([s for s in shapes if len(s) <= 64]))
    return shape, seed


@settings(max_examples=400, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(ids_holding_something())
def test_no_request_id_holding_what_the_detector_finds_is_kept(case: tuple[str, str]) -> None:
    raw, _ = case
    assert holds_sensitive(raw)
    new = accept_request_id(raw)
    assert new != raw and re.fullmatch(r"[0-9a-f]{32}", new)


@settings(max_examples=300)
@given(st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=64))
def test_a_kept_request_id_shows_the_detector_nothing(raw: str) -> None:
    kept = accept_request_id(raw) == raw
    if kept:
        for view in (raw, re.sub(r"[-_]+", " ", raw), *re.findall(r"\d+", raw)):
            assert scan(view) == []
        assert not re.search(r"\d{20,}", raw)


def test_the_issues_id_and_its_cousins_are_replaced() -> None:
    for raw in (
        "4194154635683363abcdefabcdefabcd",
        "41941546-3568-3363-abcd-efabcdefabcd",
        "abc04194154635683363def",
        "user-4155552671",
        "trace_4111-1111-1111-1111",
    ):
        assert accept_request_id(raw) != raw
