"""VU density, our side (benchmarks/client_density.py): N RealtimeClients, one socket each.

    python benchmarks/density_ours.py URL KEY N [--trace] [--profile FILE]

Each client connects and joins an echo channel of its own and a group channel shared by 6
clients; nothing is sent. Prints one JSON line: seconds to construct the N clients, seconds to
connect and join them all, RSS delta per client (KB) and, with ``--trace``, the tracemalloc
delta per client and the top allocation sites (which slows the run: profile only).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import resource
import time
import tracemalloc
from typing import Any

from inspector.client import ChannelConfig, ClientSettings, RealtimeClient


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


async def vu(client: RealtimeClient, i: int) -> None:
    await client.connect()
    await asyncio.gather(client.join(ChannelConfig(f"echo-{i}")), client.join(f"group-{i // 6}"))


async def run(url: str, key: str, n: int, trace: bool) -> dict[str, Any]:
    # one client first, so imports and one-time caches are not counted per VU
    warm = RealtimeClient(ClientSettings(url, key, heartbeat_interval=600))
    await vu(warm, n)
    gc.collect()
    rss0 = rss_kb()
    if trace:
        tracemalloc.start(6)
    snap0 = tracemalloc.take_snapshot() if trace else None
    t0 = time.perf_counter()
    clients = [RealtimeClient(ClientSettings(url, key, heartbeat_interval=600)) for _ in range(n)]
    t1 = time.perf_counter()
    await asyncio.gather(*(vu(c, i) for i, c in enumerate(clients)))
    t2 = time.perf_counter()
    gc.collect()
    rss1 = rss_kb()
    out: dict[str, Any] = {
        "n": n,
        "construct_s": t1 - t0,
        "connect_join_s": t2 - t0,
        "rss_kb_per_vu": (rss1 - rss0) / n,
        "joined": sum(
            1 for c in clients for ch in c.channels.values() if ch.state.value == "joined"
        ),
    }
    if trace:
        snap1 = tracemalloc.take_snapshot()
        traced = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))  # type: ignore[arg-type]
        out["traced_kb_per_vu"] = traced / n / 1024
        top = snap1.compare_to(snap0, "lineno")[:15]  # type: ignore[arg-type]
        out["top"] = [f"{s.size_diff / n:8.0f} B/VU {s.traceback}" for s in top]
        tracemalloc.stop()
    await asyncio.gather(*(c.close() for c in clients), warm.close())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("key")
    ap.add_argument("n", type=int)
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--profile", metavar="FILE")
    args = ap.parse_args()
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
    result = asyncio.run(run(args.url, args.key, args.n, args.trace))
    if args.profile:
        prof.disable()
        prof.dump_stats(args.profile)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
