"""Validating and cleaning a forwarded message. Pure: text in, clean text and what changed out."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from alerts import scan

TEXT_MAX = 4000
_SPACES = re.compile(r"\s+")
_TAG_HINT = re.compile(r"<[A-Za-z!/?]")
# Contents of these elements are code or styling, never message text.
_DROP_CONTENT = {"script", "style", "template", "iframe", "object", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags = 0
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if tag in _DROP_CONTENT:
            self._dropping += 1
        elif tag in {"br", "p", "div", "li", "tr"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT and self._dropping:
            self._dropping -= 1

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def strip_markup(text: str) -> tuple[str, int]:
    if not _TAG_HINT.search(text):
        return html.unescape(text), 0
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts), parser.tags


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\t\n\r "


@dataclass
class Cleaned:
    clean_text: str
    valid: bool
    checks: dict[str, Any] = field(default_factory=dict)


def clean(text: str) -> Cleaned:
    normalized = unicodedata.normalize("NFKC", text)
    without_markup, tags = strip_markup(normalized)
    controls = sum(1 for ch in without_markup if _is_control(ch))
    visible = "".join(ch for ch in without_markup if not _is_control(ch)) if controls else without_markup
    collapsed = _SPACES.sub(" ", visible).strip()
    # Canonical forms can reveal what the raw text hid (entities, full-width letters): never pass one on.
    findings = scan(collapsed)
    redacted = collapsed
    for f in reversed(findings):
        redacted = redacted[: f.start] + f.masked + redacted[f.end :]
    checks = {
        "unicode_normalized": normalized != text,
        "markup_removed": tags,
        "control_chars_removed": controls,
        "whitespace_collapsed": collapsed != visible,
        "sensitive_kinds": sorted({f.kind for f in findings}),
        "length": len(redacted),
        "changed": redacted != text,
    }
    valid = bool(redacted) and len(redacted) <= TEXT_MAX and not findings
    return Cleaned(clean_text=redacted, valid=valid, checks=checks)
