"""The masked form that may travel where the value may not: scan masks every finding it returns."""

from __future__ import annotations

import re
from typing import Final

# "@" and "." spelled out, in the languages that have a name for them ("ana arroba terra ponto com", "x
# [at] y [punkt] de"): lower case, as matched on the lower-cased text.
SPELLED_AT: Final = (
    "at",
    "arroba",
    "arobase",
    "chiocciola",
    "apenstaartje",
    "klammeraffe",
    "małpa",
    "malpa",
    "собака",
    "snabel-a",
    "kukac",
    "zavináč",
    "krøllalfa",
    "alfakrøll",
)
SPELLED_DOT: Final = (
    "dot",
    "punto",
    "ponto",
    "punkt",
    "punt",
    "point",
    "kropka",
    "точка",
    "nokta",
    "piste",
    "pont",
    "tečka",
    "punktum",
)
# The same as regex alternations, for the finders (alerts.patterns.contact) and the masking below.
AT_WORDS: Final = "|".join(re.escape(word) for word in SPELLED_AT)
DOT_WORDS: Final = "|".join(re.escape(word) for word in SPELLED_DOT)
_SPELLED_AT: Final = re.compile(
    rf"(?i)\s*[(\[{{<]\s*(?:{AT_WORDS}|@)\s*[)\]}}>]\s*|\s+(?:{AT_WORDS})\s+|\s*@\s*"
)
_SPELLED_DOT: Final = re.compile(rf"(?i)\s*[(\[{{<]\s*(?:{DOT_WORDS})\s*[)\]}}>]\s*|\s+(?:{DOT_WORDS})\s+")
_SPELLED_OR_ENCODED: Final = re.compile(r"[\s(\[{<＠]|%40")
# The issuer prefix of a provider key says whose key leaked without revealing any of the secret part.
_KEY_PREFIX: Final = re.compile(
    r"^(?:gh[pousr]_|github_pat_|glpat-|(?:sk|rk|pk)_(?:live|test)_|whsec_|xox[abposr]-|xapp-|AIza|ya29\.|"
    r"GOCSPX-|sk-ant-|sk-proj-|sk-|SG\.|SK|AC|key-|npm_|pypi-|shp(?:at|ss|ca|pa)_|dop_v1_|hf_|sq0atp-|"
    r"sq0csp-|PMAK-|dapi|secret_|lin_api_|NRAK-|dp\.st\.|ATATT|AKIA|ASIA|eyJ|https://hooks\.slack\.com/)"
)
# Candidates with pairwise disjoint characters: at most one of them can contain a given non-empty value.
_FALLBACKS: Final = ("[redacted]", "***", "###")


def _mask_part(part: str) -> str:
    return part[:1] + "***" if part else "***"


def _mask_email(value: str) -> str:
    # (A plain address is its own normal form: the two substitutions, the costliest part, need a space, a
    # bracket or an encoded or full-width "@".)
    normal = value
    if _SPELLED_OR_ENCODED.search(value) is not None:
        normal = _SPELLED_DOT.sub(".", _SPELLED_AT.sub("@", value.replace("%40", "@").replace("＠", "@")))
        normal = normal.replace(" ", "")
    if "@" not in normal:
        return f"[email:{len(value)} chars]"
    local, _, domain = normal.partition("@")
    labels = domain.split(".")
    tld = labels[-1] if len(labels) > 1 and len(labels[-1]) <= 6 else ""
    return f"{_mask_part(local)}@{_mask_part(labels[0])}" + (f".{tld}" if tld else "")


_NOT_ALNUM: Final = re.compile(r"[\W_]")  # (\w is str.isalnum and "_")


def _mask_digits(value: str, keep: int) -> str:
    # Numbers are grouped by spaces or dashes: two replaces leave most of them letters and digits only,
    # at a fraction of the substitution's cost (which stays for every other separator).
    chars = value.replace(" ", "").replace("-", "")
    if not chars.isalnum():
        chars = _NOT_ALNUM.sub("", value)
    tail = chars[-keep:] if keep and len(chars) > 2 * keep else ""
    return "*" * max(len(chars) - len(tail), 4) + tail


def _mask(kind: str, value: str) -> str:
    if kind == "email":
        return _mask_email(value)
    if kind in {"credit_card", "iban"}:
        return _mask_digits(value, 4)
    if kind == "phone":
        return _mask_digits(value, 2)
    if kind == "ssn":
        return _mask_digits(value, 0)
    if kind == "ip_address":
        sep = ":" if ":" in value else "."
        return value.split(sep, 1)[0] + sep + "***" if sep in value else "***"
    if kind in {"api_key", "aws_key", "jwt"}:
        m = _KEY_PREFIX.match(value)
        if m and len(value) >= 2 * len(m.group()) + 8:
            return f"{m.group()}***[{len(value)} chars]"
    return f"[{kind}:{len(value)} chars]"


def mask(kind: str, value: str) -> str:
    """A form a person can recognise that never contains the value (nor more than a few of its characters)."""
    masked = _mask(kind, value)
    if value and value in masked:
        masked = next(f for f in _FALLBACKS if value not in f)
    return masked
