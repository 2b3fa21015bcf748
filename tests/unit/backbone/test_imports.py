"""Importing a module does no work: no Celery app, connection or thread is built until someone asks."""

from __future__ import annotations

import subprocess
import sys

from tests.support.procs import ROOT

COUNT_APPS = """
import threading
import celery

made = []
original = celery.Celery.__init__


def counting(self, *args, **kwargs):
    made.append(1)
    original(self, *args, **kwargs)


celery.Celery.__init__ = counting
threads = threading.active_count()
{body}
print(len(made), threading.active_count() - threads)
"""


def run(body: str) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_APPS.format(body=body)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    apps, threads = out.stdout.split()
    return int(apps), int(threads)


def test_importing_the_services_builds_no_celery_app_and_starts_no_thread() -> None:
    assert run("import svc1.app, svc2.app, logview.app, celery_app, celery_app.messages") == (0, 0)


def test_create_app_builds_no_celery_app_until_the_app_starts() -> None:
    assert run("import svc1.app\nsvc1.app.create_app()")[0] == 0


def test_the_worker_module_builds_exactly_one() -> None:
    assert run("import celery_app.celery, celery_app.tasks")[0] == 1
