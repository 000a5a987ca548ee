"""Replay timing: does a replay at x1 reproduce a recording's inter-message gaps?

    .venv/bin/python benchmarks/replay_timing.py [--count 300] [--speeds 1,10] [--seed 7]

Issue #11 item 4: "A replay of a recording made with the inspector reproduces the order and, at
x1, the inter-message gaps within 5 ms p95 on loopback". Steps, all on loopback against the
local server (``realtime-inspector serve``, its own process):

1. Record: one of our clients sends ``--count`` broadcasts with irregular gaps (seeded: most
   2-20 ms, some 20-60 ms, a few 100-200 ms); another of our clients receives them and the rows
   are written in the window's tab-export format (``message_line``, receive times to the
   microsecond) — a recording made with the inspector.
2. Replay: ``realtime-inspector replay FILE --channel … --speed X`` (a subprocess, as a user
   runs it) while two receivers listen on the target channel: realtime-js 2.119.1 under Node
   (benchmarks/replay_timing.js, ``process.hrtime`` stamps) and our RealtimeClient (loop time
   at receipt).
3. For each receiver: whether the order matches, and the error of every gap
   ``|replayed gap - recorded gap / X|`` (p50, p95, max in ms).

Prints one table; nothing is asserted (timing never goes in a pass/fail test).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.client import (  # noqa: E402
    BroadcastReceived,
    ChannelConfig,
    ClientSettings,
    RealtimeClient,
)
from inspector.protocol.jwt import demo_key  # noqa: E402
from inspector.store import Direction, MessageRecord  # noqa: E402
from inspector.store.transfer.export import message_line  # noqa: E402

PY = sys.executable
NODE = "node"


def start_local_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [PY, "-m", "inspector", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if "Project URL:" in line:
            return server, line.split("Project URL:")[1].strip()
    raise RuntimeError("the local server did not start")


def gaps_of(seed: int, count: int) -> list[float]:
    rng = random.Random(seed)
    gaps = []
    for _ in range(count - 1):
        roll = rng.random()
        if roll < 0.70:
            gaps.append(rng.uniform(0.002, 0.020))
        elif roll < 0.95:
            gaps.append(rng.uniform(0.020, 0.060))
        else:
            gaps.append(rng.uniform(0.100, 0.200))
    return gaps


class Receiver:
    """Our client on a channel: (event, loop time) of each broadcast."""

    def __init__(self, url: str, key: str) -> None:
        self.got: list[tuple[str, float, bytes]] = []
        self.changed = asyncio.Event()
        self.client = RealtimeClient(ClientSettings(url, key), on_event=self._on)

    def _on(self, e: Any) -> None:
        if isinstance(e, BroadcastReceived):
            self.got.append((e.event, e.received_at, e.payload_bytes()))
            self.changed.set()

    async def join(self, name: str) -> None:
        await self.client.connect()
        await self.client.join(ChannelConfig(name))

    async def wait(self, n: int, timeout: float = 120) -> None:
        async def enough() -> None:
            while len(self.got) < n:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(enough(), timeout)


async def record(url: str, key: str, count: int, seed: int, path: Path) -> list[float]:
    """Make the recording; returns its gaps (seconds, from the recorded times)."""
    recorder = Receiver(url, key)
    await recorder.join("bench-src")
    producer = RealtimeClient(ClientSettings(url, key))
    await producer.connect()
    await producer.join("bench-src")
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    due = start
    schedule = [0.0, *gaps_of(seed, count)]
    for i, gap in enumerate(schedule):
        due += gap
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send("bench-src", f"e{i}", {"i": i, "text": "x" * 60})
    await recorder.wait(count)
    offset = time.time() - loop.time()
    lines = [
        message_line(
            MessageRecord(time=at + offset, direction=Direction.IN, event=event, payload=payload),
            "bench-src",
        )
        for event, at, payload in recorder.got
    ]
    await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n")
    await producer.close()
    await recorder.client.close()
    times = [at for _e, at, _p in recorder.got]
    return [b - a for a, b in itertools.pairwise(times)]


def errors_ms(recorded: list[float], times: list[float], speed: float) -> list[float]:
    replayed = [b - a for a, b in itertools.pairwise(times)]
    return [abs(r - g / speed) * 1000 for g, r in zip(recorded, replayed, strict=True)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def replay_once(
    url: str, key: str, path: Path, count: int, speed: float, recorded: list[float]
) -> list[tuple[str, ...]]:
    channel = f"bench-dst-{speed:g}".replace(".", "_")
    js = await asyncio.create_subprocess_exec(
        NODE,
        str(ROOT / "benchmarks" / "replay_timing.js"),
        f"{url}/realtime/v1",
        key,
        channel,
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )
    assert js.stdout is not None
    ready = json.loads(await asyncio.wait_for(js.stdout.readline(), 30))
    assert ready == {"ready": True}
    ours = Receiver(url, key)
    await ours.join(channel)
    replay = await asyncio.create_subprocess_exec(
        PY,
        "-m",
        "inspector",
        "replay",
        str(path),
        "--url",
        url,
        "--key",
        key,
        "--channel",
        channel,
        "--speed",
        f"{speed:g}",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await replay.communicate()
    if replay.returncode != 0:
        raise RuntimeError(f"replay failed: {err.decode()}")
    summary = json.loads(out)
    js_line = json.loads(await asyncio.wait_for(js.stdout.readline(), 60))
    await js.wait()
    await ours.wait(count)
    await ours.client.close()
    expected = [f"e{i}" for i in range(count)]
    rows = []
    for who, events, times in (
        ("realtime-js", js_line["events"], [t / 1000 for t in js_line["times_ms"]]),
        ("our client", [e for e, _t, _p in ours.got], [t for _e, t, _p in ours.got]),
    ):
        errs = errors_ms(recorded, times, speed)
        rows.append(
            (
                f"x{speed:g}",
                who,
                f"{len(events)}",
                "yes" if events == expected else "NO",
                f"{pct(errs, 50):.2f}",
                f"{pct(errs, 95):.2f}",
                f"{max(errs):.2f}",
                f"{summary['late_max_ms']:.2f}",
            )
        )
    return rows


async def main_async(args: argparse.Namespace) -> None:
    server, url = start_local_server()
    key = demo_key("anon")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "recording.ndjson"
            recorded = await record(url, key, args.count, args.seed, path)
            ms = [g * 1000 for g in recorded]
            print(
                f"recording: {args.count} broadcasts, gaps p50 {statistics.median(ms):.1f} ms, "
                f"min {min(ms):.1f} ms, max {max(ms):.1f} ms, span {sum(ms) / 1000:.2f} s "
                f"(seed {args.seed})"
            )
            rows = []
            for speed in args.speeds:
                rows += await replay_once(url, key, path, args.count, speed, recorded)
    finally:
        server.terminate()
        server.wait(10)
    header = (
        "speed",
        "receiver",
        "received",
        "in order",
        "gap err p50 ms",
        "p95 ms",
        "max ms",
        "latest send ms",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=300, help="broadcasts in the recording")
    ap.add_argument(
        "--speeds",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[1.0, 10.0],
        help="comma-separated speed factors (default 1,10)",
    )
    ap.add_argument("--seed", type=int, default=7, help="seed of the recorded gaps")
    asyncio.run(main_async(ap.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
