"""Starting the real collector, and reading what it stored, for the logpipe integration tests."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import msgpack

from harness.procs import PYTHON, Proc, free_port, port_open, start, wait_until


def start_collector(workdir: Path, port: int, **extra: str) -> Proc:
    env = {
        "FLUENTD_HOST": "127.0.0.1",
        "FLUENTD_PORT": str(port),
        "CENTRAL_LOG_DIR": str(workdir / "central"),
        "LOG_DIR": str(workdir / "collector-logs"),
        **extra,
    }
    proc = start("collector", [PYTHON, "-m", "logpipe.collector"], env=env, workdir=workdir / "out")
    wait_until(lambda: port_open(port) or not proc.alive(), timeout=15)
    assert proc.alive(), proc.text()
    return proc


def central_records(central: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(central.glob("*/*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def central_id_counts(central: Path) -> Counter[str]:
    return Counter(str(r.get("record_id")) for r in central_records(central))


def local_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def collector_events(workdir: Path) -> list[dict[str, Any]]:
    return local_records(workdir / "collector-logs" / "collector.txt")


def send_frame(port: int, frame: bytes, *, expect_ack: str | None = None, timeout: float = 5.0) -> Any:
    """Sends raw bytes on a fresh connection; returns the decoded ack when one is expected."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(frame)
        if expect_ack is None:
            return None
        unpacker = msgpack.Unpacker(raw=False)
        while True:
            data = sock.recv(4096)
            assert data, "the collector closed the connection instead of acking"
            unpacker.feed(data)
            for answer in unpacker:
                return answer


__all__ = [
    "central_id_counts",
    "central_records",
    "collector_events",
    "free_port",
    "local_records",
    "send_frame",
    "start_collector",
    "wait_until",
]
