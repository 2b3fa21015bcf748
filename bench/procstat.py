"""Shared by the benches: CPU seconds of a process tree from /proc, Debian tools installed on demand.

``cpu_seconds(pid)`` is utime+stime of the process (its threads are in the process totals, and children it
already reaped in cutime+cstime) plus the same for every live descendant, so a cost moved to a thread or a
child process is still counted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError, PermissionError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid``, its threads, its reaped children and its live descendants."""
    total = 0
    seen: set[int] = set()
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        fields = _stat_fields(p)
        if fields is None:
            continue
        # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        stack += _children(p)
    return total / CLK_TCK


def ensure_debian_tool(command: str, package: str) -> str:
    """The path of ``command``, installing Debian's ``package`` first when it is missing (as scripts/test
    installs its Debian packages: only as root with apt-get, otherwise a clear message)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {package} (Debian package)…", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", package]
        if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False)
        found = shutil.which(command)
        if found:
            return found
    sys.exit(f"{command} is missing: install it (Debian: apt-get install {package})")


def ensure_pip_tool(command: str, requirement: str) -> str:
    """A console script of the running venv, pip-installing ``requirement`` into it when missing."""
    venv_bin = Path(sys.executable).parent
    candidate = venv_bin / command
    if not candidate.exists():
        print(f"installing {requirement} into {venv_bin.parent}…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", requirement], check=True)
    if not candidate.exists():
        sys.exit(f"{command} is missing after installing {requirement}")
    return str(candidate)


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle, not waiting on I/O) since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal (guest time is already inside user).
    values = [int(v) for v in fields[:8]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK
