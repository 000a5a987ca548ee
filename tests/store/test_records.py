"""MessageRecord: previews, status texts, dict form; SendInfo wording."""

from __future__ import annotations

import json

import pytest

from inspector.store import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    json_bytes,
    system_record,
)
from inspector.store.messages.records import format_ms


def test_preview_is_one_line_and_cut() -> None:
    r = MessageRecord(
        time=1.0, direction=Direction.IN, event="e", payload=b'{"a":"x\\ny"}\n\t{"b":1}'
    )
    assert "\n" not in r.preview()
    long = MessageRecord(
        time=1.0, direction=Direction.IN, event="e", payload=json_bytes({"k": "é" * 500})
    )
    p = long.preview(limit=50)
    assert len(p) == 50
    assert p.endswith("…")
    short = MessageRecord(time=1.0, direction=Direction.IN, event="e", payload=b'{"a":1}')
    assert short.preview() == '{"a":1}'


def test_binary_preview_and_dict() -> None:
    r = MessageRecord(
        time=2.5,
        direction=Direction.IN,
        event="blob",
        payload=b"\xde\xad",
        format=PayloadFormat.BINARY,
        meta=b'{"id":"m1"}',
    )
    assert r.preview() == "<binary, 2 bytes>"
    assert r.payload_text() == ""
    with pytest.raises(ValueError):
        r.payload_json()
    d = r.to_dict()
    assert d["payload_hex"] == "dead"
    assert d["meta"] == {"id": "m1"}
    assert d["direction"] == "in"


def test_invalid_utf8_and_not_json_do_not_raise() -> None:
    r = MessageRecord(time=0, direction=Direction.IN, event="e", payload=b"\xff{not json")
    assert "\ufffd" in r.preview()
    assert r.to_dict()["payload_text"].endswith("{not json")
    bad_meta = MessageRecord(time=0, direction=Direction.IN, event="e", payload=b"{}", meta=b"{")
    assert bad_meta.meta_json() is None


@pytest.mark.parametrize(
    ("info", "text"),
    [
        (SendInfo(Transport.WEBSOCKET, state=SendState.SENT), "sent"),
        (SendInfo(Transport.WEBSOCKET, True, SendState.OK, 1.84), "ok 1.8 ms"),
        (SendInfo(Transport.WEBSOCKET, True, SendState.OK, 0.421), "ok 0.42 ms"),
        (
            SendInfo(Transport.WEBSOCKET, True, SendState.ERROR, error="payload_size_exceeded"),
            "error: payload_size_exceeded",
        ),
        (SendInfo(Transport.WEBSOCKET, True, SendState.TIMED_OUT), "timed out"),
        (
            SendInfo(Transport.REST, state=SendState.OK, round_trip_ms=12.0, http_status=202),
            "REST 202 · 12 ms",
        ),
        (
            SendInfo(Transport.REST, state=SendState.ERROR, http_status=401, error="Unauthorized"),
            "REST 401: Unauthorized",
        ),
        (SendInfo(Transport.REST, state=SendState.PENDING), "REST …"),
        (SendInfo(Transport.REST, state=SendState.TIMED_OUT), "REST timed out"),
    ],
)
def test_status_texts(info: SendInfo, text: str) -> None:
    assert info.status_text() == text


def test_outgoing_dict_and_system_record() -> None:
    out = MessageRecord(
        time=3.0,
        direction=Direction.OUT,
        event="ping",
        payload=b'{"n":1}',
        send=SendInfo(Transport.WEBSOCKET, True, SendState.OK, 2.0),
    )
    assert out.status_text() == "ok 2.0 ms"
    assert json.loads(json.dumps(out.to_dict()))["send"]["state"] == "ok"
    sys_row = system_record(4.0, "phx_close", {"reason": "left"})
    assert sys_row.direction is Direction.SYSTEM
    assert sys_row.payload_json() == {"reason": "left"}
    assert sys_row.status_text() == ""
    assert "phx_close" in repr(sys_row)
    assert format_ms(230.4) == "230 ms"
