"""Client ingest benchmark: how many broadcasts per second each client takes on loopback.

    .venv/bin/python benchmarks/client_ingest.py [--count 200000] [--repeat 3] [--acks 2000]

A Node ``ws`` producer (benchmarks/producer.js, not the local server) streams broadcasts to one
subscriber at a time as fast as the socket takes them: vsn 1.0.0 JSON text frames, then vsn
2.0.0 binary kind-4 frames, ~100-byte JSON payloads. Each subscriber runs in its own process:

- our RealtimeClient, events by callback and by the ``events()`` async iterator;
- realtime-js 2.119.1 under Node (``ws`` transport), in both versions;
- realtime-py 2.34.1 (its own venv; vsn 1.0.0 only);
- references: a bare ``websockets`` receiver (with and without ``json.loads``) and a bare Node
  ``ws`` sink, which shows the producer's own rate.

Then our ack round trip on loopback: sequential broadcasts with ``ack`` against the local
server (``realtime-inspector serve``, its own process). Prints one table; nothing is asserted.
The medians of ``--repeat`` runs are shown, with the spread, and for ours and realtime-js the
process's CPU time per broadcast (Node's counts all its threads, its garbage collector's too),
which says more than the rate when other work shares the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
PY = sys.executable
PY_RT = ROOT / ".venv-realtime-py" / "bin" / "python"
NODE = "node"
V1, V2 = "1.0.0", "2.0.0"


def start_producer(payload_bytes: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [NODE, str(BENCH / "producer.js"), "--port", "0", "--payload-bytes", str(payload_bytes)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = json.loads(proc.stdout.readline())["port"]
    return proc, port


def run_json(argv: list[str], timeout: float = 900) -> dict[str, Any]:
    out = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{argv[1]} failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def subscribers(port: int, count: int, py_count: int) -> list[tuple[str, str, list[str]]]:
    http = f"http://127.0.0.1:{port}"
    ws_base = f"ws://127.0.0.1:{port}/realtime/v1/websocket"
    rows: list[tuple[str, str, list[str]]] = []
    for vsn in (V1, V2):
        n = str(count)
        rows += [
            (
                vsn,
                "Node ws sink (producer rate)",
                [NODE, str(BENCH / "ingest_sink.js"), ws_base, vsn, n],
            ),
            (
                vsn,
                "bare websockets recv()",
                [PY, str(BENCH / "ingest_bare.py"), ws_base, vsn, n, "recv"],
            ),
            (
                vsn,
                "bare websockets + json.loads",
                [PY, str(BENCH / "ingest_bare.py"), ws_base, vsn, n, "loads"],
            ),
            (
                vsn,
                "ours (callback)",
                [PY, str(BENCH / "ingest_ours.py"), http, "x", vsn, n, "callback"],
            ),
            (
                vsn,
                "ours (events() iterator)",
                [PY, str(BENCH / "ingest_ours.py"), http, "x", vsn, n, "iterator"],
            ),
            (
                vsn,
                "realtime-js 2.119.1",
                [NODE, str(BENCH / "ingest_js.js"), http + "/realtime/v1", "x", vsn, n],
            ),
        ]
        if vsn == V1:
            rows.append(
                (
                    vsn,
                    "realtime-py 2.34.1",
                    [
                        str(PY_RT),
                        str(BENCH / "ingest_py.py"),
                        http + "/realtime/v1",
                        "x",
                        str(py_count),
                    ],
                )
            )
    return rows


def start_local_server() -> tuple[subprocess.Popen[str], str]:
    """``realtime-inspector serve --port 0`` in its own process; returns it and its URL."""
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


async def ack_rtts(url: str, count: int) -> list[float]:
    """Sequential acked broadcasts from our client to the local server."""
    from inspector.client import ChannelConfig, ClientSettings, PushStatus, RealtimeClient
    from inspector.protocol.jwt import demo_key

    client = RealtimeClient(ClientSettings(url, demo_key("anon")))
    await client.connect()
    await client.join(ChannelConfig("ack-bench", broadcast_ack=True))
    rtts = []
    for i in range(count + 100):
        result = await client.send("ack-bench", "ping", {"i": i, "text": "x" * 80})
        if result.status is not PushStatus.OK or result.rtt is None:
            raise RuntimeError(f"ack failed: {result}")
        if i >= 100:  # warm-up excluded
            rtts.append(result.rtt)
    await client.close()
    return rtts


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200_000, help="broadcasts per run")
    ap.add_argument("--py-count", type=int, default=50_000, help="broadcasts per realtime-py run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row (the median is shown)")
    ap.add_argument("--payload-bytes", type=int, default=100)
    ap.add_argument("--acks", type=int, default=2000, help="acked sends for the round trip")
    args = ap.parse_args()

    producer, port = start_producer(args.payload_bytes)
    results: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    started = time.time()
    try:
        rows = subscribers(port, args.count, args.py_count)
        for _ in range(args.repeat):
            for vsn, name, argv in rows:
                res = run_json(argv)
                if name.startswith("ours") and res.get("dropped"):
                    name += f" [dropped {res['dropped']}]"
                results.setdefault((vsn, name), []).append(res["rate"])
                if "cpu_us_per_msg" in res:
                    cpu.setdefault((vsn, name), []).append(res["cpu_us_per_msg"])
                print(f"  {vsn} {name:34} {res['rate']:>10,.0f} msg/s", file=sys.stderr)
    finally:
        producer.terminate()
        producer.wait(10)
    rtts: list[float] = []
    if args.acks:
        server, url = start_local_server()
        try:
            rtts = asyncio.run(ack_rtts(url, args.acks))
        finally:
            server.terminate()
            server.wait(10)

    med = {key: statistics.median(v) for key, v in results.items()}
    print(
        f"\nClient ingest on loopback: Node ws producer, ~{args.payload_bytes}-byte JSON payloads, "
        f"{args.count:,} broadcasts per run ({args.py_count:,} for realtime-py), median of "
        f"{args.repeat} runs, {os.cpu_count()} CPUs, {time.time() - started:.0f} s\n"
    )
    header = (
        f"{'format':18} {'receiver':34} {'msg/s':>10} {'spread':>17} {'/ py':>6} {'/ js':>6}"
        f" {'CPU us/msg':>10}"
    )
    print(header)
    print("-" * len(header))
    py_rate = med.get((V1, "realtime-py 2.34.1"))
    for (vsn, name), rate in med.items():
        js_rate = med.get((vsn, "realtime-js 2.119.1"))
        runs = results[(vsn, name)]
        spread = f"{min(runs):>8,.0f}-{max(runs):<8,.0f}"
        fmt = "v1 JSON text" if vsn == V1 else "v2 binary kind 4"
        vs_py = f"{rate / py_rate:5.1f}x" if py_rate else "     -"
        vs_js = f"{rate / js_rate:5.2f}x" if js_rate else "     -"
        cpu_text = f"{statistics.median(cpu[(vsn, name)]):10.2f}" if (vsn, name) in cpu else ""
        print(f"{fmt:18} {name:34} {rate:>10,.0f} {spread:>17} {vs_py:>6} {vs_js:>6} {cpu_text}")
    if rtts:
        print(
            f"\nAck round trip, ours -> local server (own process), {len(rtts):,} sequential "
            f"acked broadcasts: p50 {pct(rtts, 50) * 1000:.3f} ms, "
            f"p99 {pct(rtts, 99) * 1000:.3f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
