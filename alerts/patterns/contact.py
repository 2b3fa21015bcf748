"""Personal contact data: email addresses (plain and spelled out), phone numbers and IP addresses."""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from typing import Final, NamedTuple

import phonenumbers

from ..masking import AT_WORDS, DOT_WORDS
from ._common import (
    NOT_DIGIT,
    SPEAKER_LABEL,
    WORD,
    Hit,
    find_all,
    mail_header,
    merged_windows,
    outranked,
)
from ._phonemeta import is_valid, parse_plus
from ._text import Text

# --- email -------------------------------------------------------------------------------------------------

# Matched only at the start of the local part found by walking back from each "@": one anchored attempt
# per "@", so linear in the text.
# Letters of any script in the local part and the domain (müller@firma.de, josé@correo.es); the TLD is
# ASCII, Cyrillic or punycode, and an address ends where ASCII word characters do (so CJK text glued to
# it stays outside).
_DOMAIN: Final = (
    r"(?:[^\W_][\w\-]{0,62}\.){1,8}(?:[A-Za-z]{2,24}|[а-яА-ЯёЁ]{2,10}|xn--[A-Za-z0-9\-]{2,59})"
    r"(?![A-Za-z0-9\-])"
)
_EMAIL: Final = re.compile(r"[^\W_][\w.%+\-]{0,63}@" + _DOMAIN)
# URL-encoded in a query string: ?email=ann%40example.com
_EMAIL_ENCODED: Final = re.compile(r"[^\W_][\w.+\-]{0,63}%40" + _DOMAIN)
_LOCAL_ENCODED_REVERSED: Final = re.compile(rf"(?:{WORD}|[.+\-])+")
_MESSAGE_ID_HEADERS: Final = frozenset(
    {"message-id", "in-reply-to", "references", "resent-message-id", "x-message-id", "content-id"}
)
# name@2x.png and friends are file names, not addresses.
_FILE_TLDS: Final = frozenset(
    "png jpg jpeg gif svg webp ico bmp tif tiff js mjs ts tsx jsx css scss json py rb go rs java kt txt md "
    "html htm xml yml yaml toml ini cfg lock pdf zip gz tgz tar whl exe dll so dylib log csv mp3 mp4 "
    "mov".split()
) | {"tld"}  # name@domain.tld is the format, not an address

# "(dot)", " dot ", and "." with or without spaces around it ("maria . silva @ orange . fr").
# "(dot)", " dot ", "." and " . " ("maria . silva @ orange . fr"; "jp. cheers" ends a sentence).
_DOT: Final = (
    rf"(?:[ \t]{{0,2}}[(\[{{<][ \t]?(?:{DOT_WORDS})[ \t]?[)\]}}>][ \t]{{0,2}}|"
    rf"[ \t]{{1,2}}(?:{DOT_WORDS})[ \t]{{1,2}}|\.|[ \t]{{1,2}}\.[ \t]{{1,2}})"
)
_AT: Final = (
    rf"(?P<at>[ \t]{{0,2}}[(\[{{<][ \t]?(?:{AT_WORDS}|@)[ \t]?[)\]}}>][ \t]{{0,2}}|"
    rf"[ \t]{{1,2}}(?:{AT_WORDS})[ \t]{{1,2}}|[ \t]{{0,2}}@[ \t]{{0,2}})"
)
# Possessive: what follows a word here (a dot, an "at", a bracket, a space) never starts with a word
# character, so giving characters back could never make a match; without it the engine retried every
# shorter word before each failing "at" and "dot".
_WORD: Final = r"[A-Za-z0-9_%+\-]{1,64}+"
# "john dot doe at gmail dot com", "x(at)y(dot)com", "x [at] y.com": a reader recovers the address.
_EMAIL_SPELLED: Final = re.compile(
    rf"(?<![A-Za-z0-9._%+\-])(?P<local>{_WORD}(?:{_DOT}{_WORD}){{0,4}}){_AT}"
    rf"(?P<domain>{_WORD}(?:{_DOT}{_WORD}){{0,3}}){_DOT}(?P<tld>[A-Za-z]{{2,12}}+)(?![A-Za-z0-9])"
)
_SPELLED_RIGHT: Final = re.compile(
    rf"[ \t)\]}}>]{{0,3}}{_WORD}(?:{_DOT}{_WORD}){{0,3}}{_DOT}[A-Za-z]{{2,12}}+(?![A-Za-z0-9])"
)
_LOCAL_REVERSED: Final = re.compile(rf"(?:{WORD}|[.%+\-])+")
_COMMON_TLDS: Final = frozenset(
    "com org net edu gov io co de fr es it ru uk nl be ch at se no dk fi pl pt br mx ar in cn jp kr au nz ca "
    "us eu info biz me dev app ai tv ua cz gr tr ie il za sg hk tw gg xyz online site store tech cloud live "
    "pro shop email ly fm sh lt lv ee ro hu sk si hr bg rs vn th ph pk ng ke eg sa ae qa cl pe ve uy "
    "ec".split()
)
# Words that sit before " at " in ordinary prose ("look at this dot com bubble").
_PROSE_WORDS: Final = frozenset(
    "look looking looked arrive arrived arriving meet meeting stay staying be is are was were am me us "
    "him her "
    "them it this that here there work works working home good bad best great available reach email mail "
    "contact write ping live lives living born found located based sale aim aimed point pointed shot laugh "
    "laughing stare staring glance good better worst start started starting end ended ends back up down out "
    "off all one two three time times once least most first last now then see seen you i we they he "
    "she".split()
)


_SPELLED_DOT: Final = re.compile(rf"(?i)[ \t(\[{{<](?:{DOT_WORDS})[ \t)\]}}>]")


# Words of prose that are also mail providers' names (mail.ru, live.com, me.com).
_MAIL_DOMAINS: Final = frozenset({"mail", "email", "live", "me", "home", "work"})


# "ssh -i key deploy@bastion.example.fr", "rsync -a dist/ web@host:/srv": the login of a remote shell or copy,
# a user on a host, not a mailbox. (Its arguments only: a few of them, no sentence punctuation between.)
_REMOTE_COMMANDS: Final = ("ssh", "scp", "sftp", "rsync", "mosh", "sshfs")
_REMOTE_LOGIN: Final = re.compile(
    r"(?<![\w\-])(?:ssh|scp|sftp|rsync|mosh|autossh|sshfs|ssh-copy-id)(?:[ \t]+[^\s,;|&]{1,80}){0,6}[ \t]+$"
)
# The domains RFC 2606 keeps for documentation, with a role's or a form's name before them
# ("user@example.com", "admin@example.org"): the template of an address. (A person's name there is still
# reported: example domains also stand in for real ones in pasted data.)
_EXAMPLE_DOMAINS: Final = frozenset({"example.com", "example.org", "example.net"})
_GENERIC_LOCAL: Final = frozenset(
    """user username user1 user2 admin administrator root someone somebody name yourname your.name you me
    email mail test tester demo sample example foo bar foobar info contact first.last firstname.lastname
    name.surname""".split()
)


def _remote_login(text: str, start: int) -> bool:
    line = max(text.rfind("\n", max(0, start - 200), start) + 1, start - 200)
    window = text[line:start]
    return any(c in window for c in _REMOTE_COMMANDS) and _REMOTE_LOGIN.search(window) is not None


def _template_address(value: str) -> bool:
    local, _, domain = value.lower().rpartition("@")
    return (domain in _EXAMPLE_DOMAINS or domain.endswith(".example")) and local in _GENERIC_LOCAL


def _dotted(part: str) -> bool:
    return _SPELLED_DOT.search(part) is not None


def _masked_before(text: str, start: int) -> bool:
    mask = start
    while mask > 0 and start - mask < 16 and text[mask - 1] in "*•●":
        mask -= 1
    return mask < start and mask > 0 and text[mask - 1].isalnum()


def _plain_emails(text: str) -> list[Hit]:
    out: list[Hit] = []
    at = text.find("@")
    while at >= 0:
        # The local part's start: read backwards from the "@" (the slice reversed, so one anchored match
        # finds the run; a forward search would retry from every position of the window).
        run = _LOCAL_REVERSED.match(text[max(0, at - 65) : at][::-1])
        m = None
        if run is not None and run.end() <= 64:
            start = at - run.end()
            while text[start] in "._%+-":  # an address starts with a letter or digit
                start += 1
            m = _EMAIL.match(text, start) if start < at else None
        at = text.find("@", at + 1)
        if m is None:
            continue
        value = m.group()
        domain = value.rpartition("@")[2]
        labels = domain.split(".")
        if labels[-1].lower() in _FILE_TLDS or any(
            not lab or lab[0] == "-" or lab[-1] == "-" for lab in labels
        ):
            continue
        # git@github.com:org/repo is a remote, not a person; <CA+x3f@mail.gmail.com> in Message-ID,
        # In-Reply-To or References names a message.
        if value.startswith("git@") and text.startswith(":", m.end()):
            continue
        # ssh://git@bitbucket.org/team/repo.git, ftp://anonymous@ftp.host: a URL's user, not a mailbox.
        if text.startswith("://", m.start() - 3):
            continue
        # "sent to m***8@gmail.com": the tail of a masked address (not "**ana@corp.io**", Markdown's bold).
        if _masked_before(text, m.start()):
            continue
        if mail_header(text, m.start()) in _MESSAGE_ID_HEADERS:
            continue
        if _template_address(value) or _remote_login(text, m.start()):
            continue
        out.append(Hit("email", m.start(), m.end()))
        while 0 <= at < m.end():
            at = text.find("@", at + 1)
    return out


def _encoded_emails(text: str) -> list[Hit]:
    out: list[Hit] = []
    for at in find_all(text, "%40"):
        run = _LOCAL_ENCODED_REVERSED.match(text[max(0, at - 64) : at][::-1])
        if run is None:
            continue
        start = at - run.end()
        while start < at and text[start] in ".+-":
            start += 1
        m = _EMAIL_ENCODED.match(text, start) if start < at else None
        if m is not None and m.group().rpartition(".")[2].lower() not in _FILE_TLDS:
            out.append(Hit("email", m.start(), m.end()))
    return out


def find_emails(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text, low = t.raw, t.low
    if "%40" in text:
        out.extend(_encoded_emails(text))
    plain: list[Hit] = list(_plain_emails(text)) if "@" in text else []
    out.extend(plain)
    # Where a spelled-out "at" can be: the word "at" (found by Text's trigger pass), and an "@" that did
    # not make a plain address ("john@gmail dot com").
    ats = list(t.at)
    if "@" in text:
        # (The plain addresses are disjoint and in order: one walk beside the "@"s, not a search per "@".)
        i = 0
        for a in find_all(text, "@"):
            while i < len(plain) and plain[i].end <= a:
                i += 1
            if i == len(plain) or a < plain[i].start:
                ats.append((a, a + 1))
        ats.sort()
    searched = 0  # left edge for the next window: no character is searched twice
    for a_start, a_end in ats:
        # Most "at"s in prose are not followed by a spelled-out domain: check that first, anchored.
        # (Matched on the lower-cased text, which has the same offsets: case-insensitive matching is slower.)
        right = _SPELLED_RIGHT.match(low, a_end)
        # "at john.doe@example.com": the plain address after it was found above.
        if right is None or text.startswith("@", right.end()):
            continue
        # After a bare " at " only a spelled-out " dot " makes an address ("look at example.com" is a site).
        opened = text[max(0, a_start - 2) : a_end]
        symbol = "@" in opened
        if not symbol and not any(c in "([{<" for c in opened) and not _dotted(right.group()):
            continue
        # An "@" the plain finder did not take is an address only when spaces or brackets ("x[@]y.nz")
        # were what stopped it.
        if (
            symbol
            and text[a_start - 1 : a_start] not in (" ", "\t", "(", "[", "{", "<")
            and " " not in right.group().strip()
        ):
            continue
        lo, hi = max(0, a_start - 120, searched), min(len(text), right.end() + 1)
        # The address around this "at": an earlier match ("me at olga.wang" before "olga.wang [at] ...")
        # must not hide it, so the search restarts just after each match that ends too early. The window is
        # bounded, so this stays linear in the text.
        m = _EMAIL_SPELLED.search(low, lo, hi)
        while m is not None and m.end("at") <= a_start:
            m = _EMAIL_SPELLED.search(low, m.start() + 1, hi)
        if m is not None and m.start("at") > a_start:
            m = None
        searched = max(searched, a_start - 64)
        # An "@" address without spaces was the plain finder's to take or leave (git@github.com:org/repo).
        if m is None or (symbol and " " not in m.group() and not any(c in m.group("at") for c in "([{<")):
            continue
        at, local, domain = m.group("at"), m.group("local"), m.group("domain")
        tld = m.group("tld").lower()
        bracketed = any(c in at for c in "([{<")
        if not bracketed:
            # A bare " at " is everywhere in prose: require the rest to be spelled out too, a known TLD and
            # a local part that is not an ordinary word of the sentence. An "@" with spaces around its parts
            # ("john . doe @ proton . me") needs only the known TLD.
            if tld not in _COMMON_TLDS:
                continue
            if "@" not in at and (
                not (_dotted(domain) or _dotted(m.group()[m.end("domain") - m.start() :]))
                or local.lower() in _PROSE_WORDS
                or (domain.lower() in _PROSE_WORDS and domain.lower() not in _MAIL_DOMAINS)
            ):
                continue
        # Spelled out, an address is a reader's to recover; one that is a template (a role at an RFC 2606
        # domain, "support at example dot com") or a placeholder's ("user(at)firma(dot)de") shows how to
        # write one, and recovers no one's.
        if _spelled_template(local, m.group()[m.end("at") - m.start() :]):
            continue
        out.append(Hit("email", m.start(), m.end()))
    return out


# The local parts that stand for "your name here", whatever the domain after them.
_PLACEHOLDER_LOCAL: Final = frozenset(
    "user username yourname your.name someone somebody firstname.lastname first.last name.surname "
    "vorname.nachname prenom.nom".split()
)
# Role accounts, templates at an example domain as _GENERIC_LOCAL's are.
_ROLE_LOCAL: Final = frozenset("support sales help hello noreply no-reply office team billing".split())
_SPELLED_SEPARATOR: Final = re.compile(rf"{_DOT}")


def _spelled_template(local: str, rest: str) -> bool:
    """Whether the address is a template: ``local`` and ``rest`` (the domain after the "at") as spelled."""
    plain_local = _SPELLED_SEPARATOR.sub(".", local.lower())
    if plain_local in _PLACEHOLDER_LOCAL:
        return True
    domain = _SPELLED_SEPARATOR.sub(".", rest.lower()).strip(" \t")
    return (domain in _EXAMPLE_DOMAINS or domain.endswith(".example")) and (
        plain_local in _GENERIC_LOCAL or plain_local in _ROLE_LOCAL
    )


# --- phone -------------------------------------------------------------------------------------------------

# "tel:+1...", "sms:+1..." links, and vCard lines ("TEL;TYPE=CELL:+1 ..."): the only ":" a phone number may
# follow directly.
# (Keys grouped by length, one lookbehind each, behind a test of the sign itself: a position after any other
# character fails at one test instead of one per key.)
_PHONE_KEYS: Final = (
    r"(?<=:)(?:(?<=(?i:tel|sms|fax):)|(?<=(?i:cell|work|home):)|(?<=(?i:voice|phone):))"
    # "ph.07817 195022", "Tel.0221 ...": an abbreviation of phone and its dot, the number glued to it.
    r"|(?<=\.)(?:(?<=(?<![^\W\d_])(?i:ph)\.)|(?<=(?<![^\W\d_])(?i:tel|mob|fax|tlf|tfn|тел|моб)\.))"
    # Chat glues a number to its label ("numaram:+90 505…", "simu:0739…", "เบอร์ใหม่:02-349…"): a letter (or a
    # Thai mark) then ":"; find_phones then wants the words before to say "phone" (_glued). (Each behind a
    # test of its sign, like the keys above.)
    r"|(?<=:)(?<=(?:[^\W\d_]|[\u0e31-\u0e4e]):)"
    # Hebrew writes "to", "at", "from" as one letter joined by a hyphen or maqaf ("ל-053-7950190").
    r"|(?<=[ובכלמהש][\-\u05be])(?<![^\W\d_]..)"
    # "+" glued to a word ("llamar al+52 55…"): international, validated as such.
    r"|(?=\+)(?<=[^\W\d_])"
)
# A run of digits with the separators phone numbers use. The lookarounds keep it from starting or ending
# inside a longer run (card numbers, tracking numbers), and every quantifier is bounded.
_PHONE: Final = re.compile(
    # "tel:+1-201-555-0100" is a phone link; any other ":" before a number is a time, port or key.
    # (The common case first: the engine stops at the first assertion that holds.)
    # (?<![0-9]) first: inside a digit run every position fails there at once instead of after the eight
    # assertions below, and an ASCII digit before a number fails all of them anyway.
    rf"(?<![0-9])(?:(?<!{WORD}|[+.:/#\-])|{_PHONE_KEYS})(?<!\d[ .\-])"
    rf"(?:(?:\+|00)?[(]?\d[\d \-.()\u00a0]{{5,22}}\d|"
    # German, Austrian and Swiss writing: the area code with its trunk 0, a slash, the subscriber's
    # number ("089/3393912", "0221/4855310").
    rf"0\d{{1,4}}[ ]?/[ ]?\d[\d \-]{{3,14}}\d)"
    # (A "." then a letter is a sentence going on without its space, "…69 45.kaydedin": find_phones then
    # wants the words before to say "phone", _glued.)
    rf"(?!{WORD}|[\-/]|[ .]\d|\.[\d_])"
)  # run only inside the digit-run windows of Text.numeric
_DATE: Final = re.compile(
    r"(?<!\d)(?:(?P<y>\d{4})[-./ ](?P<a>\d{1,2})[-./ ](?P<b>\d{1,2})|"
    r"(?P<c>\d{1,2})[-./](?P<d>\d{1,2})[-./]\d{2,4})(?!\d)"
)


def _has_date(cand: str) -> bool:
    for m in _DATE.finditer(cand):
        if m.group("y"):
            if (
                1900 <= int(m.group("y")) <= 2100
                and 1 <= int(m.group("a")) <= 12
                and 1 <= int(m.group("b")) <= 31
            ):
                return True
        elif 1 <= int(m.group("c")) <= 31 and 1 <= int(m.group("d")) <= 31:
            return True
    return False


_SSN_SHAPE: Final = re.compile(r"^\d{3}[- ]\d{2}[- ]\d{4}$")
_ZIP4: Final = re.compile(r"^\d{5}-\d{4}$")
_NAMED_SSN: Final = re.compile(
    r"(?:\bssn|\bss#|social[ \t]security(?:[ \t]number)?)[ \t]*(?:no\.?|#)?[ \t:=#]*$"
)
_CEP: Final = re.compile(r"^\d{5}-\d{3}$")
_THOUSANDS: Final = re.compile(r"^\d{1,3}(?:[ .\u00a0]\d{3})+$")
# (3-3-4 NANP, 2-2-2-2-2 French, 3-2/3-2-2, 3-4-4 Chinese mobiles, 4-3-4.)
_DOTTED_OK: Final = re.compile(
    r"^\(?\d{3}\)?\.\d{3}\.\d{4}$|^\d{2}(?:\.\d{2}){4}$|^\d{3}\.\d{2,3}\.\d{2}\.\d{2}$|^\d{3}\.\d{4}\.\d{4}$|"
    r"^\d{4}\.\d{3}\.\d{4}$"
)
# Context is read as words: each word of the window is tested against prefixes (str.startswith with a
# tuple runs in C), which is several times cheaper than searching an alternation pattern.
# (Devanagari's vowel signs and anusvara are marks, not letters, to \w: "नंबर" is one word all the same.)
# (Thai's vowel and tone marks likewise: "เบอร์ใหม่" is one run.)
_CONTEXT_WORDS: Final = re.compile(
    r"(?:[^\W\d_]|[\u0900-\u0963\u0970-\u097f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])+|[#$€£¥₽№]"
)
_PHONE_WORDS: Final = (
    "phone",
    "tel",
    "mobil",
    "mob",
    "cell",
    "call",
    "ring",
    "text",
    "sms",
    "whatsapp",
    "viber",
    "signal",
    "fax",
    "reach",
    "hotline",
    "contact",
    "handy",
    "portable",
    "téléphone",
    "telefon",
    "móvil",
    "movil",
    "celular",
    "teléfono",
    "cellulare",
    "телефон",
    "тел",
    "звони",
    "моб",
    "電話",
    "电话",
    "手机",
    "携帯",
    "전화",
    "llám",
    "appel",
    "ruf",
    "chiam",
    "ligue",
    "rappel",
    "zadzwo",
    "dzwo",
    "anruf",
    "kontakt",
    "contatt",
    "contato",
    "contacto",
    "joindre",
    "liga",
    "telemóvel",
    "telemovel",
    "telefoon",
    "手機",
    "연락처",
    "फोन",
    "फ़ोन",
    "هاتف",
    # "call", "contact" (with and without the article): "يرجى الاتصال بي على ...".
    "اتصل",
    "اتصال",
    "الاتصال",
    "تواصل",
    "التواصل",
    "جوال",
    "موبايل",
    "טלפון",
    "נייד",
    "sđt",
    "điện",
    "τηλ",
    "κινητ",
    "puhelin",
    "telefonnummer",
    # "Call", "reachable at" and "phone" in more of the languages chat is written in: Hebrew, Dutch,
    # German, French, Spanish, Thai.
    "תתקשר",
    "התקשר",
    "להתקשר",
    "bereikbaar",
    "erreichbar",
    "joignable",
    "llam",
    "เบอร์",
    "โทร",
)
# Short words that say "phone" only as themselves (as prefixes they would start "simulate", "cello"...):
# Swahili's simu, Indonesian's and Malay's hp (handphone), Spanish's cel, Vietnamese's sdt, WhatsApp's wa.
# (And Greek's πάρε, "ring", as in "πάρε με", and Czech's volej, "call".)
_PHONE_EXACT: Final = frozenset({"simu", "hp", "cel", "sdt", "wa", "πάρε", "volej", "volejte", "zavolej"})
# "My no.", "mon num": the abbreviation after a possessive is the writer's own number, a phone.
_POSSESSIVES: Final = frozenset({"my", "mon", "ma", "mi", "mein", "meine", "meu", "minha", "mio", "mijn"})
# Words that say "number" without saying which: they mean what the word before them means ("phone number",
# "order number", "numéro de commande").
_GENERIC_NUMBER: Final = (
    "number",
    "nummer",
    "numéro",
    "numero",
    "número",
    "номер",
    "nomor",
    "numer",
    "numara",
    "नंबर",
    "νούμερο",
    "αριθμ",
    "رقم",
    "מספר",
    # Swahili.
    "namba",
    "nambari",
)
# Abbreviations of "number" mean what the word before them means ("mobile no", "order no") and nothing alone.
_SHORT_NUMBER: Final = frozenset({"no", "nr", "num", "nº", "n°"})
# In scripts without spaces the context is one run of characters: these are looked for inside it.
_CJK_PHONE: Final = ("電話", "电话", "手机", "手機", "携帯", "전화", "연락", "联系", "聯繫", "聯絡", "連絡")
# "Number" in Korean and Chinese, alone or after one syllable ("새 번호", "내번호": new, my number): a phone
# number. (Not Japanese 番号, nor compounds: 会員番号, 회원번호 are member numbers.)
_CJK_NUMBER: Final = ("번호", "号码", "號碼")
_CJK_NOT_PHONE: Final = (
    "주문",
    "송장",
    "운송장",
    "배송",
    "계좌",
    "품번",
    "品番",
    "型番",
    "商品",
    "注文",
    "订单",
    "訂單",
    "单号",
    "單號",
    "追跡",
    "伝票",
    "快递",
    "快遞",
    "发票",
    "請求",
    "口座",
    "账号",
    "帳號",
)
_NEG_WORDS: Final = (
    "order",
    "invoice",
    "tracking",
    # (Swahili: "namba ya ufuatiliaji", the tracking number.)
    "ufuatiliaji",
    "track",
    "ref",
    "ticket",
    "case",
    "id",
    "no",
    "account",
    "acct",
    "iban",
    "card",
    "sku",
    "serial",
    "build",
    "version",
    "v",
    "po",
    "transaction",
    "txn",
    "confirmation",
    "booking",
    "pnr",
    "member",
    "policy",
    "claim",
    "zip",
    "postal",
    "bestell",
    "commande",
    "pedido",
    "заказ",
    "objednáv",
    "zamówieni",
    "zamowieni",
    "sipariş",
    "siparis",
    "ordine",
    "rendelés",
    "tilaus",
    "beställning",
    "encomenda",
    "narudžb",
    "rechnung",
    "factura",
    "facture",
    "счет",
    "счёт",
    "parcel",
    "shipment",
    "package",
    "awb",
    "isbn",
    "issn",
    "ean",
    "upc",
    "timestamp",
    "epoch",
    "ts",
    "pid",
    "port",
    "price",
    "total",
    "amount",
    "balance",
    "eur",
    "usd",
    "zoom",
    "meeting",
    "webex",
    "conference",
    "pin",
    "batch",
    "lot",
    "imei",
    "room",
    "#",
    "$",
    "€",
    "£",
    "¥",
    "₽",
    "routing",
    "aba",
    "swift",
    "sortcode",
    "referenc",
    "barcode",
    "gtin",
    "nip",
    "regon",
    "kvk",
    "siret",
    "siren",
    "ordin",
    "sipari",
    "zamówien",
    "zamowien",
    "encomenda",
    "artikel",
    "articol",
    "artícul",
    "артикул",
    "código",
    "codigo",
    "codice",
    "product",
    # Numbers that identify a person somewhere: "Student number 59940622".
    "student",
    "matric",
    "enrol",
    "employee",
    "passport",
    "licen",
    "identification",
    "employer",
    "created",
    # Membership, customer-card and insurance numbers.
    "socio",
    "sócio",
    "lidnummer",
    "lidmaatschap",
    "adhérent",
    "adherent",
    "tessera",
    "mitglied",
    "versicherungsnummer",
    "polizza",
    "póliza",
    "apólice",
    "produkt",
    "produit",
    "producto",
    "prodotto",
    "item",
    "kunden",
    "customer",
    # "numéro client", "codice cliente", "número de cliente": French and the Romance languages put the
    # qualifier after the word for number, so the nearest word is the one that says whose number it is.
    "client",
    "katalog",
    "замовлен",
    "№",
    "part",
    "teil",
    "pièce",
    "pieza",
    "modell",
    "model",
    "suivi",
    "seguimiento",
    "трек",
    "rastreamento",
    "tracciamento",
    "sendung",
    "colis",
    "paquete",
    # Order, tracking and parcel words of the other languages chats are written in.
    "zamówieni",
    "objednávk",
    "tilaus",
    "sipariş",
    "siparis",
    "takip",
    "kargo",
    "pesanan",
    "resi",
    "παραγγελ",
    "הזמנה",
    "משלוח",
    "طلب",
    "الطلب",
    "تتبع",
    "التتبع",
    "شحنة",
    "ऑर्डर",
    "ट्रैकिंग",
    "đơn",
    "vận",
    "ttn",
    "ттн",
    "посилк",
    "замовлен",
    "заказ",
    "відправлен",
    "отправлен",
    "zásilk",
    "lähetys",
    "ordine",
    "bestelling",
    "beställning",
    "encomenda",
    # Incident and ticket numbers of the Romance languages ("número de incidencia", "chamado", "protocolo").
    "incident",
    "incidenc",
    "chamado",
    "protocol",
)
# ("art": German's Art.-Nr., the article number; whole only, or it would swallow "artist".)
# (And Brazil's CEP, its postal code, and Swahili's oda, "order": whole, or they would start "cepillo",
# "odaya".)
_NEG_EXACT: Final = frozenset(
    {"id", "no", "v", "po", "ts", "pin", "lot", "ref", "eur", "usd", "zip", "date", "art", "cep", "oda"}
)


# Short words must match whole ("id", "no", "po" are not the start of "idea", "nous", "pouvez"); longer ones
# as prefixes ("tracking", "bestellnummer").
_NEG_PREFIXES: Final = tuple(w for w in _NEG_WORDS if len(w) > 2 and w not in _NEG_EXACT)


def _not_a_phone_word(w: str) -> bool:
    return w in _NEG_EXACT or w.startswith(_NEG_PREFIXES) or w in "#$€£¥₽№"


_OTHER, _PHONE_WORD, _NUMBER_WORD, _NEUTRAL, _ABBREVIATION = -1, 1, 2, 0, 3


@lru_cache(maxsize=8192)
def _word_says(w: str) -> int:
    """What one context word says (cached: the same words come back in every message, and testing a word
    against every prefix is the costly part)."""
    if w in _SHORT_NUMBER:
        return _ABBREVIATION
    if _not_a_phone_word(w):
        return _OTHER
    if w in _PHONE_EXACT or w.startswith(_PHONE_WORDS):
        return _PHONE_WORD
    return _NUMBER_WORD if w.startswith(_GENERIC_NUMBER) else _NEUTRAL


def _phone_context(window: str) -> int:
    """What the words before a number say it is: 1 a phone number, -1 something else (an order, an
    account, a price...), 0 nothing. The word nearest the number decides."""
    verdict, previous_says_other, previous = 0, False, _NEUTRAL
    previous_word = ""
    for w in _CONTEXT_WORDS.findall(window):
        says_other = False
        if w[0] >= "\u2e80":
            phone = max(w.rfind(k) for k in _CJK_PHONE)
            other = max(w.rfind(k) for k in _CJK_NOT_PHONE)
            if phone != other:
                verdict = 1 if phone > other else -1
            elif other < 0 and len(w) <= 3 and w.endswith(_CJK_NUMBER):
                verdict = 1  # "새 번호": a number, and nothing glued to it says of what
        else:
            said = _word_says(w)
            if said == _ABBREVIATION:
                said = previous if previous in (_OTHER, _PHONE_WORD) else _NEUTRAL
                if said == _NEUTRAL and previous_word in _POSSESSIVES:
                    said = _PHONE_WORD
            if said == _OTHER:
                verdict, says_other = -1, True
            elif said == _PHONE_WORD or (said == _NUMBER_WORD and not previous_says_other):
                verdict = 1
            previous = said
        previous_says_other = says_other
        previous_word = w
    return verdict


_JA_CALL_AFTER: Final = ("まで", " まで")


def _phone_word_after(low: str, end: int) -> bool:
    """A phone word of a script without spaces within a few characters after the number."""
    after = low[end : end + 8]
    return after[:1] >= "\u2e80" and any(k in after for k in _CJK_PHONE)


def _says_not_a_phone(window: str) -> bool:
    return any(_not_a_phone_word(w) for w in _CONTEXT_WORDS.findall(window))


_REGIONS: Final = (
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
    "TR",
    "CN",
    "KR",
    "AT",
    "BE",
    "PT",
    "IE",
    "AR",
    "ZA",
    "UA",
    "DK",
    "NO",
    "FI",
    "CZ",
    # More national formats: Oceania, Asia, the Middle East, Africa, Latin America, south-east Europe.
    "NZ",
    "SG",
    "HK",
    "IL",
    "AE",
    "SA",
    "EG",
    "NG",
    "KE",
    "CO",
    "CL",
    "PH",
    "ID",
    "MY",
    "TH",
    "VN",
    "GR",
    "HU",
    "RO",
)


class _Region(NamedTuple):
    code: str
    country_code: int
    lengths: frozenset[int]
    national_prefix: str


def _region_table() -> list[_Region]:
    table = []
    for region in _REGIONS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is not None and meta.country_code is not None and meta.general_desc is not None:
            table.append(
                _Region(
                    region,
                    meta.country_code,
                    frozenset(meta.general_desc.possible_length),
                    meta.national_prefix or "",
                )
            )
    return table


_REGION_TABLE: Final = _region_table()


def _by_length() -> dict[int, tuple[tuple[int, str], ...]]:
    """For each count of digits, the (country code, trunk prefix to strip or "") readings that give a
    possible length, in the table's order."""
    table: dict[int, list[tuple[int, str]]] = {}
    for region in _REGION_TABLE:
        prefix = region.national_prefix
        for n in range(1, 20):
            if n in region.lengths:
                table.setdefault(n, []).append((region.country_code, ""))
            if prefix and n - len(prefix) in region.lengths:
                table.setdefault(n, []).append((region.country_code, prefix))
    return {n: tuple(readings) for n, readings in table.items()}


# (A loop over every region cost a test of lengths and prefix per region; the readings of each length are
# few.)
_BY_LENGTH: Final = _by_length()


def _valid_national(digits: str) -> bool:
    """Valid as a national number of any region we know. The number is built directly (trunk prefix
    stripped) instead of parsed per region: parsing is the expensive part and the region loop repeats it."""
    significant: dict[str, str] = {}  # by the prefix stripped: most readings share one
    for country_code, prefix in _BY_LENGTH.get(len(digits), ()):
        nsn = significant.get(prefix)
        if nsn is None:
            if not digits.startswith(prefix):
                continue
            national = digits[len(prefix) :]
            # The national significant number as phonenumbers would hold it: one leading zero kept (Italy's
            # landlines), the rest as an integer.
            nsn = significant[prefix] = ("0" if national[0] == "0" else "") + str(int(national))
        if is_valid(country_code, nsn):
            return True
    return False


@lru_cache(maxsize=1024)
def _possible_phone(candidate: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(candidate, None))
    except phonenumbers.NumberParseException:
        return False


@lru_cache(maxsize=1024)
def _in_its_plans_grouping(candidate: str) -> bool:
    """ "+420 635 111 759": grouped exactly as phonenumbers writes a number of that country and length (its
    numbering plan's own grouping, at least two groups after the country code), which nothing but a phone
    number is written in."""
    if candidate.count(" ") < 3:
        return False
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL) == candidate


def clear_caches() -> None:
    """Forget the numbers validated so far (benchmarks measure validation, not the cache)."""
    _valid_phone.cache_clear()
    _possible_phone.cache_clear()
    _in_its_plans_grouping.cache_clear()


@lru_cache(maxsize=4096)
def _valid_phone(candidate: str, international: bool) -> bool:
    if not international:
        return _valid_national(NOT_DIGIT.sub("", candidate))
    parsed = parse_plus(candidate)
    if parsed is None:
        return False
    if is_valid(*parsed):
        return True
    # Mexico dropped the "1" after +52 for mobiles in 2019; people still write it (+52 1 33 ...).
    country, national = parsed
    return country == 52 and len(national) == 11 and national[0] == "1" and is_valid(52, national[1:])


def _phone_matches(t: Text, claimed: Sequence[Hit]) -> list[re.Match[str]]:
    """Phone-shaped candidates, except where a finding of a kind that outranks a phone (a card, an IBAN, an
    IP address...) already stands: it would win the overlap anyway, and validating is the costly part."""
    out: list[re.Match[str]] = []
    for lo, hi in t.numeric(7):
        # A leading "+" or "(" sits just before the digit run; an area code and a slash ("0221/") before
        # a few more characters (the window starts two before the run).
        back = 8 if t.raw.startswith("/", lo + 1) else 2
        for m in _PHONE.finditer(t.raw, max(0, lo - back), hi):
            start, end = m.start(), m.end()
            if not outranked(start, end, "phone", claimed):
                out.append(m)
    return out


_HTTP_STATUS: Final = re.compile(r"HTTP/\d(?:\.\d)?\"[ \t]*$")
_HEX_NEIGHBOUR: Final = re.compile(r"(?<![0-9A-Fa-f])(?=[0-9]*[a-fA-F])[0-9A-Fa-f]{4} $")
_HEX_NEIGHBOUR_AFTER: Final = re.compile(r" (?=[0-9]*[a-fA-F])[0-9A-Fa-f]{4}(?![0-9A-Za-z])")
_IBAN_HEAD: Final = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){0,2} ?$")
_SEPARATORS: Final = re.compile(r"[ \-.()/\u00a0]+")
# 0X XX XX XX XX in any separator: how France (and Belgium, Morocco...) write a number; no date runs to
# five groups, so "07-05-09-02-88" is no 7 May 2009.
_PAIRS: Final = re.compile(r"^0\d(?:[ .\-]\d\d){4}$")
_AFTER_END: Final = re.compile(r"[/,;|\n]")
_COMPACT_DATE: Final = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")


def _placeholder_number(digits: str) -> bool:
    """555-0000, (000) 000-0000, 123-456-7890, 555-0123 (NANP keeps 555-0100..0199 for fiction): what
    documentation and films write instead of a number."""
    tail = digits[-7:]
    if len(digits) == 7 and digits.startswith("55501"):
        return True
    return tail.count(tail[0]) == len(tail) or digits in _ASCENDING or digits in _DESCENDING


def _fictional_nanp(digits: str, international: bool) -> bool:
    """A whole North American number in 555-0100..0199 ("(212) 555-0115", "+1 415 555 0136"): the range
    kept for films, demos and training material."""
    if international:
        national = digits[1:] if digits.startswith("1") else ""
    else:
        national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return len(national) == 10 and national[3:8] == "55501"


# ... and not even then in a story: "in the movie he keeps calling +1 404 555 0113".
_FICTION: Final = re.compile(
    r"\b(?:movies?|films?|tv|series|episode|sitcom|scene|novel|película|filme|série|serie)\b"
)
_ASCENDING: Final = "01234567890123456789"
_DESCENDING: Final = "98765432109876543210"


def _shaped_like_a_number_not_a_phone(groups: list[str]) -> bool:
    # Unformatted digit runs are timestamps and order numbers until the text says otherwise; runs of
    # equal four-digit blocks are card-like or tracking numbers; spaced single digits are a list; a
    # leading year ("2024-001-0042") makes a batch, invoice or case number.
    return (
        len(groups) < 2
        or (len(groups) >= 3 and all(len(g) == 4 for g in groups))
        or sum(len(g) == 1 for g in groups) > 1
        or (len(groups[0]) == 4 and groups[0][:2] in ("19", "20"))
        or (len(groups[0]) == 8 and _COMPACT_DATE.match(groups[0]) is not None)
    )


# The keys of phone links and vCards, which a number may always follow ("tel:", "TEL;TYPE=CELL:").
_LINK_KEY: Final = re.compile(r"(?i:tel|sms|fax|cell|work|home|voice|phone):$")


# A chat log's line starts with who speaks ("[14:03] customer: ", "Cliente: "): the speaker's name says
# nothing about the number after it (a "customer number" is no phone, a customer's number may be), so the
# words before the label are the previous line's (where the question for the number usually is).
_SPEAKER: Final = re.compile(SPEAKER_LABEL + r"[ \t]*")


def _without_speaker(low: str, start: int, before: str) -> str:
    line_start = low.rfind("\n", 0, start) + 1
    if line_start == 0:
        return before
    label = _SPEAKER.match(low, line_start, start)
    # ("Phone: ...", "Telefone: ...": a form's field that names the number is no speaker.)
    if label is None or _phone_context(low[line_start : label.end()]) > 0:
        return before
    return low[max(0, line_start - 40) : line_start] + " " + low[label.end() : start]


# Countries whose nine-digit mobile numbers are written in threes ("600 123 456"): Poland, Czechia,
# Slovakia, Spain, Portugal. A 3-3-3 group that is a mobile number of one of them is a phone even with no
# word before it; a large amount is written in threes too, but seldom lands in a mobile range and never
# ends "000" in one.
_THREES_REGIONS: Final = ("PL", "CZ", "SK", "ES", "PT")
_THREES: Final = re.compile(r"^\d{3} \d{3} \d{3}$")
_MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


# A currency after the number or its sign before it: an amount written in threes ("634 438 688 zł").
_CURRENCY_AFTER: Final = re.compile(
    r"[ \t]*(?:zł|zl|pln|kč|kc|czk|eur|euros?|€|\$|usd|руб|₽|rub|円|元|yen|kr|sek|nok|dkk|ft|huf|lei|ron|gbp|"
    r"£|chf|dollars?|pesos?|reais|r\$|₹|rs|inr|lira|tl|₺)(?![a-z])"
)
_CURRENCY_BEFORE: Final = re.compile(r"(?:[€$£¥₽₹₺]|eur|usd|pln|czk|r\$)[ \t]*$")


def _an_amount(low: str, before: str, end: int) -> bool:
    return _CURRENCY_AFTER.match(low, end) is not None or _CURRENCY_BEFORE.search(before) is not None


@lru_cache(maxsize=1024)
def _national_mobile_in_threes(cand: str) -> bool:
    if _THREES.match(cand) is None or cand.endswith("000"):
        return False
    digits = cand.replace(" ", "")
    for region in _THREES_REGIONS:
        number = phonenumbers.parse(digits, region)
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES:
            return True
    return False


def _glued(raw: str, start: int, end: int) -> bool:
    """A number written against its neighbours without a space: after a label's ":" ("numer:537 603 219"),
    a Hebrew proclitic's hyphen ("ל-053-7950190"), or before the next sentence ("…1986.Bitte"). Such a
    national number counts only where the words before it say it is a phone number; a ":" is as often a
    key of a log line or a setting ("order:12345678", "ts:1699999999")."""
    prev = raw[start - 1] if start else " "
    if prev == ":" and _LINK_KEY.search(raw, max(0, start - 6), start) is None:
        return True
    if prev in "-\u05be":
        return True
    return raw.startswith(".", end) and raw[end + 1 : end + 2].isalpha()


def find_phones(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    out: list[Hit] = []
    low = t.low
    multiline = "\n" in low  # (only a chat log's lines have speakers: see _without_speaker)
    for m in _phone_matches(t, claimed):
        cand = m.group()
        start, end = m.start(), m.end()
        # A "(" that opens nothing in the number belongs to the prose around it.
        if cand.startswith("(") and ")" not in cand:
            cand, start = cand[1:], start + 1
        if cand.count("(") != cand.count(")"):
            continue
        digits = NOT_DIGIT.sub("", cand)
        if not 7 <= len(digits) <= 15 or _placeholder_number(digits):
            continue
        international = cand.startswith(("+", "00"))
        # The rest of an account number whose start reads like an IBAN's ("NL72 SNSB 4136 2941 61", whose
        # check digits fail), an access log's status and size ('"GET / HTTP/1.1" 404 19990'), bytes of a
        # hex dump ("cb0e 4448 7488"): not phones.
        if not international and (
            _IBAN_HEAD.search(t.raw, max(0, start - 16), start) is not None
            or _HTTP_STATUS.search(t.raw, max(0, start - 12), start) is not None
            or _HEX_NEIGHBOUR.search(t.raw, max(0, start - 6), start) is not None
            or _HEX_NEIGHBOUR_AFTER.match(t.raw, end) is not None
        ):
            continue
        before = low[max(0, start - 40) : start]
        if multiline:
            before = _without_speaker(low, start, before)
        if not international and _glued(t.raw, start, end) and _phone_context(before) <= 0:
            continue
        # A fictional number is someone's only when the text says so ("my cell is (212) 555-0187").
        if _fictional_nanp(digits, international) and (_phone_context(before) <= 0 or _FICTION.search(low)):
            continue
        if international:
            normal = "+" + cand[2:] if cand.startswith("00") else cand
            if normal[1:2] in ("0", " ", "-", "("):  # no country code starts with 0
                continue
        else:
            normal = cand
            # 3-2-4 is how SSNs are written (valid or not), never phone numbers.
            if _SSN_SHAPE.match(cand) or (_has_date(cand) and _PAIRS.match(cand) is None):
                continue
            # No national number runs to 13 digits: a longer one written without its country code is a
            # card, an IMEI, a parcel or a container number ("3406-493430-67498", "357521376599316").
            if len(digits) >= 13:
                continue
            # What follows "SSN" is one, well written or not ("SSN 194-85-716").
            if _NAMED_SSN.search(before) is not None:
                continue
            if "." in cand and not _DOTTED_OK.match(cand):
                continue
            groups = [g for g in _SEPARATORS.split(cand.strip("()")) if g]
            # "1 2 3 4 5 6 7", lottery draws "19 22 23 24 37 42": a list, whatever the context.
            if sum(len(g) == 1 for g in groups) > 1 or (
                len(groups) >= 6 and all(len(g) <= 2 for g in groups)
            ):
                continue
            # A postal code: Japan's after 〒, Brazil's CEP (01310-100).
            if (start > 0 and t.raw[start - 1] == "〒") or _CEP.match(cand):
                continue
            context = _phone_context(before)
            # Japanese and Korean say what a number is for after it ("08012345678までご連絡ください").
            if context == 0 and _phone_word_after(low, end):
                context = 1
            # "512 756 372" reads as a large number, "10001-2345" as a ZIP+4 code, unless the text says
            # it is a phone number.
            if context <= 0 and (_THOUSANDS.match(cand) or _ZIP4.match(cand)):
                if context < 0 or not _national_mobile_in_threes(cand) or _an_amount(low, before, end):
                    continue
            # What follows counts up to the next list separator: "0151 2300971 / IBAN ..." is a phone.
            after = _AFTER_END.split(low[end : end + 8], 1)[0]
            if context < 0 or (
                context == 0 and (_shaped_like_a_number_not_a_phone(groups) or _says_not_a_phone(after))
            ):
                continue
        if _valid_phone(normal, international):
            out.append(Hit("phone", start, end))
        elif (
            international
            and (
                _phone_context(before) > 0
                or _in_its_plans_grouping(normal)
                # Japanese "(お問い合わせは) X まで": "(for questions, call) X", a number to call.
                or low.startswith(_JA_CALL_AFTER, end)
            )
            and _possible_phone(normal)
        ):
            # Reserved ranges (UK drama numbers, new allocations) fail validation yet are someone's number
            # when the text says it is one, or when it is spaced as its country writes numbers.
            out.append(Hit("phone", start, end))
    return out


# --- IP addresses ------------------------------------------------------------------------------------------

_OCTET: Final = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4: Final = re.compile(rf"(?<!{WORD}|[.\-])(?:{_OCTET}\.){{3}}{_OCTET}(?!{WORD}|-|\.\d)")
# The host flag of mysql, psql, redis-cli, mongo... with the address glued to it: "-h172.16.5.9".
_HOST_FLAG: Final = re.compile(rf"-(?<![\w\-]-)h((?:{_OCTET}\.){{3}}{_OCTET})(?!{WORD}|-|\.\d)")
# Words after which a dotted quad is a version number ("upgrade to 7.4.39.107", "Android 14.0.0.133").
_VERSION_WORDS: Final = frozenset(
    """version ver release build firmware patch update upgrade downgrade bump bumped v r rev revision sdk
    chrome firefox safari edge opera kernel node python java php ruby golang go rust gcc clang openssl nginx
    apache postgres postgresql mysql redis docker kubernetes k8s helm terraform android ios ipados macos x
    windows win ubuntu debian centos rhel fedora linux bios driver notes changelog версия versión
    versão wersja versione versie versiyon sürüm verze verzió versio версія версії версію версии версию
    section sec chapter clause paragraph
    para rfc abschnitt kapitel oid""".split()
)
_VERSION_CHANGE: Final = frozenset(
    "version ver release build firmware patch update upgrade downgrade bump bumped rev revision".split()
)
# NuGet and Java packages name themselves in capitalised dotted segments; the number after one is its version.
# (Not right after ":" or "/": "redis://:P1x3l2016.HK@172.28.62.253" is a password before a host.)
_PACKAGE_NAME: Final = re.compile(r"(?<![\w:/])(?:[A-Z][A-Za-z0-9]*\.)+[A-Z][A-Za-z0-9]*[ \t]*[:=/@]?[ \t]*$")
# "[INFO] Building notifier 9.0.15.232": a build tool names what it builds, then its version.
_BUILT_NAME: Final = re.compile(
    r"(?:building|built|compiling|compiled|installing|installed|deploying|deployed|releasing|released|"
    r"packaging|publishing|published|downloading|pulling|bumping)[ \t]+[\w.\-/@]+[ \t:]*$"
)
_LINKING: Final = frozenset({"to", "from", "of", "is", "auf", "à", "a", "на", "до"})
_SPACELESS_VERSION: Final = ("バージョン", "版本", "버전", "เวอร์ชัน", "เวอร์ชั่น")


def _names_a_version(word: str) -> bool:
    """The word for a version itself (version, versión, версія, Build, sürüm), not a product's name."""
    return (
        "vers" in word
        or "wers" in word
        or "верс" in word
        or word in ("build", "release", "firmware", "sürüm", "revision")
    )


_WORDS_BEFORE: Final = re.compile(r"[^\W\d_]+")


_CHANGE_STEMS: Final = ("upgrad", "updat", "downgrad", "bump", "rolled", "patch", "releas")


def _names_a_change(word: str) -> bool:
    return word in _VERSION_CHANGE or word.startswith(_CHANGE_STEMS)


# Words for something that has versions: "Elasticsearch plugin 8.12.2.1", "pkg libfoo 1.1.1.22".
_PACKAGE_WORDS: Final = frozenset(
    "pkg package plugin module chart gem crate addon extension library lib assembly".split()
)
# Verbs that only versions undergo ("bumped chart to 9.4.3.2"; not "updated dns to 1.1.1.1").
_VERSION_ONLY_CHANGE: Final = frozenset(
    "bump bumped bumping upgrade upgraded upgrading downgrade downgraded downgrading".split()
)


def _after_version_word(before: str) -> bool:
    """Whether the text just before a match ends with a version word, maybe followed by "to"/"from"."""
    words = _WORDS_BEFORE.findall(before)
    # FreeRDP's "/v:10.0.0.5" names the server to connect to (v for "view"), not a version.
    if not words or before.endswith("/v"):
        return False
    # AssemblyVersion("6.0.12.1"), ClientVersion=7.3.2.11: an identifier that names a version.
    if words[-1] in _VERSION_WORDS or words[-1].endswith("version"):
        return True
    # Japanese, Chinese, Korean and Thai glue the word to the particle after it ("バージョンは6.10.3.1").
    if words[-1][0] >= "\u0e00" and any(k in words[-1] for k in _SPACELESS_VERSION):
        return True
    # "версія застосунку 3.17.5.169", "wersja aplikacji": the version of a thing named after the word.
    if (
        len(words) > 1
        and _names_a_version(words[-2])
        and len(words[-1]) > 2
        and words[-1] not in _ADDRESS_WORDS
        and words[-1] not in _LINKING
    ):
        return True
    # A package's name and then its version, or the package word right before it.
    if words[-1] in _PACKAGE_WORDS or (len(words) > 1 and words[-2] in _PACKAGE_WORDS):
        return True
    if len(words) > 2 and words[-1] in _LINKING and words[-3] in _VERSION_ONLY_CHANGE:
        return True
    # "upgrade to 7.4.39.107", "version of 1.2.3.4", "upgraded from 9.16.9.4 to 9.16.9.5"; not a product's
    # name ("user ubuntu from 9.66.75.12").
    if len(words) > 1 and words[-1] in _LINKING:
        if _names_a_change(words[-2]):
            return True
        return len(words) > 2 and words[-2] in _LINKING and _names_a_change(words[-3])
    return False


_IPV6: Final = re.compile(rf"(?<!{WORD}|[:.])(?=[0-9A-Fa-f.]{{0,4}}:)[0-9A-Fa-f:.]{{2,45}}(?!{WORD}|:)")


# Addresses that name a protocol's role, the same on every network: the cloud instance-metadata endpoint
# and 224.0.0.0/24, the multicast block kept for local protocols (mDNS 224.0.0.251, OSPF, VRRP...).
def _protocol_constant(address: str) -> bool:
    return address == "169.254.169.254" or address.startswith("224.0.0.")


# The ranges kept for documentation (RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849:
# 2001:db8::/32) are examples when the words around say so ("docs example 192.0.2.44", "(RFC 5737)"); a
# log line holding one is still an address someone wrote there.
_DOC_RANGES: Final = ("192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:", "2001:0db8:")
_DOC_WORDS: Final = re.compile(
    r"\b(?:docs?|documentation|example|examples|rfc[ \t]?(?:5737|3849)|test-net)\b"
)


# A line that starts by saying it is an example or quotes the docs ("Example: ssh admin@…", "docs say to
# point it at …"): its documentation-range addresses are that example. (Not example.com, a domain.)
_DOC_LEAD: Final = re.compile(r"e\.g\.|(?:docs?|documentation|examples?)\b(?!\.[a-z])")


def _documentation_address(address: str, low: str, start: int, end: int) -> bool:
    if not address.lower().startswith(_DOC_RANGES):
        return False
    before = " ".join(_WORDS_BEFORE.findall(low[max(0, start - 24) : start])[-2:])
    if _DOC_WORDS.search(before) is not None or _DOC_WORDS.search(low, end, end + 32) is not None:
        return True
    line = max(low.rfind("\n", 0, start) + 1, start - 64)
    return _DOC_LEAD.match(low[line:start].lstrip(" \t#>/*-")) is not None


def _ipv6(cand: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(cand)
    except ValueError:
        return None


# "broadcast 10.0.0.255", "netmask 255.255.255.0": a network's own addresses, not a machine's.
_NETWORK_WORDS: Final = frozenset({"broadcast", "netmask", "mask", "subnet", "bcast"})


# "Build 8.23.16.46 (firmware), same bug as in 6.8.10.36": once a line has named one dotted quad a version,
# its other quads are versions too, unless the words right before one name an address or it is in a
# private range (which no version scheme reaches by chance as often as networks use it).
_ADDRESS_WORDS: Final = frozenset(
    """ip ips ipv4 address addr addresses host hostname server gateway gw dns nameserver resolver client src
    dst source destination peer remote proxy router ping inet node upstream origin endpoint vpn bind listen
    listening connect connecting connected""".split()
)
_PRIVATE_V4: Final = re.compile(r"(?:10|127|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.")


def _named_an_address(before: str) -> bool:
    return any(w in _ADDRESS_WORDS for w in _WORDS_BEFORE.findall(before)[-2:])


def _not_beside_a_version(text: str, versions: list[int], unnamed: list[tuple[Hit, str]]) -> list[Hit]:
    """The hits of ``unnamed`` (each with the text before it) that no version shares a line with, or that an
    address word names."""
    if not versions:
        return [hit for hit, _ in unnamed]
    newlines = list(find_all(text, "\n"))
    lines = {bisect_left(newlines, v) for v in versions}
    return [
        hit
        for hit, before in unnamed
        if bisect_left(newlines, hit.start) not in lines or _named_an_address(before)
    ]


def _ipv4_matches(t: Text) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    raw = t.raw
    for lo, hi in t.numeric(4):
        if raw.count(".", lo, hi) >= 3:
            out.extend(_IPV4.finditer(raw, lo, hi))
    return out


def find_ips(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text, low = t.raw, t.low
    # Documentation-range addresses wait for the end: one the words call an example makes all of them
    # examples ("server 203.0.113.4 as in the docs, gateway 203.0.113.1").
    documentation: list[Hit] = []
    example = False
    # Quads read as versions, and public ones no address word names: versions too on the same line as one
    # (see _ADDRESS_WORDS).
    versions: list[int] = []
    unnamed: list[tuple[Hit, str]] = []
    if "." in text:
        for m in _ipv4_matches(t):
            before = low[max(0, m.start() - 48) : m.start()]
            # Only the words right before count: "build 42, server 10.0.0.1" is an address.
            tail = before.rstrip(" \t:=#.(\"'")
            if (
                (tail[-1:].isalpha() and _after_version_word(tail))
                or _BUILT_NAME.search(before) is not None
                or (before.endswith("/") and before[-2:-1].isalpha())
                or tail.endswith("§")
                or tail[tail.rfind(" ") + 1 :] in _NETWORK_WORDS
                or ("." in (head := text[max(0, m.start() - 60) : m.start()]) and _PACKAGE_NAME.search(head))
            ):
                versions.append(m.start())
                continue
            # 0.x.x.x ("this network"), netmasks and loopback (127.x.x.x, every machine's own) describe no
            # one's machine.
            if m.group().startswith(("0.", "255.", "127.")) or _protocol_constant(m.group()):
                continue
            hit = Hit("ip_address", m.start(), m.end())
            if m.group().startswith(_DOC_RANGES):
                example = example or _documentation_address(m.group(), low, m.start(), m.end())
                documentation.append(hit)
                continue
            if _PRIVATE_V4.match(m.group()) is None:
                unnamed.append((hit, before))
                continue
            out.append(hit)
        out.extend(_not_beside_a_version(text, versions, unnamed))
        if "-h" in text:
            out.extend(
                Hit("ip_address", m.start(1), m.end(1))
                for m in _HOST_FLAG.finditer(text)
                if not m.group(1).startswith(("0.", "127."))
            )
    # IPv6: compressed forms hold "::"; full ones are long unbroken tokens with seven colons.
    if text.count(":") < 2:
        return out if example else out + documentation
    six = merged_windows(list(find_all(text, "::")), 40, 40, len(text))
    six += [(lo, hi) for lo, hi in t.long if text.count(":", lo, hi) >= 7]
    for m in (m for lo, hi in sorted(set(six)) for m in _IPV6.finditer(text, lo, hi)):
        cand = m.group().rstrip(".")
        if cand.count(":") < 2 or not any(c.isdigit() for c in cand):
            continue
        address = _ipv6(cand)
        if address is None:
            # A full address then its port, written without brackets ("2a02:…:d2f9:443").
            head, _, port = cand.rpartition(":")
            if cand.count(":") != 8 or not port.isdigit() or (address := _ipv6(head)) is None:
                continue
            cand = head
        if address.is_loopback or address.is_unspecified:  # ::1 and ::
            continue
        hit = Hit("ip_address", m.start(), m.start() + len(cand))
        if cand.lower().startswith(_DOC_RANGES):
            example = example or _documentation_address(cand, low, m.start(), m.start() + len(cand))
            documentation.append(hit)
            continue
        out.append(hit)
    return out if example else out + documentation
