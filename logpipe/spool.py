"""A bounded, ordered, on-disk queue of packed log entries, for while the collector is unreachable.

A segment file is a plain concatenation of msgpack ``[time, record]`` entries, which is exactly the
``entries`` payload of the forward protocol's PackedForward mode: a segment is sent as one chunk without
re-encoding. Segments are numbered; the lowest number is the oldest. The spool belongs to one thread (the
sender's), so it takes no locks.

Bounded: when the spool would exceed ``max_bytes`` the oldest segments go first, and the records lost that
way are counted and reported through ``on_drop``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import msgpack

SUFFIX = ".spool"


@dataclass
class Segment:
    number: int
    path: Path
    size: int
    count: int


def count_entries(data: bytes) -> tuple[int, int]:
    """Returns (entries, bytes of whole entries): a torn last write leaves a tail that is not counted."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    count = 0
    good = 0
    try:
        for _ in unpacker:
            count += 1
            good = unpacker.tell()
    except (ValueError, msgpack.UnpackException):
        pass
    return count, good


class Spool:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        segment_bytes: int,
        on_drop: Callable[[int, int], None] | None = None,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.on_drop = on_drop
        self.dropped_records = 0
        self.segments: deque[Segment] = deque()
        self._tail: BinaryIO | None = None
        self._next_number = 1
        self._size = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._load()

    # -- state -------------------------------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return not self.segments

    @property
    def size(self) -> int:
        return self._size

    @property
    def records(self) -> int:
        return sum(seg.count for seg in self.segments)

    # -- writing -----------------------------------------------------------------------------------------
    def append(self, chunks: Iterable[tuple[bytes, int]]) -> None:
        """Appends each ``(payload, count)``, ``count`` whole entries, to the tail segment. A segment takes
        whole payloads: one that would pass ``segment_bytes`` starts the next (a payload larger than that
        alone makes a segment of its own), so a segment, sent as one chunk, stays within the bound."""
        for payload, count in chunks:
            seg, stream = self._writable_tail(len(payload))
            stream.write(payload)
            seg.size += len(payload)
            seg.count += count
            self._size += len(payload)
        if self._tail is not None:
            # To the OS, not to the platter: the spool must survive this process being killed, and an
            # fsync per batch would make a disk stall the sender's problem every time.
            self._tail.flush()
        self._enforce_bound()

    def _writable_tail(self, adding: int) -> tuple[Segment, BinaryIO]:
        tail_size = self.segments[-1].size if self.segments else 0
        if self._tail is None or (tail_size > 0 and tail_size + adding > self.segment_bytes):
            self._seal()
            number = self._next_number
            self._next_number += 1
            path = self.directory / f"{number:016d}{SUFFIX}"
            self._tail = path.open("ab")
            self.segments.append(Segment(number, path, 0, 0))
        return self.segments[-1], self._tail

    def _seal(self) -> None:
        if self._tail is not None:
            self._tail.close()
            self._tail = None

    def _enforce_bound(self) -> None:
        while self.segments and self.size > self.max_bytes:
            oldest = self.segments[0]
            self._remove_head()
            self.dropped_records += oldest.count
            if self.on_drop is not None:
                self.on_drop(oldest.count, oldest.size)

    # -- reading -----------------------------------------------------------------------------------------
    def head(self) -> tuple[bytes, int] | None:
        """The oldest segment's payload and entry count; the segment is sealed so nothing joins it."""
        if not self.segments:
            return None
        if len(self.segments) == 1:
            self._seal()
        seg = self.segments[0]
        data = seg.path.read_bytes()[: seg.size]
        return data, seg.count

    def pop_head(self) -> None:
        """Forgets the oldest segment once the collector acknowledged it."""
        if self.segments:
            self._remove_head()

    def _remove_head(self) -> None:
        seg = self.segments.popleft()
        self._size -= seg.size
        if not self.segments:
            self._seal()
        with contextlib.suppress(FileNotFoundError):
            seg.path.unlink()

    def close(self) -> None:
        self._seal()

    # -- start-up ----------------------------------------------------------------------------------------
    def _load(self) -> None:
        """Picks up what an earlier run of this process left unsent, oldest first."""
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            try:
                number = int(path.stem)
            except ValueError:
                continue
            data = path.read_bytes()
            count, good = count_entries(data)
            if good < len(data):
                # A write torn by a crash: keep the whole entries before it.
                with path.open("r+b") as f:
                    f.truncate(good)
            if count == 0:
                path.unlink()
                continue
            self.segments.append(Segment(number, path, good, count))
            self._size += good
            self._next_number = max(self._next_number, number + 1)
        self._enforce_bound()


def lock_directory(directory: Path) -> tuple[Path, int]:
    """Takes ``directory`` for this process, or a pid-named sibling when another process holds it.

    Two processes sharing one spool would send each other's records and delete each other's segments.
    The returned descriptor holds the lock for the process's life (the kernel drops it on exit).
    """
    for candidate in (directory, directory.with_name(f"{directory.name}-{os.getpid()}")):
        candidate.mkdir(parents=True, exist_ok=True)
        fd = os.open(candidate / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return candidate, fd
    raise RuntimeError(f"cannot lock a spool directory near {directory}")
