"""Issue 12's rules, on cases of our own: what the detector must and must not find in text it has never
seen (recognizer-style one-liners, multilingual chat)."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


@pytest.mark.parametrize(
    "text",
    [
        "numer zamówienia 412-36-7781 w drodze",
        "sipariş numarası 233-51-9046 gelmedi",
        "注文番号 318-42-6690 の件",
        "주문번호 702-18-3345 확인 부탁",
        "αριθμός παραγγελίας 512-77-1048",
        "mã đơn hàng 236-14-5570",
        "číslo objednávky 615-40-2287",
    ],
)
def test_an_order_number_in_any_language_is_no_ssn(text: str) -> None:
    assert found(text) == []


def test_a_grouped_ssn_without_order_words_is_still_one() -> None:
    assert found("the form asks for 412-36-7781 again") == [("ssn", "412-36-7781")]


@pytest.mark.parametrize(
    "key",
    ["ghp_Q7b2VxkR9mTz4LwN8cYp3HsJ6aFd1EgU0iKo", "xoxb-263849152637-9182736450918-Zq8RmT2vLk9PwX4nYc7bHs3J"],
)
def test_a_provider_key_sent_as_bearer_is_a_bearer_token(key: str) -> None:
    assert found(f"Authorization: Bearer {key}") == [("bearer_token", key)]
    assert found(f"token is {key}") == [("api_key", key)]


@pytest.mark.parametrize(
    "text",
    [
        'AssemblyInformationalVersion("5.1.20.3")',
        "ProductVersion=3.8.4.12",
        "nuget plugin 6.2.14.9 installed",
        "package libzip 2.7.1.40 (backport)",
        "bumped api to 4.11.2.8",
        "mDNS responder on 224.0.0.251",
        "the instance metadata lives at 169.254.169.254",
        "an example from the docs: 198.51.100.77",
        "2001:db8:1f::9 (RFC 3849) in the slide",
        "bcast 172.16.255.255",
    ],
)
def test_versions_and_addresses_that_name_no_machine(text: str) -> None:
    assert [k for k, _ in found(text)] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("updated dns to 81.23.140.9 this morning", "81.23.140.9"),
        ("client 198.51.100.23 blocked after 5 attempts", "198.51.100.23"),
        ("peer 2a01:4f8:c17:3b2e:7a1:9c2:44e0:1b5:8443 dropped", "2a01:4f8:c17:3b2e:7a1:9c2:44e0:1b5"),
    ],
)
def test_addresses_still_found(text: str, value: str) -> None:
    assert found(text) == [("ip_address", value)]


@pytest.mark.parametrize(
    "text",
    [
        "shipment 3527 184026 73318",
        "voucher 6120-447-902-318",
        "IMEI 490154203237518",
        "SSN 527-31-488 (one digit short)",
    ],
)
def test_long_national_runs_and_named_ssns_are_no_phones(text: str) -> None:
    assert [k for k, _ in found(text)] == []


def test_a_long_international_number_is_still_a_phone() -> None:
    assert found("call 0048 512 345 879") == [("phone", "0048 512 345 879")]


@pytest.mark.parametrize(
    "text",
    [
        'api_key: "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"',
        "HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "hook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "db_password: vault:kv/prod/db#password",
        "password = op://Private/Postgres/password",
        "postgres://<username:password>@db:5432/app",
    ],
)
def test_masked_bodies_templates_and_secret_store_references_are_no_secrets(text: str) -> None:
    assert found(text) == []


def test_an_empty_user_before_a_url_password_still_counts() -> None:
    assert found("redis://:Wq7!pLm2zR@cache:6379") == [("password", "Wq7!pLm2zR")]


@pytest.mark.parametrize(
    "token",
    [
        "dckr_pat_4fT9kQ2mZ7xW1bR8cN3vL6yH0jD",
        "shippo_live_3f9a1c7e2b8d4f6a0c5e9b1d7f3a8c2e6b4d0f9a",
        "oy2k7d3m9x1q5w8z2c6v4b0n7m3l9k1j5h8g2f6d4s0a7p",
        "rdme_" + "k3v9x2m7q1w8z5c4b6n0j2h7g3f9d1s5a8p4o6i2u7y3t9r1e5w8q2z4x6c0v3b7n9m1z5",
        "aio_Kx7QmP2vR9tW4bN8cL3yH6jD1fZ5",
        "patR7k2M9x4Q1w8Z5." + "3f9a1c7e2b8d4f6a" * 4,
        "LTAI5tR9mK2xQ7wZ1cV8bN3y",
    ],
)
def test_more_documented_key_formats(token: str) -> None:
    assert found(f"the key {token} leaked") == [("api_key", token)]


def test_a_planetscale_password_is_a_password() -> None:
    value = "pscale_pw_Zr8kQ2mX7vW1bN9cL3yH6jD0fT4gS5aP2eR7uI"
    assert found(f"mysql://app:{value}@aws.connect.psdb.cloud/db") == [("password", value)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("пароль від роутера Kq7#vLm2pZ", "Kq7#vLm2pZ"),
        ("the password I chose yesterday was Tulip77$x", "Tulip77$x"),
        ("pw so here: fern-lake-rocket82", "fern-lake-rocket82"),
        ("密码Zx81wQmplk", "Zx81wQmplk"),
        ("heslo na wifi je Jaro2019!x", "Jaro2019!x"),
        ("passwordnya melati_2207", "melati_2207"),
        ("ww Tulpen.4821 gebruiker anna", "Tulpen.4821"),
        ("الباسورد Qm8#rTz1", "Qm8#rTz1"),
        ("password\nGh4%kLp9Wz\nthanks", "Gh4%kLp9Wz"),
        ("the temp password you gave me (Xy7-pQr&2w) fails", "Xy7-pQr&2w"),
        ("ldapwhoami -x -D cn=admin,dc=corp -w Birch.4410 -H ldap://ldap1", "Birch.4410"),
        ('conn.setPassword("maple-orbit-lantern7");', "maple-orbit-lantern7"),
        ("j'ai mis Rx82!kLq comme mot de passe", "Rx82!kLq"),
    ],
)
def test_a_password_a_few_words_after_its_keyword(text: str, value: str) -> None:
    assert ("password", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "the password is stored in 1Password under Prod",
        "Passwort vergessen, die Reset-Mail kam nicht",
        "password_hash TEXT NOT NULL, user_id2 INT",
        'keyring.set_password("billing-app", username, password)',
        "my password has 12 characters and a digit",
        "pw reset link: https://acme.test/r?t=Ab3xYz9Q",
        "password manager v2.4.1-beta is out",
    ],
)
def test_no_password_near_a_keyword_that_gives_none(text: str) -> None:
    assert [k for k, _ in found(text) if k == "password"] == []


def test_pass_as_a_verb_hands_something_on() -> None:
    assert found("pass Build-42x to the next stage") == []
    assert found("pass Build-42x") == [("password", "Build-42x")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("nomor saya 0813 5521 7790", "0813 5521 7790"),
        ("मेरा नंबर 9826143075", "9826143075"),
        ("联系方式 13812764590", "13812764590"),
        ("sms:+14155238886", "+14155238886"),
    ],
)
def test_phone_words_of_more_languages(text: str, value: str) -> None:
    assert found(text) == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    [
        "kargo takip numarası 071234567890 güncellenmedi",
        "رقم التتبع 360095510850",
        "nomor pesanan 0813 5521 7790",
    ],
)
def test_order_and_tracking_words_of_more_languages(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("amex 3782.822463.10005 please", "3782.822463.10005"),
        ("uatp 1234.56789.012346", None),
        ("card number4111111111111111 exp 0927", "4111111111111111"),
        ("it is4111-1111-1111-1111 cvv on back", "4111-1111-1111-1111"),
        ("חייבו אותי ב-4111 1111 1111 1111", "4111 1111 1111 1111"),
    ],
)
def test_cards_dotted_in_their_groups_glued_to_a_word_or_a_hebrew_prefix(
    text: str, value: str | None
) -> None:
    assert found(text) == ([("credit_card", value)] if value else [])


@pytest.mark.parametrize(
    "text", ["sha a3f4111111111111111 ok", "id x_4111111111111111", "range 10-4111111111111111"]
)
def test_no_card_inside_a_hash_an_id_or_after_a_hyphen(text: str) -> None:
    assert [k for k, _ in found(text) if k == "credit_card"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('server.login("ops@harbor.io", "Qv7-lake!Pine")', "Qv7-lake!Pine"),
        ('DriverManager.getConnection(url, "app", "Tq9~mesa=41")', None),
        ('DriverManager.getConnection("jdbc:mysql://db/app", "app", "Tq9~mesa=41");', "Tq9~mesa=41"),
        ("$db = new PDO('pgsql:host=db;dbname=app', 'app', 'cedar-moth-77');", "cedar-moth-77"),
        ("mysqli_connect('db', 'shop', 'Wren#5512', 'shop');", "Wren#5512"),
        ('sql.Open("mysql", "app:ochre-fern42@tcp(db:3306)/app")', "ochre-fern42"),
    ],
)
def test_the_password_argument_of_a_login_or_connect_call(text: str, value: str | None) -> None:
    passwords = [v for k, v in found(text) if k == "password"]
    assert passwords == ([value] if value else [])


def test_a_jwt_at_the_end_of_a_sentence() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2lnbmF0dXJlLWJ5dGVz"
    assert found(f"here is the token {jwt}.") == [("jwt", jwt)]
