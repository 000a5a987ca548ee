"""Subscriber for benchmarks/client_ingest.py: our RealtimeClient, one channel, count broadcasts.

    python benchmarks/ingest_ours.py URL KEY VSN COUNT MODE   (MODE: callback | iterator)

Prints one JSON line: {"received": n, "seconds": s, "rate": r, "dropped": d,
"cpu_us_per_msg": c} (the process's CPU time over the same span, per broadcast). The clock runs
from the first broadcast to the "done" broadcast the producer sends last.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from inspector.client import BroadcastReceived, ChannelConfig, ClientSettings, RealtimeClient


async def main(url: str, key: str, vsn: str, count: int, mode: str) -> dict[str, float]:
    done = asyncio.Event()
    state = {"n": 0, "first": 0.0, "last": 0.0, "cpu0": 0.0, "cpu1": 0.0}

    def on_event(event: object) -> None:
        if event.__class__ is BroadcastReceived:
            if event.event == "done":  # type: ignore[attr-defined]
                state["last"] = time.perf_counter()
                state["cpu1"] = time.process_time()
                done.set()
                return
            if state["n"] == 0:
                state["first"] = time.perf_counter()
                state["cpu0"] = time.process_time()
            state["n"] += 1

    settings = ClientSettings(url, key, vsn=vsn, heartbeat_interval=60)
    client = RealtimeClient(settings, on_event=on_event if mode == "callback" else None)
    consumer = None
    if mode == "iterator":
        events = client.events()

        async def consume() -> None:
            async for event in events:
                on_event(event)
                if done.is_set():
                    return

        consumer = asyncio.ensure_future(consume())
    await client.connect()
    await client.join(ChannelConfig(f"bench-{count}"))
    await asyncio.wait_for(done.wait(), 600)
    if consumer is not None:
        await consumer
    dropped = client.events_dropped
    await client.close()
    seconds = state["last"] - state["first"]
    return {
        "received": state["n"],
        "seconds": seconds,
        "rate": state["n"] / seconds,
        "dropped": dropped,
        "cpu_us_per_msg": (state["cpu1"] - state["cpu0"]) / state["n"] * 1e6,
    }


if __name__ == "__main__":
    url, key, vsn, count, mode = sys.argv[1:6]
    print(json.dumps(asyncio.run(main(url, key, vsn, int(count), mode))))
