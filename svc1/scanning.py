"""Scanning a message for sensitive data. Pure: no I/O.

The text is scanned as written and, when it differs, in canonical form (``alerts.canonical``: the form
service_2 cleans into), so a value hidden by entities, markup, invisible or full-width characters would
otherwise come out of service_2 readable. Canonical findings' offsets are into the canonical text.
"""

from __future__ import annotations

from alerts import Finding, alert_type_for, scan
from alerts.canonical import canonicalize
from alerts.findings import kinds_of
from svc1.validation import MessageIn


def canonical(text: str) -> str:
    if text.isascii() and text.isprintable() and "<" not in text and "&" not in text:
        # Printable ASCII without markup or entities: NFKC, tag removal and unescaping change nothing and
        # there is no invisible character, so the canonical form is the text with its spaces collapsed.
        return " ".join(text.split())
    return canonicalize(text).text


def scan_field(name: str, value: str) -> list[Finding]:
    found = [f.in_field(name) for f in scan(value)]
    if not found:
        normal = canonical(value)
        if normal != value.strip():
            found = [f.in_field(f"{name}:canonical") for f in scan(normal)]
    return found


def scan_message(message: MessageIn) -> list[Finding]:
    return scan_field("user", message.user) + scan_field("text", message.text)


def describe(findings: list[Finding]) -> tuple[str, str, list[str]]:
    """The alert's type, a short description and the kinds found — words and counts only."""
    kinds = kinds_of(findings)
    fields = sorted({(f.field or "text").split(":")[0] for f in findings})
    alert_type = alert_type_for(kinds)
    description = f"{len(findings)} sensitive value(s) in {' and '.join(fields)}: {', '.join(kinds)}"
    return alert_type, description, kinds
