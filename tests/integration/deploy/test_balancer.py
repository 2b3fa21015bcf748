"""The balancer configuration, held to the real nginx: ``nginx -t`` on what is rendered, and live traffic
through it to real service_1 replicas (spread, keep-alive, a dead replica skipped, JSON errors)."""

from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from deploy import balancer
from harness.procs import PYTHON, ROOT, Proc, free_port, http_status, port_open, start, wait_until
from tests.support.stack import Stack, request

CLEAN = {"user": "ann", "text": "The parcel arrived, thanks!"}


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        balancer.nginx_command(conf, test=True), capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize("replicas", [1, 2, 5])
def test_rendered_one_machine_config_passes_nginx_t(tmp_path: Path, replicas: int) -> None:
    ports = [free_port() for _ in range(replicas)]
    conf = balancer.write_local(tmp_path / "nginx", free_port(), ports)
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    rendered = (tmp_path / "nginx" / "balancer.conf").read_text()
    assert "${BALANCER_" not in rendered
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", rendered) == [str(p) for p in ports]


def test_a_broken_render_is_refused_by_nginx_t(tmp_path: Path) -> None:
    """The check above has teeth: nginx -t does reject a bad configuration."""
    conf = balancer.write_local(tmp_path / "nginx", free_port(), [free_port()])
    path = tmp_path / "nginx" / "balancer.conf"
    path.write_text(path.read_text().replace("keepalive 64;", "keepalive sixty-four;"))
    result = nginx_test(conf)
    assert result.returncode != 0 and "keepalive" in result.stderr


def test_missing_placeholder_value_is_an_error() -> None:
    with pytest.raises(KeyError, match="BALANCER_LISTEN"):
        balancer.render("listen ${BALANCER_LISTEN}; $host", {})
    assert balancer.render("listen ${BALANCER_LISTEN}; $host ${HOME}", {"BALANCER_LISTEN": "80"}) == (
        "listen 80; $host ${HOME}"
    )


def test_compose_renders_the_same_template_completely() -> None:
    """compose mounts the same template where nginx's image renders it, with a value for every name."""
    compose = YAML(typ="safe").load((ROOT / "compose.yaml").read_text())
    lb = compose["services"]["balancer"]
    mounts = [v for v in lb["volumes"] if isinstance(v, str)]
    assert any(m.startswith("./deploy/balancer.conf.template:/etc/nginx/templates/") for m in mounts), mounts
    env = lb["environment"]
    assert env["NGINX_ENVSUBST_FILTER"] == "^BALANCER_"
    template = balancer.BALANCER_TEMPLATE.read_text()
    rendered = balancer.render(template, env)
    assert "${BALANCER_" not in rendered
    assert "server svc1:8001 resolve" in rendered and "resolver 127.0.0.11" in rendered
    # Outside the placeholders the two renders are the one file.
    local = balancer.render(template, balancer.local_values(8001, [18001]))
    fixed = [line for line in template.splitlines() if line.strip() and not balancer.PLACEHOLDER.search(line)]
    assert len(fixed) > 40
    for line in fixed:
        assert line in rendered.splitlines() and line in local.splitlines()


# --- live traffic ----------------------------------------------------------------------------------------


class Replicas:
    def __init__(self, stack: Stack, count: int) -> None:
        self.stack = stack
        self.ports = [free_port() for _ in range(count)]
        self.procs: dict[int, Proc] = {}

    def start(self, i: int) -> Proc:
        port = self.ports[i - 1]
        env = {**self.stack.env, "SVC1_PORT": str(port), "SVC1_INSTANCE": str(i)}
        proc = start(f"service_1-{i}", [PYTHON, "-m", "svc1"], env=env, workdir=self.stack.workdir / "out")
        self.procs[i] = proc
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, timeout=30)
        return proc

    def received(self, i: int) -> int:
        return sum(1 for r in self.stack.log_records(f"service_1-{i}") if r["event"] == "message.received")


@pytest.fixture
def balanced(stack: Stack) -> Iterator[tuple[Stack, Replicas, Proc]]:
    """service_2, three service_1 replicas and nginx in front of them on the stack's SVC1_PORT."""
    stack.start_svc2()
    replicas = Replicas(stack, 3)
    for i in (1, 2, 3):
        replicas.start(i)
    listen = int(stack.env["SVC1_PORT"])
    conf = balancer.write_local(stack.workdir / "nginx", listen, replicas.ports)
    nginx = start("nginx", balancer.nginx_command(conf), env={}, workdir=stack.workdir / "out")
    try:
        wait_until(lambda: port_open(listen), timeout=15)
        yield stack, replicas, nginx
    finally:
        nginx.stop()
        for proc in replicas.procs.values():
            proc.stop()
        assert not port_open(listen), "nginx still listening after it was stopped"


def established_to(port: int) -> int:
    """Established TCP connections to 127.0.0.1:port, from the kernel's table (nginx's idle upstreams)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            count += 1
    return count


def settled(read: Callable[[], int], quiet: float = 0.5, timeout: float = 10) -> int:
    """A count read from log files once it stopped changing (records are written by a background thread)."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise TimeoutError("the count kept changing")


_users = itertools.count()


def post_many(stack: Stack, n: int) -> list[int]:
    # A user of its own per post: the per-user rate limit (USER_RATE) is not what these tests are about.
    return [stack.post({**CLEAN, "user": f"user{next(_users)}"}, timeout=10)[0] for _ in range(n)]


def raw_exchange(port: int, data: bytes) -> bytes:
    """Sends raw bytes, returns one answer (read by its Content-Length: nginx lingers before closing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        head = answer.partition(b"\r\n\r\n")[0]
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        while len(answer) < len(head) + 4 + length and (chunk := sock.recv(65536)):
            answer += chunk
        return answer


def test_traffic_spreads_over_every_replica_on_kept_alive_connections(
    balanced: tuple[Stack, Replicas, Proc],
) -> None:
    stack, replicas, _ = balanced
    codes = post_many(stack, 30)
    assert codes == [202] * 30
    wait_until(lambda: sum(replicas.received(i) for i in (1, 2, 3)) == 30, timeout=10)
    counts = {i: replicas.received(i) for i in (1, 2, 3)}
    assert all(c >= 5 for c in counts.values()), counts  # round robin: about 10 each
    for i in (1, 2, 3):
        records = stack.log_records(f"service_1-{i}")
        assert records and all(r["service"] == "service_1" for r in records)
        assert all(r["instance"] == f"service_1-{i}" for r in records)
    # Keep-alive: nginx holds idle connections open to each replica after the requests are answered
    # (without `keepalive` it would close each one with its response).
    for port in replicas.ports:
        assert established_to(port) >= 1, f"no kept-alive connection to {port}"

    # The answer through the balancer is service_1's own, headers included.
    code, headers, body = stack.post(CLEAN, headers={"X-Request-ID": "balancer-check-1"})
    assert code == 202 and headers["Location"] == f"/messages/{body['id']}"
    assert headers["X-Request-ID"] == "balancer-check-1"
    assert stack.post({"user": "ann", "text": "mail me at ann@example.com"})[0] == 422
    code, _, body = stack.post({**CLEAN, "mode": "sync"})
    assert code == 200 and body["status"] == "processed"
    code, _, body = stack.post(CLEAN)
    code, _, status = request(urllib.request.Request(f"{stack.svc1_url}/messages/{body['id']}"), 5)
    assert code == 200 and status["status"] in ("queued", "processing", "done")
    assert http_status(f"{stack.svc1_url}/messages/{'0' * 32}") == 404

    # What nginx answers itself is the contract's JSON too.
    port = int(stack.env["SVC1_PORT"])
    big = raw_exchange(
        port,
        b"POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000\r\nConnection: close\r\n\r\n",
    )
    head, _, body = big.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"application/json" in head
    assert json.loads(body)["error"] == "too_large"

    bad = raw_exchange(port, b"GARBAGE \x01\x02 nonsense\r\n\r\n")
    head, _, body = bad.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"] == "invalid_request"
    assert b"\x01\x02" not in bad, "the offending bytes are never echoed"
    for malformed in (b"GET / HTTP/9.9\r\n\r\n", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
        head, _, body = raw_exchange(port, malformed).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and json.loads(body)["error"] == "invalid_request"
    # The internal error document is not reachable from outside.
    assert http_status(f"{stack.svc1_url}/__invalid_request.json") == 404


def test_a_dead_replica_costs_at_most_a_few_requests_then_none(
    balanced: tuple[Stack, Replicas, Proc],
) -> None:
    stack, replicas, _ = balanced
    assert post_many(stack, 6) == [202] * 6
    replicas.procs[2].kill(signal.SIGKILL)
    replicas.procs[2].popen.wait(5)

    during = post_many(stack, 30)
    assert sum(c != 202 for c in during) <= 3, during
    time.sleep(2.5)  # past fail_timeout: nginx tries the dead one again, and skips it again
    before = settled(lambda: replicas.received(1) + replicas.received(3))
    after = post_many(stack, 30)
    assert after == [202] * 30
    assert settled(lambda: replicas.received(1) + replicas.received(3)) - before == 30

    # It comes back: the balancer uses it again without a reload.
    replicas.start(2)
    before2 = replicas.received(2)
    wait_until(lambda: post_many(stack, 1) == [202] and replicas.received(2) > before2, timeout=15)

    # None left: a JSON 502 at once, not a hang.
    for i in (1, 2, 3):
        replicas.procs[i].stop()
    started = time.monotonic()
    code, _, body = stack.post(CLEAN)
    assert (code, body["error"]) == (502, "upstream_unavailable")
    assert time.monotonic() - started < 3
