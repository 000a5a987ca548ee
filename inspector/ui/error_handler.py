"""ErrorHandler: the one place unexpected errors go. It logs them (secrets redacted) and shows
one non-modal dialog instead of letting the app die; more errors while it is open are counted
in it, never stacked into a storm of dialogs.

Installed for ``sys.excepthook`` (exceptions escaping Qt slots and virtual overrides) and as the
asyncio loop's exception handler (tasks nobody awaited).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from inspector.client import logfile
from inspector.client.log_filter import SafeLogFilter
from inspector.protocol.invisible import printable, reveal
from inspector.protocol.redact import redact_text

from .log_location import open_log_folder

log = logging.getLogger("inspector.errors")


class RedactingFilter(SafeLogFilter):
    """Rewrites every log record's message with secrets redacted (keys, tokens, JWTs) and every
    control, bidi or zero-width character but the line break and tab written as ``\\uXXXX``
    (:class:`~inspector.client.log_filter.SafeLogFilter`, shared with the CLI)."""


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr through the redacting filter (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)


class ErrorHandler(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box: QMessageBox | None = None
        self.count = 0
        self.last_text = ""
        self._previous_hook = sys.excepthook
        #: the dialog's Open log folder button (when a log file is in use).
        self.open_log_button: QPushButton | None = None

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        sys.excepthook = self.excepthook
        if loop is not None:
            loop.set_exception_handler(self.loop_exception)

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        text = redact_text("".join(traceback.format_exception(exc_type, exc, tb)))
        self.report(f"{exc_type.__name__}: {redact_text(str(exc))}", text)

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message", "asyncio error"))
        if isinstance(exc, BaseException):
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            summary = f"{type(exc).__name__}: {exc}"
        else:
            detail, summary = message, message
        self.report(redact_text(summary), redact_text(f"{message}\n{detail}"))

    def report(self, summary: str, detail: str) -> None:
        """Log and show one error; later ones while the dialog is open only bump its count.

        The summary is one line and the detail keeps its line breaks; in both every control,
        bidi or zero-width character is escaped, since an exception's text may quote a peer.
        """
        summary = printable(summary, 500)
        detail = reveal(detail)
        self.count += 1
        self.last_text = summary
        log.error("unexpected error: %s\n%s", summary, detail)
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        if self.box is not None and self.box.isVisible():
            self.box.setInformativeText(f"{summary}\n\n({self.count} errors so far; see the log)")
            return
        parent = app.activeWindow()
        box = QMessageBox(parent if isinstance(parent, QWidget) else None)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setTextFormat(Qt.TextFormat.PlainText)  # error texts may carry peer data
        box.setWindowTitle("Unexpected error")
        box.setText(
            "Something went wrong. The window keeps running; details are in the log"
            + (f":\n{where}" if (where := logfile.log_file()) is not None else ".")
        )
        box.setInformativeText(summary)
        box.setDetailedText(detail[-8000:])
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        if where is not None:
            self.open_log_button = box.addButton(
                "Open log folder", QMessageBox.ButtonRole.ActionRole
            )
            self.open_log_button.clicked.connect(open_log_folder)
        box.setModal(False)
        box.show()
        self.box = box
