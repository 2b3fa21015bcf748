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


# --- passwords: keywords of more languages, and the password a login is made with ---------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Swahili's nenosiri, with "my" and "is" of its own.
        ("nenosiri yangu ni Twiga#4471", "Twiga#4471"),
        ("nenosiri: Kahawa9!", "Kahawa9!"),
        # Arabic without the article, Thai's copula glued to the keyword, Thai's "ID ... code ...".
        ("كلمة سر الراوتر Zx81!pQw للضيوف", "Zx81!pQw"),
        ("รหัสผ่านคือ tiger2468", "tiger2468"),
        ("ไอดี somchai.k รหัส Mango#5521", "Mango#5521"),
        # The Wi-Fi key in German and French.
        ("Der WLAN-Schlüssel lautet Birke7731!", "Birke7731!"),
        ("le code wifi est soleil42", "soleil42"),
        # Turkish accusative and Polish instrumental.
        ("şifreyi Deniz_8842 yaptım", "Deniz_8842"),
        ("wchodzę hasłem Zorro&3390", "Zorro&3390"),
        # A Chinese keyword glued to the Latin letters before it.
        ("邮箱wang@qq.com密码Tea!7755", "Tea!7755"),
        # A few more words between the keyword and the value than before.
        ("a senha que vocês mandaram ontem foi Cacau#9912", "Cacau#9912"),
    ],
)
def test_password_keywords_in_more_languages(text: str, value: str) -> None:
    assert ("password", value) in found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I always log in with Harbor7#Lane but today it fails", "Harbor7#Lane"),
        ("ich melde mich sonst mit Quark!2290 an", "Quark!2290"),
        ("ik log altijd in met Tulp$4418", "Tulp$4418"),
        ("normalmente entro con Gato.Negro55 y hoy no", "Gato.Negro55"),
        ("eu entro com Praia_2024x", "Praia_2024x"),
        ("aku login pakai Sate-Ayam88", "Sate-Ayam88"),
        ("tôi đăng nhập bằng Pho_Bo2023 mà không được", "Pho_Bo2023"),
        ("ปกติเข้าด้วย Lamyai#77 ครับ", "Lamyai#77"),
        ("huwa ninaingia na Simba!2025", "Simba!2025"),
        ("אני נכנס עם Gefen_8812 בדרך כלל", "Gefen_8812"),
        # The languages that put the password before the verb.
        ("Kartal#1903 ile giriyorum", "Kartal#1903"),
        ("main Chai@4455 se login karta hu", "Chai@4455"),
        ("Bori#8842로 로그인해요", "Bori#8842"),
        ("我一般用Mao#2288x登录", "Mao#2288x"),
    ],
)
def test_the_password_a_login_is_made_with(text: str, value: str) -> None:
    assert found(text) == [("password", value)]


@pytest.mark.parametrize(
    "text",
    [
        # Logging in with something that is no password.
        "I log in with Google every morning",
        "log in with your work email and the code we sent",
        "sign in with SSO, then open the dashboard",
        "entro con mi cuenta de siempre",
        # The account, named as such.
        "I log in with username Bob.Smith42",
        # A login, but no "with" before the value.
        "login fails for Dev.Ops42 since Monday",
        # A version after "with" is a version.
        "log in with app v2.14.3-beta",
        # Thai "code" is any code; Swahili's "with" is also "and".
        "รหัสไปรษณีย์ 10110",
        "ninaingia na kutoka kila siku",
    ],
)
def test_logins_that_give_no_password(text: str) -> None:
    assert "password" not in kinds(text)


# --- e-mail addresses that are no mailbox, IP addresses that are examples or versions -----------------------


@pytest.mark.parametrize(
    "text",
    [
        "git clone ssh://git@gitlab.internal.io/platform/api.git",
        "mirror at ftp://anonymous@mirror.pubsite.org/pub",
        "we sent the code to j***n@outlook.com, check spam",
        "reset link went to a•••••z@yahoo.fr",
    ],
)
def test_addresses_that_name_no_mailbox(text: str) -> None:
    assert "email" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Markdown's bold is no mask.
        ("write to **ana.lima@corp.io** today", "ana.lima@corp.io"),
        ("mailto:ops@kestrel.dev", "ops@kestrel.dev"),
    ],
)
def test_mailboxes_still_found(text: str, value: str) -> None:
    assert found(text) == [("email", value)]


@pytest.mark.parametrize(
    "text",
    [
        # The line says it is an example, however many words come before the address.
        "Example: ssh deploy@203.0.113.50",
        "# e.g. point the resolver at 198.51.100.7",
        "docs tell you to use 192.0.2.33 as the gateway",
        # Versions of an app, named in the languages that put the thing after the word, or glue particles.
        "версія застосунку 3.17.5.169",
        "wersja aplikacji 5.1.0.22",
        "アプリのバージョンは6.10.3.181です",
        "앱 버전 2.4.10.7 에서 오류",
    ],
)
def test_examples_and_versions_are_no_addresses(text: str) -> None:
    assert "ip_address" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # A domain called example is no example address; a flag after a tool's name is no version.
        ('{"user":"a.b@example.com","ip":"203.0.113.9"}', "203.0.113.9"),
        ("mysql -h 10.20.30.40 -u app", "10.20.30.40"),
        ("release server 10.4.8.21 is down", "10.4.8.21"),
    ],
)
def test_addresses_beside_those_words_still_found(text: str, value: str) -> None:
    assert ("ip_address", value) in found(text)


# --- passwords in command lines, code, headers and credential files ----------------------------------------


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Basic auth and Docker's config.json hold base64 of "user:password".
        (f"Authorization: Basic {_b64('svc-build:Tr0ub4dor&3')}", _b64("svc-build:Tr0ub4dor&3")),
        (
            f'{{"auths": {{"ghcr.io": {{"auth": "{_b64("robot:Kettle-9-Lamp")}"}}}}}}',
            _b64("robot:Kettle-9-Lamp"),
        ),
        ("htpasswd -b /etc/apache2/.htpasswd editor Lantern!42", "Lantern!42"),
        ("htpasswd -nb bob S3cure#Pw", "S3cure#Pw"),
        ("rabbitmqctl add_user metrics Gr4phite!9", "Gr4phite!9"),
        ("rabbitmqctl change_password metrics N3w.Gr4phite", "N3w.Gr4phite"),
        ("smbclient //fs01/public -U alice%Sp4rrow.77", "Sp4rrow.77"),
        ("xfreerdp /v:fs01.corp /u:bob /p:Qu1et#Lake /cert:ignore", "Qu1et#Lake"),
        ('$pw = ConvertTo-SecureString "Pl@inText42" -AsPlainText -Force', "Pl@inText42"),
        ('var c = new NetworkCredential("svc_backup", "Wint3r!Sun");', "Wint3r!Sun"),
        ('CREATE USER report IDENTIFIED BY "Rock3t+Maple";', "Rock3t+Maple"),
        ("ALTER USER app IDENTIFIED BY Oracle_Pw42;", "Oracle_Pw42"),
        ("staging: qa.lead@corp.io / Fern!2210x", "Fern!2210x"),
        ("db01.internal:5432:billing:report:Qr7!mLp2", "Qr7!mLp2"),
    ],
)
def test_passwords_in_commands_code_and_files(text: str, value: str) -> None:
    assert ("password", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        # Base64 of something that is no "user:password".
        f"Authorization: Basic {_b64('just-one-opaque-word')}",
        # Prompts instead of arguments, or no password at all.
        "htpasswd -c /etc/apache2/.htpasswd editor",
        "rabbitmqctl list_users",
        "smbclient -L fs01 -U alice",
        "xfreerdp /v:fs01.corp /u:bob",
        "$pw = ConvertTo-SecureString $env:SVC_PW -AsPlainText -Force",
        "var c = new NetworkCredential(user, pass);",
        # A stored hash, not the password.
        "CREATE USER old IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';",
        # Two addresses, or an address and prose.
        "cc: anna@corp.io / bob@corp.io",
        "mail ana@corp.io / ask her first",
        # Colons that are no credential file.
        "10:30:45:00:12 frame dropped",
        "db01:5432:billing:report:*",
        # An IPv6 address: hex groups between colons, one of them all digits.
        "2a03:2880:22cb:ffc9:321:cb55:d9ba:5120",
    ],
)
def test_near_misses_in_commands_code_and_files(text: str) -> None:
    assert "password" not in kinds(text)


def test_the_server_flag_of_freerdp_is_an_address() -> None:
    assert ("ip_address", "10.9.8.7") in found("xfreerdp /v:10.9.8.7 /u:bob /p:Qu1et#Lake")


# --- keys: one more vendor format and header, and random-looking values that are public -------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("LANGSMITH_API_KEY=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", None),
        ("lsv2_pt_aa11bb22cc33dd44ee55ff6677889900_0123456789", None),
        ('curl -H "X-Auth-Key: 4c1f0e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4" https://api.example.net/v4', None),
        # Twilio: the SID is the user, the auth token the password, both halves of an API key.
        (
            "curl -u AC0123456789abcdef0123456789abcdef:fedcba9876543210fedcba9876543210 https://api.twilio.com",
            None,
        ),
    ],
)
def test_more_api_keys(text: str, value: str | None) -> None:
    assert kinds(text) and set(kinds(text)) == {"api_key"}


@pytest.mark.parametrize(
    "text",
    [
        '<input type="hidden" name="csrfmiddlewaretoken" value="Zk3Lm9Qp2Rs8Tu4Vw6Xy1Ab5Cd7Ef0Gh3Ij">',
        '<input name="authenticity_token" type="hidden" value="Q9w8E7r6T5y4U3i2O1p0AsDfGhJkLzXc">',
        '{"kty":"RSA","kid":"k1","e":"AQAB","n":"u7Bq9Xk2Lm4Np6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6Kl8Mn0Op2Qr4St6Uv8Wx0"}',
        # base64 of a path and of words.
        "payload (base64): YXNzZXRzL2ltZy9sb2dvLnBuZw==",
        "echo SGVsbG8gZnJvbSB0aGUgYnVpbGQgYm90 | base64 -d",
        # Encrypted in place.
        "db_password: ENC[AES256_GCM,data:Qm9vT2xlYW4=,iv:Zm9vYmFyYmF6cXV4,tag:dGFnZ2Vk,type:str]",
    ],
)
def test_random_looking_values_that_are_public_or_encrypted(text: str) -> None:
    assert kinds(text) == []


def test_a_private_jwk_member_and_random_base64_are_still_keys() -> None:
    # "d" is the RSA private exponent; random bytes in base64 decode to no text.
    private = '{"kty":"RSA","d":"Xq7Lm2Np9Rs4Tu8Vw1Yz5Ab3Cd6Ef0Gh2Ij4Kl7Mn9Op1Qr3St5Uv8Wx0Ya2Bc4De6"}'
    assert "api_key" in kinds(private)
    assert kinds("blob: 3q2+7wAAAAC6ZkYhQ0p1T29+kA8zVb9W") == ["api_key"]


# --- passwords given before their keyword, after a reset, in Nordic words and numbered table columns --------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Marz!2291x ← new password", "Marz!2291x"),
        ("Lumo_4410k <- väliaikainen salasana", "Lumo_4410k"),
        ("Qr8#tVm2wZ (hasło tymczasowe)", "Qr8#tVm2wZ"),
        ("Jeg har nulstillet det til Fjord#2207", "Fjord#2207"),
        ("Jag har återställt lösenordet till Ek.4471x", "Ek.4471x"),
        ("l'ho reimpostata a Piazza_9911 stamattina", "Piazza_9911"),
        ("ich habe es auf Wald&7720 zurückgesetzt", "Wald&7720"),
        ("Deniz-8841x olarak sıfırladım", "Deniz-8841x"),
        ("Kodeord: Hygge4410", "Hygge4410"),
        ("Det midlertidige passordet er Nord%7712x", "Nord%7712x"),
        (
            "| Name | Temporary password | Phone (2) |\n|---|---|---|\n"
            "| Ana Ruiz | Sol-4412-MX | 612 558 410 |",
            "Sol-4412-MX",
        ),
    ],
)
def test_passwords_before_keywords_after_resets_and_in_tables(text: str, value: str) -> None:
    assert ("password", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        # An arrow at something that is no keyword, or a bracket around prose.
        "Build-2291x ← new release",
        "see Ticket#4471 (password reset request)",
        # A reset to something that is no password: words, a date, a default.
        "Jag har återställt routern till fabriksinställningar",
        "ich habe es auf Werkseinstellungen zurückgesetzt",
        "il contatore è stato reimpostato a 0",
        # The one-time token of a verification or unsubscribe link.
        "https://app.shopnest.io/verify?token=Zk3Lm9Qp2Rs8Tu4Vw6Xy1Ab5Cd7Ef0Gh3&utm_source=email",
        "https://news.shopnest.io/unsubscribe?uid=42&token=Ab5Cd7Ef0Gh3Zk3Lm9Qp2Rs8Tu4Vw6Xy1",
    ],
)
def test_no_password_or_key_there(text: str) -> None:
    assert kinds(text) == []


def test_an_access_token_in_another_link_is_still_a_key() -> None:
    text = "https://api.shopnest.io/v2/orders?access_token=Zk3Lm9Qp2Rs8Tu4Vw6Xy1Ab5Cd7Ef0Gh3"
    assert kinds(text) == ["api_key"]


# --- a password flag after a user flag, Windows' net user, passwords piped to passwd and chpasswd ----------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mongo -u admin -p Tr33house!x --authenticationDatabase admin", "Tr33house!x"),
        ("sqlcmd -S sql01 -U sa -P K3ttle#Drum", "K3ttle#Drum"),
        (r"psexec \\ws042 -u corp\ops -p Gr4vel!Path cmd", "Gr4vel!Path"),
        ("tool sync --username ana --password=Qu4rtz!Sea", "Qu4rtz!Sea"),
        ("net user svc_print Pr1nter!Room /add", "Pr1nter!Room"),
        ('echo "Sp0on!Fork" | passwd --stdin build', "Sp0on!Fork"),
        ("echo 'build:Sp0on!Fork' | sudo chpasswd", "Sp0on!Fork"),
    ],
)
def test_passwords_given_to_more_commands(text: str, value: str) -> None:
    assert ("password", value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        # -p is a port after a user flag in these.
        "psql -U app -p 5432 -h db01",
        "mysql -u root -P 3306 -h db01",
        # Prompts, variables and other subcommands.
        "mongo -u admin -p --authenticationDatabase admin",
        "sqlcmd -S db01 -U sa -P $SA_PASSWORD",
        "net user bob * /add",
        "net user bob /delete",
        "echo $NEWPW | passwd --stdin bob",
    ],
)
def test_flags_that_give_no_password(text: str) -> None:
    assert "password" not in kinds(text)
