"""When a worker announces ``processing``: only while its analyses are slow enough for a client to see it."""

from __future__ import annotations

import dataclasses

import pytest

from celery_app import tasks
from celery_app.celery import settings


def test_fast_analyses_are_not_announced_and_slow_ones_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "settings", dataclasses.replace(settings, extra_cost_ms=0.0))
    pace = tasks.Pace()
    assert not pace.announces()
    pace.last_ms = 0.3
    assert not pace.announces()
    pace.last_ms = tasks.Pace.VISIBLE_MS
    assert pace.announces()
    pace.last_ms = 0.3
    assert not pace.announces()


def test_a_configured_extra_cost_is_always_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "settings", dataclasses.replace(settings, extra_cost_ms=50.0))
    assert tasks.Pace().announces()
