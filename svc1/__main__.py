"""``python -m svc1``: service_1 on SVC1_HOST:SVC1_PORT (127.0.0.1:8001).

Behind the balancer each replica is started with ``SVC1_INSTANCE=<i>``: it logs to
``logs/service_1-<i>.txt``, still as ``service`` ``service_1``, with an ``instance`` field naming it.
"""

from __future__ import annotations

import os
import re

from logpipe import setup_logging
from svc1.app import create_app
from svc1.settings import Settings
from webcore.service import serve


def main() -> None:
    settings = Settings.from_env()
    instance = os.environ.get("SVC1_INSTANCE", "").strip()
    if instance and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", instance):
        raise SystemExit(f"SVC1_INSTANCE must be a short name (letters, digits, . _ -), not {instance!r}")
    if instance:
        name = f"service_1-{instance}"
        setup_logging(name, service="service_1", fields={"instance": name})
    else:
        setup_logging("service_1")
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
