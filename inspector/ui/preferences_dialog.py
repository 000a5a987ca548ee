"""PreferencesDialog: rows kept per tab, payload memory for all tabs, timeouts."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.store import Preferences
from inspector.store.messages.log import MAX_CAPACITY, MAX_MEMORY_MB, MIN_CAPACITY, MIN_MEMORY_MB


class PreferencesDialog(QDialog):
    def __init__(self, preferences: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._base = preferences
        self.capacity_spin = QSpinBox()
        self.capacity_spin.setRange(MIN_CAPACITY, MAX_CAPACITY)
        self.capacity_spin.setSingleStep(1000)
        self.capacity_spin.setGroupSeparatorShown(True)
        self.capacity_spin.setValue(preferences.ring_capacity)
        self.capacity_spin.setAccessibleName("Rows kept per tab")
        self.memory_spin = QSpinBox()
        self.memory_spin.setRange(MIN_MEMORY_MB, MAX_MEMORY_MB)
        self.memory_spin.setSingleStep(64)
        self.memory_spin.setSuffix(" MB")
        self.memory_spin.setGroupSeparatorShown(True)
        self.memory_spin.setValue(preferences.memory_mb)
        self.memory_spin.setAccessibleName("Payload memory for all tabs")
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0.5, 120.0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(preferences.push_timeout_s)
        self.timeout_spin.setAccessibleName("Push timeout")
        self.heartbeat_spin = QDoubleSpinBox()
        self.heartbeat_spin.setRange(1.0, 120.0)
        self.heartbeat_spin.setSuffix(" s")
        self.heartbeat_spin.setValue(preferences.heartbeat_s)
        self.heartbeat_spin.setAccessibleName("Heartbeat interval")
        form = QFormLayout()
        form.addRow("Rows kept per tab", self.capacity_spin)
        form.addRow("Payload memory (all tabs)", self.memory_spin)
        form.addRow(
            "",
            QLabel(
                "Older rows are evicted past either bound; the tab that holds the most\n"
                "payload bytes gives up its oldest rows first. The counts line says how many."
            ),
        )
        form.addRow("Ack / REST timeout", self.timeout_spin)
        form.addRow("Heartbeat every", self.heartbeat_spin)
        form.addRow("", QLabel("Applies from the next connect."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def preferences(self) -> Preferences:
        return replace(
            self._base,
            ring_capacity=self.capacity_spin.value(),
            memory_mb=self.memory_spin.value(),
            push_timeout_s=self.timeout_spin.value(),
            heartbeat_s=self.heartbeat_spin.value(),
        ).clamped()
