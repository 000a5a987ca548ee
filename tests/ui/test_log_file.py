"""The window's log file (issue #15 item 9): a rotating ``window.log`` in the log folder
(``$RI_LOG_DIR`` here), Help -> Open log folder, the error dialog naming the file and opening
its folder, and no secret in the file whatever is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from inspector.client import logfile
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.ui import log_location
from inspector.ui.error_handler import ErrorHandler
from inspector.ui.main_window import MainWindow

TOKEN = sign({"role": "authenticated", "sub": "log", "exp": CLI_DEMO_EXP}, "a-secret-" * 4)
KEY = "sb_secret_LogFileKey0123456789"


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "logs"
    monkeypatch.setenv(logfile.LOG_DIR_ENV, str(folder))
    root = logging.getLogger()
    level = root.level
    yield folder
    logfile.uninstall()
    root.setLevel(level)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def open_url(url: QUrl) -> bool:
        urls.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    return urls


@pytest.mark.expect_log_errors(r"^unexpected error: RuntimeError: ", logger="inspector.errors")
def test_the_window_log_file_holds_the_log_and_no_secret(
    log_dir: Path, qtbot: Any, opened: list[str]
) -> None:
    path = log_location.install_window_log(logging.INFO)
    assert path == log_dir / "window.log"
    handler = logfile.installed()
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.maxBytes > 0
    assert handler.backupCount > 0
    # the paths that log: a client error the translator logs, a warning with a traceback, and
    # the unexpected-error handler (whose dialog names the file)
    logging.getLogger("inspector.ui.event_translation").info(
        "client: cannot reach wss://x.supabase.co/realtime/v1/websocket?apikey=%s", KEY
    )
    try:
        raise ValueError(f"Authorization: Bearer {TOKEN}")
    except ValueError:
        logging.getLogger("inspector.test").warning("token %s", TOKEN, exc_info=True)
    errors = ErrorHandler()
    try:
        raise RuntimeError(f"join with access_token={TOKEN} and apikey {KEY}")
    except RuntimeError as exc:
        errors.excepthook(type(exc), exc, exc.__traceback__)
    assert errors.box is not None
    qtbot.addWidget(errors.box)
    assert str(path) in errors.box.text()
    assert errors.open_log_button is not None
    errors.open_log_button.click()
    assert opened == [str(log_dir)]
    handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "unexpected error: RuntimeError" in text
    assert "client: cannot reach" in text
    assert "ValueError" in text  # the traceback is there, redacted
    assert TOKEN not in text
    assert TOKEN.split(".")[2] not in text
    assert KEY not in text


def test_debug_level_reaches_the_file(log_dir: Path) -> None:
    path = log_location.install_window_log(logging.DEBUG)
    assert path is not None
    logging.getLogger("inspector.test").debug("a debug line")
    handler = logfile.installed()
    assert handler is not None
    handler.flush()
    assert "DEBUG inspector.test: a debug line" in path.read_text(encoding="utf-8")


def test_help_opens_the_log_folder(window: MainWindow, log_dir: Path, opened: list[str]) -> None:
    actions = [a.text() for a in window.menuBar().actions()]
    help_menu = window.menuBar().actions()[actions.index("&Help")].menu()
    assert window.open_log_action in help_menu.actions()
    window.open_log_action.trigger()
    assert opened == [str(log_dir)]
    assert log_dir.is_dir()  # made so that the file manager can open it
