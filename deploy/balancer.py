"""Renders the balancer's configuration for the one-machine run.

    python -m deploy.balancer DIR --listen 8001 --replica 18101 --replica 18102 [--host 127.0.0.1]

writes ``DIR/balancer.conf`` (from ``deploy/balancer.conf.template``, the file compose renders too) and
``DIR/nginx.conf`` (the process plumbing: pid and temp files under DIR), creates the temp folders and prints
the command line that starts nginx on it in the foreground. The substitution is the one nginx's Docker image
does (envsubst of the ``${BALANCER_*}`` names only), so nginx's own ``$variables`` are left alone, and a
placeholder without a value is an error rather than an empty string.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
BALANCER_TEMPLATE = HERE / "balancer.conf.template"
LOCAL_MAIN_TEMPLATE = HERE / "nginx-local.conf.template"
PLACEHOLDER = re.compile(r"\$\{(BALANCER_[A-Z0-9_]+)\}")
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")
# A replica that refused a connection is left out for this long before nginx tries it again.
FAIL_TIMEOUT = "2s"


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``${BALANCER_X}`` replaced by ``values["BALANCER_X"]``; a missing one raises."""
    missing = sorted({name for name in PLACEHOLDER.findall(template) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def local_values(
    listen_port: int, replica_ports: Sequence[int], *, listen_host: str = "127.0.0.1", host: str = "127.0.0.1"
) -> dict[str, str]:
    """The placeholders of balancer.conf for replicas on this machine (``host``, loopback by default)."""
    if not replica_ports:
        raise ValueError("the balancer needs at least one replica")
    servers = "\n    ".join(
        f"server {host}:{port} max_fails=1 fail_timeout={FAIL_TIMEOUT};" for port in replica_ports
    )
    return {
        "BALANCER_LISTEN": f"{listen_host}:{listen_port}",
        "BALANCER_SERVERS": servers,
        # Addresses are literal here: nothing to resolve.
        "BALANCER_RESOLVER": "",
    }


def write_local(
    directory: Path,
    listen_port: int,
    replica_ports: Sequence[int],
    *,
    listen_host: str = "127.0.0.1",
    workers: int = 1,
) -> Path:
    """Writes DIR/balancer.conf and DIR/nginx.conf with their temp folders; returns nginx.conf's path."""
    directory = directory.resolve()
    for name in TEMP_DIRS:
        (directory / "tmp" / name).mkdir(parents=True, exist_ok=True)
    values = local_values(listen_port, replica_ports, listen_host=listen_host)
    balancer = render(BALANCER_TEMPLATE.read_text(), values)
    (directory / "balancer.conf").write_text(balancer)
    main = render(
        LOCAL_MAIN_TEMPLATE.read_text(),
        {"BALANCER_PREFIX": str(directory), "BALANCER_WORKERS": str(workers)},
    )
    conf = directory / "nginx.conf"
    conf.write_text(main)
    return conf


def nginx_binary() -> str:
    """Debian's nginx: on PATH, or in /usr/sbin when PATH lacks it (a non-root shell)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx)")
    return found


def nginx_command(conf: Path, *, test: bool = False) -> list[str]:
    """nginx in the foreground (a child its parent stops by pid), errors on stderr, nothing under /var."""
    args = [nginx_binary(), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"]
    if test:
        args.append("-t")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--listen", type=int, required=True, help="the port clients use (SVC1_PORT)")
    parser.add_argument(
        "--replica", type=int, action="append", required=True, help="a replica's port on 127.0.0.1"
    )
    parser.add_argument("--listen-host", default=os.environ.get("SVC1_HOST") or "127.0.0.1")
    parser.add_argument("--workers", type=int, default=1, help="nginx worker processes")
    args = parser.parse_args(argv)
    conf = write_local(
        args.directory, args.listen, args.replica, listen_host=args.listen_host, workers=args.workers
    )
    print(" ".join(arg if " " not in arg else f"'{arg}'" for arg in nginx_command(conf)))


if __name__ == "__main__":
    main(sys.argv[1:])
