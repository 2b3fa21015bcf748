"""Exit 0 when a Redis answers PING at the URL given (default $REDIS_URL), 1 otherwise.

Through the sentinels when ``REDIS_SENTINELS`` is set, over TLS for ``rediss://`` (``REDIS_TLS_CA``), as the
services would reach it.
"""

from __future__ import annotations

import os
import sys

import redis

from celery_app import redisconf


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redisconf.sync_client(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.RedisError, ValueError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
