"""Sequence-gap tracker benchmark: cost per message and memory under a flood (issue #11 §5).

    .venv/bin/python benchmarks/seq_tracker.py [--count 1000000] [--repeat 3]

Feeds :class:`inspector.store.messages.seq_tracker.SeqTracker` (path ``$.seq``) in one process,
no network: what the window's controller and ``listen --track-seq`` add per received broadcast.

- ``in order, bytes``: a run 1..N as ~60-byte JSON payloads through ``feed_bytes`` (JSON parse
  plus the JSONPath lookup; the window's path);
- ``in order, parsed``: the same through ``feed_value`` (``listen``'s path: the payload is
  already parsed for printing);
- ``1 % lost, 1 % late``: a run with a number dropped every 100 and one held back 50 places
  every 100 (gaps opened and later filled);
- ``random numbers``: N random integers in [2, 2**40) through ``feed_number``: the flood the
  issue names; every number opens or splits a gap, so the gap list hits its cap at once.

Each case runs in a fresh process that builds its input first; "peak RSS growth" is how far the
process's peak RSS (``VmHWM``, reset after building the input) rose above its RSS while feeding:
the tracker's memory plus the allocator's churn. "numbers held" is what the tracker keeps
(interval ends, gaps, runs): bounded by its limits whatever N is; "tracker size" is what those
take (the current run's intervals and the gap list, ``sys.getsizeof`` summed over them). Prints one table (medians of ``--repeat`` runs); nothing is
asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspector.store.messages.seq_tracker import SeqTracker


def payloads(numbers: list[int]) -> list[bytes]:
    return [
        json.dumps({"seq": n, "text": "hello", "at": 1_733_400_000_000 + n}).encode()
        for n in numbers
    ]


def lossy(count: int) -> list[int]:
    out: list[int] = []
    held: list[tuple[int, int]] = []
    for n in range(1, count + 1):
        if n % 100 == 0:
            continue  # lost
        if n % 100 == 50:
            held.append((n + 50, n))  # late by 50 places
            continue
        out.append(n)
        while held and held[0][0] <= n:
            out.append(held.pop(0)[1])
    out.extend(n for _, n in held)
    return out


def vm_kib(field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (peak) of this process in KiB, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def inputs(case: str, n: int) -> tuple[str, list[object]]:
    """(how to feed, the items) for one case."""
    if case == "in order, bytes":
        return "bytes", list(payloads(list(range(1, n + 1))))
    if case == "in order, parsed":
        return "value", [json.loads(p) for p in payloads(list(range(1, n + 1)))]
    if case == "1 % lost, 1 % late, bytes":
        return "bytes", list(payloads(lossy(n)))
    rng = random.Random(11)
    return "number", [rng.randrange(2, 2**40) for _ in range(n)]


CASES = ("in order, bytes", "in order, parsed", "1 % lost, 1 % late, bytes", "random numbers")


def deep_size(obj: object, seen: set[int] | None = None) -> int:
    """Bytes of ``obj`` and everything it holds (containers, slots, dataclass fields)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, type) or (callable(obj) and not hasattr(obj, "__dict__")):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        return size + sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    if isinstance(obj, list | tuple | set | frozenset | deque):
        return size + sum(deep_size(x, seen) for x in obj)
    if isinstance(obj, str | bytes | int | float | bool) or obj is None:
        return size
    inner = [
        getattr(obj, name) for name in getattr(type(obj), "__slots__", ()) if hasattr(obj, name)
    ]
    inner += list(getattr(obj, "__dict__", {}).values())
    return size + sum(
        deep_size(x, seen) for x in inner if not callable(x) or hasattr(x, "__dict__")
    )


def child(case: str, n: int) -> None:
    """One case in this (fresh) process: prints seconds, RSS growth and the counts as JSON."""
    how, items = inputs(case, n)
    gc.collect()
    before = vm_kib("VmRSS")
    if vm_kib("VmHWM") > before:  # the peak of building the inputs must not hide ours
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    tracker = SeqTracker("$.seq")
    feed: Callable[..., object] = {
        "bytes": tracker.feed_bytes,
        "value": tracker.feed_value,
        "number": tracker.feed_number,
    }[how]
    start = time.perf_counter()
    for i, item in enumerate(items):
        feed(item, float(i))
    elapsed = time.perf_counter() - start
    c = tracker.counts()
    print(
        json.dumps(
            {
                "count": len(items),
                "seconds": elapsed,
                "growth_kib": max(0, vm_kib("VmHWM") - before),
                "gaps": c.gaps,
                "dropped": c.gaps_dropped,
                "held": tracker.memory_items(),
                "tracker_bytes": deep_size(tracker._run) + deep_size(tracker.gaps()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, args.count)
        return
    print(f"SeqTracker, {args.count:,} messages per case, median of {args.repeat} runs")
    print()
    print(
        "| case | messages | µs/message | messages/s | peak RSS growth | gaps listed | "
        "gaps dropped | numbers held | tracker size |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in CASES:
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, "--count", str(args.count)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout))
        count = runs[0]["count"]
        seconds = statistics.median(r["seconds"] for r in runs)
        growth = statistics.median(r["growth_kib"] for r in runs)
        last = runs[-1]
        print(
            f"| {case} | {count:,} | {seconds / count * 1e6:.2f} | {count / seconds:,.0f} | "
            f"{growth:,.0f} KiB | {last['gaps']:,} | {last['dropped']:,} | {last['held']:,} | "
            f"{last['tracker_bytes'] / 1024:,.1f} KiB |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
