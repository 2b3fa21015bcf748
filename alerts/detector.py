"""First detector: email, password phrases and Luhn-valid card numbers.

Pure: text in, findings out; patterns compiled once at import; thread-safe.
"""

from __future__ import annotations

import re

from alerts.findings import Finding, mask

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_PASSWORD = re.compile(
    r"(?i)\b(?:password|passwd|pwd|pass)\b(?:\s+is)?\s*[:=]?\s*(?P<value>[^\s\"',;]{4,128})"
)
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PLACEHOLDERS = {"is", "was", "reset", "forgot"}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def scan(text: str) -> list[Finding]:
    findings: list[Finding] = []
    for m in _EMAIL.finditer(text):
        findings.append(Finding("email", m.start(), m.end(), mask("email", m.group())))
    for m in _PASSWORD.finditer(text):
        value = m.group("value")
        if value.lower() in _PLACEHOLDERS or set(value) <= {"*"}:
            continue
        findings.append(Finding("password", m.start("value"), m.end("value"), mask("password", value)))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            findings.append(Finding("credit_card", m.start(), m.end(), mask("credit_card", m.group())))
    findings.sort(key=lambda f: (f.start, f.end))
    return findings
