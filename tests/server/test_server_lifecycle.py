"""Start, stop, restart on the same port, no leaked tasks, the thread wrapper and demo traffic."""

from __future__ import annotations

import asyncio
import json

import pytest
from server_helpers import TIMEOUT, Client, field, url_for
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

from inspector.protocol.frames import UserBroadcast
from inspector.protocol.serializer import Role, decode
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.demo import CURSORS, LOBBY, SENSORS, DemoTraffic
from inspector.server.testing import ServerThread


async def test_stop_closes_sockets_with_1001_and_leaks_no_tasks() -> None:
    before = asyncio.all_tasks()
    server = RealtimeServer(ServerConfig(port=0, idle_timeout_s=30))
    await server.start()
    url = url_for(server)
    async with connect(url) as w1, connect(url) as w2:
        c1, c2 = Client(w1, "2.0.0"), Client(w2, "2.0.0")
        await c1.join("a", {"presence": {"key": "k", "enabled": True}})
        await c2.join("a")
        await c1.push("a", "presence", {"event": "track", "payload": {}})
        await c1.barrier()
        await server.stop()
        await asyncio.wait_for(w1.wait_closed(), TIMEOUT)
        await asyncio.wait_for(w2.wait_closed(), TIMEOUT)
        assert (w1.close_code, w1.close_reason) == (1001, "server shutting down")
        assert w2.close_code == 1001
    assert server.sockets == []
    assert server.hub.channels() == {}
    assert asyncio.all_tasks() - before == set()


async def test_restart_on_the_same_port() -> None:
    first = RealtimeServer(ServerConfig(port=0))
    await first.start()
    port = first.port
    async with connect(url_for(first)) as ws:
        await first.stop()
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    second = RealtimeServer(ServerConfig(port=port))  # type: ignore[arg-type]
    await second.start()
    try:
        assert second.port == port
        async with connect(url_for(second)) as ws:
            c = Client(ws, "2.0.0")
            assert await c.barrier() == []
    finally:
        await second.stop()


async def test_stop_is_idempotent_and_start_twice_fails() -> None:
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            await server.start()
    finally:
        await server.stop()
        await server.stop()


def test_server_thread_for_sync_code() -> None:
    with ServerThread(ServerConfig(port=0)) as srv:
        with sync_connect(f"{srv.ws_url}?apikey={srv.anon_key}&vsn=2.0.0") as ws:
            ws.send(json.dumps(["1", "1", "realtime:t", "phx_join", {"config": {}}]))
            assert json.loads(ws.recv(TIMEOUT))[4]["status"] == "ok"
            assert srv.call(lambda s: len(s.sockets)) == 1
            srv.call(lambda s: s.close_all(1001, "bye"))
            with pytest.raises(ConnectionClosed):
                ws.recv(TIMEOUT)
            assert (ws.close_code, ws.close_reason) == (1001, "bye")
        assert srv.url.startswith("http://127.0.0.1:")
    assert srv._thread is None


async def test_demo_traffic_moves() -> None:
    async with RealtimeServer(ServerConfig(port=0)) as server:
        demo = DemoTraffic(server)  # as `serve --demo-traffic` and the GUI's demo start it
        demo.start()
        server.on_stop(demo.stop)
        url = url_for(server)
        async with connect(url) as ws, connect(url_for(server, "1.0.0")) as ws1:
            c, v1 = Client(ws, "2.0.0"), Client(ws1, "1.0.0")
            await c.join(CURSORS)
            await c.join(SENSORS)
            await c.join(LOBBY, {"presence": {"key": "me", "enabled": True}})
            state = await c.recv_until(lambda f: field(f, "event") == "presence_state")
            assert len(field(state, "payload")) >= 1  # the roster starts populated
            frame = decode(await c.recv_until(lambda f: isinstance(f, bytes)), "2.0.0", Role.CLIENT)
            assert isinstance(frame, UserBroadcast)
            assert frame.topic in ("realtime:" + CURSORS, "realtime:" + SENSORS)
            await v1.join(CURSORS)
            cursor = await v1.recv_until(lambda f: field(f, "event") == "broadcast")
            assert set(field(cursor, "payload")["payload"]) == {"user", "x", "y", "color"}


def test_server_thread_reports_start_errors() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        thread = ServerThread(ServerConfig(port=port))
        with pytest.raises(OSError):
            thread.start()
        thread.stop()
