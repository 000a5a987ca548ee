"""The log file: a rotating file in the platform's log directory, for the window and the CLI.

Both front-ends log to one folder (issue #15 item 9): on Linux ``$XDG_STATE_HOME/
realtime-inspector/log`` (``~/.local/state/realtime-inspector/log``), elsewhere the platform's
user log directory (platformdirs here, ``QStandardPaths`` in the window, which point at the
same place on Linux). The window writes ``window.log``, the CLI ``cli.log``; each rotates at
:data:`MAX_BYTES` and keeps :data:`BACKUPS` older files. ``$RI_LOG_DIR`` puts the folder
elsewhere (the tests do).

Every record goes through :class:`~inspector.client.log_filter.SafeLogFilter` on the handler,
so keys, tokens and JWTs are redacted and hidden characters escaped in the file exactly as on
stderr. The file is opened on the first record (``delay``), so a quiet run leaves no file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from .log_filter import SafeLogFilter

#: The folder's name under the platform's log/state directory.
APP_DIR = "realtime-inspector"
#: Environment variable that replaces the log folder (the tests point it at a temp folder).
LOG_DIR_ENV = "RI_LOG_DIR"
#: Bytes after which the file rotates.
MAX_BYTES = 2_000_000
#: Rotated files kept (``cli.log.1`` ... ``cli.log.3``).
BACKUPS = 3
#: The line format of the file.
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def override_dir() -> Path | None:
    """``$RI_LOG_DIR`` when set and not empty."""
    value = os.environ.get(LOG_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def default_log_dir() -> Path | None:
    """The CLI's log folder: ``$RI_LOG_DIR``, else platformdirs' user log directory; None when
    the platform gives no absolute folder (no home directory): then there is no log file."""
    override = override_dir()
    if override is not None:
        return override
    import platformdirs

    try:
        folder = Path(platformdirs.user_log_dir(APP_DIR, appauthor=False))
    except (OSError, RuntimeError, KeyError, ValueError):
        return None
    return folder if folder.is_absolute() else None


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating handler this module installs (one per process, found by its type)."""


def installed() -> LogFileHandler | None:
    """The log file handler on the root logger, if any."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogFileHandler):
            return handler
    return None


def log_file() -> Path | None:
    """The path of the installed log file (it may not exist yet: it opens on the first record)."""
    handler = installed()
    return Path(handler.baseFilename) if handler is not None else None


def install(directory: Path | None, filename: str, level: int = logging.INFO) -> Path | None:
    """Log records of ``level`` and above to ``directory/filename``, rotating; the root
    logger's level is lowered to ``level`` if it is higher. Returns the file's path, or None
    when the folder cannot be made (then nothing is logged to a file; the caller may say so).
    A second call replaces the first handler."""
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            return None
    except OSError:
        return None
    root = logging.getLogger()
    old = installed()
    if old is not None:
        root.removeHandler(old)
        old.close()
    path = directory / filename
    handler = LogFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(SafeLogFilter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return path


def uninstall() -> None:
    """Remove and close the handler :func:`install` added (tests, and the end of a run)."""
    handler = installed()
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
