"""Token refresh with ``access_token`` and the expiry watchdog (§7.4)."""

from __future__ import annotations

import time

from server_helpers import Client, field, token
from websockets.asyncio.client import connect

from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer, Rules, ServerConfig
from inspector.server.rules import Rule

#: Whole seconds a short-lived token is valid for beyond the current one (so 2 to 3 s).
SHORT_LIFE = 3


def system_error(jr: str, name: str, message: str) -> list[object]:
    return [
        jr,
        None,
        "realtime:" + name,
        "system",
        {"extension": "system", "status": "error", "message": message, "channel": name},
    ]


async def test_ignored_refreshes(server: RealtimeServer, connect_client) -> None:
    c = await connect_client()
    user = token(server, "authenticated")
    await c.join("t", access_token=user)
    for value in (user, None, "sb_publishable_x"):
        await c.push("t", "access_token", {"access_token": value})
    await c.push("t", "access_token", {})
    assert await c.barrier() == []  # never a reply, and the channel stays joined
    await c.broadcast("t", "e", {})
    assert await c.barrier() == []
    assert "realtime:t" in server.topics(server.sockets[0].id)


async def test_empty_token_closes_with_text(connect_client) -> None:
    c = await connect_client()
    await c.join("t")
    jr = c.join_refs["realtime:t"]
    await c.push("t", "access_token", {"access_token": ""})
    assert await c.recv() == system_error(jr, "t", "The token provided is not a valid JWT")
    assert await c.recv() == [jr, jr, "realtime:t", "phx_close", {}]


async def test_bad_refresh_closes_with_jwt_error(server: RealtimeServer, connect_client) -> None:
    c = await connect_client()
    await c.join("t")
    jr = c.join_refs["realtime:t"]
    bad = sign({"role": "anon", "exp": int(time.time()) + 60}, "y" * 40)
    await c.push("t", "access_token", {"access_token": bad})
    assert await c.recv() == system_error(jr, "t", "Failed to validate JWT signature")
    assert field(await c.recv(), "event") == "phx_close"


async def test_good_refresh_extends_the_watchdog(server: RealtimeServer, connect_client) -> None:
    c = await connect_client()
    # Short next to the refresh, yet far enough away that the join is never refused for it.
    short = sign({"role": "anon", "exp": int(time.time()) + 60}, server.config.jwt_secret)
    assert field(await c.join("t", access_token=short), "payload")["status"] == "ok"
    await c.push("t", "access_token", {"access_token": token(server, exp_in=3600)})
    await c.barrier()
    channel = server.sockets[0].conn.channels["realtime:t"]
    assert channel.token_exp is not None
    assert channel.token_exp > time.time() + 3000


async def test_expiry_watchdog_sends_system_error_then_close(
    server: RealtimeServer, connect_client
) -> None:
    c = await connect_client()
    # Valid for 2 to 3 s: the join (answered ok) is never refused for it, however loaded the
    # machine; the watchdog then fires at exp (no upper bound on when: that is a duration).
    short = sign({"role": "anon", "exp": int(time.time()) + SHORT_LIFE}, server.config.jwt_secret)
    reply = await c.join("exp", access_token=short)
    assert field(reply, "payload")["status"] == "ok"
    jr = c.join_refs["realtime:exp"]
    system = await c.recv(timeout=SHORT_LIFE + 30)
    assert field(system, "event") == "system"
    message = field(system, "payload")["message"]
    assert message.startswith("Token has expired ")
    assert message.endswith(" seconds ago")
    assert system == system_error(jr, "exp", message)
    assert await c.recv() == [jr, jr, "realtime:exp", "phx_close", {}]


async def test_refresh_that_loses_read_permission() -> None:
    rules = Rules([Rule(("vip",), ("authenticated",), frozenset({"read"}))])
    async with RealtimeServer(ServerConfig(port=0, rules=rules)) as server:
        url = f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0"
        async with connect(url) as ws:
            c = Client(ws, "2.0.0")
            reply = await c.join(
                "vip", {"private": True}, access_token=token(server, "authenticated")
            )
            assert field(reply, "payload")["status"] == "ok"
            jr = c.join_refs["realtime:vip"]
            await c.push("vip", "access_token", {"access_token": token(server, "anon", exp_in=100)})
            assert await c.recv() == system_error(
                jr, "vip", "You no longer have permission to read from this Channel topic: vip"
            )
            assert field(await c.recv(), "event") == "phx_close"
