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
    entropy_at_least,
    find_all,
    is_placeholder,
    looks_like_code_reference,
    mail_header,
    outranked,
)
from ._text import AWS_ID_PREFIXES, Text

_B: Final = r"(?<![A-Za-z0-9_\-])"  # a token starts here, not inside a longer one
_E: Final = r"(?![A-Za-z0-9_\-])"

# Formats whose prefix alone identifies the issuer, as each vendor documents its keys: (vendor, prefix and
# body: length and alphabet). One alternation: the engine skips positions that cannot start any of them, so
# the cost stays near one pass over the text. Every format holds one of alerts.patterns._text.KEY_HINTS
# (or is 34 characters or more): tests/unit/detector/test_engine.py holds the two lists together.
VENDOR_FORMATS: Final[tuple[tuple[str, str], ...]] = (
    ("GitHub", r"gh[pousr]_[A-Za-z0-9]{36,255}"),
    ("GitHub fine-grained", r"github_pat_[A-Za-z0-9_]{60,255}"),
    # GitLab: personal, deploy, runner, pipeline-trigger, SCIM/OAuth, CI build, incoming-mail, agent, feed,
    # feature-flag tokens and runner registration tokens.
    ("GitLab", r"gl(?:pat|dt|rt|ptt|soat|oas|cbt|imt|agent|ft|ffct|rtr)-[A-Za-z0-9_\-]{20,}"),
    ("GitLab runner registration", r"GR1348941[A-Za-z0-9_\-]{20,}"),
    # (Not the publishable pk_ keys: Stripe makes them public, in every web page that takes a payment.)
    ("Stripe secret and restricted keys", r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}"),
    ("Stripe webhook secret", r"whsec_[A-Za-z0-9]{24,}"),
    # Slack: bot, user, app, config, refresh and legacy tokens (xoxb-, xoxp-, xoxa-, xoxe-, xoxe.xoxp-...).
    ("Slack", r"xox(?:[abposrce]|e\.xox[bp])-[A-Za-z0-9\-]{10,250}"),
    ("Slack app-level", r"xapp-\d-[A-Za-z0-9\-]{10,250}"),
    ("Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("Google OAuth access token", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    ("Google OAuth client secret", r"GOCSPX-[0-9A-Za-z_\-]{20,}"),
    ("Anthropic", r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_\-]{32,}"),
    ("OpenAI and OpenAI-style", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("SendGrid", r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}"),
    ("Twilio API key / account SID", r"(?:SK|AC)[0-9a-f]{32}"),
    ("Mailgun", r"key-(?=[a-z]*\d[a-z]*\d)[0-9a-z]{32}"),
    ("Mailchimp", r"[0-9a-f]{32}-us\d{1,2}"),
    ("npm", r"npm_[A-Za-z0-9]{36}"),
    ("PyPI", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    ("Shopify", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),
    ("DigitalOcean", r"do[opr]_v1_[a-f0-9]{64}"),
    ("Hugging Face user token", r"hf_[A-Za-z0-9]{30,}"),
    ("Hugging Face organization token", r"api_org_[A-Za-z0-9]{30,}"),
    ("Square", r"sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,}"),
    ("Square access token", r"EAAA[0-9A-Za-z_\-]{60}"),
    ("Facebook / Meta access token", r"EAA[A-Za-z0-9]{80,}"),
    ("Postman", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    ("Databricks", r"dapi[a-f0-9]{32}(?:-\d{1,2})?"),
    ("Notion", r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,50})"),
    ("Linear", r"lin_(?:api|oauth)_[A-Za-z0-9]{40}"),
    ("New Relic", r"NRAK-[A-Z0-9]{27}"),
    ("Doppler", r"dp\.(?:st|pt|ct|sa|scim|audit)\.[A-Za-z0-9_\-.]{40,}"),
    ("Atlassian", r"AT(?:ATT|CTT|OAT)[A-Za-z0-9_\-=]{50,}"),
    ("JFrog", r"AKCp[A-Za-z0-9]{69}"),
    ("Telegram bot", r"\d{8,10}:AA[A-Za-z0-9_\-]{33}"),
    ("Razorpay", r"rzp_(?:live|test)_[A-Za-z0-9]{14}"),
    ("Flutterwave", r"FLWSECK-[a-f0-9]{32}-X"),
    # HashiCorp Vault: service, batch and recovery tokens.
    ("HashiCorp Vault", r"hv[sbr]\.[A-Za-z0-9_\-]{24,}"),
    # Grafana: Cloud access policy tokens (glc_ and base64 JSON) and service-account tokens.
    ("Grafana Cloud", r"glc_[A-Za-z0-9+/]{32,}={0,2}"),
    ("Grafana service account", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    ("fly.io", r"(?:fo1_[A-Za-z0-9_\-]{39,}|fm[12][ar]?_[A-Za-z0-9+/_\-]{40,}={0,2})"),
    ("age secret key", r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}"),
    ("1Password service account", r"ops_eyJ[A-Za-z0-9+/_\-]{40,}={0,2}"),
    (
        "1Password secret key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
    ),
    ("Sentry organization token", r"sntrys_eyJ[A-Za-z0-9+/_\-]{40,}={0,2}(?:_[A-Za-z0-9+/]{40,}={0,2})?"),
    ("Sentry user token", r"sntryu_[a-f0-9]{64}"),
    ("Cloudflare origin CA key", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    ("OpenShift", r"sha256~[A-Za-z0-9_\-]{43}"),
    ("Heroku", r"HRKU-AA[A-Za-z0-9_\-]{58}"),
    ("Supabase", r"sbp_[a-f0-9]{40}"),
    ("PlanetScale", r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_\-.]{32,64}"),
    ("Pulumi", r"pul-[a-f0-9]{40}"),
    ("Netlify", r"nfp_[A-Za-z0-9]{36}"),
    ("Figma", r"figd_[A-Za-z0-9_\-]{40}"),
    ("Tailscale", r"tskey-(?:api|auth|client|webhook)-[A-Za-z0-9]{8,}-[A-Za-z0-9]{16,}"),
    ("Buildkite", r"bkua_[a-f0-9]{40}"),
    ("Replicate", r"r8_[A-Za-z0-9]{37}"),
    ("Groq", r"gsk_[A-Za-z0-9]{52}"),
    ("xAI", r"xai-[A-Za-z0-9]{80}"),
    ("Perplexity", r"pplx-[A-Za-z0-9]{48}"),
    ("Contentful", r"CFPAT-[A-Za-z0-9_\-]{43}"),
    ("Dynatrace", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    ("Typeform", r"tfp_[A-Za-z0-9_\-]{40,}"),
    ("Docker Hub personal and organization access tokens", r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,}"),
    ("Shippo", r"shippo_(?:live|test)_[a-f0-9]{40}"),
    ("NuGet API key", r"oy2[a-z0-9]{43}"),
    ("RubyGems API key", r"rubygems_[a-f0-9]{48}"),
    # SonarQube: project, global-analysis and user tokens.
    ("SonarQube", r"sq[pau]_[a-f0-9]{40}"),
    ("ReadMe", r"rdme_[a-z0-9]{70}"),
    ("Adafruit IO", r"aio_[A-Za-z0-9]{28}"),
    ("Airtable personal access token", r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
    ("Alibaba Cloud AccessKey ID", r"LTAI[A-Za-z0-9]{12,20}"),
    # Discord bot token: the bot's id in base64 (its digits make the first letter M, N or O), a timestamp
    # and an HMAC.
    ("Discord bot", r"[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}"),
    # LangSmith (LangChain): personal and service keys.
    ("LangSmith", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
    # (Each of the formats below is 34 characters or more: find_prefixed_keys reads them by length.)
    ("Firebase Cloud Messaging server key", r"AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{120,160}"),
    ("Tencent Cloud SecretId", r"AKID[A-Za-z0-9]{32}"),
    ("Braintree access token", r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}"),
    ("LaunchDarkly SDK key", r"sdk-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
    (
        "HubSpot private app token",
        r"pat-(?:na|eu|ap)\d-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
    ),
    # (An app password, but Bitbucket issues it for API calls, as a key: not a person's password.)
    ("Bitbucket app password", r"ATBB[A-Za-z0-9_=.\-]{32,64}"),
    ("Duffel", r"duffel_(?:live|test)_[A-Za-z0-9_\-]{43}"),
    ("EasyPost", r"EZ[AT]K[a-f0-9]{54}"),
    ("Prefect", r"pnu_[A-Za-z0-9]{36}"),
    ("Lob", r"(?:live|test)_[a-f0-9]{35}"),
)
_PREFIXED: Final = re.compile(_B + "(?:" + "|".join(pattern for _, pattern in VENDOR_FORMATS) + ")" + _E)
# Formats whose mark is inside the key, not at its start: run only on words holding the mark (a leading
# character class in the alternation above would make the engine try every position of every long word).
MARKED_FORMATS: Final[tuple[tuple[str, str, str], ...]] = (
    # Azure AD (Entra) client secrets: three characters, a digit, "Q~", then 31 to 34 more as issued today;
    # the mark is what identifies them, so a few more or fewer are read too (older and pasted ones vary).
    ("Azure AD client secret", "q~", r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{30,40}"),
    ("Terraform Cloud", ".atlasv1.", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-]{60,}"),
)
_MARKED: Final = tuple((mark, re.compile(_B + pattern + _E)) for _, mark, pattern in MARKED_FORMATS)
# Telegram's API URLs carry the bot token right after "/bot": api.telegram.org/bot<id>:AA....
_TELEGRAM_IN_URL: Final = re.compile(r"/bot(\d{8,10}:AA[A-Za-z0-9_\-]{33})(?![A-Za-z0-9_\-])")
_SECRET_HEADER: Final = re.compile(r"key|token|secret|auth|pass|cookie|session|credential|bearer|pw")
_ENCODED: Final = ("?B?", "?b?")
# OAuth access tokens: Google's, GitHub's OAuth, user-to-server and server-to-server tokens, Meta's.
_OAUTH_ACCESS: Final = ("ya29.", "gho_", "ghu_", "ghs_", "eaa")
# Base58 addresses of Tron (T...) and Bitcoin (1..., 3...): told from a key by the words before them.
_WALLET_ADDRESS: Final = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}|[13][1-9A-HJ-NP-Za-km-z]{25,34}")
_WALLET_WORDS: Final = re.compile(
    r"wallet|billetera|cartera|carteira|portefeuille|portafoglio|portemonnee|brieftasche|кошел|cüzdan|"
    r"钱包|錢包|ウォレット|지갑|محفظة|bitcoin|btc|usdt|trc-?20|tron|crypto|krypto|address"
)
# Discord's webhooks (id, then a 68-character token) and Microsoft Teams' incoming webhooks: whoever has
# the URL can post.
_CHAT_WEBHOOK: Final = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_\-]{60,80}|"
    r"https://[A-Za-z0-9\-]{1,63}\.webhook\.office\.com/webhookb2/[A-Za-z0-9@\-]{36,120}/IncomingWebhook/"
    r"[A-Fa-f0-9]{32}/[A-Za-z0-9\-]{36,}"
)
# Slack's incoming webhooks (services/T.../B.../secret) and Workflow Builder webhooks and triggers.
_SLACK_WEBHOOK: Final = re.compile(
    r"https://hooks\.slack\.com/(?:services/T[A-Za-z0-9]{6,12}/B[A-Za-z0-9]{6,12}/[A-Za-z0-9]{20,32}|"
    r"(?:workflows|triggers)/T[A-Za-z0-9]{6,12}/A[A-Za-z0-9]{6,12}/\d{6,20}/[A-Za-z0-9]{20,40})"
)

# A secret named in the text, then its value: "api_key=...", "STRIPE_SECRET: ...", "the token is ...".
_SECRET_KW: Final = (
    r"api[_\- ]?keys?|apikey|api[_\- ]?secret|api[_\- ]?token|app[_\- ]?(?:key|secret)|client[_\- ]?secret|"
    r"consumer[_\- ]?secret|secret[_\- ]?key|secret|access[_\- ]?token|auth[_\- ]?token|refresh[_\- ]?token|"
    r"bot[_\- ]?token|private[_\- ]?token|personal[_\- ]?access[_\- ]?token|session[_\- ]?token|token|"
    # (X-Auth-Key, X-Auth-Token: the headers Cloudflare's and other APIs take their keys in.)
    r"x-api-key|x-auth-key|x-auth-token|"
    r"signing[_\- ]?key|webhook[_\- ]?secret|encryption[_\- ]?key|master[_\- ]?key|"
    r"license[_\- ]?key|(?:account|application|admin|service|storage|subscription|primary|secondary|shared|"
    r"sas|master|integration|ingest|deploy|write|read)[_\- ]?key|"
    r"access[_\- ]?key|clé[ \t]api|clé[ \t]d'api|api-schlüssel|schlüssel|ключ(?:[ \t]api)?|токен|"
    r"clave[ \t](?:de[ \t])?api|"
    r"chave[ \t](?:de[ \t])?api|jeton|credentials?|"
    # "Key" then whose it is, as French, Spanish, Portuguese and Italian say it ("clé datadog : ..."): the
    # one word, then ':' or '=' at once.
    r"(?:clé|clave|chave|chiave)[ \t][a-z][a-z0-9\-]{1,19}(?=[ \t]*[:=])|"
    # "Key" in more languages ("klucz do api: ...", "chiave API: ..."): with a ':' or '=' after them, as
    # every bare name here.
    r"klucz|chiave|sleutel|nyckel(?:n)?|anahtar(?:ı)?|kulcs|klíč|avain|nøgle|nøkkel|κλειδί|密钥|密鑰|"
    # client(key="..."), Client(api_key, key='...'): "key" alone only as a keyword argument.
    r"(?<=[(,])key|(?<=[(,][ \t])key|"
    # A URL's query parameter (Google's and other APIs take their keys as "?key=...", the query pasted alone
    # too: "key=...&v=2"), and "key:" nested one level under an "api:" (or "auth:", "secrets:") section of
    # YAML.
    r"(?<=[?&])key(?==)|key(?==[A-Za-z0-9_\-.~]{12,256}&)|"
    r"(?:(?<=api:\n  )|(?<=api:\n    )|(?<=auth:\n  )|(?<=auth:\n    )|(?<=secrets:\n  )|"
    r"(?<=secrets:\n    ))key(?=:)"
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
    r"(?:[ \t]*[\"']?[ \t]*(?::=|=>|->|[:=：])[ \t]*|"
    r"[ \t]+(?:is|ist|lautet|est|es|é|это|=)[ \t]+(?:now[ \t]+)?|"
    # Nothing between ("API key 9bfa8c13..."): find_generic_secrets then asks more of name and value.
    r"[\"']?[ \t]*\r?\n[ \t]*value[ \t]*:[ \t]*|"
    # getenv_or("api_token", "..."), config.get('secret_key', '...'): a default given after the name.
    r"[\"'][ \t]*,[ \t]*(?=[\"'])|"
    # A command line's name flag, then its value flag: aws ssm put-parameter --name X_API_KEY --value ...,
    # gh secret set X_TOKEN --body ...; <add key="X_SECRET" value="..."/>; Terraform's variable "x_api_key"
    # { default = "..." } (a type, a description or sensitive = true may come first).
    r"[\"']?[ \t]+--(?:value|body|secret-string)(?:[ \t]+|=)|[\"'][ \t]+value[ \t]*=[ \t]*|"
    r"[\"'][ \t]*\{[ \t]*(?:\r?\n[ \t]*(?:type|description|sensitive)[ \t]*=[^\n]{0,200}){0,3}\r?\n?[ \t]*"
    r"default[ \t]*=[ \t]*|(?P<bare_sp>[ \t]+))"
    # Quoted, a value may hold any symbol (Django's SECRET_KEY = '...&9MV...$do...'); bare, only token ones.
    r"(?:\"(?P<dq>[^\"\s]{12,256})\"|'(?P<sq>[^'\s]{12,256})'|[\"'`]?(?P<value>[A-Za-z0-9_\-+/=.~]{12,256}))"
)

# No lookbehind in front: the engine then jumps from one "A" to the next at C speed; find_aws checks the
# character before.
_AWS_ID: Final = re.compile("(?:" + "|".join(AWS_ID_PREFIXES) + ")" + r"[A-Z0-9]{16}(?![A-Za-z0-9])")
_ASCII_ALNUM: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_AWS_SECRET: Final = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# The names a 40-character AWS secret can be assigned to: made of these words, or naming AWS.
_AWS_SECRET_NAME_WORDS: Final = frozenset({"", "aws", "amazon", "secret", "secrets", "key", "access", "sk"})
_NAME_PARTS: Final = re.compile(r"[_.\-]+")
_AWS_SECRET_NAMES: Final = ("aws", "amazon", "secretaccess", "secret_access", "secret-access", "accesskey")
# Django's SECRET_KEY is 40 characters of base64 too: "secret key" alone does not say AWS.
_AWS_SECRET_CONTEXT: Final = re.compile(r"aws|amazon|secret[_\- ]?access|\bs3\b")

# (A "." after the signature ends the sentence, as long as no fourth segment follows it.)
_JWT: Final = re.compile(
    r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    r"(?![A-Za-z0-9_\-]|\.[A-Za-z0-9_\-])"
)
_BEARER: Final = re.compile(
    r"(?<![A-Za-z])bearer\)?[ \t]*:?[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{12,512}=*)(?![A-Za-z0-9\-._~+/=])"
)

_PEM_BEGIN: Final = re.compile(r"-----BEGIN[ ]([A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?)-----")
# At least 40 (16) letters or digits: a pattern that stops counting there, not a count of the whole body.
_BODY_40: Final = re.compile(r"(?:[\W_]*[^\W_]){40}")
_BODY_16: Final = re.compile(r"(?:[\W_]*[^\W_]){16}")
_PEM_BODY: Final = re.compile(r"(?:[A-Za-z0-9+/=:,\-\s]|\\[nr])*")
_B64_START: Final = re.compile(r"(?:[ \t\r\n]|\\[nr]){0,8}(?:[A-Za-z0-9+/=]{16}|Proc-Type:)")


# Words that turn a well-formed key into documentation: "xoxb-your-token", "sk-your-key-here".
# (Runs of x are judged by their share of the key instead: "glpat-xxxxYYYY..." may still be real.)
_FILLER_WORDS: Final = ("your", "here", "placeholder", "redacted", "changeme", "example", "dummy", "token")


def _filler_word_in(body: str) -> bool:
    """A filler word written as a word is: in one case or capitalised ("your", "YOUR", "Your"). A random body
    spells one in mixed case by chance ("...J2wyoUr48N5...", a real Anthropic key)."""
    return any(w in body or w.upper() in body or w.capitalize() in body for w in _FILLER_WORDS)


# Words joined by "-", "_" or ".", letters only: a name (X-Webhook-Secret, API_KEY_HEADER), not a value.
_NAME_ONLY: Final = re.compile(r"[A-Za-z]+(?:[_\-./][A-Za-z]+)+")
# Settings whose value is public or no secret: public keys, CSRF tokens, a key's id, a token's type or URL.
_PUBLIC_NAME: Final = re.compile(
    r"public|publishable|csrf|xsrf|(?:key|token|secret|credential)s?[_\-]?(?:id|type|url|uri|endpoint|ttl|"
    r"expir\w*|length|len|name|arn|path|file|ref|version|header|prefix|field|label)\b"
)


_FILLER_IN_VALUE: Final = re.compile(r"your|xxxx|here|placeholder|redacted|changeme|example\.com")


def _secretish(value: str, *, min_len: int = 16) -> bool:
    """Random enough to be a key: mixed characters and high entropy, not a placeholder, an identifier, a
    URL ("token_uri": "https://oauth2.googleapis.com/token") or a file path ("API_TOKEN_FILE: /run/...")."""
    if len(value) < min_len or char_classes(value) < 2:
        return False
    if "://" in value or value.startswith(("/", "./", "~/", "../")):
        return False
    # (One pattern: a generator of substring tests cost more than the rest of the checks before it.)
    if _FILLER_IN_VALUE.search(value.lower()) is not None:
        return False
    if is_placeholder(value) or looks_like_code_reference(value) or _NAME_ONLY.fullmatch(value) is not None:
        return False
    return entropy_at_least(value, 3.0)


_BODY_PARTS: Final = re.compile(r"[_\-.]")


def _placeholder_body(value: str) -> bool:
    """Documentation's keys: the same part repeated ("xoxb-abcdef-abcdef"), or a body too regular to be
    random ("glpat-aaaaaaaabbbbbbbbcccc")."""
    parts = [p for p in _BODY_PARTS.split(value)[1:] if p]
    if len(parts) >= 2 and len(set(parts)) == 1:
        return True
    # The body: what follows a short vendor prefix ("glpat-", "xoxb-"), else the whole key.
    head = _BODY_PARTS.search(value)
    body = value[head.end() :] if head is not None and head.start() <= 12 else value
    if len(body) < 8:
        body = value
    # (Under 2.5 bits a character takes few distinct characters: most keys are ruled out by their set.)
    return len(set(body)) <= 16 and not entropy_at_least(body, 2.5)


# "Authorization: Token 2da0e39...", "Authorization: Bot ...", "Authorization: SSWS ...": a scheme other
# than Bearer (find_bearer) or Basic, then the credential: an API key.
# (Matched on the lower-cased text at each "authorization"; the value is read from the text as written.)
_AUTH_SCHEME: Final = re.compile(
    r"authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:token|bot|key|apikey|api-key|ssws|otp|sharedkey|"
    r"klaviyo-api-key|geniekey|dsn)[ \t]+(?P<value>[a-z0-9\-._~+/]{16,512}=*)(?![a-z0-9\-._~+/=])"
)


def find_auth_schemes(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    out: list[Hit] = []
    low = t.low
    for p in find_all(low, "authorization"):
        m = _AUTH_SCHEME.match(low, p)
        if m is None:
            continue
        start, end = m.span("value")
        if outranked(start, end, "api_key", claimed):
            continue
        if _secretish(t.raw[start:end]):
            out.append(Hit("api_key", start, end))
    return out


def find_prefixed_keys(t: Text) -> list[Hit]:
    out: list[Hit] = []
    text = t.raw
    hints, i = t.key_hints, 0
    for lo, hi in t.long:
        # Only words holding an issuer prefix (Text.key_hints) or long enough for a Twilio SID (34).
        while i < len(hints) and hints[i] < lo:
            i += 1
        hinted = i < len(hints) and hints[i] < hi
        if hi - lo < 34 and not hinted:
            continue
        matches: list[re.Match[str]] = list(_PREFIXED.finditer(text, lo, hi))
        if hinted:  # (the marks are hints too)
            for mark, pattern in _MARKED:
                if t.low.find(mark, lo, hi) >= 0:
                    matches += pattern.finditer(text, lo, hi)
        for m in matches:
            value = m.group()
            low = value.lower()
            if (
                low.count("x") > len(value) // 2
                or is_placeholder(value)
                # (Braintree's "access_token$production$" is its prefix: the words are read after it.)
                or _filler_word_in(value.rpartition("$")[2])
                or _placeholder_body(value)
            ):
                continue
            # OAuth access tokens (Google's ya29., GitHub's gho_/ghu_/ghs_): after "Bearer" each is the bearer
            # token (find_bearer reports it), not an API key; a personal access token (ghp_) stays a key.
            if low.startswith(_OAUTH_ACCESS) and "bearer" in t.low[max(0, m.start() - 10) : m.start()]:
                continue
            # PlanetScale's pscale_pw_ is a database password (the password slot of its connection URL).
            out.append(Hit("password" if low.startswith("pscale_pw_") else "api_key", m.start(), m.end()))
    if "/bot" in text:
        for m in _TELEGRAM_IN_URL.finditer(text):
            out.append(Hit("api_key", m.start(1), m.end(1)))
    if "hooks.slack.com" in text:
        for m in _SLACK_WEBHOOK.finditer(text):
            # (Not the documentation's .../services/TXXXXXXXX/BXXXXXXXX/XXXXXXXX...: its secret is masked.)
            if not is_placeholder(m.group()):
                out.append(Hit("api_key", m.start(), m.end()))
    if "/api/webhooks/" in text or ".webhook.office.com/" in text:
        for m in _CHAT_WEBHOOK.finditer(text):
            if not is_placeholder(m.group()):
                out.append(Hit("api_key", m.start(), m.end()))
    return out


_IDENT: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.")
_NOT_IDENT: Final = re.compile(r"[^a-z0-9_\-.]")


def _generic_starts(t: Text) -> list[int]:
    """Where a secret's name can start: the start of the identifier holding a keyword, and the word before
    it ("API key", "access token")."""
    out: list[int] = []
    low, seen = t.low, -1
    # Keywords inside one long identifier ("...SECRET-KEY-...SECRET-KEY...") share its start: each character
    # between two keywords is read once, so a dense run costs no walk back per keyword.
    run_start, last = -1, -1
    for p in t.sec:
        if run_start >= 0 and _NOT_IDENT.search(low, last, p) is None:
            q = max(run_start, p - 64)
        else:
            q = p
            while q > 0 and p - q < 64 and low[q - 1] in _IDENT:
                q -= 1
            run_start = q  # (at p - 64 when the walk stopped there: later keywords go back 64 too)
        last = p
        # A command line's flag ("--zendesk-token=..."): its name starts after the dashes.
        while q < p and low[q] == "-":
            q += 1
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


# Secret("..."), SecretStr('...'), Sensitive("..."): a literal wrapped in a type that marks it secret.
_WRAPPED: Final = re.compile(
    r"(?:secret|secretstr|secretbytes|sensitive|sealedsecret)[ \t]*\([ \t]*(?:\"(?P<dq>[^\"\s]{12,256})\"|"
    r"'(?P<sq>[^'\s]{12,256})')"
)


def _wrapped_secrets(t: Text) -> list[Hit]:
    out: list[Hit] = []
    low = t.low
    for p in t.sec:
        if low.startswith("secret", p) and (p == 0 or low[p - 1] not in _IDENT):
            m = _WRAPPED.match(low, p)
            if m is not None:
                group = "dq" if m.start("dq") >= 0 else "sq"
                start, end = m.span(group)
                if _secretish(t.raw[start:end]):
                    out.append(Hit("api_key", start, end))
    return out


_CONFIRM_LINK: Final = re.compile(
    r"://[^\s?]*/(?:verify|verification|confirm|confirmation|unsubscribe|activate|activation)(?:[/.][\w\-]*)?"
    r"[?](?:[\w\-]+=[^\s&=]*&)*$"
)


def find_generic_secrets(t: Text) -> list[Hit]:
    out: list[Hit] = _wrapped_secrets(t) if "(" in t.raw else []
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
        # The one-time token of an e-mail verification or unsubscribe link (".../verify?token=..."): it
        # confirms an address, opens no account. (A JWT there is still found as one.)
        if q > 0 and t.low[q - 1] in "?&" and _CONFIRM_LINK.search(t.low, max(0, q - 120), q) is not None:
            continue
        # SECRET_KEY = get_random_secret_key(): code that makes the value, not the value.
        if text.startswith("(", start + len(value)):
            continue
        if _secretish(value):
            # The name says whose secret it is: "aws_secret_access_key", "AWS secret".
            name = t.low[q:start]
            if _PUBLIC_NAME.search(name) is not None:
                continue
            if "aws" in name or "secret_access" in name or "secret access" in name:
                kind = "aws_key"
            else:
                kind = "bearer_token" if "bearer" in name else "api_key"
            out.append(Hit(kind, start, start + len(value)))
    return out


# Client::new("..."), Client.new("..."), new ApiClient("..."), Twilio.init(sid, "..."): an SDK's client takes
# its key as a plain argument, with no name beside it.
_CLIENT_CALL: Final = re.compile(r"(?:client(?:::new|\.new)?|\.init)[ \t]*\((?P<args>[^()\n]{0,200})\)")
# (An argument of its own, between "(" or "," and "," or ")": not a field of a struct or map passed in,
# redis.NewClient(&redis.Options{Addr: "host:port"}).)
_QUOTED_ARG: Final = re.compile(
    r"(?:(?<=[(,])|(?<=[(,][ \t]))(?:\"([^\"\s]{20,256})\"|'([^'\s]{20,256})')(?=[ \t]*(?:,|$))"
)


def find_client_keys(t: Text) -> list[Hit]:
    out: list[Hit] = []
    low = t.low
    for needle in ("client", ".init"):
        for p in find_all(low, needle):
            m = _CLIENT_CALL.match(low, p)
            if m is None:
                continue
            for arg in _QUOTED_ARG.finditer(t.raw, m.start("args"), m.end("args")):
                group = 1 if arg.start(1) >= 0 else 2
                if _secretish(arg.group(group), min_len=20):
                    out.append(Hit("api_key", arg.start(group), arg.end(group)))
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
    if not t.long:
        return out
    raw, low = t.raw, t.low
    # (The keyword automaton found every key id's first four letters already: no pass without them.)
    ids = [
        m
        for m in (_AWS_ID.finditer(raw) if t.aws_ids else ())
        if (m.start() == 0 or raw[m.start() - 1] not in _ASCII_ALNUM) and not is_placeholder(m.group()[4:])
    ]
    for m in ids:
        out.append(Hit("aws_key", m.start(), m.end()))
    # A secret key counts only near an AWS word or an access key id: without either, nothing to look for.
    if not ids and not t.aws_words:
        return out
    # A secret key is 40 characters: shorter words cannot hold one.
    secrets = [m for lo, hi in t.long if hi - lo >= 40 for m in _AWS_SECRET.finditer(raw, lo, hi)]
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
        if (any(map(str.isdigit, value)) or "/" in value or "+" in value) and entropy_at_least(value, 4.0):
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
    for m in (m for lo, hi in t.long if "eyJ" in raw[lo:hi] for m in _JWT.finditer(raw, lo, hi)):
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
        if any(h.kind == "api_key" and h.start == start and h.end == end for h in claimed):
            out.append(Hit("bearer_key", start, end))
            continue
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
            # (Without its END a body starts as base64 does, or with an encrypted key's header: words after
            # the BEGIN line are prose that mentions one, "... starts with -----BEGIN RSA PRIVATE KEY----- and
            # ...". Anchored, so each BEGIN costs a few characters here.)
            if _B64_START.match(text, m.end()) is None:
                pos = m.end()
                continue
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
    r"ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|playlist|video|channel|base64|-bin|public[_\- ]?key|"
    r"pubkey|csrf[_\-]?token|xsrf[_\-]?token|csrf)[\s:=\-\"']*$"
)


_OBJECT_ID: Final = re.compile(
    r"(?:cus|pi|ch|in|sub|si|prod|price|evt|txn|pm|seti|src|tok|re|po|tr|ii|il|sku|plan|req|acct|cs|py|pyr|"
    r"ba|card|file|link|mandate|payout|dp|du|ipi|iauth|ic|iv|prv|sq|obj|usr|org|team|proj)_[A-Za-z0-9]+$"
)
_PEM_ANY: Final = re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----")
_SRI_PREFIXES: Final = ("sha1-", "sha256-", "sha384-", "sha512-")
# A public key's DER (SubjectPublicKeyInfo) in base64 starts the same way for each algorithm: Ed25519 and
# X25519 (MCow), EC P-256 (MFkw), P-384 (MHYw), RSA 2048 and 4096 (MIIBIjAN, MIICIjAN).
_PUBLIC_KEY_DER: Final = (
    "MCowBQYDK2",
    "MFkwEwYHKoZIzj0CAQ",
    "MHYwEAYHKoZIzj0CAQ",
    "MIIBIjANBgkqhkiG9w0BAQEF",
    "MIICIjANBgkqhkiG9w0BAQEF",
)
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


# A hidden form field that carries a CSRF token (Django's csrfmiddlewaretoken, Rails' authenticity_token,
# ASP.NET's __RequestVerificationToken): sent to every visitor in the page, no secret.
_CSRF_FIELD: Final = re.compile(
    r"name=[\"']?[\w\-]*(?:csrf|xsrf|authenticity_token|requestverificationtoken)[\w\-]*[\"']?"
    r"(?:[ \t]+[\w\-]{1,20}=[\"'][^\"'<>]{0,40}[\"'])*[ \t]+value=[\"']?$"
)
# A JSON Web Key's public members: the RSA modulus and exponent ("n", "e"), an EC point ("x", "y").
_JWK_PUBLIC: Final = re.compile(r"\"(?:n|e|x|y)\"[ \t]*:[ \t]*\"$")
_B64_TEXT: Final = re.compile(r"[\w .,/\-]+")


def _public_by_its_place(low: str, start: int) -> bool:
    before = low[max(0, start - 96) : start]
    if "csrf" in before or "xsrf" in before or "verificationtoken" in before or "authenticity" in before:
        if _CSRF_FIELD.search(before) is not None:
            return True
    return '"kty"' in low and _JWK_PUBLIC.search(before) is not None


def _base64_of_text(value: str) -> bool:
    """Base64 of a path or words ("c3RhdGljL2Nzcy9tYWluLmNzcw==": static/css/main.css) encodes no secret: a
    random key decodes to bytes, not to text with a separator in it."""
    if len(value) % 4 or (not value.endswith("=") and len(value) < 24):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    letters = sum(c.isalpha() for c in decoded)
    return (
        _B64_TEXT.fullmatch(decoded) is not None
        and any(c in decoded for c in "/ .")
        and 10 * letters >= 7 * len(decoded)
    )


def find_loose_tokens(t: Text, claimed: Sequence[Hit] = ()) -> list[Hit]:
    """``claimed``: hits already made; a word they overlap is not looked at again."""
    out: list[Hit] = []
    text, low = t.raw, t.low
    pem = _pem_ranges(text) if "-----BEGIN" in text else []
    windows = []
    for lo, hi in t.long:
        word = text[lo:hi]
        # Cheap first: a random token mixes cases; most long words (URLs, hashes, prose) do not.
        if word.lower() == word or word.upper() == word or (pem and any(a <= lo < b for a, b in pem)):
            continue
        # data:image/png;base64,... is an inlined file.
        if "base64," in word:
            continue
        if claimed and any(h.start < hi and lo < h.end for h in claimed):
            continue
        windows.append((lo, hi))
    for m in (m for lo, hi in windows for m in _LOOSE.finditer(text, lo, hi)):
        value = m.group()
        if value.lower() == value or value.upper() == value:
            continue
        if _TWO_DIGITS.search(value) is None or not entropy_at_least(value, 3.8):
            continue
        # Inside a URL it is a document or object id, which is what links are made of.
        line_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        if "://" in text[line_start : m.start()] or _DIGEST_CONTEXT.search(
            low[max(0, m.start() - 20) : m.start()]
        ):
            continue
        # Object ids of payment and SaaS APIs (cus_, pi_, evt_...) name records, they open nothing;
        # subresource-integrity hashes (sha512-...) and a lone JWT header (base64 JSON) hold no secret.
        if (
            _OBJECT_ID.match(value)
            or value.startswith(_SRI_PREFIXES)
            or value.startswith("eyJ")
            or value.startswith(_PUBLIC_KEY_DER)
            or value.startswith(("pk_live_", "pk_test_"))
        ):
            continue
        # Identifiers in camelCase or snake_case: long runs of lower case letters read as words.
        if _WORDLIKE.search(value) is not None or is_placeholder(value):
            continue
        if _public_by_its_place(low, m.start()) or _base64_of_text(value):
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
