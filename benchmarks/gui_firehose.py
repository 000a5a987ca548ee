"""The firehose for benchmarks/gui_ingest.py: the local Realtime server in its own process,
publishing broadcasts on command as fast as its subscribers take them (or at a set rate).

    python benchmarks/gui_firehose.py        # then JSON commands on stdin, one per line

Prints ``{"url": ..., "key": ...}`` once listening, then one line per command:

- ``{"cmd": "fire", "channels": ["a"], "count": N, "rate": R, "payload_bytes": 200,
  "wait_subscribers": 1, "done": false, "mode": "raw", "distinct": 1024}``: waits until every channel has that
  many subscribers, publishes N broadcasts round-robin over the channels (binary kind 4 with a
  JSON payload of about ``payload_bytes``, what realtime-js senders and REST single produce,
  §2.5), at ``R`` messages/s or as fast as possible (``R`` = 0), then an event ``done`` on each
  channel when asked. ``mode`` ``raw`` writes frames built once to the subscribers' sockets (the
  server is never the bottleneck); ``hub`` calls the server's ``publish_user`` per message (its
  real fan-out path, about 60-70k messages/s on one core). Answers ``{"ev": "fired", "sent": N,
  "seconds": s, "rate": r}``.
- ``{"cmd": "quit"}``.

Flow control: publishing pauses while any subscriber's socket has more than 512 KB unsent and
resumes under 128 KB, so a slow subscriber sets the pace instead of being dropped as a slow
consumer; the measured rate is then the subscriber's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from inspector.protocol.frames import UserBroadcast, topic_for
from inspector.protocol.serializer import encode_binary
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.wsframe import ws_frame

HIGH_WATER = 512 * 1024
LOW_WATER = 128 * 1024
BATCH_SECONDS = 0.002


def unsent(server: RealtimeServer) -> int:
    # The benchmark reads the transport's buffer directly (a private attribute, on purpose).
    return max(
        (s._transport.get_write_buffer_size() for s in server.sockets),
        default=0,
    )


def prebuilt(
    server: RealtimeServer, channel: str, pad: str, distinct: int = 1024
) -> Callable[[int], None]:
    """A writer of ready-made kind-4 frames to the channel's subscribers (``raw`` mode).

    The frames are exactly what ``publish_user`` makes (§2.3, §2.5), built once: 1,024 distinct
    payloads used in turn (``distinct``: fewer for large payloads), so the server costs almost
    nothing per message and the subscriber sets the pace. ``hub`` mode goes through the
    server's fan-out for every message instead. Written straight to the sockets, these frames
    bypass the server's own limits: this is also the hostile server of
    ``benchmarks/gui_memory.py``.
    """
    subs = server.hub.subscribers((False, channel))
    frames = [
        ws_frame(
            encode_binary(
                UserBroadcast(
                    topic_for(channel), "tick", b"", 1, json.dumps({"n": i, "pad": pad}).encode()
                )
            )
        )
        for i in range(distinct)
    ]
    sinks = [sub.sink for sub in subs]

    def write(n: int) -> None:
        frame = frames[n % distinct]
        for sink in sinks:
            sink.write(frame)

    return write


async def fire(server: RealtimeServer, cmd: dict[str, Any]) -> dict[str, Any]:
    channels: list[str] = cmd["channels"]
    count: int = cmd["count"]
    rate: float = cmd.get("rate", 0)
    pad = "x" * max(1, int(cmd.get("payload_bytes", 200)) - 20)
    wanted = int(cmd.get("wait_subscribers", 1))
    # Polling with a deadline-free sleep is fine here: a benchmark, not a test.
    while any(len(server.hub.subscribers((False, c))) < wanted for c in channels):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    n = 0
    started = time.perf_counter()
    batch = 256 if rate <= 0 else max(1, int(rate * BATCH_SECONDS))
    k = len(channels)
    raw = cmd.get("mode", "raw") == "raw"
    distinct = int(cmd.get("distinct", 1024))
    writers = [prebuilt(server, c, pad, distinct) for c in channels] if raw else []
    while n < count:
        if unsent(server) > HIGH_WATER:
            while unsent(server) > LOW_WATER:  # noqa: ASYNC110 - the socket drains; poll it
                await asyncio.sleep(0.0005)
        end = min(count, n + batch)
        if raw:
            while n < end:
                writers[n % k](n)
                n += 1
        else:
            while n < end:
                server.publish_user(channels[n % k], "tick", {"n": n, "pad": pad})
                n += 1
        if rate > 0:
            due = started + n / rate
            delay = due - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
        else:
            await asyncio.sleep(0)
    seconds = time.perf_counter() - started
    if cmd.get("done"):
        for c in channels:
            server.publish_user(c, "done", {"n": n})
    return {"ev": "fired", "sent": n, "seconds": seconds, "rate": n / seconds}


async def main() -> None:
    server = RealtimeServer(ServerConfig(port=0, idle_timeout_s=None))
    await server.start()
    print(json.dumps({"url": server.url, "key": server.anon_key}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            if cmd["cmd"] == "fire":
                print(json.dumps(await fire(server, cmd)), flush=True)
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
