"""The real collector process: fluent-logger's client, hand-built frames for every mode and ack, bad input."""

from __future__ import annotations

import gzip
import logging
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from fluent import handler as fluent_handler
from fluent import sender as fluent_sender

from harness.procs import Proc
from tests.integration.logpipe.helpers import (
    central_records,
    collector_events,
    free_port,
    send_frame,
    start_collector,
    wait_until,
)

MAX_FRAME = 64 * 1024


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[int, Path, Proc]]:
    port = free_port()
    proc = start_collector(tmp_path, port, COLLECTOR_MAX_FRAME_BYTES=str(MAX_FRAME))
    try:
        yield port, tmp_path / "central", proc
    finally:
        proc.stop()


def by_tag(central: Path, tag: str) -> list[dict[str, object]]:
    return [r for r in central_records(central) if r["tag"] == tag]


def event_time(seconds: int, nanos: int) -> msgpack.ExtType:
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanos))


def test_fluent_logger_sender_and_handler(collector: tuple[int, Path, Proc]) -> None:
    port, central, _ = collector
    # Integer time (fluent-logger's default) and EventTime (nanosecond_precision), Message mode both.
    with fluent_sender.FluentSender("app", port=port) as plain:
        assert plain.emit("plain", {"message": "hello", "record_id": "p1"})
    with fluent_sender.FluentSender("app", port=port, nanosecond_precision=True) as precise:
        assert precise.emit_with_time("precise", 1_764_398_940.576, {"message": "precise", "record_id": "n1"})
    handler = fluent_handler.FluentHandler("app.handler", port=port)
    handler.setFormatter(
        fluent_handler.FluentRecordFormatter({"message": "%(message)s", "level": "%(levelname)s"})
    )
    logger = logging.Logger("fluent-test")
    logger.addHandler(handler)
    logger.warning("via FluentHandler")
    handler.close()

    wait_until(lambda: len(central_records(central)) == 3)
    assert by_tag(central, "app.plain")[0]["message"] == "hello"
    precise_rec = by_tag(central, "app.precise")[0]
    assert precise_rec["time"] == "2025-11-29T06:49:00.576Z"
    assert (central / "app.precise" / "2025-11-29.log").exists()
    assert by_tag(central, "app.handler")[0] == {
        "message": "via FluentHandler",
        "level": "WARNING",
        "tag": "app.handler",
        "time": by_tag(central, "app.handler")[0]["time"],
    }


def test_every_mode_by_hand_with_ack(collector: tuple[int, Path, Proc]) -> None:
    port, central, _ = collector
    t = 1_764_398_940
    frames = {
        "message": ["hand.message", event_time(t, 1_000_000), {"n": 0}, {"chunk": "c-message"}],
        "forward": [
            "hand.forward",
            [[t, {"n": 1}], [event_time(t, 2), {"n": 2}]],
            {"chunk": "c-forward", "size": 2},
        ],
        "packed": [
            "hand.packed",
            b"".join(msgpack.packb([event_time(t, 0), {"n": n}]) for n in (3, 4)),
            {"chunk": "c-packed", "size": 2},
        ],
        "compressed": [
            "hand.compressed",
            gzip.compress(msgpack.packb([t, {"n": 5}])) + gzip.compress(msgpack.packb([t, {"n": 6}])),
            {"chunk": "c-compressed", "size": 2, "compressed": "gzip"},
        ],
    }
    for name, frame in frames.items():
        answer = send_frame(port, msgpack.packb(frame, use_bin_type=True), expect_ack=f"c-{name}")
        assert answer == {"ack": f"c-{name}"}
        # The ack promises the records are written: no waiting needed.
        assert by_tag(central, f"hand.{name}"), name
    assert sorted(r["n"] for r in central_records(central)) == [0, 1, 2, 3, 4, 5, 6]
    assert by_tag(central, "hand.message")[0]["time"] == "2025-11-29T06:49:00.001Z"

    # Several messages, several modes, one connection: each acked in turn.
    stream = b"".join(
        msgpack.packb(["hand.stream", t, {"n": 10 + i}, {"chunk": f"s{i}"}], use_bin_type=True)
        for i in range(3)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(stream)
        unpacker = msgpack.Unpacker(raw=False)
        acks: list[object] = []
        while len(acks) < 3:
            unpacker.feed(sock.recv(4096))
            acks.extend(unpacker)
    assert acks == [{"ack": "s0"}, {"ack": "s1"}, {"ack": "s2"}]


def test_a_resent_chunk_is_stored_once(collector: tuple[int, Path, Proc]) -> None:
    port, central, _ = collector
    entries = [[1_764_398_940, {"record_id": "r1"}], [1_764_398_940, {"record_id": "r2"}]]
    frame = msgpack.packb(["dup.x", entries, {"chunk": "same"}])
    for _ in range(3):
        assert send_frame(port, frame, expect_ack="same") == {"ack": "same"}
    assert [r["record_id"] for r in by_tag(central, "dup.x")] == ["r1", "r2"]


def dropped_reasons(workdir: Path) -> list[str]:
    return [
        str(e.get("reason"))
        for e in collector_events(workdir)
        if e.get("event") == "collector.connection_dropped"
    ]


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("garbage", b"\xc1\xc1\xc1 definitely not msgpack", "invalid msgpack"),
        ("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a forward-protocol message"),
        ("not-a-message", msgpack.packb({"tag": "x"}), "not a forward-protocol message"),
        ("oversized", b"\xc6" + struct.pack(">I", 10 * MAX_FRAME) + b"\0" * (2 * MAX_FRAME), "frame larger"),
        ("huge-array", b"\xdd" + struct.pack(">I", 2**31), "invalid msgpack"),
    ],
    # Short ids: pytest puts the test id in an environment variable, which a 128 KiB payload would burst.
    ids=["garbage", "http", "not-a-message", "oversized", "huge-array"],
)
def test_bad_input_drops_only_that_connection(
    collector: tuple[int, Path, Proc], tmp_path: Path, name: str, payload: bytes, reason: str
) -> None:
    port, central, proc = collector
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the collector may cut us off mid-send: that is the point
        assert wait_until(lambda: closed_by_peer(sock), timeout=5)
    wait_until(lambda: any(reason in r for r in dropped_reasons(tmp_path)), timeout=5)
    # The bytes themselves never reach the collector's own log: they may be anyone's data.
    assert "definitely not msgpack" not in (tmp_path / "collector-logs" / "collector.txt").read_text()
    assert proc.alive()
    frame = msgpack.packb(["after.bad", 1_764_398_940, {"ok": name}, {"chunk": "k"}])
    assert send_frame(port, frame, expect_ack="k") == {"ack": "k"}
    assert by_tag(central, "after.bad")[0]["ok"] == name


def test_truncated_frame_is_reported_and_the_rest_is_kept(
    collector: tuple[int, Path, Proc], tmp_path: Path
) -> None:
    port, central, proc = collector
    good = msgpack.packb(["trunc.x", 1_764_398_940, {"n": 1}])
    cut = msgpack.packb(["trunc.x", 1_764_398_940, {"n": 2, "pad": "x" * 100}])[:-20]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(good + cut)
        sock.shutdown(socket.SHUT_WR)
        wait_until(lambda: closed_by_peer(sock), timeout=5)
    wait_until(lambda: any("mid-frame" in r for r in dropped_reasons(tmp_path)), timeout=5)
    assert [r["n"] for r in by_tag(central, "trunc.x")] == [1]
    assert proc.alive()


def test_a_slow_sender_does_not_hold_up_others(collector: tuple[int, Path, Proc]) -> None:
    port, _, _ = collector
    with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
        slow.sendall(msgpack.packb(["slow.x", 1, {"n": 1}])[:5])  # half a frame, then silence
        started = time.monotonic()
        assert send_frame(port, msgpack.packb(["fast.x", 1, {"n": 2}, {"chunk": "f"}]), expect_ack="f")
        assert time.monotonic() - started < 2
