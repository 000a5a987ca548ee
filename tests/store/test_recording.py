"""Reading recordings for replay (issue #11 item 4): tab exports and ``listen`` output, what is
skipped, and what is refused before anything is sent."""

from __future__ import annotations

import base64
import json

import pytest

from inspector.store import Direction, MessageRecord, PayloadFormat
from inspector.store.transfer.export import header_line, message_line
from inspector.store.transfer.recording import (
    NotARecording,
    RecordingReader,
    read_recording,
    recording_from_records,
)

T0 = 1_767_225_600.0


def _record(
    at: float,
    event: str,
    payload: bytes,
    direction: Direction = Direction.IN,
    fmt: PayloadFormat = PayloadFormat.JSON,
) -> MessageRecord:
    return MessageRecord(time=at, direction=direction, event=event, payload=payload, format=fmt)


def test_tab_export_keeps_order_offsets_directions_and_binary() -> None:
    lines = [
        header_line(
            app="realtime-inspector",
            version="0",
            exported_at=T0,
            profile_url=None,
            channels=[],
            times=[T0],
            rows=4,
        ),
        message_line(_record(T0 + 1.0, "a", b'{"n":1}'), "room"),
        message_line(_record(T0 + 1.25, "b", b"\x00\xffbin", fmt=PayloadFormat.BINARY), "room"),
        message_line(_record(T0 + 1.5, "c", b'{"n":3}', Direction.OUT), "room"),
        json.dumps(
            {
                "type": "message",
                "channel": "room",
                "time": T0 + 2,
                "direction": "system",
                "event": "disconnected",
                "payload": {},
            }
        ),
        message_line(_record(T0 + 2.0, "d", b'"text"'), "other"),
    ]
    rec = read_recording(lines)
    assert rec.kind == "export"
    assert [(m.event, m.offset, m.direction, m.channel, m.line) for m in rec.messages] == [
        ("a", 0.0, "in", "room", 2),
        ("b", 0.25, "in", "room", 3),
        ("c", 0.5, "out", "room", 4),
        ("d", 1.0, "in", "other", 6),
    ]
    assert rec.messages[0].payload == {"n": 1}
    assert rec.messages[1].binary
    assert rec.messages[1].payload == b"\x00\xffbin"
    assert rec.messages[3].payload == "text"
    assert rec.not_messages == 2  # the header and the system row
    assert rec.channels == ["room", "other"]
    assert rec.error_count == 0


def test_listen_output_is_a_recording_of_received_broadcasts() -> None:
    blob = base64.b64encode(b"\x01\x02").decode()
    lines = [
        json.dumps(
            {
                "time": "2026-01-01T00:00:00.000Z",
                "channel": "r",
                "event": "joined",
                "payload": {},
                "meta": None,
                "kind": "join",
            }
        ),
        json.dumps(
            {
                "time": "2026-01-01T00:00:00.100Z",
                "channel": "r",
                "event": "x",
                "payload": {"a": 1},
                "meta": None,
                "kind": "broadcast",
            }
        ),
        json.dumps(
            {
                "time": "2026-01-01T00:00:00.350Z",
                "channel": "r",
                "event": "y",
                "payload": {"$binary": blob},
                "meta": None,
                "kind": "broadcast",
                "binary": True,
            }
        ),
    ]
    rec = read_recording(lines)
    assert rec.kind == "listen"
    assert [(m.event, round(m.offset, 3), m.direction, m.binary) for m in rec.messages] == [
        ("x", 0.0, "in", False),
        ("y", 0.25, "in", True),
    ]
    assert rec.messages[1].payload == b"\x01\x02"
    assert rec.not_messages == 1


def test_malformed_lines_are_skipped_with_their_numbers() -> None:
    lines = [
        message_line(_record(T0, "a", b"{}"), "room"),
        "{not json",
        json.dumps({"type": "message", "direction": "sideways", "event": "x", "time": T0}),
        json.dumps(
            {
                "type": "message",
                "direction": "in",
                "event": "x",
                "time": T0,
                "payload_base64": "***",
            }
        ),
        "",
        message_line(_record(T0 - 5, "b", b"{}"), "room"),  # clock set back: not reordered
    ]
    rec = read_recording(lines)
    assert [m.event for m in rec.messages] == ["a", "b"]
    assert rec.messages[1].offset == 0.0
    assert rec.error_count == 3
    assert [n for n, _ in rec.errors] == [2, 3, 4]
    assert "not JSON" in rec.errors[0][1]
    assert "unknown direction" in rec.errors[1][1]
    assert "not base64" in rec.errors[2][1]
    assert rec.skipped_text() == "3 malformed lines skipped"


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (["hello world"], "line 1 is not JSON"),
        (["", '{"some": "object"}'], "line 2 is neither a tab export line nor a listen line"),
        (["[1, 2]"], "line 1 is neither"),
        ([], "the file is empty"),
        (["", "  "], "the file is empty"),
    ],
)
def test_a_file_that_is_not_a_recording_is_refused(lines: list[str], says: str) -> None:
    with pytest.raises(NotARecording, match=says):
        read_recording(lines)


def test_an_imported_tabs_rows_are_a_recording() -> None:
    rows = [
        _record(T0, "a", b'{"n":1}'),
        MessageRecord(time=T0 + 0.5, direction=Direction.SYSTEM, event="joined", payload=b"{}"),
        _record(T0 + 1.0, "b", b"\x00\x01", fmt=PayloadFormat.BINARY),
        _record(T0 + 1.5, "c", b"not json", Direction.OUT),
    ]
    rec = recording_from_records(rows, "room")
    assert [(m.event, m.offset, m.direction, m.binary) for m in rec.messages] == [
        ("a", 0.0, "in", False),
        ("b", 1.0, "in", True),
        ("c", 1.5, "out", False),
    ]
    assert rec.messages[0].payload == {"n": 1}
    assert rec.messages[1].payload == b"\x00\x01"
    assert rec.messages[2].payload == "not json"
    assert rec.not_messages == 1


def test_the_reader_reads_a_line_at_a_time() -> None:
    reader = RecordingReader()
    reader.feed(1, message_line(_record(T0, "a", b"{}"), "r"))
    assert len(reader.result.messages) == 1
    reader.feed(2, "{broken")
    assert reader.finish().error_count == 1
    with pytest.raises(NotARecording, match="empty"):
        RecordingReader().finish()
