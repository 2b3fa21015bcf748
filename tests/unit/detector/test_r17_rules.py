"""Rules added while tuning on the recognizer-suite and secret-scanner fixture set (r17), each on examples of
our own: what the detector must find, and the near misses it must leave alone."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


def kinds(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


# --- API keys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # A command line's flag named for the vendor's token: the name starts after the dashes.
        ("./sync --freshdesk-token=Qm83LpZx0aTr7YvN2bWc5KdE9hJs", "Qm83LpZx0aTr7YvN2bWc5KdE9hJs"),
        ("deploy --token=7fKq2LmZp9XwR4tVb8NcYs3H", "7fKq2LmZp9XwR4tVb8NcYs3H"),
        ("run --pagerduty_api-token=0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f", "0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"),
        # "Key" then whose it is (French, Spanish, Italian), and German "lautet" for "is".
        ("clé stripe : 5d41402abc4b2a76b9719d911017c592", "5d41402abc4b2a76b9719d911017c592"),
        ("chiave sendinblue = Xk29PqLm83ZtWv7RbN4c", "Xk29PqLm83ZtWv7RbN4c"),
        ("Der Mailjet-Schlüssel lautet KEY-7QW3ER9TY2UI8OP4AS", "KEY-7QW3ER9TY2UI8OP4AS"),
        # "key" as a URL's query parameter, the query pasted alone too.
        ("GET https://geo.invalid/v1/find?q=berlin&key=Rt7Yq2LpX9mZ4wVb8NcK3sJd", "Rt7Yq2LpX9mZ4wVb8NcK3sJd"),
        ("key=Lm4Qp8Zx2Rt7Yw9Vb3Nc6KsJ&format=json", "Lm4Qp8Zx2Rt7Yw9Vb3Nc6KsJ"),
        # "key:" nested under a section named for credentials.
        ("weather:\n  api:\n    key: 9e107d9d372bb6826bd81d3542a419d6\n", "9e107d9d372bb6826bd81d3542a419d6"),
        ("auth:\n  key: Zq8Lm2Pk7Xw4Rt9Vb3Nc\n  ttl: 60", "Zq8Lm2Pk7Xw4Rt9Vb3Nc"),
        # Lob's keys: live_ or test_ and 35 hex digits, found by the prefix alone.
        (
            "mailing job uses test_4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e this week",
            "test_4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e",
        ),
    ],
)
def test_api_keys_named_these_ways_are_found(text: str, key: str) -> None:
    assert ("api_key", key) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "la clé est sous le paillasson depuis hier",  # "clé" in a sentence, nothing after it
        "Der Schlüssel lautet Sonnenblume",  # a word, not a key
        "selector:\n  key: 9e107d9d372bb6826bd81d3542a419d6",  # "key:" under a section that is no secret's
        "key=Lm4Qp8Zx2Rt7Yw9Vb3Nc6KsJ",  # "key=" alone, no query around it
        "def test_login_redirects_home(client): ...",  # a test's name, not Lob's prefix
        "--token-file=./secrets/ci.token",  # a file holding the token
    ],
)
def test_near_misses_of_the_key_rules_are_left_alone(text: str) -> None:
    assert "api_key" not in kinds(text)


# --- passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "password"),
    [
        # A default account and its password as a line of their own.
        ("root:Hq4#zLm82pTx", "Hq4#zLm82pTx"),
        ("vpn logins\n  - guest:Fjord!7Lm3q\n  - admin:Pine.4471Zx\n", "Fjord!7Lm3q"),
        # PHP's and PowerShell's variables assigned a literal.
        ('<?php $db_password = "Quartz&58meadow"; ?>', "Quartz&58meadow"),
        ("$Password = 'Lantern#204river'", "Lantern#204river"),
        # sudo -S reads its password from standard input.
        ("printf 'Zx7!pLm-q2' | sudo -S apt-get upgrade", "Zx7!pLm-q2"),
        # Japanese, Chinese and Korean write the value against the keyword.
        ("ログインID kenta01 パスワードRk8#mZq2Lp", "Rk8#mZq2Lp"),
        ("账号 li.wei 密码Tq9$xLm4Pz", "Tq9$xLm4Pz"),
    ],
)
def test_passwords_given_these_ways_are_found(text: str, password: str) -> None:
    assert ("password", password) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "root:x:0:0:root:/root:/bin/bash",  # /etc/passwd: no password there
        "see admin:Pine.4471Zx for the old one",  # not alone on its line
        "image: admin:v2-latest",  # a tag, and not alone either
        "if ($password == 'Quartz&58meadow') { deny(); }",  # a comparison, not an assignment
        "echo $PASSWORD | docker login -u ci --password-stdin",  # a reference to where it is kept
        "パスワードを変更しました",  # "the password was changed": no value
        "kubectl create secret generic app --from-file=password=../creds/pw.txt",  # a file
    ],
)
def test_near_misses_of_the_password_rules_are_left_alone(text: str) -> None:
    assert "password" not in kinds(text)


# --- phones -------------------------------------------------------------------------------------------------


def test_an_international_number_before_japanese_made_is_a_number_to_call() -> None:
    # (Outside the ranges its plan validates: only what the text says makes it a phone.)
    text = "ご質問は+81 3-0415-2290まで"
    assert ("phone", "+81 3-0415-2290") in found(text)


def test_the_same_number_with_nothing_said_about_it_is_left_alone() -> None:
    assert "phone" not in kinds("ref +81 3-0415-2290 batch")


# --- false alarms -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # A BEGIN line named in prose, no body after it.
        ("Never paste -----BEGIN EC PRIVATE KEY----- lines into the chat, rotate instead.", "private_key"),
        # An IBAN with a failing checksum: the digits after its bank code are no card, even when Luhn holds.
        ("IBAN: GB00 WEST 4111 1111 1111 11", "credit_card"),
        # Spelled-out templates: a placeholder's name, a role at an example domain.
        ("Schreiben Sie an username(at)ihre-firma(dot)de", "email"),
        ("questions go to sales at example dot org", "email"),
    ],
)
def test_false_alarms_of_r17_are_gone(text: str, kind: str) -> None:
    assert kind not in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # A truncated key pasted on one line is still found.
        (
            "-----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5owJcN3jQ9pHeoAoGCCqGSM49",
            "private_key",
            "-----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5owJcN3jQ9pHeoAoGCCqGSM49",
        ),
        # The same card outside an IBAN.
        ("card on file: 4111 1111 1111 1111", "credit_card", "4111 1111 1111 1111"),
        # A person's spelled-out address, at a real or an example domain; a role at a real one.
        ("write to mila dot novak at example dot com", "email", "mila dot novak at example dot com"),
        ("info(at)ihre-firma(dot)de", "email", "info(at)ihre-firma(dot)de"),
    ],
)
def test_what_the_false_alarm_rules_must_still_find(text: str, kind: str, value: str) -> None:
    assert (kind, value) in found(text)
