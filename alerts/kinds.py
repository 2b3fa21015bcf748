"""The contract's vocabulary: which alert type each kind of finding raises."""

from __future__ import annotations

from collections.abc import Iterable

KIND_TO_TYPE: dict[str, str] = {
    "email": "PersonalData",
    "phone": "PersonalData",
    "ip_address": "PersonalData",
    "password": "Credential",
    "api_key": "Credential",
    "aws_key": "Credential",
    "jwt": "Credential",
    "private_key": "Credential",
    "bearer_token": "Credential",
    "credit_card": "FinancialData",
    "iban": "FinancialData",
    "ssn": "GovernmentId",
}

INVALID_INPUT = "InvalidInput"

# When one message holds several kinds the alert takes the gravest type; this is the order of gravity.
ALERT_TYPES: tuple[str, ...] = ("Credential", "FinancialData", "GovernmentId", "PersonalData", INVALID_INPUT)


def alert_type_for(kinds: Iterable[str]) -> str:
    types = {KIND_TO_TYPE[k] for k in kinds}
    for alert_type in ALERT_TYPES:
        if alert_type in types:
            return alert_type
    raise ValueError("no known kind given")
