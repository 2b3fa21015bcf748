"""One message, prepared once per scan so that every finder can skip most of it cheaply.

Speed comes from reading the text as few times as possible, with the fastest tool for each job:
``str.find`` (a vectorised search) for keywords, a pattern whose literal first character lets the engine
jump ahead for a spelled-out "at", one digit-run pattern, one ``str.split`` for long unbroken tokens.
Each finder then runs its precise pattern only at those places, anchored or in a small window, and a
finder with nothing to look at is not called at all. (A single pattern with every trigger as an
alternative is ten times slower: it loses the engine's literal-prefix fast path.)
"""

from __future__ import annotations

import re

from ._common import joins_token

_NUMERIC = re.compile(r"\d[\d \-.()\u00a0]{3,}")
_SPELLED_AT = re.compile(r"at(?<=[ \t(\[{<]at)(?=[ \t)\]}>])")
# Stems of password keywords (the patterns in passwords.py decide whether a whole keyword is there).
_PW_ASCII = (
    "pass",
    "pw",
    "kennw",
    "mot de passe",
    "mdp",
    "contrase",
    "senha",
    "palavra",
    "wachtw",
    "haslo",
    "sifre",
    "losenord",
    "adgangskode",
    "salasana",
    "heslo",
    "jelsz",
    "clave",
    "parol",
    "geslo",
    "lozinka",
    "kata sandi",
    "kata laluan",
)
_PW_OTHER = (
    "парол",
    "şifre",
    "hasło",
    "lösenord",
    "κωδικ",
    "密码",
    "密碼",
    "パスワード",
    "비밀번호",
    "كلمة",
    "סיסמ",
    "पासवर्ड",
    "รหัสผ่าน",
    "mật khẩu",
    "contraseña",
)
_SEC_ASCII = ("key", "secret", "token", "credential", "clave", "chave", "jeton")
_SEC_OTHER = ("ключ", "токен", "clé", "schlüssel")
_SSN_HINTS = ("ssn", "ss#", "ss number", "ss no", "social", "soc sec", "soc. sec", "taxpayer", "itin")
# For short messages one pass of an alternation finds every stem faster than a str.find per stem; for
# long ones the finds win (an alternation loses the engine's literal-prefix fast path).
_SHORT = 200
_PW_STEMS = frozenset(_PW_ASCII + _PW_OTHER)
_SEC_STEMS = frozenset(_SEC_ASCII + _SEC_OTHER)
# Every stem in one alternation, longest first ("contraseña" before "contrase").
_ANY_KEYWORD = re.compile(
    "|".join(
        re.escape(k)
        for k in sorted({*_PW_ASCII, *_PW_OTHER, *_SEC_ASCII, *_SEC_OTHER}, key=len, reverse=True)
    )
)


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset preserved (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(lc := ch.lower()) != 1 else lc for ch in text)


def _find_all(haystack: str, needles: tuple[str, ...], into: list[int]) -> None:
    for needle in needles:
        i = haystack.find(needle)
        while i >= 0:
            into.append(i)
            i = haystack.find(needle, i + 1)


class Text:
    __slots__ = (
        "_long",
        "_windows",
        "at",
        "bearer",
        "iban_anchors",
        "low",
        "pw",
        "raw",
        "runs",
        "sec",
        "url",
    )

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.low = low = lower_same_length(raw)
        # (start, end, digits) of each run of digits and number separators that starts a word.
        self.runs: list[tuple[int, int, int]] = []
        self.pw: list[int] = []
        self.sec: list[int] = []
        self.at: list[int] = []
        self.bearer: list[int] = []
        self.url: list[int] = []
        self._long: list[tuple[int, int]] | None = None
        self._windows: dict[int, list[tuple[int, int]]] = {}
        self.iban_anchors: list[int] = []
        for m in _NUMERIC.finditer(low):
            start = m.start()
            # A run glued to a word ("a1b2c3d4", a hash, a UUID) starts no card, phone, SSN or IP address.
            if m.end() - start >= 6:
                # Where an IBAN can be: every IBAN holds a run like this within a few characters of its
                # start, glued to letters ("GB82WEST1234...") or not.
                self.iban_anchors.append(start)
            run = m.group()
            if start and joins_token(low[start - 1]):
                # ... but what follows a space in the run stands alone ("web01 10.0.0.7").
                space = run.find(" ")
                if space < 0:
                    continue
                while space < len(run) and run[space] == " ":
                    space += 1
                start, run = start + space, run[space:]
                if not run[:1].isdigit():
                    continue
            self.runs.append((start, m.end(), sum(map(str.isdigit, run))))
        if len(low) < _SHORT:
            for m in _ANY_KEYWORD.finditer(low):
                stem = m.group()
                if stem in _PW_STEMS:
                    self.pw.append(m.start())
                if stem in _SEC_STEMS:
                    self.sec.append(m.start())
        else:
            _find_all(low, _PW_ASCII, self.pw)
            _find_all(low, _SEC_ASCII, self.sec)
            if not low.isascii():
                _find_all(low, _PW_OTHER, self.pw)
                _find_all(low, _SEC_OTHER, self.sec)
            # Several stems can start at one place ("pass", "pw"...): each start once, in order.
            if len(self.pw) > 1:
                self.pw = sorted(set(self.pw))
            if len(self.sec) > 1:
                self.sec = sorted(set(self.sec))
        if " at" in low or "(at" in low or "[at" in low or "{at" in low or "<at" in low or "\tat" in low:
            self.at = [m.start() for m in _SPELLED_AT.finditer(low)]
        if "bearer" in low:
            _find_all(low, ("bearer",), self.bearer)
        if "://" in low:
            _find_all(low, ("://",), self.url)

    @property
    def ssn_hint(self) -> bool:
        return any(h in self.low for h in _SSN_HINTS)

    @property
    def aws_hint(self) -> bool:
        return "aws" in self.low or "amazon" in self.low

    def numeric(self, min_digits: int) -> list[tuple[int, int]]:
        """Windows (start, end) around digit runs holding at least ``min_digits`` digits; the end reaches a
        little past the run so that end-of-match lookaheads see the real next characters."""
        windows = self._windows.get(min_digits)
        if windows is None:
            limit = len(self.raw)
            windows = [(max(0, s - 2), min(limit, e + 3)) for s, e, n in self.runs if n >= min_digits]
            self._windows[min_digits] = windows
        return windows

    def release_long_tokens(self, spans: list[tuple[int, int]]) -> None:
        """Forget the long tokens inside ``spans`` (the lines of a private key already found): no other
        finder needs to look at them again."""
        self._long = [
            (lo, hi) for lo, hi in self.long_tokens() if not any(a <= lo and hi - 1 <= b for a, b in spans)
        ]

    def long_tokens(self) -> list[tuple[int, int]]:
        """Windows over whitespace-separated words of 12 or more characters: where keys, JWTs and opaque
        tokens can be. ``str.split`` finds them several times faster than any pattern could."""
        if self._long is None:
            raw, spans, cursor = self.raw, [], 0
            if len(raw) >= 12:
                for word in raw.split():
                    if len(word) >= 12:
                        start = raw.find(word, cursor)
                        spans.append((start, min(len(raw), start + len(word) + 1)))
                        cursor = start + len(word)
            self._long = spans
        return self._long
