"""One hostile record through every output path: no secret survives in any (issue 9).

The record: a broadcast payload carrying keys, tokens, passwords, JWTs, ``sb_`` keys and
``Bearer`` credentials under many names; a join carrying the user's token; a project URL whose
query carries more. It goes through the real CLI (``listen`` against the local server, text and
binary kind-4 broadcasts), the client's frame tap, error messages and the GUI's log filter, the
GUI's NDJSON and CSV exports, the frames export, and the copy-as CLI and curl commands. Every
path redacts through :mod:`inspector.protocol.redact`, so every path hides the same things.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start

from inspector.client import (
    BroadcastReceived,
    ChannelConfig,
    ClientSettings,
    FrameRecord,
    RealtimeClient,
)
from inspector.client.errors import translate
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.protocol.redact import REDACTED
from inspector.server import RealtimeServer
from inspector.store import Direction, MessageRecord, PayloadFormat, json_bytes
from inspector.store.frames.frames import FrameRow
from inspector.store.messages.copy_commands import CommandTarget, cli_command, curl_command
from inspector.store.transfer.export import csv_lines, frame_line, message_line

OTHER_SECRET = "someone-elses-signing-secret-0123456789"
PEER_JWT = sign({"role": "authenticated", "sub": "peer", "exp": CLI_DEMO_EXP}, OTHER_SECRET)
SERVICE_ROLE = sign({"role": "service_role", "exp": CLI_DEMO_EXP}, OTHER_SECRET)

#: Secret values, each unique enough that finding it anywhere is a leak.
SECRETS: dict[str, str] = {
    "access_token": "opaque-access-7f3a9c",
    "apikey": "opaque-apikey-51be02",
    "api_key": "opaque-api-key-c0ffee",
    "token": "opaque-token-8d41aa",
    "refresh_token": "opaque-refresh-3e77b1",
    "password": "hunter2-pass-99a0",
    "user_token": "opaque-user-token-12ab",
    "authorization": "opaque-authz-aa55",
    "x-api-key": "opaque-x-api-key-6f6f",
    "bearer": "opaque-bearer-0d0d",
    "bearer_header": "opaque-header-bearer-e1e1",
    "peer_jwt": PEER_JWT,
    "service_role": SERVICE_ROLE,
    "sb_secret": "sb_secret_Zq9x7LmN4pQ2",
    "sb_temp": "sb_temp_Kd83Hs71Ld02",
    "sb_publishable": "sb_publishable_Wm3Rt6Yu9Io1",
    "query_access": "query-access-4b4b",
    "query_apikey": "query-apikey-5c5c",
    "query_token": "query-token-6d6d",
    "query_password": "query-password-7e7e",
}

S = SECRETS
HOSTILE_QUERY = (
    f"access_token={S['query_access']}&apikey={S['query_apikey']}"
    f"&token={S['query_token']}&password={S['query_password']}"
)

#: The broadcast payload: secrets as fields (any case), inside strings, lists and deeper.
PAYLOAD: dict[str, Any] = {
    "access_token": S["access_token"],
    "APIKEY": S["apikey"],
    "api_key": S["api_key"],
    "Token": S["token"],
    "refresh_token": S["refresh_token"],
    "password": S["password"],
    "user_token": S["user_token"],
    "Authorization": S["authorization"],
    "x-api-key": S["x-api-key"],
    "note": f"Bearer {S['bearer']}",
    "headers": [f"Authorization: Bearer {S['bearer_header']}"],
    "jwt": PEER_JWT,
    "nested": {"deeper": [{"role_key": SERVICE_ROLE}]},
    "keys": f"{S['sb_secret']} and {S['sb_temp']} and {S['sb_publishable']}",
    "callback": f"https://example.invalid/cb?{HOSTILE_QUERY}",
    "harmless": "still here",
}
PAYLOAD_TEXT = json.dumps(PAYLOAD)


_BASE64 = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def leaks(text: str | bytes, *extra: str) -> list[str]:
    """The names of the secrets found in ``text`` or in any base64 run in it (binary payloads
    and frames travel as base64), as a list, so that a failure never prints a secret."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    views = [text]
    for run in _BASE64.findall(text):
        try:
            views.append(base64.b64decode(run, validate=True).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    text = "\n".join(views)
    found = [name for name, value in SECRETS.items() if value in text]
    return found + [f"extra #{i}" for i, value in enumerate(extra) if value in text]


def user_token(server: RealtimeServer) -> str:
    return sign(
        {"role": "authenticated", "sub": "me", "exp": int(time.time()) + 3600},
        server.config.jwt_secret,
    )


# ------------------------------------------------------------------------------ CLI listen


async def test_cli_listen_line(server: RealtimeServer) -> None:
    token = user_token(server)
    proc = await start(
        "listen",
        "--url",
        f"{server.url}/?{HOSTILE_QUERY}",
        "--token",
        token,
        "--channel",
        "room-1",
        "--count",
        "3",
        env=cli_env(server),
    )
    await read_until(proc, joined)
    server.publish("room-1", "hostile", PAYLOAD)  # a text frame
    server.publish_user("room-1", "hostile-k4", PAYLOAD)  # binary kind 4, JSON encoding
    server.publish_user("room-1", "hostile-raw", PAYLOAD_TEXT.encode())  # raw bytes
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, leaks(err)
    assert leaks(out + err, server.anon_key, token) == []
    lines = [json.loads(x) for x in out.decode().splitlines()]
    shown = {x["event"]: x["payload"] for x in lines if x["kind"] == "broadcast"}
    assert set(shown) == {"hostile", "hostile-k4", "hostile-raw"}  # all printed, redacted
    raw = json.loads(base64.b64decode(shown.pop("hostile-raw")["$binary"]))
    assert raw["harmless"] == "still here"  # masked in place: still the same JSON
    for payload in shown.values():
        assert payload["harmless"] == "still here"
        assert payload["password"] == REDACTED


async def test_cli_log_file_with_debug(server: RealtimeServer, tmp_path: Any) -> None:
    """The same session with ``--debug`` (issue #15 item 9): the log file gets the websocket's
    debug lines (the handshake request with the key in its query, the frames sent) and no
    secret."""
    token = user_token(server)
    logs = tmp_path / "logs"
    proc = await start(
        "listen",
        "--url",
        f"{server.url}/?{HOSTILE_QUERY}",
        "--token",
        token,
        "--channel",
        "room-1",
        "--count",
        "2",
        "--debug",
        env=cli_env(server, RI_LOG_DIR=str(logs)),
    )
    await read_until(proc, joined)
    server.publish("room-1", "hostile", PAYLOAD)
    server.publish_user("room-1", "hostile-k4", PAYLOAD)
    _out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, leaks(err)
    text = (logs / "cli.log").read_text(encoding="utf-8")
    assert " DEBUG " in text
    assert "apikey=[redacted]" in text  # the handshake request is in the file, redacted
    assert "phx_join" in text  # and the frames sent
    assert leaks(text, server.anon_key, token) == []
    assert leaks(err, server.anon_key, token) == []


# ------------------------------------------------------------- client tap and GUI frames


async def _capture(server: RealtimeServer, *, redact: bool) -> tuple[list[FrameRecord], str]:
    """Frames of a real session that joins with a token and receives the hostile record."""
    token = user_token(server)
    frames: list[FrameRecord] = []
    got: list[BroadcastReceived] = []
    both = asyncio.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, BroadcastReceived):
            got.append(event)
            if len(got) == 3:
                both.set()

    settings = ClientSettings(
        f"{server.url}/?{HOSTILE_QUERY}",
        server.anon_key,
        access_token=token,
        redact_frames=redact,
    )
    client = RealtimeClient(settings, on_event=on_event, on_frame=frames.append)
    try:
        await client.connect()
        await client.join(ChannelConfig("room-1"))
        server.publish("room-1", "hostile", PAYLOAD)
        server.publish_user("room-1", "hostile-k4", PAYLOAD)
        server.publish_user("room-1", "hostile-raw", PAYLOAD_TEXT.encode())
        await asyncio.wait_for(both.wait(), TIMEOUT)
    finally:
        await client.close()
    assert {type(f.data) for f in frames if f.opcode in ("text", "binary")} == {str, bytes}
    return frames, token


async def test_client_frame_tap(server: RealtimeServer) -> None:
    frames, token = await _capture(server, redact=True)
    for frame in frames:
        assert frame.redacted
        data = frame.data
        assert leaks(data, server.anon_key, token) == []
    joins = [f for f in frames if f.opcode == "text" and "phx_join" in str(f.data)]
    assert joins
    assert '"access_token":"[redacted]"' in str(joins[0].data)


async def test_frames_export_and_view(server: RealtimeServer) -> None:
    """The GUI asks the tap for raw frames (to reveal on purpose); the Frames view and its
    export redact them, the handshake row with the real URL included."""
    frames, token = await _capture(server, redact=False)
    url = ClientSettings(f"{server.url}/?{HOSTILE_QUERY}", server.anon_key).endpoints().websocket
    rows = [FrameRow(1.0, "out", "open", 0, f"GET {url}?{HOSTILE_QUERY}", "2.0.0")]
    rows += [FrameRow(f.wall, f.direction, f.opcode, f.size, f.data, f.vsn) for f in frames]
    raw = "".join(str(r.data) for r in rows)
    assert leaks(raw)  # the raw capture does hold the secrets: the test can fail
    for row in rows:
        assert leaks(frame_line(row), server.anon_key, token) == []
        assert leaks(row.shown_text(), server.anon_key, token) == []


async def test_har_import_and_cli(server: RealtimeServer, tmp_path: Any) -> None:
    """A browser's HAR capture of the same session (raw frames, the hostile URL): the parsed
    events, rows, frames and socket URLs, and the ``har`` command's output, hide every secret
    (issue #15 item 1)."""
    from har_capture import build_har

    from inspector.store.transfer.har import parse_har

    frames, token = await _capture(server, redact=False)
    messages = [
        {
            "type": "send" if f.direction == "out" else "receive",
            "time": f.wall,
            "opcode": 1 if f.opcode == "text" else 2,
            "data": f.data if isinstance(f.data, str) else base64.b64encode(f.data).decode(),
        }
        for f in frames
        if f.opcode in ("text", "binary")
    ]
    url = f"{server.ws_url}?{HOSTILE_QUERY}&apikey={server.anon_key}&vsn=2.0.0"
    har = json.dumps(build_har([(url, messages)], firefox=False))
    assert leaks(har)  # the capture holds the secrets: the test can fail
    result = parse_har(har)
    assert result.error is None
    assert len([e for e in result.events if e.kind == "broadcast"]) == 3
    outputs = [json.dumps(e.line()) for e in result.events]
    outputs += [r.payload.decode("latin-1") + str(r.meta) for _, r in result.records]
    outputs += [
        str(row.data) if isinstance(row.data, str) else row.data.hex() for row in result.frames
    ]
    outputs += [row.data.decode("latin-1") for row in result.frames if isinstance(row.data, bytes)]
    outputs += [s.url for s in result.sockets]
    for text in outputs:
        assert leaks(text, server.anon_key, token) == []
    path = tmp_path / "capture.har"
    path.write_text(har)
    proc = await start("har", str(path), env=cli_env())
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert leaks(out + err, server.anon_key, token) == []


# ------------------------------------------------------------------------ logs and errors


def test_error_messages_and_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    import httpx

    from inspector.client.errors import server_text

    body = json.dumps({"message": PAYLOAD_TEXT}).encode()
    assert leaks(server_text(body)) == []
    err = translate(httpx.ConnectError(f"cannot reach {PAYLOAD['callback']} {PAYLOAD_TEXT}"))
    assert leaks(err.message) == []
    assert leaks(str(err)) == []

    from inspector.ui.error_handler import RedactingFilter

    logger = logging.getLogger("inspector.test.redaction")
    handler = logging.StreamHandler(stream := _Buffer())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(PAYLOAD_TEXT)
        except RuntimeError:
            logger.warning("frame %s from %s", PAYLOAD_TEXT, PAYLOAD["callback"], exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert "frame" in stream.text
    assert "RuntimeError" in stream.text
    assert leaks(stream.text) == []


class _Buffer:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


# ------------------------------------------------------------------- GUI exports, copy-as


def _records() -> list[MessageRecord]:
    """The rows the GUI makes of the hostile broadcast (JSON, and as raw bytes)."""
    meta = json_bytes({"id": "m1", "token": S["token"]})
    return [
        MessageRecord(
            time=1.0,
            direction=Direction.IN,
            event="hostile",
            payload=PAYLOAD_TEXT.encode(),
            meta=meta,
        ),
        MessageRecord(
            time=2.0,
            direction=Direction.IN,
            event="hostile-bin",
            payload=PAYLOAD_TEXT.encode(),
            format=PayloadFormat.BINARY,
        ),
        MessageRecord(
            time=3.0,
            direction=Direction.OUT,
            event="hostile-text",
            payload=b"Bearer " + S["bearer"].encode(),
        ),
    ]


def test_gui_ndjson_and_csv_exports() -> None:
    for record in _records():
        line = message_line(record, "room-1")
        assert leaks(line) == []
        json.loads(line)
    rows = [
        [r.event, r.payload.decode(), (r.meta or b"").decode(), PAYLOAD["callback"]]
        for r in _records()
    ]
    text = "".join(csv_lines(["event", "payload", "meta", "url"], rows))
    assert "still here" in text
    assert leaks(text) == []


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
def test_copy_as_cli_and_curl(vsn: str) -> None:
    target = CommandTarget(
        f"https://user:{S['password']}@abc.supabase.co/?{HOSTILE_QUERY}",
        "room-1",
        vsn=vsn,
        has_token=True,
    )
    for record in _records():
        binary = record.format is PayloadFormat.BINARY
        for command in (
            cli_command(target, record.event, record.payload, binary=binary),
            cli_command(target, record.event, record.payload, binary=binary, rest=True),
            curl_command(target, record.event, record.payload, binary=binary),
        ):
            assert leaks(command) == []


def test_the_paths_see_every_secret_shape() -> None:
    """Guard for the test itself: each secret is really in the record that is fed through."""
    fed = PAYLOAD_TEXT + json.dumps(PAYLOAD["callback"])
    missing = [name for name, value in SECRETS.items() if value not in fed]
    assert missing == []
    raw = base64.b64encode(PAYLOAD_TEXT.encode()).decode()
    assert "password" in leaks(f"data {raw} end")  # base64 runs are looked into
