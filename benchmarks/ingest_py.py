"""Subscriber for benchmarks/client_ingest.py: realtime-py's AsyncRealtimeClient (its own venv).

    .venv-realtime-py/bin/python benchmarks/ingest_py.py URL KEY COUNT

Prints {"received": n, "seconds": s, "rate": r}. realtime-py speaks vsn 1.0.0 only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from realtime import AsyncRealtimeClient


async def main(url: str, key: str, count: int) -> dict[str, float]:
    done = asyncio.Event()
    state = {"n": 0, "first": 0.0, "last": 0.0}

    def on_ping(_payload: object) -> None:
        if state["n"] == 0:
            state["first"] = time.perf_counter()
        state["n"] += 1

    def on_done(_payload: object) -> None:
        state["last"] = time.perf_counter()
        done.set()

    client = AsyncRealtimeClient(url, key)
    await client.connect()
    channel = client.channel(f"bench-{count}")
    channel.on_broadcast("ping", on_ping)
    channel.on_broadcast("done", on_done)
    await channel.subscribe()
    await asyncio.wait_for(done.wait(), 900)
    await client.close()
    seconds = state["last"] - state["first"]
    return {"received": state["n"], "seconds": seconds, "rate": state["n"] / seconds}


if __name__ == "__main__":
    url, key, count = sys.argv[1:4]
    print(json.dumps(asyncio.run(main(url, key, int(count)))))
