"""``realtime-inspector --self-test``: the real window, headless, against the embedded server.

What it does (issue #5 §5), each step with its own deadline:

1. starts the local Realtime server on a free loopback port (no other network);
2. opens the real main window offscreen, with settings in a throwaway folder and no keychain
   (an in-memory secret store), so it never touches the user's files and never waits on a
   locked keychain;
3. connects with the server's anon key and joins a channel with ``ack`` and ``self`` on;
4. sends from the composer, as a user would, and checks the rows: the outgoing row turns
   ``ok`` with a round trip (the ack, §5.4), the ``self`` echo arrives as an incoming row with the
   same payload, and the table model shows them with those statuses;
5. checks the Frames view captured the join and its reply, with the key redacted;
6. checks the libraries a packaged build could lose unnoticed: the check file schema (a data
   file) through PyYAML and jsonschema, the variable expander, an HDR histogram (a compiled
   extension), python-jsonpath, and the Load panel's charts (pyqtgraph with numpy).

It prints one line, ``realtime-inspector self-test: ok (...)`` and exits 0, or
``realtime-inspector self-test: FAILED at <step>: <what>`` and exits 1. An overall timeout ends a
hung run with exit 1 even if the event loop itself is stuck. Packaging smoke-tests builds with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from inspector.ui.main_window import MainWindow

PREFIX: Final = "realtime-inspector self-test"
#: The whole run must end within this many seconds (the packaging checks allow 90).
OVERALL_TIMEOUT_S: Final = 60.0
#: Each step's deadline.
STEP_TIMEOUT_S: Final = 15.0
CHANNEL: Final = "self-test"
#: For the test suite only: ``bad-key`` connects with a forged key, to check the failure line.
FAULT_ENV: Final = "REALTIME_INSPECTOR_SELF_TEST_FAULT"


class SelfTestFailed(Exception):
    """A step did not do what it should; the message says which and what was seen."""


class _Steps:
    """Runs named steps and remembers the current one for the failure line."""

    def __init__(self) -> None:
        self.current = "start"
        self.notes: list[str] = []

    async def wait(
        self, step: str, condition: Callable[[], bool], seen: Callable[[], str] = lambda: ""
    ) -> None:
        self.current = step
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_TIMEOUT_S
        while not condition():
            if loop.time() > deadline:
                detail = seen()
                raise SelfTestFailed(
                    f"no result within {STEP_TIMEOUT_S:.0f} s" + (f" ({detail})" if detail else "")
                )
            await asyncio.sleep(0.02)


def _watchdog(seconds: float) -> threading.Timer:
    """Ends the process if the run (or a stuck event loop) outlives ``seconds``."""

    def fire() -> None:
        sys.stdout.write(f"{PREFIX}: FAILED: still running after {seconds:.0f} s\n")
        sys.stdout.flush()
        os._exit(1)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


async def _scenario(window: MainWindow, steps: _Steps) -> str:
    from inspector.protocol.jwt import sign
    from inspector.server import RealtimeServer, ServerConfig
    from inspector.store import ChannelOptions, Direction, LinkState, Profile, SendState, TabState
    from inspector.ui.messages.message_table_model import COL_STATUS

    controller = window.controller
    steps.current = "start the local server"
    server = RealtimeServer(ServerConfig(host="127.0.0.1", port=0))
    await server.start()
    try:
        steps.current = "connect"
        key = server.anon_key
        if os.environ.get(FAULT_ENV) == "bad-key":  # the suite checks the failure line with it
            key = sign({"role": "anon", "exp": int(time.time()) + 600}, "wrong-secret-" * 4)
        window.add_session_profile(Profile(Profile.new_id(), "Self-test", server.url), key)
        error = window.connect_current()
        if error:
            raise SelfTestFailed(error)
        await steps.wait(
            "connect",
            lambda: controller.connected or controller.connection.state is LinkState.DISCONNECTED,
        )
        if not controller.connected:
            raise SelfTestFailed(controller.connection.reason or "the connection closed")

        steps.current = "join"
        error = window.join(ChannelOptions(CHANNEL, broadcast_self=True, ack=True))
        if error:
            raise SelfTestFailed(error)
        session = controller.channels[CHANNEL]
        await steps.wait(
            "join",
            lambda: session.status.state is TabState.JOINED,
            lambda: f"{session.status.state.value} {session.status.reason or ''}".strip(),
        )

        steps.current = "send with ack and self"
        panel = window.panels[CHANNEL]
        marker = f"self-test {time.time():.6f}"
        panel.composer.event_edit.setText("self-test")
        panel.composer.payload_edit.setPlainText(f'{{"check": "{marker}"}}')
        if not panel.composer.send_button.isEnabled():
            raise SelfTestFailed("the composer's Send button is disabled")
        panel.composer.send_button.click()
        log = session.log

        def sent() -> list[object]:
            return [r for r in log if r.direction is Direction.OUT]

        def echo() -> bool:
            return any(r.direction is Direction.IN and marker.encode() in r.payload for r in log)

        def out_state() -> str:
            rows = [r for r in log if r.send is not None]
            return rows[-1].status_text() if rows else "no outgoing row"

        await steps.wait(
            "ack",
            lambda: any(r.send is not None and r.send.state is SendState.OK for r in log),
            out_state,
        )
        await steps.wait("self echo", echo, lambda: f"{len(log)} rows, none with the payload")
        if len(sent()) != 1:
            raise SelfTestFailed(f"expected one outgoing row, found {len(sent())}")
        out = next(r for r in log if r.send is not None)
        assert out.send is not None
        rtt = out.send.round_trip_ms

        steps.current = "rows in the table"
        panel.model.flush()
        statuses = [
            panel.model.index(row, COL_STATUS).data() or "" for row in range(panel.model.rowCount())
        ]
        events = [r.event for r in log]
        if panel.model.rowCount() != len(log):
            raise SelfTestFailed(f"table shows {panel.model.rowCount()} rows, log has {len(log)}")
        if "joined" not in events:
            raise SelfTestFailed(f"no 'joined' row (rows: {events})")
        if not any(s.startswith("ok") for s in statuses):
            raise SelfTestFailed(f"no row with status ok (statuses: {statuses})")

        steps.current = "frames"
        frames = list(controller.frames)
        seen = {event for f in frames if (event := f.summary().event)}
        if not {"phx_join", "phx_reply"} <= seen:
            raise SelfTestFailed(f"the Frames view lacks the join and its reply ({sorted(seen)})")
        key_leaked = any(server.anon_key in f.shown_text() for f in frames)
        if key_leaked:
            raise SelfTestFailed("the Frames view shows the API key unredacted")

        steps.current = "libraries (checks, variables, histograms, JSONPath, charts)"
        _libraries_work()

        rtt_text = f" {rtt:.1f} ms" if rtt is not None else ""
        return (
            f"connected, joined, ack ok{rtt_text}, self echo received, "
            f"{panel.model.rowCount()} rows, {len(frames)} frames"
        )
    finally:
        with contextlib.suppress(Exception):
            await controller.shutdown()
        with contextlib.suppress(Exception):
            await server.stop()


def _libraries_work() -> None:
    """What a packaged build could lose without the window noticing: the check file schema (a
    data file) with PyYAML and jsonschema, the variable expander, an HDR histogram (a compiled
    extension) and python-jsonpath."""
    from inspector.client.checks import LoadError, load_text
    from inspector.client.send_summary import SendSummary
    from inspector.protocol.template import Variables, expand_json
    from inspector.store.messages.seq_tracker import SeqTracker

    check = "name: self-test\nsteps:\n  - join: {channel: self-test}\n"
    loaded = load_text(check, "self-test.yaml")
    if [c.name for c in loaded.checks] != ["self-test"]:
        raise SelfTestFailed(f"the checks loader read {loaded.checks!r}")
    try:
        load_text("name: x\nsteps:\n  - nope: {}\n", "bad.yaml")
    except LoadError as exc:
        if "nope" not in str(exc):
            raise SelfTestFailed(f"the check schema did not name the bad step: {exc}") from exc
    else:
        raise SelfTestFailed("the check schema accepted an unknown step")
    if expand_json('{"n": "{{seq}}"}', Variables(seq=7)) != {"n": 7}:
        raise SelfTestFailed("the variable expander does not expand {{seq}}")
    summary = SendSummary()
    for ms in (1, 2, 3):
        summary.record("ok", ms / 1000)
    if summary.max is None or not 2.9 < summary.max < 3.1:
        raise SelfTestFailed(f"the HDR histogram reads max {summary.max}")
    tracker = SeqTracker("$.seq")
    for n in (1, 3):
        tracker.feed_bytes(f'{{"seq": {n}}}'.encode(), 0.0)
    if tracker.counts().missing != 1:
        raise SelfTestFailed("the sequence tracker (python-jsonpath) missed a gap")
    _charts_draw()


def _charts_draw() -> None:
    """The Load panel's charts: pyqtgraph (and numpy) bundled, drawing with PySide6."""
    from PySide6.QtGui import QColor

    from inspector.ui.load.charts import LoadCharts

    charts = LoadCharts()
    charts.resize(480, 160)
    for t in range(5):
        charts.add_point(t * 0.5, 10.0 + t, 40.0 + t, 1.0, 3.0)
    if charts.point_counts() != {"sent": 5, "delivered": 5, "p50": 5, "p99": 5}:
        raise SelfTestFailed(f"the load charts hold {charts.point_counts()}")
    image = charts.grab().toImage()
    colours = {
        QColor(image.pixel(x, y)).rgb()
        for x in range(0, image.width(), 8)
        for y in range(0, image.height(), 8)
    }
    charts.deleteLater()
    if len(colours) < 4:
        raise SelfTestFailed("the load charts (pyqtgraph) drew nothing")


def run_self_test(timeout: float = OVERALL_TIMEOUT_S) -> int:
    """Run the self-test; print one line; return the exit code (0 ok, 1 failed)."""
    started = time.monotonic()
    watchdog = _watchdog(timeout + 15.0)
    folder = Path(tempfile.mkdtemp(prefix="realtime-inspector-self-test-"))
    try:
        code, line = _run(folder, timeout)
    except Exception as exc:  # anything unexpected is a failure with its words, not a traceback
        code, line = 1, f"FAILED at startup: {type(exc).__name__}: {exc}"
    finally:
        watchdog.cancel()
        _remove(folder)
    elapsed = time.monotonic() - started
    from inspector.protocol.redact import redact_text

    sys.stdout.write(f"{PREFIX}: {redact_text(line)} ({elapsed:.1f} s)\n")
    sys.stdout.flush()
    return code


def _run(folder: Path, timeout: float) -> tuple[int, str]:
    # Headless and isolated before any Qt object exists.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_API", "pyside6")
    import keyring
    from keyring.backends import null

    # Never the OS keychain (it may be locked). keyring's backends are not annotated.
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]

    import qasync
    from PySide6.QtCore import QCoreApplication, QSettings, QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from inspector.ui.controller import InspectorController
    from inspector.ui.error_handler import ErrorHandler
    from inspector.ui.main_window import MainWindow
    from inspector.ui.profiles.secrets import SecretStore
    from inspector.ui.settings import AppSettings

    def qt_messages(kind: QtMsgType, _context: object, message: str) -> None:
        # The offscreen platform's note about size hints is noise; everything else is shown.
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(qt_messages)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    QCoreApplication.setOrganizationName("RealtimeInspectorSelfTest")
    QCoreApplication.setApplicationName("realtime-inspector-self-test")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    handler = ErrorHandler()
    handler.install(loop)
    steps = _Steps()

    async def main() -> str:
        settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(InspectorController(), settings, SecretStore(None), restore_tabs=False)
        window.show()
        try:
            return await asyncio.wait_for(_scenario(window, steps), timeout)
        finally:
            window.close()

    try:
        with loop:
            summary = loop.run_until_complete(main())
    except SelfTestFailed as exc:
        return 1, f"FAILED at {steps.current}: {exc}"
    except TimeoutError:
        return 1, f"FAILED at {steps.current}: the whole run took over {timeout:.0f} s"
    finally:
        handler.uninstall()
    if handler.count:
        return 1, f"FAILED: {handler.count} unexpected error(s), the last: {handler.last_text}"
    return 0, f"ok ({summary})"


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
