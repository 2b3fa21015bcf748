"""Financial and government identifiers: payment cards, IBANs, US social security numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ._common import NOT_ALNUM, SPEAKER_LABEL, WORD, Hit, luhn_ok, merged_windows, outranked
from ._text import Text

# --- payment cards -----------------------------------------------------------------------------------------

# 12..19 digits, optionally grouped by single spaces or dashes; not the middle of a longer digit run.
# A class repeat, not a repeated group: the engine runs it in one tight loop. Separators are checked after.
# (Not after "+": "+49 1522 1732634" is a phone number, whatever its Luhn sum.)
# (Followed by its expiry date, "5371-6145-7950-5502 06/29 133", it still ends there.)
# (After a hyphen only in Hebrew, where a prefix joins a number with one: "ב-5595 1105 ...", "charged at".)
_CARD: Final = re.compile(
    rf"(?<!{WORD}|\+)(?<![^\u05d0-\u05ea]-)(?<!^-)(?<!\d[ \-.])\d[\d \-.]{{10,46}}\d"
    rf"(?!{WORD}|[-/]|\.\d|[ \-](?!\d\d/\d\d)\d)"
)
# A card glued to the word before it, as typed in a hurry ("number4245...", "is4245-8921-...", "CB2500..."):
# only after a whole word of letters, so a hash or an id ("a3f4111...", "x9_4111...") is not read this way.
_GLUED_CARD: Final = re.compile(r"\d(?:[ \-]?\d){11,18}(?![\w\-]|[ \-]\d)")
_LETTERS_BEFORE: Final = re.compile(r"(?<![\w\-])[^\W\d_]{1,12}$")
_SEPARATOR_RUN: Final = re.compile(r"[ \-.]+")
# Dots only between groups of four ("4556.7375.8689.9855"): other dotted runs are amounts and versions.
# (And American Express's 4-6-5, Diners' 4-6-4, UATP's 4-5-6 and 13-digit Visa's 4-4-5 groups:
# "3445.458252.08738", "4546.0851.81152".)
_DOTTED_CARD: Final = re.compile(
    r"\d{4}(?:\.\d{4}){3}(?:\.\d{1,3})?|\d{4}\.\d{6}\.\d{4,5}|\d{4}\.\d{5}\.\d{6}|\d{4}\.\d{4}\.\d{5}"
)
_CARD_SEPARATORS: Final = frozenset({" ", "-", "  "})
_PRODUCT_CODE: Final = re.compile(r"barcode|\bean\b|ean-?13|gtin|\bupc\b|isbn|imei|\bsku\b|article|artikel")
# "Order number" as people write it in the languages of the chats we read: an order, a parcel or a booking
# number is what a 3-2-4 or 12-13-digit number after it is.
_ORDER_WORDS: Final = (
    r"order|invoice|tracking|ticket|booking|reference|bestell|commande|pedido|encomenda|ordine|bestelling|"
    r"beställning|zamówieni|objednávk|tilaus|sipari[şs]|rendelés|заказ|замовлен|παραγγελ|הזמנה|طلب|ऑर्डर|"
    r"pesanan|đơn[ \t]hàng|订单|訂單|注文|주문"
)
_ORDER: Final = re.compile(_ORDER_WORDS)


def _card_brand_ok(d: str) -> bool:
    """Issuer prefix and length agree with a real brand (Luhn alone passes one random run in ten)."""
    n = len(d)
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    if d[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard, including the 2-series
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return 16 <= n <= 19  # Discover
    if 300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095:
        return 14 <= n <= 19  # Diners Club
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if p2 == 62 or p2 == 81:
        return 16 <= n <= 19  # UnionPay
    if 2200 <= p4 <= 2204:
        return 16 <= n <= 19  # Mir
    if d[0] == "1":
        return n == 15  # UATP (airline cards: 1-series, 15 digits)
    if p2 == 82 or p4 in (8600, 9860, 9792):
        return n == 16  # RuPay (82), UzCard (8600), Humo (9860), Troy (9792)
    if p2 == 50 or 56 <= p2 <= 69:
        return 12 <= n <= 19  # Maestro
    return False


def _is_card(digits: str) -> bool:
    return 12 <= len(digits) <= 19 and luhn_ok(digits) and _card_brand_ok(digits)


# How one card is grouped when several stand side by side: unbroken, in fours (the last group shorter), or
# American Express's 4-6-5.
_CARD_GROUPING: Final = re.compile(
    r"\d{13,19}|\d{4}(?: \d{4}){3}(?: \d{1,3})?|\d{4}(?:-\d{4}){3}(?:-\d{1,3})?|\d{4}[ \-]\d{6}[ \-]\d{5}"
)


def _cards_side_by_side(value: str) -> list[tuple[int, int]]:
    """Spans (in ``value``) of the cards in a run of several written one after the other ("4111 1111 1111
    1111 5500 0000 0000 0004"): from each group, the longest run of groups that is one valid card."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", value)]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + 5), i, -1):
            lo, hi = groups[i][0], groups[j - 1][1]
            piece = value[lo:hi]
            if _CARD_GROUPING.fullmatch(piece) and _is_card(piece.replace(" ", "").replace("-", "")):
                out.append((lo, hi))
                i = j
                break
        else:
            i += 1
    return out


def _card_spans(value: str) -> list[tuple[int, int]]:
    """Where in a card-shaped run the cards are: the whole run, or several cards side by side."""
    if "." in value:
        return [(0, len(value))] if _DOTTED_CARD.fullmatch(value) and _is_card(value.replace(".", "")) else []
    digits = value.replace(" ", "").replace("-", "")
    # Mixed separators ("1234 5678-9012", "1234 5678  9012") are numbers side by side, not one card; the
    # same one throughout (a space, a dash, two spaces) is how people write one.
    separators = set(_SEPARATOR_RUN.findall(value))
    if len(separators) <= 1 and separators <= _CARD_SEPARATORS and _is_card(digits):
        return [(0, len(value))]
    if len(digits) >= 26:
        return _cards_side_by_side(value)
    return []


_IBAN_HEAD_BEFORE: Final = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})\d{2}(?: ?[A-Z0-9]{4}){1,2} ?$")


def find_cards(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    """``claimed``: findings so far; a card-shaped run inside one that outranks cards (an IBAN, a
    password...) is not checked: the overlap resolver would drop the card anyway."""
    out: list[Hit] = []
    for m in (m for lo, hi in t.numeric(12) for m in _CARD.finditer(t.raw, lo, hi)):
        if claimed and outranked(m.start(), m.end(), "credit_card", claimed):
            continue
        for lo, hi in _card_spans(m.group()):
            start, end = m.start() + lo, m.start() + hi
            # Product codes use the same check digit: "barcode 5901234123457" is an EAN-13.
            before = t.low[max(0, start - 24) : start]
            if _PRODUCT_CODE.search(before):
                continue
            # A 12- or 13-digit "card" after "order number" is the order number (one in ten passes Luhn).
            if hi - lo <= 13 and _ORDER.search(before):
                continue
            # The digits of an IBAN after its country, check digits and bank code ("GB71 BSHQ 5677 ..."):
            # part of the IBAN, whether its checksum holds or not (find_ibans reports the valid ones).
            head = _IBAN_HEAD_BEFORE.search(t.raw, max(0, start - 16), start)
            if head is not None and head.group(1) in IBAN_LENGTHS:
                continue
            out.append(Hit("credit_card", start, end))
    raw = t.raw
    for anchor in t.glued_anchors:
        if _LETTERS_BEFORE.search(raw, max(0, anchor - 12), anchor) is None:
            continue
        glued = _GLUED_CARD.match(raw, anchor)
        if glued is None or (claimed and outranked(glued.start(), glued.end(), "credit_card", claimed)):
            continue
        value = glued.group()
        if len(set(_SEPARATOR_RUN.findall(value))) <= 1 and _is_card(value.replace(" ", "").replace("-", "")):
            out.append(Hit("credit_card", glued.start(), glued.end()))
    return out


# --- IBAN --------------------------------------------------------------------------------------------------

IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "LY": 25,
    "SD": 18,
    "BI": 27,
    "DJ": 27,
    "RU": 33,
    "SO": 23,
    "NI": 28,
    "MN": 20,
    "FK": 18,
    "OM": 23,
    "YE": 30,
    "HN": 28,
}

# Matched on the lower-cased text: "DE89 3704 ...", "de89370400440532013000", "IE 17 UKKD45 273607...".
_IBAN: Final = re.compile(
    r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z] ?\d{2}[ \-]{0,2}[A-Z0-9][A-Z0-9 \-]{9,60}[A-Z0-9](?![A-Za-z0-9])"
)
# The same in any case, matched on the lower-cased text only right after the word "IBAN" (or a transfer
# word in another language): prose is full of lower-case letter pairs before numbers ("at 12 3456...").
_IBAN_ANY_CASE: Final = re.compile(
    r"[a-z](?<![a-z0-9][a-z])[a-z] ?\d{2}[ \-]{0,2}[a-z0-9][a-z0-9 \-]{9,60}[a-z0-9](?![a-z0-9])"
)
# Glued to the word: "IBANGR72...", "iban:de89..." is the other pattern's (a word character before it).
_IBAN_GLUED: Final = re.compile(r"[a-z]{2}\d{2}[ \-]{0,2}[a-z0-9][a-z0-9 \-]{9,60}[a-z0-9](?![a-z0-9])")
# ISO 13616: letters count as 10..35 in the mod-97 check.
_IBAN_DIGITS: Final = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


def iban_ok(compact: str) -> bool:
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_IBAN_DIGITS)) % 97 == 1


def find_ibans(t: Text) -> list[Hit]:
    out: list[Hit] = []
    raw, low = t.raw, t.low
    named = t.iban_words
    anchors = sorted(t.iban_anchors + named) if named else t.iban_anchors
    # (_IBAN starts with two capitals: none in a text that lower-casing leaves as it was.)
    windows = merged_windows(anchors, 16, 72, len(raw)) if raw != low else []
    candidates = [m for lo, hi in windows for m in _IBAN.finditer(raw, lo, hi)]
    if named:
        seen = {m.start() for m in candidates}
        after = merged_windows(named, 0, 72, len(raw))
        candidates += [
            m for lo, hi in after for m in _IBAN_ANY_CASE.finditer(low, lo, hi) if m.start() not in seen
        ]
        candidates += [
            m
            for end in named
            if low.endswith("iban", 0, end)
            and low[end : end + 1].isalpha()
            and (m := _IBAN_GLUED.match(low, end, min(len(low), end + 72))) is not None
        ]
    for m in candidates:
        value = raw[m.start() : m.end()]
        country = value[:2].upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        # The greedy match may run into a following word; cut it at the country's length.
        count = 0
        cut = len(value)
        for i, ch in enumerate(value):
            if ch.isalnum():
                count += 1
                if count == length:
                    cut = i + 1
                    break
        if count < length or (cut < len(value) and value[cut] not in " -"):
            continue
        iban = value[:cut]
        compact = NOT_ALNUM.sub("", iban).upper()
        if not iban_ok(compact):
            continue
        out.append(Hit("iban", m.start(), m.start() + cut))
    return out


# --- US social security numbers ----------------------------------------------------------------------------

# Grouped (123-45-6789, 123 45 6789, 123.45.6789) or bare (123456789); one pattern, one pass per digit run.
_SSN: Final = re.compile(
    rf"(?<!{WORD}|-)(?<!\d[ \-.])(\d{{3}})([ \-.]?)(\d{{2}})\2(\d{{4}})(?!{WORD}|-|[ \-.]\d)"
)
_SSN_CONTEXT: Final = re.compile(
    r"(?:\bssn|\bss#|\bss[ \t]+(?:number|no\b)|\bssa\b|social[ \-]security|soc\.? ?sec|\bsocial\b|taxpayer|"
    r"\btin\b|\bitin\b|seguro[ \t]social|seguridad[ \t]social|sozialversicherung|sécurité[ \t]sociale|"
    r"社会安全|社會安全|社会保障番号|사회보장)"
)
# Words that say what else a 3-2-4 number is: an order, a part, a case, a phone...
_SSN_NEG: Final = re.compile(
    rf"(?:{_ORDER_WORDS}|ref|case|account|acct|phone|tel|call|fax|routing|zip|\bpart|"
    r"\bitem|article|artikel|\bsku|serial|model|\blot\b|batch|\bpo\b|bestell|commande|pedido|"
    r"заказ|claim|policy|member|employee|badge|"
    # Case files, codes and customers in the languages that say so ("codice pratica", "expediente").
    r"codice|código|codigo|pratica|dossier|expediente|aktenzeichen|vorgang|protocollo|protocolo|client|"
    r"kunde|customer)"
)


# A chat log's line starts with who speaks: "Customer: the whole thing is 123 45 6789" names the speaker, not
# what the number is.
_SPEAKER_LINE: Final = re.compile(r"\n" + SPEAKER_LABEL + r"(?P<rest>[^\n]*)$")


def _after_speaker(before: str) -> bool:
    """The words before the number, once a speaker's label on its line is left out, name nothing else."""
    m = _SPEAKER_LINE.search(before)
    return m is not None and _SSN_NEG.search(m.group("rest")) is None


def _ssn_rules_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def find_ssns(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    """``claimed``: as for find_cards (cards outrank SSNs too)."""
    out: list[Hit] = []
    text, low = t.raw, t.low
    hint: bool | None = None
    for m in (m for lo, hi in t.numeric(9) for m in _SSN.finditer(text, lo, hi)):
        if claimed and outranked(m.start(), m.end(), "ssn", claimed):
            continue
        if not _ssn_rules_ok(m.group(1), m.group(3), m.group(4)):
            continue
        # Grouped (123-45-6789, 123 45 6789, 123.45.6789) it is written as an SSN is, unless the words just
        # before say what else it is; bare, the same words ("Invoice 604118106") say it is no SSN whatever
        # follows.
        before = low[max(0, m.start() - 30) : m.start()]
        if _SSN_NEG.search(before) and not _SSN_CONTEXT.search(before) and not _after_speaker(before):
            continue
        if m.group(2):
            out.append(Hit("ssn", m.start(), m.end()))
            continue
        # A bare nine-digit number is an SSN only when the text around it says so.
        if hint is None:
            hint = t.ssn_hint
        if hint and (
            _SSN_CONTEXT.search(low[max(0, m.start() - 40) : m.start()])
            or _SSN_CONTEXT.search(low[m.end() : m.end() + 30])
        ):
            out.append(Hit("ssn", m.start(), m.end()))
    return out
