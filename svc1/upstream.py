"""Calling service_2 (sync mode) over HTTP with the shared bearer token."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from svc1.validation import MessageIn
from webcore.errors import ApiError
from webcore.request_ids import HEADER


async def process(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str,
    timeout_s: float,
    message_id: str,
    message: MessageIn,
    request_id: str | None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if request_id:
        headers[HEADER] = request_id
    payload = {"id": message_id, "user": message.user, "text": message.text}
    try:
        async with session.post(
            f"{base_url}/process",
            json=payload,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status != 200:
                raise ApiError(502, "upstream_unavailable", f"service_2 answered {resp.status}")
            body = await resp.json()
    except TimeoutError:
        raise ApiError(504, "upstream_timeout", f"service_2 did not answer within {timeout_s:g}s") from None
    except (aiohttp.ClientError, asyncio.IncompleteReadError, ValueError) as exc:
        raise ApiError(502, "upstream_unavailable", f"service_2 unreachable ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise ApiError(502, "upstream_unavailable", "service_2 answered an unexpected body")
    return body
