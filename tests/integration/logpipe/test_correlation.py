"""One request followed across processes in the central store: service_1 and the Celery worker that ran its
task stream records that carry the request id of the message that caused them."""

from __future__ import annotations

from pathlib import Path

from tests.integration.logpipe.helpers import central_records, free_port, start_collector, wait_until
from tests.support.stack import make_stack


def test_a_tasks_records_carry_the_request_id_of_its_message(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    stack = make_stack(tmp_path, redis_url, FLUENTD_ENABLED="1", FLUENTD_PORT=str(port))
    central = Path(stack.env["CENTRAL_LOG_DIR"])
    collector = start_collector(tmp_path / "collector", port, CENTRAL_LOG_DIR=str(central))
    try:
        stack.start_svc2()
        stack.start_svc1()
        stack.start_worker(1)
        code, _, body = stack.post(
            {"user": "alice", "text": "a calm and friendly note"}, headers={"X-Request-ID": "corr-4242"}
        )
        assert code == 202, body
        stack.wait_status(body["id"], "done")

        def followed() -> dict[str, set[str]] | None:
            seen: dict[str, set[str]] = {}
            for record in central_records(central):
                if record.get("request_id") == "corr-4242":
                    seen.setdefault(str(record["tag"]), set()).add(str(record.get("event")))
            worker = seen.get("app.worker1", set())
            ok = "message.received" in seen.get("app.service_1", set()) and "task.finished" in worker
            return seen if ok else None

        seen = wait_until(followed, timeout=20)
        assert isinstance(seen, dict) and "task.started" in seen["app.worker1"]
        # Every central record has the request_id field, set or explicitly null.
        assert all("request_id" in r for r in central_records(central))
    finally:
        stack.stop()
        collector.stop()
