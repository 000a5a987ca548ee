"""GUI memory under a hostile server: large messages flooding the real window (issue #10 item 11).

    .venv/bin/python benchmarks/gui_memory.py [--mb 2.9] [--steps 50,100,200,400]
        [--memory-mb 256] [--tabs 1] [--frames-dock]

Two processes on loopback besides this script: the firehose (benchmarks/gui_firehose.py in
``raw`` mode: ready-made kind-4 frames written straight to the subscribers' sockets, past the
local server's own limits, i.e. a server that sends whatever it likes) and the real main window
with the real controller and client, offscreen (benchmarks/gui_subject.py). The window joins
``--tabs`` channels; the firehose sends ``--mb`` MB JSON payloads round-robin over them until
each cumulative count of ``--steps`` has reached the table models, and after each step the
window reports, after a garbage collection, its VmRSS, the rows kept, the payload MB its logs
keep, and the frames and frame MB the Frames log keeps.

``--memory-mb`` is the Preferences' "Payload memory (all tabs)" (default 256 MB); a very large
value shows what the window costs without the byte cap. Nothing is asserted; the bar of
issue #10 is an RSS under 500 MB with the default settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gui_ingest import BENCH, PY, Proc

#: Messages per burst; each burst is waited for before the next.
CHUNK = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.9, help="payload size in MB")
    parser.add_argument("--steps", default="50,100,200,400", help="cumulative message counts")
    parser.add_argument("--memory-mb", type=int, default=None, help="byte budget of all tabs")
    parser.add_argument("--capacity", type=int, default=10_000, help="rows kept per tab")
    parser.add_argument("--tabs", type=int, default=1)
    parser.add_argument("--frames-dock", action="store_true", help="show the Frames dock")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    channels = [f"flood-{i}" for i in range(args.tabs)]
    payload_bytes = int(args.mb * 1_000_000)

    server = Proc([PY, str(BENCH / "gui_firehose.py")])
    hello = server.read()
    gui = Proc([PY, str(BENCH / "gui_subject.py"), hello["url"], hello["key"]])
    setup = {
        "cmd": "setup",
        "channels": channels,
        "capacity": args.capacity,
        "frames_dock": args.frames_dock,
    }
    if args.memory_mb is not None:
        setup["memory_mb"] = args.memory_mb
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        gui.send(setup)
        ready = gui.read()
        if not ready.get("joined"):
            raise SystemExit("the window did not join")
        gui.send({"cmd": "rss"})
        rows.append(("joined, empty", gui.read()))
        sent = 0
        for step in steps:
            while sent < step:
                # In bursts of CHUNK: each burst is measured until it reached the table.
                count = min(CHUNK, step - sent)
                gui.send({"cmd": "measure", "expected": count, "timeout": 90})
                assert gui.read()["ev"] == "armed"
                server.send(
                    {
                        "cmd": "fire",
                        "channels": channels,
                        "count": count,
                        "payload_bytes": payload_bytes,
                        "distinct": 4,
                        "mode": "raw",
                    }
                )
                server.read()
                result = gui.read()
                if not result.get("complete"):
                    gui.errors.seek(0)
                    tail = "".join(gui.errors.readlines()[-20:])
                    raise SystemExit(f"the window got {result.get('received')} of {count}:\n{tail}")
                sent += count
            gui.send({"cmd": "rss"})
            rows.append((f"{step:,} x {args.mb:g} MB ({step * args.mb:,.0f} MB)", gui.read()))
    finally:
        gui.close()
        server.close()

    budget = "default" if args.memory_mb is None else f"{args.memory_mb} MB"
    print(
        f"payload {args.mb:g} MB kind 4 · {args.tabs} tab(s) · payload memory {budget} · "
        f"{args.capacity:,} rows/tab · Frames dock {'open' if args.frames_dock else 'closed'}"
    )
    head = f"{'received':<28} {'RSS MB':>8} {'rows':>7} {'kept MB':>8} {'frames':>7}"
    head += f" {'frame MB':>9} {'evicted (size)':>15}"
    print(head)
    for label, r in rows:
        print(
            f"{label:<28} {r['rss_mb']:8.0f} {r['rows']:7,} {r.get('kept_mb', 0):8.1f}"
            f" {r.get('frames', 0):7,} {r.get('frames_mb', 0):9.1f}"
            f" {r.get('evicted_by_size', 0):15,}"
        )


if __name__ == "__main__":
    main()
