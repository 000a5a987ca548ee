"""GUI ingest benchmark: the real window (offscreen) fed by a firehose from the local server.

    .venv/bin/python benchmarks/gui_ingest.py [--count 200000] [--rate 20000] [--repeat 1]

Three processes on loopback: the local Realtime server publishing on command
(benchmarks/gui_firehose.py), the real main window with the real controller and client
(benchmarks/gui_subject.py, offscreen, one core of its own if the machine has two), and this
script, which runs the scenarios and prints one table. Payloads are ~200-byte JSON objects in
binary kind-4 frames (what realtime-js senders and REST single produce, §2.5).

Scenarios:

- headless reference: our client alone (benchmarks/ingest_ours.py, the client benchmark's
  subscriber, callback delivery) taking the same firehose from the same server;
- one visible tab, 10,000-row ring: as fast as the window takes it, and paced at ``--rate``;
- the same with the frame tap off (what capturing every frame for the Frames view costs), with
  the tab's statistics off (what counting them costs; benchmarks/gui_stats.py interleaves on
  and off), and with the Frames dock open (every frame shown in a second table);
- five tabs (one visible) receiving round-robin at once: full speed and paced;
- RSS of the window process: connected with an empty tab, with 10,000 retained rows, with
  100,000 retained rows (ring set to 100,000).

Measured in the window process: rows per second that reach the table models (between the first
and the last model update of the run), the lag of a 10 ms Qt timer (how late each tick fires:
p50/p99/max), CPU use of the window process while receiving, and VmRSS. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
PY = sys.executable


class Proc:
    """A child process spoken to in JSON lines."""

    def __init__(self, argv: list[str]) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the child
        self.p = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            cwd=ROOT,
            env=env,
        )

    def send(self, obj: dict[str, Any]) -> None:
        stdin: IO[str] | None = self.p.stdin
        assert stdin is not None
        stdin.write(json.dumps(obj) + "\n")
        stdin.flush()

    def read(self) -> dict[str, Any]:
        stdout = self.p.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            code = self.p.wait()
            self.errors.seek(0)
            tail = "".join(self.errors.readlines()[-30:])
            raise RuntimeError(f"{self.p.args[1]} exited ({code}):\n{tail}")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.send({"cmd": "quit"})
            self.p.wait(20)
        except Exception:
            self.p.kill()
            self.p.wait()


def headless(server: Proc, url: str, key: str, count: int) -> float:
    """The client benchmark's subscriber (ours, callback) against the same firehose."""
    sub = subprocess.Popen(
        [PY, str(BENCH / "ingest_ours.py"), url, key, "2.0.0", str(count), "callback"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    server.send(
        {"cmd": "fire", "channels": [f"bench-{count}"], "count": count, "rate": 0, "done": True}
    )
    server.read()
    out, _ = sub.communicate(timeout=600)
    return float(json.loads(out.strip().splitlines()[-1])["rate"])


def scenario(
    server: Proc,
    gui: Proc,
    *,
    channels: list[str],
    count: int,
    rate: float,
    capacity: int = 10_000,
    frames_dock: bool = False,
    mode: str = "raw",
    capture: bool = True,
    track_seq: str = "",
    stats: bool = True,
) -> dict[str, Any]:
    gui.send(
        {
            "cmd": "setup",
            "channels": channels,
            "capacity": capacity,
            "frames_dock": frames_dock,
            "capture": capture,
            "track_seq": track_seq,
            "stats": stats,
        }
    )
    ready = gui.read()
    if not ready.get("joined"):
        raise RuntimeError("the window did not join")
    gui.send({"cmd": "measure", "expected": count, "timeout": 600})
    assert gui.read()["ev"] == "armed"
    server.send({"cmd": "fire", "channels": channels, "count": count, "rate": rate, "mode": mode})
    fired = server.read()
    result = gui.read()
    result["offered"] = fired["rate"]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200_000, help="broadcasts per scenario")
    ap.add_argument("--rate", type=float, default=20_000, help="the paced scenarios' rate")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each scenario (best shown)")
    args = ap.parse_args()
    started = time.time()
    server = Proc([PY, str(BENCH / "gui_firehose.py")])
    hello = server.read()
    url, key = hello["url"], hello["key"]
    rows: list[tuple[str, dict[str, Any]]] = []
    rss: list[tuple[str, float]] = []
    # RSS first, in a window process of its own: Python keeps freed memory, so a process that
    # already held five full tabs would overstate the smaller cases.
    gui = Proc([PY, str(BENCH / "gui_subject.py"), url, key])
    try:
        gui.send({"cmd": "setup", "channels": ["rss"], "capacity": 10_000})
        gui.read()
        gui.send({"cmd": "rss"})
        rss.append(("connected, one empty tab", gui.read()["rss_mb"]))
        for capacity in (10_000, 100_000):
            scenario(server, gui, channels=["rss"], count=capacity, rate=0, capacity=capacity)
            gui.send({"cmd": "rss"})
            got = gui.read()
            rss.append((f"{got['rows']:,} retained rows", got["rss_mb"]))
    finally:
        gui.close()
    gui = Proc([PY, str(BENCH / "gui_subject.py"), url, key])
    try:
        head = max(headless(server, url, key, args.count) for _ in range(args.repeat))
        print(f"  headless client: {head:,.0f} msg/s", file=sys.stderr)
        one, five = ["bench"], [f"tab-{i}" for i in range(5)]
        plans: list[tuple[str, dict[str, Any]]] = [
            ("1 tab, full speed", {"channels": one, "rate": 0}),
            (f"1 tab, paced {args.rate:,.0f}/s", {"channels": one, "rate": args.rate}),
            ("1 tab, server fan-out path", {"channels": one, "rate": 0, "mode": "hub"}),
            ("1 tab, frame tap off, full speed", {"channels": one, "rate": 0, "capture": False}),
            ("1 tab, stats off, full speed", {"channels": one, "rate": 0, "stats": False}),
            ("1 tab + Frames dock, full speed", {"channels": one, "rate": 0, "frames_dock": True}),
            ("5 tabs, full speed", {"channels": five, "rate": 0}),
            (f"5 tabs, paced {args.rate:,.0f}/s", {"channels": five, "rate": args.rate}),
        ]
        for label, plan in plans:
            runs = [scenario(server, gui, count=args.count, **plan) for _ in range(args.repeat)]
            best = max(runs, key=lambda r: r["rate"])
            rows.append((label, best))
            print(
                f"  {label}: {best['rate']:,.0f} msg/s, lag p99 {best['lag_p99']:.1f} ms",
                file=sys.stderr,
            )
    finally:
        gui.close()
        server.close()

    print(
        f"\nGUI ingest on loopback: ~200-byte JSON payloads in kind-4 frames, {args.count:,} "
        f"broadcasts per scenario, best of {args.repeat}, {os.cpu_count()} CPUs, "
        f"{time.time() - started:.0f} s\n"
    )
    header = (
        f"{'scenario':34} {'msg/s':>9} {'÷ headless':>10} {'lag p50':>8} {'p99':>7} "
        f"{'max':>7} {'GUI CPU':>8}"
    )
    print(header)
    print("-" * len(header))
    print(f"{'headless client (ingest_ours.py)':34} {head:>9,.0f} {'1.00':>10}")
    for label, r in rows:
        print(
            f"{label:34} {r['rate']:>9,.0f} {r['rate'] / head:>10.2f} {r['lag_p50']:>6.1f}ms "
            f"{r['lag_p99']:>5.1f}ms {r['lag_max']:>5.0f}ms {r['cpu'] * 100:>7.0f}%"
        )
    print(f"\n{'window process RSS':34} {'MB':>9}")
    for label, value in rss:
        print(f"{label:34} {value:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
