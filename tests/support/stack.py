"""The system's processes, started for real on free ports with private directories, for integration tests."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.procs import PYTHON, ROOT, Proc, free_port, http_status, start, wait_until


@dataclass
class Stack:
    """Processes of one test's system. ``env`` is what every process of it was started with."""

    workdir: Path
    env: dict[str, str]
    procs: dict[str, Proc] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return Path(self.env["LOG_DIR"])

    @property
    def report_dir(self) -> Path:
        return Path(self.env["REPORT_DIR"])

    @property
    def svc1_url(self) -> str:
        return f"http://127.0.0.1:{self.env['SVC1_PORT']}"

    @property
    def svc2_url(self) -> str:
        return self.env["SVC2_URL"]

    def start_svc2(self, **extra: str) -> Proc:
        proc = self._start("service_2", [PYTHON, "-m", "svc2"], extra)
        wait_until(lambda: http_status(f"{self.svc2_url}/healthz") == 200, timeout=20)
        return proc

    def start_svc1(self, **extra: str) -> Proc:
        proc = self._start("service_1", [PYTHON, "-m", "svc1"], extra)
        wait_until(lambda: http_status(f"{self.svc1_url}/healthz") == 200, timeout=20)
        return proc

    def start_worker(self, n: int, **extra: str) -> Proc:
        name = f"worker{n}"
        args = [
            str(Path(PYTHON).parent / "celery"),
            "-A",
            "celery_app",
            "worker",
            "-n",
            f"{name}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
        proc = self._start(name, args, extra)
        wait_until(lambda: "ready." in self.read_log(name), timeout=30)
        return proc

    def _start(self, name: str, args: list[str], extra: dict[str, str]) -> Proc:
        old = self.procs.get(name)
        if old is not None:
            old.stop()
        proc = start(name, args, env={**self.env, **extra}, workdir=self.workdir / "out")
        self.procs[name] = proc
        return proc

    def read_log(self, process: str) -> str:
        path = self.log_dir / f"{process}.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_records(self, process: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.read_log(process).splitlines() if line.strip()]

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()

    # HTTP helpers (urllib: the test client must not share the code under test)
    def post(
        self, body: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None, timeout: float = 10
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.svc1_url}/messages",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        return request(req, timeout)

    def get(self, path: str, timeout: float = 10) -> tuple[int, dict[str, str], dict[str, Any]]:
        return request(urllib.request.Request(f"{self.svc1_url}{path}"), timeout)

    def wait_status(self, message_id: str, status: str = "done", timeout: float = 30) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            code, _, body = self.get(f"/messages/{message_id}")
            return body if code == 200 and body["status"] == status else None

        return wait_until(check, timeout=timeout)  # type: ignore[return-value]


def request(req: urllib.request.Request, timeout: float) -> tuple[int, dict[str, str], dict[str, Any]]:
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), json.loads(raw) if raw else {}
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"raw": raw.decode(errors="replace")}
        return err.code, dict(err.headers), body


def make_stack(workdir: Path, redis_url: str, **extra: str) -> Stack:
    svc1_port, svc2_port = free_port(), free_port()
    env = {
        "REDIS_URL": redis_url,
        "SVC1_PORT": str(svc1_port),
        "SVC2_PORT": str(svc2_port),
        "SVC2_URL": f"http://127.0.0.1:{svc2_port}",
        "SERVICE_TOKEN": secrets.token_urlsafe(24),
        "LOG_DIR": str(workdir / "logs"),
        "REPORT_DIR": str(workdir / "reports"),
        "CENTRAL_LOG_DIR": str(workdir / "logs" / "central"),
        "FLUENTD_ENABLED": "0",
        "CELERY_QUEUE": f"ingest-{secrets.token_hex(4)}",
        # Tests post bursts as one user; the per-user limit has tests of its own that turn it on.
        "USER_RATE": "0",
        **extra,
    }
    return Stack(workdir=workdir, env=env)


def run_command_env(workdir: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Free ports and private folders for one run of scripts/run: nothing answers on its Redis port, so the
    command starts a Redis of its own there; no SERVICE_TOKEN or Fluentd, so it generates and starts them."""
    ports = {name: free_port() for name in ("svc1", "svc2", "viewer", "fluentd", "redis", "flower")}
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "SVC1_PORT": str(ports["svc1"]),
        "SVC2_PORT": str(ports["svc2"]),
        "SVC2_URL": f"http://127.0.0.1:{ports['svc2']}",
        "LOGVIEW_PORT": str(ports["viewer"]),
        "FLUENTD_PORT": str(ports["fluentd"]),
        "FLOWER_PORT": str(ports["flower"]),
        "LOG_DIR": str(workdir / "logs"),
        "REPORT_DIR": str(workdir / "reports"),
        "CENTRAL_LOG_DIR": str(workdir / "logs" / "central"),
        "VAR_DIR": str(workdir / "var"),
        "SERVICE_TOKEN": "",
        "FLUENTD_HOST": "",
    }
    return ports, env


def all_files_text(*dirs: Path) -> Iterator[tuple[Path, str]]:
    for directory in dirs:
        if directory.exists():
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    yield path, path.read_text(errors="replace")


__all__ = ["ROOT", "Stack", "all_files_text", "make_stack", "request", "run_command_env"]
