"""Issue 12's rules, on cases of our own: what the detector must and must not find in text it has never
seen (recognizer-style one-liners, multilingual chat)."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


@pytest.mark.parametrize(
    "text",
    [
        "numer zamówienia 412-36-7781 w drodze",
        "sipariş numarası 233-51-9046 gelmedi",
        "注文番号 318-42-6690 の件",
        "주문번호 702-18-3345 확인 부탁",
        "αριθμός παραγγελίας 512-77-1048",
        "mã đơn hàng 236-14-5570",
        "číslo objednávky 615-40-2287",
    ],
)
def test_an_order_number_in_any_language_is_no_ssn(text: str) -> None:
    assert found(text) == []


def test_a_grouped_ssn_without_order_words_is_still_one() -> None:
    assert found("the form asks for 412-36-7781 again") == [("ssn", "412-36-7781")]


@pytest.mark.parametrize(
    "key",
    ["ghp_Q7b2VxkR9mTz4LwN8cYp3HsJ6aFd1EgU0iKo", "xoxb-263849152637-9182736450918-Zq8RmT2vLk9PwX4nYc7bHs3J"],
)
def test_a_provider_key_sent_as_bearer_is_a_bearer_token(key: str) -> None:
    assert found(f"Authorization: Bearer {key}") == [("bearer_token", key)]
    assert found(f"token is {key}") == [("api_key", key)]
