"""Who may add work, in Redis so that every replica agrees: per-user rate limits and idempotency keys.

Both are Lua fragments. On the async path they run inside the enqueue script (``svc1.broker``), so a
request costs one round trip whatever it is checked for; the sync path runs ``BEGIN_SYNC`` before it
forwards and stores its answer after.

- **Rate** (GCRA, the leaky bucket as one timestamp per user): ``USER_RATE`` messages a second on average,
  ``USER_BURST`` at once. The user is keyed by a hash, never by name.
- **Idempotency**: a key's record holds the hash of the first body and, once there is one, its answer. A
  repeat with the same body gets that answer and does nothing; another body gets 409; a repeat that
  arrives while the first is still being forwarded waits for its answer. Keys are stored hashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from alerts import scan
from svc1.validation import MessageIn
from webcore.errors import ApiError, InvalidRequest

RATE_PREFIX = "ingest:rate:"
IDEM_PREFIX = "ingest:idem:"
_IDEM_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Shared by both scripts. Inputs: idem key KEYS[n] ('' for none) with ARGV idem_body; rate key with ARGV
# interval (µs between messages, 0 = no limit) and burst. Each returns early with {code, value}:
#   {2, answer}  a repeat: the first answer      {3, 0}  the same key with another body
#   {4, 0}       the first is still in flight     {5, ms} over the user's rate: retry after ms
# An idempotency record is "<body hash>\n<answer JSON>", the answer empty while the first is in flight: the
# script compares and hands back strings, and never re-encodes an answer (cjson would turn [] into {}).
IDEM_CHECK = """
local function idem_check(key, body)
    if key == '' then return nil end
    local current = redis.call('GET', key)
    if not current then return nil end
    local sep = string.find(current, '\\n', 1, true)
    if not sep or string.sub(current, 1, sep - 1) ~= body then return {3, 0} end
    local answer = string.sub(current, sep + 1)
    if answer == '' then return {4, 0} end
    return {2, answer}
end
"""
RATE_CHECK = """
local function rate_check(key, interval, burst)
    if interval <= 0 then return nil end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local tat = tonumber(redis.call('GET', key) or now)
    if tat < now then tat = now end
    local allowed_at = tat + interval - burst * interval
    if now < allowed_at then return {5, math.ceil((allowed_at - now) / 1000)} end
    local new_tat = tat + interval
    redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
    return nil
end
"""

# KEYS: idem key, rate key, ARGV: idem body hash, interval µs, burst, in-flight ttl s.
# {0, 0}: the caller owns the key (or there is none) and may forward.
BEGIN_SYNC = (
    IDEM_CHECK
    + RATE_CHECK
    + """
local refused = idem_check(KEYS[1], ARGV[1])
if refused then return refused end
refused = rate_check(KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
if refused then return refused end
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1] .. '\\n', 'EX', ARGV[4]) end
return {0, 0}
"""
)

REPEAT, CONFLICT, IN_FLIGHT, RATE_LIMITED = 2, 3, 4, 5


@dataclass(frozen=True, slots=True)
class Answer:
    """What the first request answered, to answer a repeat with."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    def encode(self) -> str:
        return json.dumps({"status": self.status, "body": self.body, "headers": self.headers})

    @classmethod
    def decode(cls, raw: str | bytes) -> Answer:
        value = json.loads(raw)
        return cls(int(value["status"]), dict(value["body"]), dict(value.get("headers") or {}))

    def record(self, body_hash: str) -> str:
        """The idempotency record that answers repeats with this."""
        return f"{body_hash}\n{self.encode()}"


@dataclass(frozen=True, slots=True)
class Admission:
    """One request's keys and limits, as the scripts take them."""

    idem_key: str
    body_hash: str
    rate_key: str
    interval_us: int
    burst: int

    def script_keys(self) -> list[str]:
        return [self.idem_key, self.rate_key]

    def script_args(self) -> list[str | int]:
        return [self.body_hash, self.interval_us, self.burst]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def idempotency_key(raw: str | None) -> str:
    """The stored (hashed) form of an ``Idempotency-Key`` header; '' when there is none."""
    if raw is None:
        return ""
    if not _IDEM_KEY.fullmatch(raw):
        raise InvalidRequest("Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
    if scan(raw):
        raise InvalidRequest("Idempotency-Key must not hold sensitive data")
    return IDEM_PREFIX + _digest(raw)


def admission(message: MessageIn, raw_idem_key: str | None, user_rate: float, user_burst: int) -> Admission:
    idem_key = idempotency_key(raw_idem_key)
    # The body's hash tells a repeat from a conflict, so only a request with a key needs it.
    body_hash = _digest(json.dumps([message.user, message.text, message.mode])) if idem_key else ""
    return Admission(
        idem_key=idem_key,
        body_hash=body_hash,
        rate_key=RATE_PREFIX + _digest(message.user),
        interval_us=round(1_000_000 / user_rate) if user_rate > 0 else 0,
        burst=max(1, user_burst),
    )


def refusal(code: int, value: Any) -> ApiError:
    """The ApiError for a script's refusal code (never REPEAT: that one is answered, not refused)."""
    if code == CONFLICT:
        return ApiError(409, "idempotency_conflict", "this Idempotency-Key was used with another body")
    if code == RATE_LIMITED:
        retry = max(1, -(-int(value) // 1000))
        return ApiError(
            429,
            "rate_limited",
            "too many messages from this user; try again later",
            headers={"Retry-After": str(retry)},
        )
    raise ValueError(f"not a refusal: {code}")


async def begin(script: AsyncScript, store: aioredis.Redis, adm: Admission, wait: float) -> Answer | None:
    """Runs the checks outside the enqueue script (sync mode, or a broker that is not Redis).

    Returns None when the caller may go on (it then owns the idempotency key: ``store_answer`` or
    ``release`` it), or the first request's answer for a repeat; raises the refusal's ``ApiError``.
    """
    in_flight_ttl = max(1, round(wait)) + 5
    code, value = await script(keys=adm.script_keys(), args=[*adm.script_args(), in_flight_ttl])
    if code == 0:
        return None
    if code == REPEAT:
        return Answer.decode(value)
    if code == IN_FLIGHT:
        answer = await wait_for_answer(store, adm, wait)
        if answer is None:
            raise ApiError(
                409,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still in progress",
                headers={"Retry-After": "1"},
            )
        return answer
    raise refusal(int(code), value)


async def store_answer(store: aioredis.Redis, adm: Admission, answer: Answer, ttl: int) -> None:
    if adm.idem_key:
        await store.set(adm.idem_key, answer.record(adm.body_hash), ex=ttl)


async def release(store: aioredis.Redis, adm: Admission) -> None:
    """The first request failed before it had an answer: the key is free for a retry."""
    if adm.idem_key:
        await store.delete(adm.idem_key)


async def wait_for_answer(store: aioredis.Redis, adm: Admission, wait: float) -> Answer | None:
    """A repeat that arrived while the first was in flight: the first's answer once it is stored, or None
    when the first gave up (the key is free) or the wait is over."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(wait):
            while True:
                raw = await store.get(adm.idem_key)
                if raw is None:
                    return None
                _, _, answer = (raw.decode() if isinstance(raw, bytes) else raw).partition("\n")
                if answer:
                    return Answer.decode(answer)
                await asyncio.sleep(0.05)
    return None
