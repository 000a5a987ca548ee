"""TransferJob: a long export or import run in slices on the GUI thread, with progress and Cancel.

The work is a generator that yields its progress (0..1) every few hundred records and returns a
one-line summary. The job runs it in slices of about 15 ms from a zero-interval single-shot
timer, so the window keeps painting and the connection keeps being served while a 100,000-row
export is written. A non-modal :class:`QProgressDialog` appears when the job takes longer than
``show_after_ms``; its Cancel button (or :meth:`TransferJob.cancel`) closes the generator, which
cleans up after itself (a cancelled export removes its partial file).

The dialog is deliberately not modal: a modal progress dialog pumps the event loop from inside
``setValue``, which would re-enter the asyncio tasks that share the Qt loop (docs: environment).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Final

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

#: Work done per slice before the event loop gets control back.
SLICE_SECONDS: Final = 0.015
#: Steps of the progress bar.
STEPS: Final = 1000

Steps = Generator[float, None, str]


class TransferJob(QObject):
    """Runs ``steps`` in slices; emits ``progressed`` and, once, ``finished(ok, message)``."""

    progressed = Signal(float)
    #: ``(True, summary)`` when the work completed, ``(False, why)`` when cancelled or failed.
    finished = Signal(bool, str)

    def __init__(
        self,
        title: str,
        steps: Steps,
        parent: QWidget | None = None,
        *,
        show_after_ms: int = 400,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self._steps = steps
        self._done = False
        self.ok: bool | None = None
        self.message = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_slice)
        self.dialog = QProgressDialog(title, "Cancel", 0, STEPS, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setMinimumDuration(show_after_ms)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)

    @property
    def running(self) -> bool:
        return not self._done

    def start(self) -> None:
        self.dialog.setValue(0)
        self._timer.start()

    def cancel(self) -> None:
        """Stop the work; the generator's cleanup runs now."""
        if self._done:
            return
        self._timer.stop()
        self._steps.close()
        self._finish(False, f"{self.title}: cancelled")

    def run_to_end(self) -> None:
        """Do all the remaining work now, without yielding to the event loop (tests, scripts)."""
        while not self._done:
            self._run_slice(deadline=None)

    def _run_slice(self, deadline: float | None = -1.0) -> None:
        if self._done:
            return
        end = time.monotonic() + SLICE_SECONDS if deadline == -1.0 else deadline
        fraction = None
        try:
            while True:
                fraction = next(self._steps)
                if end is not None and time.monotonic() >= end:
                    break
        except StopIteration as stop:
            self._finish(True, str(stop.value or ""))
            return
        except Exception as exc:  # a disk full or a vanished file is the user's to see
            self._finish(False, f"{self.title} failed: {exc}")
            return
        if fraction is not None:
            self.dialog.setValue(int(max(0.0, min(1.0, fraction)) * STEPS))
            self.progressed.emit(fraction)
        self._timer.start()

    def _finish(self, ok: bool, message: str) -> None:
        self._done = True
        self.ok = ok
        self.message = message
        self.dialog.canceled.disconnect(self.cancel)
        self.dialog.reset()
        self.dialog.hide()
        self.dialog.deleteLater()
        self.finished.emit(ok, message)
