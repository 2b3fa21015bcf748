"""The shared setup: JSON lines with the contract's fields, request ids, settings from the environment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logpipe import bind_request_id, get_logger, log_event, setup_logging
from logpipe.forward import FluentForwarder
from logpipe.settings import DEFAULT_CONFIG, LogSettings, fluent_enabled


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.usefixtures("restore_root")
def test_json_lines_carry_the_contract_fields(tmp_path: Path) -> None:
    pipeline = setup_logging("unit", service="service_x", log_dir=tmp_path, fluent=False)
    logger = get_logger("t")
    with bind_request_id("req-1"):
        log_event(logger, "message.received", "got %s", user_len=5)
        logger.info("with args %s and %d", "x", 3)
    logger.warning("outside a request")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("failed")
    assert pipeline.stop() is True
    records = read(tmp_path / "unit.txt")
    first = records[0]
    assert set(first) >= {"time", "level", "service", "event", "request_id", "message", "record_id"}
    assert first["service"] == "service_x" and first["event"] == "message.received"
    assert first["request_id"] == "req-1" and first["user_len"] == 5 and first["level"] == "INFO"
    assert str(first["time"]).endswith("Z") and len(str(first["time"])) == len("2026-11-29T06:29:00.576Z")
    assert records[1]["message"] == "with args x and 3" and records[1]["event"] == "log"
    assert records[2]["request_id"] is None
    assert "RuntimeError: boom" in str(records[3]["exc_info"])
    assert len({r["record_id"] for r in records}) == len(records)


@pytest.mark.usefixtures("restore_root")
def test_an_event_carries_the_time_and_request_id_of_its_call_not_of_its_rendering(tmp_path: Path) -> None:
    """The writer thread renders events later, in batches: what they say must be what held at the call."""
    pipeline = setup_logging("later", log_dir=tmp_path, fluent=False)
    pipeline.handler.flush_interval = 60.0  # nothing is rendered until stop()
    before = datetime.now(UTC)
    with bind_request_id("req-at-call"):
        log_event(get_logger("t"), "message.received", "first")
    time.sleep(1.1)
    log_event(get_logger("t"), "message.queued", "second")
    assert pipeline.stop() is True
    first, second = read(tmp_path / "later.txt")
    assert first["request_id"] == "req-at-call" and second["request_id"] is None
    stamped = datetime.fromisoformat(str(first["time"]).replace("Z", "+00:00"))
    assert before - timedelta(seconds=0.01) <= stamped <= before + timedelta(seconds=0.5)
    assert str(second["time"]) > str(first["time"])


@pytest.mark.usefixtures("restore_root")
def test_an_event_whose_fields_json_cannot_write_still_gets_its_line_and_so_do_later_ones(
    tmp_path: Path,
) -> None:
    """A tuple key or a cycle in an event's fields: the writer thread renders each field as text instead of
    stopping, so that event and every later one reach the file."""
    pipeline = setup_logging("odd", log_dir=tmp_path, fluent=False)
    cycle: list[object] = []
    cycle.append(cycle)
    log = get_logger("t")
    log_event(log, "message.received", "tuple key", detail={(1, 2): 3})
    log_event(log, "message.received", "cycle", detail=cycle)
    log_event(log, "message.queued", "after")
    assert pipeline.stop() is True
    records = read(tmp_path / "odd.txt")
    assert [r["message"] for r in records] == ["tuple key", "cycle", "after"]
    assert records[0]["detail"] == "{(1, 2): 3}" and records[0]["event"] == "message.received"
    assert records[1]["detail"] == "[[...]]" and records[1]["request_id"] is None
    assert "detail" not in records[2]


@pytest.mark.usefixtures("restore_root")
def test_an_event_that_cannot_be_rendered_at_all_is_written_bare_and_the_writer_goes_on(
    tmp_path: Path,
) -> None:
    """Nested too deep for any encoder, or a cycle around an object whose text raises: the event is written
    with its fixed fields and the reason, the batch around it is kept, and later batches are written too."""

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no text")

        __repr__ = __str__

    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    cycle: list[object] = [Broken()]
    cycle.append(cycle)
    pipeline = setup_logging("bare", log_dir=tmp_path, fluent=False)
    log = get_logger("t")
    log_event(log, "message.received", "before")
    log_event(log, "message.received", "deep", detail=deep)
    log_event(log, "message.received", "cycle", detail=cycle)
    pipeline.flush()
    log_event(log, "message.queued", "after")
    assert pipeline.stop() is True
    records = read(tmp_path / "bare.txt")
    assert [r["message"] for r in records] == ["before", "deep", "cycle", "after"]
    assert all(r["event"].startswith("message.") and r["record_id"] for r in records)
    assert "detail" not in records[3]


@pytest.mark.usefixtures("restore_root")
def test_request_id_follows_each_thread(tmp_path: Path) -> None:
    pipeline = setup_logging("threads", log_dir=tmp_path, fluent=False)
    logger = get_logger("t")

    def work(n: int) -> None:
        with bind_request_id(f"r{n}"):
            for _ in range(20):
                log_event(logger, "task.started", "tick", n=n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pipeline.stop()
    assert all(r["request_id"] == f"r{r['n']}" for r in read(tmp_path / "threads.txt"))


@pytest.mark.usefixtures("restore_root")
def test_a_log_line_cannot_forge_another(tmp_path: Path) -> None:
    pipeline = setup_logging("forge", log_dir=tmp_path, fluent=False)
    get_logger("t").info('x"}\n{"level": "CRITICAL", "message": "forged')
    pipeline.stop()
    assert len(read(tmp_path / "forge.txt")) == 1


@pytest.mark.usefixtures("restore_root")
def test_rotation_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = DEFAULT_CONFIG.read_text()
    config = config.replace("rotate_bytes = 20971520", "rotate_bytes = 2000")
    config = config.replace("rotate_backups = 5", "rotate_backups = 2")
    (tmp_path / "small.toml").write_text(config)
    monkeypatch.setenv("LOG_CONFIG", str(tmp_path / "small.toml"))
    pipeline = setup_logging("rot", log_dir=tmp_path, fluent=False)
    for n in range(100):
        get_logger("t").info("line %d", n)
    pipeline.stop()
    assert (tmp_path / "rot.txt.1").exists()
    assert (tmp_path / "rot.txt").stat().st_size < 2500
    assert not (tmp_path / "rot.txt.3").exists()
    lines = [
        json.loads(line)
        for name in ("rot.txt.2", "rot.txt.1", "rot.txt")
        for line in (tmp_path / name).read_text().splitlines()
    ]
    numbers = [int(str(r["message"]).split()[1]) for r in lines]
    assert numbers == sorted(numbers) and numbers[-1] == 99


@pytest.mark.usefixtures("restore_root")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_a_working_pipeline(tmp_path: Path) -> None:
    pipeline = setup_logging("forky", log_dir=tmp_path, fluent=False)
    get_logger("t").info("parent before")
    pid = os.fork()
    if pid == 0:  # the child: log through the rebuilt pipeline, flush it, leave without pytest's atexit
        code = 1
        try:
            from logpipe import setup

            get_logger("t").info("from the child")
            child = setup._current
            code = 0 if child is not None and child is not pipeline and child.stop() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    pipeline.stop()
    assert os.waitstatus_to_exitcode(status) == 0
    messages = [r["message"] for r in read(tmp_path / "forky.txt")]
    assert "parent before" in messages and "from the child" in messages


def test_fluent_switches() -> None:
    assert fluent_enabled({}) is True
    assert fluent_enabled({"FLUENTD_ENABLED": "0", "FLUENTD_PORT": "24225"}) is False
    assert fluent_enabled({"FLUENTD_PORT": "24225"}) is True
    assert fluent_enabled({"FLUENTD_HOST": "fluentd"}) is True
    assert fluent_enabled({"FLUENTD_ENABLED": "1"}) is True
    assert fluent_enabled({"FLUENTD_ENABLED": "0", "FLUENTD_HOST": "x"}) is False
    settings = LogSettings.from_env({"FLUENTD_TAG_PREFIX": "prod", "LOG_SPOOL_MAX_BYTES": "1024"})
    assert (settings.fluent_host, settings.fluent_port, settings.tag_prefix) == ("127.0.0.1", 24224, "prod")
    assert settings.spool_max_bytes == 1024


def test_forwarded_fields_match_the_local_line() -> None:
    """The forwarder packs the formatter's fields; values JSON renders specially must come out the same."""
    import enum
    from datetime import UTC, datetime

    import msgpack

    from logpipe.formatter import JsonLineFormatter
    from logpipe.forward import pack_entry

    class Colour(enum.Enum):
        RED = "red"

    formatter = JsonLineFormatter()
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    record.__dict__.update(
        service="s",
        event="e",
        request_id="r",
        record_id="id1",
        when=datetime(2026, 11, 29, tzinfo=UTC),
        colour=Colour.RED,
        big=2**70,
        tags=("a", "b"),
    )
    fields, raw = formatter.render(record)
    line = raw.decode()
    _, from_fields = msgpack.unpackb(pack_entry(record.created, fields), raw=False)
    _, from_line = msgpack.unpackb(pack_entry(record.created, line), raw=False)
    expected = json.loads(line)
    # msgpack has no integers beyond 64 bits: such a number travels as its decimal string.
    expected["big"] = str(expected["big"])
    assert from_fields == from_line == expected


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "not found"),
        ("version = 1\n[handlers", "cannot be read"),
        ("version = 2\n", "needs version = 1"),
    ],
)
def test_a_missing_or_broken_configuration_stops_the_process_naming_the_file(
    tmp_path: Path, content: str | None, said: str
) -> None:
    path = tmp_path / "conf.toml"
    if content is not None:
        path.write_text(content)
    env = {**os.environ, "LOG_CONFIG": str(path), "LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.run(
        [sys.executable, "-c", "from logpipe import setup_logging; setup_logging('x'); print('went on')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    assert "went on" not in proc.stdout
    assert str(path) in proc.stderr and said in proc.stderr


@pytest.mark.usefixtures("restore_root")
def test_the_configuration_file_decides_levels_and_log_level_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = DEFAULT_CONFIG.read_text().replace('[root]\nlevel = "INFO"', '[root]\nlevel = "WARNING"')
    (tmp_path / "warn.toml").write_text(config)
    monkeypatch.setenv("LOG_CONFIG", str(tmp_path / "warn.toml"))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    pipeline = setup_logging("levels", log_dir=tmp_path, fluent=False, fields={"instance": "3"})
    get_logger("t").info("not written")
    get_logger("t").warning("written")
    pipeline.stop()
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    pipeline = setup_logging("levels", log_dir=tmp_path, fluent=False)
    get_logger("t").debug("debug written")
    pipeline.stop()
    records = read(tmp_path / "levels.txt")
    assert [r["message"] for r in records] == ["written", "debug written"]
    assert records[0]["instance"] == "3" and "instance" not in records[1]


@pytest.mark.usefixtures("restore_root")
def test_an_event_written_directly_reads_as_the_record_path_writes_it(tmp_path: Path) -> None:
    """log_event skips the LogRecord when only the pipeline would see it; the line must not tell."""
    pipeline = setup_logging(
        "same", service="service_x", log_dir=tmp_path, fluent=False, fields={"instance": "2"}
    )
    log = get_logger("svc.views")
    with bind_request_id("rid-7"):
        log_event(log, "message.queued", "queued", message_id="m1", kinds=["email"], n=3)
        # The same event through the record path (what any other handler on the way would force).
        log.info("queued", extra={"event": "message.queued", "message_id": "m1", "kinds": ["email"], "n": 3})
    log_event(log, "message.failed", "failed", level=logging.ERROR, request_id="explicit")
    pipeline.stop()
    direct, recorded, failed = read(tmp_path / "same.txt")
    for record in (direct, recorded):
        record.pop("time")
        record.pop("record_id")
    assert direct == recorded
    assert list(direct) == list(recorded)
    assert direct["instance"] == "2" and direct["request_id"] == "rid-7"
    assert (failed["level"], failed["request_id"]) == ("ERROR", "explicit")


@pytest.mark.usefixtures("restore_root")
def test_another_handler_on_the_way_still_gets_every_event(tmp_path: Path) -> None:
    pipeline = setup_logging("other", log_dir=tmp_path, fluent=False)
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        log_event(get_logger("svc.views"), "message.received", "received", content_length=5)
    finally:
        logging.getLogger().removeHandler(keep)
    pipeline.stop()
    assert [r.__dict__["event"] for r in seen] == ["message.received"]
    assert [r["event"] for r in read(tmp_path / "other.txt")] == ["message.received"]


@pytest.mark.usefixtures("restore_root")
def test_a_filter_or_formatter_set_on_the_pipeline_later_still_sees_every_event(tmp_path: Path) -> None:
    """Whether an event may skip the LogRecord is worked out once, so changing the handler must redo it."""
    pipeline = setup_logging("later", log_dir=tmp_path, fluent=False)
    handler = logging.getLogger().handlers[0]
    log = get_logger("svc.views")
    log_event(log, "message.received", "before", content_length=1)
    seen: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        seen.append(record.getMessage())
        return record.getMessage() != "dropped"

    handler.addFilter(keep)
    log_event(log, "message.received", "filtered", content_length=2)
    log_event(log, "message.received", "dropped", content_length=3)
    handler.removeFilter(keep)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log_event(log, "message.received", "plain text", content_length=4)
    pipeline.stop()
    assert seen == ["filtered", "dropped"]
    lines = (tmp_path / "later.txt").read_text().splitlines()
    assert [json.loads(line)["message"] for line in lines[:2]] == ["before", "filtered"]
    assert lines[2:] == ["INFO plain text"]


def test_a_batch_keeps_every_record_after_one_that_could_not_be_packed_directly() -> None:
    """An int past 64 bits or a lone surrogate takes the JSON route on the writer thread; the records around
    it are packed as usual and all three reach the stream."""
    import msgpack

    from logpipe.forward import pack_entry

    records = [{"n": 1, "big": 2**70}, {"n": 2, "text": "é\ud800"}, {"n": 3}]
    payload = b"".join(pack_entry(1_700_000_000.25, record) for record in records)
    unpacker = msgpack.Unpacker(raw=False, ext_hook=lambda code, data: (code, len(data)))
    unpacker.feed(payload)
    entries = list(unpacker)
    assert [entry[0] for entry in entries] == [(0, 8)] * 3
    assert [entry[1]["n"] for entry in entries] == [1, 2, 3]
    assert entries[0][1]["big"] == str(2**70)
    assert entries[1][1]["text"] == "é?"


def test_an_entry_from_a_line_that_is_not_json_carries_it_as_its_message() -> None:
    """logging.toml may name any formatter, and the writer thread packs what it rendered: a line that is not
    a JSON object reaches the stream as its message instead of stopping that thread."""
    import msgpack

    from logpipe.forward import pack_entry

    for line in ("plain text, not JSON", "[1, 2]"):
        _, fields = msgpack.unpackb(pack_entry(1.5, line), raw=False, ext_hook=lambda code, data: code)
        assert fields == {"message": line}


# Lone surrogates and ints past 64 bits take the JSON route, tested above.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(record=st.dictionaries(_TEXT, _JSON_VALUES, max_size=8), created=st.floats(0, 2**32 - 1))
def test_an_entry_unpacks_to_the_record_and_its_time(record: dict, created: float) -> None:
    """What the collector reads back (msgpack) is the record the writer packed, with its EventTime."""
    import msgpack

    from logpipe.forward import pack_entry

    when, fields = msgpack.unpackb(
        pack_entry(created, record), raw=False, ext_hook=lambda code, data: (code, data), strict_map_key=False
    )
    expected = msgpack.unpackb(msgpack.packb(record, use_bin_type=True), raw=False, strict_map_key=False)
    assert fields == expected
    code, data = when
    seconds, nanos = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:], "big")
    assert code == 0 and seconds == int(created) and nanos < 10**9


@given(
    records=st.lists(st.dictionaries(_TEXT, _JSON_VALUES, max_size=6), max_size=20),
    created=st.floats(0, 2**32 - 21),  # (record i is stamped created + i)
)
def test_a_batch_packs_to_the_bytes_of_its_entries_packed_one_by_one(
    records: list[dict], created: float
) -> None:
    """The writer packs a batch in one call and cuts the array's header off: what is left must be the
    PackedForward payload the collector and Fluentd read, entry for entry."""
    from logpipe.forward import pack_entries, pack_entry

    batch: list[tuple[float, dict | str]] = [(created + i, record) for i, record in enumerate(records)]
    assert pack_entries(batch) == b"".join(pack_entry(when, record) for when, record in batch)


def test_every_array_header_size_is_cut_and_a_batch_with_an_odd_record_keeps_them_all() -> None:
    """A fixarray (up to 15), array 16 and array 32 header; a record ormsgpack refuses sends the batch
    through the one-by-one path with its fallbacks, and no record is lost."""
    import msgpack

    from logpipe.forward import pack_entries, pack_entry

    for n in (0, 1, 15, 16, 65_535, 65_536):
        batch: list[tuple[float, dict | str]] = [(1_700_000_000.5, {"n": i}) for i in range(n)]
        payload = pack_entries(batch)
        assert payload == b"".join(pack_entry(when, record) for when, record in batch)
    odd: list[tuple[float, dict | str]] = [(1.5, {"n": 1}), (2.5, {"n": 2, "big": 2**70}), (3.5, "not json")]
    unpacker = msgpack.Unpacker(raw=False, ext_hook=lambda code, data: code)
    unpacker.feed(pack_entries(odd))
    expected = [{"n": 1}, {"n": 2, "big": str(2**70)}, {"message": "not json"}]
    assert [fields for _, fields in unpacker] == expected


def unstarted_forwarder(tmp_path: Path, *, segment_bytes: int) -> FluentForwarder:
    """A forwarder whose sender thread never starts (tests replace its ``submit``); stop() frees it."""
    return FluentForwarder(
        "app.t",
        host="127.0.0.1",
        port=1,
        spool_dir=tmp_path / "spool",
        spool_max_bytes=10_000_000,
        segment_bytes=segment_bytes,
        timeout=1.0,
        retry_max_seconds=1.0,
    )


def test_a_batch_is_handed_over_in_payloads_no_larger_than_a_segment(tmp_path: Path) -> None:
    """A chunk must stay far below the collector's frame limit, however many records a batch holds; a
    record larger than a segment still goes, alone."""
    import msgpack

    forwarder = unstarted_forwarder(tmp_path, segment_bytes=4_096)
    handed: list[tuple[bytes, int]] = []
    forwarder.submit = lambda payload, count: handed.append((payload, count))  # type: ignore[method-assign]
    records: list[tuple[float, dict | str]] = [(1.0, {"n": n, "pad": "x" * 100}) for n in range(1000)]
    records.insert(500, (1.0, {"n": -1, "pad": "y" * 10_000}))
    forwarder.submit_records(records)
    forwarder.stop(0.1)  # (never started: frees its spool directory)
    assert sum(count for _, count in handed) == len(records)
    assert all(len(payload) <= 4_096 or count == 1 for payload, count in handed)
    for payload, count in handed:  # each payload holds exactly the entries its count says
        one = msgpack.Unpacker(raw=False, ext_hook=lambda code, data: code)
        one.feed(payload)
        assert len(list(one)) == count
    unpacker = msgpack.Unpacker(raw=False, ext_hook=lambda code, data: code)
    unpacker.feed(b"".join(payload for payload, _ in handed))
    assert [fields["n"] for _, fields in unpacker] == [fields["n"] for _, fields in records]  # type: ignore[index]


def test_a_batch_the_stream_cannot_pack_leaves_the_writer_running(tmp_path: Path) -> None:
    """A record timed before 1970 has no EventTime: its batch is kept in the file, the writer thread lives
    on, and the next batch streams."""
    from logpipe.formatter import JsonLineFormatter
    from logpipe.pipeline import PipelineHandler

    forwarder = unstarted_forwarder(tmp_path, segment_bytes=1 << 20)
    handed: list[int] = []
    forwarder.submit = lambda payload, count: handed.append(count)  # type: ignore[method-assign]
    handler = PipelineHandler(
        tmp_path / "w.txt",
        service="t",
        rotate_bytes=0,
        rotate_backups=0,
        flush_interval=0.01,
        flush_records=1000,
        forwarder=forwarder,
    )
    handler.setFormatter(JsonLineFormatter())
    try:
        early = logging.LogRecord("t", logging.INFO, __file__, 1, "before 1970", None, None)
        early.created = -5.0
        handler.handle(early)
        handler.flush()
        handler.handle(logging.LogRecord("t", logging.INFO, __file__, 2, "later", None, None))
        handler.flush()
        assert handler._thread.is_alive()
        assert handed == [1], "the later batch streamed"
        assert [r["message"] for r in read(tmp_path / "w.txt")] == ["before 1970", "later"]
    finally:
        handler.close()
        forwarder.stop(0.1)
