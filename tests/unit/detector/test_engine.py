"""The compiled engine (alerts.native) is the one in use, and it finds exactly what the Python one finds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

import alerts
from alerts import native, python_scan, scan
from alerts.corpus.evaluate import load
from tests.unit.detector.test_properties import TEXT

ROOT = Path(__file__).resolve().parents[3]


def test_the_compiled_engine_is_in_use() -> None:
    # scripts/test builds it; run directly after editing alerts/detector.py or alerts/patterns/, pytest
    # would otherwise measure and ship-test a different engine than the services run.
    assert alerts.ENGINE == "compiled", "the compiled detector is missing or stale: python -m alerts build"
    assert scan is not python_scan
    assert type(scan).__name__ == "builtin_function_or_method"


def test_both_engines_agree_on_the_corpus() -> None:
    texts = [row["text"] for row in load()]
    # Whole messages and every message glued to its neighbours: long texts with findings throughout.
    texts += [" ".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]
    differing = [t for t in texts if scan(t) != python_scan(t)]
    assert differing == []


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_both_engines_agree_on_any_text(text: str) -> None:
    assert scan(text) == python_scan(text)


def test_a_stale_build_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.load() is not None
    # The sources on disk no longer match what was compiled: the engine falls back to Python.
    monkeypatch.setattr(native, "source_hash", lambda: "0" * 64)
    assert native.load() is None


def test_alerts_native_0_forces_python() -> None:
    env = os.environ | {"ALERTS_NATIVE": "0"}
    out = subprocess.run(
        [sys.executable, "-m", "alerts", "engine"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert (out.returncode, out.stdout.strip()) == (1, "python")
    out = subprocess.run([sys.executable, "-m", "alerts", "engine"], cwd=ROOT, capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "compiled")


def test_build_is_a_no_op_when_current() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "alerts", "build"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "compiling" not in out.stderr


def test_every_prefixed_key_holds_a_key_hint() -> None:
    # find_prefixed_keys reads only words holding one of Text's KEY_HINTS or 34+ characters long: every
    # key-shaped word of every corpus must pass that gate.
    from alerts.corpus.evaluate import HELDOUT
    from alerts.patterns import Text
    from alerts.patterns.tokens import _PREFIXED

    texts = [row["text"] for rows in (load(), *map(load, HELDOUT)) for row in rows]
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

    secrets = {"private_key", "jwt", "aws_key", "api_key"}
    assert secrets == OUTRANKING["bearer_token"]
    assert secrets | {"bearer_token", "password", "iban"} == OUTRANKING["credit_card"]
    assert OUTRANKING["credit_card"] | {"credit_card"} == OUTRANKING["ssn"]
    assert set(PRIORITY) - {"phone", "loose_api_key"} == OUTRANKING["phone"]
