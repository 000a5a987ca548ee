"""The window under test for benchmarks/repeat_send.py: the real main window (offscreen) with
the real controller runs one repeat run from its composer's repeat control, and prints one JSON
line: the run's summary (sent, ok, rate, ack p50/p99), the rows in the tab, and the lag of a
10 ms Qt timer during the run (p50/p99/max, as in benchmarks/gui_subject.py).

    python benchmarks/repeat_window.py URL KEY --count N [--rate R | --in-flight K] [--ack]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"

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


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def until(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def main(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="repeat-bench-"))
    settings = AppSettings(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    controller = InspectorController(Preferences(ring_capacity=10_000))
    window = MainWindow(controller, settings, SecretStore(None), restore_tabs=False)
    window.resize(1280, 800)
    window.show()
    window.add_session_profile(Profile("bench", "Bench", args.url), args.key)
    window.connect_current()
    await until(lambda: controller.connected, 20)
    name = "repeat-bench-gui"
    window.join(ChannelOptions(name, ack=args.ack))
    await until(lambda: controller.channels[name].status.state is TabState.JOINED, 20)
    panel = window.panels[name]
    composer = panel.composer
    composer.event_edit.setText("tick")
    composer.payload_edit.setPlainText(json.dumps({"text": "x" * 64}))
    composer.repeat_button.click()
    control = composer.repeat
    control.set_mode(count=args.count)
    control.set_pace(rate=args.rate, in_flight=args.in_flight)

    ticks: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            ticks.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    controller.repeat_finished.connect(
        lambda _n, summary, error: done.done() or done.set_result((summary, error))
    )
    timer.start()
    cpu0 = time.process_time()
    control.start_button.click()
    summary, error = await asyncio.wait_for(done, 600)
    await until(lambda: not panel.model.has_pending(), 10)
    cpu = time.process_time() - cpu0
    timer.stop()
    lags = [max(0.0, t - TICK_MS / 1000) * 1000 for t in ticks]
    result = {
        "error": error,
        "sent": summary.sent,
        "ok": summary.ok,
        "seconds": summary.elapsed,
        "rate": summary.rate,
        "rtt_p50_ms": summary.p50,
        "rtt_p99_ms": summary.p99,
        "rows": panel.model.rowCount(),
        "lag_p50": pct(lags, 50),
        "lag_p99": pct(lags, 99),
        "lag_max": max(lags, default=0.0),
        "cpu": cpu / max(1e-9, summary.elapsed),
    }
    await controller.shutdown()
    window.close()
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("key")
    ap.add_argument("--count", type=int, default=50_000)
    ap.add_argument("--rate", type=float)
    ap.add_argument("--in-flight", type=int)
    ap.add_argument("--ack", action="store_true")
    parsed = ap.parse_args()
    keyring.set_keyring(null.Keyring())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.gettempdir())
    QCoreApplication.setOrganizationName("RealtimeInspectorBench")
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(event_loop)
    with event_loop:
        out = event_loop.run_until_complete(main(parsed))
    sys.stdout.write(json.dumps(out) + "\n")
