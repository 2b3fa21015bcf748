"""The embedded collector: a Fluentd Forward Protocol v1 server that writes the central store.

``python -m logpipe.collector`` listens on FLUENTD_HOST:FLUENTD_PORT (127.0.0.1:24224) and accepts the four
event modes of the spec, on any connection, in any mix:

* Message                 ``[tag, time, record]`` / ``[tag, time, record, option]``
* Forward                 ``[tag, [[time, record], ...]]`` / ``[tag, entries, option]``
* PackedForward           ``[tag, bin|str of concatenated [time, record], option?]``
* CompressedPackedForward the same with ``option.compressed == "gzip"`` (gzip members may be concatenated)

``time`` is an integer, a float, or EventTime (msgpack ext type 0: big-endian uint32 seconds, uint32
nanoseconds). When ``option.chunk`` is present the server answers ``{"ack": chunk}`` after the records are
written and flushed, which is what makes at-least-once delivery possible. Handshake (shared key) and UDP
heartbeat are not implemented: this stand-in listens on loopback for the services of one machine.

Bad input is bounded and contained: a frame larger than COLLECTOR_MAX_FRAME_BYTES, bytes that are not
msgpack, a message that is not one of the modes, or a stream cut mid-frame ends that connection, with the
reason logged (never the bytes: they may hold user data); the server and every other connection carry on.
A well-formed message with some malformed entries keeps the good ones and is acked, so a sender is never
stuck retrying a poison chunk forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import msgpack
import ormsgpack

from logpipe.settings import CollectorSettings
from logpipe.setup import log_event, setup_logging
from logpipe.store import CentralStore

log = logging.getLogger("logpipe.collector")

READ_SIZE = 256 * 1024
MAX_ARRAY_LEN = 1_000_000
MAX_MAP_LEN = 500_000
# The longest PackedForward payload decoded in one ormsgpack call (see _unpack_counted). ormsgpack knows no
# such limits, but a map over MAX_MAP_LEN takes two bytes per entry at least and an array over MAX_ARRAY_LEN
# one per element, so a payload this short holds neither: both paths refuse the same payloads. It is above
# the senders' chunk size (a spool segment, 512 KiB by default), so their chunks all take the fast path.
FAST_PAYLOAD_BYTES = min(2 * MAX_MAP_LEN, MAX_ARRAY_LEN)


class ProtocolError(ValueError):
    """The peer sent something that is not a forward-protocol message: its connection is dropped."""


class EventTime(float):
    """An EventTime (ext type 0) as the seconds it stands for; a float subclass is the cheapest object
    to make per entry, and tells an EventTime from a plain number where that matters."""


_EVENT_TIME = struct.Struct(">II")


def ext_hook(code: int, data: bytes) -> Any:
    if code == 0 and len(data) == 8:
        seconds, nanos = _EVENT_TIME.unpack(data)
        return EventTime(seconds + nanos / 1e9)
    return msgpack.ExtType(code, data)


def make_unpacker(max_bytes: int) -> msgpack.Unpacker:
    return msgpack.Unpacker(
        raw=False,
        ext_hook=ext_hook,
        strict_map_key=False,
        # Keeps undecodable str bytes instead of failing: PackedForward may carry entries as a str.
        unicode_errors="surrogateescape",
        max_buffer_size=max_bytes,
        max_array_len=MAX_ARRAY_LEN,
        max_map_len=MAX_MAP_LEN,
    )


def event_seconds(value: Any) -> float | None:
    if isinstance(value, EventTime):
        return float(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and 0 <= value < 2**33:
        return float(value)
    return None


@dataclass
class Decoded:
    tag: str
    entries: list[tuple[float, dict[str, Any]]]
    option: dict[str, Any] = field(default_factory=dict)
    skipped: int = 0
    mode: str = ""

    @property
    def chunk(self) -> str | None:
        chunk = self.option.get("chunk")
        return chunk if isinstance(chunk, str) and chunk else None


_STR_ONLY: frozenset[type] = frozenset({str})


def _timed_record(raw: Any) -> tuple[float, dict[Any, Any]] | None:
    """``raw`` as (seconds, record) when it is a 2-array of a time and a map; the keys are not looked at."""
    if isinstance(raw, list | tuple) and len(raw) == 2:
        when, record = raw
        # An EventTime is already the float it stands for: the usual entry takes no call here.
        seconds = when if type(when) is EventTime else event_seconds(when)
        if seconds is not None and isinstance(record, dict):
            return seconds, record
    return None


def _entry(raw: Any) -> tuple[float, dict[str, Any]] | None:
    entry = _timed_record(raw)
    # Once per record: a set's membership test over the key types runs in C, a generator did not.
    if entry is None or _STR_ONLY.issuperset(map(type, entry[1])):
        return entry
    return entry[0], {str(k): v for k, v in entry[1].items()}


def _option(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProtocolError("option is not a map")
    return raw


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompresses one or more concatenated gzip members, refusing to grow past ``limit`` bytes."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, limit - len(out) + 1)
        except zlib.error as exc:
            raise ProtocolError(f"bad gzip data: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ProtocolError(f"compressed entries expand past {limit} bytes")
        if not inflater.eof:
            raise ProtocolError("truncated gzip data")
        data = inflater.unused_data
    return bytes(out)


# Closes a counted payload for ormsgpack (see _unpack_counted): a value no sender can guess.
_SENTINEL = os.urandom(16)
_SENTINEL_PACKED = ormsgpack.packb(_SENTINEL)


def _unpack_counted(payload: bytes, count: int) -> list[Any] | None:
    """The ``count`` entries of a PackedForward payload in one ormsgpack call, or None when the payload is
    not exactly ``count`` entries ormsgpack reads as msgpack's streaming unpacker would.

    ormsgpack decodes a third faster, but only whole objects, and it ignores bytes after the first: the
    payload is wrapped as an array of ``count`` + 1 whose last element is a random sentinel, so entries
    beyond ``count`` (the sentinel would not be last) or fewer (the array would run short) fall back.
    Anything else ormsgpack refuses (invalid UTF-8, keys that are not strings, negative ext codes, which
    msgpack.ExtType refuses inside the hook) falls back too, to the unpacker that knows those."""
    n = count + 1
    head = bytes((0x90 | n,)) if n < 16 else (b"\xdc" + n.to_bytes(2, "big") if n < 1 << 16 else None)
    if head is None:
        return None
    try:
        items = ormsgpack.unpackb(head + payload + _SENTINEL_PACKED, ext_hook=ext_hook)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(items, list) or len(items) != n or items[-1] != _SENTINEL:
        return None
    items.pop()
    return items


def unpack_entries(
    payload: bytes, max_bytes: int, count: Any = None
) -> tuple[list[tuple[float, dict[str, Any]]], int]:
    """The entries of a PackedForward payload and how many were malformed. ``count`` is the sender's
    ``size`` option: when it is given, the payload is first decoded in one call (``_unpack_counted``)."""
    if type(count) is int and 0 < count < MAX_ARRAY_LEN and len(payload) <= FAST_PAYLOAD_BYTES:
        items = _unpack_counted(payload, count)
        if items is not None:
            # (ormsgpack reads only string keys, so the records need no key check)
            found = [entry for entry in map(_timed_record, items) if entry is not None]
            return found, len(items) - len(found)
    unpacker = make_unpacker(max(max_bytes, len(payload)))
    unpacker.feed(payload)
    entries: list[tuple[float, dict[str, Any]]] = []
    skipped = 0
    complete = 0
    tell = unpacker.tell
    append = entries.append
    try:
        for raw in unpacker:
            # tell() also counts a half-parsed object's bytes, so remember where the last whole one ended.
            complete = tell()
            entry = _entry(raw)
            if entry is None:
                skipped += 1
            else:
                append(entry)
    except (ValueError, msgpack.UnpackException) as exc:
        raise ProtocolError(f"entries are not a msgpack stream: {type(exc).__name__}") from None
    if complete != len(payload):
        raise ProtocolError("entries end mid-entry")
    return entries, skipped


def decode_message(message: Any, max_bytes: int) -> Decoded:
    """Maps one msgpack object to its mode, tag, entries and option; raises ProtocolError if it is none."""
    if not isinstance(message, list | tuple) or not 2 <= len(message) <= 4:
        raise ProtocolError(f"not a forward-protocol message ({type(message).__name__})")
    tag = message[0]
    if not isinstance(tag, str) or not tag:
        raise ProtocolError("the tag is not a non-empty string")
    second = message[1]
    if isinstance(second, list | tuple):
        if len(message) > 3:
            raise ProtocolError("Forward mode takes at most an option after the entries")
        option = _option(message[2] if len(message) == 3 else None)
        entries = []
        skipped = 0
        for raw in second:
            entry = _entry(raw)
            if entry is None:
                skipped += 1
            else:
                entries.append(entry)
        return Decoded(tag, entries, option, skipped, "Forward")
    if isinstance(second, bytes | str):
        if len(message) > 3:
            raise ProtocolError("PackedForward mode takes at most an option after the entries")
        option = _option(message[2] if len(message) == 3 else None)
        payload = second if isinstance(second, bytes) else second.encode("utf-8", "surrogateescape")
        compressed = option.get("compressed")
        mode = "PackedForward"
        if compressed is not None:
            if compressed != "gzip":
                raise ProtocolError("unknown compression (only gzip is defined)")
            payload = gunzip(payload, 4 * max_bytes)
            mode = "CompressedPackedForward"
        entries, skipped = unpack_entries(payload, 4 * max_bytes, option.get("size"))
        return Decoded(tag, entries, option, skipped, mode)
    seconds = event_seconds(second)
    if seconds is None:
        raise ProtocolError("the second element is neither entries nor a time")
    if len(message) < 3:
        raise ProtocolError("Message mode needs a record")
    option = _option(message[3] if len(message) == 4 else None)
    record = message[2]
    if not isinstance(record, dict):
        return Decoded(tag, [], option, 1, "Message")
    return Decoded(tag, [(seconds, {str(k): v for k, v in record.items()})], option, 0, "Message")


class Collector:
    def __init__(self, settings: CollectorSettings, store: CentralStore) -> None:
        self.settings = settings
        self.store = store
        # One writer thread: disk writes stay off the event loop, and the store needs no locks.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collector-writer")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.dropped_connections = 0

    async def start(self) -> asyncio.Server:
        self._server = await asyncio.start_server(
            self._handle, self.settings.host, self.settings.port, limit=READ_SIZE
        )
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.get_running_loop().run_in_executor(self._writer, self.store.close)
        self._writer.shutdown(wait=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        reason: str | None = None
        try:
            await self._serve(reader, writer, peer)
        except ProtocolError as exc:
            reason = str(exc)
        except msgpack.BufferFull:
            reason = f"frame larger than {self.settings.max_frame_bytes} bytes"
        except (ValueError, msgpack.UnpackException) as exc:
            # FormatError, StackError, ExtraData and friends: the bytes are not msgpack we accept.
            reason = f"invalid msgpack ({type(exc).__name__})"
        except ConnectionError:
            pass
        except OSError as exc:
            # The store could not write: no ack was sent, so the sender keeps the chunk and retries.
            reason = f"write failed: {exc}"
        finally:
            self._connections.discard(task)
            if reason is not None:
                self._drop(peer, reason)
                # Reset, not a polite close: buffered garbage behind the bad frame must not be read.
                writer.transport.abort()
            else:
                with contextlib.suppress(Exception):
                    writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Any) -> None:
        unpacker = make_unpacker(self.settings.max_frame_bytes)
        fed = complete = 0
        loop = asyncio.get_running_loop()
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                if complete < fed:
                    raise ProtocolError(f"connection closed mid-frame ({fed - complete} bytes pending)")
                return
            unpacker.feed(data)
            fed += len(data)
            for message in unpacker:
                complete = unpacker.tell()
                decoded = decode_message(message, self.settings.max_frame_bytes)
                if decoded.skipped:
                    log_event(
                        log,
                        "collector.bad_entries",
                        "skipped malformed entries in a message",
                        level=logging.WARNING,
                        tag=decoded.tag,
                        mode=decoded.mode,
                        skipped=decoded.skipped,
                    )
                if decoded.entries:
                    await loop.run_in_executor(self._writer, self.store.write, decoded.tag, decoded.entries)
                if decoded.chunk is not None:
                    writer.write(msgpack.packb({"ack": decoded.chunk}, use_bin_type=True))
                    await writer.drain()

    def _drop(self, peer: Any, reason: str) -> None:
        self.dropped_connections += 1
        log_event(
            log,
            "collector.connection_dropped",
            f"dropped connection from {peer}: {reason}",
            level=logging.WARNING,
            peer=str(peer),
            reason=reason,
        )


async def serve(settings: CollectorSettings, stop: asyncio.Event) -> None:
    store = CentralStore(settings.central_dir, dedup_ids=settings.dedup_ids, open_files=settings.open_files)
    loaded = store.load_recent_ids()
    collector = Collector(settings, store)
    await collector.start()
    log_event(
        log,
        "collector.started",
        f"collector listening on {settings.host}:{collector.port}",
        host=settings.host,
        port=collector.port,
        central_dir=str(settings.central_dir),
        known_ids=loaded,
    )
    print(f"collector listening on {settings.host}:{collector.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await collector.close()
        log_event(
            log, "collector.stopped", "collector stopped", written=store.written, duplicates=store.duplicates
        )


def main() -> None:
    # The collector logs to logs/collector.txt only: streaming its own records to itself would loop.
    pipeline = setup_logging("collector", fluent=False)
    settings = CollectorSettings.from_env()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    try:
        asyncio.run(run())
    finally:
        pipeline.stop()


if __name__ == "__main__":
    main()
