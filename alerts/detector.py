"""The sensitive-data detector: ``scan(text)`` returns every finding, sorted by start.

Pure: text in, findings out. Patterns are compiled once at import and hold no state, so ``scan`` is
thread-safe. Every pattern is written so that its cost is linear in the text (bounded quantifiers and
lookbehinds that pin attempts to token starts), and each runs only where its data can be: inside digit
runs, long tokens or after a keyword (see alerts.patterns._text); tests/unit/detector/test_linear_time.py
holds the whole scan to linear time.
"""

from __future__ import annotations

from bisect import bisect_left

from alerts.findings import Finding

from .masking import mask
from .patterns import (
    PRIORITY,
    PUBLIC_KIND,
    Hit,
    Text,
    find_auth_schemes,
    find_aws,
    find_bearer,
    find_cards,
    find_client_keys,
    find_emails,
    find_generic_secrets,
    find_ibans,
    find_ips,
    find_jwts,
    find_loose_tokens,
    find_misspelled_passwords,
    find_paired_passwords,
    find_passwords,
    find_pgpass_lines,
    find_phones,
    find_prefixed_keys,
    find_private_keys,
    find_ssns,
)


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Keeps the most specific of overlapping hits (then the longest); disjoint hits all stay."""
    if len(hits) < 2:
        return hits
    ranked = sorted(set(hits), key=lambda h: (PRIORITY[h.kind], h.start - h.end, h.start))
    # Kept hits never overlap, so ordered by start their ends are ordered too: one bisect finds the only
    # neighbours a new hit could overlap.
    starts: list[int] = []
    kept: list[Hit] = []
    for hit in ranked:
        i = bisect_left(starts, hit.start)
        if i > 0 and kept[i - 1].end > hit.start:
            continue
        if i < len(kept) and kept[i].start < hit.end:
            continue
        starts.insert(i, hit.start)
        kept.insert(i, hit)
    return kept


def scan(text: str) -> list[Finding]:
    t = Text(text)
    raw = t.raw  # (what the finders read: typographic spaces and full-width forms made plain)
    hits: list[Hit] = []
    # Each finder runs only when its trigger is there (a keyword, a digit run, a long token, an "@"): most
    # messages call few of them.
    if "PRIVATE KEY" in raw:
        hits.extend(find_private_keys(t))
        t.release_long_tokens([(h.start, h.end) for h in hits])
    long_tokens = t.long
    if long_tokens:
        if "eyJ" in raw:
            hits.extend(find_jwts(t))
        if t.aws_ids or t.aws_words:  # (without either find_aws has nothing to look for)
            hits.extend(find_aws(t))
        # (An issuer's prefix, or a word long enough for a Twilio SID; the webhook URLs are tested in
        # find_prefixed_keys.)
        if t.key_hints or t.longest >= 33 or "/bot" in raw or "hooks.slack.com" in raw or "webhook" in raw:
            hits.extend(find_prefixed_keys(t))
        # A secret after its name, a bearer token or an Authorization scheme's value is 12 or more
        # characters without a space: a long token, or none of them.
        if t.sec:
            hits.extend(find_generic_secrets(t))
        if "(" in raw and ("client" in t.low or ".init" in t.low):
            hits.extend(find_client_keys(t))
        if t.bearer:
            hits.extend(find_bearer(t, hits))
        if "authorization" in t.low:
            hits.extend(find_auth_schemes(t, hits))
    if t.pw or t.url or t.cli or t.cred or "-u" in raw:
        hits.extend(find_passwords(t))
    elif " / " in raw or "auth" in t.low:
        hits.extend(find_paired_passwords(t))
    if t.typo_stems:  # (no slip of "password" without one of TYPO_STEMS: most messages skip the call)
        hits.extend(find_misspelled_passwords(t))
    if long_tokens and t.longest >= 20:  # (a loose token is 20 characters at least)
        # Last: a keyword-less token is only a candidate where no finder above claimed it.
        hits.extend(find_loose_tokens(t, hits))
    if t.at or "@" in raw or "%40" in raw:
        hits.extend(find_emails(t))
    # Phone numbers last: what outranks them (IBANs, cards, SSNs, IP addresses) is found first, and a
    # phone-shaped candidate inside one is not validated.
    # (Without an IBAN's name only a capital letter starts one: find_ibans reads no text that lower-casing
    # leaves as it was.)
    if t.iban_words or (t.iban_anchors and raw != t.low):
        hits.extend(find_ibans(t))
    # Each of cards, SSNs and phones reads only the runs of its least count of digits (Text.numeric): a text
    # whose longest run is shorter has none for it.
    most_digits = t.most_digits
    if most_digits >= 12 or t.glued_anchors:
        # (A card glued to a word is no digit run of its own, only an anchor right after a letter.)
        hits.extend(find_cards(t, hits))
    if most_digits >= 9:
        hits.extend(find_ssns(t, hits))
    colons = raw.count(":")
    if t.runs and colons >= 4:  # (host:port:db:user:password)
        hits.extend(find_pgpass_lines(t))
    # An IPv4 address holds dots, and only a digit run or a host flag (-h with the address glued to it)
    # starts one; an IPv6 address holds two colons at least.
    if ("." in raw and (t.runs or "-h" in raw)) or colons >= 2:
        hits.extend(find_ips(t))
    if most_digits >= 7:
        hits.extend(find_phones(t, hits))
    if not hits:
        return []
    kept = _resolve([h for h in hits if h.end > h.start])
    findings = []
    for h in kept:
        kind = PUBLIC_KIND[h.kind]
        # tuple.__new__ directly: a NamedTuple's own __new__ is a Python function, one call per finding.
        masked = mask(kind, text[h.start : h.end])
        findings.append(tuple.__new__(Finding, (kind, h.start, h.end, masked, None)))
    return findings
