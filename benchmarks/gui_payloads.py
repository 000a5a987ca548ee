"""Large payloads in the GUI: what selecting, filtering and showing a 1-5 MB row costs.

    .venv/bin/python benchmarks/gui_payloads.py [--sizes 1,5] [--repeat 3]

Offscreen, no network: records are built in memory and put in a real ChannelPanel (table,
filter proxy, detail pane), the way the controller hands them over. For JSON and binary
payloads of each size it times, on the GUI thread:

- the table: one flush that inserts 20 such rows, and painting the visible rows;
- the text filter over those rows (it searches the payload text);
- selecting a row: header, the first view (pretty JSON or hexdump) a piece at a time;
- the other views when first shown (tree, base64, UTF-8 / JSON) and one *Show more*;
- for comparison, what the old detail pane did for JSON: ``json.dumps(indent=2)`` of the
  whole payload.

It prints one table of medians (ms) over ``--repeat`` runs; nothing is asserted. The goal of
issue #5 §2 is that none of these freezes the window: every step should stay well under the
~100 ms at which a pause becomes noticeable, whatever the payload size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication

from inspector.store import (
    ChannelOptions,
    Direction,
    MessageFilter,
    MessageRecord,
    PayloadFormat,
)
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.messages.payload_views import BASE64, PRIMARY, TREE, UTF8
from inspector.ui.open_channel import OpenChannel

ROWS = 20


def json_payload(size: int) -> bytes:
    item = {"id": 0, "name": "sensor-reading", "values": [1.5, 2.25, 3.125], "ok": True}
    one = len(json.dumps(item)) + 1
    value = {"items": [dict(item, id=i) for i in range(size // one)]}
    return json.dumps(value, separators=(",", ":")).encode()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run_once(app: QApplication, size_mb: float, binary: bool) -> dict[str, float]:
    size = int(size_mb * 1_000_000)
    data = os.urandom(size) if binary else json_payload(size)
    fmt = PayloadFormat.BINARY if binary else PayloadFormat.JSON
    session = OpenChannel(ChannelOptions("bench"), 1000)
    panel = ChannelPanel(session, coalesce_ms=1000)
    panel.resize(1280, 800)
    panel.show()
    app.processEvents()
    records = [
        MessageRecord(
            time=time.time(), direction=Direction.IN, event="big", payload=data, format=fmt
        )
        for _ in range(ROWS)
    ]
    out: dict[str, float] = {}
    session.log.extend(records)
    out["table: flush 20 rows + paint"] = timed(
        lambda: (panel.model.flush(), panel.table.viewport().repaint())
    )
    out["filter text over 20 rows"] = timed(
        lambda: panel.proxy.set_message_filter(MessageFilter.from_inputs("no-such-text"))
    )
    panel.proxy.set_message_filter(MessageFilter())
    app.processEvents()
    views = panel.detail.views
    views.setCurrentIndex(PRIMARY)
    out["select row: first view"] = timed(lambda: (panel.table.selectRow(5), app.processEvents()))
    out["show more"] = timed(lambda: views.primary.show_more())
    tabs = [("tree", TREE)] + ([("base64", BASE64), ("UTF-8 / JSON", UTF8)] if binary else [])
    for label, index in tabs:
        out[f"first show: {label}"] = timed(lambda i=index: views.setCurrentIndex(i))
    views.setCurrentIndex(PRIMARY)
    if not binary:
        out["old pane: json.dumps(indent=2) of all"] = timed(
            lambda: json.dumps(json.loads(data), indent=2, ensure_ascii=False)
        )
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5", help="payload sizes in MB, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    sizes = [float(s) for s in args.sizes.split(",")]
    columns: list[tuple[str, dict[str, float]]] = []
    for size in sizes:
        for binary in (False, True):
            runs = [run_once(app, size, binary) for _ in range(args.repeat)]
            medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            columns.append((f"{size:g} MB {'binary' if binary else 'JSON'}", medians))
    steps = list(dict.fromkeys(k for _, col in columns for k in col))
    width = max(len(s) for s in steps)
    print(f"{'step (median ms)':<{width}}  " + "  ".join(f"{name:>14}" for name, _ in columns))
    for step in steps:
        cells = [f"{col[step]:14.1f}" if step in col else f"{'-':>14}" for _, col in columns]
        print(f"{step:<{width}}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
