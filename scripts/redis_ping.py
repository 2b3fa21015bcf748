"""Exit 0 when a Redis answers PING at the URL given (default $REDIS_URL), 1 otherwise."""

from __future__ import annotations

import os
import sys

import redis


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
