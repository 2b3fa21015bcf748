"""Each step of service_1's request path alone: parse/validate, scan, describe; request ids."""

from __future__ import annotations

import json

import pytest

from svc1.scanning import canonical, describe, scan_message
from svc1.validation import MessageIn, check_content_type, parse_message
from webcore.errors import ApiError, InvalidRequest
from webcore.request_ids import accept_request_id


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_parse_valid_message_defaults_to_async() -> None:
    assert parse_message(body(user="u", text="hi")) == MessageIn("u", "hi", "async")
    assert parse_message(body(user="u", text="hi", mode="sync")).mode == "sync"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe",
        b"{",
        b"null",
        b"[]",
        b'"x"',
        body(user="u"),
        body(text="t"),
        body(user="", text="t"),
        body(user="u", text=""),
        body(user=None, text="t"),
        body(user="u", text=["t"]),
        body(user="u", text="t", mode=None),
        body(user="u", text="t", mode="SYNC"),
        body(user="u" * 65, text="t"),
        body(user="u", text="t" * 4001),
        body(user="u", text="t", other=1),
    ],
)
def test_parse_rejects_with_invalid_request(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_message(raw)
    assert info.value.status == 400 and info.value.code == "invalid_request"


def test_error_details_never_echo_values() -> None:
    secret = "zed@example.com"
    for raw in (body(user="u", text="t", mode=secret), body(user="u", text="t", **{secret: 1})):
        with pytest.raises(InvalidRequest) as info:
            parse_message(raw)
        assert secret not in info.value.detail


def test_limits_are_inclusive() -> None:
    assert parse_message(body(user="u" * 64, text="t" * 4000)).text == "t" * 4000


def test_content_type_must_be_json() -> None:
    check_content_type("application/json")
    with pytest.raises(ApiError) as info:
        check_content_type("text/plain")
    assert (info.value.status, info.value.code) == (415, "unsupported_media_type")


def test_scan_covers_user_and_text_and_describes_without_values() -> None:
    findings = scan_message(MessageIn("ann@example.com", "card 4111111111111111", "async"))
    assert {(f.field, f.kind) for f in findings} == {("user", "email"), ("text", "credit_card")}
    alert_type, description, kinds = describe(findings)
    assert alert_type == "FinancialData"  # the gravest type wins
    assert kinds == ["credit_card", "email"]
    assert "ann@example.com" not in description and "4111" not in description


def test_scan_sees_through_entities_and_full_width_letters() -> None:
    assert canonical("a&#64;b.com") == "a@b.com"
    # An entity only the canonical form resolves; full-width letters the detector reads as written, so
    # the finding's offsets point into the submitted text.
    for text, field in (
        ("mail john&#64;example.com", "text:canonical"),
        ("mail ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "text"),
    ):
        findings = scan_message(MessageIn("u", text, "async"))
        assert [f.kind for f in findings] == ["email"]
        assert findings[0].field == field


def test_clean_message_has_no_findings() -> None:
    assert scan_message(MessageIn("alice", "The parcel arrived on 2024-05-01, order 12345.", "async")) == []


@pytest.mark.parametrize("raw", ["abc", "a" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_safe_request_ids_are_kept(raw: str) -> None:
    assert accept_request_id(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "a" * 65,
        "has space",
        "x<script>",
        "-starts-with-dash",
        "4111111111111111",
        "5551234567",
        "ph-5551234567",
        "secret:Tr0ub4dor-3",
        "a.b",
    ],
)
def test_unsafe_request_ids_are_replaced(raw: str | None) -> None:
    new = accept_request_id(raw)
    assert new != raw and len(new) == 32


@pytest.mark.parametrize(
    "text",
    [
        "john<b></b>@example.com",
        "john\u200b@example.com",
        "john＆#64;example.com",
        "4111\u200b1111\u200b1111\u200b1111",
        "<span>4111</span> 1111 1111 1111",
    ],
)
def test_values_hidden_from_the_raw_scan_are_found_in_canonical_form(text: str) -> None:
    findings = scan_message(MessageIn("u", text, "async"))
    assert findings and findings[0].field == "text:canonical"


def test_canonical_form_is_linear_on_tag_soup() -> None:
    from alerts.canonical import canonicalize

    for soup in ("<a\n" * 1333, "<a " * 1333, "<script>" * 500, "<" * 4000):
        assert len(canonicalize(soup).text) <= len(soup)
