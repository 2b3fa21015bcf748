"""What the detector returns, and the masked form that may travel where the value may not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int
    masked: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "masked": self.masked}


def _mask_part(part: str) -> str:
    return part[:1] + "***" if part else ""


def mask(kind: str, value: str) -> str:
    """A form a person can recognise that never contains the value (nor more than a few of its characters)."""
    if kind == "email" and "@" in value:
        local, _, domain = value.partition("@")
        labels = domain.split(".")
        tld = labels[-1] if len(labels) > 1 and len(labels[-1]) <= 6 else ""
        head = _mask_part(labels[0])
        return f"{_mask_part(local)}@{head}" + (f".{tld}" if tld else "")
    if kind in {"credit_card", "iban", "phone", "ssn"}:
        digits = [c for c in value if c.isalnum()]
        tail = "".join(digits[-4:]) if len(digits) >= 12 else ""
        return "*" * max(len(digits) - len(tail), 4) + tail
    return f"[{kind}:{len(value)} chars]"
