"""VU density: N clients with a socket each, ours against realtime-js, in one run.

    .venv/bin/python benchmarks/client_density.py      # --vus 1000 --repeat 3

The workload of issue #14 §3 without sends: every virtual user (VU) opens its own websocket to
the local server (``realtime-inspector serve``, its own process) and joins an echo channel of
its own and a group channel shared by 6 VUs. Each side runs in its own process, one after the
other, against the same server:

- ours: N ``RealtimeClient`` (benchmarks/density_ours.py);
- realtime-js 2.119.1: N ``RealtimeClient`` in one Node process, ``ws`` transport
  (benchmarks/density_js.js).

Measured per run: seconds to construct, connect and join all N (from the first constructor
to the last join reply), and the process's RSS growth over those N divided by N, after a
garbage collection, with one VU made beforehand so imports and one-time caches are not
counted. Then one traced run of ours (``--trace``: tracemalloc's growth per VU, slower).
Prints one table with the medians of ``--repeat`` runs; nothing is asserted.
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


def start_local_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [PY, "-m", "inspector", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
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
        timeout=900,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{argv[1]} failed: {out.stderr.strip()[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vus", type=int, default=1000, help="virtual users per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side (the median is shown)")
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    args = ap.parse_args()

    from inspector.protocol.jwt import demo_key

    key = demo_key("anon")
    server, url = start_local_server()
    sides = {
        "ours (RealtimeClient)": [PY, str(BENCH / "density_ours.py"), url, key, str(args.vus)],
        "realtime-js 2.119.1": [
            "node",
            "--expose-gc",
            str(BENCH / "density_js.js"),
            url + "/realtime/v1",
            key,
            str(args.vus),
        ],
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    traced: dict[str, Any] = {}
    started = time.time()
    try:
        for _ in range(args.repeat):
            for name, argv in sides.items():
                res = run_json(argv)
                if res["joined"] != 2 * args.vus:
                    raise RuntimeError(f"{name}: only {res['joined']} of {2 * args.vus} joins")
                results[name].append(res)
                print(
                    f"  {name:24} {res['connect_join_s']:7.2f} s {res['rss_kb_per_vu']:7.1f} KB/VU",
                    file=sys.stderr,
                )
        if not args.no_trace:
            traced = run_json([*sides["ours (RealtimeClient)"], "--trace"])
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"\nVU density: {args.vus:,} VUs, one socket each, echo channel + group channel of 6, "
        f"no sends; local server in its own process; median of {args.repeat} runs, "
        f"{os.cpu_count()} CPUs, {time.time() - started:.0f} s\n"
    )
    header = f"{'client':24} {'connect+join s':>15} {'spread':>13} {'KB/VU (RSS)':>12} {'÷ js':>6}"
    print(header)
    print("-" * len(header))
    js = results["realtime-js 2.119.1"]
    js_s = statistics.median(r["connect_join_s"] for r in js)
    for name, runs in results.items():
        secs = [r["connect_join_s"] for r in runs]
        kb = statistics.median(r["rss_kb_per_vu"] for r in runs)
        med = statistics.median(secs)
        spread = f"{min(secs):5.2f}-{max(secs):<6.2f}"
        print(f"{name:24} {med:>15.2f} {spread:>13} {kb:>12.1f} {med / js_s:5.2f}x")
    ours = results["ours (RealtimeClient)"]
    print(
        f"\nours: constructing {args.vus:,} clients took "
        f"{statistics.median(r['construct_s'] for r in ours) * 1000:.0f} ms"
    )
    if traced:
        print(f"ours, traced run: tracemalloc growth {traced['traced_kb_per_vu']:.1f} KB/VU; top:")
        for line in traced["top"][:8]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
