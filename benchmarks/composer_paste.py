"""Pasting a large payload into the composer: what it costs on the GUI thread.

    .venv/bin/python benchmarks/composer_paste.py [--sizes 0.1,0.3,1,3] [--repeat 3]
        [--wrap-limit 1]

Offscreen, no network: a real ``ComposerPanel`` (1300x300, the editor as in a tab) gets a
one-line JSON of each size (MB) the way a paste does (``insertFromMimeData``), and then:

- a keystroke typed into the payload (editing, re-validation);
- putting that payload in the editor the way a history recall does (``set_text``; the history
  itself keeps nothing over 64 KiB, store/channels/history.py);
- a multi-line (indented) JSON of the same size pasted, for comparison.

``plain wrap`` is what the composer did before (a QPlainTextEdit that wraps every line), timed
only up to ``--wrap-limit`` MB because it grows so fast (QA finding 2: 1 MB took 15 s, 3 MB
over a minute). Prints a table of medians (s) over ``--repeat`` runs; nothing is asserted.
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

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from inspector.ui.composer.composer_panel import ComposerPanel

APP = QApplication.instance() or QApplication([])


def one_line(size: int) -> str:
    return json.dumps({"s": "x" * size})


def multi_line(size: int) -> str:
    return json.dumps({f"k{i}": "x" * 80 for i in range(size // 90)}, indent=2)


def composer() -> ComposerPanel:
    panel = ComposerPanel()
    panel.resize(1300, 300)
    panel.event_edit.setText("e")
    panel.show()
    APP.processEvents()
    return panel


def paste(panel: ComposerPanel, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    panel.payload_edit.insertFromMimeData(mime)
    APP.processEvents()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def keystroke(panel: ComposerPanel) -> None:
    edit = panel.payload_edit
    cursor = edit.textCursor()
    cursor.setPosition(3)
    edit.setTextCursor(cursor)
    for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
        QApplication.sendEvent(
            edit, QKeyEvent(kind, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
        )
    APP.processEvents()


def measure(size: int, plain_wrap: bool) -> dict[str, float]:
    text = one_line(size)
    out: dict[str, float] = {}
    panel = composer()
    if plain_wrap:  # the old editor: an ordinary wrapping QPlainTextEdit
        plain = QPlainTextEdit()
        plain.resize(1300, 200)
        plain.show()
        mime = QMimeData()
        mime.setText(text)
        out["paste one line"] = timed(lambda: (plain.insertFromMimeData(mime), APP.processEvents()))
        plain.deleteLater()
        return out
    out["paste one line"] = timed(lambda: paste(panel, text))
    out["keystroke"] = timed(lambda: keystroke(panel))
    panel.payload_edit.clear()
    APP.processEvents()
    out["set_text (recall)"] = timed(
        lambda: (panel.payload_edit.set_text(text), APP.processEvents())
    )
    panel.payload_edit.clear()
    APP.processEvents()
    multi = multi_line(size)
    out["paste multi-line"] = timed(lambda: paste(panel, multi))
    panel.deleteLater()
    APP.processEvents()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.1,0.3,1,3", help="payload sizes in MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wrap-limit", type=float, default=1.0, help="largest MB for plain wrap")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    rows: dict[str, dict[float, str]] = {}
    for mb in sizes:
        size = int(mb * 1_000_000)
        runs = [measure(size, False) for _ in range(args.repeat)]
        for step in runs[0]:
            rows.setdefault(step, {})[mb] = f"{statistics.median(r[step] for r in runs):.3f}"
        if mb <= args.wrap_limit:
            old = [measure(size, True)["paste one line"] for _ in range(max(1, args.repeat // 3))]
            rows.setdefault("plain wrap: paste one line", {})[mb] = f"{statistics.median(old):.3f}"
    header = ["step (s)"] + [f"{mb:g} MB" for mb in sizes]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" + "---:|" * len(sizes))
    for step, cells in rows.items():
        print("| " + " | ".join([step] + [cells.get(mb, "–") for mb in sizes]) + " |")
    sys.stdout.flush()
    os._exit(0)  # skip Qt's teardown of the offscreen widgets


if __name__ == "__main__":
    main()
