"""One message, prepared once per scan so that every finder can skip most of it cheaply.

The finders read a plain copy of the text (typographic spaces as spaces, full-width digits and letters as
ASCII, character for character so offsets stay those of the text as written) and its lower-cased twin.
Speed comes from reading it as few times as possible: one Aho-Corasick pass for every trigger keyword at
once, one pass for the runs of digits, one for long unbroken tokens. Each finder then runs its precise
pattern only at those places, anchored or in a small window, and a finder with nothing to look at is not
called at all. (A single regex with every keyword as an alternative is slower than even a str.find per
keyword: it loses the engine's literal-prefix fast path.)
"""

from __future__ import annotations

import re
from typing import Final

from ahocorasick_rs import AhoCorasick, Implementation

from ..masking import SPELLED_AT
from ._common import joins_token

# Digits of the scripts people write numbers in (ASCII, Arabic-Indic, Persian, Devanagari, Bengali, Thai,
# full-width), listed rather than \d: the engine tests a listed class in a bitmap, \d with a Unicode
# lookup per character, and this pattern reads every character of every message.
_DIGITS: Final = "0-9\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\u09e6-\u09ef\u0e50-\u0e59\uff10-\uff19"
_NUMERIC: Final = re.compile(f"[{_DIGITS}][{_DIGITS} \\-.()\u00a0]{{3,}}")
# The same for ASCII text, where a bitmap of ten digits is all the engine has to test.
_NUMERIC_ASCII: Final = re.compile("[0-9][0-9 \\-.()]{3,}")
# Stems of password keywords (the patterns in passwords.py decide whether a whole keyword is there).
_PW_ASCII: Final = (
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
    "sandi",
    "mk",
    "lösen",
    "kata laluan",
    "ww",
    "nenosiri",
    "kodeord",
    "code wifi",
    "code wi-fi",
    "code du wifi",
    "wlan-schl",
    "wlanschl",
    "wifi-schl",
    "netzwerkschl",
    "wifi code",
    "wi-fi code",
    "wlan code",
    "psk",
)
_PW_OTHER: Final = (
    "парол",
    "şifre",
    "hasło",
    "hasłem",
    "hasła",
    "lösenord",
    "κωδικ",
    "密码",
    "密碼",
    "パスワード",
    "비밀번호",
    "비번",
    "συνθηματικ",
    "كلمة",
    "סיסמ",
    "पासवर्ड",
    "รหัสผ่าน",
    "mật khẩu",
    "contraseña",
    "باسورد",
    "פאסוורד",
    "รหัส",
)
_SEC_ASCII: Final = ("key", "secret", "token", "credential", "clave", "chave", "jeton")
_SEC_OTHER: Final = (
    "ключ",
    "токен",
    "clé",
    "schlüssel",
    "klucz",
    "chiave",
    "sleutel",
    "nyckel",
    "anahtar",
    "kulcs",
    "klíč",
    "avain",
    "nøgle",
    "nøkkel",
    "κλειδί",
    "密钥",
    "密鑰",
)
_SSN_HINTS: Final = (
    "ssn",
    "ss#",
    "ss number",
    "ss no",
    "social",
    "soc sec",
    "soc. sec",
    "taxpayer",
    "itin",
    "sozialversicherung",
    "sécurité sociale",
    "社会安全",
    "社會安全",
    "社会保障番号",
    "사회보장",
)
_PW_STEMS: Final = frozenset(_PW_ASCII + _PW_OTHER)
_SEC_STEMS: Final = frozenset(_SEC_ASCII + _SEC_OTHER)
_PW, _SEC, _BEARER, _URL, _CLI, _CRED, _AS, _AT, _KEY, _IBAN = 1, 2, 4, 8, 16, 32, 64, 128, 256, 512
_AWS_ID, _AWS_WORD, _TYPO = 1024, 2048, 4096
# The four letters every AWS access key id starts with (alerts.patterns.tokens._AWS_ID is built from them):
# a text without one, in any case, holds no key id.
AWS_ID_PREFIXES: Final = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA")
# Words without which find_aws looks for no secret key (unless a key id is there).
AWS_WORDS: Final = ("aws", "amazon", "access", "s3")
# Every word one slip away from "password", "passwort" or "passwd" holds one of these: a slip at the fourth
# letter or later leaves "pas", one before it leaves "word", "wort" or "wd" (a swap of two neighbours moves
# at most the fourth). find_misspelled_passwords reads no text without one.
TYPO_STEMS: Final = ("pas", "wor", "wd")
# Lower-cased pieces of which every issuer-prefixed key format of alerts.patterns.tokens._PREFIXED holds
# one (except Twilio's SK/AC ids, which find_prefixed_keys finds by their length): a word without any
# cannot be such a key. tests/unit/detector/test_engine.py holds the two lists together.
KEY_HINTS: Final = (
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "glptt-",
    "glsoat-",
    "gloas-",
    "glcbt-",
    "glimt-",
    "glagent-",
    "glft-",
    "glffct-",
    "glrtr-",
    "glc_",
    "glsa_",
    "gr1348941",
    "_live_",
    "_test_",
    "whsec_",
    "xox",
    "xapp-",
    "aiza",
    "ya29.",
    "gocspx-",
    "sk-",
    "sg.",
    "key-",
    "-us",
    "npm_",
    "pypi-",
    "shpat_",
    "shpss_",
    "shpca_",
    "shppa_",
    "_v1_",
    "hf_",
    "api_org_",
    "sq0",
    "eaa",
    "pmak-",
    "dapi",
    "secret_",
    "ntn_",
    "lin_",
    "nrak-",
    "dp.",
    "atatt",
    "atctt",
    "atoat",
    "akcp",
    ":aa",
    "rzp_",
    "flwseck-",
    "hvs.",
    "hvb.",
    "hvr.",
    "atlasv1",
    "fo1_",
    "fm1",
    "fm2",
    "age-secret-key-1",
    "ops_eyj",
    "a3-",
    "sntry",
    "v1.0-",
    "sha256~",
    "hrku-",
    "sbp_",
    "pscale_",
    "pul-",
    "nfp_",
    "figd_",
    "tskey-",
    "bkua_",
    "r8_",
    "gsk_",
    "xai-",
    "pplx-",
    "cfpat-",
    "dt0c01.",
    "tfp_",
    "q~",
    "dckr_",
    "aio_",
    "ltai",
    "rubygems_",
    "sqp_",
    "sqa_",
    "squ_",
    "lsv2_",
)
_AT_CLOSERS: Final = " \t)]}>"
# Command lines that can carry a password flag (alerts.patterns.passwords reads them).
CLI_COMMANDS: Final = (
    "mysql",
    "mariadb",
    "sshpass",
    "docker",
    "podman",
    "nerdctl",
    "buildah",
    "skopeo",
    "helm",
    "oras",
    "redis-cli",
    "http",
    "net use",
    "lftp",
    "ldap",
    # (alerts.patterns.passwords._MORE_COMMANDS)
    "htpasswd",
    "rabbitmqctl",
    "smbclient",
    "rpcclient",
    "xfreerdp",
    "wlfreerdp",
    "sdl-freerdp",
    "convertto-securestring",
    "net user",
    # (SQL Server's tools take -U user -P password: passwords._USER_THEN_PASSWORD.)
    "sqlcmd",
    "osql",
    # (sudo -S reads the password from standard input: passwords._piped_to_stdin.)
    "sudo -s",
)
# Default accounts' names as a line gives one with its password ("root:..."): passwords._lone_account_pairs.
ACCOUNT_COLON: Final = ("admin:", "administrator:", "root:", "guest:")
# "I log in with X" in the languages chat is written in: the verb, then "with" and the password
# (alerts.patterns.passwords._login_with). Verbs of languages that put the password first ("X ile
# giriyorum", "X se login karta", "X로 로그인", "用X登录") are LOGIN_AFTER.
LOGIN_VERBS: Final = (
    "login",
    "log in",
    "logging in",
    "logged in",
    "sign in",
    "signing in",
    "signed in",
    "log mich",
    "logge mich",
    "melde mich",
    "einlogg",
    "ik log",
    "inlog",
    "connecte",
    "entro",
    "ingreso",
    "accedo",
    "masuk",
    "đăng nhập",
    "เข้า",
    "naingia",
    "ninaingia",
    "נכנס",
    "أدخل",
    "ادخل",
    "захожу",
    "вхожу",
    "заходжу",
)
# "Reset it to X" in languages other than English (whose "reset/changed ... to" is passwords._set_to):
# the verb, and a password-shaped word near it (alerts.patterns.passwords._reset_to).
RESET_VERBS: Final = (
    "återställ",
    "reimpostat",
    "ripristinat",
    "zurückgesetzt",
    "réinitialis",
    "restablec",
    "reestablec",
    "redefini",
    "zresetowa",
    "sıfırla",
    "сбросил",
    "сбросила",
    "скинул",
    "скинула",
    "скинув",
    "átállít",
    "visszaállít",
    "nollst",
    "tilbakestil",
    "nulstil",
    "teruggezet",
    "gereset",
    "atur ulang",
    "đặt lại",
    # (English "reset it to X" with no keyword: in chat "it" is the password just asked about; the value must
    # still look like one.)
    "reset it to",
    "changed it to",
)
LOGIN_AFTER: Final = ("login", "giriyorum", "giriş yap", "로그인", "登录", "登入", "ログイン")
# "use X as (the) password" in a few languages.
AS_WORDS: Final = (" as ", " als ", " comme ", " como ", " come ")


def _keyword_flags() -> dict[str, int]:
    """Every trigger word and what it triggers."""
    words: dict[str, int] = {}
    for stem in _PW_STEMS:
        words[stem] = words.get(stem, 0) | _PW
    for stem in _SEC_STEMS:
        words[stem] = words.get(stem, 0) | _SEC
    words["bearer"] = _BEARER
    words["://"] = _URL
    for word in CLI_COMMANDS:
        words[word] = _CLI
    # (And SQL's IDENTIFIED BY, which passwords.find_passwords reads wherever the word is.)
    # (And the calls and DSNs that take a user and a password: connect(...), new PDO(...), user:pw@tcp(...).)
    for word in (
        "cred",
        "login",
        "identifiant",
        "zugangsdaten",
        "identified",
        "connect",
        "pdo(",
        "mysqli",
        "@tcp(",
        "@unix(",
        # (A default account's name, ":" and its password alone on a line: passwords._lone_account_pairs.)
        *ACCOUNT_COLON,
        *LOGIN_VERBS,
        *LOGIN_AFTER,
        *RESET_VERBS,
    ):
        words[word] = words.get(word, 0) | _CRED
    for word in AS_WORDS:
        words[word] = _AS
    for opener in " \t([{<":
        for at in SPELLED_AT:
            words[opener + at] = words.get(opener + at, 0) | _AT
    for hint in KEY_HINTS:
        words[hint] = words.get(hint, 0) | _KEY
    # An IBAN follows its name or a word for a transfer, however few digits run together in it.
    for word in ("iban", "konto", "überweis", "virement", "bonifico", "rekening", "cuenta", "transfer"):
        words[word] = words.get(word, 0) | _IBAN
    for prefix in AWS_ID_PREFIXES:
        words[prefix.lower()] = words.get(prefix.lower(), 0) | _AWS_ID
    for word in AWS_WORDS:
        words[word] = words.get(word, 0) | _AWS_WORD
    for stem in TYPO_STEMS:
        words[stem] = words.get(stem, 0) | _TYPO
    return words


# One Aho-Corasick automaton finds every trigger word in one pass, overlapping ones included, where a
# str.find per word (or one regex alternation) reads the text dozens of times.
_WORD_FLAGS: Final = _keyword_flags()
_FLAGS: Final = list(_WORD_FLAGS.values())
# For each word, which of Text's lists of starts it goes into (positions in _START_BITS): a loop over the
# few it has, instead of a test of every flag for every word found.
_START_BITS: Final = (_PW, _SEC, _BEARER, _URL, _CLI, _CRED, _KEY, _AWS_ID, _AWS_WORD, _TYPO)
_INTO: Final = [tuple(i for i, bit in enumerate(_START_BITS) if flags & bit) for flags in _FLAGS]
_NEEDS_END: Final = _AS | _AT | _IBAN
# A DFA, not the default's NFA for this many words: a quarter fewer instructions per message (about 2 ms
# and 1.5 MB to build at import).
_KEYWORDS: Final = AhoCorasick(list(_WORD_FLAGS), implementation=Implementation.DFA)


# Lone surrogates (U+D800..U+DFFF) are valid in a Python str and in JSON ("\ud800") but not in UTF-8,
# which is all the automaton takes. Each becomes U+FFFD, one character for one, so offsets are unchanged;
# no trigger word holds either.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def find_keywords(low: str) -> list[tuple[int, int, int]]:
    """(index in _WORD_FLAGS, start, end) of every trigger word, by end (ahocorasick_rs, Rust)."""
    try:
        return _KEYWORDS.find_matches_as_indexes(low, True)  # (overlapping: positional is cheaper)
    except UnicodeEncodeError:
        return _KEYWORDS.find_matches_as_indexes(_SURROGATE.sub("\ufffd", low), True)


# One character for one: typographic spaces and the ideographic space; full-width digits, letters and the
# signs numbers and addresses are written with (＋ － ． ＠ （ ）). Not the full-width colon: after a label in
# Chinese or Japanese ("电话：") it is punctuation, where an ASCII ":" before a number means a time or a port.
_PLAIN_FORMS: Final[dict[int, int]] = {
    **{cp: 0x20 for cp in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)},
    **{ord(ch): ord(ch) - 0xFEE0 for ch in "＋－．＠（）０１２３４５６７８９"},
    **{cp: cp - 0xFEE0 for cp in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))},
}
_NEEDS_PLAIN: Final = re.compile("[" + "".join(chr(cp) for cp in _PLAIN_FORMS) + "]")


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset preserved: "İ" (U+0130), the one character whose lower case is two
    characters long ("i̇"), stays as it is. (Split around it, not lowered one character at a time: a
    Turkish name in a 4,000-character message cost 5% of its scan that way.)"""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "\u0130".join([part.lower() for part in text.split("\u0130")])


def numeric_runs(low: str) -> tuple[list[tuple[int, int, int]], list[int], list[int], int]:
    """(lo, hi, digits) of each run of digits and number separators that starts a word, the starts of
    every run of six or more characters (where an IBAN can be), those of them glued to a letter (where a
    card typed against its word can be), and the most digits of any run. lo..hi is the window Text.numeric
    gives out: from two characters before the run to three after it, so that end-of-match lookaheads see
    the real next characters (made here once, not in each finder's call)."""
    limit = len(low)
    most = 0
    runs: list[tuple[int, int, int]] = []
    anchors: list[int] = []
    glued: list[int] = []
    # A search from the last run's end, not finditer: this runs on every message, and finditer's scanner
    # and iterator objects cost more than the search itself on a short one (the pattern matches no empty
    # string, so both see the same runs).
    search = (_NUMERIC_ASCII if low.isascii() else _NUMERIC).search
    m = search(low)
    while m is not None:
        start, run_end = m.span()  # (one call on the match; the run is sliced from the text)
        m = search(low, run_end)
        prev = low[start - 1] if start else " "
        # A run glued to a word ("a1b2c3d4", a hash, a UUID) starts no card, phone, SSN or IP address.
        if run_end - start >= 6:
            # Where an IBAN can be: every IBAN holds a run like this within a few characters of its
            # start, glued to letters ("GB82WEST1234...") or not.
            anchors.append(start)
            # (Lower-casing leaves a letter a letter: the test on ``low`` is the one on the text.)
            if prev.isalpha():
                glued.append(start)
        run = low[start:run_end]
        # (Letters and digits of ASCII and Latin scripts are tested directly; only others need the class.)
        if (prev.isalnum() or prev == "_") and (prev < "\u0e00" or joins_token(prev)):
            # ... but what follows a space in the run stands alone ("web01 10.0.0.7").
            space = run.find(" ")
            if space < 0:
                continue
            while space < len(run) and run[space] == " ":
                space += 1
            start, run = start + space, run[space:]
            if not run[:1].isdigit():
                continue
        lo, hi = start - 2 if start > 2 else 0, run_end + 3 if run_end + 3 < limit else limit
        if run.isdigit():  # (unbroken, as most are: no separator to count)
            digits = len(run)
        else:
            digits = len(run) - run.count(" ") - run.count("-") - run.count(".")
            if "(" in run or ")" in run or "\u00a0" in run:
                digits -= run.count("(") + run.count(")") + run.count("\u00a0")
        runs.append((lo, hi, digits))
        if digits > most:
            most = digits
    return runs, anchors, glued, most


def long_words(raw: str) -> tuple[list[tuple[int, int]], int]:
    """Windows over whitespace-separated words of 12 or more characters: where keys, JWTs and opaque
    tokens can be; and the length of the longest. ``str.split`` finds them several times faster than any
    pattern could."""
    spans: list[tuple[int, int]] = []
    cursor = longest = 0
    limit = len(raw)
    if limit >= 12:
        for word in raw.split():
            if len(word) >= 12:
                start = raw.find(word, cursor)
                cursor = start + len(word)
                # (A comparison, not min(): a call per long word is a tenth of this function's time.)
                spans.append((start, cursor + 1 if cursor < limit else limit))
                if len(word) > longest:
                    longest = len(word)
    return spans, longest


def plain_forms(raw: str) -> str:
    """``raw`` with _PLAIN_FORMS applied (str.translate with a dict reads slowly: only when one is there)."""
    if _NEEDS_PLAIN.search(raw) is None:
        return raw
    return raw.translate(_PLAIN_FORMS)


class Text:
    __slots__ = (
        "as_words",
        "at",
        "aws_ids",
        "aws_words",
        "bearer",
        "cli",
        "cred",
        "glued_anchors",
        "iban_anchors",
        "iban_words",
        "key_hints",
        "long",
        "longest",
        "low",
        "most_digits",
        "pw",
        "raw",
        "runs",
        "sec",
        "typo_stems",
        "url",
    )

    pw: list[int]
    sec: list[int]
    at: list[tuple[int, int]]
    bearer: list[int]
    url: list[int]
    cli: list[int]
    cred: list[int]
    as_words: list[tuple[int, int]]
    key_hints: list[int]
    iban_words: list[int]  # ends of "iban" and transfer words
    aws_ids: list[int]  # starts of AWS_ID_PREFIXES, in any case
    aws_words: list[int]  # starts of AWS_WORDS
    typo_stems: list[int]  # starts of TYPO_STEMS
    # Windows over whitespace-separated words of 12 or more characters (see ``long_words``). Made here, not
    # on a finder's first call: the detector asks for them in every message.
    long: list[tuple[int, int]]
    longest: int  # the length of the longest word (0 under 12; not lowered by release_long_tokens)
    most_digits: int  # the most digits of any run in ``runs`` (0 without one)
    # The iban_anchors right after a letter: where find_cards looks for a card glued to its word
    # ("number4245..."); without one, and without a run of 12 digits, a text holds no card.
    glued_anchors: list[int]

    def __init__(self, raw: str) -> None:
        # Finders read a copy in which no-break and other typographic spaces are spaces and full-width
        # forms are ASCII ("4226\u00a04177…", "０９０－７９６３", "x＠y.jp"), as NFKC would make them but
        # character for character, so every offset still points into the text as written.
        if not raw.isascii():
            raw = plain_forms(raw)
        self.raw = raw
        # (lower_same_length's own first step inline: only a text holding "İ" needs more, and this runs
        # on every message.)
        low = raw.lower()
        if len(low) != len(raw):
            low = lower_same_length(raw)
        self.low = low
        self.long, self.longest = long_words(raw)
        self.runs, self.iban_anchors, self.glued_anchors, self.most_digits = numeric_runs(low)
        keywords = find_keywords(low)
        if not keywords:
            # Most messages hold no trigger word: one empty list for every int list and one for the pairs
            # (nothing appends to them after this), instead of eleven. Finders only read them.
            none: list[int] = []
            no_pairs: list[tuple[int, int]] = []
            self.pw = self.sec = self.bearer = self.url = self.cli = self.cred = none
            self.key_hints = self.iban_words = self.aws_ids = self.aws_words = self.typo_stems = none
            self.at = self.as_words = no_pairs
            return
        # (In the order of _START_BITS.)
        starts: tuple[list[int], ...] = ([], [], [], [], [], [], [], [], [], [])
        (
            self.pw,
            self.sec,
            self.bearer,
            self.url,
            self.cli,
            self.cred,
            self.key_hints,
            self.aws_ids,
            self.aws_words,
            self.typo_stems,
        ) = starts
        self.at = []
        self.as_words = []
        self.iban_words = []
        for index, start, end in keywords:
            for into in _INTO[index]:
                starts[into].append(start)
            flags = _FLAGS[index]
            if flags & _NEEDS_END:
                if flags & _AS:
                    self.as_words.append((start, end))
                if flags & _IBAN:
                    self.iban_words.append(end)
                # " at", "(at", " arroba"...: a spelled-out "at" when a space or closing bracket follows.
                if flags & _AT and end < len(low) and low[end] in _AT_CLOSERS:
                    self.at.append((start + 1, end))
        # Reported by end: several stems can start at one place ("contrase", "contraseña"), and a shorter
        # one inside a longer one ends first. Each start once, in order.
        pw, sec = self.pw, self.sec
        if len(pw) > 1:
            self.pw = sorted(set(pw))
        if len(sec) > 1:
            self.sec = sorted(set(sec))
        if len(self.key_hints) > 1:
            self.key_hints.sort()
        if len(self.iban_words) > 1:
            self.iban_words.sort()

    @property
    def ssn_hint(self) -> bool:
        return any(h in self.low for h in _SSN_HINTS)

    def numeric(self, min_digits: int) -> list[tuple[int, int]]:
        """Windows (start, end) around digit runs holding at least ``min_digits`` digits; the end reaches a
        little past the run so that end-of-match lookaheads see the real next characters."""
        # (Each finder asks once, each for its own count: nothing to keep.)
        return [(lo, hi) for lo, hi, n in self.runs if n >= min_digits]

    def release_long_tokens(self, spans: list[tuple[int, int]]) -> None:
        """Forget the long tokens inside ``spans`` (the lines of a private key already found): no other
        finder needs to look at them again."""
        # Both are in order and the spans disjoint: one walk through the two lists.
        kept = []
        i, n = 0, len(spans)
        for lo, hi in self.long:
            while i < n and spans[i][1] < lo:
                i += 1
            if i < n and spans[i][0] <= lo and hi - 1 <= spans[i][1]:
                continue
            kept.append((lo, hi))
        self.long = kept

    def long_tokens(self) -> list[tuple[int, int]]:
        """Windows over whitespace-separated words of 12 or more characters (see ``long_words``)."""
        return self.long
