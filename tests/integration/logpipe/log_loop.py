"""A small real process that logs in a loop through logpipe, for outage tests.

Logs one record every LOOP_INTERVAL seconds while ``<LOOP_DIR>/pause`` is absent (and says so by creating
``<LOOP_DIR>/paused``), so a test can stop the traffic and watch the spool drain with nothing new logged.
Exits cleanly on SIGTERM (the pipeline's shutdown flush runs).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from logpipe import bind_request_id, get_logger, log_event, setup_logging


def main() -> None:
    control = Path(os.environ["LOOP_DIR"])
    interval = float(os.environ.get("LOOP_INTERVAL", "0.002"))
    pipeline = setup_logging("looper")
    logger = get_logger("looper")
    running = True

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, on_term)
    n = 0
    while running:
        if (control / "pause").exists():
            (control / "paused").touch()
            time.sleep(0.01)
            continue
        (control / "paused").unlink(missing_ok=True)
        n += 1
        with bind_request_id(f"loop-{n}"):
            log_event(logger, "loop.tick", "tick", n=n)
        time.sleep(interval)
    delivered = pipeline.stop()
    print(f"stopped after {n} records, delivered={delivered}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
