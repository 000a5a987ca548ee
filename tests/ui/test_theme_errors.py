"""Dark palettes, themed icons, the one error handler (no dialog storm) and log redaction."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from inspector.protocol import jwt
from inspector.ui.common import icons, theme
from inspector.ui.composer.composer_panel import ComposerPanel
from inspector.ui.error_handler import ErrorHandler, RedactingFilter

pytestmark = pytest.mark.gui

TOKEN = jwt.demo_key("service_role")


@pytest.fixture
def dark_palette(qapp: QApplication) -> Any:
    previous = QGuiApplication.palette()
    pal = QPalette(previous)
    pal.setColor(QPalette.ColorRole.Window, QColor("#1e1e1e"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    qapp.setPalette(pal)
    yield pal
    qapp.setPalette(previous)


def test_colours_follow_a_dark_palette(dark_palette: QPalette) -> None:
    assert theme.is_dark()
    dark = theme.colors()
    assert dark.ok.lightness() > 100  # readable on a dark background
    assert theme.colors(QPalette(QColor("#f0f0f0"))).ok.lightness() < dark.ok.lightness()
    image = icons.icon("pause").pixmap(24, 24).toImage()
    inked = [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert inked
    assert all(c.lightness() > 150 for c in inked)  # drawn in the light text colour


def test_icons_and_app_icon_exist() -> None:
    assert icons.resources_dir() is not None
    for name in ("connect", "disconnect", "join", "leave", "send", "pause", "resume", "copy"):
        assert not icons.icon(name).isNull(), name
    assert not icons.app_icon().isNull()
    assert icons.icon("no-such-icon").isNull()


def test_composer_tab_order_works_without_a_mouse(qtbot: Any) -> None:
    panel = ComposerPanel()
    qtbot.addWidget(panel)
    panel.show()
    order = [panel.event_edit]
    widget = panel.event_edit
    for _ in range(6):
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & widget.focusPolicy().TabFocus or not widget.isVisible():
            widget = widget.nextInFocusChain()
        order.append(widget)
    assert order[:3] == [panel.event_edit, panel.history_combo, panel.payload_edit]
    assert panel.ack_check in order
    assert panel.send_button in order


@pytest.mark.expect_log_errors(
    r"^unexpected error: RuntimeError: boom with \[redacted\]",
    r"^unexpected error: ValueError: x",
    logger="inspector.errors",
)
def test_error_handler_shows_one_dialog_and_counts(qtbot: Any) -> None:
    handler = ErrorHandler()
    try:
        raise RuntimeError(f"boom with {TOKEN}")
    except RuntimeError as exc:
        handler.excepthook(type(exc), exc, exc.__traceback__)
    assert handler.box is not None
    qtbot.addWidget(handler.box)
    assert handler.box.isVisible()
    assert not handler.box.isModal()
    assert TOKEN not in handler.box.informativeText()
    assert TOKEN not in handler.box.detailedText()
    first = handler.box
    loop = asyncio.new_event_loop()
    try:
        handler.loop_exception(loop, {"message": "task failed", "exception": ValueError("x")})
    finally:
        loop.close()
    assert handler.box is first  # no second dialog: the first one counts
    assert "2 errors so far" in first.informativeText()
    assert handler.count == 2


def test_redacting_filter_hides_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("inspector.test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("connecting to ws://h/realtime/v1/websocket?apikey=%s&vsn=2.0.0", TOKEN)
            logger.info("header Authorization: Bearer %s", "opaque-secret")
    finally:
        logger.filters.clear()
    assert TOKEN not in caplog.text
    assert "opaque-secret" not in caplog.text
    assert "vsn=2.0.0" in caplog.text
