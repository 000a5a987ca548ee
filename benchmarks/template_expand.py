"""What expanding variables costs per message (``send`` and the composer, issue #11 item 2).

    .venv/bin/python benchmarks/template_expand.py [--count 50000] [--repeat 3]

No network: ``send``'s per-message source (``inspector/commands/send_saved.py``
``MessageSource.at``, i.e. ``inspector.store.library.prepare_send`` over
``inspector/protocol/template.py``) for a few payloads, with and without variables. A payload
without ``{{`` is prepared once, so it costs nothing per message. Prints the median rate and
time per message over ``--repeat`` runs; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspector.commands.send_saved import MessageSource

CASES = [
    ("no variables", "e", '{"body": "hello world", "n": 1}'),
    ("{{seq}} only", "e", '{"n": "{{seq}}", "body": "hello world"}'),
    ("seq + now_ms + uuid", "e", '{"n": "{{seq}}", "t": "{{now_ms}}", "id": "{{uuid}}"}'),
    ("seq in event too", "e-{{seq}}", '{"n": "{{seq}}"}'),
    ("1 KB payload, {{seq}}", "e", '{"n": "{{seq}}", "pad": "' + "x" * 1000 + '"}'),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'payload':<24} {'msg/s':>12} {'µs/msg':>8}")
    for label, event, payload in CASES:
        source = MessageSource(event, payload, env={})
        rates = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            for i in range(1, args.count + 1):
                source.at(i)
            rates.append(args.count / (time.perf_counter() - start))
        rate = statistics.median(rates)
        print(f"{label:<24} {rate:>12,.0f} {1e6 / rate:>8.1f}")


if __name__ == "__main__":
    main()
