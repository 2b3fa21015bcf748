"""Passwords: the value after a password keyword (in many languages and phrasings) and in URL credentials."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Final

from ._common import (
    Hit,
    char_classes,
    find_all,
    is_placeholder,
    looks_like_code_reference,
    merged_windows,
)
from ._text import ACCOUNT_COLON, LOGIN_AFTER, LOGIN_VERBS, RESET_VERBS, Text

# Keywords that name a password outright; an identifier around them (DB_PASSWORD, PGPASSWORD, "wifi
# password") is fine.
_STRONG_KW: Final = (
    r"pass(?:word|wd|phrase|code)s?|pwd|passwort|kennwort|mot[ \t]de[ \t]passe|contrase[ñn]a|senha|"
    # Inflected forms too: Turkish şifrem/şifreniz ("my/your password"), Polish hasła, Finnish salasanani.
    # (And the accusatives şifreyi, şifremi, şifrenizi: "şifreyi X olarak değiştirdim".)
    r"palavra[ \-]passe|wachtwoord|has[łl](?:o|a|em)|пароль|пароля|паролем|"
    r"[şs]ifre(?:m|n|niz|miz|si|yi|mi|ni|nizi|sini)?|"
    r"lösenord(?:et)?|losenord(?:et)?|συνθηματικό|"
    r"adgangskode(?:n)?|passord(?:et)?|kodeord(?:et)?|salasana(?:ni|si|n|nsa)?|heslo|jelszó|jelszo|κωδικός|密码|密碼|パスワード|비밀번호|비번|mdp|"
    r"كلمة[ \t]المرور|كلمة[ \t]السر|סיסמה|סיסמא|पासवर्ड|mật[ \t]khẩu|kata[ \t]sandi|kata[ \t]laluan|รหัสผ่าน|"
    # Swahili; Arabic without the article ("كلمة سر الواي فاي"); the Wi-Fi key in German, French and Thai.
    r"nenosiri|كلمة[ \t]سر(?:ي|ك)?(?![\u0621-\u064a])|(?:wlan|wifi|wi-fi|netzwerk)-?schl(?:ü|ue)ssel|"
    r"code[ \t](?:du[ \t])?wi-?fi|รหัส[ \t]?(?:wi-?fi|ไวไฟ)|"
    # The Wi-Fi code in English, and a VPN's or Wi-Fi's pre-shared key (a password people type, not a key).
    r"(?:wifi|wi-fi|wlan)[ \t]code|psk"
)
# Keywords that are ordinary words elsewhere ("pass the salt", "la clave del éxito"): only with ':' or '='.
# (Thai's รหัส is any code, a password's too: "ไอดี X รหัส Y".)
_WEAK_KW: Final = r"pass|pw|clave|parola|parolă|geslo|lozinka|sandi|lösen|mk|รหัส"

_QUAL_AFTER: Final = (
    r"πρόσβασης|πρόσβασής|μου|σου|saya|anda|kamu|của[ \t]tôi|của[ \t]bạn|"
    r"الخاصة[ \t]بي|الخاص[ \t]بي|الخاصة[ \t]بك|"
    r"mio|mia|meu|minha|mein|meine|mon|ma|mijn|mój|moje|moja|мой|моя|benim|langu|lako|yangu|yako"
)
_QUAL: Final = (
    r"(?P<qual>[ \t]+(?:for|of|to|on|at|für|fürs|vom|von|zum|zur|du|de|des|pour|del|de[ \t]la|para|"
    r"от|для|к|van|voor|"
    # (A qualifier's words are not the copula: "senha do wifi é X" is "do wifi", then "é".)
    r"per|di|dla|do|da|dos|das|der|dei|för|til|na|della|dello|la)"
    r"(?:[ \t]+(?!(?:is|é|es|est|ist|era|was|är|er|jest|это|adalah|ialah|hai|è|είναι|là|lautet|ni)[ \t])"
    r"[^\s:=：\"'][^\s:=：\"]{0,29}){1,3}|"
    # "contraseña nueva:", "Passwort neu:", "password (new):" — a word that says which password.
    r"[ \t]+\(?(?:new|old|current|temporary|temp|initial|default|nueva|nuevo|actual|temporal|neu|"
    r"neues|aktuelles|"
    r"nouveau|nouvelle|actuel|actuelle|provisoire|temporaire|initial|initiale|novo|nova|nuova|nuovo|"
    r"provvisoria|temporário|temporária|tijdelijk|nieuw|nieuwe|tymczasowe|nowe|geçici|yeni|новый|текущий|"
    # Indonesian and Malay mark "the wifi's" with a suffix: "password wifi-nya".
    r"временный|wifi|wi-fi|wlan|admin|root|master|email|e-mail|mail|temporară|temporar|provizorie|sementara|"
    r"tạm|tạm[ \t]thời|tymczasowe|väliaikainen|midlertidig|midlertidigt|tillfälligt|dočasné|ideiglenes|"
    r"temporanea|temporaneo|provvisorio|tijdelijke|vorläufiges|vorübergehendes|"
    # "of access", and whose password: Greek, Indonesian, Vietnamese, Arabic and a few more say it after
    # the keyword ("Κωδικός πρόσβασης", "kata sandi saya", "mật khẩu của tôi", "كلمة المرور الخاصة بي").
    rf"{_QUAL_AFTER})(?:-nya)?\)?"
    # A second word: one of these ("πρόσβασής μου"), or any word right before ':' or '=' ("password wifi
    # kantor: X").
    rf"(?:[ \t]+(?:{_QUAL_AFTER})|[ \t]+[^\s:=：\"'()]{{1,20}}(?=[ \t]*[\"']?[ \t]*(?::=|=>|->|[:=：→⇒])))?)?"
)
_CONN: Final = (
    r"(?:(?P<sym>[ \t]*[\"']?[ \t]*(?::=|=>|->|[:=：→⇒])[ \t]*|[ \t]+(?:-|—|–)[ \t]+|"
    # define('DB_PASSWORD', '...'), setdefault("PASSWORD", "..."): the value is the next argument.
    r"[\"'][ \t]*,[ \t]*(?=[\"'])|"
    # Kubernetes env and similar lists: "- name: DB_PASSWORD" then "value: ..." on the next line.
    r"[\"']?[ \t]*\r?\n[ \t]*value[ \t]*:[ \t]*|"
    # <add key="SmtpPassword" value="..."/>: the keyword names the setting, the value attribute holds it.
    r"[\"'][ \t]+value[ \t]*=[ \t]*|"
    # ds.setPassword("..."), withPassword('...'): a setter's one string argument (not set_password("app",
    # user, pw), whose first argument names a service).
    r"\([ \t]*(?=\"[^\"\n]*\"[ \t]*\)|'[^'\n]*'[ \t]*\)))|"
    r"(?P<cop>[ \t]+(?:is|was|will[ \t]be|has[ \t]been|should[ \t]be|ist|lautet|war|est|c'est|c’est|"
    r"était|sera|"
    r"es|era|será|é|"
    # (Swahili's ni; Thai's คือ, written against the keyword like the CJK copulas.)
    r"è|jest|är|er|on|je|это|hai|είναι|là|adalah|ialah|هي|هو|este|—|ni)(?:[ \t]*:)?[ \t]+|'s[ \t]+|"
    # (And "reset to" written against the keyword in Chinese and Thai: "密码重置成X", "รหัสเป็น X".)
    r"[ \t]*(?:(?:重置|改|设置?|設置?|更改|修改)?(?:成|为|為)|是|は|が|는|은|คือ|เป็น)[ \t]*)|"
    # "password reset to X" in other languages: the participle, then the preposition ("mot de passe
    # réinitialisé à X", "Passwort zurückgesetzt auf X", "contraseña restablecida a X").
    r"(?P<prep>[ \t]+(?:(?:(?:a[ \t]+été|wurde|ha[ \t]+sido|fue|foi|è[ \t]+stata|werd|zostało)[ \t]+)?"
    r"(?:reset|changed|réinitialisé|changé|modifié|zurückgesetzt|geändert|restablecida|cambiada|"
    r"redefinida|alterada|reimpostata|cambiata|gereset|gewijzigd|zresetowane|zmienione)[ \t]+)?"
    r"(?:to|zu|auf|à|a|en|para|in|naar|na|se|olarak|into)[ \t]+)|(?P<bare_sp>[ \t]+))"
)
_FILLER: Final = (
    r"(?:(?:now|still|just|currently|simply|actually|jetzt|nun|maintenant|ahora|agora|adesso|теперь|сейчас|"
    r"temporarily|always|probably|tijdelijk|nu|temporalmente|temporairement|vorübergehend|provisoriamente|"
    r"temporaneamente|ora|tymczasowo|teraz|şimdi|geçici|tạm[ \t]thời|sementara)[ \t]+)?"
)
_VALUE: Final = (
    r"(?:\"(?P<dq>[^\"\n]{1,128})\"|'(?P<sq>[^'\n]{1,128})'|`(?P<bq>[^`\n]{1,128})`|[«“„「『](?P<gq>[^»”“」』\n]{1,128})[»”“」』]|"
    # In angle brackets or parentheses, without spaces: "<oak-lamp-blue-oak>", "(Barcelona2019$)". (With
    # spaces it is a placeholder or an aside: "<your password>", "(see the vault)".)
    r"<(?P<aq>[^<>\s]{1,128})>|\((?P<pq>[^()\s]{1,128})\)|"
    r"(?P<bare>[^\s\"'`«»“”，。、！？；：「」（）\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{1,128}))"
)

# Word boundaries for alphabetic scripts only: in Japanese or Chinese the keyword touches the next word.
_LETTER: Final = r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]"
_KW_HEAD: Final = rf"(?:(?P<strong>{_STRONG_KW})|(?P<weak>{_WEAK_KW}))(?!{_LETTER})(?:_[A-Za-z0-9_]{{0,20}})?"
_KW_PHRASE: Final = re.compile(rf"{_KW_HEAD}{_QUAL}{_CONN}{_FILLER}{_VALUE}")
# The same without the qualifier, tried when the first reading is rejected: in "set password to X please"
# the qualifier would swallow "to X" and leave "please" as the value.
_KW_PHRASE_PLAIN: Final = re.compile(rf"{_KW_HEAD}{_CONN}{_FILLER}{_VALUE}")
_IDENT: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_NAME_CHARS: Final = _IDENT | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Identifiers that glue a word to the keyword without a separator: PGPASSWORD, mypassword, dbpass.
_GLUED: Final = frozenset({"pg", "my", "db", "new", "old", "root", "admin", "user", "wifi", "mysql"})


_PROCLITICS: Final = frozenset("وفبلהובלמש")


def _is_letter(ch: str) -> bool:
    return ch.isalpha() and not ("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")


# The rest of a variable's name, then "=" and a quoted literal (not "==", a comparison).
_ASSIGNED_LITERAL: Final = re.compile(r"[a-z0-9_]*[ \t]*=[ \t]*[\"']")


def _keyword_starts(t: Text) -> list[int]:
    """Offsets where a keyword starts at a word boundary, or after an identifier prefix like DB_ or PG."""
    out: list[int] = []
    low = t.low
    for p in t.pw:
        q = p
        while q > 0 and p - q < 24 and low[q - 1] in _IDENT:
            q -= 1
        # ${DB_PASSWORD:?err}, $PASSWORD, %DB_PASSWORD%: a reference to where the password is kept. (Not
        # PHP's or PowerShell's $password = '...': a variable assigned a literal.)
        if low[max(0, q - 2) : q] == "${" or low[q - 1 : q] == "%":
            continue
        if low[q - 1 : q] == "$" and _ASSIGNED_LITERAL.match(low, p) is None:
            continue
        # A Chinese or Japanese keyword starts a word whatever it touches ("账号x@126.com密码…").
        # (Thai too: written without spaces, "รีเซ็ตรหัสเป็น X" is "reset" + "code" + "to".)
        if p == 0 or not _is_letter(low[p - 1]) or low[p] >= "\u2e80" or "\u0e00" <= low[p] <= "\u0e7f":
            out.append(p)
            continue
        # Arabic and Hebrew write "and", "the", "for" as one letter joined to the word ("وكلمة المرور").
        if low[p - 1] in _PROCLITICS and (p == 1 or not _is_letter(low[p - 2])):
            out.append(p)
            continue
        # ... and "the" as two ("الباسورد").
        if low[max(0, p - 2) : p] == "ال" and (p == 2 or not _is_letter(low[p - 3])):
            out.append(p)
            continue
        if q > 0 and _is_letter(low[q - 1]):
            continue
        prefix = low[q:p]
        # camelCase and PascalCase identifiers too: smtpPassword, SmtpPassword, dbPass.
        if prefix.endswith("_") or prefix in _GLUED or (t.raw[p].isupper() and t.raw[p - 1].islower()):
            out.append(p)
    return out


# "set/change the password to X" and "use X as (the) password".
_USE_AS: Final = re.compile(
    rf"\b(?:use|using|utilise|utilisez|usa|usar|benutze|nutze|verwende|try|set|put|chose|picked|mis|mets|"
    rf"choisi|puse|elegí|coloquei|escolhi|messo|scelto|gekozen|gewählt)[ \t]+{_VALUE}[ \t]+"
    rf"(?:as|als|comme|como|come)[ \t]+(?:the[ \t]+|your[ \t]+|my[ \t]+|a[ \t]+|das[ \t]+|le[ \t]+|"
    rf"el[ \t]+|la[ \t]+)?"
    rf"(?:new[ \t]+|neues[ \t]+|nouveau[ \t]+)?(?:{_STRONG_KW})\b"
)
# Command lines that take a password as a flag (Text finds the command names, CLI_COMMANDS); the command
# decides what the flag means (ssh -p is a port). Matched anchored at each command name.
_CLI_PASSWORD: Final = re.compile(
    r"(?<![\w\-])(?:(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n|;&]{0,160}?[ \t]-p(?=[^\s\-])"
    r"|sshpass\b[^\n|;&]{0,40}?[ \t]-p[ \t]+"
    r"|(?:docker|podman|nerdctl|buildah|skopeo|helm[ \t]registry|oras)[ \t]+login\b[^\n|;&]{0,200}?[ \t]"
    r"(?:-p|--password)(?:[ \t]+|=)"
    r"|redis-cli\b[^\n|;&]{0,160}?[ \t](?:-a|--pass)[ \t]+"
    # Windows: net use Z: \\server\share /user:DOMAIN\name PASSWORD
    r"|net[ \t]+use\b[^\n|;&]{0,200}?[ \t]/user:[^\s/]{1,64}[ \t]+(?=[^\s/])"
    # lftp -u user,password
    r"|lftp\b[^\n|;&]{0,160}?[ \t]-u[ \t]+[^\s,]{1,64},"
    # OpenLDAP's tools: -w passwd (the bind password; -W prompts for it).
    r"|ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn|exop)\b[^\n|;&]{0,160}?[ \t]-w[ \t]+)"
    + _VALUE
)
# More command lines that take a password as an argument, each in its own way: Apache's htpasswd -b (file,
# user, then the password; with -n no file), RabbitMQ's add_user/change_password user password, Samba's
# -U user%password, FreeRDP's /p:password, PowerShell's ConvertTo-SecureString "pw" -AsPlainText.
_MORE_COMMANDS: Final = re.compile(
    r"(?<![\w\-])(?:htpasswd(?P<flags>(?:[ \t]+-[a-z]+)+)[ \t]+(?P<args>(?:[^\s\-][^\s]*[ \t]+){1,2})"
    r"|rabbitmqctl[ \t]+(?:add_user|change_password)[ \t]+[^\s]+[ \t]+"
    r"|(?:smbclient|rpcclient)\b[^\n|;&]{0,160}?[ \t](?:-u[ \t]*|--user=)[^\s%]{1,64}%"
    r"|(?:xfreerdp|wlfreerdp|sdl-freerdp)\b[^\n|;&]{0,160}?[ \t]/p:"
    r"|convertto-securestring[ \t]+(?=[\"'][^\"'\n]+[\"'][ \t]+-asplaintext)"
    # Windows: net user NAME PASSWORD [/add] ("*" prompts for it).
    r"|net[ \t]+user[ \t]+[^\s/]{1,64}[ \t]+(?=[^\s/*]))" + _VALUE
)


# A misspelled keyword before ':' or 'is' ("PASSWROD: c0ff33475!", "my pasword is Gp3jCEqKF&Tu"): one
# typo away from the word (as typed in a hurry), and the value must look like a password; after "is" a
# strong one (three kinds of characters, eight or more). Found from the sign back (signs are rarer than the
# letter "p").
# A word of 5 to 10 letters starting with "p", then a sign or " is " (one pass, from each "p": the literal
# first lets the engine jump between them, the lookbehind after it keeps the word whole).
_TYPO_KEYWORD: Final = re.compile(r"p(?<![^\W\d_]p)[a-z]{4,9}(?=[ \t]*(?:[:=→]|->)|[ \t]+is[ \t])")
_TYPO_CONNECTOR: Final = re.compile(r"[ \t]*(?:[:=→]|->)[ \t]*|[ \t]+(?P<cop>is)[ \t]+")
_TYPO_OF: Final = ("password", "passwort", "passwd")
_NOT_TYPOS: Final = frozenset(
    {"password", "passwort", "passwd", "passwords", "passed", "passes", "passer", "passport", "passports"}
)
_VALUE_AT: Final = re.compile(_VALUE)


def _one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns a into b."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < la and i < lb and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i + 1 :] == b[i:] if la > lb else a[i:] == b[i + 1 :]


def find_misspelled_passwords(t: Text) -> list[Hit]:
    """Passwords after a keyword typed with one slip ("PASSWROD: c0ff33475!", "passwod=fjdD&Ysa67h&B")."""
    text, low = t.raw, t.low
    # The pattern wants a sign or " is " after the word: most messages hold neither, and this runs on every
    # message (the pattern's pass over the whole text cost 4% of a scan). No misspelled keyword without one
    # of Text's TYPO_STEMS either.
    if not t.typo_stems:
        return []
    if not ("=" in low or ":" in low or "→" in low or "->" in low or "is " in low or "is\t" in low):
        return []
    out: list[Hit] = []
    for typo in _TYPO_KEYWORD.finditer(low):
        word, end = typo.group(), typo.end()
        if word in _NOT_TYPOS or not any(_one_edit(word, target) for target in _TYPO_OF):
            continue
        conn = _TYPO_CONNECTOR.match(low, end)
        if conn is None:
            continue
        found = _VALUE_AT.match(low, conn.end())
        span = _value_span(found, text) if found is not None else None
        if found is None or span is None:
            continue
        value, start, end = span if found.group("bare") is None else _trim(*span)
        classes = char_classes(value)
        if conn.group("cop") is not None and (classes < 3 or len(value) < 8):
            continue
        if classes >= 2 and any(c.isdigit() for c in value) and acceptable(value, strict=False):
            out.append(Hit("password", start, end))
    return out


_PAIR: Final = re.compile(
    r"(?:login|user(?:name)?|usr|benutzer(?:name)?|usuario|utilisateur|utente)[ \t]*/[ \t]*"
    r"(?:password|passwort|pass|pw|pwd|contraseña|mot de passe|senha|kennwort)[ \t]*[:=][ \t]*"
    r"[\"'`]?[^\s/\"'`]{1,64}[\"'`]?[ \t]*/[ \t]*[\"'`]?(?P<value>[^\s\"'`]{3,128})"
)
# "creds are admin:Kaffee4759!", "login: deploy:S3cret!", "creds in the old wiki page: admin:Maple.7906":
# a user and a password joined by a colon, after the word and at most a few words on the same line.
_USER_PASS: Final = re.compile(
    # (Not "login.example.com/..." or "login-form": a host or an identifier, not the word.)
    r"(?<![\w\-])(?:creds?|credentials|credenciales|login|logins|identifiants?|zugangsdaten)\b(?![.\-/@])"
    r"(?:[ \t]*(?:are|is|:|=|-|—)|[ \t]+[^\n:=]{1,40}?[:=][ \t])?[ \t]*"
    # "user:password", or "user / password" ("new staging creds: deploy/mango-tiger-ember69").
    r"[\"'`]?[\w.@+\-]{1,64}(?::|(?P<slash>[ \t]*/[ \t]*))(?P<value>[^\s\"'`]{3,128})"
)
# SQL: CREATE USER 'x'@'%' IDENTIFIED BY 'pw'; ALTER USER ... IDENTIFIED WITH mysql_native_password BY 'pw'.
# (Oracle quotes it in double quotes or not at all: IDENTIFIED BY "pw", IDENTIFIED BY pw; not BY VALUES
# '<hash>'.)
_IDENTIFIED_BY: Final = re.compile(
    r"\bidentified[ \t]+(?:with[ \t]+[\w$]+[ \t]+)?by[ \t]+(?:'(?P<value>[^'\n]{1,128})'|"
    r"\"(?P<dq>[^\"\n]{1,128})\"|(?!values\b|password\b)(?P<bare>[^\s;'\"]{1,128}))"
)
# XML: <password>pw</password>, <ns:Password>pw</ns:Password> (matched at the keyword, after "<" or "ns:").
_XML_ELEMENT: Final = re.compile(rf"(?:{_STRONG_KW}|{_WEAK_KW})>(?P<value>[^<>\s]{{1,128}})</")
# <property name="hibernate.connection.password">pw</property>: an element named by its name attribute (the
# keyword ends the name; matched back from it).
_XML_NAME_BEFORE: Final = re.compile(r"<[\w:.\-]{1,40}[ \t]+name[ \t]*=[ \t]*[\"'][\w.:\-]{0,80}$")
_XML_NAMED: Final = re.compile(rf"(?:{_STRONG_KW})[\"'][ \t]*>(?P<value>[^<>\s]{{1,128}})</")
# A question about the password, and the next line (a quoted reply's too) holding one word only.
# (A weak keyword only right before the "?": "what's the router admin pass?". A chat log's answer comes after
# its time and speaker: "[09:13] client: X".)
_ASKED: Final = re.compile(
    rf"(?:(?:{_STRONG_KW})[^\n?]{{0,24}}|(?:pass|pw)(?!{_LETTER}))\?[ \t]*\r?\n(?:>[ \t]*)?"
    r"(?:\[[0-9:apm .]{3,12}\][ \t]*)?(?:[^\s:]{1,24}:[ \t]+)?"
    r"(?P<value>[^\s>]\S{7,63})[ \t]*(?:\r?\n|$)"
)
# scheme://user:PASSWORD@host — DSNs, broker URLs, basic-auth links.
_URL_CRED: Final = re.compile(
    r"(?<![A-Za-z0-9+.\-])[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]{0,64}:(?P<value>[^\s/@]{1,128})@(?=[\w\[])"
)
# The "-" first and the lookbehind after it (the character before that "-" is no word character nor
# another "-"): a literal first character lets the engine jump from one "-" to the next at C speed, where a
# leading lookbehind is tried at every position of the whole message.
_CURL_USER: Final = re.compile(
    r"-(?<![\w\-]-)(?:u|-user)(?:[ \t]+|=)[\"']?(?P<user>[^\s:\"']{1,64}):(?P<value>[^\s\"'@]{1,128})"
)
# httpie's -a user:password (the command name is found by Text like the other command lines).
_HTTPIE_AUTH: Final = re.compile(
    r"(?:https?|httpie)\b[^\n|;&]{0,160}?[ \t](?:-a|--auth)(?:[ \t]+|=)[\"']?[^\s:\"']{1,64}:"
    r"(?P<value>[^\s\"'@]{1,128})"
)

# What follows "password is/:" when no password does: adjectives, verbs, articles in several languages.
_NOT_A_VALUE: Final = frozenset(
    """
    is was be been being the a an my your his her our their its this that these those it which what who
    wrong incorrect invalid correct right required mandatory optional needed necessary missing empty blank
    too very so not no yes never always also still now only just really quite pretty expired expiring
    weak strong long short secure insecure safe unsafe simple complex easy hard same different new old
    changed reset set saved stored hidden visible protected encrypted hashed known unknown here there
    below above attached included in on at for of to from with by and or but if as into about like
    true false on off null nil none n/a ok fail failed passed pass yes no tbd unknown
    case-sensitive sensitive working broken fine ok okay ready locked unlocked disabled enabled compromised
    leaked ok. manager policy field box prompt reset. request requests requested change changes length
    e-mail email mail sms login username user see siehe voir ver vedi zie patrz viz lásd se katso
    characters chars letters digits minimum maximum min max least most must should will would can could
    may might has have had does do did doesn't don't isn't wasn't cannot can't won't shared sent emailed
    texted written case generated random temporary default unchanged updated accepted rejected denied
    expires expire complexity requirements rules hint hints recovery reminder forgotten forgot lost
    falsch richtig ungültig abgelaufen erforderlich notwendig zu nicht kein keine geändert gesperrt sicher
    unsicher leer zurückgesetzt vergessen der die das ein eine
    faux incorrect incorrecte invalide expiré expirée requis requise obligatoire trop pas oublié changé
    le la les un une est sûr vide
    incorrecta incorrecto inválida inválido caducada caducado requerida requerido obligatoria muy no
    olvidé olvidada cambiada el los las una segura vacía
    errada errado inválida expirada obrigatória muito não esqueci alterada
    sbagliata errata scaduta obbligatoria troppo non dimenticata
    onjuist ongeldig verlopen verplicht te niet vergeten
    неверный неверен неправильный неправильно истёк истек истекла обязателен обязательно слишком не
    забыл забыла изменён изменен сброшен верный правильный простой сложный спроси спросите узнай узнайте
    смотри см у в
    str bool int bytes string boolean number float any object secretstr list dict optional[str] str|none
    """.split()
)


_VALUE_GROUPS: Final = ("dq", "sq", "bq", "gq", "aq", "pq", "bare")


def _value_span(m: re.Match[str], raw: str) -> tuple[str, int, int] | None:
    """The value as written: patterns run on the lower-cased text, whose offsets are the same."""
    # Every pattern here ends with _VALUE: the group that closed last says which form the value took.
    name = m.lastgroup
    if name is None or name not in _VALUE_GROUPS:
        return None
    start, end = m.span(name)
    return raw[start:end], start, end


_PROSE_NEXT: Final = re.compile(r"[ \t]+[^\W_]+(?:[ \t.,!?]|$)")
# Hyphenated words ("wifi-nya", "self-service") are language, not a password without a ':' before them;
# three hyphens and more make a passphrase ("river-staple-staple-lamp").
_HYPHENATED: Final = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
# "user xXsn1perXx pass ...", "login: ana ... pw ...": a user name just before the keyword.
_AFTER_USER: Final = re.compile(
    r"(?:user(?:name)?|login|account|usuario|benutzer|ไอดี|akaunti)[ \t]*[:=]?[ \t]+\S{1,40}[ \t,;]+$"
)
_OWNER: Final = re.compile(
    r"(?:^|[\s(])(?:la|el|mi|tu|su|my|your|the|ma|mon|ta|il|o|a|meu|minha|mein|meine)[ \t]+$"
)
_BRACKET_PLACEHOLDER: Final = re.compile(r"pass|secret|token|your|new|here|key|value|example")
_NOT_WORDY: Final = re.compile(r"[^A-Za-z_\-]")  # a digit or a symbol
# DB_PASSWORD, <API_TOKEN>: the name of a setting, not its value.
_ENV_NAME: Final = re.compile(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+")


_ABOUT_THE_PASSWORD: Final = re.compile(
    r"(?i)[_\-](?:[a-z0-9]+[_\-])*(?:hash|hashed|digest|salt|hint|policy|length|len|min|max|strength|expiry|"
    r"expires|reset|rules?|attempts)(?![a-z0-9])"
)
# (Two letters at least: "z=-~C$KAKW1" is a password that holds an "=", not a field named z.)
_NEXT_FIELD: Final = re.compile(r"[a-z][a-z_]+=")
# The next parameter of a query string or connection string: "pw&useSSL=false", "pw;Encrypt=True".
_NEXT_PARAM: Final = re.compile(r"[&;][A-Za-z_][A-Za-z0-9_.\-]{0,40}=")


def _trim(value: str, start: int, end: int, *, parameter: bool = False) -> tuple[str, int, int]:
    """Sentence punctuation after a bare value is not part of it; after a query or connection-string
    parameter ("?password=", ";Password="), neither is the next parameter."""
    cut = _NEXT_PARAM.search(value) if parameter else None
    if cut is not None:
        value, end = value[: cut.start()], start + cut.start()
    while value and value[-1] in ".,;:?)]}>" and not (value[-1] == ")" and "(" in value):
        value, end = value[:-1], end - 1
    # An opening bracket at the end opens an aside ("******（不能发群里）", the full-width one made plain).
    if value[-1:] in ("(", "[") and len(value) > 1:
        value, end = value[:-1], end - 1
    return value, start, end


_HASH_PREFIX: Final = re.compile(
    r"\$(?:2[abxy]?|[156]|argon2(?:id|i|d)|scrypt|y|sha\d*)\$|(?:pbkdf2_sha\d+|bcrypt|argon2)\$"
)


# MySQL's stored password hash: "*" and 40 hex digits (IDENTIFIED BY PASSWORD '*6BB4…').
_MYSQL_HASH: Final = re.compile(r"\*[0-9A-Fa-f]{40}")
_OPTION: Final = re.compile(r"--?[A-Za-z][A-Za-z\-]{1,40}")
_NAMES_ITSELF: Final = re.compile(r"[A-Za-z]+(?:[_\-.][A-Za-z]+)+")
# ("pw" only as a whole part: new_pw, db-pw, not "upward_bound".)
_NAMING_WORD: Final = re.compile(r"pass|pwd|secret|token|key|cred|(?:^|[_\-.])pw(?:$|[_\-.])")


def acceptable(value: str, *, strict: bool) -> bool:
    """``strict``: no ':'/'=' between keyword and value, so the value must look like a password itself."""
    if not value or is_placeholder(value) or looks_like_code_reference(value):
        return False
    low = value.lower()
    if low in _NOT_A_VALUE or low.rstrip("!") in _NOT_A_VALUE:
        return False
    # (A path, relative ones too: kubectl --from-file=password=./pw.txt names the file holding it.)
    if value.startswith(("/", "~/", "./", "../", "(", "http://", "https://")):
        return False
    if low.startswith(("e.g", "i.e")):
        return False
    # "db_password", "SMTP-PASSWORD": the setting's own name, not its value.
    if _NAMES_ITSELF.fullmatch(value) is not None and _NAMING_WORD.search(low) is not None:
        return False
    # "password=@password.txt": a file the value is read from (vault, curl -d @file, httpie).
    if value.startswith("@") and ("." in value or "/" in value):
        return False
    # A stored hash (bcrypt, crypt, argon2, Django's pbkdf2) is what a password becomes, not the password.
    if _HASH_PREFIX.match(value) is not None or _MYSQL_HASH.fullmatch(value) is not None:
        return False
    # "--query", "-AsPlainText": the command line's next option, not a value.
    if value[0] == "-" and _OPTION.fullmatch(value) is not None:
        return False
    if strict:
        return len(value) >= 4 and (char_classes(value) >= 2 or len(value) >= 6)
    return len(value) >= 3


def _weak_keyword_names_a_password(m: re.Match[str], text: str, value: str) -> bool:
    """A weak keyword ("pw", "pass", "clave") names a password only before ':'/'=' or a password-shaped
    value ("pw sakura1987": "pw" is the abbreviation; "PASS tests/x.py" is a test runner), right after a user
    name ("user xXsn1perXx pass UB7b&anV~Z^"), or after an article or possessive ("la clave es m0nk3y284")."""
    if m.group("sym") is not None:
        return True
    bare_sp, cop = m.group("bare_sp") is not None, m.group("cop") is not None
    if cop and char_classes(value) >= 3:
        return True
    keyword = text[m.start("weak") : m.end("weak")].lower()
    abbreviation = keyword == "pw" and bare_sp
    after_user = (
        bare_sp
        and _AFTER_USER.search(text[max(0, m.start() - 48) : m.start()].lower()) is not None
        and char_classes(value) >= 3
    )
    owned = cop and _OWNER.search(text[max(0, m.start() - 8) : m.start()]) is not None
    digit = any(c.isdigit() for c in value)
    return (abbreviation or after_user or owned) and char_classes(value) >= 2 and digit


def _bracketed_placeholder(m: re.Match[str], value: str) -> bool:
    """In brackets a value must look like one: <new-password>, <YourSecret>, (DB_PASSWORD) are how docs
    write a placeholder or a name."""
    if m.start("aq") < 0 and m.start("pq") < 0:
        return False
    if char_classes(value) < 2 or _ENV_NAME.fullmatch(value) is not None:
        return True
    return m.start("aq") >= 0 and (
        _BRACKET_PLACEHOLDER.search(value.lower()) is not None
        # ("<tu_contraseña>", "<dein_passwort>": the keyword in any language names what goes there.)
        or _NEAR_KW.search(value.lower()) is not None
        or not (_NOT_WORDY.search(value) or value.count("-") >= 2 or (len(value) >= 10 and value.isalpha()))
    )


def _bare_value_reads_as_prose(m: re.Match[str], text: str, value: str, end: int) -> bool:
    """An unquoted value that is the sentence going on: "password to access", "Passwort zu ändern" (after a
    preposition only a password-shaped value counts; with nothing at all between, "мой пароль X", it must
    also hold a digit or symbol), "password => ask Bob", "passwd: command not found"."""
    bare_sp = m.group("bare_sp") is not None
    if (m.group("prep") is not None or bare_sp) and char_classes(value) < 2:
        return True
    if bare_sp and (
        len(value) < 6
        or value.isalpha()
        or (_HYPHENATED.fullmatch(value) is not None and value.count("-") < 2)
    ):
        return True
    return value.isalpha() and _PROSE_NEXT.match(text, end) is not None


def _judge(m: re.Match[str], text: str) -> tuple[int, int] | None:
    """The value's span when the phrase really gives a password, else None."""
    span = _value_span(m, text)
    if span is None:
        return None
    value, start, end = span
    quoted = m.group("bare") is None
    if not quoted:
        name = m.start()
        while name > 0 and m.start() - name < 24 and text[name - 1] in _NAME_CHARS:
            name -= 1
        value, start, end = _trim(value, start, end, parameter=name > 0 and text[name - 1] in "?&;")
    # (Every test below turns the phrase away or lets it pass, none changes the value: the one that turns
    # away most, prose after a keyword, goes first.)
    if not quoted and _bare_value_reads_as_prose(m, text, value, end):
        return None
    weak = m.group("weak") is not None
    # password_hash, password_policy, PASSWORD_MIN_LENGTH: a setting about the password, not the password.
    keyword_end = m.end("strong") if m.group("strong") is not None else m.end("weak")
    if _ABOUT_THE_PASSWORD.match(text, keyword_end) is not None:
        return None
    # "reason=bad_password attempts=5": after nothing but a space, a key=value is the next field of a log.
    if m.group("bare_sp") is not None and _NEXT_FIELD.match(value) is not None:
        return None
    if weak and not _weak_keyword_names_a_password(m, text, value):
        return None
    if _bracketed_placeholder(m, value):
        return None
    if weak and (len(value) < 4 or (value.isdigit() and len(value) < 5)):
        return None
    if not acceptable(value, strict=not (m.group("sym") is not None or quoted)):
        return None
    return start, end


def _cells(line: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of a CSV or Markdown table row, offsets in the line, spaces trimmed."""
    body_start, body_end = 0, len(line)
    if delimiter == "|":
        stripped = line.strip()
        if not stripped.startswith("|"):
            return []
        body_start = line.index("|") + 1
        body_end = (
            line.rindex("|") if stripped.endswith("|") and line.rindex("|") >= body_start else len(line)
        )
    cells, start = [], body_start
    while True:
        end = line.find(delimiter, start, body_end)
        stop = body_end if end < 0 else end
        lo, hi = start, stop
        while lo < hi and line[lo] in " \t":
            lo += 1
        while hi > lo and line[hi - 1] in " \t\r":
            hi -= 1
        cells.append((lo, hi))
        if end < 0:
            return cells
        start = end + 1


# (A repeated column may be numbered in brackets: "IBAN (2)".)
_COLUMN_NAME: Final = re.compile(r"[^\W\d_]+(?:[ _\-][^\W\d_]+){0,3}(?:[ _\-]?(?:\d{1,2}|\(\d{1,2}\)))?")


def _keyword_end(low: str, p: int) -> int:
    end = p
    while end < len(low) and low[end].isalpha():
        end += 1
    return end


def _table_passwords(text: str, low: str, keywords: Sequence[int]) -> list[Hit]:
    """The cells under a table's password column: "name,password" then "Emily,Banana~1250#9"; a Markdown
    table's "| Temporary password |" column. Rows are read while they have the header's number of cells."""
    out: list[Hit] = []
    done: set[tuple[int, int]] = set()
    rows: set[int] = set()  # lines already read as a table's rows are no header: each line is read once
    for p in keywords:
        line_start = low.rfind("\n", 0, p) + 1
        if line_start in rows:
            continue
        line_end = low.find("\n", p)
        line_end = len(low) if line_end < 0 else line_end
        # A header row is short, and the keyword starts a word in it.
        if line_end - line_start > 400 or (p > 0 and low[p - 1].isalpha()):
            continue
        header = low[line_start:line_end]
        delimiter = "|" if header.lstrip().startswith("|") else "," if "," in header else ""
        cells = _cells(header, delimiter) if delimiter else []
        column = next((i for i, (lo, hi) in enumerate(cells) if lo <= p - line_start < hi), -1)
        # A header row: every cell a column name of a few words ("name", "Temporary password",
        # "password_2"), and not a column about the password (password_hash).
        if column < 0 or len(cells) < 2 or not all(_COLUMN_NAME.fullmatch(header[lo:hi]) for lo, hi in cells):
            continue
        if (line_start, column) in done:
            continue
        if _ABOUT_THE_PASSWORD.match(low, _keyword_end(low, p)):
            continue
        done.add((line_start, column))
        row_start = line_end + 1
        while row_start < len(low):
            row_end = low.find("\n", row_start)
            row_end = len(low) if row_end < 0 else row_end
            row = text[row_start:row_end]
            row_cells = _cells(row, delimiter)
            if len(row_cells) != len(cells):
                break
            rows.add(row_start)
            lo, hi = row_cells[column]
            value = row[lo:hi]
            # (The Markdown separator row "|---|---|" holds no value.)
            if value and value.strip("-: ") and acceptable(value, strict=True) and char_classes(value) >= 2:
                out.append(Hit("password", row_start + lo, row_start + hi))
            row_start = row_end + 1
    return out


# --- the rules: each reads one way of giving a password, and runs only where its trigger is ---------------


def _slash_pairs(t: Text, starts: Sequence[int]) -> list[re.Match[str]]:
    """ "login/password: admin / Dragon2023?" (only where a keyword comes right after a "/")."""
    low = t.low
    return [
        pair
        for p in starts
        if "/" in low[max(0, p - 3) : p]
        for pair in _PAIR.finditer(low, max(0, p - 24), min(len(low), p + 220))
    ]


def _pair_passwords(t: Text, pairs: Sequence[re.Match[str]]) -> list[Hit]:
    """The second value of a user/password pair is the password."""
    out: list[Hit] = []
    for pair in pairs:
        start, end = pair.span("value")
        value, start, end = _trim(t.raw[start:end], start, end)
        if acceptable(value, strict=False):
            out.append(Hit("password", start, end))
    return out


def _names_a_field_or_file(low: str, p: int) -> bool:
    """The keyword at ``p`` is the value of an option ("vault kv get -field=password secret/db", "jq
    --arg k password"), or a file in a path ("/run/secrets/pg_pw"): what follows it is the next argument."""
    q = p
    while q > 0 and p - q < 24 and low[q - 1] in _IDENT:
        q -= 1
    if q == p and p > 1 and low[p - 1] == "=" and low[p - 2] in _IDENT:
        end = p
        while end < len(low) and low[end] in _IDENT:
            end += 1
        # Only when a space, not a sign, comes next: "-field=password secret/db", not "x=password=...".
        return low.startswith(" ", end)
    if q > 0 and low[q - 1] == "/":
        start = q - 1
        while start > 0 and p - start < 200 and not low[start - 1].isspace():
            start -= 1
        return low.count("/", start, q) >= 2
    return False


def _keyword_phrases(t: Text, starts: Sequence[int], pairs: Sequence[re.Match[str]]) -> list[Hit]:
    """A keyword, maybe a word that says which password, a connector, the value: "password: X", "mi
    contraseña es X", "DB_PASSWORD=X", "パスワードはX"."""
    out: list[Hit] = []
    text, low = t.raw, t.low
    covered = 0  # keywords inside an accepted value ("password: password123") are part of that value
    for p in starts:
        if p < covered or (pairs and any(pair.start() <= p < pair.end() for pair in pairs)):
            continue
        if _names_a_field_or_file(low, p):
            continue
        m = _KW_PHRASE.match(low, p)
        span = _judge(m, text) if m is not None else None
        if span is None and m is not None and m.start("qual") >= 0:
            m = _KW_PHRASE_PLAIN.match(low, p)
            span = _judge(m, text) if m is not None else None
        if span is not None:
            covered = span[1]
            out.append(Hit("password", *span))
    return out


def _use_as_password(t: Text, starts: Sequence[int]) -> list[Hit]:
    """ "use X as (the) password": only where " as " (or its translation) comes shortly before a keyword."""
    if not t.as_words:
        return []
    out: list[Hit] = []
    near = [p for p in starts if any(p - 24 <= a and b <= p for a, b in t.as_words)]
    for lo, hi in merged_windows(near, 200, 40, len(t.raw)):
        for m in _USE_AS.finditer(t.low, lo, hi):
            found = _value_span(m, t.raw)
            if found is None:
                continue
            value, start, end = found
            if acceptable(value, strict=True) and char_classes(value) >= 2:
                out.append(Hit("password", start, end))
    return out


def _url_credentials(t: Text, starts: Sequence[int]) -> list[Hit]:
    """scheme://user:PASSWORD@host."""
    if not t.url or "@" not in t.raw:
        return []
    out: list[Hit] = []
    text = t.raw
    for lo, hi in merged_windows(t.url, 22, 200, len(text)):
        for m in _URL_CRED.finditer(t.low, lo, hi):
            # mysql://<user:password>@host: the documentation's template of a URL.
            user = text[m.start() : m.start("value")].split("://", 1)[-1]
            if user.startswith(("<", "{", "[")):
                continue
            if acceptable(text[m.start("value") : m.end("value")], strict=False):
                out.append(Hit("password", m.start("value"), m.end("value")))
    return out


def _curl_user(t: Text, starts: Sequence[int]) -> list[Hit]:
    """curl's -u / --user user:password (not the documentation's "-u <user:password>")."""
    if "-u" not in t.raw:
        return []
    return [
        # Twilio's API takes its Account or API-key SID as the user and the auth token or key secret as the
        # password: that half is the API key's secret.
        Hit(
            "api_key" if _TWILIO_SID.fullmatch(m.group("user")) else "password",
            m.start("value"),
            m.end("value"),
        )
        for m in _CURL_USER.finditer(t.raw)
        if m.group("user")[:1] not in "<{[" and acceptable(m.group("value"), strict=False)
    ]


_TWILIO_SID: Final = re.compile(r"(?:AC|SK)[0-9a-f]{32}")


def _command_line_flags(t: Text, starts: Sequence[int]) -> list[Hit]:
    """mysql -pX, sshpass -p X, docker login -p X, redis-cli -a X, httpie -a user:X."""
    out: list[Hit] = []
    text, low = t.raw, t.low
    for p in t.cli:
        if low.startswith("http", p):
            auth = _HTTPIE_AUTH.match(low, p)
            if auth is not None and acceptable(text[auth.start("value") : auth.end("value")], strict=False):
                out.append(Hit("password", auth.start("value"), auth.end("value")))
            continue
        cli = _CLI_PASSWORD.match(low, p)
        found = _value_span(cli, text) if cli is not None else None
        if found is not None and acceptable(found[0], strict=False):
            out.append(Hit("password", found[1], found[2]))
    return out


def _more_command_lines(t: Text, starts: Sequence[int]) -> list[Hit]:
    """htpasswd -b, rabbitmqctl add_user, smbclient -U user%pw, xfreerdp /p:pw, ConvertTo-SecureString."""
    out: list[Hit] = []
    for p in t.cli:
        m = _MORE_COMMANDS.match(t.low, p)
        found = _value_span(m, t.raw) if m is not None else None
        if m is None or found is None:
            continue
        flags = m.group("flags")
        # htpasswd reads the password from its arguments only with -b: file and user first (-n: no file).
        if flags is not None and (
            "b" not in flags or len(m.group("args").split()) != (1 if "n" in flags else 2)
        ):
            continue
        value, start, end = found if m.group("bare") is None else _trim(*found)
        if acceptable(value, strict=False) and not value.startswith(("-", "$")):
            out.append(Hit("password", start, end))
    return out


# new NetworkCredential("user", "pw"), new UsernamePasswordCredentials("user", "pw"), PSCredential: a
# credential object built from a user and a password, the second string.
_CREDENTIAL_OBJECT: Final = re.compile(
    r"cred(?:ential)?s?[ \t]*\([ \t]*[\"'][^\"'\n]{1,64}[\"'][ \t]*,[ \t]*"
    r"[\"'](?P<value>[^\"'\n]{3,128})[\"']"
)


def _user_colon_password(t: Text, starts: Sequence[int]) -> list[Hit]:
    """ "creds: admin:Kaffee4759!", "login: deploy/mango-tiger-ember69"."""
    out: list[Hit] = []
    for p in t.cred:
        m = _USER_PASS.match(t.low, p)
        if m is None:
            continue
        start, end = m.span("value")
        value, start, end = _trim(t.raw[start:end], start, end)
        # After a "/" it could as well be a path ("login via sso/okta"): three kinds of characters.
        if acceptable(value, strict=True) and (m.group("slash") is None or char_classes(value) >= 3):
            out.append(Hit("password", start, end))
    return out


def _table_columns(t: Text, starts: Sequence[int]) -> list[Hit]:
    if "\n" not in t.low or ("," not in t.low and "|" not in t.low):
        return []
    return _table_passwords(t.raw, t.low, t.pw)


def _identified_by(t: Text, starts: Sequence[int]) -> list[Hit]:
    """SQL's IDENTIFIED BY 'pw'."""
    if "identified" not in t.low:
        return []
    out: list[Hit] = []
    for m in _IDENTIFIED_BY.finditer(t.low):
        group = m.lastgroup or "value"
        start, end = m.span(group)
        if acceptable(t.raw[start:end], strict=group == "bare"):
            out.append(Hit("password", start, end))
    return out


def _xml_elements(t: Text, starts: Sequence[int]) -> list[Hit]:
    """<password>pw</password>, <ns:Password>pw</ns:Password>, <property name="db.password">pw</property>."""
    low = t.low
    if "</" not in low:
        return []
    out: list[Hit] = []
    for p in starts:
        if p == 0:
            continue
        if low[p - 1] in "<:":
            m = _XML_ELEMENT.match(low, p)
        elif _XML_NAME_BEFORE.search(low, max(0, p - 100), p) is not None:
            m = _XML_NAMED.match(low, p)
        else:
            continue
        if m is not None:
            start, end = m.span("value")
            if acceptable(t.raw[start:end], strict=False):
                out.append(Hit("password", start, end))
    return out


def _asked_and_answered(t: Text, starts: Sequence[int]) -> list[Hit]:
    """ "what's the vpn password?" then the password alone on the next line."""
    low = t.low
    if "?" not in low:
        return []
    out: list[Hit] = []
    for p in starts:
        question = low.find("?", p, p + 64)
        if question < 0 or low.find("\n", p, question) >= 0:
            continue
        m = _ASKED.match(low, p)
        if m is None:
            continue
        # "did the test pass?": a weak keyword asks for a password only after what the password opens.
        weak = low[p] == "p" and question - p <= 4
        if weak and _ASKED_FOR.search(low, max(0, p - 16), p) is None:
            continue
        start, end = m.span("value")
        value = t.raw[start:end]
        if char_classes(value) >= 3 and acceptable(value, strict=True):
            out.append(Hit("password", start, end))
    return out


_ASKED_FOR: Final = re.compile(r"(?:admin|root|wifi|wi-fi|router|vpn|db|ssh|login|user|account)[ \t]+$")


# requests' auth=("user", "pw"), HTTPBasicAuth("user", "pw"), BasicAuth("user", "pw"), reqwest's
# .basic_auth("user", Some("pw")): the second
# argument of a basic-auth pair is the password. (Matched at each "auth"; keyword arguments such as
# password="..." are the keyword rule's.)
_AUTH_PAIR: Final = re.compile(
    r"auth(?:[ \t]*=[ \t]*[(\[]|[ \t]*\()[ \t]*[\"'][^\"'\n]{1,64}[\"'][ \t]*,[ \t]*"
    r"(?:some[ \t]*\([ \t]*)?[\"'](?P<value>[^\"'\n]{3,128})[\"']"
)


def _auth_pairs(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    out: list[Hit] = []
    for p in find_all(low, "auth"):
        # "auth=(" and "…BasicAuth(", not "author(" or "oauth_token=(".
        if p > 0 and low[p - 1].isalpha() and not low.endswith("basic", 0, p):
            continue
        m = _AUTH_PAIR.match(low, p)
        if m is None:
            continue
        start, end = m.span("value")
        if acceptable(t.raw[start:end], strict=False):
            out.append(Hit("password", start, end))
    return out


# "I reset it to Ember#42velvet", "changed the password to X": a value set, where the message is about a
# password (a keyword within 120 characters); the value must look like one (three kinds of characters and a
# digit). Found from each " to " back to the verb.
_SET_VERB_BEFORE: Final = re.compile(
    r"(?<![a-z])(?:reset|changed?|set|updated?|rotated?)[ \t]+(?:it|that|this|the[ \t]+\w+|my[ \t]+\w+|"
    r"your[ \t]+\w+)(?:[ \t]+back)?$"
)
_SET_VALUE: Final = re.compile(r"[ \t]+(?P<value>[^\s\"'`,;]{8,64})")


def _set_to(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    if not t.pw or " to " not in low:
        return []
    out: list[Hit] = []
    for lo, hi in merged_windows(list(t.pw), 120, 120, len(low)):
        for p in find_all(low[lo:hi], " to "):
            at = lo + p
            if _SET_VERB_BEFORE.search(low, max(0, at - 48), at) is None:
                continue
            m = _SET_VALUE.match(low, at + 3)
            if m is None:
                continue
            start, end = m.span("value")
            value, start, end = _trim(t.raw[start:end], start, end)
            if (
                char_classes(value) >= 3
                and any(c.isdigit() for c in value)
                and acceptable(value, strict=True)
            ):
                out.append(Hit("password", start, end))
    return out


# "mongo admin emma.rossi / harbor-meadow-orbit-meadow on 6.250.245.32": a service and an account, then
# "user / password". The value must look like a password (three kinds of characters, or a passphrase of
# four words), and a word for a service or an account must come first on the line.
_SERVICE_PAIR: Final = re.compile(
    r"(?:^|[\s(])(?:admin|root|login|user(?:name)?|account|mongo(?:db)?|mysql|postgres(?:ql)?|psql|redis|ssh|sftp|"
    # (And "account" in a few other languages: "계정 root / X", "konto admin / X".)
    r"ftp|vpn|wifi|wi-fi|db|database|rdp|smb|계정|konto|cuenta|compte|conta|アカウント|账号|帳號)\b"
    r"[^\n/]{0,48}?[ \t](?P<user>[\w.@+\-]{2,64})[ \t]+/[ \t]+"
    r"(?P<value>[^\s/]{6,128})"
)
_PASSPHRASE: Final = re.compile(r"[^\W\d_]{3,12}(?:-[^\W\d_]{3,12}){3,7}\d{0,4}")


def _service_pairs(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    if " / " not in low:
        return []
    out: list[Hit] = []
    for line_start in [0, *(i + 1 for i in find_all(low, "\n"))]:
        slash = low.find(" / ", line_start, line_start + 160)
        if slash < 0:
            continue
        m = _SERVICE_PAIR.search(low, line_start, min(len(low), slash + 132))
        if m is None:
            continue
        start, end = m.span("value")
        value, start, end = _trim(t.raw[start:end], start, end)
        shaped = char_classes(value) >= 3 or _PASSPHRASE.fullmatch(value) is not None
        if shaped and acceptable(value, strict=True):
            out.append(Hit("password", start, end))
    return out


# "пароль від wi-fi 07h*je49FRv", "the password I set yesterday was Bayern25$", "密码mmnz30BXC", "pw so
# here: tiger-cloud-tiger50": chat puts a few words of its own between the keyword and the password, in any
# language. Within the next five words on the keyword's line (or alone on the next line, after a keyword that
# ends its own), the first word shaped like a password (three kinds of characters, two letters, six or more
# characters) is the password; prose, e-mail addresses, links, versions, handles and settings are not.
_NEAR_KW: Final = re.compile(rf"(?:{_STRONG_KW}|{_WEAK_KW}|ww|باسورد|פאסוורד)(?:-?nya)?")
_NEAR_WORDS: Final = 6
_NEAR_TOKEN: Final = re.compile(r"[^\s\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af，。、！？；：「」（）]+")
_NEAR_LEAD: Final = "\"'`«“„「『(<[:"
_NEAR_TRAIL: Final = "\"'`»”“」』)>],.;:?"
_NOT_A_PASSWORD_WORD: Final = re.compile(
    r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}|[a-z][a-z0-9+.\-]*://.*|www\..*|[@#/~].*|[A-Za-z_][\w.\-]*=.*|"
    r"v?\d+(?:\.\d+)+(?:[\-+][\w.]*)?"
)


_CODE_CHARS: Final = frozenset("\"'`(){}[]<>:;")


def _password_shaped(word: str) -> bool:
    return (
        6 <= len(word) <= 64
        # (Letters alone mix two classes at most: the prose after a keyword, most words tested here, is
        # turned away by one C call before char_classes' four.)
        and not word.isalpha()
        and char_classes(word) >= 3
        and sum(c.isalpha() for c in word) >= 2
        # Quotes, brackets and colons inside make it code or a setting ("getpass('Password", "postgres:16").
        and _CODE_CHARS.isdisjoint(word)
        # "Reset-Mail", "Wi-Fi-Router": hyphenated words are language.
        and _HYPHENATED.fullmatch(word) is None
        and _NOT_A_PASSWORD_WORD.fullmatch(word) is None
        # "1Password", "Passwort-Manager": where passwords are kept.
        and _NEAR_KW.search(word.lower()) is None
        and acceptable(word, strict=True)
    )


def _near_keyword(t: Text, starts: Sequence[int], taken: Sequence[Hit]) -> list[Hit]:
    text, low = t.raw, t.low
    out: list[Hit] = []
    for p in starts:
        kw = _NEAR_KW.match(low, p)
        if kw is None:
            continue
        end = kw.end()
        # In an alphabetic script a space follows the keyword ("passport", "password_hash", "password)" are
        # other words or code); in Chinese or Japanese the keyword touches the next word. "password: X" and
        # "password=X" are the keyword rule's, which has read them already.
        if _is_letter(low[end - 1]) and low[end : end + 1] not in (" ", "\t", "\n"):
            continue
        # Another rule already read this keyword's value.
        if taken and any(p <= h.start < end + 80 for h in taken):
            continue
        line_end = low.find("\n", end)
        line_end = len(low) if line_end < 0 else line_end
        lo, hi = end, min(line_end, end + 80)
        if not low[lo:hi].strip(" \t"):
            # The keyword is its line: the password alone on the next one.
            if low[low.rfind("\n", 0, p) + 1 : line_end].strip() != kw.group():
                continue
            nxt = low.find("\n", line_end + 1)
            lo, hi = line_end + 1, len(low) if nxt < 0 else nxt
            if hi - lo > 80 or len(low[lo:hi].split()) != 1:
                continue
        for i, m in enumerate(_NEAR_TOKEN.finditer(text, lo, hi)):
            if i >= _NEAR_WORDS:
                break
            start, stop = m.span()
            while start < stop and text[start] in _NEAR_LEAD:
                start += 1
            while stop > start and text[stop - 1] in _NEAR_TRAIL:
                stop -= 1
            word = text[start:stop]
            if _password_shaped(word):
                # "pass SKU-12345-ab to the api": the verb, handing something on.
                if kw.group() == "pass" and low.startswith((" to ", " into ", " on "), stop):
                    break
                out.append(Hit("password", start, stop))
                break
            # A sentence that ends before any password gave none (a quoted one too: 'lost my password.",').
            if m.group().rstrip("\"'”»),;")[-1:] in ".?!" and not _password_shaped(m.group()):
                break
    return out


# smtp.login("ana@x.it", "pw"), DriverManager.getConnection("jdbc:...", "user", "pw"), new PDO('pgsql:...',
# 'user', 'pw'), mysqli_connect('host', 'user', 'pw', 'db'), new mysqli('host', 'user', 'pw', 'db'): a login
# or connect call's string argument after the user's is the password (a quoted DSN or host may come first;
# after a variable, getConnection(url, "a", "b"), which string is which is not known, so nothing is
# reported).
_LOGIN_CALL: Final = re.compile(
    r"(?:login|connect(?:ion)?|pdo|mysqli)[ \t]*\([ \t]*"
    r"(?:[\"'][^\"'\n]{1,200}[\"'][ \t]*,[ \t]*)?"
    r"[\"'][^\"'\n]{1,64}[\"'][ \t]*,[ \t]*"
    r"[\"'](?P<value>[^\"'\n]{3,128})[\"'][ \t]*[,)]"
)
# Go's MySQL driver DSN: user:password@tcp(host:port)/db, user:password@unix(/path)/db.
_GO_DSN: Final = re.compile(r"[\w.\-]{1,64}:(?P<value>[^\s:@/\"']{3,128})@(?:tcp|unix)\(")


def _login_calls(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    out: list[Hit] = []
    for p in t.cred:
        m = None
        if low.startswith(("login", "connect", "pdo(", "mysqli"), p):
            m = _LOGIN_CALL.match(low, p)
        elif low.startswith(("@tcp(", "@unix("), p):
            m = _GO_DSN.search(low, max(0, p - 200), p + 6)
        if m is None:
            continue
        start, end = m.span("value")
        value = t.raw[start:end]
        if char_classes(value) >= 2 and acceptable(value, strict=False):
            out.append(Hit("password", start, end))
    return out


# "echo X | docker login -u me --password-stdin": the value piped into a login that reads its password from
# standard input (docker, podman, helm registry, oras...). Matched back from the flag, on its line, with no
# other command between.
_PIPED: Final = re.compile(
    r"(?<![\w\-])(?:echo|printf)(?:[ \t]+-[a-z]{1,2})?(?:[ \t]+(?:'%s(?:\\n)?'|\"%s(?:\\n)?\"))?[ \t]+"
    + _VALUE
    + r"[ \t]*\|"
)


def _piped_to_stdin(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    out: list[Hit] = []
    # (sudo -S reads its password from standard input as docker login --password-stdin does.)
    for p in (*find_all(low, "--password-stdin"), *find_all(low, "sudo -s")):
        lo = max(low.rfind("\n", 0, p) + 1, p - 300)
        for m in _PIPED.finditer(low, lo, p):
            found = _value_span(m, t.raw)
            rest = low[m.end() : p]
            if found is None or "|" in rest or ";" in rest or "&&" in rest:
                continue
            value, start, end = found
            if acceptable(value, strict=False):
                out.append(Hit("password", start, end))
    return out


# "ich log mich immer mit X ein", "entro con X", "login pake X", "đăng nhập bằng X", "ปกติเข้าด้วย X": the
# password a login is made with. After the verb (within four words) comes "with", then (within six) the first
# word shaped like a password (_password_shaped: three kinds of characters). Languages that put it first say
# "with" after it ("X ile giriyorum", "X se login karta", "X로 로그인") or before ("用X登录").
_WITH: Final = frozenset("with w w/ using mit met avec con com pake pakai dengan bằng na עם بـ ب с з".split())
_WITH_AFTER: Final = frozenset({"ile", "se", "ke"})
_WITH_GLUED_AFTER: Final = ("으로", "로", "で")
_LOGIN_WORDS: Final = 4
_LOGIN_VALUE_WORDS: Final = 6
# "log in with username X": the account, not the password.
_ACCOUNT_WORDS: Final = frozenset(
    "user username account email e-mail mail id login usuario usuário benutzer konto compte akun".split()
)


def _login_token(m: re.Match[str], text: str) -> tuple[str, int, int]:
    start, stop = m.span()
    while start < stop and text[start] in _NEAR_LEAD:
        start += 1
    while stop > start and text[stop - 1] in _NEAR_TRAIL:
        stop -= 1
    return text[start:stop], start, stop


def _starts_a_word(low: str, p: int) -> bool:
    # (Thai and CJK write no spaces: a verb there starts wherever it is.)
    return p == 0 or low[p] >= "\u0e00" or not low[p - 1].isalpha()


def _value_after_with(text: str, low: str, lo: int, hi: int) -> Hit | None:
    tokens = list(_NEAR_TOKEN.finditer(text, lo, hi))[: _LOGIN_WORDS + _LOGIN_VALUE_WORDS]
    with_at = 0 if low.startswith("ด้วย", lo) else -1  # Thai's "with", glued to the verb
    for i, m in enumerate(tokens):
        if with_at < 0:
            if i >= _LOGIN_WORDS:
                return None
            if m.group().lower() in _WITH:
                with_at = i
            continue
        if i - with_at > _LOGIN_VALUE_WORDS:
            return None
        word, start, stop = _login_token(m, text)
        if _password_shaped(word):
            previous = tokens[i - 1].group().lower() if i else ""
            return None if previous in _ACCOUNT_WORDS else Hit("password", start, stop)
        if m.group()[-1:] in ".?!":
            return None
    return None


def _value_before(text: str, low: str, lo: int, p: int) -> Hit | None:
    tokens = list(_NEAR_TOKEN.finditer(text, lo, p))[-2:]
    if not tokens:
        return None
    last = tokens[-1]
    between = low[last.end() : p].strip()
    used = "用" in low[max(lo, last.start() - 3) : last.start()]  # 用X登录: "with X log in"
    if last.group().lower() in _WITH_AFTER and len(tokens) == 2 and not between:
        candidate = tokens[0]
    elif between in _WITH_GLUED_AFTER or (not between and used):
        candidate = last
    else:
        return None
    word, start, stop = _login_token(candidate, text)
    return Hit("password", start, stop) if _password_shaped(word) else None


def _login_with(t: Text, p: int, line_start: int, line_end: int) -> Hit | None:
    text, low = t.raw, t.low
    verb = next((v for v in LOGIN_VERBS if low.startswith(v, p)), None)
    hit = None
    if verb is not None:
        hit = _value_after_with(text, low, p + len(verb), min(line_end, p + len(verb) + 120))
    if hit is None and low.startswith(LOGIN_AFTER, p):
        hit = _value_before(text, low, max(line_start, p - 60), p)
    return hit


# "login: ana@corp.io / Harbor7#Lane": an e-mail address, a slash, and a word shaped like a password.
_MAILBOX: Final = re.compile(r"[^\s@/\"'<>()]{1,64}@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,24}")


def _mailbox_slash_password(t: Text, starts: Sequence[int]) -> list[Hit]:
    text, low = t.raw, t.low
    if " / " not in low or "@" not in low:
        return []
    out: list[Hit] = []
    for p in find_all(low, " / "):
        word_start = max(low.rfind(" ", 0, p), low.rfind("\n", 0, p), low.rfind("\t", 0, p)) + 1
        if p - word_start > 120 or _MAILBOX.fullmatch(low, word_start, p) is None:
            continue
        m = _NEAR_TOKEN.match(text, p + 3)
        if m is None:
            continue
        value, start, end = _trim(m.group(), m.start(), m.end())
        if _password_shaped(value):
            out.append(Hit("password", start, end))
    return out


# A .pgpass line (hostname:port:database:username:password), the form libpq and its tools read passwords
# from. Found from a port between two colons (a digit run, Text.runs), the line read whole.
_PGPASS_LINE: Final = re.compile(
    r"[ \t]*(?:[A-Za-z0-9_.\-]{1,253}|\*):(?:\d{1,5}|\*):[A-Za-z0-9_.\-*]{1,63}:[A-Za-z0-9_.@\-*]{1,63}:"
    r"(?P<value>\S{3,128})[ \t]*$"
)


_HEX_AND_COLONS: Final = re.compile(r"[0-9A-Fa-f:.]+")
_PORT: Final = re.compile(r":(\d{1,5}):")


def find_pgpass_lines(t: Text) -> list[Hit]:
    raw = t.raw
    out: list[Hit] = []
    seen = -1
    for lo, hi, _ in t.runs:
        # (A run's window reaches two characters before it and three after: the colons around a port.)
        port = _PORT.search(raw, lo, hi)
        if port is None:
            continue
        start, end = port.span(1)
        line_start = raw.rfind("\n", 0, start) + 1
        if line_start == seen:
            continue
        seen = line_start
        line_end = raw.find("\n", end)
        m = _PGPASS_LINE.match(raw, line_start, len(raw) if line_end < 0 else line_end)
        # (An IPv6 address is hex groups between colons too: "2a03:2880:22cb:ffc9:321:…".)
        if m is not None and _HEX_AND_COLONS.fullmatch(m.group().strip()) is not None:
            continue
        if (
            m is not None
            and acceptable(m.group("value"), strict=True)
            and char_classes(m.group("value")) >= 2
        ):
            out.append(Hit("password", *m.span("value")))
    return out


# "Authorization: Basic dXNlcjpwYXNz", and Docker's config.json {"auths": {"host": {"auth": "dXNlcjpwYXNz"}}}:
# base64 of "user:password", which is a password as much as the pair it encodes. Reported when the value
# decodes to text holding a ":" (a random token does not).
_BASIC: Final = re.compile(
    r"(?:authorization[\"']?[ \t]*[:=][ \t]*[\"']?basic|\"auth\"[ \t]*:)[ \t]*\"?"
    r"(?P<value>[A-Za-z0-9+/]{8,512}={0,2})(?![A-Za-z0-9+/=])"
)


def _encodes_a_user_and_password(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon and user and password) and decoded.isprintable()


def _basic_credentials(t: Text, starts: Sequence[int]) -> list[Hit]:
    low = t.low
    out: list[Hit] = []
    needles = [n for n, sign in (("authorization", "basic"), ('"auth"', '"auth"')) if sign in low]
    for needle in needles:
        for p in find_all(low, needle):
            m = _BASIC.match(t.raw, p) if needle == '"auth"' else _BASIC.match(low, p)
            if m is None:
                continue
            start, end = m.span("value")
            if _encodes_a_user_and_password(t.raw[start:end]):
                out.append(Hit("password", start, end))
    return out


# "Jag har återställt det till X", "L'ho reimpostata a X", "ich habe es auf X zurückgesetzt", "X olarak
# sıfırladım": a reset, and near it (four words after the verb, or two before it on its line) the first word
# shaped like a password that holds a digit. Reset verbs only ("changed it to iPhone15" is no password).
_RESET_AFTER: Final = 4
_RESET_BEFORE: Final = 2


def _reset_value(text: str, tokens: list[re.Match[str]]) -> Hit | None:
    for m in tokens:
        word, start, stop = _login_token(m, text)
        if _password_shaped(word) and any(c.isdigit() for c in word):
            return Hit("password", start, stop)
        if m.group()[-1:] in ".?!":
            return None
    return None


def _reset_to(t: Text, p: int, line_start: int, line_end: int) -> Hit | None:
    text, low = t.raw, t.low
    word_end = p
    while word_end < line_end and low[word_end].isalpha():
        word_end += 1
    after = list(_NEAR_TOKEN.finditer(text, word_end, min(line_end, word_end + 100)))[:_RESET_AFTER]
    hit = _reset_value(text, after)
    if hit is None:
        before = list(_NEAR_TOKEN.finditer(text, max(line_start, p - 60), p))[-_RESET_BEFORE:]
        hit = _reset_value(text, before[::-1])
    return hit


def _credential_phrases(t: Text) -> list[Hit]:
    """At each credential word (Text.cred): a credential object, a login made with a password, a reset."""
    low = t.low
    out: list[Hit] = []
    for p in t.cred:
        if low.startswith("cred", p):
            m = _CREDENTIAL_OBJECT.match(low, p)
            if m is not None and acceptable(t.raw[m.start("value") : m.end("value")], strict=False):
                out.append(Hit("password", *m.span("value")))
            continue
        login = low.startswith(LOGIN_VERBS, p) or low.startswith(LOGIN_AFTER, p)
        if not (login or low.startswith(RESET_VERBS, p)) or not _starts_a_word(low, p):
            continue
        line_start = low.rfind("\n", 0, p) + 1
        line_end = low.find("\n", p)
        line_end = len(low) if line_end < 0 else line_end
        hit = (_login_with if login else _reset_to)(t, p, line_start, line_end)
        if hit is not None:
            out.append(hit)
    return out


# "-u USER -p PASSWORD" in any command (mongo, sqlcmd -U -P, psexec, az login, ...): a password flag right
# after a user flag. (Not a number: "psql -U app -p 5432", "mysql -u root -P 3306" give a port.)
_USER_THEN_PASSWORD: Final = re.compile(
    r"-(?<![\w\-]-)(?:u|-user(?:name)?)(?:[ \t]+|=)[\"']?[^\s\-\"'][^\s\"']{0,63}[\"']?[ \t]+"
    r"(?:-p|--pass(?:word)?)(?:[ \t]+|=)" + _VALUE
)
# echo PASSWORD | passwd --stdin USER; echo 'USER:PASSWORD' | chpasswd.
_PIPED_TO_PASSWD: Final = re.compile(
    r"(?<![\w\-])(?:echo|printf)(?:[ \t]+-[a-z]{1,2})?[ \t]+"
    r"(?:[\"'](?P<q>[^\"'\n]{1,160})[\"']|(?P<b>[^\s|]{1,160}))"
    r"[ \t]*\|[ \t]*(?:sudo[ \t]+)?(?P<cmd>passwd[ \t]+--stdin|chpasswd)\b"
)


def _user_then_password_flags(t: Text) -> list[Hit]:
    out: list[Hit] = []
    for m in _USER_THEN_PASSWORD.finditer(t.low):
        found = _value_span(m, t.raw)
        if found is None:
            continue
        value, start, end = found
        if not value.isdigit() and not value.startswith("-") and acceptable(value, strict=False):
            out.append(Hit("password", start, end))
    return out


def _piped_to_passwd(t: Text) -> list[Hit]:
    out: list[Hit] = []
    for m in _PIPED_TO_PASSWD.finditer(t.low):
        group = "q" if m.start("q") >= 0 else "b"
        start, end = m.span(group)
        if m.group("cmd") == "chpasswd":  # user:password
            colon = t.raw.find(":", start, end)
            if colon < 0:
                continue
            start = colon + 1
        if acceptable(t.raw[start:end], strict=False):
            out.append(Hit("password", start, end))
    return out


def _rules_behind_triggers(t: Text, starts: Sequence[int]) -> list[Hit]:
    """The rules added for developer pastes and chat (r13, r14), each behind a test of its trigger so that a
    message without one pays a few substring tests, not a call per rule."""
    out = _credential_phrases(t) if t.cred else []
    if t.cli:
        out += _more_command_lines(t, starts)
    low = t.low
    if "-u" in low:
        out += _user_then_password_flags(t)
    if "passwd" in low and ("--stdin" in low or "chpasswd" in low):
        out += _piped_to_passwd(t)
    if "basic" in low or '"auth"' in low:
        out += _basic_credentials(t, starts)
    if " / " in low and "@" in low:
        out += _mailbox_slash_password(t, starts)
    if starts and ("(" in low or "←" in low or "<-" in low):
        out += _value_before_keyword(t, starts)
    return out


# "Kyiv8166_1 ← Temporary password", "Ubr*D7Hu1RhdC (Ideiglenes jelszó)": the value first, then an arrow
# or a bracket pointing at the keyword, with at most two words (which password) between.
_POINTED_AT: Final = re.compile(
    r"(?:^|[ \t])(?P<value>[^\s(\[{<>\"'`]{6,64})[ \t]+(?:←|<-{1,2}|\()[ \t]*(?:[^\W\d_]+[ \t]+){0,2}$"
)


_WORD_AFTER: Final = re.compile(r"[ \t]+([^\W\d_]+)")
_QUALIFIERS_AFTER: Final = frozenset(
    """provisoire temporaire nouveau nouvelle initial initiale temporal nuevo nueva inicial provisória
    provisório temporária temporário nova novo inicial provvisoria provvisorio temporanea temporaneo nuova
    nuovo iniziale tijdelijk tijdelijke nieuw nieuwe tymczasowe nowe yeni geçici новый временный sementara
    baru mới tạm""".split()
)


def _value_before_keyword(t: Text, starts: Sequence[int]) -> list[Hit]:
    text = t.raw
    if "(" not in text and "←" not in text and "<-" not in text:
        return []
    out: list[Hit] = []
    for p in starts:
        line_start = text.rfind("\n", 0, p) + 1
        lo = max(line_start, p - 100)
        if text.find("(", lo, p) < 0 and text.find("←", lo, p) < 0 and text.find("<-", lo, p) < 0:
            continue
        # The keyword ends the note: the bracket closes, or the line or sentence ends ("(password reset
        # request)" is about something else).
        end = p
        while end < len(text) and text[end].isalpha():
            end += 1
        # (Languages that say which password after the keyword: "mot de passe provisoire", "hasło nowe".)
        qualifier = _WORD_AFTER.match(text, end)
        if qualifier is not None and qualifier.group(1).lower() in _QUALIFIERS_AFTER:
            end = qualifier.end()
        rest = text[end : end + 2].lstrip(" \t")
        if rest[:1] not in ("", ")", "\n", ".", ",", ";", "!"):
            continue
        m = _POINTED_AT.search(text, lo, p)
        if m is not None and _password_shaped(m.group("value")):
            out.append(Hit("password", *m.span("value")))
    return out


def find_paired_passwords(t: Text) -> list[Hit]:
    """The rules that need no password keyword (auth=("u", "pw"), "admin u / pw"), for a text without one."""
    return (
        _auth_pairs(t, ())
        + _service_pairs(t, ())
        + _basic_credentials(t, ())
        + _mailbox_slash_password(t, ())
    )


# "root:Xy7!...", a default account and its password as a line of their own (a list of logins, a paste). The
# value is password-shaped and holds no ":" (not /etc/passwd's root:x:0:0:...), nothing else on the line.
_LONE_ACCOUNT_PAIR: Final = re.compile(
    r"(?:" + "|".join(ACCOUNT_COLON) + r")(?P<value>[^\s:]{6,64})[ \t]*(?:\r?\n|$)"
)


def _lone_account_pairs(t: Text) -> list[Hit]:
    out: list[Hit] = []
    low = t.low
    for p in t.cred:
        if p > 0 and low[low.rfind("\n", 0, p) + 1 : p].strip(" \t-*") != "":
            continue
        m = _LONE_ACCOUNT_PAIR.match(low, p)
        if m is None:
            continue
        start, end = m.span("value")
        if _password_shaped(t.raw[start:end]):
            out.append(Hit("password", start, end))
    return out


# "アカウントX パスワードY": in Japanese, Chinese and Korean the keyword touches its value, no space or colon
# between (the keyword rule wants a word boundary after it, which only an alphabetic script has). The value is
# the run of ASCII after it, and must look like a password itself.
_CJK_GLUED: Final = re.compile(r"(?:パスワード|密码|密碼|비밀번호)(?P<value>[!-~]{6,64})(?![!-~])")


def _cjk_glued_values(t: Text, starts: Sequence[int]) -> list[Hit]:
    out: list[Hit] = []
    raw = t.raw
    for p in starts:
        if raw[p] < "\u2e80":
            continue
        m = _CJK_GLUED.match(raw, p)
        if m is None:
            continue
        value = m.group("value")
        if (
            char_classes(value) >= 3
            and sum(c.isalpha() for c in value) >= 2
            and _CODE_CHARS.isdisjoint(value)
            and acceptable(value, strict=True)
        ):
            out.append(Hit("password", m.start("value"), m.end("value")))
    return out


def find_passwords(t: Text) -> list[Hit]:
    # Each rule is called only where its trigger is there (the test it would start with itself): a
    # password message holds the triggers of few of them, and a call that returns at once costs more than
    # the test.
    low, raw = t.low, t.raw
    starts = _keyword_starts(t)
    out: list[Hit] = []
    if starts:
        pairs = _slash_pairs(t, starts)
        if pairs:
            out += _pair_passwords(t, pairs)
        out += _keyword_phrases(t, starts, pairs)
    if "password-stdin" in low or "sudo -s" in low:
        out += _piped_to_stdin(t, starts)
    if t.cred:
        out += _lone_account_pairs(t)
    if starts and not low.isascii():
        out += _cjk_glued_values(t, starts)
    if t.cred:
        out += _login_calls(t, starts)
    if "auth" in low:
        out += _auth_pairs(t, starts)
    if t.pw and " to " in low:
        out += _set_to(t, starts)
    if " / " in low:
        out += _service_pairs(t, starts)
    if t.as_words:
        out += _use_as_password(t, starts)
    if t.url and "@" in raw:
        out += _url_credentials(t, starts)
    if "-u" in raw:
        out += _curl_user(t, starts)
    if t.cli:
        out += _command_line_flags(t, starts)
    if t.cred:
        out += _user_colon_password(t, starts)
    if "\n" in low and ("," in low or "|" in low):
        out += _table_columns(t, starts)
    if "identified" in low:
        out += _identified_by(t, starts)
    if starts and "</" in low:
        out += _xml_elements(t, starts)
    if starts and "?" in low:
        out += _asked_and_answered(t, starts)
    out += _rules_behind_triggers(t, starts)
    if starts:
        out += _near_keyword(t, starts, out)
    return out
