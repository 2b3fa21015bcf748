"""Reads the central log (``<root>/<tag>/<date>.log``, JSON lines) newest first without loading it.

Every file is read backwards from its end in fixed-size blocks, and the files are merged by time, so the
first page of a 1 GB log costs a few blocks rather than a gigabyte. A cursor holds, per file, the byte
offset above which everything was already shown; the next page resumes there. Files are append-only,
so offsets stay valid while writers keep appending (new lines land above the snapshot and belong to the
live tail, not to older pages).

Everything here is blocking file I/O: callers run it in an executor, never on the event loop.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from logview.redact import redact

BLOCK = 256 * 1024
# A line longer than this is garbage (or an attack on memory); it is skipped, never buffered whole.
MAX_LINE = 4 * 1024 * 1024
# Characters that no JSON encoder escapes: a needle made only of these appears verbatim in the raw line
# whenever the decoded value contains it, so a byte search can safely reject blocks before parsing.
_VERBATIM = re.compile(r"[A-Za-z0-9 _.,:;@#%&()+=!?*'\[\]{}|~^$-]+")
_SKIP_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".tmp", ".meta")


class CursorError(ValueError):
    """A cursor that this server did not produce (or that no longer fits the files)."""


class BudgetExhausted(Exception):
    """Raised by a reader that would have to read past the request's byte budget."""


@dataclass
class Budget:
    """What one request may spend: bytes and, optionally, seconds. Keeps a needle-in-a-haystack search
    from holding a thread (and the operator) for long; the cursor then continues exactly where it stopped.

    Time is the limit that matters to a person, but bytes alone would be unfair to filters whose
    blocks are skipped with a byte search at memory speed, so both are checked."""

    remaining: int
    seconds: float | None = None
    spent: int = 0
    deadline: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.seconds is not None:
            self.deadline = time.monotonic() + self.seconds

    def charge(self, n: int) -> None:
        if self.remaining <= 0 or (self.deadline is not None and time.monotonic() > self.deadline):
            raise BudgetExhausted
        self.remaining -= n
        self.spent += n


@dataclass(frozen=True, slots=True)
class LogFile:
    rel: str  # "<tag>/<file>", the stable name used in cursors and API output
    path: Path
    size: int
    inode: tuple[int, int]


def discover(root: Path) -> list[LogFile]:
    """Every ``<root>/*/*.log`` plus rotated siblings (``*.log.1``), ignoring compressed and temp files."""
    found: list[LogFile] = []
    try:
        tags = sorted(p for p in root.iterdir() if p.is_dir())
    except FileNotFoundError:
        return found
    for tag_dir in tags:
        try:
            entries = sorted(tag_dir.iterdir())
        except OSError:
            continue
        for path in entries:
            name = path.name
            if ".log" not in name or name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            if not (name.endswith(".log") or re.search(r"\.log\.\d+$", name)):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if not path.is_file():
                continue
            found.append(LogFile(f"{tag_dir.name}/{name}", path, st.st_size, (st.st_dev, st.st_ino)))
    return found


# ---------------------------------------------------------------------------------------------- queries


def _verbatim(value: str) -> bytes | None:
    return value.encode() if _VERBATIM.fullmatch(value) else None


def _text_of(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _text_of(v, out)
    elif isinstance(value, list):
        for v in value:
            _text_of(v, out)
    elif value is not None:
        out.append(str(value))


@dataclass(frozen=True)
class Query:
    """The viewer's filters. Exact matches for service, level (any case), event and request id; ``q`` is a
    case-insensitive substring of any value of the record."""

    q: str = ""
    service: str = ""
    level: str = ""
    event: str = ""
    request_id: str = ""
    # Byte needles every matching raw line must contain; derived once, used to skip whole blocks.
    needles: tuple[bytes, ...] = field(init=False, default=())
    ci_needle: bytes | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        needles = [n for n in (_verbatim(v) for v in (self.service, self.event, self.request_id) if v) if n]
        object.__setattr__(self, "needles", tuple(needles))
        if self.q:
            object.__setattr__(self, "ci_needle", _verbatim(self.q.lower()))

    @property
    def empty(self) -> bool:
        return not (self.q or self.service or self.level or self.event or self.request_id)

    def may_match(self, raw: bytes) -> bool:
        """A cheap necessary condition on raw bytes (a block or a line)."""
        for needle in self.needles:
            if needle not in raw:
                return False
        return not (self.ci_needle is not None and self.ci_needle not in raw.lower())

    def matches(self, rec: dict[str, Any]) -> bool:
        if self.service and rec.get("service") != self.service:
            return False
        if self.level and str(rec.get("level", "")).upper() != self.level.upper():
            return False
        if self.event and rec.get("event") != self.event:
            return False
        if self.request_id and rec.get("request_id") != self.request_id:
            return False
        if self.q:
            parts: list[str] = []
            _text_of(rec, parts)
            if self.q.lower() not in "\n".join(parts).lower():
                return False
        return True


def parse_line(line: bytes) -> dict[str, Any] | None:
    """One record, or None for anything that is not a JSON object (tolerated, never fatal)."""
    try:
        rec = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return rec if isinstance(rec, dict) else None


def record_time(rec: dict[str, Any]) -> str:
    value = rec.get("time")
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------------------------- backward reading


@dataclass(slots=True)
class Line:
    start: int
    end: int  # exclusive, just after the newline
    raw: bytes


class BackwardLines:
    """Complete lines of one file, last to first, reading ``BLOCK`` bytes at a time from ``end`` down.

    ``end`` must sit just after a newline (or be the file size: a partially written last line is left
    for the live tail). Blocks that cannot hold a match (``query.may_match``) are never split.
    """

    def __init__(self, fh: Any, end: int, query: Query, budget: Budget, block: int = BLOCK) -> None:
        self.fh = fh
        self.query = query
        self.budget = budget
        self.block = block
        self.pos = line_boundary(fh, end, block)
        self.carry = b""  # bytes [pos, pos+len(carry)): the start of a line whose head is below pos
        self.lines: list[Line] = []  # complete lines not yet yielded, in file order
        self.skipping = False  # the carry belonged to an oversized line, now being dropped

    def resume_offset(self) -> int:
        """Where a later read must start so that nothing not yet yielded is lost."""
        if self.lines:
            return self.lines[-1].end
        return self.pos + len(self.carry)

    def next(self) -> Line | None:
        while not self.lines:
            if self.pos == 0:
                if self.carry and not self.skipping:
                    line = Line(0, len(self.carry), self.carry)
                    self.carry = b""
                    if self.query.may_match(line.raw):
                        return line
                self.carry = b""
                return None
            self._read_block()
        return self.lines.pop()

    def _read_block(self) -> None:
        start = max(0, self.pos - self.block)
        self.budget.charge(self.pos - start)
        self.fh.seek(start)
        data = self.fh.read(self.pos - start)
        if self.skipping:
            # Drop the rest of an oversized line: its head is somewhere in data (or still below).
            nl = data.rfind(b"\n")
            self.pos = start
            if nl != -1:
                self.skipping = False
                self.carry = data[: nl + 1]
            return
        buf = data + self.carry
        base = start
        if start > 0:
            nl = buf.find(b"\n")
            if nl == -1:
                self.pos, self.carry = start, buf
                if len(buf) > MAX_LINE:
                    self.carry, self.skipping = b"", True
                return
            self.carry = buf[: nl + 1]
            body = buf[nl + 1 :]
            base = start + nl + 1
        else:
            self.carry = b""
            body = buf
        self.pos = start
        if body and self.query.may_match(body):
            self.lines = _split(body, base, self.query)


def _split(body: bytes, base: int, query: Query) -> list[Line]:
    out: list[Line] = []
    offset = 0
    for raw in body.split(b"\n"):
        length = len(raw) + 1
        # body always ends with a newline, so the final empty piece has nothing to add
        if raw.strip() and query.may_match(raw):
            out.append(Line(base + offset, base + offset + length, raw))
        offset += length
    return out


def line_boundary(fh: BinaryIO, end: int, block: int) -> int:
    """The largest offset <= end that follows a newline (0 if none): drops a partly written last line."""
    pos = end
    while pos > 0:
        start = max(0, pos - block)
        fh.seek(start)
        data = fh.read(pos - start)
        nl = data.rfind(b"\n")
        if nl != -1:
            return start + nl + 1
        if end - start > MAX_LINE:
            return start
        pos = start
    return 0


# ------------------------------------------------------------------------------------------- paging


# A re-sent chunk is stored twice by a real Fluentd (the collector drops repeats itself): a record is shown
# once, keyed by its ``record_id``. The copy met first reading backwards is the later one; the earlier one
# sits lower, where the records of its own time are, often on a later page. A page's cursor therefore
# carries the keys (6-byte hashes) of the last records shown before it, so a repeat within that many
# records of its first showing is dropped on any page (a retry comes seconds after the first send).
MAX_CARRIED = 150


def dedup_key(rec: dict[str, Any]) -> str | None:
    rid = rec.get("record_id")
    if not isinstance(rid, str) or not rid:
        return None
    digest = hashlib.blake2b(rid.encode(errors="replace"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(offsets: dict[str, int], seen: list[str] | None = None) -> str:
    data: dict[str, Any] = {"v": 1, "o": offsets}
    if seen:
        data["s"] = seen
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, int]:
    return decode_cursor_state(cursor)[0]


def decode_cursor_state(cursor: str) -> tuple[dict[str, int], list[str]]:
    """The per-file offsets and the dedup keys a cursor carries."""
    if len(cursor) > 65536:
        raise CursorError("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise CursorError("cursor is not valid") from exc
    offsets = data.get("o") if isinstance(data, dict) and data.get("v") == 1 else None
    if not isinstance(offsets, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in offsets.items()
    ):
        raise CursorError("cursor is not valid")
    seen = data.get("s", [])
    if (
        not isinstance(seen, list)
        or len(seen) > MAX_CARRIED
        or not all(isinstance(k, str) and len(k) <= 16 for k in seen)
    ):
        raise CursorError("cursor is not valid")
    return offsets, seen


@dataclass
class Hit:
    time: str
    file: str
    line: Line
    record: dict[str, Any]


@dataclass
class Page:
    records: list[dict[str, Any]]
    cursor: str | None  # None: nothing older exists
    partial: bool  # the byte budget ran out before ``limit`` records were found
    scanned_bytes: int
    files: int


class _Source:
    """One file's stream of matching records, newest first, with one record looked ahead."""

    def __init__(self, lf: LogFile, end: int, query: Query, budget: Budget) -> None:
        self.lf = lf
        self.fh = lf.path.open("rb")
        self.query = query
        self.reader = BackwardLines(self.fh, min(end, lf.size), query, budget)
        self.head: Hit | None = None
        self.done = False

    def advance(self) -> None:
        """Fills ``head`` with the next matching record; may raise BudgetExhausted."""
        self.head = None
        while True:
            line = self.reader.next()
            if line is None:
                self.done = True
                return
            rec = parse_line(line.raw)
            if rec is None or not self.query.matches(rec):
                continue
            # Text search must not find what the page will not show: a search for a raw e-mail address
            # would otherwise reveal that it sits, masked, in some record.
            if self.query.q and not self.query.matches(redact(rec)):
                continue
            self.head = Hit(record_time(rec), self.lf.rel, line, rec)
            return

    def offset(self) -> int:
        if self.head is not None:
            return self.head.line.end
        if self.done:
            return 0
        return self.reader.resume_offset()

    def close(self) -> None:
        self.fh.close()


def read_page(
    root: Path,
    query: Query,
    limit: int,
    cursor: str | None = None,
    budget_bytes: int = 4 * 1024**3,
    budget_seconds: float | None = None,
) -> Page:
    """Up to ``limit`` matching records, newest first, older than ``cursor`` when given."""
    files = discover(root)
    ends: dict[str, int]
    carried: list[str] = []
    if cursor:
        offsets, carried = decode_cursor_state(cursor)
        # A file born after the first page holds only newer records; it is the live tail's business.
        ends = {lf.rel: offsets[lf.rel] for lf in files if lf.rel in offsets}
    else:
        ends = {lf.rel: lf.size for lf in files}
    budget = Budget(budget_bytes, budget_seconds)
    sources: list[_Source] = []
    out: list[dict[str, Any]] = []
    seen = set(carried)
    shown: list[str] = []  # the dedup keys of what this page showed, in order
    partial = False
    try:
        for lf in files:
            end = ends.get(lf.rel)
            if end is None or end == 0:
                continue
            try:
                sources.append(_Source(lf, end, query, budget))
            except OSError:
                continue  # removed between listing and opening
        try:
            for src in sources:
                src.advance()
            while len(out) < limit:
                live = [s for s in sources if s.head is not None]
                if not live:
                    break
                best = max(live, key=lambda s: (s.head.time, s.lf.rel, s.head.line.start))  # type: ignore[union-attr]
                assert best.head is not None
                key = dedup_key(best.head.record)
                if key is None or key not in seen:
                    out.append(_annotate(best.head))
                    if key is not None:
                        seen.add(key)
                        shown.append(key)
                best.advance()
        except BudgetExhausted:
            partial = True
        remaining = {s.lf.rel: s.offset() for s in sources}
        more = any(v > 0 for v in remaining.values())
        keep = list(dict.fromkeys([*carried, *shown]))[-MAX_CARRIED:]
        return Page(
            records=out,
            cursor=encode_cursor({k: v for k, v in remaining.items() if v > 0}, keep) if more else None,
            partial=partial,
            scanned_bytes=budget.spent,
            files=len(sources),
        )
    finally:
        for src in sources:
            src.close()


def _annotate(hit: Hit) -> dict[str, Any]:
    rec = dict(hit.record)
    rec.setdefault("tag", hit.file.split("/", 1)[0])
    return rec


# -------------------------------------------------------------------------------------- aggregates

_TIME_RE = re.compile(rb'"time"\s*:\s*"([^"\\]{10,40})"')
_LEVEL_RE = re.compile(rb'"level"\s*:\s*"([A-Za-z]{1,16})"')


def iter_newest_lines(root: Path, budget: Budget, per_file_bytes: int | None = None) -> Iterator[bytes]:
    """Raw lines, newest first per file (files one after another), within a byte budget."""
    for lf in discover(root):
        file_budget = Budget(min(budget.remaining, per_file_bytes or budget.remaining))
        if file_budget.remaining <= 0:
            return
        with lf.path.open("rb") as fh:
            reader = BackwardLines(fh, lf.size, Query(), file_budget)
            try:
                while (line := reader.next()) is not None:
                    yield line.raw
            except BudgetExhausted:
                pass
            finally:
                budget.remaining -= file_budget.spent
                budget.spent += file_budget.spent


def per_minute(root: Path, query: Query, minutes: int, budget_bytes: int) -> dict[str, Any]:
    """Counts per minute and level over the ``minutes`` before the newest matching record."""
    files = discover(root)
    budget = Budget(budget_bytes)
    buckets: dict[str, dict[str, int]] = {}
    newest = ""
    partial = False
    for lf in files:
        cutoff: str | None = None
        with lf.path.open("rb") as fh:
            reader = BackwardLines(fh, lf.size, query, budget)
            try:
                while (line := reader.next()) is not None:
                    if query.empty:
                        tm, lm = _TIME_RE.search(line.raw), _LEVEL_RE.search(line.raw)
                        if not tm:
                            continue
                        t, level = tm.group(1).decode(), (lm.group(1).decode().upper() if lm else "?")
                    else:
                        rec = parse_line(line.raw)
                        if rec is None or not query.matches(rec):
                            continue
                        t, level = record_time(rec), str(rec.get("level", "?")).upper()[:16]
                    if len(t) < 16:
                        continue
                    if cutoff is None:
                        cutoff = _minus_minutes(t, minutes)
                    if t < cutoff:
                        break  # files are appended in time order: the rest is older
                    newest = max(newest, t)
                    bucket = buckets.setdefault(t[:16], {})
                    bucket[level] = bucket.get(level, 0) + 1
            except BudgetExhausted:
                partial = True
                break
    if newest:
        floor = _minus_minutes(newest, minutes)[:16]
        buckets = {k: v for k, v in buckets.items() if k >= floor}
    series = [{"minute": k, "counts": v} for k, v in sorted(buckets.items())]
    return {"minutes": minutes, "newest": newest or None, "series": series, "partial": partial}


def _minus_minutes(iso: str, minutes: int) -> str:
    from datetime import datetime, timedelta

    try:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    before = dt - timedelta(minutes=minutes)
    return before.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def facets(root: Path, budget_bytes: int, per_file_bytes: int) -> dict[str, list[str]]:
    """The services, levels and events seen recently (newest part of each file)."""
    seen: dict[str, set[str]] = {"service": set(), "level": set(), "event": set(), "tag": set()}
    for lf in discover(root):
        seen["tag"].add(lf.rel.split("/", 1)[0])
    for raw in iter_newest_lines(root, Budget(budget_bytes), per_file_bytes):
        rec = parse_line(raw)
        if rec is None:
            continue
        for key in ("service", "level", "event"):
            value = rec.get(key)
            if isinstance(value, str) and 0 < len(value) <= 64:
                seen[key].add(value.upper() if key == "level" else value)
    return {k: sorted(v) for k, v in seen.items()}


# ------------------------------------------------------------------------------------ forward reading


def complete_lines(
    fh: Any, start: int, end: int, chunk: int = 1024 * 1024, needle: bytes | None = None
) -> Iterable[tuple[int, bytes]]:
    """Complete lines in [start, end) reading forward in chunks; yields (end offset, raw line).

    With ``needle``, a chunk without it is not split: it yields one empty line at its end, so the caller
    still learns how far the read got.
    """
    pos = start
    carry = b""
    while pos < end:
        fh.seek(pos)
        data = fh.read(min(chunk, end - pos))
        if not data:
            break
        pos += len(data)
        buf = carry + data
        last = buf.rfind(b"\n")
        if last == -1:
            carry = buf if len(buf) <= MAX_LINE else b""
            continue
        consumed_end = pos - (len(buf) - last - 1)
        offset = consumed_end - (last + 1)
        if needle is not None and needle not in buf[: last + 1]:
            yield consumed_end, b""
            carry = buf[last + 1 :]
            continue
        for raw in buf[: last + 1].split(b"\n")[:-1]:
            offset += len(raw) + 1
            yield offset, raw
        carry = buf[last + 1 :]


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
