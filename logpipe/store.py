"""The central log store: ``<central_dir>/<tag>/<YYYY-MM-DD>.log``, JSON lines, append-only.

Fluentd's ``fluentd/fluent.conf`` writes the same layout, so the viewer reads either the same way. Every
line is the record's fields plus ``tag`` and ``time`` (ISO 8601 UTC, ms). A record whose ``record_id`` was
already written is dropped: senders deliver at least once, this makes the store exactly once.

Used from one thread only (the collector's writer thread), so it takes no locks.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from logpipe.clock import UtcClock

_orjson_dumps = orjson.dumps
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# Reading a day file back to seed the dedup set looks at its last part only.
_RELOAD_TAIL_BYTES = 64 * 1024 * 1024


def _dumps(line: dict[str, Any]) -> bytes:
    try:
        # Without a default first: passing one sends orjson down a slower path, and records from our own
        # senders never need it.
        return _orjson_dumps(line)
    except TypeError:
        pass
    try:
        return _orjson_dumps(line, default=str)
    except TypeError:
        # Lone surrogates (undecodable client bytes) or an int past 64 bits: the standard encoder copes, and
        # a surrogate becomes a \\udcXX escape, so the line is still valid JSON and UTF-8.
        return json.dumps(line, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")


def safe_tag(tag: str) -> str:
    """The tag as one harmless directory name: a tag is client input, ``../x`` must not escape."""
    cleaned = _UNSAFE.sub("_", tag)[:200]
    if not cleaned or cleaned.startswith("."):
        cleaned = "_" + cleaned
    return cleaned


class RecentIds:
    """A bounded set that forgets the oldest ids first."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._order: deque[str] = deque()
        self._ids: set[str] = set()

    def __contains__(self, rid: str) -> bool:
        return rid in self._ids

    @property
    def ids(self) -> AbstractSet[str]:
        """The ids as a set to test membership in (read only): per record, a method call cost more."""
        return self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, rid: str) -> None:
        self.add_many((rid,))

    def add_many(self, rids: Iterable[str]) -> None:
        ids, order = self._ids, self._order
        for rid in rids:
            if rid not in ids:
                ids.add(rid)
                order.append(rid)
        while len(order) > self.limit:
            ids.discard(order.popleft())


class CentralStore:
    def __init__(self, directory: Path, *, dedup_ids: int = 500_000, open_files: int = 64) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.recent = RecentIds(dedup_ids)
        self.clock = UtcClock()
        self.open_files = max(1, open_files)
        self._files: OrderedDict[tuple[str, str], BinaryIO] = OrderedDict()
        self.written = 0
        self.duplicates = 0

    def load_recent_ids(self, now: datetime | None = None) -> int:
        """Seeds the dedup set from today's and yesterday's files, so a retry after a restart dedups too."""
        now = now or datetime.now(UTC)
        days = {(now - timedelta(days=1)).strftime("%Y-%m-%d"), now.strftime("%Y-%m-%d")}
        paths = [p for day in sorted(days) for p in self.directory.glob(f"*/{day}.log")]
        loaded = 0
        for path in sorted(paths, key=lambda p: p.stat().st_mtime):
            for record in _read_tail(path):
                rid = record.get("record_id")
                if isinstance(rid, str):
                    self.recent.add(rid)
                    loaded += 1
        return loaded

    def write(self, tag: str, entries: Iterable[tuple[float, dict[str, Any]]]) -> tuple[int, int]:
        """Appends the new records, flushed to the OS before returning; returns (written, duplicates).

        Each record written gets its ``tag`` and ``time`` set in place: pass records nobody else holds."""
        batches: dict[tuple[str, str], list[bytes]] = {}
        written = duplicates = 0
        pending: set[str] = set()
        tag_dir = safe_tag(tag)
        recent = self.recent.ids
        iso = self.clock.iso
        day = ""
        lines: list[bytes] = []
        for seconds, record in entries:
            rid = record.get("record_id")
            if isinstance(rid, str):
                if rid in recent or rid in pending:
                    duplicates += 1
                    continue
                pending.add(rid)
            # In place, not a copy: the record is the collector's own, just decoded, and a key it already
            # holds keeps its place either way.
            record["tag"] = tag
            record["time"] = stamp = iso(seconds)
            line = _dumps(record)
            if stamp[:10] != day:
                # A batch spans a midnight rarely: the lines of each day go to that day's file.
                day = stamp[:10]
                lines = batches.setdefault((tag_dir, day), [])
            lines.append(line)
            written += 1
        for key, day_lines in batches.items():
            f = self._file(key)
            f.write(b"\n".join(day_lines) + b"\n")
            f.flush()
        # Only once the lines are out: a failed write must leave these ids free for the retry.
        self.recent.add_many(pending)
        self.written += written
        self.duplicates += duplicates
        return written, duplicates

    def _file(self, key: tuple[str, str]) -> BinaryIO:
        f = self._files.get(key)
        if f is not None:
            self._files.move_to_end(key)
            return f
        tag_dir, day = key
        path = self.directory / tag_dir / f"{day}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        torn = _ends_without_newline(path)
        f = path.open("ab")
        if torn:
            # A collector killed mid-line left half a record (never acked, so it comes again): end that
            # line so the next record starts clean.
            f.write(b"\n")
        self._files[key] = f
        while len(self._files) > self.open_files:
            _, oldest = self._files.popitem(last=False)
            oldest.close()
        return f

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()


def _ends_without_newline(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            if f.tell() == 0:
                return False
            f.seek(-1, 2)
            return f.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _read_tail(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        start = max(0, size - _RELOAD_TAIL_BYTES)
        f.seek(start)
        data = f.read()
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record
