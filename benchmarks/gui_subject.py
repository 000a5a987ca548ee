"""The window under test for benchmarks/gui_ingest.py: the real main window, offscreen, driven by
JSON commands on stdin (one per line), answering one JSON line per command.

    python benchmarks/gui_subject.py URL KEY

- ``{"cmd": "setup", "channels": [...], "capacity": 10000, "memory_mb": 256,
  "frames_dock": false, "capture": true, "track_seq": "$.n", "stats": true}``: closes the open tabs, sets the ring capacity, joins the channels (the
  first tab is the visible one), shows or hides the Frames dock, turns the frame tap on or off
  (on is what the app does), has every tab watch the counter ``track_seq`` for sequence gaps
  when given, turns the tabs' statistics off when ``stats`` is false (on is what the app
  does), clears the frames; answers ``{"ev": "ready", "rss_mb": …}``.
- ``{"cmd": "measure", "expected": N, "timeout": 300}``: answers ``{"ev": "armed"}`` at once,
  then, when N rows have reached the table models, ``{"ev": "result", …}`` with the rate (rows
  per second between the first and the last model update), the event-loop lag of a 10 ms
  timer (p50/p99/max), CPU use and RSS.
- ``{"cmd": "rss"}``: ``{"ev": "rss", "rss_mb": …, "rows": …, "kept_mb": …, "frames": …,
  "frames_mb": …}`` after a garbage collection (payload and frame bytes the logs keep).
- ``{"cmd": "quit"}``.

Settings live in a temporary folder and secrets in memory, as in ``--self-test``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_API", "pyside6")

import keyring
import qasync
from keyring.backends import null
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from inspector.store import ChannelOptions, Preferences, Profile, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow
from inspector.ui.profiles.secrets import SecretStore
from inspector.ui.settings import AppSettings

TICK_MS = 10


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Subject:
    def __init__(self, url: str, key: str, folder: Path) -> None:
        settings = AppSettings(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
        self.controller = InspectorController()
        self.window = MainWindow(self.controller, settings, SecretStore(None), restore_tabs=False)
        self.window.resize(1280, 800)
        self.window.show()
        self.window.add_session_profile(Profile("bench", "Bench", url), key)
        self.inserted = 0
        self.first_flush: float | None = None
        self.last_flush = 0.0
        self.ticks: list[float] = []
        self._last_tick = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last_tick:
            self.ticks.append(now - self._last_tick)
        self._last_tick = now

    def _flushed(self, inserted: int, _removed: int) -> None:
        if inserted:
            now = time.perf_counter()
            if self.first_flush is None:
                self.first_flush = now
                self.first_batch = inserted
            self.last_flush = now
            self.inserted += inserted

    async def until(self, cond: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def setup(self, cmd: dict[str, Any]) -> dict[str, Any]:
        c, w = self.controller, self.window
        for name in list(c.channels):
            c.close_channel(name)
        prefs = Preferences(ring_capacity=int(cmd.get("capacity", 10_000)))
        if "memory_mb" in cmd:  # the byte budget all tabs share (issue #10 item 11)
            prefs = replace(prefs, memory_mb=int(cmd["memory_mb"]))
        c.set_preferences(prefs)
        if not c.active:
            w.connect_current()
            await self.until(lambda: c.connected, 10)
        for name in cmd["channels"]:
            w.join(ChannelOptions(name))
        ok = await self.until(
            lambda: all(s.status.state is TabState.JOINED for s in c.channels.values()),
            10,
        )
        w.tabs.setCurrentIndex(0)
        for panel in w.panels.values():
            panel.model.flushed.connect(self._flushed)
            if cmd.get("track_seq"):  # issue #11 §5: what watching a counter costs
                panel.track_seq(str(cmd["track_seq"]))
            if not cmd.get("stats", True):  # issue #15 item 3: the tab's statistics off
                panel.channel.stats = None
                panel.stats_strip.setVisible(False)
                panel.rate_label.setVisible(True)
        w.frames_dock.setVisible(bool(cmd.get("frames_dock")))
        client = c.client
        if client is not None:  # the frame tap on (the default) or off, to show what it costs
            client.on_frame = c._capture if cmd.get("capture", True) else None
        c.frames.clear()
        gc.collect()
        return {"ev": "ready", "joined": ok, "rss_mb": rss_mb()}

    async def measure(self, cmd: dict[str, Any]) -> dict[str, Any]:
        expected = int(cmd["expected"])
        self.inserted = 0
        self.first_flush = None
        self.ticks = []
        self._last_tick = 0.0
        self.timer.start()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        say({"ev": "armed"})
        done = await self.until(lambda: self.inserted >= expected, float(cmd.get("timeout", 300)))
        cpu1, wall1 = time.process_time(), time.perf_counter()
        self.timer.stop()
        lags = [max(0.0, t - TICK_MS / 1000) * 1000 for t in self.ticks]
        span = (self.last_flush - self.first_flush) if self.first_flush else 0.0
        counted = self.inserted - getattr(self, "first_batch", 0)
        busy = wall1 - (self.first_flush or wall0)
        return {
            "ev": "result",
            "complete": done,
            "received": self.inserted,
            "seconds": span,
            "rate": counted / span if span > 0 else 0.0,
            "lag_p50": pct(lags, 50),
            "lag_p99": pct(lags, 99),
            "lag_max": max(lags, default=0.0),
            "cpu": (cpu1 - cpu0) / max(1e-9, busy),
            "cpu_s": cpu1 - cpu0,
            "rss_mb": rss_mb(),
            "frames": len(self.controller.frames),
        }

    def rss(self) -> dict[str, Any]:
        gc.collect()
        logs = [s.log for s in self.controller.channels.values()]
        rows = sum(len(log) for log in logs)
        kept = sum(getattr(log, "retained_bytes", 0) for log in logs) / 1e6
        frames = self.controller.frames
        return {
            "ev": "rss",
            "rss_mb": rss_mb(),
            "rows": rows,
            "kept_mb": kept,
            "frames": len(frames),
            "frames_mb": getattr(frames, "retained_bytes", 0) / 1e6,
            "evicted_by_size": sum(getattr(log, "evicted_by_size", 0) for log in logs),
        }


async def main(url: str, key: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="gui-bench-"))
    subject = Subject(url, key, folder)
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, '{"cmd": "quit"}')

    threading.Thread(target=read, daemon=True).start()
    while True:
        cmd = json.loads(await lines.get())
        if cmd["cmd"] == "quit":
            break
        if cmd["cmd"] == "setup":
            say(await subject.setup(cmd))
        elif cmd["cmd"] == "measure":
            say(await subject.measure(cmd))
        elif cmd["cmd"] == "rss":
            say(subject.rss())
    await subject.controller.shutdown()
    subject.window.close()


if __name__ == "__main__":
    keyring.set_keyring(null.Keyring())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.gettempdir())
    QCoreApplication.setOrganizationName("RealtimeInspectorBench")
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(event_loop)
    with event_loop:
        event_loop.run_until_complete(main(sys.argv[1], sys.argv[2]))
