"""The central store: layout, tag+time on every line, dedup by record_id (also after a restart)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logpipe.store import CentralStore, RecentIds, safe_tag

T = datetime(2026, 11, 29, 6, 29, 0, 576000, tzinfo=UTC).timestamp()


def read_store(directory: Path) -> Iterator[dict[str, Any]]:
    """Every record the store wrote, file by file."""
    for path in sorted(directory.glob("*/*.log")):
        for raw in path.read_bytes().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(raw)
                if isinstance(record, dict):
                    yield record


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_layout_and_fields(tmp_path: Path) -> None:
    store = CentralStore(tmp_path)
    store.write("app.service_1", [(T, {"message": "hi", "record_id": "a"})])
    store.write("app.service_1", [(T + 86_400, {"message": "tomorrow", "record_id": "b"})])
    store.close()
    day = tmp_path / "app.service_1" / "2026-11-29.log"
    assert lines(day) == [
        {"message": "hi", "record_id": "a", "tag": "app.service_1", "time": "2026-11-29T06:29:00.576Z"}
    ]
    assert lines(tmp_path / "app.service_1" / "2026-11-30.log")[0]["message"] == "tomorrow"


def test_one_batch_across_midnight_goes_to_each_days_file_in_order(tmp_path: Path) -> None:
    """A sender's batch can straddle midnight (and a late record can follow an early one): each line goes to
    its own day's file, and each file keeps the batch's order."""
    store = CentralStore(tmp_path)
    midnight = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
    batch = [
        (midnight - 1, {"n": 1}),
        (midnight + 1, {"n": 2}),
        (midnight - 0.5, {"n": 3}),
        (midnight + 2, {"n": 4}),
    ]
    assert store.write("t", batch) == (4, 0)
    store.close()
    assert [r["n"] for r in lines(tmp_path / "t" / "2026-11-29.log")] == [1, 3]
    assert [r["n"] for r in lines(tmp_path / "t" / "2026-11-30.log")] == [2, 4]


def test_duplicates_are_dropped_within_and_across_batches(tmp_path: Path) -> None:
    store = CentralStore(tmp_path)
    assert store.write("t", [(T, {"record_id": "a"}), (T, {"record_id": "a"}), (T, {"record_id": "b"})]) == (
        2,
        1,
    )
    assert store.write("t", [(T, {"record_id": "b"}), (T, {"x": 1}), (T, {"x": 1})]) == (2, 1)
    store.close()
    assert len(list(read_store(tmp_path))) == 4


def test_a_restarted_store_remembers_todays_ids(tmp_path: Path) -> None:
    now = datetime.now(UTC).timestamp()
    first = CentralStore(tmp_path)
    first.write("t", [(now, {"record_id": "a"})])
    first.close()
    second = CentralStore(tmp_path)
    assert second.load_recent_ids() == 1
    assert second.write("t", [(now, {"record_id": "a"}), (now, {"record_id": "c"})]) == (1, 1)
    second.close()


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "t" / "2026-11-29.log"
    path.parent.mkdir(parents=True)
    path.write_text('{"record_id": "a"}\n{"record_id": "b", "mess')
    store = CentralStore(tmp_path)
    store.write("t", [(T, {"record_id": "b"})])
    store.close()
    assert [r["record_id"] for r in read_store(tmp_path)] == ["a", "b"]


def test_tags_cannot_escape_the_store() -> None:
    assert safe_tag("../../etc/passwd") == "_.._.._etc_passwd"
    assert safe_tag("..") == "_.."
    assert safe_tag("app.service_1") == "app.service_1"
    assert "/" not in safe_tag("a/b\\c\0d")


def test_recent_ids_are_bounded() -> None:
    recent = RecentIds(3)
    for rid in "abcd":
        recent.add(rid)
    assert len(recent) == 3 and "a" not in recent and "d" in recent


def test_a_lone_surrogate_is_stored_as_an_escape_in_a_valid_line(tmp_path: Path) -> None:
    """Undecodable client bytes arrive as lone surrogates (the collector decodes with surrogateescape): the
    line stays valid UTF-8 and JSON, and reads back to the same text."""
    store = CentralStore(tmp_path)
    store.write("t", [(T, {"message": "caf\udce9", "record_id": "s"})])
    store.close()
    raw = next(tmp_path.glob("t/*.log")).read_bytes()
    raw.decode("utf-8")
    assert json.loads(raw)["message"] == "caf\udce9"
