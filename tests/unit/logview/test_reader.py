"""The backward reader against files with every shape a live central log takes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from logview.reader import BackwardLines, Budget, CursorError, Query, decode_cursor, read_page
from tests.unit.logview.centrallog import rec, write


def _all_pages(root: Path, query: Query, limit: int, budget: int = 1 << 30) -> list[dict]:
    out: list[dict] = []
    cursor = None
    for _ in range(10_000):
        page = read_page(root, query, limit, cursor, budget)
        out.extend(page.records)
        cursor = page.cursor
        if cursor is None:
            return out
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("block", [1, 7, 64, 4096])
def test_backward_lines_match_forward_reading_at_any_block_size(tmp_path: Path, block: int) -> None:
    rng = random.Random(block)
    lines = [json.dumps({"n": i, "pad": "x" * rng.randint(0, 90)}).encode() for i in range(300)]
    path = tmp_path / "f.log"
    path.write_bytes(b"\n".join(lines) + b"\n" + b'{"torn": ')
    with path.open("rb") as fh:
        reader = BackwardLines(fh, path.stat().st_size, Query(), Budget(1 << 30), block=block)
        seen = []
        while (line := reader.next()) is not None:
            seen.append(line.raw)
            assert path.read_bytes()[line.start : line.end] == line.raw + b"\n"
    assert seen == lines[::-1]  # the torn last line is left for the live tail


def test_pages_cover_every_record_once_newest_first_across_files(tmp_path: Path) -> None:
    records = [rec(i * 0.5, service=s) for i, s in enumerate(["service_1", "service_2", "worker1"] * 200)]
    write(tmp_path, records)
    got = _all_pages(tmp_path, Query(), limit=37)
    assert [r["record_id"] for r in got] == [r["record_id"] for r in reversed(records)]


def test_appending_between_pages_does_not_shift_them(tmp_path: Path) -> None:
    write(tmp_path, [rec(i) for i in range(50)])
    first = read_page(tmp_path, Query(), 20)
    write(tmp_path, [rec(100 + i) for i in range(30)])  # newer records land above the snapshot
    second = read_page(tmp_path, Query(), 20, first.cursor)
    assert second.records[0]["time"] < first.records[-1]["time"]
    assert {r["record_id"] for r in first.records}.isdisjoint(r["record_id"] for r in second.records)


def test_filters_and_text_search(tmp_path: Path) -> None:
    write(
        tmp_path,
        [
            rec(1, "service_1", "message.received", request_id="r-1", message="Hello World"),
            rec(2, "service_2", "message.forwarded", request_id="r-1", level="info"),
            rec(3, "worker1", "task.failed", level="ERROR", message="boom", detail="Disk FULL"),
        ],
    )
    assert [r["service"] for r in read_page(tmp_path, Query(request_id="r-1"), 10).records] == [
        "service_2",
        "service_1",
    ]
    assert len(read_page(tmp_path, Query(level="INFO"), 10).records) == 2
    failed = read_page(tmp_path, Query(event="task.failed"), 10).records
    assert [r["event"] for r in failed] == ["task.failed"]
    assert len(read_page(tmp_path, Query(q="hello world"), 10).records) == 1
    assert len(read_page(tmp_path, Query(q="disk full"), 10).records) == 1  # extra fields are searched
    assert read_page(tmp_path, Query(q="<script>"), 10).records == []


def test_tolerates_garbage_rotated_and_compressed_files(tmp_path: Path) -> None:
    path = write(tmp_path, [rec(1), rec(2)], tail=b'not json\n\n["a list"]\n{"time": "2026-')
    (path.parent / "2026-11-28.log.1").write_text(json.dumps(rec(-100)) + "\n")
    (path.parent / "2026-11-27.log.gz").write_bytes(b"\x1f\x8b garbage")
    got = read_page(tmp_path, Query(), 10).records
    assert len(got) == 3
    assert got[-1]["time"] < got[0]["time"]


def test_budget_stops_a_rare_search_with_a_cursor_that_continues(tmp_path: Path) -> None:
    write(tmp_path, [rec(0, request_id="needle")] + [rec(i + 1, message="y" * 200) for i in range(2000)])
    page = read_page(tmp_path, Query(request_id="needle"), 10, budget_bytes=64 * 1024)
    assert page.partial and page.records == [] and page.cursor
    found = _all_pages(tmp_path, Query(request_id="needle"), 10, budget=64 * 1024)
    assert [r["request_id"] for r in found] == ["needle"]


@pytest.mark.parametrize("cursor", ["%%%", "e30", "eyJ2IjoxLCJvIjp7ImEiOi0xfX0"])
def test_foreign_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(CursorError):
        decode_cursor(cursor)


def test_redaction_fails_closed_when_the_detector_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    from logview import redact as redact_module

    def broken(text: str) -> list[object]:
        raise RuntimeError("detector bug")

    monkeypatch.setattr(redact_module, "scan", broken)
    out = redact_module.redact({"event": "x", "message": "mail bob@example.com"})
    assert out["message"] == redact_module.WITHHELD and out["event"] == "x"
    assert out[redact_module.MARK] == ["unscanned"]
