"""The CLI against hostile or awkward surroundings (issue #10 items 1, 8, 9, 13): subprocesses
run as a user runs them, against the local server or a tiny hostile HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start

from inspector.server import RealtimeServer

Spawn = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    """``await spawn(*args, env=..., stdout=...)`` starts the CLI; whatever still runs at the
    end of the test (a failed assertion) is killed, so no process outlives its test."""
    procs: list[asyncio.subprocess.Process] = []

    async def spawn_(*args: str, **kw: Any) -> asyncio.subprocess.Process:
        proc = await start(*args, **kw)
        procs.append(proc)
        return proc

    yield spawn_
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# ------------------------------------------------------------------ item 13: realtime: prefix


async def test_listen_takes_a_typed_realtime_prefix_as_the_topic_prefix(
    server: RealtimeServer, spawn: Spawn
) -> None:
    proc = await spawn(
        "listen",
        "--channel",
        "realtime:room-1",
        "--count",
        "1",
        "--timeout",
        "15",
        env=cli_env(server),
    )
    await read_until(proc, joined)
    topics = [topic for s in server.sockets for topic in s.conn.channels]
    assert topics == ["realtime:room-1"]
    server.publish("room-1", "hello", {"n": 1})
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    [line] = [x for x in map(json.loads, out.decode().splitlines()) if x["kind"] == "broadcast"]
    assert (line["channel"], line["event"]) == ("room-1", "hello")
    assert (
        "realtime-inspector listen: note: the 'realtime:' prefix is added on the wire "
        "(as realtime-js does): joining channel 'room-1', topic 'realtime:room-1'"
    ) in err.decode()


async def test_send_takes_a_typed_realtime_prefix_as_the_topic_prefix(
    server: RealtimeServer, spawn: Spawn
) -> None:
    listener = await spawn(
        "listen", "--channel", "room-1", "--count", "1", "--timeout", "15", env=cli_env(server)
    )
    await read_until(listener, joined)
    proc = await spawn(
        "send",
        "--channel",
        "Realtime:room-1",
        "--event",
        "e",
        "--payload",
        "{}",
        env=cli_env(server),
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert json.loads(out.decode().splitlines()[0])["channel"] == "room-1"
    assert "joining channel 'room-1'" in err.decode()
    got, _ = await asyncio.wait_for(listener.communicate(), TIMEOUT)
    lines = [json.loads(x) for x in got.decode().splitlines()]
    assert [x["event"] for x in lines if x["kind"] == "broadcast"] == ["e"]
    assert listener.returncode == 0


async def test_the_prefix_alone_is_a_usage_error(server: RealtimeServer, spawn: Spawn) -> None:
    proc = await spawn("listen", "--channel", "realtime:", env=cli_env(server))
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 2
    assert "no channel name after the prefix" in err.decode()
