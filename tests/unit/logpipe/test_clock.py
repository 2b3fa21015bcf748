"""The cached clock writes exactly what datetime would, for any time, also when seconds repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from logpipe.clock import UtcClock

CLOCK = UtcClock()


def expected(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_any_time(seconds: float) -> None:
    assert CLOCK.iso(seconds) == expected(seconds)
    assert CLOCK.day == expected(seconds)[:10]


@given(st.integers(min_value=0, max_value=999_999))
def test_every_fraction_of_one_second(micros: int) -> None:
    seconds = 1_764_398_940 + micros / 1e6
    assert CLOCK.iso(seconds) == expected(seconds)
