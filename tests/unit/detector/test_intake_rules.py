"""Rules added while tuning on the message-intake set (r12), each on examples of our own: what the
detector must find, and what it must leave alone."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


# --- phone numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # Five pairs are a French number, not a date followed by more digits.
        ("nouveau numéro : 06-12-48-73-95, merci", "06-12-48-73-95"),
        # An abbreviation of "phone" and its dot, the number glued to it.
        ("ph.07834 561209", "07834 561209"),
        # Area code, slash, subscriber: how German-speaking countries write a number.
        ("Büro: 030/4458123", "030/4458123"),
        ("Telefon 0221/9547120 (ab 9 Uhr)", "0221/9547120"),
        # Japanese says what the number is for after it.
        ("明日の件、09076543210までご連絡ください。", "09076543210"),
        # "Call me on" in Arabic, "contact" in Portuguese.
        ("من فضلك اتصل بي على 0561234987", "0561234987"),
        ("Contato: 936 184 207.", "936 184 207"),
        # A fictional 555-01xx number is someone's when the text says it is their phone.
        ("call me on (646) 555-0142", "(646) 555-0142"),
    ],
)
def test_phone_numbers_in_more_national_writings(text: str, number: str) -> None:
    assert found(text) == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        # Whose number it is comes after the word for number: a customer's, not a phone.
        "numéro client 48213957",
        "codice cliente 3391845720",
        # Art.-Nr.: an article number.
        "Art.-Nr. 0160-5521-73, Farbe Blau",
        # NANP keeps 555-0100..0199 for fiction; without a word that makes it someone's, it is a prop.
        "(646) 555-0142 is the number the actors dial",
        "Demo: +1 312 555 0177 from the manual",
        # A slash after a year or a lone digit is no area code.
        "Rechnung 2024/1234567",
        "graph.07834 561209",
    ],
)
def test_numbers_that_are_not_phones(text: str) -> None:
    assert found(text) == []


# --- IP addresses ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # A host flag with the address glued to it.
        ("mysqldump -uroot -h172.16.105.9 shop > shop.sql", "172.16.105.9"),
        ("psql -h10.1.2.3 -U app", "10.1.2.3"),
        # Beside a version, an address the words name, or a private one, is still an address.
        ("firmware 5.2.18.40 pushed to host 9.1.33.7", "9.1.33.7"),
        ("firmware 5.2.18.40 pushed to 10.4.7.21", "10.4.7.21"),
        # ... and one on another line.
        ("Build 5.2.18.40 ok\nblocked 9.1.33.7 after 5 attempts", "9.1.33.7"),
    ],
)
def test_addresses_found(text: str, address: str) -> None:
    assert [(k, v) for k, v in found(text) if k == "ip_address"] == [("ip_address", address)]


@pytest.mark.parametrize(
    "text",
    [
        # The other quads of a line that named one a version.
        "Build 5.2.18.40 (firmware), regression since 9.1.33.7",
        # One documentation address the words call an example makes the others examples.
        "Point the client at 198.51.100.20 as the example shows, and the resolver at 192.0.2.53.",
    ],
)
def test_versions_and_examples_beside_others(text: str) -> None:
    assert found(text) == []


def test_a_documentation_address_alone_is_still_reported() -> None:
    assert found("X-Forwarded-For: 192.0.2.1") == [("ip_address", "192.0.2.1")]


# --- e-mail addresses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # A remote shell's or copy's login: a user on a host.
        "ssh -i ~/.ssh/ops_key ops@jump.kettleworks.io",
        "scp backup.tgz ana@files.lindqvist.se:/tmp",
        "rsync -avz ./site/ www@web.kettleworks.io:/var/www",
        # A role's name at a documentation domain: the template of an address.
        "Contact: user@example.com, admin@example.org",
        "mail: someone@example.net",
    ],
)
def test_logins_and_template_addresses_are_no_emails(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # "ssh" in a sentence, then an address further on, is still a mailbox.
        ("I can't ssh in, so mail me at ana@lindqvist.se", "ana@lindqvist.se"),
        # A person's name at an example domain stands in for a real address in pasted data.
        ("write to maria.kovacs@example.org", "maria.kovacs@example.org"),
    ],
)
def test_addresses_beside_those_rules(text: str, address: str) -> None:
    assert found(text) == [("email", address)]


# --- passwords ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Piped into a login that reads its password from standard input.
        ("echo 9fQ-rr2%Lm | docker login ghcr.io -u ana --password-stdin", "9fQ-rr2%Lm"),
        ("printf '%s' 'Zt7!pq-Wv' | helm registry login reg.x.io -u ci --password-stdin", "Zt7!pq-Wv"),
        # A grant type naming the password is not the value; the next parameter still gives it.
        ("curl -d 'grant_type=password&username=bo&password=Kx9!mmq2' https://id.x.io/t", "Kx9!mmq2"),
        ("user/password: admin/Drag0n!23", "Drag0n!23"),
    ],
)
def test_passwords_found(text: str, value: str) -> None:
    assert [(k, v) for k, v in found(text) if k == "password"] == [("password", value)]


@pytest.mark.parametrize(
    "text",
    [
        "echo $CI_REGISTRY_PASSWORD | docker login -u ci --password-stdin",
        "cat pw.txt | docker login -u ci --password-stdin",
        # A variable named after the password, in code.
        'db.execute("SET PASSWORD = %(pw)s", {"pw": rotated_pw})',
        # The keyword is a file of a path: what follows is the next argument.
        "podman run -e MARIADB_PASSWORD_FILE=/run/secrets/maria_pw mariadb:11.2",
        # The keyword is the value of an option: the field to read, then the secret's path.
        "vault kv get -field=password kv/billing/replica",
    ],
)
def test_password_words_that_give_no_password(text: str) -> None:
    assert found(text) == []


# --- keys, SSNs, IBANs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "sqp_a6dcc12ce0bc599f3f30c8f62e232e3514de3892",  # SonarQube project token
        "squ_0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6",  # SonarQube user token
        "rubygems_bdcfab7c3e44af9a43b5762ebd157ce37b223be8ca1ac646",
        # An Azure client secret one character longer than today's issue.
        "Xy71Q~aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wZ",
    ],
)
def test_more_vendor_keys_without_a_keyword(key: str) -> None:
    assert found(f'ok so I pasted "{key}" in the config') == [("api_key", key)]


@pytest.mark.parametrize(
    "text",
    ["Il numero di protocollo è 512-44-9081", "codice cliente 512-44-9081", "expediente 512-44-9081"],
)
def test_case_and_customer_numbers_are_no_ssn(text: str) -> None:
    assert found(text) == []


def test_an_iban_glued_to_its_name() -> None:
    assert found("IBANDE89370400440532013000") == [("iban", "DE89370400440532013000")]
    # (Its check digits still decide.)
    assert found("IBANDE89370400440532013001") == []
