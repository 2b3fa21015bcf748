"""Fixtures shared by every test area: a private Redis for the session, a stack of real processes per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.procs import private_redis
from tests.support.stack import Stack, make_stack


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis of the suite's own: tests never touch the machine's database or its data."""
    with private_redis(tmp_path_factory.mktemp("redis")) as (_, url):
        yield url


@pytest.fixture
def stack(tmp_path: Path, redis_url: str) -> Iterator[Stack]:
    """An unstarted system on free ports with private directories; every process it starts is stopped."""
    s = make_stack(tmp_path, redis_url)
    try:
        yield s
    finally:
        s.stop()
