"""Where the window's log file lives, and Help -> Open log folder (issue #15 item 9).

The folder is ``$RI_LOG_DIR`` when set, else ``QStandardPaths``' generic state location plus
``realtime-inspector/log`` (on Linux ``~/.local/state/realtime-inspector/log``, the folder the
CLI's platformdirs picks too), else the app's local data location plus ``log``. The file
(``window.log``, rotating) is written by :mod:`inspector.client.logfile`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices

from inspector.client import logfile

#: The window's log file name in the folder.
WINDOW_LOG = "window.log"


def window_log_dir() -> Path:
    """The window's log folder (it may not exist yet)."""
    override = logfile.override_dir()
    if override is not None:
        return override
    state = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericStateLocation)
    if state:
        return Path(state) / logfile.APP_DIR / "log"
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(data or Path.home()) / "log"


def install_window_log(level: int = logging.INFO) -> Path | None:
    """Start the window's rotating log file; its path, or None when the folder cannot be made."""
    return logfile.install(window_log_dir(), WINDOW_LOG, level)


def current_log_folder() -> Path:
    """The folder of the log file in use, else the folder the window would use."""
    path = logfile.log_file()
    return path.parent if path is not None else window_log_dir()


def open_log_folder() -> tuple[bool, Path]:
    """Open the log folder in the desktop's file manager (made first, so it opens even before
    the first line is written); whether it opened, and the folder."""
    folder = current_log_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False, folder
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))), folder
