"""What the detector returns, and the masked form that may travel where the value may not."""

from __future__ import annotations

from typing import NamedTuple

from alerts.masking import mask


class Finding(NamedTuple):
    """One sensitive value: ``text[start:end]`` is the value, ``masked`` a form that never contains it."""

    kind: str
    start: int
    end: int
    masked: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "masked": self.masked}


__all__ = ["Finding", "mask"]
