"""Reference subscriber for benchmarks/client_ingest.py: a bare ``websockets`` receiver.

    python benchmarks/ingest_bare.py WS_BASE VSN COUNT MODE   (MODE: recv | loads)

Joins with a hand-written frame, then counts messages (``loads``: also ``json.loads`` of each
text frame). No protocol handling at all: the ceiling of the transport in Python.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.client import connect


async def main(base: str, vsn: str, count: int, mode: str) -> dict[str, float]:
    topic = f"realtime:bench-{count}"
    if vsn == "2.0.0":
        join = json.dumps(["1", "1", topic, "phx_join", {"config": {}}])
    else:
        join = json.dumps(
            {
                "topic": topic,
                "event": "phx_join",
                "payload": {"config": {}},
                "ref": "1",
                "join_ref": "1",
            }
        )
    loads = json.loads
    parse = mode == "loads"
    async with connect(
        f"{base}?apikey=x&vsn={vsn}", compression=None, max_size=None, ping_interval=None
    ) as ws:
        await ws.send(join)
        await ws.recv()  # the join reply
        n = 0
        first = 0.0
        async for message in ws:
            if n == 0:
                first = time.perf_counter()
            if isinstance(message, str):
                if parse:
                    loads(message)
                if '"done"' in message:
                    break
            elif b"done" in message[:64]:
                break
            n += 1
        seconds = time.perf_counter() - first
    return {"received": n, "seconds": seconds, "rate": n / seconds}


if __name__ == "__main__":
    base, vsn, count, mode = sys.argv[1:5]
    print(json.dumps(asyncio.run(main(base, vsn, int(count), mode))))
