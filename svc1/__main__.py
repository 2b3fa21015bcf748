"""``python -m svc1``: service_1 on SVC1_HOST:SVC1_PORT (127.0.0.1:8001)."""

from __future__ import annotations

from logpipe import setup_logging
from svc1.app import create_app
from svc1.settings import Settings
from webcore.service import serve


def main() -> None:
    settings = Settings.from_env()
    setup_logging("service_1")
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
