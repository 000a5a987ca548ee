"""VuHost, the bridge under the Locust module: VUs on one asyncio loop in a real OS thread,
events out through a queue (issue #14 §4).

In this process (no gevent) and in a subprocess that gevent monkey-patched first, as Locust
does: there, asyncio's default executor would run ``getaddrinfo`` in a greenlet of a hub that
never runs, and a project URL with a host name (``localhost``) would hang until the connect
timeout. Neither test imports Locust.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from inspector.client.load import LoadStats, preset
from inspector.client.settings import ClientSettings
from inspector.loadtest.vu_host import DONE, READY, RECV, SEND, VuHost
from inspector.server import RealtimeServer

ROOT = Path(__file__).resolve().parents[2]

#: Runs in a fresh interpreter; argv: url, key, "gevent" or "plain". Prints one JSON line.
SCRIPT = r"""
import json, sys, time
if sys.argv[3] == "gevent":
    from gevent import monkey
    monkey.patch_all()
    import gevent
    pause = gevent.sleep
else:
    pause = time.sleep
from collections import Counter
from inspector.client.load import LoadStats, preset
from inspector.client.settings import ClientSettings
from inspector.loadtest.vu_host import DONE, READY, VuHost

url, key = sys.argv[1], sys.argv[2]
workload = preset("broadcast", vus=6, run_id="gevent", drain_s=0.5)
host = VuHost(drain_s=0.5)
for i in range(6):
    host.start_vu(i, workload, ClientSettings(url, key, open_timeout=5, join_timeout=5))
seen = Counter()

def until(kind, n, limit):
    deadline = time.monotonic() + limit
    while seen[kind] < n and time.monotonic() < deadline:
        for item in host.take():
            seen[item[0]] += 1
        pause(0.02)

until(READY, 6, 20)
host.begin_sending(0.5)
until("SEND", 12, 10)
for i in range(6):
    host.close_vu(i)
until(DONE, 6, 10)
stats = LoadStats.from_dict(host.stats_dict())
host.shutdown()
print(json.dumps({"seen": dict(seen), "summary": stats.summary()}))
"""


def _localhost(url: str) -> str:
    return url.replace("127.0.0.1", "localhost")


async def _until(host: VuHost, seen: Counter[str], kind: str, n: int, limit: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while seen[kind] < n:
        assert loop.time() < deadline, f"{kind}: {seen[kind]} of {n} within {limit} s ({seen})"
        for item in host.take():
            seen[item[0]] += 1
        await asyncio.sleep(0.02)


async def test_vus_run_on_their_own_thread_and_report_every_event(
    server: RealtimeServer,
) -> None:
    workload = preset("broadcast", vus=6, run_id="host", drain_s=0.5)
    settings = ClientSettings(_localhost(server.url), server.anon_key)
    host = VuHost(drain_s=0.5)
    seen: Counter[str] = Counter()
    try:
        for i in range(6):
            host.start_vu(i, workload, settings)
        await _until(host, seen, READY, 6)
        assert seen[SEND] == 0  # nobody sends before the barrier
        host.begin_sending(0.6)
        await _until(host, seen, SEND, 12)
        for i in range(6):
            host.close_vu(i)
        await _until(host, seen, DONE, 6)
        stats = LoadStats.from_dict(host.stats_dict())
    finally:
        host.shutdown()
    summary = stats.summary()
    assert summary["vus"] == 6
    assert summary["joins"] == 12
    # One queued event per send and per delivery: what Locust's request events count.
    assert seen[SEND] == summary["sent"]
    assert seen[RECV] == summary["delivered"]
    assert summary["delivered"] == summary["expected"] > 0
    assert summary["lost"] == 0


async def test_a_gevent_patched_process_resolves_host_names(server: RealtimeServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    results: dict[str, Any] = {}
    for mode in ("gevent", "plain"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SCRIPT,
            _localhost(server.url),
            server.anon_key,
            mode,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        results[mode] = json.loads(out.decode().strip().splitlines()[-1])
    for mode, result in results.items():
        summary = result["summary"]
        assert result["seen"].get("CONNECT") == 6, (mode, result)
        assert summary["connection_failures"] == 0, (mode, summary)
        assert summary["joins"] == 12, (mode, summary)
        assert summary["delivered"] == summary["expected"] > 0, (mode, summary)
