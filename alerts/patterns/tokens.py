"""Machine credentials: provider API keys, generic key=value secrets, AWS keys, JWTs, bearer tokens and
private keys."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Final

from ._common import (
    Hit,
    char_classes,
    is_placeholder,
    looks_like_code_reference,
    mail_header,
    outranked,
    shannon_entropy,
)
from ._text import Text

_B: Final = r"(?<![A-Za-z0-9_\-])"  # a token starts here, not inside a longer one
_E: Final = r"(?![A-Za-z0-9_\-])"

# Formats whose prefix alone identifies the issuer. One alternation: the engine skips positions that cannot
# start any of them, so the cost stays near one pass over the text.
_PREFIXED: Final = re.compile(
    _B
    + r"(?:"
    + "|".join(
        (
            r"gh[pousr]_[A-Za-z0-9]{36,255}",  # GitHub tokens
            r"github_pat_[A-Za-z0-9_]{60,255}",  # GitHub fine-grained tokens
            r"glpat-[A-Za-z0-9_\-]{20,}",  # GitLab
            r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,247}",  # Stripe
            r"whsec_[A-Za-z0-9]{24,}",  # Stripe webhook secret
            r"xox[abposr]-[A-Za-z0-9\-]{10,250}",  # Slack
            r"xapp-\d-[A-Za-z0-9\-]{10,250}",  # Slack app-level token
            r"AIza[0-9A-Za-z_\-]{35}",  # Google API key
            r"ya29\.[0-9A-Za-z_\-]{20,}",  # Google OAuth access token
            r"GOCSPX-[0-9A-Za-z_\-]{20,}",  # Google OAuth client secret
            r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{32,}",  # Anthropic
            r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",  # OpenAI-style
            r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}",  # SendGrid
            r"(?:SK|AC)[0-9a-f]{32}",  # Twilio API key / account SID
            r"key-[0-9a-f]{32}",  # Mailgun
            r"[0-9a-f]{32}-us\d{1,2}",  # Mailchimp
            r"npm_[A-Za-z0-9]{36}",  # npm
            r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",  # PyPI
            r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",  # Shopify
            r"dop_v1_[a-f0-9]{64}",  # DigitalOcean
            r"hf_[A-Za-z0-9]{30,}",  # Hugging Face
            r"sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,}",  # Square
            r"EAAA[0-9A-Za-z_\-]{60}",  # Square access token
            r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",  # Postman
            r"dapi[a-f0-9]{32}",  # Databricks
            r"secret_[A-Za-z0-9]{43}",  # Notion
            r"lin_api_[A-Za-z0-9]{40}",  # Linear
            r"NRAK-[A-Z0-9]{27}",  # New Relic
            r"dp\.(?:st|pt|ct|sa)\.[A-Za-z0-9_\-]{40,}",  # Doppler
            r"ATATT[A-Za-z0-9_\-=]{50,}",  # Atlassian
            r"AKCp[A-Za-z0-9]{69}",  # JFrog
            r"\d{8,10}:AA[A-Za-z0-9_\-]{33}",  # Telegram bot
            r"rzp_(?:live|test)_[A-Za-z0-9]{14}",  # Razorpay
            r"FLWSECK-[a-f0-9]{32}-X",  # Flutterwave
            # Discord bot token: the bot's id in base64 (its digits make the first letter M, N or O), a
            # timestamp and an HMAC.
            r"[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}",
        )
    )
    + r")"
    + _E
)
# Telegram's API URLs carry the bot token right after "/bot": api.telegram.org/bot<id>:AA....
_TELEGRAM_IN_URL: Final = re.compile(r"/bot(\d{8,10}:AA[A-Za-z0-9_\-]{33})(?![A-Za-z0-9_\-])")
_SECRET_HEADER: Final = re.compile(r"key|token|secret|auth|pass|cookie|session|credential|bearer|pw")
_ENCODED: Final = ("?B?", "?b?")
_OAUTH_ACCESS: Final = ("ya29.", "gho_", "ghu_", "ghs_")
# Base58 addresses of Tron (T...) and Bitcoin (1..., 3...): told from a key by the words before them.
_WALLET_ADDRESS: Final = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}|[13][1-9A-HJ-NP-Za-km-z]{25,34}")
_WALLET_WORDS: Final = re.compile(
    r"wallet|billetera|cartera|carteira|portefeuille|portafoglio|portemonnee|brieftasche|кошел|cüzdan|"
    r"钱包|錢包|ウォレット|지갑|محفظة|bitcoin|btc|usdt|trc-?20|tron|crypto|krypto|address"
)
_SLACK_WEBHOOK: Final = re.compile(
    r"https://hooks\.slack\.com/services/T[A-Za-z0-9]{6,12}/B[A-Za-z0-9]{6,12}/[A-Za-z0-9]{20,32}"
)

# A secret named in the text, then its value: "api_key=...", "STRIPE_SECRET: ...", "the token is ...".
_SECRET_KW: Final = (
    r"api[_\- ]?keys?|apikey|api[_\- ]?secret|api[_\- ]?token|app[_\- ]?(?:key|secret)|client[_\- ]?secret|"
    r"consumer[_\- ]?secret|secret[_\- ]?key|secret|access[_\- ]?token|auth[_\- ]?token|refresh[_\- ]?token|"
    r"bot[_\- ]?token|private[_\- ]?token|personal[_\- ]?access[_\- ]?token|session[_\- ]?token|token|"
    r"x-api-key|signing[_\- ]?key|webhook[_\- ]?secret|encryption[_\- ]?key|master[_\- ]?key|"
    r"license[_\- ]?key|"
    r"access[_\- ]?key|clé[ \t]api|clé[ \t]d'api|api-schlüssel|schlüssel|ключ(?:[ \t]api)?|токен|"
    r"clave[ \t](?:de[ \t])?api|"
    r"chave[ \t](?:de[ \t])?api|jeton|credentials?"
)
_STRONG_NAME: Final = re.compile(
    r"(?:api|access|auth|client|secret|bot|refresh|private|session|app)[_\- ]?(?:key|token|secret)|apikey|"
    r"chave[ \t](?:de[ \t])?api|clave[ \t](?:de[ \t])?api|clé[ \t](?:d')?api"
)
_JOINED_WORDS: Final = re.compile(r"[A-Za-z]+(?:[_\-.][A-Za-z0-9]+)+")
_GENERIC: Final = re.compile(
    rf"(?:[A-Za-z0-9]{{1,20}}[_\-.]){{0,3}}(?:{_SECRET_KW})(?:[_\-][A-Za-z0-9]{{1,20}})?"
    r"(?:[ \t]+(?:for|of|für|pour|para|для|от|de|do|da|del|di|du|des|van|voor|dla|för)"
    r"(?:[ \t]+[^\s:=\"']{1,30}){1,3})?"
    r"(?:[ \t]*[\"']?[ \t]*(?::=|=>|->|[:=：])[ \t]*|[ \t]+(?:is|ist|est|es|é|это|=)[ \t]+(?:now[ \t]+)?|"
    # Nothing between ("API key 9bfa8c13..."): find_generic_secrets then asks more of name and value.
    r"[\"']?[ \t]*\r?\n[ \t]*value[ \t]*:[ \t]*|(?P<bare_sp>[ \t]+))"
    # Quoted, a value may hold any symbol (Django's SECRET_KEY = '...&9MV...$do...'); bare, only token ones.
    r"(?:\"(?P<dq>[^\"\s]{12,256})\"|'(?P<sq>[^'\s]{12,256})'|[\"'`]?(?P<value>[A-Za-z0-9_\-+/=.~]{12,256}))"
)

# No lookbehind in front: the engine then jumps from one "A" to the next at C speed; find_aws checks the
# character before.
_AWS_ID: Final = re.compile(
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"
)
_ASCII_ALNUM: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_AWS_SECRET: Final = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# The names a 40-character AWS secret can be assigned to: made of these words, or naming AWS.
_AWS_SECRET_NAME_WORDS: Final = frozenset({"", "aws", "amazon", "secret", "secrets", "key", "access", "sk"})
_NAME_PARTS: Final = re.compile(r"[_.\-]+")
_AWS_SECRET_NAMES: Final = ("aws", "amazon", "secretaccess", "secret_access", "secret-access", "accesskey")
# Django's SECRET_KEY is 40 characters of base64 too: "secret key" alone does not say AWS.
_AWS_SECRET_CONTEXT: Final = re.compile(r"aws|amazon|secret[_\- ]?access|\bs3\b")

_JWT: Final = re.compile(
    r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*(?![A-Za-z0-9_\-.])"
)
_BEARER: Final = re.compile(
    r"(?<![A-Za-z])bearer\)?[ \t]*:?[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{12,512}=*)(?![A-Za-z0-9\-._~+/=])"
)

_PEM_BEGIN: Final = re.compile(r"-----BEGIN[ ]([A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?)-----")
# At least 40 (16) letters or digits: a pattern that stops counting there, not a count of the whole body.
_BODY_40: Final = re.compile(r"(?:[\W_]*[^\W_]){40}")
_BODY_16: Final = re.compile(r"(?:[\W_]*[^\W_]){16}")
_PEM_BODY: Final = re.compile(r"(?:[A-Za-z0-9+/=:,\-\s]|\\[nr])*")


# Words that turn a well-formed key into documentation: "xoxb-your-token", "sk-your-key-here".
# (Runs of x are judged by their share of the key instead: "glpat-xxxxYYYY..." may still be real.)
_FILLER_WORDS: Final = ("your", "here", "placeholder", "redacted", "changeme", "example", "dummy", "token")


def _secretish(value: str, *, min_len: int = 16) -> bool:
    """Random enough to be a key: mixed characters and high entropy, not a placeholder, an identifier, a
    URL ("token_uri": "https://oauth2.googleapis.com/token") or a file path ("API_TOKEN_FILE: /run/...")."""
    if len(value) < min_len or char_classes(value) < 2:
        return False
    if "://" in value or value.startswith(("/", "./", "~/", "../")):
        return False
    low = value.lower()
    if any(w in low for w in ("your", "xxxx", "here", "placeholder", "redacted", "changeme", "example.com")):
        return False
    if is_placeholder(value) or looks_like_code_reference(value):
        return False
    return shannon_entropy(value) >= 3.0


def find_prefixed_keys(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text = t.raw
    hints, i = t.key_hints, 0
    for lo, hi in t.long_tokens():
        # Only words holding an issuer prefix (Text.key_hints) or long enough for a Twilio SID (34).
        while i < len(hints) and hints[i] < lo:
            i += 1
        if hi - lo < 34 and not (i < len(hints) and hints[i] < hi):
            continue
        for m in _PREFIXED.finditer(text, lo, hi):
            value = m.group()
            low = value.lower()
            if (
                low.count("x") > len(value) // 2
                or is_placeholder(value)
                or any(w in low for w in _FILLER_WORDS)
            ):
                continue
            # OAuth access tokens (Google's ya29., GitHub's gho_/ghu_/ghs_): after "Bearer" each is the bearer
            # token (find_bearer reports it), not an API key; a personal access token (ghp_) stays a key.
            if low.startswith(_OAUTH_ACCESS) and "bearer" in t.low[max(0, m.start() - 10) : m.start()]:
                continue
            out.append(Hit("api_key", m.start(), m.end()))
    if "/bot" in text:
        for m in _TELEGRAM_IN_URL.finditer(text):
            out.append(Hit("api_key", m.start(1), m.end(1)))
    if "hooks.slack.com" in text:
        for m in _SLACK_WEBHOOK.finditer(text):
            out.append(Hit("api_key", m.start(), m.end()))
    return out


_IDENT: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def _generic_starts(t: Text) -> list[int]:
    """Where a secret's name can start: the start of the identifier holding a keyword, and the word before
    it ("API key", "access token")."""
    out: list[int] = []
    low, seen = t.low, -1
    for p in t.sec:
        q = p
        while q > 0 and p - q < 64 and low[q - 1] in _IDENT:
            q -= 1
        if q <= seen or (q > 0 and low[q - 1].isalpha()):
            continue
        seen = q
        out.append(q)
        if q >= 2 and low[q - 1] in " -":
            w = q - 1
            while w > 0 and q - w < 16 and low[w - 1].isalpha():
                w -= 1
            if w < q - 1 and (w == 0 or not low[w - 1].isalnum()):
                out.append(w)
    return out


def find_generic_secrets(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text = t.raw
    covered = 0  # a value already read covers the keywords inside it: each character is read once
    for q in _generic_starts(t):
        if q < covered:
            continue
        m = _GENERIC.match(t.low, q)  # the lower-cased text has the same offsets; the value comes from raw
        if m is None:
            continue
        group = "dq" if m.start("dq") >= 0 else "sq" if m.start("sq") >= 0 else "value"
        start = m.start(group)
        value = text[start : m.end(group)]
        if group == "value":
            value = value.rstrip(".")
        # With no ':', '=' or 'is' between, only a two-word name of a secret ("API key", "access token")
        # followed by a key-shaped value (long, letters and digits, not words joined by "_" or "-") counts;
        # a bare "token" or "secret" is too often the sentence going on.
        if m.start("bare_sp") >= 0 and not (
            _STRONG_NAME.search(t.low, q, m.start("bare_sp")) is not None
            and len(value) >= 16
            and sum(c.isdigit() for c in value) >= 2
            and any(c.isalpha() for c in value)
            and _JOINED_WORDS.fullmatch(value) is None
        ):
            continue
        covered = m.end()
        # SECRET_KEY = get_random_secret_key(): code that makes the value, not the value.
        if text.startswith("(", start + len(value)):
            continue
        if _secretish(value):
            # The name says whose secret it is: "aws_secret_access_key", "AWS secret".
            name = t.low[q:start]
            kind = (
                "aws_key"
                if "aws" in name or "secret_access" in name or "secret access" in name
                else "api_key"
            )
            out.append(Hit(kind, start, start + len(value)))
    return out


def _assigned_name(line: str) -> str:
    """The name a line ends assigning to ("jwt_secret" of 'JWT_SECRET=' or '"jwt_secret": "'), or ""."""
    end = len(line.rstrip(" \t\"'"))
    if end == 0 or line[end - 1] not in ":=":
        return ""
    end = len(line[: end - 1].rstrip(" \t\"'"))
    start = end
    while start > 0 and line[start - 1] in _IDENT:
        start -= 1
    return line[start:end]


def find_aws(t: Text) -> list[Hit]:
    out: list[Hit] = []
    if not t.long_tokens():
        return out
    raw, low = t.raw, t.low
    ids = [
        m
        for m in _AWS_ID.finditer(raw)
        if (m.start() == 0 or raw[m.start() - 1] not in _ASCII_ALNUM) and not is_placeholder(m.group()[4:])
    ]
    for m in ids:
        out.append(Hit("aws_key", m.start(), m.end()))
    # A secret key counts only near an AWS word or an access key id: without either, nothing to look for.
    if not ids and not t.aws_hint and "access" not in low and "s3" not in low:
        return out
    # A secret key is 40 characters: shorter words cannot hold one.
    secrets = [m for lo, hi in t.long_tokens() if hi - lo >= 40 for m in _AWS_SECRET.finditer(raw, lo, hi)]
    for m in secrets:
        value = m.group()
        # Secret keys are base64: both cases and a digit or symbol. Git SHAs (lower hex) never are.
        if value.lower() == value or value.upper() == value or is_placeholder(value):
            continue
        near = low[max(0, m.start() - 120) : m.start()]
        # A value assigned to another service's setting ("JWT_SECRET=..." a line after an AWS key id) is that
        # setting's: find_generic_secrets reads it under its own name. ("secret_key=" says nothing else.)
        name = _assigned_name(near[near.rfind("\n") + 1 :])
        if name:
            if not (
                _AWS_SECRET_NAME_WORDS.issuperset(_NAME_PARTS.split(name))
                or any(w in name for w in _AWS_SECRET_NAMES)
            ):
                continue
        if not (_AWS_SECRET_CONTEXT.search(near) or any(abs(i.start() - m.start()) < 300 for i in ids)):
            continue
        if (any(map(str.isdigit, value)) or "/" in value or "+" in value) and shannon_entropy(value) >= 4.0:
            out.append(Hit("aws_key", m.start(), m.end()))
    return out


def _b64_json(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return b""


def find_jwts(t: Text) -> list[Hit]:
    out: list[Hit] = []
    raw = t.raw
    for m in (m for lo, hi in t.long_tokens() if "eyJ" in raw[lo:hi] for m in _JWT.finditer(raw, lo, hi)):
        header = _b64_json(m.group().split(".", 1)[0])
        if b'"alg"' in header or b'"typ"' in header:
            out.append(Hit("jwt", m.start(), m.end()))
    return out


def find_bearer(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    """``claimed``: findings so far. A JWT or provider key after "Bearer" was found as that already and
    wins the overlap: it is not judged again (judging a long token is the costly part)."""
    out: list[Hit] = []
    for p in t.bearer:
        m = _BEARER.match(t.low, p)
        if m is None:
            continue
        start, end = m.start("value"), m.end("value")
        if outranked(start, end, "bearer_token", claimed):
            continue
        if _secretish(t.raw[start:end]):
            out.append(Hit("bearer_token", m.start("value"), m.end("value")))
    return out


def find_private_keys(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text = t.raw
    if "PRIVATE KEY" not in text:
        return out
    pos = 0
    missing: set[str] = set()  # labels whose END is known absent: no re-search, so linear in the text
    while True:
        m = _PEM_BEGIN.search(text, pos)
        if m is None:
            return out
        end_marker = f"-----END {m.group(1)}-----"
        end = -1 if end_marker in missing else text.find(end_marker, m.end())
        if end < 0:
            missing.add(end_marker)
        if end >= 0:
            stop = end + len(end_marker)
            body = text[m.end() : end]
        else:
            # Truncated paste: the key is the base64 body that follows, escaped newlines and all.
            b = _PEM_BODY.match(text, m.end())
            stop = b.end() if b else m.end()
            body = text[m.end() : stop]
            stop = m.end() + len(body.rstrip())
        # A whole block needs a real body (not "..."); a truncated paste needs enough of one to be a leak.
        needed = _BODY_40 if end >= 0 else _BODY_16
        if needed.match(body.replace("\\n", "")) is not None:
            out.append(Hit("private_key", m.start(), stop))
            pos = stop
        else:
            pos = m.end()
    return out


# A long random-looking token with no keyword at all ("oops, pasted aODgNF...Ox in the channel"). Only
# tokens that mix upper case, lower case and digits qualify: hex digests, UUIDs and git SHAs never do.
# Not after "$": the tail of a crypt/bcrypt hash ($2b$12$...) is no key.
_LOOSE: Final = re.compile(
    r"(?<![A-Za-z0-9_\-+/=.~:@$])[A-Za-z0-9_\-+/]{20,100}={0,2}(?![A-Za-z0-9_\-+/=~@]|\.\w)"
)
# Digests, ids and public keys look random too; the word before them says what they are.
_DIGEST_CONTEXT: Final = re.compile(
    r"(?:sha\d*|md5|integrity|checksum|digest|hash|etag|nonce|id|ref|commit|ssh-rsa|ssh-ed25519|ssh-dss|"
    # gRPC's "-bin" headers carry binary metadata as base64 ("grpc-status-details-bin: CG8S...").
    r"ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|playlist|video|channel|base64|-bin)[\s:=\-\"']*$"
)


_OBJECT_ID: Final = re.compile(
    r"(?:cus|pi|ch|in|sub|si|prod|price|evt|txn|pm|seti|src|tok|re|po|tr|ii|il|sku|plan|req|acct|cs|py|pyr|"
    r"ba|card|file|link|mandate|payout|dp|du|ipi|iauth|ic|iv|prv|sq|obj|usr|org|team|proj)_[A-Za-z0-9]+$"
)
_PEM_ANY: Final = re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----")
_SRI_PREFIXES: Final = ("sha1-", "sha256-", "sha384-", "sha512-")
_TWO_DIGITS: Final = re.compile(r"[0-9][^0-9]*[0-9]")
# Eight lower-case letters in a row read as a word: camelCase and snake_case identifiers.
_WORDLIKE: Final = re.compile(r"[a-z]{8}")


def _pem_ranges(text: str) -> list[tuple[int, int]]:
    """Certificates and public keys are base64 too, and not secret."""
    ranges = []
    for m in _PEM_ANY.finditer(text):
        end = text.find("-----END", m.end())
        if end < 0:
            ranges.append((m.start(), len(text)))
            break  # no END further on for any later BEGIN either: stop rather than search again
        ranges.append((m.start(), end))
    return ranges


def find_loose_tokens(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    """``claimed``: hits already made; a word they overlap is not looked at again."""
    out: list[Hit] = []
    text, low = t.raw, t.low
    pem = _pem_ranges(text) if "-----BEGIN" in text else []
    windows = []
    for lo, hi in t.long_tokens():
        word = text[lo:hi]
        # Cheap first: a random token mixes cases; most long words (URLs, hashes, prose) do not.
        if word.lower() == word or word.upper() == word or any(a <= lo < b for a, b in pem):
            continue
        # data:image/png;base64,... is an inlined file.
        if "base64," in word:
            continue
        if any(h.start < hi and lo < h.end for h in claimed):
            continue
        windows.append((lo, hi))
    for m in (m for lo, hi in windows for m in _LOOSE.finditer(text, lo, hi)):
        value = m.group()
        if value.lower() == value or value.upper() == value:
            continue
        if _TWO_DIGITS.search(value) is None or shannon_entropy(value) < 3.8:
            continue
        # Inside a URL it is a document or object id, which is what links are made of.
        line_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        if "://" in text[line_start : m.start()] or _DIGEST_CONTEXT.search(
            low[max(0, m.start() - 20) : m.start()]
        ):
            continue
        # Object ids of payment and SaaS APIs (cus_, pi_, evt_...) name records, they open nothing;
        # subresource-integrity hashes (sha512-...) and a lone JWT header (base64 JSON) hold no secret.
        if _OBJECT_ID.match(value) or value.startswith(_SRI_PREFIXES) or value.startswith("eyJ"):
            continue
        # Identifiers in camelCase or snake_case: long runs of lower case letters read as words.
        if _WORDLIKE.search(value) is not None or is_placeholder(value):
            continue
        # The value of a pasted mail or HTTP header whose name says no secret (DKIM and ARC signatures,
        # Thread-Index, X-Request-Id, UID...) identifies or signs something public; so does a name encoded
        # in a header ("=?UTF-8?B?...?=").
        # (A header's name has a hyphen, "UID" aside: "Twilio: account ..., secret ..." is a sentence.)
        header = mail_header(text, m.start())
        if (("-" in header or header == "uid") and _SECRET_HEADER.search(header) is None) or text[
            m.start() - 3 : m.start()
        ] in _ENCODED:
            continue
        # A wallet's address is given out to be paid: public, not a secret.
        if _WALLET_ADDRESS.fullmatch(value) is not None and _WALLET_WORDS.search(
            low[max(0, m.start() - 60) : m.start()]
        ):
            continue
        out.append(Hit("loose_api_key", m.start(), m.end()))
    return out
