"""Rules added while tuning on the chat and support-thread set (r16), each on examples of our own: what the
detector must find, and the near misses it must leave alone."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


def kinds(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


# --- passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "password"),
    [
        # Reset "to" a value, named by the participle (French, German, Spanish) or glued to the keyword.
        ("le mot de passe a été réinitialisé à Qx=4-rTm hier soir", "Qx=4-rTm"),
        ("Passwort zurückgesetzt auf Fr!ed8-Zx, bitte gleich ändern", "Fr!ed8-Zx"),
        ("tu contraseña restablecida a Lima#2291x", "Lima#2291x"),
        ("打印机密码改成Hq7-zz#91Lm了", "Hq7-zz#91Lm"),
        ("ตั้งรหัสเป็น Pq9#kLmzT นะครับ", "Pq9#kLmzT"),
        # English "reset it to X" with no keyword: a passphrase of words and digits.
        ("done, I reset it to cobalt-window-mango-58 for today", "cobalt-window-mango-58"),
        # A dollar sign in front of a capitalised word and digits is the password's symbol, not a variable.
        ("my pasword is $Winter2024 i think", "$Winter2024"),
        ("nvr on 10.4.4.20, admin pw $Tulip42", "$Tulip42"),
        # Finnish genitive, the English Wi-Fi code, a VPN pre-shared key.
        ("vaihdoin salasanan: Lohi#Kala774", "Lohi#Kala774"),
        ("the guest wifi code is Hx7#pLm2qRz btw", "Hx7#pLm2qRz"),
        ("ipsec peer 10.9.8.7 psk Kd83jfQ_pz9xLm2N_b", "Kd83jfQ_pz9xLm2N_b"),
        # A dotted value mixing cases and digits is no snake_case path.
        ("das passwort für den kiosk ist Tr4x_Lm.qaZ", "Tr4x_Lm.qaZ"),
        # An account word before "user / password", in Korean or Polish.
        ("스테이징 서버 계정 root / Pzq8-Lm2kT7xWv", "Pzq8-Lm2kT7xWv"),
        ("konto admin / Hal9#kLm2pq na serwerze", "Hal9#kLm2pq"),
    ],
)
def test_passwords_as_chat_gives_them(text: str, password: str) -> None:
    assert ("password", password) in found(text)


def test_a_weak_keyword_asked_is_answered_on_the_next_chat_line() -> None:
    text = "[10:01] agent: and the camera admin pass?\n[10:02] user: Birch&4471\n[10:02] agent: thanks"
    assert ("password", "Birch&4471") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "did the test pass?\n[10:02] ci: Build#4471ok",  # a test passing, not a password asked for
        "I reset it to factory settings yesterday",  # no password-shaped value
        "password: $DB_PASSWORD",  # a variable, in one case
        "mot de passe : <ton_mot_de_passe> comme dans la doc",  # a placeholder naming the password
        "密码：********（私聊发你）",  # a mask, then a full-width bracket
        "WPA2-PSK is enabled on the guest network",
    ],
)
def test_near_misses_are_no_passwords(text: str) -> None:
    assert "password" not in kinds(text)


# --- phones -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        # Nine-digit mobiles grouped in threes (Poland, Czechia, Spain, Portugal), with no word before them.
        ("jasne, 601 234 567 wieczorem", "601 234 567"),
        ("ozvi se, 777 123 456", "777 123 456"),
        ("el de mi hermano 612 345 678", "612 345 678"),
        ("liga-me 912 345 678 amanhã", "912 345 678"),
        # Greek "call me" and an unformatted mobile.
        ("πάρε με 6912345678 το απόγευμα", "6912345678"),
    ],
)
def test_phones_without_a_label(text: str, phone: str) -> None:
    assert ("phone", phone) in found(text)


def test_a_chat_speaker_is_no_context_for_the_number() -> None:
    text = "[09:00] agent: best number to call you back?\n[09:01] customer: (213) 555-2368 or 646-555-3890"
    assert [p for k, p in found(text) if k == "phone"] == ["(213) 555-2368", "646-555-3890"]


def test_a_form_field_that_names_the_phone_still_counts() -> None:
    assert ("phone", "+31 6 1234 5678") in found("Name: Jan\nPhone: +31 6 1234 5678")


@pytest.mark.parametrize(
    "text",
    [
        "przelałem 634 438 688 zł wczoraj",  # an amount in threes
        "€ 612 345 678 budget total",
        "CEP 8427-535, casa 2",  # Brazil's postal code
        "namba ya ufuatiliaji 7226-5896-2216",  # a tracking number, in Swahili
        "in that film the hero dials +1 312 555 0142 every episode",  # fiction's 555-01xx
    ],
)
def test_near_misses_are_no_phones(text: str) -> None:
    assert "phone" not in kinds(text)


# --- SSNs and API keys --------------------------------------------------------------------------------------


def test_an_ssn_after_a_speaker_label() -> None:
    text = "Agent: what's your SSN?\nCustomer: sure, 219 45 7781"
    assert ("ssn", "219 45 7781") in found(text)


def test_an_order_after_a_speaker_label_stays_an_order() -> None:
    assert "ssn" not in kinds("Agent: which order?\nCustomer: order 219 45 7781")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "Ania: nowy klucz do api: 3f9c1e0b7a6d5c4b3a2918f7e6d5c4b3a2918f7e",
            "3f9c1e0b7a6d5c4b3a2918f7e6d5c4b3a2918f7e",
        ),
        ("chiave API: a8F3kL9mQ2xR7tV1bN6cZ4wE", "a8F3kL9mQ2xR7tV1bN6cZ4wE"),
    ],
)
def test_keys_named_in_other_languages(text: str, key: str) -> None:
    assert ("api_key", key) in found(text)


def test_a_key_word_in_prose_is_no_key() -> None:
    assert found("klucz do mieszkania jest u sąsiada") == []


# The documented shape: sk-ant-api03-, 93 characters, "AA" (108 in all). This body spells "yoUr" by chance.
_ANTHROPIC = (
    "sk-ant-api03-U89K1D5a0HECbLMQsNcCGctd76LCNUH1lS-2wyoUr4Kkv_tNMO6iv9b4_b8p6k-csDZVefZO9jDOmlpFbYfogYtGEw"
    "bEFAA"
)


def test_an_anthropic_key_whose_body_spells_a_filler_word_by_chance() -> None:
    assert len(_ANTHROPIC) == 108
    assert found(f"eval box key: {_ANTHROPIC}") == [("api_key", _ANTHROPIC)]


def test_a_placeholder_key_is_still_no_key() -> None:
    assert found("ANTHROPIC_API_KEY=sk-ant-api03-your-key-here-xxxxxxxxxxxxxxxxxxxxxxxxxxxx") == []
