"""PresenceRosterModel and PresenceTimelineModel: thin Qt tables over a tab's PresenceRoster.

The roster has one row per connection (meta): a key present on two tabs or devices has two
rows, which is what the server holds (docs/realtime-protocol.md §8.3). The timeline shows the
newest entry first; each entry's explanation is its tooltip (and the panel shows it below the
table). Both models are rebuilt from the store on :meth:`refresh`, which the panel calls on a
short timer: presence changes in bursts, and rosters are small next to message logs.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from inspector.protocol.invisible import reveal
from inspector.store.presence.presence_roster import (
    PresenceRoster,
    RosterEntry,
    TimelineEntry,
    TimelineKind,
    meta_text,
)
from inspector.store.timefmt import clock_s

from ..common import theme

AnyIndex = QModelIndex | QPersistentModelIndex
ROSTER_HEADERS: Final = ("Key", "Payload", "Here since")
TIMELINE_HEADERS: Final = ("Time", "Kind", "What happened")
#: ``data(index, EntryRole)``: the TimelineEntry (timeline) or RosterEntry (roster) of a row.
EntryRole: Final = int(Qt.ItemDataRole.UserRole) + 1


def clock_text(epoch: float) -> str:
    return clock_s(epoch)


class PresenceRosterModel(QAbstractTableModel):
    """Key, tracked payload and "here since" for every connection on the channel."""

    def __init__(self, roster: PresenceRoster, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._roster = roster
        self._rows: list[tuple[RosterEntry, int]] = []
        #: our own presence key, marked "(you)" (empty when the server made one up).
        self.own_key = ""
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self._rows = [(e, i) for e in self._roster.entries() for i in range(len(e.metas))]
        self.endResetModel()

    def keys(self) -> list[str]:
        """Distinct keys shown, in order."""
        return list(dict.fromkeys(e.key for e, _ in self._rows))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ROSTER_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ROSTER_HEADERS[section] if 0 <= section < len(ROSTER_HEADERS) else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry, i = self._rows[index.row()]
        meta = entry.metas[i]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                label = entry.key if i == 0 else f"  ↳ {entry.key}"
                if entry.key == (self.own_key or self._roster.own.key):
                    label += " (you)"
                return reveal(label, multiline=False)  # peer text (QA 7)
            if col == 1:
                return reveal(meta_text(meta), multiline=False)
            return ("before " if entry.listed_at_join else "") + clock_text(entry.since)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 2:
                return (
                    "Already here when we joined (listed in presence_state)"
                    if entry.listed_at_join
                    else "When we saw this key arrive"
                )
            parts = [f"{reveal(entry.key)}: connection {i + 1} of {len(entry.metas)}"]
            ref = meta.get("phx_ref")
            if ref is not None:
                parts.append(f"phx_ref {ref}")
            return "\n".join(parts)
        if role == Qt.ItemDataRole.FontRole and col == 1:
            return theme.mono_font()
        if role == Qt.ItemDataRole.ForegroundRole and i > 0 and col == 0:
            return theme.colors().muted
        if role == EntryRole:
            return entry
        return None


class PresenceTimelineModel(QAbstractTableModel):
    """The roster's timeline, newest first."""

    def __init__(self, roster: PresenceRoster, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._roster = roster
        self._rows: list[TimelineEntry] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self._rows = list(reversed(self._roster.timeline))
        self.endResetModel()

    def entry_at(self, row: int) -> TimelineEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(TIMELINE_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return TIMELINE_HEADERS[section] if 0 <= section < len(TIMELINE_HEADERS) else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return clock_text(entry.time)
            if col == 1:
                return entry.kind.value
            return reveal(entry.summary, multiline=False)
        if role == Qt.ItemDataRole.ToolTipRole:
            return reveal(entry.explanation) if entry.explanation else None
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            c = theme.colors()
            return {
                TimelineKind.JOIN: c.ok,
                TimelineKind.LEAVE: c.error,
                TimelineKind.UPDATE: c.warning,
                TimelineKind.SYNC: c.incoming,
                TimelineKind.OWN: c.outgoing,
                TimelineKind.CHANNEL: c.muted,
            }[entry.kind]
        if role == Qt.ItemDataRole.FontRole and col == 1:
            return self._bold
        if role == EntryRole:
            return entry
        return None
