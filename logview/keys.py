"""Typed application state, in one place so that every module agrees on what lives in the app."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from logview.alertindex import AlertIndex
from logview.settings import Settings
from logview.tail import Tailer
from webcore.metrics import HttpMetrics

SETTINGS = web.AppKey("settings", Settings)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
ALERTS = web.AppKey("alerts", AlertIndex)
TAILER = web.AppKey("tailer", Tailer)
METRICS = web.AppKey("metrics", HttpMetrics)
