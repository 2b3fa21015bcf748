"""The pattern modules, one per family of sensitive data. Each ``find_*`` yields raw hits; the detector
resolves overlaps between them."""

from __future__ import annotations

from ._common import PRIORITY, PUBLIC_KIND, Hit
from ._text import Text
from .contact import find_emails, find_ips, find_phones
from .financial import find_cards, find_ibans, find_ssns
from .passwords import find_misspelled_passwords, find_paired_passwords, find_passwords, find_pgpass_lines
from .tokens import (
    find_auth_schemes,
    find_aws,
    find_bearer,
    find_client_keys,
    find_generic_secrets,
    find_jwts,
    find_loose_tokens,
    find_prefixed_keys,
    find_private_keys,
)

__all__ = [
    "PRIORITY",
    "PUBLIC_KIND",
    "Hit",
    "Text",
    "find_auth_schemes",
    "find_aws",
    "find_bearer",
    "find_cards",
    "find_client_keys",
    "find_emails",
    "find_generic_secrets",
    "find_ibans",
    "find_ips",
    "find_jwts",
    "find_loose_tokens",
    "find_misspelled_passwords",
    "find_paired_passwords",
    "find_passwords",
    "find_pgpass_lines",
    "find_phones",
    "find_prefixed_keys",
    "find_private_keys",
    "find_ssns",
]
