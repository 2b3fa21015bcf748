"""The access token, Host checking and the headers that keep a page inert (errors: webcore's one stack)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from logpipe import get_logger, log_event
from logview.keys import SETTINGS
from webcore.errors import ApiError
from webcore.metrics import route_label as _route_label

log = get_logger("logview.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "logview_session"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

# No inline script or style anywhere, no plugins, no framing, requests only to this origin: even a
# record that smuggled markup into the DOM could neither run nor phone home.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so a leaked cookie is not the token itself."""
    return hmac.new(token.encode(), b"logview-session-v1", hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def authorized(request: web.Request, token: str) -> bool:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and _same(auth[7:].strip(), token):
        return True
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and _same(cookie, session_value(token))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    if request.path in ("/healthz", "/favicon.ico"):
        return await handler(request)
    if settings.token is None:
        # Bound to loopback without a token: refuse foreign Host headers, or any web page the operator
        # visits could rebind its DNS name to 127.0.0.1 and read the logs through the browser.
        host = urlsplit(f"//{request.host}").hostname or ""
        if host not in LOOPBACK_NAMES and f"[{host}]" not in LOOPBACK_NAMES:
            raise ApiError(403, "forbidden_host", "this viewer answers only to localhost names")
        return await handler(request)
    if authorized(request, settings.token):
        return await handler(request)
    offered = request.query.get("token")
    if request.path == "/" and offered is not None and _same(offered, settings.token):
        # Trade the token in the address bar for a cookie, then drop it from the URL and history.
        response = web.HTTPSeeOther("/")
        response.set_cookie(COOKIE, session_value(settings.token), httponly=True, samesite="Strict", path="/")
        raise response
    raise ApiError(401, "unauthorized", "send Authorization: Bearer <LOGVIEW_TOKEN> or open /?token=…")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Runs for every response, streamed and static ones included (a middleware would miss those)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")


def route_label(request: web.BaseRequest) -> str:
    try:
        return _route_label(request)  # type: ignore[arg-type]
    except AttributeError:
        return "unmatched"


class AccessLogger(AbstractAccessLogger):
    """Path and status only: a query string may hold what an operator searched for, which is not ours to
    keep. Successful requests are DEBUG so the viewer does not flood the log it is showing."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        level = logging.DEBUG if response.status < 400 else logging.WARNING
        # The route's template, never the raw path: "GET /john@example.com" must not reach the log.
        route = route_label(request)
        log_event(
            self.logger,
            "http.request",
            f"{request.method} {route} {response.status}",
            level=level,
            method=request.method,
            path=route,
            status=response.status,
            duration_ms=round(time * 1000, 1),
        )
