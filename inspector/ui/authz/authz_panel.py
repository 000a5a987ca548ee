"""AuthorizationPanel: pick identities and channels, run, and read the matrix (issue #13 §4).

The panel holds no runner: it shows the identities it was given (checkable; an observer picked
from them), the channels typed in, and the matrix; it emits intents (``run_requested``,
``rerun_requested``, ``cancel_requested``, ``open_identities_requested``, load/save of the
expectation, exports) and the :class:`~inspector.ui.authz.authz_dock.AuthorizationDock` does the
rest.

The matrix is a table: one row per channel and identity, one column per capability. A cell
shows ``✓ allowed``, ``✗ denied`` or ``? unknown`` on a tint of the theme's ok, error or muted
colour; its tooltip has the server's reason or the observed silence and the wait used. With an
expectation loaded, a cell that differs is bold, on the warning colour, and says what was
expected. Double-click a cell (or select it and press *Re-run cell*) to measure it again.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict
from inspector.protocol.frames import typed_channel_name
from inspector.store.authz import Cell, ChannelRef, Difference, Matrix, safe_text

from ..common import theme
from ..common.bounded_label import NarrowLabel

MARKS: Final = {
    Verdict.ALLOWED: "✓ allowed",
    Verdict.DENIED: "✗ denied",
    Verdict.UNKNOWN: "? unknown",
}
PENDING: Final = "…"
#: Columns before the capabilities.
COL_CHANNEL: Final = 0
COL_IDENTITY: Final = 1
FIRST_CAP: Final = 2
#: ``item.data(CellRole)``: ``(identity, ChannelRef, Capability)``.
CellRole: Final = int(Qt.ItemDataRole.UserRole) + 1
NO_OBSERVER: Final = "(none: identities observe each other)"


def parse_channels(text: str, private: bool) -> list[ChannelRef]:
    """``lobby, private:dm-alice public:news``: names separated by commas or spaces; a
    ``private:`` or ``public:`` prefix overrides the *Private* box; ``realtime:`` is dropped."""
    out: list[ChannelRef] = []
    for word in text.replace(",", " ").split():
        is_private = private
        if word.startswith("private:"):
            word, is_private = word[len("private:") :], True
        elif word.startswith("public:"):
            word, is_private = word[len("public:") :], False
        name, _note = typed_channel_name(word)
        if name:
            ref = ChannelRef(name, is_private)
            if ref not in out:
                out.append(ref)
    return out


class AuthorizationPanel(QWidget):
    """Identities, channels, Run, the matrix and its expectation."""

    run_requested = Signal()
    cancel_requested = Signal()
    #: ``(identity, ChannelRef, Capability)``
    rerun_requested = Signal(str, object, object)
    open_identities_requested = Signal()
    profile_identities_requested = Signal()
    load_expected_requested = Signal()
    save_expected_requested = Signal()
    #: ``("markdown" | "json" | "junit")``
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = Matrix()
        self.differences: dict[tuple[str, ChannelRef, Capability], Difference] = {}
        self._rows: dict[tuple[ChannelRef, str], int] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        layout.addLayout(top)

        self.identity_list = QListWidget()
        self.identity_list.setMaximumHeight(120)
        self.identity_list.setMaximumWidth(260)
        self.identity_list.setToolTip("The identities to measure (checked)")
        top.addWidget(self.identity_list)
        right = QVBoxLayout()
        top.addLayout(right, 1)

        source = QHBoxLayout()
        self.source_label = NarrowLabel("No identities: open an identities file.")
        self.source_label.setWordWrap(True)
        self.open_button = QPushButton("Identities…")
        self.open_button.setToolTip(
            "Open an identities file (YAML: name -> key, token, email + password or mint)"
        )
        self.open_button.clicked.connect(self.open_identities_requested)
        self.profile_button = QPushButton("From profile")
        self.profile_button.setToolTip(
            "Use the identities saved with the current profile (Profiles… → Identities)"
        )
        self.profile_button.clicked.connect(self.profile_identities_requested)
        source.addWidget(self.source_label, 1)
        source.addWidget(self.profile_button)
        source.addWidget(self.open_button)
        right.addLayout(source)

        obs = QHBoxLayout()
        obs.addWidget(QLabel("Observer:"))
        self.observer_combo = QComboBox()
        self.observer_combo.setToolTip(
            "An identity that watches every channel (a service_role key sees everything); "
            "without one the identities observe each other"
        )
        obs.addWidget(self.observer_combo, 1)
        right.addLayout(obs)

        chans = QHBoxLayout()
        chans.addWidget(QLabel("Channels:"))
        self.channels_edit = QLineEdit()
        self.channels_edit.setPlaceholderText("room-1, lobby, private:dm-alice")
        self.channels_edit.setToolTip(
            "Channel names, separated by commas or spaces; private:NAME or public:NAME "
            "overrides the Private box"
        )
        self.channels_edit.returnPressed.connect(self.run_requested)
        self.private_box = QCheckBox("Private")
        self.private_box.setToolTip("The channels are private (RLS; config.private)")
        chans.addWidget(self.channels_edit, 1)
        chans.addWidget(self.private_box)
        right.addLayout(chans)

        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Measure every identity x channel x capability")
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.setEnabled(False)
        self.rerun_button = QPushButton("Re-run cell")
        self.rerun_button.setToolTip("Measure the selected cell again (or double-click it)")
        self.rerun_button.clicked.connect(self._rerun_selected)
        self.rerun_button.setEnabled(False)
        self.expected_button = QPushButton("Expected ▾")
        menu = QMenu(self.expected_button)
        self.load_expected_action = menu.addAction("Load expected matrix…")
        self.load_expected_action.triggered.connect(self.load_expected_requested)
        self.save_expected_action = menu.addAction("Save as expected…")
        self.save_expected_action.triggered.connect(self.save_expected_requested)
        self.expected_button.setMenu(menu)
        self.export_button = QPushButton("Export ▾")
        export_menu = QMenu(self.export_button)
        for kind, text in (("markdown", "Markdown…"), ("json", "JSON…"), ("junit", "JUnit XML…")):
            action = export_menu.addAction(text)
            action.triggered.connect(lambda _c=False, k=kind: self.export_requested.emit(k))
        self.export_button.setMenu(export_menu)
        for b in (
            self.run_button,
            self.cancel_button,
            self.rerun_button,
            self.expected_button,
            self.export_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right.addLayout(buttons)

        self.table = QTableWidget(0, FIRST_CAP + len(CAPABILITIES))
        self.table.setHorizontalHeaderLabels(
            ["Channel", "Identity", *(c.label for c in CAPABILITIES)]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setWordWrap(False)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)

        self.expected_label = NarrowLabel("No expected matrix loaded.")
        self.expected_label.setWordWrap(True)
        layout.addWidget(self.expected_label)
        self.note_label = NarrowLabel("")
        self.note_label.setWordWrap(True)
        layout.addWidget(self.note_label)
        self._running = False

    # ------------------------------------------------------------------ inputs

    def set_identities(self, names: list[str], source: str, observer: str | None = None) -> None:
        """Show ``names`` (all checked) from ``source`` (words for the label)."""
        self.identity_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.identity_list.addItem(item)
        self.observer_combo.clear()
        self.observer_combo.addItem(NO_OBSERVER, None)
        for name in names:
            self.observer_combo.addItem(name, name)
        if observer is not None and observer in names:
            self.observer_combo.setCurrentIndex(names.index(observer) + 1)
        self.source_label.setText(source)

    def checked_identities(self) -> list[str]:
        out = []
        for i in range(self.identity_list.count()):
            item = self.identity_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.text())
        return out

    def set_checked(self, names: list[str]) -> None:
        for i in range(self.identity_list.count()):
            item = self.identity_list.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked
            )

    def observer(self) -> str | None:
        data = self.observer_combo.currentData()
        return data if isinstance(data, str) else None

    def set_observer(self, name: str | None) -> None:
        index = self.observer_combo.findData(name) if name else 0
        self.observer_combo.setCurrentIndex(max(index, 0))

    def channels(self) -> list[ChannelRef]:
        return parse_channels(self.channels_edit.text(), self.private_box.isChecked())

    # ------------------------------------------------------------------ the matrix

    def start_matrix(self, identities: list[str], channels: list[ChannelRef]) -> None:
        """An empty matrix: every cell pending."""
        self.matrix = Matrix(identities=list(identities), channels=list(channels))
        self.differences = {}
        self._rows = {}
        self.table.setRowCount(0)
        self.table.setRowCount(len(identities) * len(channels))
        row = 0
        for channel in channels:
            for identity in identities:
                self._rows[(channel, identity)] = row
                ch_item = QTableWidgetItem(channel.label)
                if channel.private:
                    ch_item.setToolTip("private channel")
                self.table.setItem(row, COL_CHANNEL, ch_item)
                self.table.setItem(row, COL_IDENTITY, QTableWidgetItem(identity))
                for col, cap in enumerate(CAPABILITIES, FIRST_CAP):
                    item = QTableWidgetItem(PENDING)
                    item.setData(CellRole, (identity, channel, cap))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(row, col, item)
                row += 1

    def set_cell(self, cell: Cell) -> None:
        """Show one measured cell (a re-run replaces it)."""
        self.matrix.set(cell)
        self._paint(cell.identity, cell.channel, cell.capability)

    def mark_pending(self, identity: str, channel: ChannelRef, cap: Capability) -> None:
        item = self.item(identity, channel, cap)
        if item is not None:
            item.setText(PENDING)
            item.setToolTip("measuring…")

    def item(self, identity: str, channel: ChannelRef, cap: Capability) -> QTableWidgetItem | None:
        row = self._rows.get((channel, identity))
        if row is None:
            return None
        return self.table.item(row, FIRST_CAP + CAPABILITIES.index(cap))

    def set_differences(self, differences: list[Difference] | None) -> None:
        """Highlight ``differences`` (None: no expectation loaded)."""
        old = set(self.differences)
        self.differences = {d.key: d for d in differences or ()}
        for key in old | set(self.differences):
            self._paint(*key)

    def _paint(self, identity: str, channel: ChannelRef, cap: Capability) -> None:
        item = self.item(identity, channel, cap)
        cell = self.matrix.get(identity, channel, cap)
        if item is None or cell is None:
            return
        c = theme.colors()
        colour = {Verdict.ALLOWED: c.ok, Verdict.DENIED: c.error, Verdict.UNKNOWN: c.muted}[
            cell.verdict
        ]
        diff = self.differences.get((identity, channel, cap))
        tint = QColor(c.warning if diff is not None else colour)
        tint.setAlpha(90 if diff is not None else 45)
        text = MARKS[cell.verdict]
        font = QFont(item.font())
        font.setBold(diff is not None)
        tip = [f"{identity} · {channel.label} · {cap.label}: {cell.verdict.value}"]
        if cell.reason:
            tip.append(safe_text(cell.reason))
        if cell.waited_s is not None:
            tip.append(f"waited {cell.waited_s:g} s")
        if diff is not None:
            text += f" ≠ {diff.expected}"
            tip.insert(1, f"expected {diff.expected}")
        item.setText(text)
        item.setForeground(QBrush(colour))
        item.setBackground(QBrush(tint))
        item.setFont(font)
        item.setToolTip("\n".join(tip))

    # ------------------------------------------------------------------ state

    def set_running(self, running: bool) -> None:
        self._running = running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.open_button.setEnabled(not running)
        self.profile_button.setEnabled(not running)
        self._selection_changed()

    def set_note(self, text: str) -> None:
        self.note_label.setText(text)

    def set_expected_text(self, text: str) -> None:
        self.expected_label.setText(text)

    def selected_cell(self) -> tuple[str, ChannelRef, Capability] | None:
        items = self.table.selectedItems()
        if not items:
            return None
        data = items[0].data(CellRole)
        return tuple(data) if isinstance(data, tuple) else None

    def _selection_changed(self) -> None:
        key = self.selected_cell()
        self.rerun_button.setEnabled(
            not self._running and key is not None and self.matrix.get(*key) is not None
        )

    def _rerun_selected(self) -> None:
        key = self.selected_cell()
        if key is not None:
            self.rerun_requested.emit(*key)

    def _double_clicked(self, row: int, col: int) -> None:
        item = self.table.item(row, col)
        data = item.data(CellRole) if item is not None else None
        if isinstance(data, tuple) and not self._running and self.matrix.get(*data) is not None:
            self.rerun_requested.emit(*data)
