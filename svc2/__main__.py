"""``python -m svc2``: service_2 on SVC2_HOST:SVC2_PORT (127.0.0.1:8002). Refuses to start without a token."""

from __future__ import annotations

import sys

from logpipe import setup_logging
from svc2.app import create_app
from svc2.settings import MissingToken, Settings
from webcore.service import serve


def main() -> int:
    try:
        settings = Settings.from_env()
    except MissingToken as exc:
        print(f"service_2: {exc}", file=sys.stderr)
        return 2
    setup_logging("service_2")
    serve(create_app(settings), settings.host, settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
