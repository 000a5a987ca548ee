"""ProfileListModel: the saved profiles (names and URLs only) for the toolbar and the dialog."""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from inspector.store import Profile, ProfileBook

#: ``data(index, ProfileIdRole)`` is the profile's id.
ProfileIdRole: Final = int(Qt.ItemDataRole.UserRole) + 1

AnyIndex = QModelIndex | QPersistentModelIndex


class ProfileListModel(QAbstractListModel):
    """One row per profile of a :class:`ProfileBook`; edits go through the model's methods."""

    def __init__(self, book: ProfileBook | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._book = book if book is not None else ProfileBook()

    @property
    def book(self) -> ProfileBook:
        return self._book

    def set_book(self, book: ProfileBook) -> None:
        self.beginResetModel()
        self._book = book
        self.endResetModel()

    def profile_at(self, row: int) -> Profile | None:
        return self._book[row] if 0 <= row < len(self._book) else None

    def row_of(self, profile_id: str) -> int:
        return self._book.index_of(profile_id)

    def add(self, profile: Profile) -> Profile:
        row = len(self._book)
        self.beginInsertRows(QModelIndex(), row, row)
        added = self._book.add(profile)
        self.endInsertRows()
        return added

    def duplicate(self, profile_id: str) -> Profile:
        row = self._book.index_of(profile_id) + 1
        self.beginInsertRows(QModelIndex(), row, row)
        copy = self._book.duplicate(profile_id)
        self.endInsertRows()
        return copy

    def update(self, profile: Profile) -> None:
        self._book.update(profile)
        row = self._book.index_of(profile.id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, 0))

    def remove(self, profile_id: str) -> None:
        row = self._book.index_of(profile_id)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._book.remove(profile_id)
        self.endRemoveRows()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._book)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        profile = self.profile_at(index.row())
        if profile is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return profile.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{profile.url} · protocol {profile.vsn}"
        if role == ProfileIdRole:
            return profile.id
        return None
