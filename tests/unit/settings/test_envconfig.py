"""One reader of settings for every package: defaults, typed values, and a clear stop for a bad one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from celery_app.settings import WorkerSettings
from envconfig import Env, SettingError
from harness.procs import ROOT
from logview.settings import Settings as LogviewSettings
from svc1.settings import Settings as Svc1Settings


def test_unset_and_blank_give_the_default() -> None:
    env = Env({"BLANK": "  "})
    assert env.integer("UNSET", 5) == 5
    assert env.integer("BLANK", 5) == 5
    assert env.text("BLANK", "d") == "d"
    assert env.optional("BLANK") is None
    assert env.flag("UNSET", True) is True


def test_typed_values() -> None:
    env = Env({"N": " 42 ", "F": "0.25", "ON": "yes", "OFF": "0", "P": "x/y"})
    assert env.integer("N", 0) == 42
    assert env.number("F", 1.0) == 0.25
    assert (env.flag("ON", False), env.flag("OFF", True)) == (True, False)
    assert str(env.path("P", "z")) == "x/y"


@pytest.mark.parametrize(
    ("values", "read", "said"),
    [
        ({"PORT": "eighty"}, lambda e: e.integer("PORT", 1), "PORT must be a whole number"),
        ({"T": "fast"}, lambda e: e.number("T", 1.0), "T must be a number"),
        ({"T": "nan"}, lambda e: e.number("T", 1.0), "T must be a finite number"),
        ({"N": "-3"}, lambda e: e.integer("N", 1, minimum=0), "N must be at least 0"),
        ({"B": "maybe"}, lambda e: e.flag("B", True), "B must be 1 or 0"),
    ],
)
def test_a_bad_value_names_the_variable_and_never_echoes_it(
    values: dict[str, str], read: Callable[[Env], object], said: str
) -> None:
    with pytest.raises(SettingError) as err:
        read(Env(values))
    assert said in str(err.value)
    assert all(v not in str(err.value) for v in values.values() if not v.lstrip("-").isdigit())


def test_shared_settings_are_read_once_by_their_owner() -> None:
    env = {"REDIS_URL": "redis://elsewhere:6390/2", "RESULT_TTL_SECONDS": "60", "LOG_DIR": "/tmp/l"}
    svc1 = Svc1Settings.from_env(Env(env))
    worker = WorkerSettings.from_env(Env(env))
    assert (svc1.redis_url, svc1.result_ttl_seconds) == (worker.redis_url, worker.result_ttl_seconds)
    assert str(LogviewSettings.from_env(env).log_dir) == "/tmp/l"


def test_a_service_with_a_bad_setting_stops_with_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "svc1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SVC1_PORT": "http", "LOG_DIR": "/tmp/envconfig-test-logs"},
    )
    assert proc.returncode != 0
    assert "SVC1_PORT must be a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr
