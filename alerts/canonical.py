"""The canonical form of a text: what a reader sees once markup, entities and invisible characters are gone.

service_2 cleans messages into this form, and service_1 scans it as well as the raw text, so a value
hidden as ``john&#64;example.com``, ``john<b></b>@example.com``, with zero-width characters or in
full-width letters is found before anything is forwarded. Pure and linear in the text's length: tags are
removed by a regex that cannot backtrack, not by an HTML parser.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Element contents that are code or styling, never message text. Bounded: a tag pair spans at most 4000.
_DROP = re.compile(r"(?is)<(script|style|template|noscript)\b[^<>]{0,200}>[^<]{0,4000}</\1\s*>")
# Block elements separate words; inline ones do not ("john<b></b>@example.com" is one address).
_BLOCK = re.compile(r"(?i)</?(?:br|p|div|li|tr|td|th|h[1-6]|ul|ol|table|blockquote)\b[^<>]{0,500}>")
_TAG = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")
_SPACES = re.compile(r"\s+")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\t\n\r "


@dataclass(frozen=True, slots=True)
class Canonical:
    text: str
    unicode_normalized: bool
    markup_removed: int
    control_chars_removed: int
    whitespace_collapsed: bool


def canonicalize(text: str) -> Canonical:
    normalized = unicodedata.normalize("NFKC", text)
    dropped, blocks = _DROP.subn(" ", normalized)
    spaced, blocks_tags = _BLOCK.subn(" ", dropped)
    stripped, inline_tags = _TAG.subn("", spaced)
    tags = blocks_tags + inline_tags
    # Entities are decoded after tags are gone, so "&lt;b&gt;" stays text; NFKC again for what they spell.
    decoded = unicodedata.normalize("NFKC", html.unescape(stripped))
    controls = sum(1 for ch in decoded if _invisible(ch))
    visible = "".join(ch for ch in decoded if not _invisible(ch)) if controls else decoded
    collapsed = _SPACES.sub(" ", visible).strip()
    return Canonical(
        text=collapsed,
        unicode_normalized=normalized != text,
        markup_removed=blocks * 2 + tags,
        control_chars_removed=controls,
        whitespace_collapsed=collapsed != visible,
    )
