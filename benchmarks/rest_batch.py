"""REST batch benchmark: how long one ``POST /api/broadcast`` holds the server's event loop.

The server runs in its own thread and loop (``ServerThread``); a probe task on that loop sleeps
1 ms at a time and records the longest gap between wake-ups while a batch of N messages is
posted (body encoded beforehand, so the client costs nothing during the request). Subscribers
are plain websocket clients in this process that join the channel and read nothing back
(kernel buffers hold what is sent to them). Issue #10 item 7: 95,000 messages held the loop
430 ms before batches were capped.

Prints a table: messages, subscribers, HTTP status, request time, longest loop stall.

    .venv/bin/python benchmarks/rest_batch.py [--sizes 1000,10000,95000] [--subscribers 0,10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.server import RealtimeServer, ServerConfig  # noqa: E402
from inspector.server.testing import ServerThread  # noqa: E402


class Probe:
    """Longest gap between 1 ms sleeps on the server's loop."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.running = True
        self.task: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly

    async def run(self) -> None:
        last = time.perf_counter()
        while self.running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.001)
            last = now


def subscriber(port: int, key: str) -> socket.socket:
    """A raw websocket that joins realtime:bench and is never read again."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        (
            f"GET /realtime/v1/websocket?apikey={key}&vsn=2.0.0 HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert b" 101 " in s.recv(4096)
    join = json.dumps(["1", "1", "realtime:bench", "phx_join", {"config": {}}]).encode()
    header = bytes([0x81, 0x80 | 126]) + len(join).to_bytes(2, "big") + b"\x00\x00\x00\x00"
    s.sendall(header + join)  # masked with a zero key: the payload is sent as is
    return s


def run(size: int, subscribers: int) -> tuple[int, float, float]:
    with ServerThread(ServerConfig(port=0, idle_timeout_s=None)) as srv:
        socks = [subscriber(srv.port, srv.anon_key) for _ in range(subscribers)]

        async def joined(server: RealtimeServer) -> None:
            def all_in(_: object) -> bool:
                return len(server.hub.subscribers((False, "bench"))) >= subscribers

            if not all_in(None):
                await server.events.wait_for(all_in, timeout=30)

        srv.call(joined, timeout=40)
        messages = [{"topic": "bench", "event": "e", "payload": {"n": i}} for i in range(size)]
        body = json.dumps({"messages": messages}, separators=(",", ":")).encode()
        probe = Probe()

        def start_probe(server: RealtimeServer) -> None:
            probe.task = asyncio.get_running_loop().create_task(probe.run())

        srv.call(start_probe)
        started = time.perf_counter()
        r = httpx.post(
            srv.url + "/realtime/v1/api/broadcast",
            content=body,
            headers={"apikey": srv.anon_key, "content-type": "application/json"},
            timeout=60,
        )
        took = time.perf_counter() - started

        async def stop_probe(server: RealtimeServer) -> None:
            probe.running = False
            if probe.task is not None:
                await probe.task  # it wakes once more and records the last gap

        srv.call(stop_probe)
        for s in socks:
            s.close()
        return r.status_code, took, probe.worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,95000")
    parser.add_argument("--subscribers", default="0,10")
    args = parser.parse_args()
    print(f"{'messages':>9} {'subscribers':>11} {'status':>6} {'request ms':>10} {'stall ms':>9}")
    for subscribers in (int(x) for x in args.subscribers.split(",")):
        for size in (int(x) for x in args.sizes.split(",")):
            status, took, worst = run(size, subscribers)
            print(
                f"{size:>9,} {subscribers:>11} {status:>6} {took * 1000:>10.0f} {worst * 1000:>9.0f}"
            )


if __name__ == "__main__":
    main()
