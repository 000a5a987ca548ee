"""JsonTreeModel and JsonTreeView: a parsed JSON value as a collapsible tree, built lazily.

Nodes are made only when their parent is expanded, and large objects and arrays hand out their
children :data:`BATCH` at a time through ``canFetchMore``/``fetchMore`` (the pattern of Qt's
``itemviews/fetchmore`` example), so a multi-megabyte payload opens at once and costs memory
only for what is looked at (issue #5 §2, "the detail view formats lazily"). Long strings are
cut in the Value column; *Copy value* copies the whole value, *Copy path* a path such as
``items[3].name``; *Track this field* (on an integer) watches it for sequence gaps in the tab
with an RFC 9535 JSONPath such as ``$.seq`` (issue #11 §5). Keys and values show invisible and direction-changing characters as
``\\uXXXX`` in the warning colour (QA finding 7); the copies keep them as they came.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QTreeView, QWidget

from inspector.protocol.invisible import NOTE, has_hidden, reveal

from ..common import theme

#: Children made per fetch.
BATCH: Final = 500
#: Characters of a string value shown in the Value column.
VALUE_CHARS: Final = 300
HEADERS: Final = ("Key", "Value", "Type")

AnyIndex = QModelIndex | QPersistentModelIndex
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
#: A member name RFC 9535 lets a path write as ``.name`` (ASCII only here; others in brackets).
_SHORTHAND = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Node:
    __slots__ = ("children", "items", "key", "parent", "row", "value")

    items: Iterator[tuple[str, Any]] | None

    def __init__(self, parent: _Node | None, row: int, key: str | int | None, value: Any) -> None:
        self.parent = parent
        self.row = row
        #: the object key (str), the array index (int), or None for the root.
        self.key = key
        self.value = value
        self.children: list[_Node] = []
        #: an object's (key, value) pairs, read a batch at a time (no list of all of them).
        self.items = None

    def total(self) -> int:
        return len(self.value) if isinstance(self.value, dict | list) else 0

    def entries(self, start: int, end: int) -> list[tuple[str | int, Any]]:
        """Entries ``start..end`` (fetched in order: objects are read through an iterator)."""
        v = self.value
        if isinstance(v, list):
            return [(i, v[i]) for i in range(start, min(end, len(v)))]
        if isinstance(v, dict):
            if self.items is None:
                self.items = iter(v.items())
            return list(itertools.islice(self.items, end - start))
        return []


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def value_text(value: Any, limit: int = VALUE_CHARS) -> str:
    """One line for the Value column: ``{3 keys}``, ``[1,000 items]``, a cut JSON string."""
    if isinstance(value, dict):
        n = len(value)
        return f"{{{n:,} key{'s' if n != 1 else ''}}}"
    if isinstance(value, list):
        n = len(value)
        return f"[{n:,} item{'s' if n != 1 else ''}]"
    if isinstance(value, str) and len(value) > limit:
        return json.dumps(value[:limit], ensure_ascii=False)[:-1] + f'…" ({len(value):,} chars)'
    return json.dumps(value, ensure_ascii=False)


class JsonTreeModel(QAbstractItemModel):
    """A read-only tree over one parsed JSON value; see the module docstring."""

    def __init__(self, value: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(None, 0, None, None)
        self._scalar = False
        self.set_value(value)

    def set_value(self, value: Any) -> None:
        """Show ``value``; a container's entries appear at the top level."""
        self.beginResetModel()
        if isinstance(value, dict | list):
            self._root = _Node(None, 0, None, value)
            self._scalar = False
        else:
            self._root = _Node(None, 0, None, [value])
            self._scalar = True
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def _node(self, index: AnyIndex) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _Node)
            return node
        return self._root

    def node_path(self, index: AnyIndex) -> str:
        """``items[3].name`` for the node at ``index`` (``$`` is the payload itself)."""
        parts: list[str] = []
        node: _Node | None = self._node(index)
        while node is not None and node.parent is not None:
            key = node.key
            if isinstance(key, int):
                parts.append(f"[{key}]")
            elif key is not None and _IDENT.fullmatch(key):
                parts.append(f".{key}")
            else:
                parts.append(f"[{json.dumps(key, ensure_ascii=False)}]")
            node = node.parent
        if self._scalar:
            return "$"
        return "$" + "".join(reversed(parts))

    def node_jsonpath(self, index: AnyIndex) -> str:
        """An RFC 9535 JSONPath to the node at ``index``: ``$.seq``, ``$.items[3]["a b"]``
        (what *Track this field* hands to the sequence tracker's JSONPath library)."""
        parts: list[str] = []
        node: _Node | None = self._node(index)
        while node is not None and node.parent is not None and not self._scalar:
            key = node.key
            if isinstance(key, int):
                parts.append(f"[{key}]")
            elif key is not None and _SHORTHAND.fullmatch(key):
                parts.append(f".{key}")
            else:
                parts.append(f"[{json.dumps(key)}]")
            node = node.parent
        return "$" + "".join(reversed(parts))

    def node_value(self, index: AnyIndex) -> Any:
        return self._node(index).value

    def _raw_text(self, node: _Node, col: int) -> str:
        """The Key or Value cell before hidden characters are revealed."""
        if col == 1:
            return value_text(node.value)
        if self._scalar:
            return "(value)"
        return f"[{node.key}]" if isinstance(node.key, int) else str(node.key)

    # ------------------------------------------------------------------------------ Qt API

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        if not 0 <= row < len(node.children) or not 0 <= column < len(HEADERS):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    # QAbstractItemModel.parent(index) overloads QObject.parent(); the stubs cannot say so.
    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index).parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        return self._node(parent).total() > 0

    def canFetchMore(self, parent: AnyIndex) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        return len(node.children) < node.total()

    def fetchMore(self, parent: AnyIndex) -> None:
        node = self._node(parent)
        start = len(node.children)
        end = min(node.total(), start + BATCH)
        if end <= start:
            return
        entries = node.entries(start, end)
        self.beginInsertRows(parent, start, start + len(entries) - 1)
        node.children.extend(_Node(node, start + i, k, v) for i, (k, v) in enumerate(entries))
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 2:
                return type_name(node.value)
            return reveal(self._raw_text(node, col), multiline=False)
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, 1):
            path = reveal(self.node_path(index), multiline=False)
            if has_hidden(self._raw_text(node, col), multiline=False):
                return f"{path}\n⚠ {NOTE[0].upper()}{NOTE[1:]}."
            return path if col == 1 else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 2:
                return theme.colors().muted
            if has_hidden(self._raw_text(node, col), multiline=False):
                return theme.colors().warning
        if role == Qt.ItemDataRole.FontRole and col == 1:
            return theme.mono_font()
        return None


def is_counter(value: Any) -> bool:
    """An integer (not a boolean): what a sequence counter can be."""
    return type(value) is int


class JsonTreeView(QTreeView):
    """The tree with *Copy value*, *Copy path* and *Track this field* in its context menu."""

    #: *Track this field*: the JSONPath of the selected integer.
    track_field_requested = Signal(str)
    #: *Show as column*: the JSONPath of the selected field (issue #15 item 5).
    column_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree_model = JsonTreeModel(None, self)
        self.setModel(self.tree_model)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setAccessibleName("Payload tree")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_value_action = QAction("Copy value", self)
        self.copy_value_action.triggered.connect(self.copy_value)
        self.copy_path_action = QAction("Copy path", self)
        self.copy_path_action.triggered.connect(self.copy_path)
        self.track_action = QAction("Track this field (sequence gaps)", self)
        self.track_action.setToolTip(
            "Count this integer in every incoming payload of the tab: missing numbers, "
            "duplicates, out of order"
        )
        self.track_action.setEnabled(False)
        self.track_action.triggered.connect(self.track_field)
        self.addAction(self.copy_value_action)
        self.addAction(self.copy_path_action)
        self.addAction(self.track_action)
        self.column_action = QAction("Show as column", self)
        self.column_action.setToolTip(
            "Add a column to the tab's table with this field's value in every row"
        )
        self.column_action.setEnabled(False)
        self.column_action.triggered.connect(self.show_as_column)
        self.addAction(self.column_action)
        self.selectionModel().currentChanged.connect(self._current_changed)
        self.tree_model.modelReset.connect(lambda: self.track_action.setEnabled(False))
        self.tree_model.modelReset.connect(lambda: self.column_action.setEnabled(False))
        self.setColumnWidth(0, 180)
        self.setColumnWidth(1, 260)

    def set_value(self, value: Any) -> None:
        self.tree_model.set_value(value)
        self.expandToDepth(0)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        ok = current.isValid() and is_counter(self.tree_model.node_value(current))
        self.track_action.setEnabled(ok)
        self.column_action.setEnabled(
            current.isValid() and self.tree_model.node_jsonpath(current) != "$"
        )

    def show_as_column(self) -> str:
        """Ask for a column with the selected field's value; its JSONPath ("" for none)."""
        index = self.currentIndex()
        if not index.isValid():
            return ""
        path = self.tree_model.node_jsonpath(index)
        if path == "$":
            return ""
        self.column_requested.emit(path)
        return path

    def track_field(self) -> str:
        """Ask to track the selected integer; its JSONPath, or "" when it is not one."""
        index = self.currentIndex()
        if not index.isValid() or not is_counter(self.tree_model.node_value(index)):
            return ""
        path = self.tree_model.node_jsonpath(index)
        self.track_field_requested.emit(path)
        return path

    def copy_value(self) -> str:
        index = self.currentIndex()
        if not index.isValid():
            return ""
        value = self.tree_model.node_value(index)
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_path(self) -> str:
        index = self.currentIndex()
        if not index.isValid():
            return ""
        text = self.tree_model.node_path(index)
        QGuiApplication.clipboard().setText(text)
        return text
