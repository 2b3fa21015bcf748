"""Validating and cleaning a forwarded message. Pure: text in, clean text and what changed out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts import scan
from alerts.canonical import canonicalize
from webcore.limits import TEXT_MAX


@dataclass
class Cleaned:
    clean_text: str
    valid: bool
    checks: dict[str, Any] = field(default_factory=dict)


def clean(text: str) -> Cleaned:
    canon = canonicalize(text)
    collapsed = canon.text
    # Canonical forms can reveal what the raw text hid (entities, full-width letters): never pass one on.
    findings = scan(collapsed)
    redacted = collapsed
    for f in reversed(findings):
        redacted = redacted[: f.start] + f.masked + redacted[f.end :]
    checks = {
        "unicode_normalized": canon.unicode_normalized,
        "markup_removed": canon.markup_removed,
        "control_chars_removed": canon.control_chars_removed,
        "whitespace_collapsed": canon.whitespace_collapsed,
        "sensitive_kinds": sorted({f.kind for f in findings}),
        "length": len(redacted),
        "changed": redacted != text,
    }
    valid = bool(redacted) and len(redacted) <= TEXT_MAX and not findings
    return Cleaned(clean_text=redacted, valid=valid, checks=checks)
