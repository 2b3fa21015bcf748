# ruff: noqa: E501  (a data file: messages and generator one-liners read best unbroken)
"""Writes regression/generated.jsonl: realistic chat messages with labeled sensitive spans, clean chatter and hard negatives.

Run ``python -m tests.data.corpora.generate``; the seed is fixed so the file is reproducible. Each line is
``{"text", "spans": [{"kind", "start", "end"}], "category": "positive" | "clean" | "hard_negative", "lang"}``.
Values are synthetic (valid checksums, random secrets); nothing here belongs to anyone.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import uuid
from collections.abc import Callable
from pathlib import Path

import phonenumbers

OUT = Path(__file__).with_name("regression") / "generated.jsonl"
R = random.Random(20261129)

FIRST = "john jane maria pierre hans olga ivan lucia marco sofia liam noah emma chen yuki ahmed fatima lars anna paul".split()
LAST = "doe smith mueller dupont garcia rossi ivanov petrova kowalski jensen tanaka silva novak brown lee kim".split()
DOMAINS = "gmail.com yahoo.com outlook.com proton.me company.io example.org web.de mail.ru orange.fr acme-corp.com uni-heidelberg.de startup.dev".split()


def rs(alphabet: str, n: int) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


B62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


# --- value generators ----------------------------------------------------------------------------------------


def email_plain() -> str:
    f, last = R.choice(FIRST), R.choice(LAST)
    local = R.choice(
        [f"{f}.{last}", f"{f}{R.randint(1, 99)}", f"{f[0]}{last}", f"{f}_{last}", f"{f}+news", f"{last}.{f}"]
    )
    return f"{local}@{R.choice(DOMAINS)}"


def email_spelled() -> str:
    f, last = R.choice(FIRST), R.choice(LAST)
    dom, tld = R.choice(DOMAINS).rsplit(".", 1)
    style = R.randrange(6)
    if style == 0:
        return f"{f} dot {last} at {dom} dot {tld}"
    if style == 1:
        return f"{f}(at){dom}(dot){tld}"
    if style == 2:
        return f"{f}.{last} [at] {dom}.{tld}"
    if style == 3:
        return f"{f} [at] {dom} [dot] {tld}"
    if style == 4:
        return f"{f}{R.randint(1, 99)} at {dom} dot {tld}"
    return f"{f} AT {dom} DOT {tld}"


def _valid_number(region: str) -> phonenumbers.PhoneNumber:
    ex = phonenumbers.example_number_for_type(
        region, R.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
    )
    nat = str(ex.national_number)
    for _ in range(200):
        cand = nat[: max(3, len(nat) - 4)] + rs(string.digits, len(nat) - max(3, len(nat) - 4))
        n = phonenumbers.parse("+" + str(ex.country_code) + cand)
        if phonenumbers.is_valid_number(n):
            return n
    return ex


PHONE_REGIONS = [
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "BR",
    "IN",
    "RU",
    "JP",
    "AU",
    "MX",
    "PL",
    "CH",
    "SE",
    "CA",
]


def phone() -> str:
    region = R.choice(PHONE_REGIONS)
    n = _valid_number(region)
    fmt = R.random()
    if fmt < 0.35:
        return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if fmt < 0.45:
        return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    if fmt < 0.55 and region in ("US", "CA"):
        s = str(n.national_number)
        return R.choice(
            [f"{s[:3]}.{s[3:6]}.{s[6:]}", f"{s[:3]}-{s[3:6]}-{s[6:]}", f"+1-{s[:3]}-{s[3:6]}-{s[6:]}"]
        )
    if fmt < 0.6:
        return "00" + phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)[1:]
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)


def ipv4() -> str:
    kind = R.randrange(4)
    if kind == 0:
        return f"192.168.{R.randint(0, 255)}.{R.randint(1, 254)}"
    if kind == 1:
        return f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"
    return ".".join(str(R.randint(1, 254)) for _ in range(4))


def ipv6() -> str:
    groups = [format(R.randint(0, 0xFFFF), "x") for _ in range(8)]
    style = R.randrange(3)
    if style == 0:
        return ":".join(groups)
    if style == 1:
        return f"2001:db8:{groups[2]}::{groups[7]}"
    return f"fe80::{groups[4]}:{groups[5]}:{groups[6]}:{groups[7]}"


def ip() -> str:
    return ipv6() if R.random() < 0.3 else ipv4()


def _luhn_complete(prefix: str, length: int) -> str:
    body = prefix + rs(string.digits, length - len(prefix) - 1)
    for d in string.digits:
        cand = body + d
        total = 0
        for i, ch in enumerate(reversed(cand)):
            x = int(ch)
            if i % 2 == 1:
                x = x * 2 - 9 if x > 4 else x * 2
            total += x
        if total % 10 == 0:
            return cand
    raise AssertionError


CARD_BRANDS = [
    ("4", 16),
    ("4", 13),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("2345", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
    ("36", 14),
    ("62", 16),
    ("6304", 16),
]


def card_digits() -> str:
    prefix, length = R.choice(CARD_BRANDS)
    return _luhn_complete(prefix, length)


def card() -> str:
    d = card_digits()
    style = R.randrange(3)
    if style == 0:
        return d
    sep = " " if style == 1 else "-"
    if len(d) == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    if len(d) == 14:
        return sep.join([d[:4], d[4:10], d[10:]])
    return sep.join(d[i : i + 4] for i in range(0, len(d), 4))


IBAN_SPECS = {
    "DE": "n18",
    "FR": "n10a11n2",
    "GB": "A4n14",
    "ES": "n20",
    "IT": "A1n10a12",
    "NL": "A4n10",
    "BE": "n12",
    "CH": "n17",
    "AT": "n16",
    "PL": "n24",
    "PT": "n21",
    "SE": "n20",
    "IE": "A4n14",
    "NO": "n11",
    "DK": "n14",
}


def iban_compact(country: str | None = None) -> str:
    country = country or R.choice(list(IBAN_SPECS))
    bban = ""
    for kind, count in re.findall(r"([nAa])(\d+)", IBAN_SPECS[country]):
        alphabet = (
            string.digits
            if kind == "n"
            else string.ascii_uppercase
            if kind == "A"
            else string.ascii_uppercase + string.digits
        )
        bban += rs(alphabet, int(count))
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - num % 97:02d}{bban}"


def iban() -> str:
    c = iban_compact()
    return c if R.random() < 0.5 else " ".join(c[i : i + 4] for i in range(0, len(c), 4))


def ssn_value() -> str:
    area = R.choice([R.randint(1, 665), R.randint(667, 899)])
    return f"{area:03d}-{R.randint(1, 99):02d}-{R.randint(1, 9999):04d}"


WORDS = "sunshine dragon monkey shadow falcon tiger summer winter autumn coffee pizza rocket garden castle river".split()


def password() -> str:
    style = R.randrange(5)
    if style == 0:
        return R.choice(WORDS).capitalize() + str(R.randint(1, 2026)) + R.choice("!#$%?@")
    if style == 1:
        return rs(B62, R.randint(10, 16))
    if style == 2:
        return rs(B62 + "!@#$%^&*-_", R.randint(8, 20)).replace("'", "")
    if style == 3:
        return R.choice(WORDS) + rs(string.digits, R.randint(2, 4))
    return rs(string.ascii_lowercase, 3) + rs(string.digits, 3) + rs(string.ascii_uppercase, 2)


def api_key_prefixed() -> str:
    k = R.randrange(14)
    if k == 0:
        return "ghp_" + rs(B62, 36)
    if k == 1:
        return R.choice(["sk_live_", "sk_test_", "rk_live_"]) + rs(B62, 24)
    if k == 2:
        return (
            R.choice(["xoxb-", "xoxp-"])
            + f"{R.randint(10**10, 10**11)}-{R.randint(10**10, 10**11)}-"
            + rs(B62, 24)
        )
    if k == 3:
        return "AIza" + rs(B62 + "-_", 35)
    if k == 4:
        return "sk-" + rs(B62, 48)
    if k == 5:
        return "sk-proj-" + rs(B62 + "-_", 56)
    if k == 6:
        return "SG." + rs(B62 + "-_", 22) + "." + rs(B62 + "-_", 43)
    if k == 7:
        return "SK" + rs(HEX, 32)
    if k == 8:
        return "glpat-" + rs(B62 + "-_", 20)
    if k == 9:
        return "npm_" + rs(B62, 36)
    if k == 10:
        return "hf_" + rs(B62, 34)
    if k == 11:
        return "github_pat_" + rs(B62, 22) + "_" + rs(B62, 59)
    if k == 12:
        return "xoxa-2-" + rs(B62, 30)
    return "key-" + rs(HEX, 32)


def generic_secret() -> str:
    return (
        rs(B62, R.choice([20, 24, 32, 40]))
        if R.random() < 0.7
        else rs(HEX, 32) + rs(string.ascii_uppercase, 2)
    )


def aws_id() -> str:
    return R.choice(["AKIA", "ASIA"]) + rs(string.ascii_uppercase + string.digits, 16)


def aws_secret() -> str:
    while True:
        s = rs(B62 + "/+", 40)
        if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s):
            return s


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt() -> str:
    header = _b64u(json.dumps({"alg": R.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    payload = _b64u(
        json.dumps(
            {"sub": str(R.randint(1, 10**6)), "name": R.choice(FIRST), "iat": R.randint(10**9, 2 * 10**9)}
        ).encode()
    )
    return f"{header}.{payload}.{_b64u(R.randbytes(32))}"


def private_key() -> str:
    label = R.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = base64.b64encode(R.randbytes(R.choice([120, 180, 300]))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    joiner = R.choice(["\n", "\\n", " "])
    return joiner.join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def bearer() -> str:
    return rs(B62 + "-._~", R.randint(24, 48)).strip("-._~") + rs(B62, 2)


GEN: dict[str, Callable[[], str]] = {
    "email": lambda: email_spelled() if R.random() < 0.3 else email_plain(),
    "phone": phone,
    "ip_address": ip,
    "credit_card": card,
    "iban": iban,
    "ssn": ssn_value,
    "password": password,
    "api_key": lambda: api_key_prefixed() if R.random() < 0.7 else generic_secret(),
    "aws_key": lambda: aws_id(),
    "jwt": jwt,
    "private_key": private_key,
    "bearer_token": bearer,
}

# --- templates -----------------------------------------------------------------------------------------------
# {kind} slots are filled with generated values and labeled; {kind:raw} values of a named generator.

T: dict[str, list[tuple[str, str]]] = {
    "email": [
        ("en", "hey, you can reach me at {email} anytime"),
        ("en", "Please send the invoice to {email}, thanks!"),
        ("en", "my email is {email}"),
        ("en", "cc {email} on the thread pls"),
        ("en", "contact: {email}"),
        ("de", "Schreib mir einfach an {email}, danke"),
        ("de", "Meine E-Mail-Adresse lautet {email}."),
        ("fr", "Mon adresse mail : {email}"),
        ("fr", "écris-moi à {email} stp"),
        ("es", "Mi correo es {email}"),
        ("es", "envíalo a {email} por favor"),
        ("ru", "Моя почта: {email}"),
        ("pt", "meu e-mail é {email}"),
        ("it", "scrivimi a {email} grazie"),
        ("en", "forwarding to {email} and {email}"),
        ("en", "[2024-03-02 10:11:04] user={email} logged in"),
    ],
    "phone": [
        ("en", "call me at {phone}"),
        ("en", "my number is {phone}, text anytime"),
        ("en", "Phone: {phone}"),
        ("en", "you can reach the front desk on {phone}"),
        ("de", "Ruf mich an unter {phone}"),
        ("de", "Meine Handynummer: {phone}"),
        ("fr", "Mon numéro : {phone}"),
        ("fr", "appelle-moi au {phone}"),
        ("es", "Mi teléfono es {phone}"),
        ("es", "llámame al {phone}"),
        ("ru", "Мой телефон {phone}"),
        ("pt", "meu celular é {phone}"),
        ("it", "il mio numero è {phone}"),
        ("en", "whatsapp {phone} pls"),
        ("en", "{phone} is my cell"),
        ("en", "emergency contact {phone} (mom)"),
    ],
    "ip_address": [
        ("en", "the server is at {ip_address}"),
        ("en", "can't ssh into {ip_address}, times out"),
        ("en", "login from {ip_address} flagged"),
        ("en", "set the DNS to {ip_address} and retry"),
        ("de", "Der Server hat die IP {ip_address}"),
        ("fr", "l'adresse IP est {ip_address}"),
        ("es", "mi IP es {ip_address}"),
        ("ru", "IP адрес сервера: {ip_address}"),
        ("en", "connection refused: {ip_address} port 5432"),
        ("en", "GET /api from {ip_address} 200 OK"),
        ("en", "whitelist {ip_address} please"),
    ],
    "credit_card": [
        ("en", "my card number is {credit_card}"),
        ("en", "card: {credit_card} exp 09/27"),
        ("en", "use {credit_card} for the booking"),
        ("de", "Kartennummer {credit_card}, gültig bis 03/26"),
        ("fr", "numéro de carte : {credit_card}"),
        ("es", "mi tarjeta es {credit_card}"),
        ("ru", "номер карты {credit_card}"),
        ("pt", "cartão {credit_card}"),
        ("it", "la carta è {credit_card}"),
        ("en", "charge {credit_card} again please"),
        ("en", "{credit_card}"),
    ],
    "iban": [
        ("en", "my IBAN is {iban}"),
        ("en", "please wire it to {iban}"),
        ("de", "IBAN: {iban}, BIC folgt"),
        ("de", "Überweisung bitte auf {iban}"),
        ("fr", "mon RIB / IBAN : {iban}"),
        ("es", "el IBAN es {iban}"),
        ("it", "IBAN {iban} intestato a me"),
        ("nl", "rekeningnummer {iban}"),
        ("en", "refund to {iban} pls"),
    ],
    "ssn": [
        ("en", "my SSN is {ssn}"),
        ("en", "SSN: {ssn}"),
        ("en", "social security number {ssn}"),
        ("en", "here's my social: {ssn}"),
        ("en", "ssn {ssn:bare} for the form"),
        ("en", "Social Security No. {ssn:bare}"),
        ("en", "the applicant's SSN ({ssn}) is on file"),
        ("en", "{ssn} is my social security number"),
    ],
    "password": [
        ("en", "my password is {password}"),
        ("en", "password: {password}"),
        ("en", "pwd: {password}"),
        ("en", "pass={password}"),
        ("en", "the wifi password is {password}"),
        ("en", "new password -> {password}"),
        ("en", "login admin / password {password}"),
        ("en", "I changed the password to {password}"),
        ("en", "use {password} as the password"),
        ("en", "DB_PASSWORD={password}"),
        ("en", 'password = "{password}"'),
        ("en", "The password for the staging server is {password}"),
        ("en", "pw: {password}"),
        ("de", "Passwort: {password}"),
        ("de", "Das Passwort lautet {password}"),
        ("de", "Kennwort ist {password}"),
        ("fr", "mot de passe : {password}"),
        ("fr", "le mot de passe est {password}"),
        ("fr", "mdp: {password}"),
        ("es", "contraseña: {password}"),
        ("es", "la contraseña es {password}"),
        ("pt", "a senha é {password}"),
        ("pt", "senha: {password}"),
        ("it", "la password è {password}"),
        ("nl", "wachtwoord: {password}"),
        ("ru", "пароль: {password}"),
        ("ru", "мой пароль {password}"),
        ("pl", "hasło: {password}"),
        ("tr", "şifre: {password}"),
        ("zh", "密码：{password}"),
        ("ja", "パスワードは{password}です"),
        ("en", "postgres://app:{password}@db.internal:5432/prod"),
        ("en", "REDIS_URL=redis://:{password}@cache:6379/0"),
        ("en", "amqp://guest:{password}@rabbit:5672//"),
        ("en", '"password": "{password}"'),
        ("en", "mysql -u root --password={password}"),
        ("en", "user: bob, password: {password}"),
    ],
    "api_key": [
        ("en", "here's the key {api_key}"),
        ("en", "api_key={api_key}"),
        ("en", "API key: {api_key}"),
        ("en", "export OPENAI_API_KEY={api_key}"),
        ("en", "token: {api_key}"),
        ("en", 'STRIPE_SECRET_KEY="{api_key}"'),
        ("de", "Der API-Schlüssel ist {api_key}"),
        ("fr", "la clé API : {api_key}"),
        ("es", "clave API: {api_key}"),
        ("en", "client_secret: {api_key}"),
        ("en", "curl -H 'X-API-Key: {api_key}' https://api.example.com"),
        ("en", "oops I pasted {api_key} in the public channel"),
        ("ru", "токен: {api_key}"),
    ],
    "aws_key": [
        ("en", "AWS_ACCESS_KEY_ID={aws_key}"),
        ("en", "access key {aws_key}"),
        ("en", "aws key: {aws_key}"),
        ("en", "aws_access_key_id = {aws_key}\naws_secret_access_key = {aws_key:secret}"),
        ("en", "the IAM user's key is {aws_key} and secret {aws_key:secret}"),
        ("de", "AWS Zugangsschlüssel: {aws_key}"),
        ("en", "AWS_SECRET_ACCESS_KEY={aws_key:secret}"),
    ],
    "jwt": [
        ("en", "token={jwt}"),
        ("en", "here's my jwt {jwt}"),
        ("en", "cookie session={jwt}; Path=/"),
        ("en", "Authorization: Bearer {jwt}"),
        ("de", "JWT: {jwt}"),
        ("en", "decoded {jwt} on jwt.io and it's expired"),
    ],
    "private_key": [
        ("en", "here is the deploy key:\n{private_key}"),
        ("en", "{private_key}"),
        ("en", 'key = "{private_key}"'),
        ("de", "Schlüssel: {private_key}"),
        ("en", "ssh key pasted below {private_key} pls rotate"),
    ],
    "bearer_token": [
        ("en", "Authorization: Bearer {bearer_token}"),
        ("en", 'curl -H "Authorization: Bearer {bearer_token}" https://api.x.io'),
        ("en", "use header bearer {bearer_token}"),
        ("en", "the bearer token is Bearer {bearer_token}"),
        ("de", "Header: Authorization: Bearer {bearer_token}"),
    ],
}

CLEAN = {
    "en": [
        "hey, are we still on for lunch tomorrow?",
        "the build is green again, thanks everyone",
        "can someone review my PR when you get a chance",
        "I'll be out of office next week",
        "meeting moved to 3pm",
        "lol that's hilarious",
        "did you see the game last night?",
        "the deploy went fine, no errors",
        "where do we keep the onboarding docs?",
        "happy birthday!! 🎉",
        "let's sync after standup",
        "coffee machine is broken again",
        "please update the ticket description",
        "I think the cache is stale, try clearing it",
        "thanks for the quick fix",
        "running 10 minutes late, sorry",
        "who owns the billing service?",
        "ok sounds good",
        "brb",
        "the tests are flaky on CI, rerunning",
        "we need 3 more people for the offsite",
        "welcome to the team, Sarah!",
        "just pushed the hotfix",
        "weather is nice today",
        "can you share the slides from yesterday",
        "the client loved the demo",
    ],
    "de": [
        "Hallo zusammen, wie geht's?",
        "Das Meeting ist auf morgen verschoben",
        "Kannst du mir kurz helfen?",
        "Danke für die schnelle Antwort",
        "Ich bin heute im Homeoffice",
        "Der Build ist wieder grün",
        "Wer hat Lust auf Mittagessen?",
        "Bis später!",
    ],
    "fr": [
        "Salut, tu es dispo pour un call ?",
        "La réunion est reportée à demain",
        "Merci pour ton aide",
        "Je suis en télétravail aujourd'hui",
        "Bon week-end à tous !",
        "Le déploiement s'est bien passé",
    ],
    "es": [
        "Hola, ¿cómo estás?",
        "La reunión es mañana a las diez",
        "Gracias por la ayuda",
        "Estoy trabajando desde casa hoy",
        "¡Buen fin de semana!",
    ],
    "ru": [
        "Привет, как дела?",
        "Встреча перенесена на завтра",
        "Спасибо за помощь",
        "Я сегодня работаю из дома",
        "Сборка снова зелёная",
    ],
    "pt": ["Oi, tudo bem?", "A reunião foi adiada", "Obrigado pela ajuda", "Bom fim de semana!"],
    "it": ["Ciao, come va?", "La riunione è spostata a domani", "Grazie mille per l'aiuto"],
    "ja": ["おはようございます", "会議は明日に変更になりました"],
    "zh": ["大家好", "会议改到明天了"],
}


def _luhn_fail_16() -> str:
    d = card_digits()
    return d[:-1] + str((int(d[-1]) + R.randint(1, 9)) % 10)


def _bad_iban() -> str:
    c = iban_compact()
    return c[:2] + f"{(int(c[2:4]) + R.randint(1, 50)) % 100:02d}" + c[4:]


HARD: list[tuple[str, Callable[[], str]]] = [
    ("en", lambda: f"order #{R.randint(10**7, 10**10)} has shipped"),
    (
        "en",
        lambda: f"Order number {R.randint(100, 999)}-{R.randint(1000000, 9999999)}-{R.randint(1000000, 9999999)}",
    ),
    ("en", lambda: f"request id {uuid.UUID(int=R.getrandbits(128), version=4)} failed"),
    ("en", lambda: f"trace_id={uuid.UUID(int=R.getrandbits(128), version=4)}"),
    ("en", lambda: f"fixed in commit {rs(HEX, 40)}"),
    ("en", lambda: f"cherry-pick {rs(HEX, 7)} onto main"),
    ("en", lambda: f"sha256: {rs(HEX, 64)}"),
    ("en", lambda: f"md5sum is {rs(HEX, 32)}"),
    ("en", lambda: f"image digest sha256:{rs(HEX, 64)}"),
    (
        "en",
        lambda: f"upgrade to version {R.randint(1, 9)}.{R.randint(0, 20)}.{R.randint(0, 99)}.{R.randint(0, 200)}",
    ),
    ("en", lambda: f"running PHP {R.randint(5, 8)}.{R.randint(0, 4)}.{R.randint(0, 40)}"),
    (
        "en",
        lambda: f"firmware v{R.randint(1, 9)}.{R.randint(0, 9)}.{R.randint(0, 99)}.{R.randint(0, 255)} is out",
    ),
    ("en", lambda: f"Chrome/{R.randint(100, 130)}.0.{R.randint(1000, 6999)}.{R.randint(10, 200)} crashes"),
    ("en", lambda: f"total is ${R.randint(1, 9999)}.{R.randint(0, 99):02d}"),
    ("de", lambda: f"Preis: {R.randint(1, 999)},{R.randint(0, 99):02d} €"),
    ("en", lambda: f"it costs {R.randint(1, 99)} {R.randint(100, 999)} {R.randint(100, 999)} rubles"),
    (
        "en",
        lambda: f"meeting on {R.randint(2020, 2027)}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d} at {R.randint(0, 23):02d}:{R.randint(0, 59):02d}",
    ),
    (
        "de",
        lambda: f"Termin am {R.randint(1, 28):02d}.{R.randint(1, 12):02d}.{R.randint(2020, 2027)} um 14:30",
    ),
    ("en", lambda: f"timestamp {R.randint(1_500_000_000, 1_800_000_000)}"),
    ("en", lambda: f"ts={R.randint(1_500_000_000_000, 1_800_000_000_000)}"),
    ("en", lambda: f"tracking: 1Z{rs(string.ascii_uppercase + string.digits, 6)}{rs(string.digits, 10)}"),
    (
        "en",
        lambda: f"USPS tracking {R.choice(['9400', '9205', '9361'])} {rs(string.digits, 4)} {rs(string.digits, 4)} {rs(string.digits, 4)} {rs(string.digits, 4)} {rs(string.digits, 2)}",
    ),
    ("en", lambda: f"FedEx 7{rs(string.digits, 11)} arrives tomorrow"),
    ("en", lambda: f"card ending {rs(string.digits, 4)}, ref {_luhn_fail_16()}"),
    ("en", lambda: f"{_luhn_fail_16()} is not a valid number"),
    ("en", lambda: "account " + " ".join(re.findall(r"\d{1,4}", _luhn_fail_16())) + " was closed"),
    ("en", lambda: "@here the release is out"),
    ("en", lambda: "@channel standup in 5"),
    ("en", lambda: "ping @here when you're back"),
    ("en", lambda: f"npm i lodash@{R.randint(1, 4)}.{R.randint(0, 20)}.{R.randint(0, 20)}"),
    (
        "en",
        lambda: f"pinned react@{R.randint(16, 19)}.{R.randint(0, 3)}.{R.randint(0, 9)} and @types/node@{R.randint(14, 22)}.0.0",
    ),
    ("en", lambda: "pip install requests==2.31.0"),
    ("en", lambda: f"icon@{R.randint(2, 3)}x.png is blurry"),
    ("en", lambda: "I forgot my password"),
    ("en", lambda: "how do I reset my password?"),
    ("en", lambda: "password is required"),
    ("en", lambda: "the password is wrong, try again"),
    ("en", lambda: "my password expired yesterday"),
    ("en", lambda: "use a password manager!"),
    ("en", lambda: "password: ********"),
    ("en", lambda: "DB_PASSWORD=${DB_PASSWORD}"),
    ("en", lambda: "password: <your password>"),
    ("en", lambda: "api_key=YOUR_API_KEY"),
    ("en", lambda: "export API_KEY=<your-api-key-here>"),
    ("en", lambda: "token: xxxxxxxxxxxxxxxx"),
    ("en", lambda: 'password = os.environ["DB_PASSWORD"]'),
    ("en", lambda: "Authorization: Bearer <token>"),
    ("en", lambda: "Authorization: Bearer $TOKEN"),
    ("en", lambda: "the bearer token expired again"),
    ("en", lambda: "postgres://user:${DB_PASSWORD}@localhost/db"),
    ("en", lambda: "mongodb://admin:<password>@cluster0/test"),
    ("de", lambda: "Ich habe mein Passwort vergessen"),
    ("de", lambda: "Passwort ist falsch"),
    ("fr", lambda: "j'ai oublié mon mot de passe"),
    ("fr", lambda: "mot de passe incorrect"),
    ("es", lambda: "olvidé mi contraseña"),
    ("es", lambda: "la contraseña es incorrecta"),
    ("ru", lambda: "я забыл пароль"),
    ("ru", lambda: "пароль неверный"),
    ("pt", lambda: "esqueci minha senha"),
    (
        "en",
        lambda: "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(R.randbytes(90)).decode()
        + "\n-----END PUBLIC KEY-----",
    ),
    (
        "en",
        lambda: "-----BEGIN CERTIFICATE-----\\n"
        + base64.b64encode(R.randbytes(120)).decode()
        + "\\n-----END CERTIFICATE-----",
    ),
    ("en", lambda: "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"),
    (
        "en",
        lambda: f"SSN format is XXX-XX-XXXX, e.g. 000-{R.randint(10, 99)}-{R.randint(1000, 9999)} is invalid",
    ),
    ("en", lambda: f"case 666-{R.randint(10, 99)}-{R.randint(1000, 9999)} closed"),
    ("en", lambda: f"IBAN {_bad_iban()} was rejected (checksum)"),
    ("en", lambda: f"color #{rs(HEX, 6)} looks off"),
    ("en", lambda: f"coords 48.{rs(string.digits, 4)}, 11.{rs(string.digits, 4)}"),
    ("en", lambda: f"the job took {R.randint(100, 99999)} ms"),
    (
        "en",
        lambda: f"ISBN 978-{R.randint(0, 9)}-{rs(string.digits, 3)}-{rs(string.digits, 5)}-{R.randint(0, 9)}",
    ),
    ("en", lambda: f"pid {R.randint(1000, 99999)} listening on port {R.randint(1024, 65535)}"),
    ("en", lambda: f"ticket JIRA-{R.randint(100, 9999)} blocks release {R.randint(1, 9)}.{R.randint(0, 9)}"),
    ("en", lambda: "look at this dot com bubble chart"),
    ("en", lambda: "we meet at noon dot"),
    ("en", lambda: "eyJ... is the start of every JWT"),
    ("en", lambda: f"docker pull nginx:1.{R.randint(19, 27)}.{R.randint(0, 5)}"),
    ("en", lambda: f"invoice INV-{R.randint(2020, 2026)}-{R.randint(10000, 99999)}"),
    ("en", lambda: f"call me at {R.randint(3, 9)}pm"),
    ("en", lambda: f"{R.randint(1, 12)}/{R.randint(1, 28)}/{R.randint(2020, 2027)} deadline"),
    ("en", lambda: f"build {R.randint(10000, 99999)} failed on step {R.randint(1, 20)}"),
    ("en", lambda: "api key rotation is scheduled for Friday"),
    ("en", lambda: "the token endpoint returns 401"),
    ("en", lambda: f"secret santa draw is on {R.randint(1, 28)} Dec"),
    ("en", lambda: "key: value pairs in config.yaml"),
    ("en", lambda: f"Windows 10.0.{R.randint(19000, 22631)}.{R.randint(1000, 4000)}"),
    ("en", lambda: f"mac 00:1A:{rs('0123456789ABCDEF', 2)}:3C:4D:5E"),
    ("en", lambda: f"uptime {R.randint(1, 99)}:{R.randint(10, 59)}:{R.randint(10, 59)}"),
    ("en", lambda: f"order {rs(string.digits, 9)} qty {R.randint(1, 9)}"),
]


# Messages written by hand in the shapes people actually paste: JSON, YAML, curl, logs, other scripts.
# Each sensitive value is labeled by kind and literal value; its offsets are found when building.
HANDWRITTEN_POSITIVE: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Hey, it's Sarah - shoot me an email at sarah_connor1984@hotmail.co.uk when you land",
        [("email", "sarah_connor1984@hotmail.co.uk")],
    ),
    (
        "contact me: first.last+tag@sub.domain.example.com",
        [("email", "first.last+tag@sub.domain.example.com")],
    ),
    ("my address is peter (at) example (dot) org", [("email", "peter (at) example (dot) org")]),
    ("mail: anna{at}firma{dot}de", [("email", "anna{at}firma{dot}de")]),
    ("reach me on +44 7700 900123", [("phone", "+44 7700 900123")]),
    ("Tel.: +49 (0)30 901820", [("phone", "+49 (0)30 901820")]),
    ("my cell is (212) 555-0187", [("phone", "(212) 555-0187")]),
    ("call 0044 20 7946 0958 before 5", [("phone", "0044 20 7946 0958")]),
    ("Mi número: +34 612 34 56 78", [("phone", "+34 612 34 56 78")]),
    ("номер телефона +7 912 345-67-89", [("phone", "+7 912 345-67-89")]),
    ("text me on 07911 123456", [("phone", "07911 123456")]),
    ("phone 415-555-2671", [("phone", "415-555-2671")]),
    ("the box answers at 172.16.254.1", [("ip_address", "172.16.254.1")]),
    ("blocked 203.0.113.42 after 5 attempts", [("ip_address", "203.0.113.42")]),
    (
        "IPv6 of the host: 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        [("ip_address", "2001:0db8:85a3:0000:0000:8a2e:0370:7334")],
    ),
    ("ssh root@10.0.0.12", [("ip_address", "10.0.0.12")]),
    ("Visa 4012888888881881 exp 12/26 cvv 123", [("credit_card", "4012888888881881")]),
    ("MC: 5105 1051 0510 5100", [("credit_card", "5105 1051 0510 5100")]),
    ("my amex is 3714-496353-98431", [("credit_card", "3714-496353-98431")]),
    ("discover 6011 0009 9013 9424", [("credit_card", "6011 0009 9013 9424")]),
    ("card no 2223 0031 2200 3222", [("credit_card", "2223 0031 2200 3222")]),
    ("please pay to NL91 ABNA 0417 1643 00", [("iban", "NL91 ABNA 0417 1643 00")]),
    ("IBAN: FR14 2004 1010 0505 0001 3M02 606", [("iban", "FR14 2004 1010 0505 0001 3M02 606")]),
    ("Kontonummer DE44 5001 0517 5407 3249 31", [("iban", "DE44 5001 0517 5407 3249 31")]),
    ("SSN 078-05-1120", [("ssn", "078-05-1120")]),
    ("social security number: 219 09 9999", [("ssn", "219 09 9999")]),
    ("my social is 536-90-4399", [("ssn", "536-90-4399")]),
    ("wifi pw is Tr0ub4dor&3", [("password", "Tr0ub4dor&3")]),
    ("The new password will be: Winter2024!", [("password", "Winter2024!")]),
    ("login: admin password: letmein123", [("password", "letmein123")]),
    ("Here are the creds: user=deploy pass=Xk9#mQ2$vL", [("password", "Xk9#mQ2$vL")]),
    ("mein Passwort ist Sommer2023", [("password", "Sommer2023")]),
    ("Le mot de passe est : Chaton42!", [("password", "Chaton42!")]),
    ("la contraseña es perro123", [("password", "perro123")]),
    ("пароль от вайфая: kotik2020", [("password", "kotik2020")]),
    ("senha: abacaxi99", [("password", "abacaxi99")]),
    ("mysql://root:R00tP4ss@127.0.0.1:3306/app", [("password", "R00tP4ss")]),
    ("https://admin:hunter22@internal.example.com/login", [("password", "hunter22")]),
    ("PASSWORD=q1w2e3r4t5", [("password", "q1w2e3r4t5")]),
    ("my password's sunshine42", [("password", "sunshine42")]),
    (
        "GITHUB_TOKEN=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",
        [("api_key", "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")],
    ),
    (
        "stripe key sk_test_51H8n2pLkdjfh38sdkfj3kdfjk38",
        [("api_key", "sk_test_51H8n2pLkdjfh38sdkfj3kdfjk38")],
    ),
    (
        "slack bot token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        [("api_key", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")],
    ),
    (
        "google maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        [("api_key", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe")],
    ),
    (
        "OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL012mno345PQR678stu901",
        [("api_key", "sk-proj-abc123DEF456ghi789JKL012mno345PQR678stu901")],
    ),
    (
        "sendgrid: 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",
        [("api_key", "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")],
    ),
    ("client_secret = 'a8Fj3kL9mN2pQ7rS5tU1vW4x'", [("api_key", "a8Fj3kL9mN2pQ7rS5tU1vW4x")]),
    ("x-api-key: 7f3d9a2b8c1e4f6a0d5b9c3e7a1f2d8b", [("api_key", "7f3d9a2b8c1e4f6a0d5b9c3e7a1f2d8b")]),
    ("AWS creds: AKIAJ2Q3W4E5R6T7Y8U9", [("aws_key", "AKIAJ2Q3W4E5R6T7Y8U9")]),
    (
        "export AWS_SECRET_ACCESS_KEY=abcdEFGH1234ijklMNOP5678qrstUVWX9012yzAB",
        [("aws_key", "abcdEFGH1234ijklMNOP5678qrstUVWX9012yzAB")],
    ),
    (
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuY29tIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLXZhbHVlLWhlcmUtMTIzNDU2",
        [
            (
                "jwt",
                "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuY29tIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLXZhbHVlLWhlcmUtMTIzNDU2",
            )
        ],
    ),
    (
        "-----BEGIN EC PRIVATE "
        "KEY-----\\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\\nAwEHoUQDQgAEPR3tU2eG3w==\\n-----END "
        "EC PRIVATE KEY-----",
        [
            (
                "private_key",
                "-----BEGIN EC PRIVATE "
                "KEY-----\\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\\nAwEHoUQDQgAEPR3tU2eG3w==\\n-----END "
                "EC PRIVATE KEY-----",
            )
        ],
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY----- "
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW QyNTUxOQAAACB9 -----END OPENSSH "
        "PRIVATE KEY-----",
        [
            (
                "private_key",
                "-----BEGIN OPENSSH PRIVATE KEY----- "
                "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW QyNTUxOQAAACB9 -----END OPENSSH "
                "PRIVATE KEY-----",
            )
        ],
    ),
    (
        "curl -H 'Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543a1b2c3d4' api",
        [("bearer_token", "8f14e45fceea167a5a36dedd4bea2543a1b2c3d4")],
    ),
    ("Bearer vF9dft4qmT2eXaN8sPzR7wLkY3hJ6cBm", [("bearer_token", "vF9dft4qmT2eXaN8sPzR7wLkY3hJ6cBm")]),
    (
        '{"user":"bob","email":"bob.smith@corp.example","action":"login"}',
        [("email", "bob.smith@corp.example")],
    ),
    ("Email: MARIA.GARCIA@EMPRESA.ES", [("email", "MARIA.GARCIA@EMPRESA.ES")]),
    ("write to me: ivan.petrov [at] yandex [dot] ru", [("email", "ivan.petrov [at] yandex [dot] ru")]),
    ("email john at example dot com", [("email", "john at example dot com")]),
    ("my gmail: lisa.wong(at)gmail.com", [("email", "lisa.wong(at)gmail.com")]),
    ("Telefon: 0171 1234567", [("phone", "0171 1234567")]),
    ("Appelez le 01 42 68 53 00", [("phone", "01 42 68 53 00")]),
    ("WhatsApp: +55 11 91234-5678", [("phone", "+55 11 91234-5678")]),
    ("電話番号は 090-1234-5678 です", [("phone", "090-1234-5678")]),
    ("tel +33612345678", [("phone", "+33612345678")]),
    ("my number: +1-202-555-0143", [("phone", "+1-202-555-0143")]),
    ("client IP=198.51.100.23", [("ip_address", "198.51.100.23")]),
    ("X-Forwarded-For: 192.0.2.1, 10.1.2.3", [("ip_address", "192.0.2.1"), ("ip_address", "10.1.2.3")]),
    # (Not [::1]: loopback is every machine's own address, no one's.)
    ("listening on [2001:db8:85a3::8a2e:370:7334]:8080", [("ip_address", "2001:db8:85a3::8a2e:370:7334")]),
    ("fe80::1ff:fe23:4567:890a%eth0", [("ip_address", "fe80::1ff:fe23:4567:890a")]),
    ("carte bancaire : 5200 8282 8282 8210", [("credit_card", "5200 8282 8282 8210")]),
    ("tarjeta 3566-0020-2036-0505", [("credit_card", "3566-0020-2036-0505")]),
    ("cc#: 6011111111111117", [("credit_card", "6011111111111117")]),
    ("Diners 3056 930902 5904", [("credit_card", "3056 930902 5904")]),
    ("IBAN GB29 NWBK 6016 1331 9268 19", [("iban", "GB29 NWBK 6016 1331 9268 19")]),
    ("iban=BE68539007547034", [("iban", "BE68539007547034")]),
    ("IBAN: ES91 2100 0418 4502 0005 1332", [("iban", "ES91 2100 0418 4502 0005 1332")]),
    ("SSN#: 457-55-5462", [("ssn", "457-55-5462")]),
    ("ssn=321549876 dob=1980-01-01", [("ssn", "321549876")]),
    ("password:hunter2", [("password", "hunter2")]),
    ('Password = "c0rrect-h0rse"', [("password", "c0rrect-h0rse")]),
    ("pwd=Admin@123", [("password", "Admin@123")]),
    ("my pass is qwerty!23", [("password", "qwerty!23")]),
    ("wachtwoord is Fiets2024", [("password", "Fiets2024")]),
    ("la password è gatto99", [("password", "gatto99")]),
    ("Kennwort: Xy7!pQ", [("password", "Xy7!pQ")]),
    ("hasło: Kot2021!", [("password", "Kot2021!")]),
    ("mongodb+srv://admin:S3cretPass@cluster0.ab1cd.mongodb.net/db", [("password", "S3cretPass")]),
    (
        "redis://default:fooBAR123@redis-12345.c1.us-east-1.ec2.cloud.redislabs.com:12345",
        [("password", "fooBAR123")],
    ),
    ('{"password": "P@ssw0rd2024"}', [("password", "P@ssw0rd2024")]),
    ("db:\n  user: app\n  password: s3cr3t-v4lue", [("password", "s3cr3t-v4lue")]),
    (
        "sk_live_51Hxyz0123456789abcdefghijABCDEFGHIJ",
        [("api_key", "sk_live_51Hxyz0123456789abcdefghijABCDEFGHIJ")],
    ),
    (
        "npm token npm_abcdefghijklmnopqrstuvwxyz0123456789",
        [("api_key", "npm_abcdefghijklmnopqrstuvwxyz0123456789")],
    ),
    ("glpat-xxxxYYYYzzzz12345678 leaked", [("api_key", "glpat-xxxxYYYYzzzz12345678")]),
    ("hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", [("api_key", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH")]),
    ("TWILIO_AUTH_TOKEN=9f8e7d6c5b4a39281706f5e4d3c2b1a0", [("api_key", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")]),
    ("SECRET_KEY = 'django-insecure-8x#k2@m!p9q$r7s&t5u'", [("api_key", "django-insecure-8x")]),
    ("apikey: 4Fj9sK2lP0qR8tV6xZ3bN7mC1", [("api_key", "4Fj9sK2lP0qR8tV6xZ3bN7mC1")]),
    ("ASIAY34FZKBOKMUTVV7A", [("aws_key", "ASIAY34FZKBOKMUTVV7A")]),
    (
        "jwt=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UifQ.Zm9vYmFyYmF6cXV4",
        [("jwt", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UifQ.Zm9vYmFyYmF6cXV4")],
    ),
    (
        '"-----BEGIN RSA PRIVATE '
        "KEY-----\\nMIIEpAIBAAKCAQEA7bq9Xb3m0Yy3O3V2wGJ8eWQ3q0q9dpQn0Xq8p0p9TqD4yH6s\\n-----END RSA PRIVATE "
        'KEY-----"',
        [
            (
                "private_key",
                "-----BEGIN RSA PRIVATE "
                "KEY-----\\nMIIEpAIBAAKCAQEA7bq9Xb3m0Yy3O3V2wGJ8eWQ3q0q9dpQn0Xq8p0p9TqD4yH6s\\n-----END RSA PRIVATE "
                "KEY-----",
            )
        ],
    ),
    (
        "-----BEGIN PRIVATE KEY-----\n"
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
        "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
        "-----END PRIVATE KEY-----",
        [
            (
                "private_key",
                "-----BEGIN PRIVATE KEY-----\n"
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
                "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
                "-----END PRIVATE KEY-----",
            )
        ],
    ),
    ("authorization: bearer 2YotnFZFEjr1zCsicMWpAA", [("bearer_token", "2YotnFZFEjr1zCsicMWpAA")]),
    ("Bearer: sl.BXyzAbc123DefGhi456JklMno789", [("bearer_token", "sl.BXyzAbc123DefGhi456JklMno789")]),
]

HANDWRITTEN_NEGATIVE: list[str] = [
    # A Stripe publishable key is public by design (it goes in the frontend); issue 12 moved it here.
    "stripe publishable pk_live_51HqJ3kL2mN4pQ6rS8tU0vW2xY4z",
    "I changed my password yesterday, all good now",
    "Forgot password? Click the link",
    "password reset email never arrived",
    "Your password must contain at least 8 characters",
    "enter your password: ********",
    "password: [REDACTED]",
    "DB_PASSWORD=${DB_PASSWORD:-changeme}",
    "api_key: <YOUR_API_KEY>",
    "set OPENAI_API_KEY=your-key-here",
    "token: {{ secrets.GH_TOKEN }}",
    "Order #A-1029384756 confirmed",
    "Your order 112-3456789-1234567 has shipped",
    "tracking number 1Z999AA10123456784",
    "ref: 550e8400-e29b-41d4-a716-446655440000",
    "commit a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0 merged",
    "md5 d41d8cd98f00b204e9800998ecf8427e",
    "node v18.17.1 and npm 9.6.7",
    "version 10.0.19045.2965",
    "upgrade to 3.2.1.4 fixes it",
    "price: €1.299,00",
    "it's $4,500.00 total",
    "see you on 12/05/2024 at 14:00",
    "2023-11-04T10:22:31Z started",
    "ping @here",
    "cc @channel",
    "@john.doe can you look",
    "installed eslint@8.56.0",
    "pip install django==4.2.7",
    "call me at 5",
    "room 404, floor 3",
    "the meeting id is 845 2931 7763",
    "zoom 912 3456 7890",
    "ISBN 978-3-16-148410-0",
    "Luhn fail 4111 1111 1111 1121",
    "my token expired",
    "Bearer tokens are sent in headers",
    "use a strong password",
    "what's the wifi password?",
    "the key is under the mat",
    "secret: the cake is a lie",
    "color #ff5733",
    "lat 40.7128, lon -74.0060",
    "build 20231104.3 passed",
    "PR #4521 closes #4519",
    "Error code 0x80070005",
    "1,000,000 users!",
    "uptime 99.99%",
    "batch 2024-001-0042 processed",
    "port 8080:80 mapped",
    "see RFC 7519 for JWTs",
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n"
    "-----END CERTIFICATE-----",
    "sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "IMEI 490154203237518",
    "invoice total 1234.56 EUR",
    "the answer at 42 dot",
    "my pass expired so I got a new badge",
    "password manager: 1Password",
    "pass the salt please",
    "git@github.com:org/repo.git",
    "docker image sha256:9b2c1d0f0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    "AKIA is the prefix of AWS keys",
    "Kubernetes pod web-7d4b9c8f6-x2k9p crashed",
    "youtube.com/watch?v=dQw4w9WgXcQ",
    "session id 8f14e45fceea167a5a36dedd4bea2543",
    "I'll email you at noon",
    "contact support for help",
    "reset link: https://example.com/reset?token=",
    "the password field is empty",
    "Passwort vergessen?",
    "mot de passe oublié",
    "Your password has been changed.",
    "password123 is a terrible password, don't use it",
    "Enter password:",
    "password: none",
    "password: N/A",
    "pass: true",
    "tests: 45 pass, 2 fail",
    "PASS tests/unit/test_x.py",
    "token=null",
    "api_key = os.getenv('API_KEY')",
    "secret_key = settings.SECRET_KEY",
    'Bearer realm="example"',
    "Authorization: Bearer {{token}}",
    "Authorization: Bearer ${ACCESS_TOKEN}",
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEA+xGZ/wcz9ugFpP07Nspo6U17l0YhFiFpxxU4pTk3Lifz9R3zsIsu\n"
    "-----END RSA PUBLIC KEY-----",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host",
    "fingerprint SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
    "UUID: 123e4567-e89b-12d3-a456-426614174000",
    "build id 7f3a9c2",
    "release v2.14.0-rc.1",
    "Windows 11 build 22631.2861",
    "Android 14.0.0.133",
    "GPS 52.5200, 13.4050",
    "scored 98.6 points",
    "temp 36.6°C",
    "500 1000 2000 5000 steps",
    "1 2 3 4 5 6 7 8 9",
    "phone battery at 15%",
    "call at 10:30 tomorrow",
    "between 9 and 17 o'clock",
    "route 66",
    "year 2024 was good",
    "01.01.2025",
    "order 1234567",
    "case #00123456",
    "ticket INC0012345",
    "Ref. 2024/11/0042",
    "Invoice No. 0000123456",
    "customer id 9876543210",
    "PO 4500012345",
    "AWB 123-45678901",
    "item SKU 8801234567890",
    "EAN 4006381333931",
    "hex 0xDEADBEEF",
    "base64 aGVsbG8gd29ybGQ=",
    "my_secret_recipe",
    "secret sauce",
    "the key takeaway",
    "keyboard shortcut ctrl+k",
    "token bucket rate limiting",
    "token count: 4096",
    "api key rotation policy",
    "monkey@zoo",
    "@everyone meeting now",
    "foo@bar",
    "user@localhost",
    "lodash@^4.17.21",
    "@angular/core@17.0.0",
    "email@example",
    "x at y",
    "arrive at 5 dot",
    "meet at gate B12",
]


# A third batch, written before the detector had seen it (the first run missed 3 and flagged 6).
HANDWRITTEN_POSITIVE += [
    ("pls send the docs to h.mueller@firma-gmbh.de asap", [("email", "h.mueller@firma-gmbh.de")]),
    ("Reply-To: <noreply.billing@shop.example.net>", [("email", "noreply.billing@shop.example.net")]),
    ("Her email is kate_w at outlook dot com", [("email", "kate_w at outlook dot com")]),
    ("hmu: dev.ops{at}startup{dot}io", [("email", "dev.ops{at}startup{dot}io")]),
    ("Mobil: +43 664 1234567", [("phone", "+43 664 1234567")]),
    ("call our hotline 1-800-275-2273", [("phone", "1-800-275-2273")]),
    ("phone: (02) 9374 4000", [("phone", "(02) 9374 4000")]),
    ("моб. 8 916 123-45-67", [("phone", "8 916 123-45-67")]),
    ("my new number is +91 98765 43210", [("phone", "+91 98765 43210")]),
    ("bitte zurückrufen: 089 12345678", [("phone", "089 12345678")]),
    ("origin 100.64.12.7 timed out", [("ip_address", "100.64.12.7")]),
    ("nslookup returned 8.8.4.4", [("ip_address", "8.8.4.4")]),
    ("address 2606:4700:4700::1111 responded", [("ip_address", "2606:4700:4700::1111")]),
    ("pay with 4539 1488 0343 6467 please", [("credit_card", "4539 1488 0343 6467")]),
    ("5425233430109903 is my mastercard", [("credit_card", "5425233430109903")]),
    ("jcb 3530111333300000", [("credit_card", "3530111333300000")]),
    ("card: 2720-9999-9999-9996", [("credit_card", "2720-9999-9999-9996")]),
    ("send refund to AT61 1904 3002 3457 3201", [("iban", "AT61 1904 3002 3457 3201")]),
    ("IBAN CH93 0076 2011 6238 5295 7", [("iban", "CH93 0076 2011 6238 5295 7")]),
    ("ma banque: FR7630006000011234567890189", [("iban", "FR7630006000011234567890189")]),
    ("Social Security: 001-01-0001", [("ssn", "001-01-0001")]),
    ("SSN is 772 33 4455", [("ssn", "772 33 4455")]),
    ("pass: Hello!World9", [("password", "Hello!World9")]),
    ("the root password is toor1234", [("password", "toor1234")]),
    ("wifi: network HomeNet, password bluebird77", [("password", "bluebird77")]),
    ("Contraseña nueva: Gato#2023", [("password", "Gato#2023")]),
    ("Passwort lautet: Blume!42", [("password", "Blume!42")]),
    ("пароль — Medved2024", [("password", "Medved2024")]),
    ("sftp://backup:Bkp!2024x@files.internal/archive", [("password", "Bkp!2024x")]),
    ("POSTGRES_PASSWORD: pgS3cure!", [("password", "pgS3cure!")]),
    ("set password to Rainbow88 please", [("password", "Rainbow88")]),
    (
        "My github token is ghp_Ab3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5",
        [("api_key", "ghp_Ab3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5")],
    ),
    ("stripe: rk_live_4eC39HqLyjWDarjtT1zdp7dcXyZ", [("api_key", "rk_live_4eC39HqLyjWDarjtT1zdp7dcXyZ")]),
    (
        "xoxp-2948573620-3847562910-48573629105-a8f7d6e5c4b3a2918f7e6d5c4b3a2918",
        [("api_key", "xoxp-2948573620-3847562910-48573629105-a8f7d6e5c4b3a2918f7e6d5c4b3a2918")],
    ),
    (
        "ANTHROPIC_API_KEY=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdEFGH",
        [("api_key", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdEFGH")],
    ),
    ("api-key: Qm9vbGVhbjpGYWxzZTEyMzQ1Njc4OTA", [("api_key", "Qm9vbGVhbjpGYWxzZTEyMzQ1Njc4OTA")]),
    (
        "access_token=ya29.a0AfH6SMBx3k9LmN2pQ7rS5tU1vW4xY8zA0bC3dE6",
        [("api_key", "ya29.a0AfH6SMBx3k9LmN2pQ7rS5tU1vW4xY8zA0bC3dE6")],
    ),
    ("AWS_ACCESS_KEY_ID=AKIAQWERTYUIOP123456", [("aws_key", "AKIAQWERTYUIOP123456")]),
    (
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.aGVsbG8td29ybGQtc2lnbmF0dXJl",
        [("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.aGVsbG8td29ybGQtc2lnbmF0dXJl")],
    ),
    (
        "id_token: eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ1MSJ9.YWJjZGVmZ2hpamtsbW5vcA",
        [("jwt", "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ1MSJ9.YWJjZGVmZ2hpamtsbW5vcA")],
    ),
    (
        "-----BEGIN DSA PRIVATE KEY-----\n"
        "MIIBuwIBAAKBgQD0WjL3Z1vS8tE+FqT9H2y3N4k5L6m7N8o9P0q1R2s3T4u5V6w7\n"
        "-----END DSA PRIVATE KEY-----",
        [
            (
                "private_key",
                "-----BEGIN DSA PRIVATE KEY-----\n"
                "MIIBuwIBAAKBgQD0WjL3Z1vS8tE+FqT9H2y3N4k5L6m7N8o9P0q1R2s3T4u5V6w7\n"
                "-----END DSA PRIVATE KEY-----",
            )
        ],
    ),
    (
        "-----BEGIN ENCRYPTED PRIVATE "
        "KEY-----\\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIc2FsdHNhbHQCAggA\\n-----END ENCRYPTED PRIVATE "
        "KEY-----",
        [
            (
                "private_key",
                "-----BEGIN ENCRYPTED PRIVATE "
                "KEY-----\\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIc2FsdHNhbHQCAggA\\n-----END ENCRYPTED "
                "PRIVATE KEY-----",
            )
        ],
    ),
    (
        "header Authorization: Bearer 4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        [("bearer_token", "4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")],
    ),
    ("-H 'authorization: Bearer AbCdEf123456GhIjKl789012'", [("bearer_token", "AbCdEf123456GhIjKl789012")]),
]
HANDWRITTEN_NEGATIVE += [
    # Slack's documentation webhook: its secret is all X (a positive here until issue 12).
    "SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "Lost my password again lol",
    "what is your email?",
    "send me an email",
    "my phone died",
    "IP address changed after reboot",
    "credit card declined",
    "IBAN is required for transfers",
    "enter your SSN below",
    "the API key is in the vault",
    "use Bearer authentication",
    "JWT tokens expire after 1h",
    "private key stays on the server",
    "password: (see 1Password)",
    "password => ask Bob",
    "pwd: /home/alice/projects",
    "passwd: command not found",
    "PASS: 120 tests",
    "key: F5 to refresh",
    "token: see vault",
    "secret: ask ops",
    "api_key: null",
    "AWS region us-east-1",
    "s3://my-bucket/path/file.csv",
    "arn:aws:iam::123456789012:role/Admin",
    "account 123456789012 in AWS",
    "Order #98765-43210",
    "Tracking: 9400111899223197428490",
    "Amazon order 113-5467321-0987654",
    "Version 1.2.3.4",
    "v4.19.2.1 deployed",
    "Python 3.11.7",
    "node 20.10.0",
    "Chrome 120.0.6099.129",
    "at 14:30:00 UTC",
    "2024-02-29 23:59:59",
    "29.02.2024",
    "02/29/2024",
    "$12,345.67",
    "€ 1.234,56",
    "₽ 12 345",
    "45 678 901 rubles",
    "7,5%",
    "sha512-3L9Z4j5Kx2Lq== integrity",
    'etag W/"5e15153d-120f"',
    "run id 6914723850",
    "PID 31337 killed",
    "job 4521789 queued",
    "epoch 1699999999",
    "1699999999999 ms",
    "0.0.0.0/0 is open",
    "localhost:3000",
    "@here @channel",
    "react@18.2.0",
    "typescript@5.3.3",
    "@babel/core@7.23.5",
    "user@",
    "@user",
    "name@domain",
    "thanks @marc!",
    "john at the office",
    "meet at 5 dot",
    "look at example.com",
    "a.b@c",
    "nginx/1.25.3",
    "kernel 6.5.0-14-generic",
    "hash 5f4dcc3b5aa765d61d8327deb882cf99",
    "GUID {3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
    "Luhn bad 5425 2334 3010 9904",
    "IBAN DE00 1234 5678 9012 3456 78",
    "SSN 123-00-4567",
    "SSN 900-12-3456",
    "phone 000-000-0000",
    "tel 12345",
]


# A fourth batch (connection strings, URLs, logs, docs placeholders); its first run missed 1 and flagged 3.
HANDWRITTEN_POSITIVE += [
    (
        "Server=tcp:db.example.net;Database=app;User Id=sa;Password=Pa$$w0rd2024;",
        [("password", "Pa$$w0rd2024")],
    ),
    ("jdbc:mysql://db:3306/app?user=admin&password=Adm1nPwd", [("password", "Adm1nPwd")]),
    (
        "GET /callback?code=abc&access_token=ya29.A0ARrdaM-xYz123AbC456dEf789GhI012jKl",
        [("api_key", "ya29.A0ARrdaM-xYz123AbC456dEf789GhI012jKl")],
    ),
    (
        "https://api.example.com/v1/data?api_key=Z9xK2mP7qR4tV8wY1bN5cF3hJ6",
        [("api_key", "Z9xK2mP7qR4tV8wY1bN5cF3hJ6")],
    ),
    ("docker run -e POSTGRES_PASSWORD=mysecretpassword123 postgres", [("password", "mysecretpassword123")]),
    ("```\nDB_USER=app\nDB_PASS=hunter2hunter2\n```", [("password", "hunter2hunter2")]),
    (
        '{"level":"info","msg":"login","email":"jane.roe@example.com","ip":"203.0.113.9"}',
        [("email", "jane.roe@example.com"), ("ip_address", "203.0.113.9")],
    ),
    ("ftp://anonymous:guest1234@ftp.example.org/pub", [("password", "guest1234")]),
    ("smtp password: Mail!Pass99", [("password", "Mail!Pass99")]),
    ("kubectl create secret generic db --from-literal=password=S3cr3tK8s", [("password", "S3cr3tK8s")]),
    ("my login is bob and my password is bob12345", [("password", "bob12345")]),
    ("Call me: +1 (650) 253-0000 ext. 12", [("phone", "+1 (650) 253-0000")]),
    ("Phone: +49 (0) 89 1234567", [("phone", "+49 (0) 89 1234567")]),
    ("Fax +33 1 23 45 67 89", [("phone", "+33 1 23 45 67 89")]),
    ("card 4000 0566 5566 5556 exp 04/28", [("credit_card", "4000 0566 5566 5556")]),
    ("Amex: 3400 000000 00009", [("credit_card", "3400 000000 00009")]),
    ("IBAN PL61 1090 1014 0000 0712 1981 2874", [("iban", "PL61 1090 1014 0000 0712 1981 2874")]),
    ("IBAN: IE29 AIBK 9311 5212 3456 78", [("iban", "IE29 AIBK 9311 5212 3456 78")]),
    ("SSN: 123 45 6789", [("ssn", "123 45 6789")]),
    (
        "Token ghs_16C7e42F292c6912E7710c838347Ae178B4a for the app",
        [("api_key", "ghs_16C7e42F292c6912E7710c838347Ae178B4a")],
    ),
    (
        "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEAvZ3... truncated "
        "MIIEpAIBAAKCAQEA7bq9Xb3m0Yy3O3V2wGJ8eWQ3q0q9dpQn0Xq8p0p9TqD4yH6s",
        [("private_key", "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEAvZ3")],
    ),
    ("ip 192.168.0.1/24 is the lan", [("ip_address", "192.168.0.1")]),
    (
        "Authorization: Bearer 0b79bab50daca910b000d4f1a2b675d604257e42",
        [("bearer_token", "0b79bab50daca910b000d4f1a2b675d604257e42")],
    ),
    ("email me: tom.b@mail.co.uk or call 020 7946 0000", [("phone", "020 7946 0000")]),
]
HANDWRITTEN_NEGATIVE += [
    "```python\npassword = getpass.getpass()\n```",
    "PASSWORD_MIN_LENGTH=12",
    "password_hash = bcrypt(...)",
    "export PASSWORD_FILE=/run/secrets/pw",
    "Authorization: Basic realm",
    "token_type=bearer&expires_in=3600",
    "?page=2&sort=desc&limit=50",
    "https://example.com/search?q=password+reset",
    "MAC 3c:22:fb:1a:9e:44",
    "uuid=9f1c2b7e-6a3d-4c8f-b2e1-0d5a7c9e3f61",
    "x-request-id: 7f3d9a2b8c1e4f6a0d5b9c3e7a1f2d8b",
    'etag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    "commit: 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "release 2024.11.3",
    "v1.2.3-beta+exp.sha.5114f85",
    "Total: 4 111 111 RUB",
    "born 1985-07-14",
    "flight LH 4711 at 12:35",
    "room 1402, floor 14",
    "ext. 4521",
    "seats 12A 12B 12C",
    "temperature 21.5 C",
    "1,234 views",
    "ISSN 0317-8471",
    "See RFC 5322 section 3.4",
    "the word 'password' has 8 letters",
    "secret=",
    "api_key=",
    "token: ''",
    'password: ""',
    "Bearer",
    "Bearer null",
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQENBFzX...\n-----END PGP PUBLIC KEY BLOCK-----",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop",
    "SG.abc",
    "sk-...",
    "ghp_...",
    "AKIA...",
    "eyJ...",
    "xoxb-your-token",
    "AIzaSy...",
    "call 911",
    "dial 112 in emergencies",
    "pin 1234",
]


# A fifth batch, in other languages; its first run missed 2 and flagged 1 (a Luhn-failing card is left out).
HANDWRITTEN_POSITIVE += [
    ("Mi correo electrónico es laura.martinez@telefonica.es", [("email", "laura.martinez@telefonica.es")]),
    ("Hier meine Nummer: 0152 23456789", [("phone", "0152 23456789")]),
    ("Mon mot de passe temporaire est Soleil2024!", [("password", "Soleil2024!")]),
    ("Il mio codice fiscale no, ma la password è Roma#1990", [("password", "Roma#1990")]),
    ("Minha senha nova é: abacate321", [("password", "abacate321")]),
    ("Mijn wachtwoord: Tulp!2023", [("password", "Tulp!2023")]),
    ("Moje hasło to Kasia1987", [("password", "Kasia1987")]),
    ("Şifrem: Istanbul34!", [("password", "Istanbul34!")]),
    ("Мой пароль от почты — Zima2023", [("password", "Zima2023")]),
    ("パスワード: sakura2024", [("password", "sakura2024")]),
    ("密码是 abc123456", [("password", "abc123456")]),
    ("비밀번호: Seoul2024!", [("password", "Seoul2024!")]),
    ("كلمة المرور: Cairo2024", [("password", "Cairo2024")]),
    ("Lösenord: Sommar2023!", [("password", "Sommar2023!")]),
    ("Salasana on Kesä2024!", [("password", "Kesä2024!")]),
    ("Telefonní číslo: +420 601 123 456", [("phone", "+420 601 123 456")]),
    ("Numer telefonu: +48 512 345 678", [("phone", "+48 512 345 678")]),
    ("携帯は 080-1234-5678 です", [("phone", "080-1234-5678")]),
    ("IBAN: IT60 X054 2811 1010 0000 0123 456", [("iban", "IT60 X054 2811 1010 0000 0123 456")]),
    ("Konto: AT48 3200 0000 1234 5864", [("iban", "AT48 3200 0000 1234 5864")]),
    ("Tarjeta: 4548 8120 4940 0004", [("credit_card", "4548 8120 4940 0004")]),
    ("Mi IP pública es 85.214.132.117", [("ip_address", "85.214.132.117")]),
    (
        "El token de la API es sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56",
        [("api_key", "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56")],
    ),
    (
        "Der API-Schlüssel lautet AIzaSyB1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R",
        [("api_key", "AIzaSyB1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R")],
    ),
]
HANDWRITTEN_NEGATIVE += [
    "Ich habe mein Passwort geändert",
    "J'ai réinitialisé mon mot de passe",
    "¿Cuál es la contraseña del wifi?",
    "Qual é a senha?",
    "Забыл пароль от почты",
    "パスワードを忘れました",
    "忘记密码了",
    "비밀번호를 잊어버렸어요",
    "Hasło jest za krótkie",
    "Şifremi unuttum",
    "Bestellnummer 302-1234567-8901234",
    "Rechnung Nr. 2024-000123",
    "Commande n° 1234567890",
    "Pedido #987654321",
    "Заказ № 12345678",
    "Preis: 1.299,00 €",
    "Prix : 12 345,67 €",
    "Precio: 1.234,56 €",
    "Цена: 12 345 ₽",
    "Termin am 24.12.2024 um 18:00",
    "Version 10.0.22631.3007",
    "Sendungsnummer 00340434161094042557",
    "Kundennummer 1234567",
    "El vuelo IB 3456 sale a las 14:35",
    "Código postal 28013",
    "Postleitzahl 10115",
    "電話して",
    "Teléfono: (no disponible)",
    "Telefon: siehe Signatur",
    "Passwort: siehe 1Password",
]


def fill(template: str) -> tuple[str, list[dict[str, object]]]:
    out: list[str] = []
    spans: list[dict[str, object]] = []
    pos = 0
    length = 0
    for m in re.finditer(r"\{(\w+)(?::(\w+))?\}", template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        kind, variant = m.group(1), m.group(2)
        if kind == "ssn" and variant == "bare":
            value = ssn_value().replace("-", "")
        elif kind == "aws_key" and variant == "secret":
            value = aws_secret()
        else:
            value = GEN[kind]()
        out.append(value)
        spans.append({"kind": kind, "start": length, "end": length + len(value)})
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def build() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for templates in T.values():
        for i in range(70):
            lang, tpl = templates[i % len(templates)]
            text, spans = fill(tpl)
            if R.random() < 0.25:
                prefix = R.choice(["fyi ", "ok so ", "quick one: ", "Hi team, ", "urgent!! ", "btw "])
                text = prefix + text
                spans = [
                    s | {"start": s["start"] + len(prefix), "end": s["end"] + len(prefix)} for s in spans
                ]
            rows.append({"text": text, "spans": spans, "category": "positive", "lang": lang})
    for _ in range(60):  # two kinds in one message
        k1, k2 = R.sample(list(T), 2)
        (l1, t1), (_, t2) = R.choice(T[k1]), R.choice(T[k2])
        text, spans = fill(t1 + " — also " + t2)
        rows.append({"text": text, "spans": spans, "category": "positive", "lang": l1})
    langs = list(CLEAN)
    for i in range(420):
        lang = langs[i % len(langs)] if i % 3 else "en"
        text = R.choice(CLEAN[lang])
        if R.random() < 0.3:
            text += " " + R.choice(CLEAN[lang])
        rows.append({"text": text, "spans": [], "category": "clean", "lang": lang})
    for i in range(620):
        lang, make = HARD[i % len(HARD)]
        rows.append({"text": make(), "spans": [], "category": "hard_negative", "lang": lang})
    for text, labels in HANDWRITTEN_POSITIVE:
        spans, cursor = [], 0
        for kind, value in labels:
            start = text.index(value, cursor)
            spans.append({"kind": kind, "start": start, "end": start + len(value)})
            cursor = start + len(value)
        rows.append({"text": text, "spans": spans, "category": "positive", "lang": "mixed"})
    for text in HANDWRITTEN_NEGATIVE:
        rows.append({"text": text, "spans": [], "category": "hard_negative", "lang": "mixed"})
    R.shuffle(rows)
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {OUT}")


if __name__ == "__main__":
    main()
