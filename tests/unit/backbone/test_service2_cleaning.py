"""service_2's cleaning, alone."""

from __future__ import annotations

from svc2.cleaning import clean


def test_clean_text_passes_unchanged() -> None:
    out = clean("Hello there.")
    assert (out.clean_text, out.valid, out.checks["changed"]) == ("Hello there.", True, False)


def test_markup_is_stripped_and_script_content_dropped() -> None:
    out = clean("<p>Hi <b>you</b></p><script>alert(1)</script><style>p{}</style> bye")
    assert out.clean_text == "Hi you bye"
    assert out.checks["markup_removed"] == 8  # every tag, opening and closing


def test_unicode_whitespace_and_controls_are_normalised() -> None:
    out = clean("ｆｕｌｌ\u200b  width\x07\n\nline")
    assert out.clean_text == "full width line"
    assert out.checks["unicode_normalized"] and out.checks["whitespace_collapsed"]
    assert out.checks["control_chars_removed"] == 2


def test_entities_are_decoded_but_revealed_secrets_are_masked() -> None:
    out = clean("Tom &amp; Jerry: write to jerry&#64;example.com")
    assert "jerry@example.com" not in out.clean_text
    assert out.clean_text.startswith("Tom & Jerry: write to ")
    assert out.valid is False and out.checks["sensitive_kinds"] == ["email"]


def test_markup_only_is_invalid() -> None:
    out = clean("<img src=x onerror=alert(1)>")
    assert out.clean_text == "" and out.valid is False
