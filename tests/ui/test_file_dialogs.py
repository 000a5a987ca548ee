"""#15 item 10: file dialogs start in Documents, remember the last folder (across restarts, via
the settings) and propose a file name with the filter's extension."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from inspector.ui.common.file_dialogs import (
    LAST_FOLDER_KEY,
    documents_folder,
    remember,
    start_path,
)
from inspector.ui.transfer.transfer import CSV_FILTER, NDJSON_FILTER, suggested_name


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_first_dialog_starts_in_documents(tmp_path: Path, qapp: object) -> None:
    settings = _settings(tmp_path)
    expected = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = documents_folder()
    assert folder == (Path(expected) if Path(expected).is_dir() else Path.home())
    assert start_path(settings) == str(folder)


def test_later_dialogs_start_in_the_last_folder_and_survive_a_restart(
    tmp_path: Path, qapp: object
) -> None:
    settings = _settings(tmp_path)
    chosen = tmp_path / "exports" / "room-1.ndjson"
    chosen.parent.mkdir()
    remember(settings, chosen)
    settings.sync()
    reopened = _settings(tmp_path)
    assert start_path(reopened) == str(chosen.parent)
    assert start_path(reopened, "room-1-20261205-101500", NDJSON_FILTER) == str(
        chosen.parent / "room-1-20261205-101500.ndjson"
    )


def test_a_folder_that_has_gone_is_skipped(tmp_path: Path, qapp: object) -> None:
    settings = _settings(tmp_path)
    settings.setValue(LAST_FOLDER_KEY, str(tmp_path / "gone"))
    assert start_path(settings) == str(documents_folder())


def test_suggested_names_carry_the_channel_and_time(qapp: object) -> None:
    name = suggested_name("room/1 ☃", now=0)
    assert name.startswith("room-1")
    assert name[-15:].replace("-", "").isdigit()
    assert start_path(_settings(Path("/nonexistent")), name, CSV_FILTER).endswith(".csv")
