"""Forward protocol v1 decoding, frames built by hand from the spec: each mode, EventTime, gzip, bad input."""

from __future__ import annotations

import gzip
import struct

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logpipe import collector
from logpipe.collector import EventTime, ProtocolError, decode_message, ext_hook, gunzip, make_unpacker
from logpipe.forward import pack_entries

LIMIT = 1_000_000
T = 1_764_398_940  # 2025-11-29T06:49:00Z


def event_time(seconds: int, nanos: int) -> msgpack.ExtType:
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanos))


def roundtrip(message: object) -> object:
    """Encodes with the wire format and decodes with the collector's own unpacker settings."""
    unpacker = make_unpacker(LIMIT)
    unpacker.feed(msgpack.packb(message, use_bin_type=True))
    return next(unpacker)


def test_message_mode_with_event_time() -> None:
    decoded = decode_message(roundtrip(["app.x", event_time(T, 576_000_000), {"a": 1}]), LIMIT)
    assert decoded.mode == "Message" and decoded.tag == "app.x"
    assert decoded.entries == [(pytest.approx(T + 0.576), {"a": 1})]
    assert decoded.chunk is None


def test_message_mode_with_integer_time_and_chunk() -> None:
    decoded = decode_message(roundtrip(["app.x", T, {"a": 1}, {"chunk": "c1"}]), LIMIT)
    assert decoded.entries == [(float(T), {"a": 1})]
    assert decoded.chunk == "c1"


def test_forward_mode() -> None:
    message = ["app.x", [[T, {"n": 1}], [event_time(T, 5), {"n": 2}]], {"chunk": "abc", "size": 2}]
    decoded = decode_message(roundtrip(message), LIMIT)
    assert decoded.mode == "Forward"
    assert [r["n"] for _, r in decoded.entries] == [1, 2]
    assert decoded.chunk == "abc"


def test_packed_forward_mode_bin_and_str() -> None:
    packed = b"".join(msgpack.packb([event_time(T, n), {"n": n}]) for n in range(3))
    decoded = decode_message(roundtrip(["app.x", packed, {"size": 3}]), LIMIT)
    assert decoded.mode == "PackedForward"
    assert [r["n"] for _, r in decoded.entries] == [0, 1, 2]
    # Old clients send the entries as a msgpack str (raw) rather than bin.
    raw = msgpack.packb(["app.x", packed], use_bin_type=False)
    unpacker = make_unpacker(LIMIT)
    unpacker.feed(raw)
    assert [r["n"] for _, r in decode_message(next(unpacker), LIMIT).entries] == [0, 1, 2]


def test_compressed_packed_forward_mode_with_concatenated_members() -> None:
    first = gzip.compress(b"".join(msgpack.packb([T, {"n": n}]) for n in range(2)))
    second = gzip.compress(msgpack.packb([T, {"n": 2}]))
    message = ["app.x", first + second, {"compressed": "gzip", "chunk": "z"}]
    decoded = decode_message(roundtrip(message), LIMIT)
    assert decoded.mode == "CompressedPackedForward"
    assert [r["n"] for _, r in decoded.entries] == [0, 1, 2]


def test_bad_entries_are_skipped_not_fatal() -> None:
    message = ["app.x", [[T, {"n": 1}], "junk", [T, "not a map"], ["no time", {}]]]
    decoded = decode_message(roundtrip(message), LIMIT)
    assert [r["n"] for _, r in decoded.entries] == [1]
    assert decoded.skipped == 3


@pytest.mark.parametrize(
    "message",
    [
        42,
        "hello",
        [],
        ["only-tag"],
        [1, T, {}],
        ["", T, {}],
        ["app.x", None, {}],
        ["app.x", T],
        ["app.x", [], "option-not-a-map"],
        ["app.x", b"\xc1\xc1", {}],
        ["app.x", b"\x92\x01", {}],  # entries end mid-entry
        ["app.x", b"notgzip", {"compressed": "gzip"}],
        ["app.x", b"", {"compressed": "zstd"}],
    ],
)
def test_non_messages_raise_protocol_error(message: object) -> None:
    with pytest.raises(ProtocolError):
        decode_message(roundtrip(message), LIMIT)


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(ProtocolError, match="expand"):
        gunzip(bomb, 1_000_000)


def test_event_time_value() -> None:
    value = ext_hook(0, struct.pack(">II", 10, 500_000_000))
    assert isinstance(value, EventTime) and value == 10.5


# Entries as senders may pack them: any msgpack value where the time or the record should be, keys of any
# type, ext types, invalid UTF-8 (as raw bytes in a str).
_TIME = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.builds(event_time, st.integers(0, 2**32 - 1), st.integers(0, 10**9 - 1)),
    st.none(),
    st.text(max_size=3),
)
_KEY = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.binary(max_size=3), st.booleans())
_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.binary(max_size=5)
    | st.builds(msgpack.ExtType, st.integers(1, 127), st.binary(max_size=4)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_ENTRY = st.one_of(
    st.tuples(_TIME, st.dictionaries(_KEY, _VALUE, max_size=5)).map(list),
    _VALUE,
    st.lists(_VALUE, max_size=3),
)


@settings(max_examples=300)
@given(
    entries=st.lists(_ENTRY, max_size=6),
    size_offset=st.sampled_from([0, 0, 0, -1, 1, 2]),
    raw_str=st.booleans(),
)
def test_a_counted_payload_decodes_as_the_streaming_unpacker_reads_it(
    entries: list[object], size_offset: int, raw_str: bool
) -> None:
    """A PackedForward payload with a ``size`` is first read in one ormsgpack call: whatever it holds, and
    whatever the size says, the entries and the count of malformed ones are those of the streaming path."""
    payload = b"".join(msgpack.packb(entry, use_bin_type=not raw_str) for entry in entries)
    if raw_str:
        payload = payload.replace(b"\xa1a", b"\xa1\xff")  # some strs are no longer UTF-8
    size = len(entries) + size_offset
    with_size = decode_message(["app.x", payload, {"size": size}], LIMIT)
    streamed = decode_message(["app.x", payload], LIMIT)
    assert (with_size.entries, with_size.skipped) == (streamed.entries, streamed.skipped)
    assert [type(when) for when, _ in with_size.entries] == [type(when) for when, _ in streamed.entries]


def test_a_payload_with_more_entries_than_its_size_loses_none() -> None:
    """Entries past the ``size`` send the payload down the streaming path, which reads them all."""
    payload = b"".join(msgpack.packb([T, {"n": n}]) for n in range(3))
    for size in (1, 2):
        decoded = decode_message(["app.x", payload, {"size": size}], LIMIT)
        assert [r["n"] for _, r in decoded.entries] == [0, 1, 2]


@pytest.mark.parametrize("count", [1, 14, 15, 16, 2000])
def test_the_senders_payloads_take_the_one_call_path(count: int) -> None:
    """What the forwarder sends (pack_entries, any array header size inside) is decoded in one call, to the
    entries the streaming path reads: a broken fast path would only be slower, so this looks at it."""
    records = [(T + n / 1000, {"n": n, "event": "message.queued"}) for n in range(count)]
    payload = pack_entries(records)
    items = collector._unpack_counted(payload, count)
    assert items is not None and len(items) == count
    with_size = decode_message(["app.x", payload, {"size": count}], LIMIT)
    assert with_size.entries == decode_message(["app.x", payload], LIMIT).entries
    assert [r["n"] for _, r in with_size.entries] == list(range(count))


def test_counts_past_an_array_16_and_long_payloads_are_streamed_and_still_read() -> None:
    many = pack_entries([(T, {"n": n}) for n in range(65_535)])
    assert collector._unpack_counted(many, 65_535) is None
    assert len(decode_message(["app.x", many, {"size": 65_535}], 4 * len(many)).entries) == 65_535
    long = pack_entries([(T, {"pad": "x" * 1000, "n": n}) for n in range(1100)])
    assert len(long) > collector.FAST_PAYLOAD_BYTES
    decoded = decode_message(["app.x", long, {"size": 1100}], 4 * len(long))
    assert [r["n"] for _, r in decoded.entries] == list(range(1100))


def test_a_map_past_the_limit_is_refused_with_or_without_a_size() -> None:
    """ormsgpack has no container limits of its own: the payload bound keeps the two paths' answers equal."""
    huge = msgpack.packb([T, {str(k): 0 for k in range(collector.MAX_MAP_LEN + 1)}])
    for message in (["app.x", huge, {"size": 1}], ["app.x", huge]):
        with pytest.raises(ProtocolError):
            decode_message(message, 4 * len(huge))
