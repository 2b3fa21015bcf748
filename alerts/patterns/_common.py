"""Small helpers shared by the pattern modules: the candidate type, checksums, entropy, placeholders."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple


class Hit(NamedTuple):
    """A raw detection before overlaps are resolved: ``text[start:end]`` is the value."""

    kind: str
    start: int
    end: int


_LUHN_DOUBLED = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of ASCII digits; slices and maps keep the loop in C."""
    odd = sum(map(int, digits[-1::-2]))
    even = sum(map(_LUHN_DOUBLED.__getitem__, digits[-2::-2]))
    return (odd + even) % 10 == 0


def shannon_entropy(value: str) -> float:
    """Bits per character; random base64 is near 6, English words near 3, hex at most 4."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and other characters the value mixes (C-speed checks)."""
    lower = value.upper() != value
    upper = value.lower() != value
    digit = any(map(str.isdigit, value))
    other = not value.isalnum()
    return lower + upper + digit + other


# Placeholders people paste instead of a real secret: templating, env references, masks, "your X here".
_PLACEHOLDER = re.compile(
    r"""(?ix)
    ^(?:
        [*x•●·.\-_#?]{2,}                              # ******** / xxxx / ....
      | \$\{[^}]*\}? | \$\(?[A-Za-z_][A-Za-z0-9_]*\)?    # ${DB_PASSWORD} / $PASSWORD / $(cmd)
      | %[A-Za-z_][A-Za-z0-9_]*% | %\([a-z_]+\)s         # %PASSWORD% / %(password)s
      | \{\{.*\}\}? | \{[A-Za-z_][A-Za-z0-9_]*\}         # {{ secret }} / {password}
      | <[^>]*>? | \[[^\]]*\]                            # <your password> / [password]
      | your.* | (?:insert|enter|replace|put|add)[_\- ].*
      | .*[_\- ](?:here|goes[_\- ]here)
      | .*(?:placeholder|redacted|changeme|change[_\-]me|dummy|not[_\-]?set|todo|fixme).*
      | (?:none|null|nil|empty|blank|n/?a|tbd|undefined|hidden|masked|secret|password|passwd|pass|pwd
          |token|key|apikey|api[_\-]key|value|string)
    )$
    """
)


def is_placeholder(value: str) -> bool:
    if len(set(value)) == 1:
        return True
    return _PLACEHOLDER.match(value) is not None


def looks_like_code_reference(value: str) -> bool:
    """``os.environ["X"]``, ``getenv("X")``, ``process.env.X``, ``settings.PASSWORD``: code, not a value."""
    low = value.lower()
    if "environ" in low or "getenv" in low or "process.env" in low or "secrets." in low:
        return True
    if "(" in value and value.rstrip(";,").endswith(")") and re.match(r"^[A-Za-z_][\w.]*\(", value):
        return True
    return (
        re.match(r"^(?:settings|config|cfg|conf|self|this|env|vault|args|opts|options)\.[A-Za-z_]", value)
        is not None
    )


def merged_windows(points: list[int], before: int, after: int, limit: int) -> list[tuple[int, int]]:
    """Windows around sorted points, overlapping ones merged, so a pattern run in all of them reads each
    character at most once however dense the points are."""
    windows: list[tuple[int, int]] = []
    for p in points:
        lo, hi = max(0, p - before), min(limit, p + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    return windows


def find_all(text: str, needle: str) -> Iterator[int]:
    i = text.find(needle)
    while i >= 0:
        yield i
        i = text.find(needle, i + 1)
