"""``python -m alerts scan``: JSON lines of masked findings, never the value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.__main__ import main


def test_scan_prints_masked_findings_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "app.txt"
    log.write_text('ok\n{"msg": "login by john@example.com pwd: s3cr3tX9"}\n', encoding="utf-8")
    assert main(["scan", str(log)]) == 1
    out = capsys.readouterr().out
    assert "john@example.com" not in out and "s3cr3tX9" not in out
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["line"], r["kind"], r["type"]) for r in records] == [
        (2, "email", "PersonalData"),
        (2, "password", "Credential"),
    ]
    assert records[0]["masked"] == "j***@e***.com"


def test_clean_file_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "clean.txt"
    log.write_text("nothing to see\n", encoding="utf-8")
    assert main(["scan", str(log)]) == 0
    assert capsys.readouterr().out == ""


def test_missing_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err
