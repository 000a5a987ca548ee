"""Load density: the ``broadcast`` workload with N VUs, our load engine against realtime-js.

    .venv/bin/python benchmarks/load_density.py   # --vus 1000,5000 --duration 10 --connect-rate 500

Issue #14 §3: every virtual user (VU) opens its own websocket to the local server
(``realtime-inspector serve``, its own process), joins an echo channel of its own and a group
channel shared by 6 VUs (broadcast ``self`` on), VU i starting at i / ``--connect-rate``
seconds (0: all at once), then, once all have joined, sends 2 messages/s into each
for ``--duration`` seconds. Each side runs in its own single process, one after the other,
against the same server:

- ours: the load engine, ``run_load`` with N VUs in one process (benchmarks/load_ours.py),
  i.e. ``realtime-inspector load broadcast --workers 1 --ramp-up 0``;
- realtime-js 2.119.1: N ``RealtimeClient`` in one Node process, ``ws`` transport, the same
  channels, rates, phases and payload header (benchmarks/load_js.js).

Per run: seconds from the first VU's start to the last join (at least N / connect rate), and
the process's CPU time for it per VU (ours waits up to 60 s for a handshake here, as
realtime-js has no handshake timeout; joins time out at 10 s on both sides); the process's RSS growth per VU once all have
joined (after a garbage collection; imports and one warm VU made beforehand not counted); the
process's CPU time during the sending phase divided by the deliveries it received in that
phase (every delivery is parsed and its latency taken on both sides; ours also keeps HDR
histograms and per-sender sequences); and deliveries, lost and end-to-end latency, which are
mostly the local server's (one Python process fanning out to N sockets on the same cores);
both sides wait up to 20 s after the last send, so "lost" is what never came, not a backlog.
Prints one table (medians of ``--repeat`` runs) and the machine's load; nothing is asserted.
"""

from __future__ import annotations

import argparse
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
JS = "realtime-js 2.119.1"
OURS = "ours (load engine)"


def start_local_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [PY, "-m", "inspector", "serve", "--port", "0", "--log-level", "warning",
         "--idle-timeout", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert server.stdout is not None
    for line in server.stdout:
        if "Project URL:" in line:
            return server, line.split("Project URL:")[1].strip()
    raise RuntimeError("the local server did not start")


def run_json(argv: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{argv[1]} failed: {out.stderr.strip()[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vus", default="1000,5000", help="comma-separated VU counts")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    ap.add_argument("--repeat", type=int, default=1, help="runs per side (the median is shown)")
    ap.add_argument(
        "--connect-rate",
        type=float,
        default=500.0,
        help="new connections per second (0: all at once)",
    )
    args = ap.parse_args()

    from inspector.protocol.jwt import demo_key

    key = demo_key("anon")
    counts = [int(x) for x in args.vus.split(",")]
    server, url = start_local_server()
    rows: list[tuple[int, str, list[dict[str, Any]]]] = []
    loads = [load_average()]
    started = time.time()
    try:
        for n in counts:
            sides = {
                OURS: [PY, str(BENCH / "load_ours.py"), url, key, str(n), str(args.duration),
                       str(args.connect_rate)],
                JS: ["node", "--expose-gc", str(BENCH / "load_js.js"), url + "/realtime/v1",
                     key, str(n), str(args.duration), str(args.connect_rate)],
            }  # fmt: skip
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
            for _ in range(args.repeat):
                for name, argv in sides.items():
                    res = run_json(argv)
                    runs[name].append(res)
                    loads.append(load_average())
                    print(f"  {n:>6} {name:20} {json.dumps(res)}", file=sys.stderr)
            rows += [(n, name, r) for name, r in runs.items()]
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"\nLoad density, broadcast workload (echo + group of 6, 2 msg/s each, "
        f"{args.duration:g} s of sending, {args.connect_rate:g} new connections/s), one process "
        f"per side, local server in its own "
        f"process; median of {args.repeat} run(s); {os.cpu_count()} CPUs; load average "
        f"{loads[0]} before, {' / '.join(loads[1:])} after each run; "
        f"{time.time() - started:.0f} s\n"
    )
    header = (
        f"{'VUs':>6} {'client':20} {'joined':>8} {'failed':>7} {'connect+join s':>15} "
        f"{'CPU ms/VU':>10} {'KB/VU':>7} "
        f"{'CPU µs/delivery':>16} {'sent':>9} {'delivered':>10} {'lost':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for n, name, runs in rows:

        def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
            values = [r[key] for r in runs if r.get(key) is not None]
            return statistics.median(values) if values else float("nan")

        print(
            f"{n:>6} {name:20} {med('joined'):>8.0f} {med('join_failures'):>7.0f} "
            f"{med('connect_join_s'):>15.2f} {med('cpu_ms_per_vu_joining'):>10.2f} "
            f"{med('rss_kb_per_vu'):>7.1f} {med('cpu_us_per_delivery'):>16.1f} "
            f"{med('sent'):>9,.0f} {med('delivered'):>10,.0f} {med('lost'):>7,.0f} {med('p50_ms'):>8.0f} "
            f"{med('p99_ms'):>8.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
