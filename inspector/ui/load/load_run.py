"""LoadRun: the window's side of a load run (issue #14 §2); Qt signals over the engine.

The engine (:func:`inspector.client.load.run_load`) does the work in this process, on the
window's qasync loop, with websockets of its own (one per VU): the window's connection, tabs
and options are never used. This object runs it as one asyncio task and turns its progress
snapshots and its result into Qt signals. ``stop`` ends the run early the engine's way:
sending stops, what is in flight drains, every socket closes, and the result still comes.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from inspector.client.load import LoadStats, Snapshot, Workload, run_load
from inspector.client.settings import ClientSettings

log = logging.getLogger(__name__)


class LoadRun(QObject):
    """One run at a time."""

    #: ``(Snapshot)`` about twice a second, and a last one with phase ``done``.
    progress = Signal(object)
    #: ``(LoadStats, note)``: the run is over; note is "" (ran to the end), "stopped", or why
    #: it failed (the stats then hold what was measured until then).
    finished = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._stopped = False
        #: what the current (or last) run measured so far.
        self.stats = LoadStats()
        self.workload: Workload | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(
        self, workload: Workload, settings: ClientSettings, *, progress_interval: float = 0.5
    ) -> bool:
        """Start ``workload`` against ``settings``; False when a run is going."""
        if self.running:
            return False
        self._stop = asyncio.Event()
        self._stopped = False
        self.stats = LoadStats()
        self.workload = workload
        self._task = asyncio.get_running_loop().create_task(
            self._run(workload, settings, progress_interval), name="load-run"
        )
        return True

    def stop(self) -> None:
        """End early: stop sending, drain, close (the result follows)."""
        if self._stop is not None and self.running:
            self._stopped = True
            self._stop.set()

    async def wait(self) -> None:
        """Until the current run (if any) is over."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, workload: Workload, settings: ClientSettings, interval: float) -> None:
        note = ""
        try:
            await run_load(
                workload,
                settings,
                on_progress=self._progress,
                stop=self._stop,
                progress_interval=interval,
                stats=self.stats,
            )
        except asyncio.CancelledError:
            note = "cancelled"
        except Exception as exc:  # a bug must not leave the panel "running" for ever
            log.warning("the load run stopped: %s", exc, exc_info=True)
            note = f"the run stopped: {exc}"
        if not note and self._stopped:
            note = "stopped"
        self.finished.emit(self.stats, note)

    def _progress(self, snapshot: Snapshot) -> None:
        self.progress.emit(snapshot)
