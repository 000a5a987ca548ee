"""Issue #10 item 1: peer text never reaches a server log line raw.

A client with the public anon key (or a token it minted with the public default secret) names
channels, events, its role and its close reason with terminal escape sequences, line breaks and
bidi/zero-width characters; every one must reach the log escaped (``\\u001b``), never raw, in
the log records and in ``serve``'s stderr.
"""

from __future__ import annotations

import json
import logging
import urllib.parse

import httpx
import pytest
from serve_process import serve_process
from server_helpers import TIMEOUT, Client, field
from websockets.asyncio.client import connect

from inspector.protocol.jwt import CLI_DEV_SECRET, sign
from inspector.server import RealtimeServer

#: A title-setting OSC, clear screen and red, a forged log line, a right-to-left override, a
#: zero-width space and a line separator.
HOSTILE = (
    "\x1b]0;pwned\x07\x1b[2J\x1b[31mroom\r\nINFO inspector.server: FORGED line"
    "\u202egnp.exe\u200b\u2028end"
)
RAW = ("\x1b", "\x07", "\r", "\n", "\u202e", "\u200b", "\u2028")


async def _attack(ws_url: str, rest_base: str, anon_key: str) -> None:
    """Everything a peer can name: channel, event, role, close reason, REST path."""
    hostile_role = sign({"role": HOSTILE, "exp": 4_000_000_000}, CLI_DEV_SECRET)
    ws = await connect(f"{ws_url}?apikey={hostile_role}&vsn=2.0.0", open_timeout=TIMEOUT)
    client = Client(ws, "2.0.0")
    reply = await client.join(HOSTILE, {"presence": {"key": HOSTILE}})
    assert field(reply, "payload")["status"] == "ok"
    await client.broadcast(HOSTILE, HOSTILE, {"text": HOSTILE})
    refused = await client.join(HOSTILE + "-private", {"private": True})  # Unauthorized: <name>
    assert field(refused, "payload")["status"] == "error"
    await client.push(HOSTILE, "presence", {"type": "presence", "event": 1})  # crashes it
    await ws.send(HOSTILE)  # malformed frame
    await client.barrier()
    await ws.close(4000, HOSTILE)
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        quoted = urllib.parse.quote(HOSTILE, safe="")
        r = await http.post(
            f"{rest_base}/realtime/v1/api/broadcast/room/events/{quoted}",
            content=b"{not json",
            headers={"apikey": anon_key, "content-type": "application/json"},
        )
        assert r.status_code == 400


async def test_peer_text_is_escaped_in_the_log_records(
    server: RealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _attack(server.ws_url, server.url, server.anon_key)
    await server.events.wait_for(
        lambda r: type(r.event).__name__ == "SocketClosed", timeout=TIMEOUT
    )
    # the server's loggers (the test's own clients log the raw text they send at DEBUG)
    server_side = ("inspector", "aiohttp")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith(server_side)]
    leaked = [line for line in lines if any(c in line for c in RAW)]
    assert not leaked, json.dumps(leaked, ensure_ascii=True)
    escaped = [line for line in lines if "\\u001b" in line]
    # joined, join refused, crashed, closed with reason, REST refused, socket opened (role)
    assert len(escaped) >= 6, json.dumps(lines, ensure_ascii=True)


async def test_serve_stderr_has_no_raw_peer_text() -> None:
    async with serve_process("--port", "0", "--log-level", "debug") as serve:
        url = serve.banner["Project URL"]
        await _attack(serve.banner["WebSocket URL"], url, serve.banner["anon key"])
        assert await serve.stop() == 0
    err = serve.stderr.decode()
    assert not [c for c in RAW[:2] + RAW[4:] if c in err], ascii(err[-3000:])
    assert not [line for line in err.splitlines() if line.startswith("INFO inspector.server: F")]
    assert "\\u001b" in err
    assert "\\u202e" in err
