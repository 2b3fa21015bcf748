"""UTC ISO 8601 times to the millisecond, as every JSON line of ours writes them, cheaply.

Formatting a datetime per record costs more than the rest of a record's rendering; the date and time to
the second change once a second, so they are formatted then and the milliseconds appended.
"""

from __future__ import annotations

from datetime import UTC, datetime

# ".000Z" … ".999Z": a format spec per record cost more than the rest of the time's arithmetic.
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


class UtcClock:
    def __init__(self) -> None:
        # One tuple, replaced whole: threads that share a clock never see one second's date with
        # another's time.
        self._cached: tuple[int, str, str] = (-1, "", "")

    @property
    def day(self) -> str:
        """The UTC day (``2026-12-02``) of the last time formatted."""
        return self._cached[2]

    def iso(self, seconds: float) -> str:
        """``2026-12-02T13:49:04.374Z``: the same text as ``datetime.isoformat(timespec="milliseconds")``
        of ``datetime.fromtimestamp(seconds, UTC)`` (microseconds rounded, then cut to milliseconds)."""
        whole = int(seconds // 1)
        micros = round((seconds - whole) * 1e6)
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        cached = self._cached
        if cached[0] != whole:
            when = datetime.fromtimestamp(whole, UTC)
            cached = (whole, when.strftime("%Y-%m-%dT%H:%M:%S"), when.strftime("%Y-%m-%d"))
            self._cached = cached
        return cached[1] + _MILLIS[micros // 1000]
