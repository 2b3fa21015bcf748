"""Alert reports: the contract's file shape, masked values only, atomic writes and the flood bound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts import alert_type_for, scan
from alerts.kinds import ALERT_TYPES, KIND_TO_TYPE
from alerts.reports import ReportWriter, new_alert, report_filename, write_atomic


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_kind_to_type_is_the_contract() -> None:
    assert KIND_TO_TYPE == {
        "email": "PersonalData",
        "phone": "PersonalData",
        "ip_address": "PersonalData",
        "password": "Credential",
        "api_key": "Credential",
        "aws_key": "Credential",
        "jwt": "Credential",
        "private_key": "Credential",
        "bearer_token": "Credential",
        "credit_card": "FinancialData",
        "iban": "FinancialData",
        "ssn": "GovernmentId",
    }
    assert "InvalidInput" in ALERT_TYPES


def test_gravest_type_wins() -> None:
    assert alert_type_for(["email", "password"]) == "Credential"
    assert alert_type_for(["ssn", "phone"]) == "GovernmentId"
    with pytest.raises(ValueError):
        alert_type_for([])


def test_report_holds_masked_values_only(tmp_path: Path) -> None:
    text = "card 4111 1111 1111 1111, mail john.doe@example.com, pwd: hunter2X"
    findings = scan(text)
    alert = new_alert(
        alert_type_for(f.kind for f in findings),
        "sensitive data",
        service="service_1",
        request_id="r1",
        findings=findings,
    )
    path = ReportWriter(tmp_path).write(alert)
    assert path is not None and path.name == report_filename(alert)
    raw = path.read_text(encoding="utf-8")
    for value in ("4111 1111 1111 1111", "4111111111111111", "john.doe@example.com", "hunter2X"):
        assert value not in raw
    body = json.loads(raw)
    assert set(body) == {"id", "time", "type", "description", "service", "request_id", "findings"}
    assert body["type"] == "Credential"
    assert [f["kind"] for f in body["findings"]] == ["credit_card", "email", "password"]
    assert all(set(f) == {"kind", "start", "end", "masked"} for f in body["findings"])


def test_filename_is_time_type_id(tmp_path: Path) -> None:
    alert = new_alert("PersonalData", "d", service="s", request_id=None)
    name = report_filename(alert)
    assert name.endswith(f"_PersonalData_{alert.id}.json")
    assert ":" not in name


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_atomic(tmp_path, "x.json", {"bad": object()})
    assert list(tmp_path.iterdir()) == []
    write_atomic(tmp_path, "ok.json", {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["ok.json"]


def test_flood_bound_writes_a_summary(tmp_path: Path) -> None:
    clock = Clock()
    writer = ReportWriter(tmp_path, limit_per_minute=3, clock=clock)
    results = [
        writer.write(new_alert("InvalidInput", "bad", service="s", request_id=None)) for _ in range(10)
    ]
    assert sum(r is not None for r in results) == 3
    # Another type has its own budget.
    assert writer.write(new_alert("Credential", "c", service="s", request_id=None)) is not None
    assert writer.flush() == []  # the minute is not over yet
    clock.now += 61
    summaries = writer.flush()
    assert len(summaries) == 1
    summary = json.loads(summaries[0].read_text(encoding="utf-8"))
    assert summary["summary"] is True and summary["suppressed"] == 7 and summary["type"] == "InvalidInput"
    assert len(list(tmp_path.glob("*.json"))) == 5


def test_new_window_after_a_minute_and_summary_on_close(tmp_path: Path) -> None:
    clock = Clock()
    writer = ReportWriter(tmp_path, limit_per_minute=1, clock=clock)
    writer.write(new_alert("PersonalData", "a", service="s", request_id=None))
    assert writer.write(new_alert("PersonalData", "b", service="s", request_id=None)) is None
    clock.now += 60
    # The next alert opens a new window and writes the previous window's summary first.
    assert writer.write(new_alert("PersonalData", "c", service="s", request_id=None)) is not None
    assert writer.write(new_alert("PersonalData", "d", service="s", request_id=None)) is None
    closed = writer.close()
    assert len(closed) == 1
    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.glob("*.json")]
    assert sorted(b.get("suppressed", 0) for b in bodies) == [0, 0, 1, 1]
