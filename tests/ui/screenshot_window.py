"""The whole window on a given screen, for tests/ui/test_screenshots.py (issue #10 item 19).

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json [QT_SCALE_FACTOR=2] \\
        python tests/ui/screenshot_window.py NAME OUT_DIR

Runs in a process of its own because the screen size and the scale factor are fixed when Qt
starts. The first window (no saved geometry) is placed by the app itself from the available
screen geometry; the demo server fills two tabs; a chat row is selected. The picture is the
screen (grey) with the window drawn where it stands, saved as OUT_DIR/NAME.png. Prints one JSON
line: the screen, the window's frame, the Send button and payload-column geometry, and whether
each lies inside the screen.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import keyring
import qasync
from keyring.backends import null
from PySide6.QtCore import QCoreApplication, QPoint, QRect, QSettings
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QLayout

from inspector.app import start_demo
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_PAYLOAD
from inspector.ui.settings import AppSettings


async def until(cond: object, timeout: float = 20.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():  # type: ignore[operator]
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def global_rect(widget: object) -> QRect:
    top_left = widget.mapToGlobal(QPoint(0, 0))  # type: ignore[attr-defined]
    return QRect(top_left, widget.size())  # type: ignore[attr-defined]


async def main(name: str, out_dir: Path) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="shot-"))
    settings = AppSettings(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(InspectorController(), settings, restore_tabs=False)
    window.show()
    server = await start_demo(window)
    try:
        chat = window.panels["demo-chat"]
        await until(lambda: chat.model.rowCount() > 3 and not chat.model.has_pending())
        chat.table.selectRow(chat.proxy.rowCount() - 1)
        await asyncio.sleep(0.3)
        for layout in window.findChildren(QLayout):
            layout.activate()
        screen = window.screen()
        available = screen.availableGeometry()
        ratio = screen.devicePixelRatio()
        shot = window.grab()
        image = QImage(
            int(available.width() * ratio),
            int(available.height() * ratio),
            QImage.Format.Format_ARGB32,
        )
        image.setDevicePixelRatio(ratio)
        image.fill(QColor("#3a3f44"))
        painter = QPainter(image)
        painter.drawPixmap(window.geometry().topLeft() - available.topLeft(), shot)
        painter.end()
        path = out_dir / f"{name}.png"
        image.save(str(path))
        header = chat.table.horizontalHeader()
        send = global_rect(chat.composer.send_button)
        frame = window.frameGeometry()
        return {
            "path": str(path),
            "screen": [available.width(), available.height()],
            "ratio": ratio,
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "frame_on_screen": available.contains(frame),
            "send_on_screen": available.contains(send) and chat.composer.send_button.isVisible(),
            "payload_chars": header.sectionSize(COL_PAYLOAD)
            // max(1, chat.table.fontMetrics().averageCharWidth()),
            "payload_widest": header.sectionSize(COL_PAYLOAD)
            == max(header.sectionSize(c) for c in range(header.count())),
        }
    finally:
        await window.controller.shutdown()
        await server.stop()
        window.close()


if __name__ == "__main__":
    keyring.set_keyring(null.Keyring())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.gettempdir())
    QCoreApplication.setOrganizationName("RealtimeInspectorShots")
    Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(main(sys.argv[1], Path(sys.argv[2])))
    print(json.dumps(result))
