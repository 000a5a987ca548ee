"""Load density, our side (benchmarks/load_density.py): the ``broadcast`` workload run by the
load engine (``run_load``) with N VUs in this one process.

    python benchmarks/load_ours.py URL KEY N DURATION [CONNECT_RATE]

Every VU connects at once (or VU i at i / CONNECT_RATE seconds, as the Node side), joins its echo channel and its group
channel of 6 (``self`` on), then sends 2 messages/s into each for DURATION seconds. Prints one
JSON line: seconds to connect and join all N (run start to the last join), the RSS growth per
VU at that moment (after a garbage collection; imports, the recorder's histograms and one warm
connection made beforehand are not counted), the process's CPU time during the sending phase
divided by the deliveries made in it, and the run's deliveries, lost and latency percentiles.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from typing import Any

from inspector.client import ClientSettings, RealtimeClient
from inspector.client.load import LoadStats, Snapshot, preset, run_load


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(url: str, key: str, n: int, duration: float, rate: float) -> dict[str, Any]:
    settings = ClientSettings(url, key)
    warm = RealtimeClient(settings)  # imports and one-time caches are not counted per VU
    await warm.connect()
    await warm.join("warm")
    await warm.close()
    stats = LoadStats()
    gc.collect()
    rss0 = rss_kb()
    marks: dict[str, float] = {}
    workload = preset(
        "broadcast",
        vus=n,
        ramp_up_s=0,
        connect_rate=rate or None,
        duration_s=duration,
        drain_s=20,
        connect_timeout_s=60,  # realtime-js has no handshake timeout; joins time out at 10 s
    )

    async def ready() -> None:
        marks["joined"] = time.perf_counter()
        gc.collect()
        marks["rss"] = rss_kb()
        marks["cpu0"] = cpu_s()
        marks["delivered0"] = stats.delivered_count

    def on_progress(snap: Snapshot) -> None:
        if snap.phase == "draining" and "cpu1" not in marks:
            marks["cpu1"] = cpu_s()
            marks["delivered1"] = stats.delivered_count

    t0 = time.perf_counter()
    cpu_start = cpu_s()
    await run_load(
        workload, settings, ready=ready, on_progress=on_progress, progress_interval=0.1, stats=stats
    )
    s = stats.summary()
    delivered = marks["delivered1"] - marks["delivered0"]
    return {
        "n": n,
        "connect_join_s": marks["joined"] - t0,
        "rss_kb_per_vu": (marks["rss"] - rss0) / n,
        "cpu_us_per_delivery": (marks["cpu1"] - marks["cpu0"]) / max(delivered, 1) * 1e6,
        "cpu_s_sending": marks["cpu1"] - marks["cpu0"],
        "cpu_ms_per_vu_joining": (marks["cpu0"] - cpu_start) / n * 1000,
        "joined": s["joins"],
        "join_failures": (s["join_failures"] or 0) + 2 * (s["connection_failures"] or 0),
        "sent": s["sent"],
        "expected": s["expected"],
        "delivered": s["delivered"],
        "lost": s["lost"],
        "p50_ms": s["p50"],
        "p99_ms": s["p99"],
        "errors": dict(stats.errors.most_common(3)),
    }


def main() -> int:
    url, key, n, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    print(json.dumps(asyncio.run(run(url, key, n, duration, rate))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
