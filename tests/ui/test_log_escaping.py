"""Peer text in the GUI's log (issue #10 item 1): a hostile close reason, error texts and
tracebacks reach the log with every control, bidi and zero-width character escaped."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from gui_helpers import until

from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.error_handler import ErrorHandler, RedactingFilter
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

#: A close reason fits in 123 bytes: clear screen, colour, a right-to-left override, a
#: zero-width space, a C1 CSI, and a line break that forges a log line.
HOSTILE = "\x1b[2J\x1b[31m\u202eexe.gnp\u200b\x9b1m\nINFO inspector: all good"
#: Characters that must never reach the log raw (the test's own list).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


async def test_a_hostile_close_reason_is_escaped_in_the_log(
    window: MainWindow, server: RealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    c = window.controller
    assert isinstance(c, InspectorController)
    dialog = window.open_profiles()
    dialog.name_edit.setText("Local")
    dialog.url_edit.setText(server.url)
    dialog.key_field.setText(server.anon_key)
    dialog.connect_button.click()
    await until(lambda: c.connected, what="connected")
    window.join(ChannelOptions("room"))
    await until(lambda: c.channels["room"].status.state is TabState.JOINED, what="joined")
    assert len(HOSTILE.encode()) <= 123
    with caplog.at_level(logging.INFO, logger="inspector.ui.event_translation"):
        await server.close_all(4000, HOSTILE)

        def logged() -> list[str]:
            return [
                r.getMessage() for r in caplog.records if "socket closed: 4000" in r.getMessage()
            ]

        await until(lambda: bool(logged()), what="the close logged")
    [message] = logged()
    assert RAW.search(message) is None, repr(message)
    assert "\\u001b[2J" in message
    assert "\\u000aINFO inspector: all good" in message  # shown, on the same line


def test_redacting_filter_escapes_peer_text_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("inspector.test.escaping")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("reason: %s", HOSTILE)
            try:
                raise ValueError(HOSTILE)
            except ValueError:
                logger.warning("handling failed", exc_info=True)
    finally:
        logger.filters.clear()
    first, second = caplog.records
    assert RAW.search(first.getMessage()) is None
    assert first.exc_text is None
    assert second.exc_text is not None
    assert RAW.search(second.exc_text.replace("\n", "")) is None
    assert "Traceback (most recent call last):\n" in second.exc_text  # line breaks kept


@pytest.mark.expect_log_errors(r"^unexpected error: RuntimeError: ", logger="inspector.errors")
def test_error_handler_escapes_the_summary_and_the_detail(
    qtbot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    handler = ErrorHandler()
    with caplog.at_level(logging.ERROR, logger="inspector.errors"):
        try:
            raise RuntimeError(HOSTILE)
        except RuntimeError as exc:
            handler.excepthook(type(exc), exc, exc.__traceback__)
    assert handler.box is not None
    qtbot.addWidget(handler.box)
    [record] = [r for r in caplog.records if r.name == "inspector.errors"]
    summary, _, detail = record.getMessage().partition("\n")
    assert RAW.search(summary) is None
    assert RAW.search(detail.replace("\n", "")) is None
    assert RAW.search(handler.box.informativeText()) is None
