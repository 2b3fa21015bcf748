"""The sensitive-data detector: ``scan(text)`` returns every finding, sorted by start.

Pure: text in, findings out. Patterns are compiled once at import and hold no state, so ``scan`` is
thread-safe. Every pattern is written so that its cost is linear in the text (bounded quantifiers and
lookbehinds that pin attempts to token starts); tests/unit/detector/test_linear_time.py holds it to that.
"""

from __future__ import annotations

import re

from alerts.findings import Finding, mask
from alerts.patterns import DIGIT_FINDERS, PRIORITY, PUBLIC_KIND, TEXT_FINDERS, Hit

_DIGIT = re.compile(r"\d")


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Keeps the most specific of overlapping hits (then the longest); disjoint hits all stay."""
    if len(hits) < 2:
        return hits
    ranked = sorted(set(hits), key=lambda h: (PRIORITY[h.kind], h.start - h.end, h.start))
    kept: list[Hit] = []
    for hit in ranked:
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return kept


def scan(text: str) -> list[Finding]:
    hits: list[Hit] = []
    for finder in TEXT_FINDERS:
        hits.extend(finder(text))
    if _DIGIT.search(text) is not None:
        for finder in DIGIT_FINDERS:
            hits.extend(finder(text))
    kept = _resolve([h for h in hits if h.end > h.start])
    kept.sort(key=lambda h: (h.start, h.end))
    findings = []
    for h in kept:
        kind = PUBLIC_KIND[h.kind]
        findings.append(Finding(kind, h.start, h.end, mask(kind, text[h.start : h.end])))
    return findings
