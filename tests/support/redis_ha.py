"""Redis beyond one server, for real: a private master + replica + three sentinels, and a TLS-only Redis.

Every process here is started by the test on free ports in its own temporary directory and stopped by
pid (``Proc.stop``), never the machine's Redis.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from harness.procs import Proc, free_port, port_open, redis_args, redis_server_binary, start, wait_until

# Small on purpose: a test waits this long before the sentinels call the master down.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


@dataclass
class SentinelCluster:
    master_name: str
    master: Proc
    master_port: int
    replica: Proc
    replica_port: int
    sentinel_ports: list[int]
    procs: list[Proc] = field(default_factory=list)

    @property
    def sentinels_env(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def master_addresses(self) -> set[tuple[str, int] | None]:
        """What each sentinel that answers names as the master (None: it names none)."""
        seen: set[tuple[str, int] | None] = set()
        for port in self.sentinel_ports:
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
                try:
                    addr = client.sentinel_get_master_addr_by_name(self.master_name)
                finally:
                    client.close()
                seen.add(
                    (addr[0].decode() if isinstance(addr[0], bytes) else addr[0], int(addr[1]))
                    if addr
                    else None
                )
        return seen

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def _ping(port: int) -> bool:
    client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    finally:
        client.close()


@contextlib.contextmanager
def sentinel_cluster(workdir: Path, master_name: str = "mymaster") -> Iterator[SentinelCluster]:
    """A master, one replica of it and three sentinels watching them (quorum 2), ready to fail over."""
    master_port, replica_port = free_port(), free_port()
    sentinel_ports = [free_port() for _ in range(3)]
    procs: list[Proc] = []
    try:
        (workdir / "master").mkdir(parents=True)
        master = start(
            f"redis-master-{master_port}",
            redis_args(master_port, workdir / "master"),
            env={},
            workdir=workdir / "master",
        )
        procs.append(master)
        wait_until(lambda: _ping(master_port), timeout=15)
        (workdir / "replica").mkdir()
        replica = start(
            f"redis-replica-{replica_port}",
            [*redis_args(replica_port, workdir / "replica"), "--replicaof", "127.0.0.1", str(master_port)],
            env={},
            workdir=workdir / "replica",
        )
        procs.append(replica)

        def replica_in_sync() -> bool:
            client = redis.Redis(port=replica_port, socket_timeout=0.5, socket_connect_timeout=0.5)
            try:
                return client.info("replication").get("master_link_status") == "up"
            finally:
                client.close()

        wait_until(replica_in_sync, timeout=20)
        for port in sentinel_ports:
            sdir = workdir / f"sentinel-{port}"
            sdir.mkdir()
            conf = sdir / "sentinel.conf"
            # Sentinel rewrites its config file (what it learned), so each one gets its own, writable.
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {sdir}\n"
                f"sentinel monitor {master_name} 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds {master_name} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {master_name} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {master_name} 1\n"
            )
            procs.append(
                start(
                    f"sentinel-{port}", [redis_server_binary(), str(conf), "--sentinel"], env={}, workdir=sdir
                )
            )
        cluster = SentinelCluster(
            master_name, master, master_port, replica, replica_port, sentinel_ports, procs=procs
        )

        def sentinels_ready() -> bool:
            # Each sentinel must know the replica and both other sentinels, or a failover cannot happen.
            for port in sentinel_ports:
                client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
                try:
                    state = client.sentinel_master(master_name)
                finally:
                    client.close()
                if int(state["num-slaves"]) < 1 or int(state["num-other-sentinels"]) < 2:
                    return False
            return True

        wait_until(sentinels_ready, timeout=30, interval=0.2)
        yield cluster
    finally:
        for proc in reversed(procs):
            proc.stop()


class TlsUnsupported(RuntimeError):
    """The installed redis-server cannot serve TLS."""


@dataclass
class TlsRedis:
    port: int
    ca_file: Path
    proc: Proc

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1/localhost: (ca, cert, key)."""
    workdir.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=workdir,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        cwd=workdir,
    )
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
        cwd=workdir,
    )
    return workdir / "ca.pem", workdir / "server.pem", workdir / "server.key"


@contextlib.contextmanager
def tls_redis(workdir: Path) -> Iterator[TlsRedis]:
    """A Redis that speaks TLS only (``--port 0``) on a free port, its certificate from a throwaway CA."""
    ca, cert, key = make_certificates(workdir / "pki")
    port = free_port()
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    proc = start(
        f"redis-tls-{port}",
        [
            redis_server_binary(),
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(ca),
            # Clients prove nothing with a certificate of their own: like a managed Redis, TLS + server check.
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir / "data"),
        ],
        env={},
        workdir=workdir / "data",
    )
    try:
        wait_until(lambda: port_open(port) or not proc.alive(), timeout=15)
        if not proc.alive():
            # A redis-server built without TLS refuses the tls-* directives and exits.
            raise TlsUnsupported(proc.text()[-500:])
        yield TlsRedis(port, ca, proc)
    finally:
        proc.stop()
