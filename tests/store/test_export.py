"""NDJSON export/import of messages and frames (round trip, redaction, bad lines) and CSV cells."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import UserBroadcast
from inspector.protocol.jwt import demo_key
from inspector.protocol.redact import redact_bytes
from inspector.protocol.serializer import encode
from inspector.store import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    system_record,
)
from inspector.store.frames.frames import FrameRow
from inspector.store.transfer.export import (
    MAX_ERRORS_KEPT,
    Importer,
    csv_lines,
    export_lines,
    frame_line,
    header_data,
    header_line,
    import_lines,
    message_line,
)

KEY = demo_key("anon")


def same(a: MessageRecord, b: MessageRecord) -> bool:
    return (
        a.time == b.time
        and a.direction is b.direction
        and a.event == b.event
        and a.payload == b.payload
        and a.format is b.format
        and a.meta == b.meta
        and a.status_text() == b.status_text()
    )


def records() -> list[MessageRecord]:
    return [
        MessageRecord(
            time=1767225600.125,
            direction=Direction.IN,
            event="chat",
            payload=b'{"text":"h\xc3\xa9 \xf0\x9f\x8e\x89"}',
            meta=b'{"id":"m1"}',
        ),
        MessageRecord(
            time=2.0,
            direction=Direction.IN,
            event="bin",
            payload=bytes(range(256)),
            format=PayloadFormat.BINARY,
        ),
        MessageRecord(
            time=3.0,
            direction=Direction.OUT,
            event="ping",
            payload=b'{"n":1}',
            send=SendInfo(Transport.WEBSOCKET, True, SendState.OK, 1.75),
        ),
        MessageRecord(
            time=4.0,
            direction=Direction.OUT,
            event="rest",
            payload=b'{"n":2}',
            send=SendInfo(Transport.REST, False, SendState.ERROR, 3.0, 422, "too big"),
        ),
        MessageRecord(time=5.0, direction=Direction.SYSTEM, event="raw", payload=b"not json"),
    ]


def test_messages_round_trip_to_the_same_rows() -> None:
    originals = records()
    lines = [message_line(r, "room-1") for r in originals]
    result = import_lines(lines)
    assert result.errors == []
    assert result.channels() == ["room-1"]
    back = [r for _, r in result.records]
    assert len(back) == len(originals)
    for a, b in zip(originals, back, strict=True):
        assert same(a, b), (a, b)
    first = json.loads(lines[0])
    assert first["type"] == "message"
    assert first["time_iso"] == "2026-01-01T00:00:00.125Z"
    assert first["payload"] == {"text": "hé 🎉"}
    assert json.loads(lines[2])["status"] == "ok 1.8 ms"
    assert json.loads(lines[3])["status"] == "REST 422: too big"


def test_export_redacts_secrets() -> None:
    record = MessageRecord(
        time=1.0,
        direction=Direction.OUT,
        event="auth",
        payload=json.dumps({"access_token": "opaque", "note": f"Bearer {KEY}"}).encode(),
    )
    line = message_line(record, "room-1")
    leaked = KEY in line or "opaque" in line  # a bool: a failure never prints the key
    assert not leaked
    back = import_lines([line]).records[0][1]
    assert back.payload_json() == {"access_token": "[redacted]", "note": "Bearer [redacted]"}


def test_frames_round_trip_redacted() -> None:
    join = f'["1","1","realtime:room-1","phx_join",{{"access_token":"{KEY}"}}]'
    k4 = encode(UserBroadcast("realtime:room-1", "ping", b"", 1, b'{"n":1}'), "2.0.0")
    assert isinstance(k4, bytes)
    rows = [
        FrameRow(1.0, "out", "open", 50, f"ws://h/realtime/v1/websocket?apikey={KEY}", "2.0.0"),
        FrameRow(2.0, "out", "text", len(join), join, "2.0.0"),
        FrameRow(3.0, "in", "binary", len(k4), k4, "2.0.0"),
        FrameRow(4.0, "in", "close", 10, "1000 (bye)", "2.0.0"),
    ]
    lines = [frame_line(r) for r in rows]
    leaked = any(KEY in line for line in lines)
    assert not leaked
    data = json.loads(lines[1])
    assert (data["channel"], data["event"], data["ref"], data["join_ref"]) == (
        "room-1",
        "phx_join",
        "1",
        "1",
    )
    result = import_lines(lines)
    assert result.errors == []
    assert result.records == []
    back = result.frames
    assert [(f.direction, f.opcode, f.size, f.time) for f in back] == [
        (r.direction, r.opcode, r.size, r.time) for r in rows
    ]
    assert back[2].data == k4
    assert back[1].summary().event == "phx_join"
    assert "[redacted]" in str(back[1].data)


def test_bad_lines_are_reported_not_raised() -> None:
    good = message_line(records()[0], "a")
    result = import_lines(
        [
            good,
            "",
            "garbage",
            "[1]",
            '{"direction":"sideways","event":"x","time":1}',
            '{"type":"frame","direction":"in","opcode":"text","time":1}',
            '{"type":"mystery"}',
            '{"direction":"in","event":"x","time":"yesterday"}',
            '{"direction":"in","event":"x","time":1,"payload_base64":"@@"}',
            "[" * 100_000,
        ]
    )
    assert len(result.records) == 1
    assert [n for n, _ in result.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = dict(result.errors)
    assert "sideways" in reasons[5]
    assert "vsn" in reasons[6]
    assert "mystery" in reasons[7]
    assert "time" in reasons[8]
    assert "base64" in reasons[9]


def test_times_that_are_not_times_are_skipped_at_import() -> None:
    """QA 5: 1e308, -1e20, NaN (Python's json reads it), Infinity and 10**400 as ``time`` were
    imported and then raised on every paint of the Time column; now they are bad lines."""
    good = '{"channel":"c","direction":"in","event":"e","payload":{},"time":1767225600.5}'
    times = ["1e308", "-1e20", "NaN", "Infinity", "-Infinity", "1" + "0" * 400, "-1"]
    lines = [good]
    lines += [good.replace("1767225600.5", t) for t in times]
    frame = '{"type":"frame","direction":"in","opcode":"text","vsn":"2.0.0","data":"x","time":T}'
    lines += [frame.replace("T", "1767225600.5"), frame.replace("T", "1e308")]
    # A round trip that is not finite is dropped, not shown as "ok inf ms".
    lines.append(good[:-1] + ',"send":{"state":"ok","ack":true,"round_trip_ms":1e999}}')
    result = import_lines(lines)
    assert [n for n, _ in result.errors] == [2, 3, 4, 5, 6, 7, 8, 10]
    assert all("time" in reason for _, reason in result.errors)
    assert "between 1970 and 3000" in dict(result.errors)[2]
    assert len(result.records) == 2
    assert len(result.frames) == 1
    assert result.records[1][1].send is not None
    assert result.records[1][1].send.round_trip_ms is None


def test_import_limits_channels_rows_and_kept_errors() -> None:
    """QA 14: one import opened a tab per channel (300 took 6.4 s); now the first channels are
    kept, the rest counted; rows past the cap are not read; bad lines are all counted."""
    line = '{"channel":"C","direction":"in","event":"e","payload":{},"time":1}'
    importer = Importer(max_channels=3, max_rows=8)
    for n in range(5):
        importer.feed(line.replace("C", f"ch{n}"))
    importer.feed(line.replace("C", "ch0"))  # a kept channel keeps taking rows
    importer.skip("longer than 8 MiB: not read")
    result = importer.result
    assert result.channels() == ["ch0", "ch1", "ch2"]
    assert len(result.records) == 4
    assert result.dropped_channels == {"ch3": 1, "ch4": 1}
    assert result.errors == [(7, "longer than 8 MiB: not read")]
    for _ in range(6):
        importer.feed(line.replace("C", "ch1"))
    assert len(result.records) == 8
    assert result.unread == 2
    text = result.limits_text()
    assert "2 more channels (2 rows) not opened: one import opens at most" in text
    assert "2 lines after the first" in text
    flood = import_lines(["garbage"] * (MAX_ERRORS_KEPT + 50))
    assert flood.error_count == MAX_ERRORS_KEPT + 50
    assert len(flood.errors) == MAX_ERRORS_KEPT


def test_incremental_importer_counts_lines() -> None:
    importer = Importer()
    for line in (message_line(r, "c") for r in records()):
        importer.feed(line)
    assert importer.line_number == 5
    assert len(importer.result.records) == 5


def test_csv_cells_are_safe() -> None:
    text = "".join(
        csv_lines(
            ["Time", "Payload"],
            [["12:00:00.000", "=HYPERLINK(1)"], ["x", f'{{"t":"{KEY}"}}'], ["a,b", 'q"q']],
        )
    )
    lines = text.split("\r\n")
    assert lines[0] == "Time,Payload"
    assert lines[1] == "12:00:00.000,'=HYPERLINK(1)"
    leaked = KEY in text
    assert not leaked
    assert lines[3] == '"a,b","q""q"'


payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    payloads,
    st.binary(max_size=64),
    st.text(min_size=1, max_size=20),
    st.floats(0, 4e9, allow_nan=False),
)
def test_round_trip_property(payload: object, raw: bytes, event: str, when: float) -> None:
    msg = MessageRecord(
        time=when,
        direction=Direction.IN,
        event=event,
        payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(),
    )
    binary = MessageRecord(
        time=when, direction=Direction.IN, event=event, payload=raw, format=PayloadFormat.BINARY
    )
    result = import_lines([message_line(msg, "c"), message_line(binary, "c")])
    assert result.errors == []
    (_, a), (_, b) = result.records
    assert b.payload == redact_bytes(raw)  # masked in place where it looks like a secret
    assert b.format is PayloadFormat.BINARY
    assert a.time == when
    # Strings that look like secrets are redacted on the way out; everything else is kept.
    if "[redacted]" not in message_line(msg, "c"):
        assert a.payload_json() == payload
        assert a.event == event


def test_peer_values_no_json_writer_accepts_still_export_as_valid_utf8_json() -> None:
    # A lone surrogate is a legal JSON escape a peer may send; NaN and 1e999 are not JSON but
    # Python's parser accepts them. Every exported line must be strict JSON that encodes as
    # UTF-8, and the payload must come back as the same bytes or text.
    payloads = [b'{"s":"\\ud800"}', b'{"n":NaN}', b'{"n":1e999}', b'{"n":-Infinity}']
    for raw in payloads:
        record = MessageRecord(time=5.0, direction=Direction.IN, event="odd", payload=raw)
        line = message_line(record, "room")
        line.encode("utf-8")  # raises on an unescaped surrogate
        data = json.loads(
            line, parse_constant=lambda name: pytest.fail(f"{name} in the exported line")
        )
        assert data["event"] == "odd"
        back = import_lines([line]).records
        assert len(back) == 1
        channel, restored = back[0]
        assert channel == "room"
        if raw == b'{"s":"\\ud800"}':
            assert json.loads(restored.payload) == {"s": "\ud800"}
        else:
            assert restored.payload == raw


# ---------------------------------------------------------------------------------- header
# Issue #10 item 15: an export starts with a header line; files without one still import.


def _header(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "app": "Realtime Inspector",
        "version": "1.2.3",
        "exported_at": 1_767_225_700.0,
        "profile_url": "https://user:pw@ref.supabase.co/?apikey=sb_secret_abcdef#frag",
        "channels": [{"name": "room-1", "ack": True, "self": False}],
        "times": [1_767_225_600.5, 1_767_225_650.25, float("nan")],
        "rows": 3,
    }
    fields.update(overrides)
    return header_data(**fields)  # type: ignore[arg-type]


def test_header_records_url_without_secrets_channels_version_and_time_range() -> None:
    header = _header()
    assert header["type"] == "header"
    assert header["format"] == 1
    assert header["version"] == "1.2.3"
    assert header["profile_url"] == "https://ref.supabase.co/"
    assert header["channels"] == [{"name": "room-1", "ack": True, "self": False}]
    assert header["time_first"] == 1_767_225_600.5
    assert header["time_last"] == 1_767_225_650.25
    assert header["time_first_iso"] == "2026-01-01T00:00:00.500Z"
    assert header["rows"] == 3
    line = header_line(
        app="a",
        version="1",
        exported_at=0.0,
        profile_url="http://127.0.0.1:54321",
        channels=[],
        times=[],
        rows=0,
    )
    data = json.loads(line)
    assert data["profile_url"] == "http://127.0.0.1:54321"
    assert data["time_first"] is None


def test_new_files_with_header_and_old_files_without_import_the_same_rows() -> None:
    rows = records()
    body = list(export_lines(rows, "room-1"))
    header = json.dumps(_header())
    new = import_lines([header, *body])
    old = import_lines(body)
    assert new.errors == old.errors == []
    assert new.header is not None
    assert new.header["profile_url"] == "https://ref.supabase.co/"
    assert old.header is None
    assert [r.event for _, r in new.records] == [r.event for _, r in old.records]
    assert len(new.records) == len(rows)


def test_outage_system_rows_survive_export_and_import() -> None:
    outage = [
        system_record(
            1.0, "disconnected", {"reason": "socket closed: 1006", "next_attempt_in_s": 2}
        ),
        system_record(3.5, "reconnected", {"after_s": 2.5, "attempts": 1}),
        system_record(3.6, "rejoined", {"channel": "room-1"}),
        system_record(9.0, "token expired", {"reason": "Token has expired 3 seconds ago"}),
    ]
    back = import_lines(export_lines(outage, "room-1"))
    assert [(r.direction, r.event) for _, r in back.records] == [
        (Direction.SYSTEM, "disconnected"),
        (Direction.SYSTEM, "reconnected"),
        (Direction.SYSTEM, "rejoined"),
        (Direction.SYSTEM, "token expired"),
    ]
    assert back.records[1][1].payload_json()["after_s"] == 2.5
