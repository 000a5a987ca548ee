"""No export ever holds the key or a token, wherever in a record they are planted (issue 10 #20).

Hypothesis plants the project's key (the local server's anon key, a JWT) and a token
(JWT-shaped, ``sb_secret_…``, ``sb_publishable_…``, ``Bearer …``) at random places in every
field of a record: the payload as JSON (values and object keys), as text, as binary bytes; the
metadata (values and keys); the event name; the channel name. The record goes through every
export: the NDJSON message line, the CSV row (the cells the window's CSV export writes,
``csv_payload`` for the payload) and the frames export (a text frame carrying the same record,
and a binary frame carrying its bytes). Neither the secret nor its tail is found in the output,
nor in any base64 run of it (binary payloads and frames travel as base64).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.protocol.jwt import CLI_DEMO_EXP, demo_key, sign
from inspector.store import Direction, MessageRecord, PayloadFormat
from inspector.store.frames.frames import BINARY, IN, TEXT, FrameRow
from inspector.store.transfer.export import csv_lines, frame_line, message_line
from inspector.ui.transfer.transfer import csv_payload

#: The key a profile holds: the local server's anon key (a JWT, as Supabase's legacy keys are).
ANON_KEY = demo_key("anon")
USER_JWT = sign({"role": "authenticated", "sub": "u1", "exp": CLI_DEMO_EXP}, "another-secret-xyz")

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

#: Filler around a planted secret: any text, hidden and control characters included.
filler = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
opaque = st.text(st.sampled_from(_ALNUM), min_size=20, max_size=40)


@st.composite
def secrets(draw: st.DrawFn) -> tuple[str, str]:
    """``(text to plant, secret that must not come out)``."""
    kind = draw(st.sampled_from(["key", "jwt", "sb_secret", "sb_publishable", "bearer"]))
    if kind == "key":
        return ANON_KEY, ANON_KEY
    if kind == "jwt":
        return USER_JWT, USER_JWT
    value = draw(opaque)
    if kind == "bearer":
        # A Bearer credential is the word Bearer, white space, the value.
        spaces = draw(st.sampled_from([" ", "  ", "\t"]))
        return f" {draw(st.sampled_from(['Bearer', 'bearer', 'BEARER']))}{spaces}{value}", value
    token = f"{kind}_{value}"
    return token, token


@st.composite
def planted(draw: st.DrawFn, secret: tuple[str, str]) -> str:
    return draw(filler) + secret[0] + draw(filler)


@st.composite
def records(draw: st.DrawFn) -> tuple[str, MessageRecord, list[str]]:
    """``(channel, record, secrets)``: every field of the record carries one."""
    used: list[tuple[str, str]] = [draw(secrets()) for _ in range(7)]

    def plant(i: int) -> str:
        return draw(planted(used[i]))

    channel = plant(0)
    event = plant(1)
    fmt = draw(st.sampled_from(["json", "text", "binary"]))
    if fmt == "json":
        payload = json.dumps({plant(2): plant(3), "n": [1, {"k": plant(4)}]}).encode()
        pformat = PayloadFormat.JSON
    elif fmt == "text":  # not JSON: exported as payload_text
        payload = ("not json " + plant(2) + plant(3) + plant(4)).encode()
        pformat = PayloadFormat.JSON
    else:
        head = draw(st.binary(max_size=8))
        tail = draw(st.binary(max_size=8))
        payload = head + b"\x00" + plant(2).encode() + b"\xff" + plant(3).encode() + tail
        pformat = PayloadFormat.BINARY
    meta = json.dumps({"id": plant(5), plant(6): "x"}).encode()
    record = MessageRecord(
        time=1767225600.0,
        direction=draw(st.sampled_from([Direction.IN, Direction.OUT])),
        event=event,
        payload=payload,
        format=pformat,
        meta=meta,
    )
    return channel, record, [secret for _, secret in used]


_BASE64 = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def views(text: str) -> str:
    """``text`` and every base64 run in it, decoded."""
    out = [text]
    for run in _BASE64.findall(text):
        for cut in range(4):  # a run may start mid-quantum after a word character
            chunk = run[cut:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                out.append(base64.b64decode(chunk, validate=True).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                pass
    return "\n".join(out)


def leaked(text: str, secrets: list[str]) -> list[int]:
    """Indexes of the secrets found whole or by their last 16 characters (never the secrets:
    a failure message must not print one)."""
    seen = views(text)
    return [i for i, s in enumerate(secrets) if s in seen or s[-16:] in seen]


def text_frame(channel: str, record: MessageRecord) -> FrameRow:
    payload = {
        "type": "broadcast",
        "event": record.event,
        "payload": record.payload.decode("utf-8", "replace"),
        "meta": record.meta_json(),
    }
    data = json.dumps([None, None, f"realtime:{channel}", "broadcast", payload])
    return FrameRow(1767225600.0, IN, TEXT, len(data.encode()), data, "2.0.0")


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(records())
def test_ndjson_message_line_holds_no_secret(case: tuple[str, MessageRecord, list[str]]) -> None:
    channel, record, planted_secrets = case
    line = message_line(record, channel)
    json.loads(line)
    assert leaked(line, planted_secrets) == []


@_SETTINGS
@given(records())
def test_csv_row_holds_no_secret(case: tuple[str, MessageRecord, list[str]]) -> None:
    channel, record, planted_secrets = case
    meta = (record.meta or b"").decode()
    text = "".join(
        csv_lines(
            ["channel", "event", "payload", "meta"],
            [[channel, record.event, csv_payload(record), meta]],
        )
    )
    assert leaked(text, planted_secrets) == []


@_SETTINGS
@given(records())
def test_frames_export_holds_no_secret(case: tuple[str, MessageRecord, list[str]]) -> None:
    channel, record, planted_secrets = case
    frame = text_frame(channel, record)
    binary = FrameRow(
        1767225600.0,
        IN,
        BINARY,
        len(record.payload),
        b"\x04" + channel.encode() + record.event.encode() + record.payload,
        "2.0.0",
    )
    for row in (frame, binary):
        line = frame_line(row)
        json.loads(line)
        assert leaked(line, planted_secrets) == []


def test_a_token_split_across_binary_frame_fields_is_hidden() -> None:
    """Found by the property: a kind 4 frame whose topic ends inside a token and whose event
    holds the rest of it (and the start of another); neither piece looks like a token."""
    token = ANON_KEY
    body = (token + token).encode()
    body += b"m" * (48 + 194 + 128 - len(body)) + b'{"n": 1}'
    # kind 4, topic 48 bytes, event 194, metadata 128, JSON: the topic ends inside the first
    # token, the event holds its rest and the start of the second
    raw = bytes([4, 48, 194, 128, 1]) + body
    line = frame_line(FrameRow(1767225600.0, IN, BINARY, len(raw), raw, "2.0.0"))
    data = json.loads(line)
    assert "topic" in data  # the frame decodes: the fields are there, masked
    for piece in (token[:40], token[40:80], token[-30:]):
        assert piece not in line


def test_the_shapes_the_property_found() -> None:
    """The three holes the property found, as plain examples (redact_text and redact_bytes)."""
    from inspector.protocol.redact import redact_bytes, redact_text

    glued_key = "id0sb_secret_" + "k" * 24
    two_jwts = ANON_KEY + USER_JWT
    escaped = json.dumps(json.dumps({"auth": "Bearer\tsecret-value-0123456789"}))
    for text, secret in (
        (glued_key, "k" * 24),
        (two_jwts, USER_JWT[-16:]),
        (escaped, "secret-value-0123456789"),
    ):
        assert secret not in redact_text(text)
        masked = redact_bytes(text.encode())
        assert len(masked) == len(text.encode())
        assert secret.encode() not in masked
    assert redact_text("usb_temp_1") == "usb_temp_1"  # a word, not a key
