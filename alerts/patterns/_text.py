"""One message, prepared once per scan so that every finder can skip most of it cheaply.

Speed comes from not running each pattern over the whole text: a finder asks for the few places where
its data can be (digit runs, long unbroken tokens, keyword positions in the lower-cased text) and runs
its precise pattern only there, anchored or windowed.
"""

from __future__ import annotations

import re

# Digit runs with the separators numbers are written with: where cards, phones, SSNs and IPs can be.
# Starting with a digit class lets the engine skip everything else at C speed.
_NUMERIC = re.compile(r"\d[\d \-.()\u00a0]{3,}")


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset preserved (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(lc := ch.lower()) != 1 else lc for ch in text)


class Text:
    __slots__ = ("_long", "_numeric", "low", "raw")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.low = lower_same_length(raw)
        self._numeric: list[tuple[int, int, int]] | None = None
        self._long: list[tuple[int, int]] | None = None

    def numeric(self, min_digits: int) -> list[tuple[int, int]]:
        """Windows (start, end) around digit runs holding at least ``min_digits`` digits."""
        if self._numeric is None:
            runs = []
            for m in _NUMERIC.finditer(self.raw):
                s, e = m.span()
                n = sum(map(str.isdigit, m.group()))
                runs.append((s, e, n))
            self._numeric = runs
        n_raw = len(self.raw)
        return [(max(0, s - 2), min(n_raw, e + 3)) for s, e, n in self._numeric if n >= min_digits]

    def long_tokens(self) -> list[tuple[int, int]]:
        """Windows over whitespace-separated words of 12 or more characters: where keys, JWTs and opaque
        tokens can be. ``str.split`` finds them several times faster than any pattern could."""
        if self._long is None:
            raw, spans, cursor = self.raw, [], 0
            for word in raw.split():
                if len(word) >= 12:
                    start = raw.find(word, cursor)
                    spans.append((start, min(len(raw), start + len(word) + 1)))
                    cursor = start + len(word)
            self._long = spans
        return self._long
