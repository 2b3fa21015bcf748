"""Every failure of a service as one JSON shape: ``{"error": CODE, "detail": TEXT, ...}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An expected failure with its status, code and a detail safe to show (never a user's value)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> web.Response:
        body = {"error": self.code, "detail": self.detail, **self.extra}
        return web.json_response(body, status=self.status, headers=self.headers)


class InvalidRequest(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(400, "invalid_request", detail)


HTTP_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}
