"""``SVC1_REPLICAS=3 WORKERS=4 scripts/run``: one port through nginx, every replica takes traffic, Flower sees
the four workers and their tasks, a killed replica is skipped and started again, Ctrl-C leaves nothing."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import urllib.request
from collections import Counter
from pathlib import Path

from harness.procs import ROOT, http_status, port_open, start, wait_until
from tests.support.stack import request, run_command_env

CLEAN = {"user": "ann", "text": "The parcel arrived, thanks!"}


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


_users = itertools.count()


def post(url: str) -> tuple[int, dict[str, str], dict[str, object]]:
    # A user of its own per post: the per-user rate limit (USER_RATE) is not what this test is about.
    body = {**CLEAN, "user": f"user{next(_users)}"}
    req = urllib.request.Request(
        f"{url}/messages", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        return request(req, 10)
    except OSError:
        return 0, {}, {}


def flower_workers(port: int) -> set[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/workers", timeout=5) as resp:
        page = resp.read().decode()
    return set(re.findall(r"worker\d+@[\w.-]+", page))


def flower_succeeded(port: int) -> dict[str, float]:
    """task-succeeded events per worker, from Flower's Prometheus metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    pattern = (
        r'flower_events_total\{task="analysis.analyze",type="task-succeeded",worker="([^"]+)"\} ([\d.]+)'
    )
    return {worker: float(n) for worker, n in re.findall(pattern, text)}


def test_scaled_run_command(tmp_path: Path) -> None:
    ports, env = run_command_env(tmp_path)
    env.update(SVC1_REPLICAS="3", WORKERS="4")
    run = start("run", ["bash", str(ROOT / "scripts" / "run")], env=env, workdir=tmp_path)
    url = f"http://127.0.0.1:{ports['svc1']}"
    logs = tmp_path / "logs"
    every: set[int] = set()
    try:
        wait_until(lambda: http_status(f"{url}/readyz") == 200, timeout=120)
        every |= descendants(run.pid)

        def started(i: int) -> bool:
            path = logs / f"service_1-{i}.txt"
            return path.exists() and '"service.started"' in path.read_text()

        # /readyz answered through one replica; let the other two finish starting before counting.
        wait_until(lambda: all(started(i) for i in (1, 2, 3)), timeout=60)
        ids = []
        for _ in range(30):
            code, _, body = post(url)
            assert code == 202
            ids.append(body["id"])

        def received(i: int) -> int:
            path = logs / f"service_1-{i}.txt"
            if not path.exists():
                return 0
            return sum('"message.received"' in line for line in path.read_text().splitlines())

        wait_until(lambda: sum(received(i) for i in (1, 2, 3)) >= 30, timeout=15)
        assert all(received(i) >= 5 for i in (1, 2, 3)), [received(i) for i in (1, 2, 3)]
        record = json.loads((logs / "service_1-2.txt").read_text().splitlines()[0])
        assert record["service"] == "service_1" and record["instance"] == "service_1-2"
        assert not (logs / "service_1.txt").exists()

        def done(message_id: str) -> bool:
            return request(urllib.request.Request(f"{url}/messages/{message_id}"), 5)[2]["status"] == "done"

        wait_until(lambda: all(done(i) for i in ids), timeout=60)

        # Flower lists the four workers and saw their tasks (task events are on).
        expected = {"worker1", "worker2", "worker3", "worker4"}
        wait_until(lambda: {w.split("@")[0] for w in flower_workers(ports["flower"])} >= expected, 30)
        wait_until(lambda: sum(flower_succeeded(ports["flower"]).values()) >= 30, timeout=30)
        assert {w.split("@")[0] for w in flower_succeeded(ports["flower"])} <= expected

        # Kill replica 2 (its python, found by its port in the process tree): a few requests at most fail,
        # none after a few seconds, and scripts/respawn starts it again.
        every |= descendants(run.pid)
        victims = [
            pid for pid in every if "-m svc1" in cmdline(pid) and "respawn" not in cmdline(pid) and alive(pid)
        ]
        assert len(victims) == 3, [cmdline(p) for p in victims]
        victim = next(p for p in victims if b"\0SVC1_INSTANCE=2\0" in Path(f"/proc/{p}/environ").read_bytes())
        os.kill(victim, signal.SIGKILL)
        during = [post(url) for _ in range(30)]
        outcomes = Counter((c, str(b.get("error", ""))) for c, _, b in during)
        assert sum(n for (c, _), n in outcomes.items() if c != 202) <= 3, outcomes
        wait_until(lambda: "starting it again" in run.text(), timeout=10)
        before = received(2)
        wait_until(lambda: post(url)[0] == 202 and received(2) > before, timeout=30)
        assert [post(url)[0] for _ in range(20)] == [202] * 20
        every |= descendants(run.pid)
    finally:
        run.kill(signal.SIGINT)  # what Ctrl-C sends to the foreground process group
        try:
            run.popen.wait(40)
        finally:
            run.stop()
    assert every, "no process tree was seen"
    left = {pid: cmdline(pid) for pid in every if alive(pid)}
    assert not left, f"left running after Ctrl-C: {left}"
    for name, port in ports.items():
        assert not port_open(port), f"{name} still listening after Ctrl-C"
    output = run.text()
    for name in ("service_1-1", "service_1-2", "service_1-3", "balancer", "flower", "worker4"):
        assert f"{name}.1" in output, name
