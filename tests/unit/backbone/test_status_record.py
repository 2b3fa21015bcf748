"""The status record every process reads and writes (celery_app.shared): what goes in comes out."""

from __future__ import annotations

import json

import pytest

from celery_app.shared import decode_status, encode_status


@pytest.mark.parametrize(
    "result",
    [None, {"language": "en", "keywords": ["a", "b"]}, {"text": "lone \ud800 surrogate", "n": 2**70}],
    ids=["none", "plain", "surrogate-and-bigint"],
)
def test_a_status_record_reads_back_as_written(result: dict[str, object] | None) -> None:
    raw = encode_status("done", result)
    record = decode_status(raw)
    assert record is not None
    assert (record["status"], record["result"]) == ("done", result)
    assert json.loads(raw)["status"] == "done"
    # Redis hands the value back as bytes.
    assert decode_status(raw.encode()) == record


def test_nothing_stored_reads_as_none() -> None:
    assert decode_status(None) is None
