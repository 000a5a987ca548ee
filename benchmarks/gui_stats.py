"""What a tab's statistics cost the window (issue #15 item 3): stats on vs off, interleaved.

    .venv/bin/python benchmarks/gui_stats.py [--count 200000] [--rate 50000] [--repeat 3]

The harness of benchmarks/gui_ingest.py (its local-server firehose, benchmarks/gui_subject.py as
the real window offscreen at 1280x800, ~200-byte JSON payloads in kind-4 frames), one visible
tab with a 10,000-row ring, with the tab's statistics on (what the app does: every received
row counted in TabStats, the strip redrawn on the window's one-second tick) and off (no
counting, no strip: the window before issue #15). The runs alternate off, on, off, on, ... so
that a machine shared with other jobs loads both sides alike; each row shows the best and the
median of ``--repeat`` runs: rows per second into the table models at full speed, and at a
paced ``--rate`` (a 50,000 msg/s flood) the rate reached, the window process's CPU time per
received message (the figure a loaded machine disturbs least), the event-loop lag of a 10 ms
timer and the window's CPU share. Prints the load average before and after. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gui_ingest import BENCH, PY, Proc, scenario


def per_message_ns(n: int = 1_000_000) -> float:
    """What TabStats.incoming costs per call (the whole of what a received row adds), in ns:
    best of 5 timings of ``n`` calls over 16 event names, the clock advancing 20 µs a call."""
    from inspector.store.messages.stats import TabStats

    events = [f"event-{i}" for i in range(16)]
    best = float("inf")
    for _ in range(5):
        stats = TabStats()
        incoming = stats.incoming
        t0 = time.perf_counter()
        for i in range(n):
            incoming(events[i & 15], 200, 1000.0 + i * 2e-5)
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200_000, help="broadcasts per run")
    ap.add_argument("--rate", type=float, default=50_000, help="the paced runs' rate")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each scenario, interleaved")
    args = ap.parse_args()
    started = time.time()
    load_before = os.getloadavg()
    server = Proc([PY, str(BENCH / "gui_firehose.py")])
    hello = server.read()
    gui = Proc([PY, str(BENCH / "gui_subject.py"), hello["url"], hello["key"]])
    plans = [("full speed", 0.0), (f"paced {args.rate:,.0f}/s", args.rate)]
    runs: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    try:
        scenario(server, gui, channels=["bench"], count=20_000, rate=0)  # warm-up, not shown
        for _ in range(args.repeat):
            for label, rate in plans:
                for stats in (False, True):
                    result = scenario(
                        server, gui, channels=["bench"], count=args.count, rate=rate, stats=stats
                    )
                    runs.setdefault((label, stats), []).append(result)
                    print(
                        f"  {label}, stats {'on' if stats else 'off'}: "
                        f"{result['rate']:,.0f} msg/s, lag p99 {result['lag_p99']:.1f} ms",
                        file=sys.stderr,
                    )
    finally:
        gui.close()
        server.close()
    load_after = os.getloadavg()
    cost = per_message_ns()
    print(
        f"\nGUI ingest with the tab's statistics on/off: {args.count:,} broadcasts per run, "
        f"{args.repeat} interleaved runs each, {os.cpu_count()} CPUs, "
        f"{time.time() - started:.0f} s; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after\n"
    )
    print(
        "| scenario | stats | msg/s best | msg/s median | on ÷ off (median) | "
        "window CPU µs/msg (median) | on ÷ off | lag p50 | p99 | max | window CPU |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def us_per_msg(r: dict[str, Any]) -> float:
        return float(r["cpu_s"]) / max(1, int(r["received"])) * 1e6

    for label, _rate in plans:
        off = statistics.median(r["rate"] for r in runs[(label, False)])
        off_us = statistics.median(us_per_msg(r) for r in runs[(label, False)])
        for stats in (False, True):
            rs = runs[(label, stats)]
            median = statistics.median(r["rate"] for r in rs)
            us = statistics.median(us_per_msg(r) for r in rs)
            mid = sorted(rs, key=lambda r: r["rate"])[len(rs) // 2]
            ratio = f"{median / off:.2f}" if stats else ""
            us_ratio = f"{us / off_us:.2f}" if stats else ""
            print(
                f"| 1 tab, {label} | {'on' if stats else 'off'} | "
                f"{max(r['rate'] for r in rs):,.0f} | {median:,.0f} | {ratio} | {us:.1f} | "
                f"{us_ratio} | {mid['lag_p50']:.1f} ms | {mid['lag_p99']:.1f} ms | "
                f"{mid['lag_max']:.0f} ms | {mid['cpu'] * 100:.0f} % |"
            )
    print(
        f"\nTabStats.incoming: {cost:,.0f} ns per received row (in-process, best of 5 x 1,000,000"
        f" calls; at 50,000 msg/s that is {cost * 50_000 / 1e7:.2f} % of one core)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
