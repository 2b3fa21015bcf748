"""Typed application state of service_2."""

from __future__ import annotations

from aiohttp import web

from svc2.settings import Settings
from webcore.metrics import HttpMetrics

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", HttpMetrics)
