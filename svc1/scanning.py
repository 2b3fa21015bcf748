"""Scanning a message for sensitive data. Pure: no I/O.

The text is scanned as written and, when it differs, in canonical form (``alerts.canonical``: the form
service_2 cleans into), so a value hidden by entities, markup, invisible or full-width characters would
otherwise come out of service_2 readable. Canonical findings' offsets are into the canonical text.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts import Finding, alert_type_for, scan
from alerts.canonical import canonicalize
from svc1.validation import MessageIn


@dataclass(frozen=True, slots=True)
class FieldFinding:
    field: str
    finding: Finding

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, **self.finding.as_dict()}


def canonical(text: str) -> str:
    if text.isascii() and text.isprintable() and "<" not in text and "&" not in text:
        # Printable ASCII without markup or entities: NFKC, tag removal and unescaping change nothing and
        # there is no invisible character, so the canonical form is the text with its spaces collapsed.
        return " ".join(text.split())
    return canonicalize(text).text


def scan_field(name: str, value: str) -> list[FieldFinding]:
    found = [FieldFinding(name, f) for f in scan(value)]
    if not found:
        normal = canonical(value)
        if normal != value.strip():
            found = [FieldFinding(f"{name}:canonical", f) for f in scan(normal)]
    return found


def scan_message(message: MessageIn) -> list[FieldFinding]:
    return scan_field("user", message.user) + scan_field("text", message.text)


def describe(findings: list[FieldFinding]) -> tuple[str, str, list[str]]:
    """The alert's type, a short description and the kinds found — words and counts only."""
    kinds = sorted({f.finding.kind for f in findings})
    fields = sorted({f.field.split(":")[0] for f in findings})
    alert_type = alert_type_for(kinds)
    description = f"{len(findings)} sensitive value(s) in {' and '.join(fields)}: {', '.join(kinds)}"
    return alert_type, description, kinds
