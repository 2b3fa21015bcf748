"""What the detector returns, and the masked form that may travel where the value may not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from alerts.masking import mask


class Finding(NamedTuple):
    """One sensitive value: ``text[start:end]`` is the value, ``masked`` a form that never contains it."""

    kind: str
    start: int
    end: int
    masked: str
    # Where a caller that scans several fields found it ("text", "user:canonical"); the offsets are into it.
    field: str | None = None

    def in_field(self, field: str) -> Finding:
        return self._replace(field=field)

    def as_dict(self) -> dict[str, object]:
        """The report's (and the log line's) form: kind, offsets, masked value, and the field when known."""
        out: dict[str, object] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "masked": self.masked,
        }
        if self.field is not None:
            out["field"] = self.field
        return out


def kinds_of(findings: Iterable[Finding]) -> list[str]:
    """The kinds found, each once, sorted: an alert's ``kinds``."""
    return sorted({f.kind for f in findings})


__all__ = ["Finding", "kinds_of", "mask"]
