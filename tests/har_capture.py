"""HAR files made from real traffic: our client against the local server, frames from its tap,
written the way Chrome DevTools and Firefox save a page's network log (issue #15 item 1).

``capture(server, vsn)`` runs a short Realtime session against a running
:class:`~inspector.server.RealtimeServer` (joins, a refused join, presence, JSON and binary
broadcasts, a database-style message with ``meta.id``, a leave) and returns the frames as
the browser would list them. ``chrome_har`` and ``firefox_har`` wrap sockets in the two
browsers' HAR layouts with the other entries a page has (the document, a script, a REST call,
a non-Realtime websocket). The real key and token are replaced by a fixed JWT-shaped fake
(:data:`FAKE_JWT`) so the files can be committed and the redaction tests have a secret to find.

Regenerate the committed fixtures (tests/fixtures/har/) with::

    python tests/har_capture.py
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inspector.client import (  # noqa: E402
    BroadcastReceived,
    ClientSettings,
    HeartbeatEvent,
    RealtimeClient,
)
from inspector.client.errors import JoinRefused  # noqa: E402
from inspector.protocol.channel import ChannelConfig  # noqa: E402
from inspector.server import RealtimeServer, ServerConfig  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "har"
#: JWT-shaped, signed by nobody: what the fixtures carry where the real key and token were.
FAKE_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9."
    "ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3RzLW9ubHk"
)
MESSAGE_ID = "8e3f1c52-6b0a-4a57-9a33-5d2f0c1e7b10"


async def capture(server: RealtimeServer, vsn: str) -> list[dict[str, Any]]:
    """One session's frames as ``{"type", "time", "opcode", "data"}`` (Chrome's fields)."""
    frames: list[dict[str, Any]] = []

    def tap(record: Any) -> None:
        if record.opcode not in ("text", "binary"):
            return
        data = record.data
        if isinstance(data, bytes):
            text, opcode = base64.b64encode(_fake(data)).decode("ascii"), 2
        else:
            text, opcode = _fake(data), 1
        kind = "send" if record.direction == "out" else "receive"
        frames.append({"type": kind, "time": record.wall, "opcode": opcode, "data": text})

    waits = ("db-insert", "announce", "heartbeat")
    arrived: dict[str, asyncio.Event] = {e: asyncio.Event() for e in waits}

    def on_event(event: Any) -> None:
        if isinstance(event, BroadcastReceived) and event.event in arrived:
            arrived[event.event].set()
        elif isinstance(event, HeartbeatEvent) and event.status == "ok":
            arrived["heartbeat"].set()

    # supabase-js joins with a token (the key itself without a session, §4.1) and beats
    # every 25 s; a short interval puts a few heartbeats into a short capture.
    settings = ClientSettings(
        server.url,
        server.anon_key,
        vsn=vsn,
        access_token=server.anon_key,
        heartbeat_interval=0.2,
        redact_frames=False,
    )
    client = RealtimeClient(settings, on_frame=tap, on_event=on_event)
    global _SECRETS
    _SECRETS = (server.anon_key,)
    try:
        await client.connect()
        await client.join(
            ChannelConfig(
                "room-1",
                broadcast_self=True,
                broadcast_ack=True,
                presence_enabled=True,
                presence_key="alice",
            )
        )
        await client.join(ChannelConfig("lobby"))
        await client.track("room-1", {"user": "alice", "status": "online"})
        await client.send("room-1", "chat", {"text": "hello from the browser", "n": 1})
        if vsn == "2.0.0":
            await client.send("room-1", "blob", b"\x00\x01binary\xff", binary=True)
        # as the database sends it (realtime.send): kind 4 with metadata {"id"} to v2 (§2.5)
        server.publish_user(
            "room-1", "db-insert", {"id": 7, "title": "row"}, metadata={"id": MESSAGE_ID}
        )
        server.publish("lobby", "announce", {"text": "welcome"})
        for waited in arrived.values():
            await asyncio.wait_for(waited.wait(), 5)
        try:  # replay on a public channel: refused (UnableToReplayMessages)
            await client.join(
                ChannelConfig("audit", replay_since=1767225600000, replay_limit=10), timeout=5
            )
        except JoinRefused:
            pass
        await client.leave("audit", timeout=5)
        await client.send("room-1", "chat", {"text": "bye", "n": 2})
        await client.leave("lobby", timeout=5)
    finally:
        await client.close()
    return frames


_SECRETS: tuple[str, ...] = ()


def _fake(data: Any) -> Any:
    for secret in _SECRETS:
        if isinstance(data, bytes):
            data = data.replace(secret.encode(), FAKE_JWT.encode()[: len(secret)])
        else:
            data = data.replace(secret, FAKE_JWT)
    return data


def _iso(epoch: float, local_offset: bool = False) -> str:
    if not local_offset:
        return (
            dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
        )
    tz = dt.timezone(dt.timedelta(hours=1))
    return dt.datetime.fromtimestamp(epoch, tz).isoformat(timespec="milliseconds")


def _headers(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


def _entry(
    url: str,
    start: float,
    *,
    firefox: bool,
    status: int = 200,
    mime: str = "text/html",
    resource: str = "document",
    method: str = "GET",
) -> dict[str, Any]:
    query = url.split("?", 1)[1] if "?" in url else ""
    entry: dict[str, Any] = {
        "startedDateTime": _iso(start, firefox),
        "time": 41.2,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": _headers({"Host": url.split("/")[2], "Accept": "*/*"}),
            "queryString": [
                {"name": k, "value": v}
                for k, _, v in (p.partition("=") for p in query.split("&") if p)
            ],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "Switching Protocols" if status == 101 else "OK",
            "httpVersion": "HTTP/1.1",
            "headers": _headers({"Content-Type": mime}),
            "cookies": [],
            "content": {"size": 0, "mimeType": mime},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
        },
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "send": 0,
            "wait": 40.1,
            "receive": 1.1,
            "ssl": -1,
        },
    }
    if not firefox:
        entry["_resourceType"] = resource
        entry["_priority"] = "High"
        entry["_initiator"] = {"type": "other"}
        entry["pageref"] = "page_1"
    else:
        entry["pageref"] = "page_1"
    return entry


def _websocket(url: str, messages: list[dict[str, Any]], *, firefox: bool) -> dict[str, Any]:
    start = messages[0]["time"] - 0.05 if messages else 1767225600.0
    entry = _entry(url, start, firefox=firefox, status=101, mime="x-unknown", resource="websocket")
    entry["_webSocketMessages"] = messages
    return entry


def _other_socket(start: float) -> list[dict[str, Any]]:
    return [
        {
            "type": "send",
            "time": start + 0.01,
            "opcode": 1,
            "data": '{"op":"subscribe","ch":"ticks"}',
        },
        {"type": "receive", "time": start + 0.02, "opcode": 1, "data": '{"tick":1}'},
        {"type": "receive", "time": start + 0.03, "opcode": 2, "data": "AAEC"},
    ]


def build_har(sockets: list[tuple[str, list[dict[str, Any]]]], *, firefox: bool) -> dict[str, Any]:
    """A page's network log around ``sockets`` (URL, messages), as Chrome or Firefox saves it."""
    start = min((m[0]["time"] for _, m in sockets if m), default=1767225600.0) - 1.0
    entries = [
        _entry("https://app.example.com/", start, firefox=firefox),
        _entry(
            "https://app.example.com/assets/index-4f2a.js",
            start + 0.1,
            firefox=firefox,
            mime="application/javascript",
            resource="script",
        ),
        _entry(
            "https://abcdefghijklmnop.supabase.co/rest/v1/todos?select=*",
            start + 0.2,
            firefox=firefox,
            mime="application/json",
            resource="fetch",
        ),
    ]
    for url, messages in sockets:
        entries.append(_websocket(url, messages, firefox=firefox))
    entries.append(
        _websocket(
            "wss://stream.example.com/live?token=abc123", _other_socket(start), firefox=firefox
        )
    )
    if firefox:
        creator = {"name": "Firefox", "version": "133.0"}
        log: dict[str, Any] = {"version": "1.1", "creator": creator, "browser": dict(creator)}
    else:
        log = {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}}
    log["pages"] = [
        {
            "startedDateTime": _iso(start, firefox),
            "id": "page_1",
            "title": "https://app.example.com/",
            "pageTimings": {"onContentLoad": 120.5, "onLoad": 180.2},
        }
    ]
    log["entries"] = entries
    return {"log": log}


async def make_all() -> dict[str, dict[str, Any]]:
    """The fixtures, by file name, from two fresh sessions (v2, then v1) against ``serve``."""
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    try:
        v2 = await capture(server, "2.0.0")
        v1 = await capture(server, "1.0.0")
    finally:
        await server.stop()
    hosted = "wss://abcdefghijklmnop.supabase.co/realtime/v1/websocket"
    chrome = build_har(
        [(f"{hosted}?apikey={FAKE_JWT}&eventsPerSecond=10&vsn=2.0.0", v2)], firefox=False
    )
    local = "ws://127.0.0.1:54321/realtime/v1/websocket"
    firefox = build_har(
        [
            (f"{local}?apikey={FAKE_JWT}&vsn=1.0.0", v1),
            (f"{local}?apikey={FAKE_JWT}&vsn=2.0.0", v2),
        ],
        firefox=True,
    )
    return {CHROME: chrome, FIREFOX: firefox}


CHROME = "chrome-realtime-v2.har"
FIREFOX = "firefox-realtime-v1-v2.har"


def main(out: Path = FIXTURES) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, har in asyncio.run(make_all()).items():
        (out / name).write_text(json.dumps(har, indent=2) + "\n")


if __name__ == "__main__":
    main()
