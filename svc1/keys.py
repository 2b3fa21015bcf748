"""Typed application state of service_1."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from redis.commands.core import AsyncScript

from alerts.reports import ReportWriter
from svc1.broker import Publisher
from svc1.metrics import Svc1Metrics
from svc1.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Svc1Metrics)
STORE = web.AppKey("store", aioredis.Redis)
# The admission checks outside the enqueue script (svc1.admission.BEGIN_SYNC), on the store.
ADMIT = web.AppKey("admit", AsyncScript)
HTTP = web.AppKey("http", aiohttp.ClientSession)
PUBLISHER = web.AppKey("publisher", Publisher)
REPORTS = web.AppKey("reports", ReportWriter)
# File writes (reports) happen here, off the event loop.
FILES = web.AppKey("files", ThreadPoolExecutor)
