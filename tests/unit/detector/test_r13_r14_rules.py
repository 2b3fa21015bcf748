"""Rules added while tuning on the developer-paste set (r13) and the chat set in 21 languages (r14), each on
examples of our own: what the detector must find, and the near misses it must leave alone."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


def kinds(text: str) -> list[str]:
    return [f.kind for f in scan(text)]


# --- phone numbers glued to their label or to the next sentence ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # A label, its colon, the number: no space anywhere.
        ("Telefon:0171 4829305 (abends)", "0171 4829305"),
        ("numer telefonu:512 884 093", "512 884 093"),
        ("whatsapp:+44 7911 482913", "+44 7911 482913"),
        # The next sentence starts right after the number's last digit.
        ("my new phone number is 415-629-8043.call after 6", "415-629-8043"),
        ("mon numéro:07 12 58 94 36.bisous", "07 12 58 94 36"),
        # Cyrillic "тел." with the number against its dot.
        ("тел.+7 916 482-37-19", "+7 916 482-37-19"),
        # Hebrew's one-letter "to" joined by a hyphen, after "call".
        ("אפשר להתקשר ל-052-8841726 אחרי הצהריים", "052-8841726"),
        # "+" against the preposition before it.
        ("escríbeme al+34 622 481 937", "+34 622 481 937"),
        # Swahili's simu and namba, Indonesian's hp, Korean's "new number", Thai's เบอร์.
        ("piga simu 0722 418 593", "0722 418 593"),
        ("namba yangu ni +254 733 918204", "+254 733 918204"),
        ("hp saya 0812-4471-9025", "0812-4471-9025"),
        ("새 번호 010-4827-1935", "010-4827-1935"),
        ("เบอร์โทร 081-447-2958", "081-447-2958"),
        # "reachable at" in Dutch; the possessive makes the French abbreviation the writer's number.
        ("ik ben bereikbaar op 06 4419 2875", "06 4419 2875"),
        ("mon num 06 48 21 77 39", "06 48 21 77 39"),
    ],
)
def test_phones_glued_or_named_in_more_languages(text: str, number: str) -> None:
    assert found(text) == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        # A key of a log line or a setting, not a phone label.
        "order:48213377 shipped",
        "user:41872290 logged out",
        "ts:1718204455 level=info",
        # Glued to the next sentence, but the words before call it an order or an incident.
        "pedido 48213377.Gracias",
        "número de incidencia 4819275 abierto ayer",
        "chamado 7730142 aberto",
        # Japanese 番号 alone says nothing of a phone; Korean compounds name other numbers.
        "会員番号 0904418827",
        "회원번호 01048271935",
        # Simulation, cello: a short phone word counts only as a whole word.
        "simulation 0722418593 steps",
    ],
)
def test_numbers_that_stay_no_phones(text: str) -> None:
    assert "phone" not in kinds(text)
