"""The README's run command brings the whole stack up, and Ctrl-C takes it all down."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from harness.procs import ROOT, http_status, port_open, start, wait_until
from tests.support.stack import request, run_command_env


def test_run_command_starts_everything_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    # Nothing answers on its Redis port: the command must start a Redis of its own there.
    ports, env = run_command_env(tmp_path)
    run = start("run", ["bash", str(ROOT / "scripts" / "run")], env=env, workdir=tmp_path)
    try:
        svc1 = f"http://127.0.0.1:{ports['svc1']}"
        wait_until(lambda: http_status(f"{svc1}/readyz") == 200, timeout=120)
        wait_until(lambda: http_status(f"http://127.0.0.1:{ports['viewer']}/healthz") == 200, timeout=30)
        assert (tmp_path / "var" / "redis").is_dir(), "the fallback Redis keeps its data under VAR_DIR"

        req = urllib.request.Request(
            f"{svc1}/messages",
            data=json.dumps({"user": "ann", "text": "The parcel arrived, thanks!"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        code, _, body = request(req, 10)
        assert code == 202

        def done() -> bool:
            return request(urllib.request.Request(f"{svc1}/messages/{body['id']}"), 5)[2]["status"] == "done"

        wait_until(done, timeout=30)
        for process in ("service_1", "service_2", "worker1", "worker2"):
            assert (tmp_path / "logs" / f"{process}.txt").exists(), process
        # Logs reach the central store through the collector the command started.
        wait_until(lambda: list((tmp_path / "logs" / "central").glob("*/*.log")), timeout=30)
    finally:
        run.kill(signal.SIGINT)  # what Ctrl-C sends to the foreground process group
        try:
            run.popen.wait(40)
        finally:
            run.stop()
    for name, port in ports.items():
        assert not port_open(port), f"{name} still listening after Ctrl-C"
    output = run.text()
    for name in ("service_1", "service_2", "worker1", "worker2", "viewer", "collector", "redis"):
        assert f"{name}" in output
