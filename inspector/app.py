"""GUI composition root: QApplication, qasync loop, excepthook, main window (issue 4)."""

from __future__ import annotations


def run(*, demo: bool = False, self_test: bool = False) -> int:
    """Open the desktop window. Not built yet: the GUI issue fills this in."""
    import sys

    print("realtime-inspector: the desktop window is not built yet", file=sys.stderr)
    return 2
