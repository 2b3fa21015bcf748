"""The on-disk spool: ordered, bounded (oldest dropped first, counted), and it survives a restart."""

from __future__ import annotations

from pathlib import Path

import msgpack

from logpipe.spool import Spool, count_entries, lock_directory


def entry(n: int, pad: int = 0) -> tuple[bytes, int]:
    """One entry as a chunk of one (the spool takes whole chunks)."""
    return msgpack.packb([1_700_000_000 + n, {"n": n, "pad": "x" * pad}]), 1


def drain(spool: Spool) -> list[int]:
    seen = []
    while (head := spool.head()) is not None:
        payload, count = head
        unpacker = msgpack.Unpacker()
        unpacker.feed(payload)
        items = [rec["n"] for _, rec in unpacker]
        assert len(items) == count
        seen.extend(items)
        spool.pop_head()
    return seen


def test_keeps_order_across_segments(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=200)
    spool.append(entry(n) for n in range(30))
    spool.append(entry(n) for n in range(30, 50))
    assert len(spool.segments) > 1
    assert spool.records == 50
    assert drain(spool) == list(range(50))
    assert spool.empty and spool.size == 0
    assert not list(tmp_path.glob("*.spool"))


def test_appends_after_a_sealed_head_go_to_a_new_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=1_000_000)
    spool.append([entry(1)])
    _, count = spool.head()  # type: ignore[misc]
    spool.append([entry(2)])  # arrives while the head is "in flight"
    spool.pop_head()
    assert count == 1
    assert drain(spool) == [2]


def test_full_spool_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    dropped: list[tuple[int, int]] = []
    spool = Spool(tmp_path, max_bytes=2_000, segment_bytes=500, on_drop=lambda r, b: dropped.append((r, b)))
    spool.append(entry(n, pad=50) for n in range(100))
    assert spool.size <= 2_000
    kept = drain(spool)
    assert kept == list(range(100 - len(kept), 100)), "the newest survive, in order"
    assert spool.dropped_records == 100 - len(kept) == sum(r for r, _ in dropped)
    spool.close()


def test_a_new_spool_picks_up_what_a_killed_process_left(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=300)
    first.append(entry(n) for n in range(20))
    first.close()  # stands for the process dying: nothing else is tidied up
    # ... and its last write was torn halfway.
    tail = first.segments[-1].path
    with tail.open("ab") as f:
        f.write(entry(99)[0][:5])
    second = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=300)
    second.append([entry(20)])
    assert drain(second) == list(range(21))
    second.close()


def test_count_entries_stops_at_a_torn_tail() -> None:
    data = entry(1)[0] + entry(2)[0] + entry(3)[0][:3]
    assert count_entries(data) == (2, len(entry(1)[0] + entry(2)[0]))


def test_a_second_process_gets_its_own_spool_directory(tmp_path: Path) -> None:
    import os

    first, fd1 = lock_directory(tmp_path / "svc")
    # flock is per open file description: a second open in this process conflicts like another process.
    second, fd2 = lock_directory(tmp_path / "svc")
    try:
        assert first == tmp_path / "svc"
        assert second != first and second.name.startswith("svc-")
    finally:
        os.close(fd1)
        os.close(fd2)


def chunk(first: int, count: int, pad: int = 0) -> tuple[bytes, int]:
    """``count`` entries in one payload, as the forwarder hands a packed batch over."""
    return b"".join(entry(n, pad)[0] for n in range(first, first + count)), count


def test_chunks_of_several_entries_keep_their_counts_and_stay_within_a_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=400)
    spool.append(chunk(n, 5, pad=10) for n in range(0, 60, 5))
    assert spool.records == 60
    assert all(seg.size <= 400 for seg in spool.segments) and len(spool.segments) > 1
    assert all(seg.count % 5 == 0 for seg in spool.segments), "a chunk is never split across segments"
    spool.close()
    # A restart counts the entries on disk again, and gets the same numbers.
    again = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=400)
    assert again.records == 60
    assert drain(again) == list(range(60))
    again.close()


def test_a_chunk_larger_than_a_segment_makes_one_of_its_own(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=100)
    spool.append([entry(0), chunk(1, 10, pad=20), entry(11)])
    assert [seg.count for seg in spool.segments] == [1, 10, 1]
    assert drain(spool) == list(range(12))
    spool.close()
