"""HAR import benchmark: how long decoding a browser capture takes (issue #15 item 1).

    .venv/bin/python benchmarks/har_import.py [--messages 10000 100000] [--repeat 3]

Builds HAR documents from the Chrome fixture (tests/fixtures/har/chrome-realtime-v2.har: real
traffic against ``serve``, v2 text and binary frames, joins, presence, broadcasts) with its
Realtime socket's messages repeated to ``--messages``, then times
:func:`inspector.store.transfer.har.parse_har` (JSON parse, redaction of every frame, decoding
with the protocol core, events, rows and frames). In the window the same work runs in slices
of 200 messages (``parse_har_steps``), so the window stays live; this is the total. Prints one
table (medians of ``--repeat`` runs); nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.store.transfer.har import parse_har  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "har" / "chrome-realtime-v2.har"


def build(messages: int) -> str:
    har = json.loads(FIXTURE.read_text())
    socket = next(e for e in har["log"]["entries"] if "/realtime/v1/" in e["request"]["url"])
    base = socket["_webSocketMessages"]
    out = []
    for i in range(messages // len(base) + 1):
        out.extend(dict(m, time=m["time"] + i * 0.001) for m in base)
    socket["_webSocketMessages"] = out[:messages]
    return json.dumps(har)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| messages | file MB | events | seconds | µs/message | messages/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.messages:
        text = build(n)
        times = []
        events = 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = parse_har(text)
            times.append(time.perf_counter() - start)
            events = len(result.events)
        t = statistics.median(times)
        print(
            f"| {n:,} | {len(text) / 1e6:.1f} | {events:,} | {t:.2f} | {t / n * 1e6:.0f} | "
            f"{n / t:,.0f} |"
        )


if __name__ == "__main__":
    main()
