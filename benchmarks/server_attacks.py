"""Attacks on the local server's resource caps (issue #10 items 4, 5, 7), on loopback only.

Each attack runs against a fresh ``realtime-inspector serve --port 0`` process (its own RSS,
its log captured to a temporary file) while a well-behaved probe client, connected before the
attack, sends a small broadcast to itself 50 times a second and times the round trip:

- ``slow consumers``: 30 subscribers that never read, one sender pushing 1 MB broadcasts;
- ``presence``: one socket tracks 3 MB metas on 100 channels; then (a fresh server) 6 sockets
  at once on 10 channels each;
- ``slowloris``: the server's fd limit is set to 1,024; 1,100 connections send partial
  headers and trickle a header line every second, reconnecting when closed, while a new
  client connects (and receives its join reply) every half second;
- ``malformed frames``: one client sends 50,000 frames that are not JSON.

Prints one row per attack: server peak RSS (VmHWM) and RSS at the end, probe p50/p99 and
probes lost, what the server did (drops, refusals, connects), and log bytes written.
Bounded in count and time (about a minute and a half); stops by itself.

    .venv/bin/python benchmarks/server_attacks.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_fanout import ROOT, WsClient, open_client

FD_LIMIT = 1024
NL = b"\n"


# ------------------------------------------------------------------------------ the server


class Server:
    def __init__(self, fd_limit: int | None = None) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)

        def limit() -> None:
            if fd_limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "serve", "--port", "0", "--idle-timeout", "0"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=ROOT,
            preexec_fn=limit,
        )
        banner: dict[str, str] = {}
        assert self.proc.stdout is not None
        while "service_role key" not in banner:
            line = self.proc.stdout.readline().decode()
            if not line:
                raise RuntimeError("the server exited before printing its banner")
            label, sep, value = line.strip().partition(": ")
            if sep:
                banner[label] = value.strip()
        self.ws_url, self.key = banner["WebSocket URL"], banner["anon key"]
        port = re.search(r":(\d+)/", self.ws_url)
        assert port is not None
        self.port = int(port.group(1))
        self.log_start = self.log_bytes()

    def status(self, field: str) -> float:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(rf"{field}:\s+(\d+) kB", text)
        return int(match.group(1)) / 1024 if match else float("nan")

    def log_bytes(self) -> int:
        self.log.seek(0, 2)
        return self.log.tell()

    def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------------------------ clients


async def join(client: WsClient, topic: str, ref: int, config: dict[str, Any]) -> None:
    before = client.received
    client.send_text(json.dumps([str(ref), str(ref), topic, "phx_join", {"config": config}]))
    await asyncio.wait_for(client.wait_received(before + 1), 10)


class Probe:
    """A well-behaved client in its own process (so the attacking clients' work in this
    process does not delay it): broadcasts to itself (``self: true``) 50 times a second and
    times each round trip, until told to stop on stdin; then prints the results as JSON."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--probe",
            self.server.ws_url,
            self.server.key,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        assert (await self.proc.stdout.readline()).strip() == b"ready"

    async def stop(self) -> tuple[list[float], int]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"stop\n")
        await self.proc.stdin.drain()
        out, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        result = json.loads(out)
        return result["latencies"], result["sent"]


async def probe_main(ws_url: str, key: str, rate: float = 50.0) -> None:
    latencies: list[float] = []

    def on_text(data: bytes) -> None:
        msg = json.loads(data)
        if msg[3] == "broadcast":
            latencies.append(time.monotonic() - msg[4]["payload"]["t"])

    client = await open_client(ws_url, key, on_text)
    await join(client, "realtime:probe", 1, {"broadcast": {"self": True}})
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def wait_stop() -> None:
        await reader.readline()
        stop.set()

    waiter = asyncio.create_task(wait_stop())
    print("ready", flush=True)
    sent = 0
    start = time.monotonic()
    while not stop.is_set():
        payload = {"type": "broadcast", "event": "p", "payload": {"t": time.monotonic()}}
        client.send_text(json.dumps(["1", "2", "realtime:probe", "broadcast", payload]))
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    await asyncio.sleep(0.5)  # the last round trips
    await waiter
    print(json.dumps({"latencies": latencies, "sent": sent}), flush=True)


# ------------------------------------------------------------------------------ attacks


async def slow_consumers(server: Server, notes: dict[str, str]) -> None:
    subs = [await open_client(server.ws_url, server.key) for _ in range(30)]
    for i, sub in enumerate(subs):
        await join(sub, "realtime:flood", i + 1, {})
        assert sub.transport is not None
        sub.transport.pause_reading()  # never reads again
    sender = await open_client(server.ws_url, server.key)
    await join(sender, "realtime:flood", 99, {})
    body = {"type": "broadcast", "event": "blob", "payload": {"b": "x" * 1_000_000}}
    frame = json.dumps(["99", None, "realtime:flood", "broadcast", body])
    assert sender.transport is not None
    for _ in range(400):  # 400 MB from the sender, up to 12 GB of deliveries
        sender.send_text(frame)
        while sender.transport.get_write_buffer_size() > 4_000_000:
            if sender.transport.is_closing():
                break
            await asyncio.sleep(0.002)
    deadline = time.monotonic() + 20
    while sender.transport.get_write_buffer_size() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    for c in (*subs, sender):
        assert c.transport is not None
        c.transport.abort()


async def presence(server: Server, notes: dict[str, str], sockets: int = 1) -> None:
    meta = {"type": "presence", "event": "track", "payload": {"pad": "p" * 3_000_000}}
    refused = accepted = 0

    async def attack(channels: int, name: str) -> None:
        nonlocal refused, accepted
        texts: list[str] = []
        c = await open_client(server.ws_url, server.key, lambda d: texts.append(d[:300].decode()))
        for n in range(channels):
            topic = f"realtime:pres-{name}-{n}"
            await join(c, topic, n + 1, {"presence": {"key": f"k{n}", "enabled": True}})
            before = len(texts)
            c.send_text(json.dumps([str(n + 1), str(1000 + n), topic, "presence", meta]))
            ok, error = f'"{1000 + n}","{topic}","phx_reply"', f'"{topic}","system"'
            deadline = time.monotonic() + 10
            assert c.transport is not None
            while time.monotonic() < deadline and not c.transport.is_closing():
                seen = texts[before:]
                if any(ok in t for t in seen):
                    accepted += 1
                    break
                if any(error in t for t in seen):
                    refused += 1
                    break
                await asyncio.sleep(0.002)
            else:
                return  # dropped (a slow reader of the others' diffs) or no answer
        c.transport.abort()

    if sockets == 1:  # the attack: one socket, 100 channels
        await attack(100, "one")
    else:  # the server-wide cap: several sockets at once, 10 channels each
        await asyncio.gather(*(attack(10, f"s{i}") for i in range(sockets)))
    notes["server did"] = f"{accepted} tracks of 3 MB accepted over time, {refused} refused"


async def slowloris(server: Server, notes: dict[str, str], seconds: float = 15.0) -> None:
    stop = asyncio.Event()
    opened = 0

    async def attacker(i: int) -> None:
        nonlocal opened
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            opened += 1
            try:
                writer.write(b"GET /realtime/v1/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while not stop.is_set() and not reader.at_eof():
                    writer.write(f"X-Slow-{i}: 1\r\n".encode())
                    try:
                        await asyncio.wait_for(reader.read(1024), 1.0)
                    except TimeoutError:
                        pass
            except OSError:
                pass
            finally:
                writer.close()
            await asyncio.sleep(1.0)  # then open a new one, as slowloris does

    attackers = [asyncio.create_task(attacker(i)) for i in range(1100)]
    await asyncio.sleep(3.0)  # the attack is in full swing
    connects: list[float] = []
    failed = 0
    end = time.monotonic() + seconds - 3.0
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            c = await asyncio.wait_for(open_client(server.ws_url, server.key), 5)
            await join(c, "realtime:newcomer", 1, {})
            connects.append(time.monotonic() - t0)
            assert c.transport is not None
            c.transport.close()
        except (OSError, RuntimeError, TimeoutError):
            failed += 1
        await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*attackers, return_exceptions=True)
    worst = max(connects) * 1000 if connects else float("nan")
    notes["server did"] = (
        f"{len(connects)} of {len(connects) + failed} new clients connected and joined "
        f"(slowest {worst:.0f} ms); {opened} attack connections opened"
    )


async def malformed(server: Server, notes: dict[str, str]) -> None:
    c = await open_client(server.ws_url, server.key)
    assert c.transport is not None
    for i in range(50_000):
        c.send_text(f"not json {i}")
        if c.transport.get_write_buffer_size() > 1_000_000:
            await asyncio.sleep(0.001)
    before = c.received
    c.send_text(json.dumps([None, "hb", "phoenix", "heartbeat", {}]))
    await asyncio.wait_for(c.wait_received(before + 1), 30)
    notes["server did"] = "50,000 malformed frames dropped, socket kept"
    c.transport.close()


# ------------------------------------------------------------------------------ running


async def run_attack(
    name: str,
    attack: Callable[[Server, dict[str, str]], Awaitable[None]],
    fd_limit: int | None = None,
) -> dict[str, str]:
    server = Server(fd_limit)
    try:
        probe = Probe(server)
        await probe.start()
        notes: dict[str, str] = {}
        await attack(server, notes)
        latencies, sent = await probe.stop()
        peak, after = server.status("VmHWM"), server.status("VmRSS")
    finally:
        server.stop()  # its log is complete (counts of suppressed lines are written at stop)
    server.log.seek(0)
    log = server.log.read()
    dropped = log.count(b" dropped: slow consumer") + sum(
        int(n) for n in re.findall(rb"slow consumer: (\d+) more", log)
    )
    lat = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)] if lat else float("nan")
    did = notes.get("server did", "")
    if name == "slow consumers":
        did = f"dropped {dropped} of 30 non-reading subscribers"
    elif dropped:
        did += f"; {dropped} sockets dropped as slow consumers"
    return {
        "attack": name,
        "peak RSS": f"{peak:.0f} MB",
        "RSS after": f"{after:.0f} MB",
        "probe p50": f"{p50:.1f} ms",
        "probe p99": f"{p99:.1f} ms",
        "probes lost": f"{sent - len(lat)}/{sent}",
        "log": f"{(len(log) - server.log_start) / 1024:.0f} KB, {log.count(NL)} lines",
        "server did": did,
    }


ATTACKS = {
    "slow consumers": (slow_consumers, None),
    "presence, 1 socket": (presence, None),
    "presence, 6 sockets": (lambda server, notes: presence(server, notes, 6), None),
    "slowloris": (slowloris, FD_LIMIT),
    "malformed frames": (malformed, None),
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(ATTACKS), action="append")
    parser.add_argument("--probe", nargs=2, metavar=("WS_URL", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        await probe_main(*args.probe)
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 <= hard or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # for 1,100 attackers
    rows = []
    for name, (attack, fd_limit) in ATTACKS.items():
        if args.only and name not in args.only:
            continue
        rows.append(await run_attack(name, attack, fd_limit))
        print(f"done: {name}", file=sys.stderr)
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    print("| " + " | ".join(c.ljust(widths[c]) for c in cols) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in cols) + "|")
    for r in rows:
        print("| " + " | ".join(r[c].ljust(widths[c]) for c in cols) + " |")


if __name__ == "__main__":
    asyncio.run(main())
