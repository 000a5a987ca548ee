"""Resource caps that hold in total (issue #10 items 4, 5, 7): unsent output per socket and
server-wide, presence bytes per socket and per server, the connection cap and header timeout,
and rate-limited logging of repeated lines. Timings are in benchmarks/server_attacks.py."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack

import pytest
from server_helpers import TIMEOUT, Client, field, url_for
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from inspector.server import RealtimeServer, ServerConfig
from inspector.server.limits import PRESENCE_SERVER_FULL, PRESENCE_SOCKET_FULL
from inspector.server.notes import SocketDropped


def _messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# ---------------------------------------------------------------------------- unsent output


async def test_never_reading_subscribers_over_the_server_wide_cap_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each slow socket stays under its own cap; together they go over the server-wide one,
    and the slowest is dropped with the reason logged while a reading client keeps receiving."""
    caplog.set_level(logging.WARNING, logger="inspector.server")
    config = ServerConfig(
        port=0,
        max_write_buffer_bytes=512 * 1024 * 1024,
        max_total_write_buffer_bytes=2 * 1024 * 1024,
        frame_log_size=0,
    )
    async with RealtimeServer(config) as server, AsyncExitStack() as stack:
        url = url_for(server)
        slow = []
        for _ in range(3):
            ws = await stack.enter_async_context(connect(url, max_queue=1, close_timeout=0.2))
            slow.append(Client(ws, "2.0.0"))
        fast = Client(await stack.enter_async_context(connect(url, max_size=None)), "2.0.0")
        for c in (*slow, fast):
            await c.join("firehose")
        slow_ids = {s.id for s in server.sockets[:3]}
        mark = server.events.mark()
        blob = "x" * 200_000
        for i in range(1000):  # up to 200 MB; kernel buffers and the cap fill long before
            server.publish("firehose", "blob", {"i": i, "blob": blob})
            got = await fast.recv()  # the reading client keeps up
            assert field(got, "payload")["payload"]["i"] == i
            if len(server.sockets) == 1:
                break
        assert [s.id for s in server.sockets] != []
        assert server.sockets[0].id not in slow_ids
        dropped = [r.event for r in server.events.items(mark) if isinstance(r.event, SocketDropped)]
        assert {d.socket_id for d in dropped} == slow_ids
        assert all("server-wide cap" in d.reason for d in dropped)
        assert _messages(caplog, "server-wide cap")  # logged with the reason
        assert server.outbound.total <= 2 * 1024 * 1024
        assert await fast.barrier() == []
        assert field(await fast.join("still-served"), "payload")["status"] == "ok"


async def test_a_socket_over_its_own_cap_is_dropped_with_the_reason() -> None:
    config = ServerConfig(port=0, max_write_buffer_bytes=256 * 1024, frame_log_size=0)
    async with (
        RealtimeServer(config) as server,
        connect(url_for(server), max_queue=1, close_timeout=0.2) as ws,
    ):
        await Client(ws, "2.0.0").join("firehose")
        mark = server.events.mark()
        for i in range(1000):
            server.publish("firehose", "blob", {"i": i, "blob": "y" * 200_000})
            if not server.sockets:
                break
            await asyncio.sleep(0)  # let the transport write what the kernel takes
        dropped = await server.events.wait_for(
            lambda r: isinstance(r.event, SocketDropped), after=mark
        )
        assert "more than its cap of 262144" in dropped.event.reason


# ---------------------------------------------------------------------------- presence


def _presence(key: str) -> dict[str, object]:
    return {"presence": {"key": key, "enabled": True}}


def _track(meta: object) -> dict[str, object]:
    return {"type": "presence", "event": "track", "payload": meta}


def _system_error(name: str, join_ref: str, text: str) -> list[object]:
    payload = {"extension": "system", "status": "error", "message": text, "channel": name}
    return [join_ref, None, f"realtime:{name}", "system", payload]


async def _joined(c: Client, name: str, key: str) -> str:
    assert field(await c.join(name, _presence(key)), "payload")["status"] == "ok"
    assert field(await c.recv(), "event") == "presence_state"
    return c.join_refs[f"realtime:{name}"]


async def _track_ok(c: Client, name: str, size: int) -> None:
    ref = await c.push(name, "presence", _track({"pad": "p" * size}))
    reply = await c.recv_until(lambda f: field(f, "ref") == ref)
    assert field(reply, "payload") == {"status": "ok", "response": {}}


async def test_presence_over_the_socket_and_server_caps_is_refused() -> None:
    config = ServerConfig(
        port=0,
        max_presence_bytes_per_socket=5_000,
        max_presence_bytes=12_000,
        presence_max_calls=100,
    )
    async with RealtimeServer(config) as server:
        url = url_for(server)
        async with connect(url) as wa, connect(url) as wb, connect(url) as wc:
            a, b, c = Client(wa, "2.0.0"), Client(wb, "2.0.0"), Client(wc, "2.0.0")
            await _joined(a, "one", "a")
            jr_two = await _joined(a, "two", "a")
            await _track_ok(a, "one", 3_000)
            # a second 3 KB meta on the same socket goes over its 5 KB: the channel closes
            await a.push("two", "presence", _track({"pad": "p" * 3_000}))
            frame = await a.recv_until(lambda f: field(f, "event") == "system")
            assert frame == _system_error("two", jr_two, PRESENCE_SOCKET_FULL)
            assert await a.recv() == [jr_two, jr_two, "realtime:two", "phx_close", {}]
            await _track_ok(a, "one", 4_900)  # replacing its own meta counts once
            assert server.hub.presence_budget.of_socket(server.sockets[0].id) < 5_000
            # the server-wide cap: 5 KB + 5 KB held, 3 KB more is over 12 KB
            await _joined(b, "three", "b")
            await _track_ok(b, "three", 4_900)
            jr_c = await _joined(c, "three", "c")
            await c.push("three", "presence", _track({"pad": "p" * 3_000}))
            frame = await c.recv_until(lambda f: field(f, "event") == "system")
            assert frame == _system_error("three", jr_c, PRESENCE_SERVER_FULL)
            # what a channel held is released when it leaves
            await a.push("one", "phx_leave", {})
            await a.barrier()
            await _joined(c, "four", "c")
            await _track_ok(c, "four", 3_000)
            assert server.hub.presence_budget.total < 12_000


# ---------------------------------------------------------------------------- connections

_PARTIAL = b"GET /realtime/v1/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
_REQUEST = b"GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def _idle_connection(
    server: RealtimeServer,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A keep-alive connection that had one request answered and now waits for the next."""
    assert server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(_REQUEST)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 404")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    await reader.readexactly(length)
    return reader, writer


async def test_a_connection_that_never_finishes_its_headers_is_closed() -> None:
    async with (
        RealtimeServer(ServerConfig(port=0, header_timeout_s=0.2)) as server,
        connect(url_for(server)) as ws,
    ):
        client = Client(ws, "2.0.0")
        assert server.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PARTIAL)  # and never the blank line
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()
        await writer.wait_closed()
        # the websocket, open longer than the timeout, is not cut: it is busy, not waiting
        assert await client.barrier() == []


async def test_past_the_connection_cap_idle_ones_are_evicted_then_new_ones_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="inspector.server")
    config = ServerConfig(port=0, max_connections=3, header_timeout_s=None)
    async with RealtimeServer(config) as server:
        url = url_for(server)
        async with connect(url) as wa:
            a = Client(wa, "2.0.0")
            await a.join("room")
            r1, w1 = await _idle_connection(server)
            r2, w2 = await _idle_connection(server)
            # a third idle connection: the oldest one waiting for a request makes room
            r3, w3 = await _idle_connection(server)
            assert await asyncio.wait_for(r1.read(), TIMEOUT) == b""
            assert _messages(caplog, "oldest still waiting for its request")
            async with connect(url) as wb, connect(url) as wc:  # evict r2, then r3
                assert await asyncio.wait_for(r2.read(), TIMEOUT) == b""
                assert await asyncio.wait_for(r3.read(), TIMEOUT) == b""
                # three busy websockets: the fourth connection is refused with 503
                with pytest.raises(InvalidStatus) as refused:
                    await connect(url, open_timeout=TIMEOUT)
                response = refused.value.response
                assert response.status_code == 503
                assert json.loads(response.body or b"{}") == {"message": "Too many connections"}
                assert _messages(caplog, "refused with 503")
                # the existing clients still work
                b, c = Client(wb, "2.0.0"), Client(wc, "2.0.0")
                await b.join("room")
                await c.join("room")
                await a.broadcast("room", "hello", {"n": 1})
                got = await b.recv_until(lambda f: field(f, "event") == "broadcast")
                assert field(got, "payload")["payload"] == {"n": 1}
                assert await a.barrier() == []
            assert server.gate is not None
            assert server.gate.refused >= 1
            for w in (w1, w2, w3):
                w.close()
                await w.wait_closed()


# ---------------------------------------------------------------------------- logging


async def test_a_flood_of_malformed_frames_logs_a_bounded_number_of_lines_with_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="inspector.server")
    config = ServerConfig(port=0, log_interval_s=3600)
    async with RealtimeServer(config) as server, connect(url_for(server)) as ws:
        client = Client(ws, "2.0.0")
        for i in range(1000):
            await ws.send(f"not json {i}")
        assert await client.barrier() == []
    lines = _messages(caplog, "malformed frame")
    assert len(lines) == 2, lines  # the first one, then the count at stop
    assert lines[1].startswith("malformed frame: 999 more in the last")


async def test_malformed_http_requests_log_one_escaped_line_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """QA finding on issue #10 items 5 and 7: aiohttp logged a traceback at ERROR for each
    malformed request (a Host header with an escape sequence); now one warning with the peer
    text escaped, then a count, and no ERROR record (the noise guard would also fail on one)."""
    caplog.set_level(logging.WARNING)
    config = ServerConfig(port=0, log_interval_s=3600)
    async with RealtimeServer(config) as server:
        assert server.port is not None
        for _ in range(50):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: evil\x1b[31m.com\r\n\r\n")
            await writer.drain()
            answer = await reader.read()
            assert answer.split(b" ", 2)[1] == b"400"
            writer.close()
            await writer.wait_closed()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    lines = _messages(caplog, "malformed HTTP request")
    assert len(lines) == 2, lines
    assert lines[0].startswith("refused a malformed HTTP request: 400")
    assert "\x1b" not in lines[0]
    assert lines[1].startswith("malformed HTTP request: 49 more in the last")
