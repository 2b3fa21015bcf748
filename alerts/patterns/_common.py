"""Small helpers shared by the pattern modules: the candidate type, checksums, entropy, placeholders."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, CJK, kana, Hangul, full-width
# forms): a value glued to their letters still starts or ends there ("电话131 2312 3121", "IPは10.0.0.1です").
_SPACELESS: Final = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
# One word character of a script that does separate words: what a token cannot start or end next to.
WORD: Final = rf"[^\W{_SPACELESS}]"
_WORD_CHAR: Final = re.compile(WORD)
# Who speaks, at the start of a chat log's line ("[14:03] customer:", "Cliente:"): an optional time in
# brackets, then one word and its colon. contact.py and financial.py read what follows it, not the name.
SPEAKER_LABEL: Final = r"(?:\[[0-9:apm .]{3,12}\][ \t]*)?[^\W\d_]{2,20}:"


# What str.isdigit and str.isalnum drop, as one C pass instead of a generator over the characters. (The
# engine's \d is str.isdecimal: used only on candidates whose digits a \d in their pattern matched.)
NOT_DIGIT: Final = re.compile(r"\D")
NOT_ALNUM: Final = re.compile(r"[\W_]")  # (\w is str.isalnum and "_")


def joins_token(ch: str) -> bool:
    """Whether a token next to ``ch`` is part of a longer word (a1b2c3, user_42), not standing alone."""
    return _WORD_CHAR.match(ch) is not None


# When two hits overlap the more specific kind wins (a JWT after "Bearer" is a jwt; the password inside a
# DSN is not the start of an email address; a card number is not a phone number).
PRIORITY: Final[dict[str, int]] = {
    "private_key": 0,
    "jwt": 1,
    "aws_key": 2,
    # A provider's key sent as "Authorization: Bearer <key>" is reported as the bearer token it is used as
    # (the header says how it is used, its prefix only who issued it).
    "bearer_key": 3,
    "api_key": 4,
    "bearer_token": 5,
    "password": 6,
    "iban": 7,
    "credit_card": 8,
    "ssn": 9,
    "email": 10,
    "ip_address": 11,
    "phone": 12,
    # A keyword-less random token is reported (as api_key) only where nothing more specific claims it.
    "loose_api_key": 13,
}
# Internal kinds and the contract's word for each.
PUBLIC_KIND: Final[dict[str, str]] = (
    {kind: kind for kind in PRIORITY} | {"loose_api_key": "api_key"} | {"bearer_key": "bearer_token"}
)
# For each kind, the kinds that win an overlap against it: a finder need not judge a candidate that one of
# them already holds, the overlap resolver would drop it anyway.
OUTRANKING: Final[dict[str, frozenset[str]]] = {
    kind: frozenset(k for k, p in PRIORITY.items() if p < rank) for kind, rank in PRIORITY.items()
}


class Hit(NamedTuple):
    """A raw detection before overlaps are resolved: ``text[start:end]`` is the value."""

    kind: str
    start: int
    end: int


_LUHN_DOUBLED: Final = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of digits."""
    if not digits.isascii():  # other scripts' digits (Arabic-Indic...) by their value
        odd = sum(map(int, digits[-1::-2]))
        even = sum(map(_LUHN_DOUBLED.__getitem__, map(str, map(int, digits[-2::-2]))))
        return (odd + even) % 10 == 0
    total, double = 0, False
    for i in range(len(digits) - 1, -1, -1):
        d = ord(digits[i]) - 48
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


_C_LOG_C: Final = [0.0] + [c * math.log2(c) for c in range(1, 1025)]


def shannon_entropy(value: str) -> float:
    """Bits per character; random base64 is near 6, English words near 3, hex at most 4.

    H = log2(n) - sum(c * log2(c)) / n over the character counts c (from a table). The counts come from
    str.count per distinct character (C loops); fsum makes the result independent of the set's order.
    """
    # The first 128 characters tell a random token from a word well enough; a long bearer token would
    # otherwise cost a count per distinct character over its whole length.
    if len(value) > 128:
        value = value[:128]
    n = len(value)
    if not n:
        return 0.0
    if n >= len(_C_LOG_C):
        return -math.fsum(value.count(ch) / n * math.log2(value.count(ch) / n) for ch in set(value))
    return math.log2(n) - math.fsum([_C_LOG_C[value.count(ch)] for ch in set(value)]) / n


# Slack for the rounding of shannon_entropy's arithmetic (errors near 1e-15 at 128 characters): a bound
# decides only when it clears the threshold by more than this.
_BOUND_SLACK: Final = 1e-9


def entropy_at_least(value: str, bits: float) -> bool:
    """``shannon_entropy(value) >= bits``, mostly without counting each character (a count per distinct
    character was the costliest part of judging a token). The number of distinct characters d bounds the
    entropy from both sides: at most log2(d); at least what it is with every repeat on one character,
    log2(n) - r*log2(r)/n with r = n - d + 1 (c*log2(c) is convex, so that spread of the counts has the
    largest sum). Only a value whose bounds straddle ``bits`` is counted."""
    if len(value) > 128:
        value = value[:128]
    n = len(value)
    if not n:
        return 0.0 >= bits
    distinct = len(set(value))
    if math.log2(distinct) < bits - _BOUND_SLACK:
        return False
    r = n - distinct + 1
    if math.log2(n) - r * math.log2(r) / n >= bits + _BOUND_SLACK:
        return True
    return shannon_entropy(value) >= bits


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and other characters the value mixes (C-speed checks)."""
    lower = value.upper() != value
    upper = value.lower() != value
    digit = any(map(str.isdigit, value))
    other = not value.isalnum()
    return lower + upper + digit + other


# Placeholders people paste instead of a real secret: templating, env references, masks, "your X here".
_TEMPLATE: Final = re.compile(
    r"""(?x)
    ^(?:
        \$\{[^}]*\}? | \$\(?[A-Za-z_][A-Za-z0-9_]*\)?    # ${DB_PASSWORD} / $PASSWORD / $(cmd)
      | %[A-Za-z_][A-Za-z0-9_]*% | %\(\w+\)[sr]         # %PASSWORD% / %(password)s / %(DB_PASSWORD)s
      | %env\([^)]*\)%                                   # %env(resolve:DB_PASSWORD)% (Symfony)
      | \{\{.*\}\}? | \{[A-Za-z_][A-Za-z0-9_]*\}         # {{ secret }} / {password}
      | <[^>]*>? | \[[^\]]*\]?                           # <your password> / [password]
    )$
    """
)
_SYMBOL_WORD_DIGITS: Final = re.compile(r"\$[A-Z][a-z]{2,}[0-9]{2,}$")
_MASK_CHARS: Final = frozenset("*x•●·.-_#?")
_PLACEHOLDER_WORDS: Final = (
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "notset",
    "not_set",
    "not-set",
    "todo",
    "fixme",
)
_PLACEHOLDER_EXACT: Final = frozenset(
    "none null nil empty blank n/a na tbd undefined hidden masked secret password passwd pass pwd token key "
    "apikey api_key api-key value string example sample foo bar baz foobar qux test testing".split()
)


_MASK_STRIP: Final = "".join(sorted(_MASK_CHARS))
# "insert_password", "enter-key-here": an instruction, not a value.
_VERBS: Final = ("insert", "enter", "replace", "put", "add")
_VERB_PREFIX: Final = re.compile("(?:" + "|".join(_VERBS) + r")[_\- ]")
_PLACEHOLDER_WORD: Final = re.compile("|".join(_PLACEHOLDER_WORDS))
_CALL: Final = re.compile(r"[A-Za-z_][\w.]*\(")
# Attribute references of configuration code, Terraform (var., local., data., module.) and CI templates.
_ATTRIBUTE: Final = re.compile(
    r"(?:settings|config|cfg|conf|self|this|env|vault|args|opts|options|var|vars|local|locals|data|module|"
    r"each|params|inputs|secrets|steps|needs|matrix)\.[A-Za-z_]"
)


_STORE_REFERENCE: Final = re.compile(
    r"(?:vault|ssm|sops|awssm|gcpsm|secretsmanager|keyvault|azurekeyvault|ref\+[a-z]+):|op://|arn:aws:"
)


def is_placeholder(value: str) -> bool:
    """Plain checks in order of cost; most real values fail the first few and return quickly."""
    if not value:
        return False
    first = value[0]
    if value.count(first) == len(value):  # one character repeated
        return True
    low = value.lower()
    if low in _PLACEHOLDER_EXACT or not low.strip(_MASK_STRIP):
        return True
    # ("$Sommer638", "$Maple80": a word with its first letter capital and digits after it is how people
    # make a password, with the "$" as its symbol; a variable is named in one case.)
    if first in "$%{<[" and _TEMPLATE.match(value) is not None and _SYMBOL_WORD_DIGITS.match(value) is None:
        return True
    # YAML tags that fetch the value from elsewhere: !secret db_password, !vault, !ENV, !Ref.
    if first == "!" and value[1:].isalpha():
        return True
    if low.startswith("your") or low.endswith(("_here", "-here", " here")):
        return True
    # Encrypted in place by sops (ENC[AES256_GCM,data:…]) or ansible-vault: the ciphertext, not the secret.
    if value.startswith(("ENC[", "$ANSIBLE_VAULT;")):
        return True
    # AWS's documentation writes every example credential this way (AKIAIOSFODNN7EXAMPLE,
    # wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY): known to everyone, so no secret.
    if value.endswith(("EXAMPLE", "EXAMPLEKEY")):
        return True
    # A format's prefix with its body masked: hf_xxxx…, ghp_XXXX…, …/services/TXXXXXXXX/BXXXXXXXX/XXXX….
    # (Only when the last eight characters are one: the search for the last separator costs more.)
    if low[-8:] == low[-1] * 8:
        tail = low[max(map(low.rfind, "_-./")) + 1 :]
        if len(tail) >= 8 and tail.count(tail[0]) == len(tail):
            return True
    # Where the secret is kept, not the secret: vault:secret/data/db#password, op://vault/item/field.
    # (Each reference holds a ":" and each verb starts the value: tested before the patterns are tried.)
    return (
        (":" in low and _STORE_REFERENCE.match(low) is not None)
        or (low.startswith(_VERBS) and _VERB_PREFIX.match(low) is not None)
        or _PLACEHOLDER_WORD.search(low) is not None
    )


# A dotted path of identifiers: model.tokenizer.eos_token, X25519.secret_length, req.body.password.
_DOTTED_PATH: Final = re.compile(r"[A-Za-z_$][\w$]{0,40}(?:\.[A-Za-z_$][\w$]{0,40}){1,6}")
_NAMES_A_SECRET: Final = re.compile(r"key|token|secret|passw|pwd|auth|cred|_")


def _is_dotted_identifier(value: str) -> bool:
    """An attribute or module path that names a secret (or is snake_case), mostly in lower case: code
    that reads the value, not the value (a random token is no more than a third lower case)."""
    if not (
        "." in value
        and _DOTTED_PATH.fullmatch(value) is not None
        and _NAMES_A_SECRET.search(value.lower()) is not None
        and 2 * sum(c.islower() for c in value) >= len(value)
    ):
        return False
    # Snake case is lower case (or upper): "nEbwi5_Qe.qaH", whose only sign of code is its "_", mixes
    # cases and digits as a generated password does.
    return _NAMES_A_SECRET.search(value.lower().replace("_", "")) is not None or char_classes(value) < 4


def looks_like_code_reference(value: str) -> bool:
    """``os.environ["X"]``, ``getenv("X")``, ``process.env.X``, ``settings.PASSWORD``,
    ``req.body.password``: code, not a value."""
    # (Four substring tests: a search for their alternation reads every character and costs more.)
    low = value.lower()
    code_word = "environ" in low or "getenv" in low or "process.env" in low or "secrets." in low
    if code_word or _is_dotted_identifier(value):
        return True
    # getpass.getpass('Password: ') reads as far as the quote: a call either way.
    if "(" in value and value.rstrip(";,").endswith((")", "(")) and _CALL.match(value) is not None:
        return True
    return _ATTRIBUTE.match(value) is not None


_HEADER_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9\-]{1,40}(?=:)")


def mail_header(text: str, pos: int) -> str:
    """The lower-cased name of the mail header ("Message-ID: <...>") whose line, or folded continuation
    line, holds ``pos``; "" when that line is not a header."""
    line = text.rfind("\n", 0, pos) + 1
    # A folded header goes on on lines that start with a space or a tab (a few of them: the walk back is
    # bounded, so a text of many indented lines stays linear).
    folds = 0
    while line > 0 and text[line : line + 1] in (" ", "\t") and folds < 16:
        line = text.rfind("\n", 0, line - 1) + 1
        folds += 1
    m = _HEADER_NAME.match(text, line)
    return m.group().lower() if m is not None else ""


def outranked(start: int, end: int, kind: str, claimed: Sequence[Hit]) -> bool:
    """Whether a hit of a kind that wins against ``kind`` already overlaps start..end."""
    if not claimed:
        return False
    kinds = OUTRANKING[kind]
    return any(h.start < end and start < h.end and h.kind in kinds for h in claimed)


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
