"""Serializer tests from the worked examples of docs/realtime-protocol.md §2.1-§2.3."""

from __future__ import annotations

import json

import pytest

from inspector.protocol.frames import (
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
)
from inspector.protocol.serializer import (
    VSN1,
    VSN2,
    EncodeError,
    Role,
    decode,
    encode,
    negotiate_vsn,
)

TOPIC_HEX = "72 65 61 6c 74 69 6d 65 3a 72 6f 6f 6d 2d 31"


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " ").replace("<topic>", TOPIC_HEX))


# §2.3 worked examples, byte for byte.
KIND3_JSON = hx("03 01 01 0f 04 00 01 | 31 | 32 | <topic> | 70 69 6e 67 | 7b 22 6e 22 3a 31 7d")
KIND3_RAW = hx("03 01 01 0f 04 00 00 | 31 | 33 | <topic> | 70 69 6e 67 | de ad")
KIND3_META = hx(
    "03 01 01 0f 04 16 01 | 31 | 35 | <topic> | 70 69 6e 67 | "
    "7b 22 70 65 72 73 69 73 74 22 3a 7b 22 74 74 6c 22 3a 36 30 7d 7d | 7b 22 6e 22 3a 31 7d"
)
KIND4_META = hx(
    "04 0f 04 0b 01 | <topic> | 70 69 6e 67 | 7b 22 69 64 22 3a 22 6d 31 22 7d | 7b 22 6e 22 3a 31 7d"
)


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        (UserBroadcastPush("1", "2", "realtime:room-1", "ping", b"", 1, b'{"n":1}'), KIND3_JSON),
        (UserBroadcastPush("1", "3", "realtime:room-1", "ping", b"", 0, b"\xde\xad"), KIND3_RAW),
        (
            UserBroadcastPush(
                "1", "5", "realtime:room-1", "ping", b'{"persist":{"ttl":60}}', 1, b'{"n":1}'
            ),
            KIND3_META,
        ),
    ],
)
def test_kind3_worked_examples(frame: UserBroadcastPush, wire: bytes) -> None:
    assert encode(frame, VSN2) == wire
    assert decode(wire, VSN2, Role.SERVER) == frame


def test_kind4_worked_example() -> None:
    frame = UserBroadcast("realtime:room-1", "ping", b'{"id":"m1"}', 1, b'{"n":1}')
    assert encode(frame, VSN2) == KIND4_META
    decoded = decode(KIND4_META, VSN2, Role.CLIENT)
    assert decoded == frame
    assert isinstance(decoded, UserBroadcast)
    assert decoded.json_payload() == {"n": 1}
    assert decoded.meta() == {"id": "m1"}


def test_v2_text_examples() -> None:
    # §2.2
    join = '["6","6","realtime:room-1","phx_join",{"config":{"private":false}}]'
    msg = decode(join, VSN2, Role.SERVER)
    assert msg == Message("6", "6", "realtime:room-1", "phx_join", {"config": {"private": False}})
    assert encode(msg, VSN2) == join  # type: ignore[arg-type]
    hb = '[null,"7","phoenix","heartbeat",{}]'
    assert decode(hb, VSN2, Role.SERVER) == Message(None, "7", "phoenix", "heartbeat", {})
    # extra elements are ignored by the server (§2.2)
    assert decode('[null,"7","phoenix","heartbeat",{},"x"]', VSN2, Role.SERVER) == Message(
        None, "7", "phoenix", "heartbeat", {}
    )


def test_v1_object_examples() -> None:
    # §2.1: realtime-py's heartbeat has ref null and join_ref null.
    py_hb = '{"event":"heartbeat","payload":{},"topic":"phoenix","ref":null,"join_ref":null}'
    assert decode(py_hb, VSN1, Role.SERVER) == Message(None, None, "phoenix", "heartbeat", {})
    reply = Message(None, "1", "realtime:room-1", "phx_reply", {"status": "ok", "response": {}})
    text = encode(reply, VSN1)
    assert isinstance(text, str)
    # server v1 output never contains join_ref when it is null
    assert json.loads(text) == {
        "topic": "realtime:room-1",
        "event": "phx_reply",
        "payload": {"status": "ok", "response": {}},
        "ref": "1",
    }


def test_unicode_lengths_are_byte_counts() -> None:
    frame = UserBroadcastPush("1", "2", "realtime:sala-ñ-🚀", "évent", b"", 1, b"{}")
    wire = encode(frame, VSN2)
    assert isinstance(wire, bytes)
    assert wire[3] == len("realtime:sala-ñ-🚀".encode())
    assert decode(wire, VSN2, Role.SERVER) == frame


def test_generic_kinds_roundtrip() -> None:
    for frame, role in [
        (BinaryPush("1", "2", "realtime:a", "ev", b"\x00\x01"), Role.SERVER),
        (BinaryPush("1", None, "realtime:a", "ev", b"\x00\x01"), Role.CLIENT),
        (BinaryReply("1", "2", "realtime:a", "ok", b"xyz"), Role.CLIENT),
        (BinaryBroadcast("realtime:a", "ev", b"\xff"), Role.CLIENT),
    ]:
        assert decode(encode(frame, VSN2), VSN2, role) == frame


def test_encode_refuses_long_fields_and_binary_in_v1() -> None:
    with pytest.raises(EncodeError, match="255"):
        encode(UserBroadcastPush(None, "1", "realtime:" + "x" * 300, "e", b"", 1, b"{}"), VSN2)
    with pytest.raises(EncodeError, match=r"vsn 2\.0\.0"):
        encode(UserBroadcast("realtime:a", "e", b"", 1, b"{}"), VSN1)


@pytest.mark.parametrize(
    ("data", "vsn", "role", "reason"),
    [
        ("not json", VSN2, Role.CLIENT, "not valid JSON"),
        ('{"a":1}', VSN2, Role.CLIENT, "must be a JSON array"),
        ("[1,2,3]", VSN2, Role.CLIENT, "needs 5 elements"),
        ('[null,null,5,"e",{}]', VSN2, Role.CLIENT, "topic must be a string"),
        ('[null,null,"t",null,{}]', VSN2, Role.CLIENT, "event must be a string"),
        ('[true,null,"t","e",{}]', VSN2, Role.CLIENT, "join_ref must be"),
        ("[1]", VSN1, Role.SERVER, "must be a JSON object"),
        ('{"topic":"t","event":"e"}', VSN1, Role.SERVER, "missing payload, ref"),
        (b"", VSN2, Role.CLIENT, "empty binary frame"),
        (b"\x09abc", VSN2, Role.CLIENT, "unknown binary kind 9"),
        (b"\x04\x0f\x04", VSN2, Role.CLIENT, "truncated kind 4"),
        (hx("04 0f 04 00 01 | 72 65"), VSN2, Role.CLIENT, "topic needs 15 bytes"),
        (hx("04 02 01 00 07 | 61 62 | 63"), VSN2, Role.CLIENT, "unknown payload encoding 7"),
        (hx("04 02 01 05 01 | 61 62 | 63 | 7b"), VSN2, Role.CLIENT, "metadata needs 5 bytes"),
        (hx("04 02 01 00 01 | ff fe | 63"), VSN2, Role.CLIENT, "not valid UTF-8"),
        (KIND3_JSON, VSN2, Role.CLIENT, "sent by clients, not servers"),
        (KIND4_META, VSN2, Role.SERVER, "sent by servers, not clients"),
        (KIND4_META, VSN1, Role.CLIENT, "vsn 1.0.0"),
        (b"\x03\x01", VSN2, Role.SERVER, "kind 3 header needs 7 bytes"),
    ],
)
def test_malformed_frames_are_rejected_not_raised(
    data: str | bytes, vsn: str, role: Role, reason: str
) -> None:
    result = decode(data, vsn, role)
    assert isinstance(result, FrameRejected)
    assert reason in result.reason
    assert result.raw == data


def test_oversize_frame_rejected() -> None:
    result = decode(b"\x04" + b"x" * 5_000_001, VSN2, Role.CLIENT)
    assert isinstance(result, FrameRejected)
    assert "exceeds" in result.reason


@pytest.mark.parametrize(
    ("vsn", "expected"),
    [(None, VSN1), ("1.0.0", VSN1), ("2.0.0", VSN2), ("2.0.3", VSN2), ("3.0.0", None), ("x", None)],
)
def test_negotiate_vsn(vsn: str | None, expected: str | None) -> None:
    assert negotiate_vsn(vsn) == expected
