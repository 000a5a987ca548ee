"""What watching a counter for sequence gaps costs the window (issue #11 §5).

    .venv/bin/python benchmarks/gui_seq.py [--count 200000] [--rate 5000] [--repeat 3]

The harness of benchmarks/gui_ingest.py (its local-server firehose, benchmarks/gui_subject.py as
the real window offscreen, ~200-byte JSON payloads ``{"n": i, "pad": …}`` in kind-4 frames,
``n`` counting 0..1023 over and over), one visible tab, with and without the tab watching
``$.n`` (so the tracker also starts a new run every 1,024 messages): rows per second into the
table models at full speed, and the event-loop lag of a 10 ms timer while paced at ``--rate``.
Prints one table (best of ``--repeat`` runs per row); nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gui_ingest import BENCH, PY, Proc, scenario


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200_000, help="broadcasts per scenario")
    ap.add_argument("--rate", type=float, default=5_000, help="the paced scenarios' rate")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each scenario (best shown)")
    args = ap.parse_args()
    started = time.time()
    server = Proc([PY, str(BENCH / "gui_firehose.py")])
    hello = server.read()
    gui = Proc([PY, str(BENCH / "gui_subject.py"), hello["url"], hello["key"]])
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        plans: list[tuple[str, dict[str, Any]]] = [
            ("1 tab, full speed", {"rate": 0}),
            ("1 tab watching $.n, full speed", {"rate": 0, "track_seq": "$.n"}),
            (f"1 tab, paced {args.rate:,.0f}/s", {"rate": args.rate}),
            (
                f"1 tab watching $.n, paced {args.rate:,.0f}/s",
                {"rate": args.rate, "track_seq": "$.n"},
            ),
        ]
        for label, plan in plans:
            runs = [
                scenario(server, gui, channels=["bench"], count=args.count, **plan)
                for _ in range(args.repeat)
            ]
            best = max(runs, key=lambda r: r["rate"])
            rows.append((label, best))
            print(f"  {label}: {best['rate']:,.0f} msg/s", file=sys.stderr)
    finally:
        gui.close()
        server.close()
    print(
        f"\nGUI ingest with sequence tracking: {args.count:,} broadcasts per scenario, best of "
        f"{args.repeat}, {os.cpu_count()} CPUs, {time.time() - started:.0f} s\n"
    )
    print("| scenario | msg/s into the models | loop lag p50 | p99 | max | window CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in rows:
        print(
            f"| {label} | {r['rate']:,.0f} | {r['lag_p50']:.1f} ms | {r['lag_p99']:.1f} ms | "
            f"{r['lag_max']:.0f} ms | {r['cpu'] * 100:.0f} % |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
