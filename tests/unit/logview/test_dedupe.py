"""A real Fluentd stores a re-sent chunk twice: the viewer shows each ``record_id`` once, on every page and
in the live stream."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from logview.reader import MAX_CARRIED, Query, read_page
from logview.tail import Tailer
from tests.unit.logview.centrallog import rec, write


def _all_pages(root: Path, limit: int, query: Query | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    out: list[dict[str, Any]] = []
    cursors: list[str] = []
    cursor = None
    while True:
        page = read_page(root, query or Query(), limit, cursor)
        out.extend(page.records)
        if page.cursor is None:
            return out, cursors
        cursor = page.cursor
        cursors.append(cursor)


def _resent_log(root: Path) -> list[dict[str, Any]]:
    """300 records of two services; chunks of 10 re-sent a few seconds (50 records) after they were first
    written, one of them twice, and one record of another service re-sent into its own file."""
    records = [rec(i * 0.1, service=("service_1" if i % 3 else "worker1")) for i in range(300)]
    mine = [r for r in records if r["service"] == "service_1"]
    theirs = [r for r in records if r["service"] == "worker1"]
    lines = mine[:60] + mine[20:30] + mine[60:120] + mine[70:80] + mine[70:80] + mine[120:]
    write(root, lines)
    write(root, [*theirs[:50], theirs[10], *theirs[50:]])
    return records


@pytest.mark.parametrize("limit", [1, 7, 10, 37, 500])
def test_pages_show_each_record_once_however_they_are_cut(tmp_path: Path, limit: int) -> None:
    records = _resent_log(tmp_path)
    shown, cursors = _all_pages(tmp_path, limit)
    counts = Counter(r["record_id"] for r in shown)
    assert counts == Counter(r["record_id"] for r in records)
    assert len(shown) == len(records)
    # The keys a cursor carries stay few and small (a URL's request line is at most 8 KB).
    assert all(len(c) < 3000 for c in cursors)


def test_a_filtered_search_shows_each_match_once(tmp_path: Path) -> None:
    _resent_log(tmp_path)
    shown, _ = _all_pages(tmp_path, 4, Query(service="service_1"))
    assert len(shown) == len({r["record_id"] for r in shown}) == 200


def test_records_without_a_record_id_are_all_shown(tmp_path: Path) -> None:
    plain = [{k: v for k, v in rec(i).items() if k != "record_id"} for i in range(5)]
    write(tmp_path, plain + plain)
    shown, _ = _all_pages(tmp_path, 3)
    assert len(shown) == 10


def test_a_cursor_carries_at_most_a_bounded_number_of_keys(tmp_path: Path) -> None:
    # Every record of the first 400 is re-sent at the very end: the worst case for carried keys.
    records = [rec(i) for i in range(400)]
    write(tmp_path, records + records[:300])
    page = read_page(tmp_path, Query(), 250)
    assert page.cursor is not None
    state = json.loads(base64.urlsafe_b64decode(page.cursor + "=" * (-len(page.cursor) % 4)))
    assert len(state["s"]) <= MAX_CARRIED
    assert len({r["record_id"] for r in page.records}) == len(page.records)


async def test_the_live_stream_shows_a_re_sent_record_once(tmp_path: Path) -> None:
    before = [rec(i) for i in range(20)]
    write(tmp_path, before)
    with ThreadPoolExecutor(1) as executor:
        tailer = Tailer(tmp_path, executor, interval=0.02)
        await tailer.start()
        queue = tailer.subscribe()
        try:
            fresh = [rec(100 + i) for i in range(10)]
            # A chunk of records already shown by the first page comes again, then a new chunk twice.
            write(tmp_path, before[15:] + fresh + fresh[:4])
            got: list[dict[str, Any]] = []
            while len(got) < len(fresh):
                got.append(await asyncio.wait_for(queue.get(), timeout=5))
            write(tmp_path, [rec(200)])
            got.append(await asyncio.wait_for(queue.get(), timeout=5))
        finally:
            await tailer.stop()
    ids = [r["record_id"] for r in got]
    assert ids == [r["record_id"] for r in fresh] + [ids[-1]]
    assert len(set(ids)) == len(ids)
