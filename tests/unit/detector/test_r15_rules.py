"""Rules added while tuning on the code-and-config snippet set (r15), each on examples of our own: what the
detector must find, and the near misses it must leave alone."""

from __future__ import annotations

import pytest

from alerts import scan


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


# --- vendor formats -----------------------------------------------------------------------------------------

_FCM = (
    "AAAAu8jzPde:APA91bmUhBel31iEl2hpChYgCfrL1spNxnyVmihA-2O76UMFxFkM-R5Kjp1vRt_1fjORS-6ilI8ihN5KXSc7Tvo-hBKqF"
    "YY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZYn9ZhyiA4u"
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (f"push server key {_FCM}", _FCM),
        (
            "secret id AKIDhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FD in the job log",
            "AKIDhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FD",
        ),
        (
            "BT=access_token$sandbox$44tfjgvq4k7bn7xj$0928b5b7a767c76fb008f86bebb2737f",
            "access_token$sandbox$44tfjgvq4k7bn7xj$0928b5b7a767c76fb008f86bebb2737f",
        ),
        ("flags: sdk-7b8f2ab5-3451-d013-5675-f6ad325b55dd", "sdk-7b8f2ab5-3451-d013-5675-f6ad325b55dd"),
        (
            "crm pat-eu1-9c3a23cd-e67a-9b75-fc39-47249fc2d0a1 ok",
            "pat-eu1-9c3a23cd-e67a-9b75-fc39-47249fc2d0a1",
        ),
        (
            "duffel_test_N0MEQ7wjJJibaZUPgHV7iB3m03nbqnsGpWLuqIA1id6",
            "duffel_test_N0MEQ7wjJJibaZUPgHV7iB3m03nbqnsGpWLuqIA1id6",
        ),
        (
            "shipping EZAKbed440e50454f31af3176813e02ea68ef786e4d3cea27d26934b48",
            "EZAKbed440e50454f31af3176813e02ea68ef786e4d3cea27d26934b48",
        ),
        (
            "prefect login -k pnu_4i9DoV8gz4FkQ1okTBGzvAmwufUxbvJDCTby",
            "pnu_4i9DoV8gz4FkQ1okTBGzvAmwufUxbvJDCTby",
        ),
    ],
)
def test_vendor_formats_are_api_keys(text: str, key: str) -> None:
    assert ("api_key", key) in found(text)


def test_a_bitbucket_app_password_is_an_api_key_not_a_password() -> None:
    text = "deploy_app_password = ATBB1aE6PwZPf1Qh6yYTWmE4lBYOvfZ8UzDz255404E4"
    assert found(text) == [("api_key", "ATBB1aE6PwZPf1Qh6yYTWmE4lBYOvfZ8UzDz255404E4")]


@pytest.mark.parametrize(
    "text",
    [
        # Words only, or the documentation's filler.
        "sdk-setup-guide-for-the-mobile-and-server-apps",
        "access_token$production$your_merchant_here$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "pat-na1-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    ],
)
def test_vendor_shaped_words_that_are_not_keys(text: str) -> None:
    assert found(text) == []


# --- secrets passed positionally ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "aws ssm put-parameter --name /staging/mapbox_api_key --value a923732881584d8c4fa2815d28028272",
            "a923732881584d8c4fa2815d28028272",
        ),
        (
            "gh secret set SENTRY_AUTH_TOKEN --body a923732881584d8c4fa2815d28028272",
            "a923732881584d8c4fa2815d28028272",
        ),
        (
            'variable "pagerduty_api_key" {\n  type      = string\n  sensitive = true\n'
            '  default   = "a923732881584d8c4fa2815d28028272"\n}',
            "a923732881584d8c4fa2815d28028272",
        ),
        ('<add key="PAYMENTS_CLIENT_SECRET" value="q8Zr2mVx9LpT4wNc7Ks1Hd" />', "q8Zr2mVx9LpT4wNc7Ks1Hd"),
        (
            'let api = Client::new("qh5av2ricphkqdlmttns4lrwbqcabm6p4g37ztnovmizwdiaeq3k");',
            "qh5av2ricphkqdlmttns4lrwbqcabm6p4g37ztnovmizwdiaeq3k",
        ),
        ("sms.init(accountSid, 'a923732881584d8c4fa2815d28028272')", "a923732881584d8c4fa2815d28028272"),
    ],
)
def test_positional_secrets_are_api_keys(text: str, key: str) -> None:
    assert ("api_key", key) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        # A struct's field, a URL, a name: no key.
        'c := redis.NewClient(&redis.Options{Addr: "10.20.30.40:6379-primary-node"})',
        'http = Client::new("https://api.example.org/v2/resources")',
        'app.init("analytics-dashboard-frontend-module")',
        "aws ssm put-parameter --name /staging/mapbox_api_key --value ${MAPBOX_KEY}",
    ],
)
def test_positional_arguments_that_are_not_keys(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "api_key"] == []


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ('$db = new mysqli("db.internal", "shop", "Hx7!qmPz2v", "orders");', "Hx7!qmPz2v"),
        ('.basic_auth("deployer", Some("Wq3#nv8Lpz"))', "Wq3#nv8Lpz"),
        ('<property name="spring.datasource.password">Tk9$ve2Rw</property>', "Tk9$ve2Rw"),
        ("passwd q=7Hv!p2Lm", "q=7Hv!p2Lm"),
    ],
)
def test_password_positions(text: str, password: str) -> None:
    assert ("password", password) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'cfg.set("db", "password", "%(SMTP_PASSWORD)s")',
        "password=%(MAIL_PASSWORD)s",
        '<property name="password.policy.minLength">12</property>',
        "reason=bad_password attempts=5",
    ],
)
def test_password_near_misses(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "password"] == []


# --- cards, phones, IP addresses and SSNs -------------------------------------------------------------------


def test_a_13_digit_visa_in_dotted_4_4_5_groups() -> None:
    assert found("card on file 4016.8493.40726") == [("credit_card", "4016.8493.40726")]


def test_a_number_spaced_as_its_country_writes_it_is_a_phone() -> None:
    # (A range phonenumbers does not know as allocated, in Czechia's own 3-3-3 grouping.)
    assert found("desk +420 638 204 517, after hours") == [("phone", "+420 638 204 517")]


def test_an_unallocated_number_without_grouping_or_context_is_left_alone() -> None:
    assert found("ref +420638204517") == []


def test_an_oid_is_no_ip_address() -> None:
    assert found("the certificate's OID 1.3.6.1 is checked") == []


@pytest.mark.parametrize("text", ["Invoice 482915736 paid (SSN not needed)", "order 482915736, ssn on file"])
def test_a_number_named_as_an_order_is_no_ssn(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "ssn"] == []


def test_a_bare_ssn_still_found_after_its_name() -> None:
    assert found("SSN 482915736") == [("ssn", "482915736")]
