"""Server fan-out benchmark: one publisher, N subscribers on loopback, small JSON payloads.

Runs ``realtime-inspector serve`` in its own process (so it has its own core and its own RSS) and
drives it from this process with a minimal websocket client (asyncio Protocol; unmasked-by-zero
client frames, which RFC 6455 servers accept), so the client side costs as little as possible.

Prints a table: deliveries per second at full speed, publish-to-delivery latency p50/p99 at a
paced rate, and the server's RSS idle, with N subscribers, and with 1,000 idle sockets.

    .venv/bin/python benchmarks/server_fanout.py [--subscribers 100] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "realtime:bench"


# ------------------------------------------------------------------------------ a tiny client


class WsClient(asyncio.Protocol):
    """The smallest websocket client that can join a channel and count what arrives."""

    def __init__(self, path: str, host: str, on_text: Callable[[bytes], None] | None) -> None:
        self.path, self.host = path, host
        self.on_text = on_text
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self._buf = bytearray()
        self._open = False
        self.received = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    async def wait_received(self, target: int) -> None:
        """Wait until ``received`` reaches ``target``."""
        if self.received >= target:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, fut))
        await fut

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(RuntimeError(status.decode(errors="replace")))
                return
            self._open = True
            self.upgraded.set_result(None)
        pos, n = 0, len(buf)
        on_text = self.on_text
        while n - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if n - pos < head + length:
                break
            opcode = buf[pos] & 0x0F
            if opcode in (1, 2):
                self.received += 1
                if on_text is not None:
                    on_text(bytes(buf[pos + head : pos + head + length]))
            pos += head + length
        if pos:
            del buf[:pos]
        if self._waiters:
            keep = []
            for target, fut in self._waiters:
                if self.received >= target and not fut.done():
                    fut.set_result(None)
                elif not fut.done():
                    keep.append((target, fut))
            self._waiters = keep

    def send_text(self, text: str) -> None:
        payload = text.encode()
        n = len(payload)
        if n < 126:
            header = bytes((0x81, 0x80 | n))
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        assert self.transport is not None
        self.transport.write(header + b"\x00\x00\x00\x00" + payload)  # zero mask key


async def open_client(
    url: str, key: str, on_text: Callable[[bytes], None] | None = None
) -> WsClient:
    parts = urlsplit(url)
    path = f"{parts.path}?apikey={key}&vsn=2.0.0"
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(
        lambda: WsClient(path, parts.netloc, on_text), parts.hostname, parts.port
    )
    await proto.upgraded
    return proto


# ------------------------------------------------------------------------------ the server


def start_server() -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inspector",
            "serve",
            "--port",
            "0",
            "--log-level",
            "warning",
            "--idle-timeout",
            "0",
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    banner: dict[str, str] = {}
    assert proc.stdout is not None
    while "service_role key" not in banner:
        line = proc.stdout.readline().decode()
        if not line:
            raise RuntimeError("the server exited before printing its banner")
        label, sep, value = line.strip().partition(": ")
        if sep:
            banner[label] = value.strip()
    return proc, banner


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------ phases


async def join(client: WsClient, ref: int) -> None:
    before = client.received
    client.send_text(json.dumps([str(ref), str(ref), TOPIC, "phx_join", {"config": {}}]))
    await client.wait_received(before + 1)  # the join reply


def push(pub: WsClient, i: int) -> None:
    payload = {"type": "broadcast", "event": "tick", "payload": {"i": i, "t": time.monotonic()}}
    pub.send_text(
        json.dumps(["1", str(i + 10), TOPIC, "broadcast", payload], separators=(",", ":"))
    )


async def throughput(
    pub: WsClient, subs: list[WsClient], seconds: float, window: int
) -> tuple[int, float]:
    """Publish as fast as the slowest subscriber allows, keeping ``window`` messages in flight."""
    base = [s.received for s in subs]
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        done = min(s.received - b for s, b in zip(subs, base, strict=True))
        while sent - done < window:
            push(pub, sent)
            sent += 1
        await asyncio.sleep(0)
    await asyncio.gather(*(s.wait_received(b + sent) for s, b in zip(subs, base, strict=True)))
    elapsed = time.monotonic() - start
    return sum(s.received - b for s, b in zip(subs, base, strict=True)), elapsed


async def latency(
    pub: WsClient, subs: list[WsClient], lat: list[float], rate: float, seconds: float
) -> None:
    """Publish at ``rate`` messages/s; subscribers record publish-to-delivery latency."""
    count = int(rate * seconds)
    base = [s.received for s in subs]
    start = time.monotonic()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        push(pub, 1_000_000 + i)
    await asyncio.gather(*(s.wait_received(b + count) for s, b in zip(subs, base, strict=True)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--window", type=int, default=64, help="messages in flight at full speed")
    parser.add_argument("--rate", type=float, default=100.0, help="messages/s for the latency run")
    parser.add_argument("--idle", type=int, default=1000, help="idle sockets for the RSS figure")
    args = parser.parse_args()

    proc, banner = start_server()
    try:
        url, key = banner["WebSocket URL"], banner["anon key"]
        rss_idle = rss_mb(proc.pid)
        lat: list[float] = []
        recording = False

        def on_text(data: bytes) -> None:
            if recording:
                msg = json.loads(data)
                if msg[3] == "broadcast":
                    lat.append(time.monotonic() - msg[4]["payload"]["t"])

        subs = [await open_client(url, key, on_text) for _ in range(args.subscribers)]
        for i, sub in enumerate(subs):
            await join(sub, i + 1)
        pub = await open_client(url, key)
        await join(pub, 1)
        rss_subs = rss_mb(proc.pid)

        await throughput(pub, subs, 1.0, args.window)  # warm-up
        cpu0 = cpu_seconds(proc.pid)
        deliveries, elapsed = await throughput(pub, subs, args.seconds, args.window)
        cpu = (cpu_seconds(proc.pid) - cpu0) / elapsed
        recording = True
        await latency(pub, subs, lat, args.rate, min(args.seconds, 3.0))
        recording = False

        idle = [await open_client(url, key) for _ in range(args.idle)]
        for i, sock in enumerate(idle):
            sock.send_text(
                json.dumps([str(i), str(i), f"realtime:idle-{i % 10}", "phx_join", {"config": {}}])
            )
        await asyncio.gather(*(s.wait_received(1) for s in idle))
        rss_idle_sockets = rss_mb(proc.pid)

        lat_ms = sorted(x * 1000 for x in lat)
        p50 = statistics.median(lat_ms)
        p99 = lat_ms[int(len(lat_ms) * 0.99) - 1]
        rows = [
            ("subscribers", f"{args.subscribers}"),
            ("deliveries/s (full speed)", f"{deliveries / elapsed:,.0f}"),
            ("server CPU during that run", f"{cpu * 100:.0f} % of one core"),
            (
                f"latency p50 at {args.rate:.0f} msg/s ({args.rate * args.subscribers:,.0f} deliveries/s)",
                f"{p50:.2f} ms",
            ),
            ("latency p99", f"{p99:.2f} ms"),
            ("server RSS, no sockets", f"{rss_idle:.1f} MB"),
            (f"server RSS, {args.subscribers + 1} sockets", f"{rss_subs:.1f} MB"),
            (f"server RSS, +{args.idle} idle sockets (joined)", f"{rss_idle_sockets:.1f} MB"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"{'measure':<{width}}  value")
        print(f"{'-' * width}  -----")
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        for c in (*subs, pub, *idle):
            assert c.transport is not None
            c.transport.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
