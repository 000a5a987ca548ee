"""File dialogs that start where people keep files and remember where they were last.

- The first dialog starts in the Documents folder (``QStandardPaths``), or home without one.
- Each later dialog starts in the folder of the last file chosen in any dialog (kept in the
  settings under ``dialogs/last_folder``, so it survives a restart); a folder that has gone is
  skipped.
- A save dialog proposes a file name (``room-1-20261205-101500.ndjson``), and a typed name
  without an extension gets the chosen filter's (``with_default_suffix``).

:data:`AskPath` is what panels call, so tests pass a plain function instead of a dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from ..settings import default_qsettings

LAST_FOLDER_KEY: Final = "dialogs/last_folder"


class AskPath(Protocol):
    """``ask_path(title, filter, save, suggested="") -> path or None``."""

    def __call__(
        self, title: str, name_filter: str, save: bool, suggested: str = ""
    ) -> Path | None: ...


def with_default_suffix(path: Path, name_filter: str) -> Path:
    """``path`` with the filter's first extension added when the user typed none (``out`` ->
    ``out.ndjson``; ``out.txt`` and ``.hidden`` stay as typed; issue #10 item 19). A dot
    followed by something that is no extension (``export-2026.12.05``) or by nothing
    (``out.``) is part of the name. ``name_filter`` is the filter the user chose: "All files"
    adds nothing."""
    name = path.name
    suffix = path.suffix[1:]
    if name.startswith(".") or (suffix and suffix.isalnum() and not suffix.isdigit()):
        return path
    start = name_filter.find("(*.")
    if start < 0:
        return path
    extension = name_filter[start + 2 :].split(")")[0].split()[0]
    return path.with_name(name.rstrip(".") + extension)


def documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(found) if found else Path.home()
    return folder if folder.is_dir() else Path.home()


def start_path(settings: QSettings, suggested: str = "", name_filter: str = "") -> str:
    """Where a dialog opens: the last folder if it still exists, else Documents; with the
    suggested file name (its extension from the filter when it has none)."""
    last = settings.value(LAST_FOLDER_KEY)
    folder = Path(last) if isinstance(last, str) and last and Path(last).is_dir() else None
    folder = folder or documents_folder()
    if not suggested:
        return str(folder)
    return str(with_default_suffix(folder / suggested, name_filter))


def remember(settings: QSettings, path: Path) -> None:
    settings.setValue(LAST_FOLDER_KEY, str(path.parent))


def dialog_ask_path(parent: QWidget, settings: QSettings | None = None) -> AskPath:
    """The real dialogs (Qt's own, or the desktop's through the portal), remembering folders in
    ``settings`` (the application's settings when None)."""

    def ask(title: str, name_filter: str, save: bool, suggested: str = "") -> Path | None:
        store = settings if settings is not None else default_qsettings()
        start = start_path(store, suggested if save else "", name_filter)
        if save:
            path, chosen = QFileDialog.getSaveFileName(parent, title, start, name_filter)
            result = with_default_suffix(Path(path), chosen or name_filter) if path else None
        else:
            path, _ = QFileDialog.getOpenFileName(parent, title, start, name_filter)
            result = Path(path) if path else None
        if result is not None:
            remember(store, result)
        return result

    return ask
