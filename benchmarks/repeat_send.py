"""Repeat and burst benchmark (issue #11 §3): how many messages per second one sender pushes to
the local server, ours beside realtime-js, and the window while it repeats.

    .venv/bin/python benchmarks/repeat_send.py [--count 100000] [--in-flight 100] [--repeat 3]
        [--window-count 25000] [--window-rate 5000]

The local server runs in its own process (``realtime-inspector serve --port 0``). Rows:

- our CLI, ``send --count N --json`` (no ack: as fast as the socket takes them), and with
  ``--ack --in-flight K``; each message expanded from ``{"seq": "{{seq}}", "text": …}``; the
  rate is the CLI's own summary (first send to last outcome);
- realtime-js 2.119.1 under Node doing the same job (benchmarks/repeat_js.js): ``send()`` in
  batches without ack (the clock stops when the socket buffer is empty), and with ack and K
  promises in flight;
- the window (benchmarks/repeat_window.py: the real window offscreen, the real controller):
  the composer's repeat control at ``--window-rate`` msg/s, without and with ack; every send
  is a row; the lag of a 10 ms Qt timer during the run (p50/p99/max).

Medians of ``--repeat`` runs (the window: one run). Nothing is asserted; the bars are CLI
>= 20,000 msg/s without ack and >= 5,000 with ack, window >= 5,000 msg/s with lag p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "benchmarks"
PY = sys.executable
PAYLOAD = json.dumps({"seq": "{{seq}}", "text": "x" * 64})

from benchmarks.client_ingest import start_local_server  # noqa: E402
from inspector.protocol.jwt import demo_key  # noqa: E402


def run_json(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{argv[:4]} printed nothing:\n{out.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def ours(url: str, key: str, count: int, ack: bool, in_flight: int) -> dict[str, Any]:
    argv = [PY, "-m", "inspector", "send", "--channel", "repeat-bench", "--event", "e"]
    argv += ["--payload", PAYLOAD, "--count", str(count), "--json"]
    if ack:
        argv += ["--ack", "--in-flight", str(in_flight)]
    d = run_json(argv, {"SUPABASE_URL": url, "SUPABASE_ANON_KEY": key})
    return {
        "rate": d["rate_per_s"],
        "ok": d["ok"],
        "sent": d["sent"],
        "p50": d["rtt_ms"]["p50"],
        "p99": d["rtt_ms"]["p99"],
    }


def js(ws_url: str, key: str, count: int, ack: bool, in_flight: int) -> dict[str, Any]:
    d = run_json(
        ["node", str(BENCH / "repeat_js.js"), ws_url, key, str(count), "1" if ack else "0",
         str(in_flight)]
    )  # fmt: skip
    return {
        "rate": d["rate"],
        "ok": d["ok"],
        "sent": d["sent"],
        "p50": d["rtt_p50_ms"],
        "p99": d["rtt_p99_ms"],
    }


def window(url: str, key: str, count: int, rate: float, ack: bool) -> dict[str, Any]:
    argv = [PY, str(BENCH / "repeat_window.py"), url, key, "--count", str(count)]
    argv += ["--rate", str(rate)] + (["--ack"] if ack else [])
    d = run_json(argv, {"QT_QPA_PLATFORM": "offscreen"})
    return {**d, "p50": d["rtt_p50_ms"], "p99": d["rtt_p99_ms"]}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["rate"] for r in runs]
    best = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
    return {**best, "rate": statistics.median(rates), "spread": (min(rates), max(rates))}


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000, help="messages per CLI/JS run")
    ap.add_argument("--in-flight", type=int, default=100, help="K for the runs with ack")
    ap.add_argument("--repeat", type=int, default=3, help="runs per CLI/JS row (median shown)")
    ap.add_argument("--window-count", type=int, default=25_000)
    ap.add_argument("--window-rate", type=float, default=5_000)
    args = ap.parse_args()

    server, url = start_local_server()
    key = demo_key("anon")
    ws_url = url.replace("http://", "ws://") + "/realtime/v1"
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        for ack in (False, True):
            what = f"ack, {args.in_flight} in flight" if ack else "no ack"
            ours_runs, js_runs = [], []
            for _ in range(args.repeat):  # interleaved: the machine's load hits both alike
                ours_runs.append(ours(url, key, args.count, ack, args.in_flight))
                js_runs.append(js(ws_url, key, args.count, ack, args.in_flight))
            rows.append((f"ours, CLI send ({what})", median_of(ours_runs)))
            rows.append((f"realtime-js send() ({what})", median_of(js_runs)))
        for ack in (False, True):
            what = "ack" if ack else "no ack"
            result = window(url, key, args.window_count, args.window_rate, ack)
            rows.append((f"window, repeat at {args.window_rate:,.0f}/s ({what})", result))
    finally:
        server.terminate()
        server.wait(10)

    load = os.getloadavg()
    print(
        f"\nRepeat and burst to the local server (own process) on loopback, {os.cpu_count()} "
        f"cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; CLI/JS: "
        f"{args.count:,} messages per run, median of {args.repeat}; window: "
        f"{args.window_count:,} messages, one run\n"
    )
    print(
        f"{'sender':40} {'msg/s':>9} {'spread':>17} {'ok':>8} {'ack p50':>8} {'p99 ms':>7} "
        f"{'lag p50':>8} {'p99':>6} {'max ms':>7}"
    )
    for label, r in rows:
        spread = r.get("spread")
        spread_text = f"{spread[0]:,.0f}-{spread[1]:,.0f}" if spread else ""
        lag = (
            f"{r['lag_p50']:>8.1f} {r['lag_p99']:>6.1f} {r['lag_max']:>7.1f}"
            if "lag_p99" in r
            else f"{'':>8} {'':>6} {'':>7}"
        )
        print(
            f"{label:40} {r['rate']:>9,.0f} {spread_text:>17} {r['ok']:>8,} "
            f"{ms(r['p50']):>8} {ms(r['p99']):>7} {lag}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
