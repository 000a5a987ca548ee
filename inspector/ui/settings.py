"""AppSettings: QSettings for profiles (no secrets), preferences, window state, open tabs and
send histories. Values are stored as JSON text so every platform reads them back the same.

Secrets never go here: profiles are written from :meth:`Profile.to_dict` (no key fields), and
send-history payloads are redacted before saving in case somebody pasted a token into one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from inspector.protocol.redact import redact_text
from inspector.store import ChannelOptions, Preferences, ProfileBook, SendHistory
from inspector.store.channels.channel_sets import ChannelSets
from inspector.store.channels.history import SendTemplate

#: A folder that holds the settings file (and the opted-in plain-text secrets) instead of the
#: platform's user configuration folder: for tests, portable setups and ``listen --profile``.
CONFIG_DIR_ENV = "RI_CONFIG_DIR"


def default_qsettings() -> QSettings:
    """INI settings in the user scope, under the application's organization and name; in
    ``$RI_CONFIG_DIR/realtime-inspector.ini`` when that variable is set."""
    folder = os.environ.get(CONFIG_DIR_ENV)
    if folder:
        return QSettings(str(Path(folder) / "realtime-inspector.ini"), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat,
        QSettings.Scope.UserScope,
        QCoreApplication.organizationName() or "RealtimeInspector",
        QCoreApplication.applicationName() or "realtime-inspector",
    )


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qs = qsettings if qsettings is not None else default_qsettings()

    def directory(self) -> Path:
        """The folder the settings file lives in (the plaintext-secrets opt-in goes there)."""
        return Path(self.qs.fileName()).parent

    # ------------------------------------------------------------------------------ JSON values

    def _get_json(self, key: str, default: Any = None) -> Any:
        raw = self.qs.value(key)
        if not isinstance(raw, str):
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    def _set_json(self, key: str, value: Any) -> None:
        self.qs.setValue(key, json.dumps(value, ensure_ascii=False))

    def sync(self) -> None:
        self.qs.sync()

    # ------------------------------------------------------------------------------ profiles

    def profiles(self) -> ProfileBook:
        return ProfileBook.from_data(self._get_json("profiles/list", []))

    def save_profiles(self, book: ProfileBook) -> None:
        self._set_json("profiles/list", book.to_data())

    def last_profile_id(self) -> str:
        value = self.qs.value("profiles/last")
        return value if isinstance(value, str) else ""

    def set_last_profile_id(self, profile_id: str) -> None:
        self.qs.setValue("profiles/last", profile_id)

    def library_path(self) -> str:
        """The library file opened last in the Library panel ("" for the default)."""
        value = self.qs.value("library/path")
        return value if isinstance(value, str) else ""

    def set_library_path(self, path: str) -> None:
        self.qs.setValue("library/path", path)

    def plaintext_opt_in(self) -> bool:
        return self._get_json("secrets/plaintext_opt_in", False) is True

    def set_plaintext_opt_in(self, opt_in: bool) -> None:
        self._set_json("secrets/plaintext_opt_in", bool(opt_in))

    # ------------------------------------------------------------------------------ preferences

    def preferences(self) -> Preferences:
        return Preferences.from_dict(self._get_json("preferences", {}))

    def save_preferences(self, preferences: Preferences) -> None:
        self._set_json("preferences", preferences.to_dict())

    # ------------------------------------------------------------------------------ tabs, history

    def open_tabs(self, profile_id: str) -> list[ChannelOptions]:
        data = self._get_json(f"tabs/{profile_id}", [])
        out: list[ChannelOptions] = []
        if isinstance(data, list):
            for entry in data:
                options = ChannelOptions.from_dict(entry)
                if options is not None and all(o.name != options.name for o in out):
                    out.append(options)
        return out

    def save_open_tabs(self, profile_id: str, tabs: list[ChannelOptions]) -> None:
        self._set_json(f"tabs/{profile_id}", [t.to_dict() for t in tabs])

    def history(self, channel: str) -> SendHistory:
        return SendHistory.from_data(self._get_json(f"history/{_key(channel)}", []))

    def save_history(self, channel: str, history: SendHistory) -> None:
        items = [SendTemplate(redact_text(t.event), redact_text(t.payload)) for t in history.items]
        self._set_json(f"history/{_key(channel)}", SendHistory(items).to_data())

    def seq_path(self, channel: str) -> str:
        """The counter path a tab of this channel watches for sequence gaps ("" for none)."""
        value = self._get_json(f"seq_path/{_key(channel)}", "")
        return value if isinstance(value, str) else ""

    def save_seq_path(self, channel: str, path: str) -> None:
        self._set_json(f"seq_path/{_key(channel)}", path)

    def columns(self, channel: str) -> list[str]:
        """The custom columns (JSONPaths) of a tab of this channel (issue #15 item 5)."""
        value = self._get_json(f"columns/{_key(channel)}", [])
        if not isinstance(value, list):
            return []
        return list(dict.fromkeys(p for p in value if isinstance(p, str) and p))

    def save_columns(self, channel: str, paths: list[str]) -> None:
        self._set_json(f"columns/{_key(channel)}", list(paths))

    # ------------------------------------------------------------------------------ checks

    def check_files(self) -> list[str]:
        """The check files open in the Checks panel (issue #12 §4), in order."""
        data = self._get_json("checks/files", [])
        if not isinstance(data, list):
            return []
        return list(dict.fromkeys(p for p in data if isinstance(p, str) and p))

    def save_check_files(self, paths: list[str]) -> None:
        self._set_json("checks/files", list(paths))

    # ------------------------------------------------------------------------------ channel sets

    def channel_sets(self, profile_id: str) -> ChannelSets:
        """The profile's named channel sets (issue #15 item 7): names and join options only."""
        return ChannelSets.from_data(self._get_json(f"channel_sets/{profile_id}", []))

    def save_channel_sets(self, profile_id: str, sets: ChannelSets) -> None:
        self._set_json(f"channel_sets/{profile_id}", sets.to_data())

    def last_channel_set(self, profile_id: str) -> str:
        """The set of this profile saved or opened last ("" for none)."""
        value = self._get_json(f"channel_sets_last/{profile_id}", "")
        return value if isinstance(value, str) else ""

    def set_last_channel_set(self, profile_id: str, name: str) -> None:
        self._set_json(f"channel_sets_last/{profile_id}", name)

    # ------------------------------------------------------------------------------ window

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.qs.value("window/geometry")
        state = self.qs.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    def splitter_sizes(self, name: str) -> list[int]:
        data = self._get_json(f"window/splitter_{name}", [])
        if isinstance(data, list) and all(isinstance(v, int) and v >= 0 for v in data):
            return data
        return []

    def save_splitter_sizes(self, name: str, sizes: list[int]) -> None:
        self._set_json(f"window/splitter_{name}", [int(s) for s in sizes])


def _key(channel: str) -> str:
    """A settings key for a channel name (no slashes or odd characters in INI keys)."""
    return channel.encode().hex()
