"""compose.yaml, held to the Compose Specification and to what the contract asks of it.

There is no Docker engine on these machines: this validates the file; it does not run it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from harness.procs import ROOT, VENV_BIN

COMPOSE = ROOT / "compose.yaml"
LONG_RUNNING = ("redis", "fluentd", "svc2", "svc1", "balancer", "worker", "flower", "logview")


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load() -> dict[str, Any]:
    return YAML(typ="safe").load(COMPOSE.read_text())


def test_compose_is_valid_against_the_compose_specification(tmp_path: Path) -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    # The validator has teeth: a misspelt key is refused.
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("stop_grace_period:", "stop_grace_periodd:", 1))
    result = check_jsonschema(broken)
    assert result.returncode != 0 and "stop_grace_periodd" in result.stdout + result.stderr


def test_every_long_running_service_has_a_healthcheck_and_the_topology_follows_the_two_numbers() -> None:
    services = load()["services"]
    assert set(LONG_RUNNING) <= set(services)
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    assert services["svc1"]["deploy"]["replicas"] == "${SVC1_REPLICAS:-1}"
    assert services["worker"]["deploy"]["replicas"] == "${WORKERS:-2}"
    worker_cmd = services["worker"]["command"]
    assert "-E" in worker_cmd, "workers send task events, or Flower sees no task"
    assert services["flower"]["command"][:4] == ["celery", "-A", "celery_app", "flower"]
    assert services["flower"]["ports"] == ["127.0.0.1:${FLOWER_PORT:-5555}:5555"]
    assert services["balancer"]["ports"] == ["127.0.0.1:${SVC1_PORT:-8001}:8001"]
    # Nothing but the balancer, the viewer and Flower is published, and only on loopback.
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"balancer", "logview", "flower"}


def test_secrets_come_only_from_the_environment() -> None:
    text = COMPOSE.read_text()
    services = load()["services"]
    secret_names = ("SERVICE_TOKEN", "LOGVIEW_TOKEN", "FLOWER_BASIC_AUTH")
    for name, svc in services.items():
        for key, value in (svc.get("environment") or {}).items():
            if key in secret_names:
                # Required from the environment, no default: ${NAME:?message}.
                assert re.fullmatch(rf"\$\{{{key}:\?[^}}]*\}}", str(value)), (name, key, value)
            elif re.search(r"(?i)(token|password|secret|auth)", key):
                raise AssertionError(f"{name}: {key} looks like a secret not taken from the environment")
    # No credential is written into a URL either.
    assert not re.search(r"://[^/\s:]+:[^@\s]+@", text)
