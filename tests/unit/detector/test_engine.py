"""The engine's own bookkeeping: the gates in front of the finders let through everything the finders need."""

from __future__ import annotations

from tests.data.corpora.evaluate import WRITTEN, load


def test_every_prefixed_key_holds_a_key_hint() -> None:
    # find_prefixed_keys reads only words holding one of Text's KEY_HINTS or 34+ characters long: every
    # key-shaped word of every corpus must pass that gate.
    from alerts.patterns import Text
    from alerts.patterns.tokens import _PREFIXED

    texts = [row["text"] for rows in (load(), *map(load, WRITTEN)) for row in rows]
    checked = 0
    for text in texts:
        t = Text(text)
        for lo, hi in t.long_tokens():
            if _PREFIXED.search(text, lo, hi) is not None:
                checked += 1
                assert hi - lo >= 34 or any(lo <= h < hi for h in t.key_hints), text[lo:hi]
    assert checked >= 150


def test_outranking_kinds_follow_the_priorities() -> None:
    from alerts.patterns import PRIORITY
    from alerts.patterns._common import OUTRANKING

    secrets = {"private_key", "jwt", "aws_key", "bearer_key", "api_key"}
    assert secrets == OUTRANKING["bearer_token"]
    assert secrets | {"bearer_token", "password", "iban"} == OUTRANKING["credit_card"]
    assert OUTRANKING["credit_card"] | {"credit_card"} == OUTRANKING["ssn"]
    assert set(PRIORITY) - {"phone", "loose_api_key"} == OUTRANKING["phone"]
