"""LogControls: the Pause and Clear buttons and the counts label over one ring log.

A channel tab (:class:`~inspector.ui.channels.channel_panel.ChannelPanel`) and the Frames view
(:class:`~inspector.ui.frames.frames_panel.FramesPanel`) both show a
:class:`~inspector.store.ring.RingLog` through a table model and a filter proxy, with the same
Pause/Resume behaviour and the same "N shown · of M · K evicted (S size cap) · P new" counts. The small
widget factories both use (tool buttons, filter fields, the filter's debounce timer) live here
too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QTableView, QToolButton

from inspector.store.ring import RingLog

from . import icons
from .ring_table_model import RingTableModel

#: How long typing in a filter field waits before the filter is applied.
FILTER_DELAY_MS: Final = 150


def tool_button(
    icon: str, text: str, *, checkable: bool = False, tooltip: str | None = None
) -> QToolButton:
    """A tool button with an icon and its text beside it."""
    button = QToolButton()
    button.setIcon(icons.icon(icon))
    button.setText(text)
    if checkable:
        button.setCheckable(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    if tooltip is not None:
        button.setToolTip(tooltip)
    return button


def fix_width(button: QToolButton, *texts: str) -> None:
    """Give ``button`` the width of its widest text, so that neighbours never move when its
    text changes (issue #10 item 19)."""
    current = button.text()
    width = 0
    for text in (current, *texts):
        button.setText(text)
        width = max(width, button.sizeHint().width())
    button.setText(current)
    button.setFixedWidth(width)


def counts_label(accessible_name: str) -> QLabel:
    """A counts line whose changing text never resizes its neighbours: it takes the width its
    layout gives it (stretch) and shows the whole text in its tooltip when cut."""
    label = QLabel()
    label.setAccessibleName(accessible_name)
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    policy.setHorizontalStretch(1)
    label.setSizePolicy(policy)
    label.setMinimumWidth(0)
    return label


def filter_field(placeholder: str, accessible_name: str) -> QLineEdit:
    """A filter text field with a clear button."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    edit.setAccessibleName(accessible_name)
    return edit


def debounce_timer(parent: QObject, slot: Callable[[], Any]) -> QTimer:
    """A single-shot timer that calls ``slot`` :data:`FILTER_DELAY_MS` after its last start."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(FILTER_DELAY_MS)
    timer.timeout.connect(slot)
    return timer


def select_last_row(table: QTableView) -> None:
    """Select the last row the table shows, if any."""
    model = table.model()
    rows = model.rowCount() if model is not None else 0
    if rows:
        table.selectRow(rows - 1)


class LogControls:
    """Pause (checkable; "Resume" while paused) and Clear buttons of fixed widths and a counts
    label for a ring log shown through ``model`` and ``proxy``. The panel lays them out (the
    counts label with a stretch) and wires Clear."""

    def __init__(
        self,
        log: RingLog[Any, Any],
        model: RingTableModel,
        proxy: QSortFilterProxyModel,
        *,
        pause_tooltip: str,
        counts_name: str,
    ) -> None:
        self.log = log
        self.model = model
        self.proxy = proxy
        self._pause_tip = pause_tooltip
        self.pause_button = tool_button("pause", "Pause", checkable=True, tooltip=pause_tooltip)
        self.clear_button = tool_button("clear", "Clear")
        fix_width(self.pause_button, "Resume")
        fix_width(self.clear_button)
        self.counts_label = counts_label(counts_name)

    def set_paused(self, paused: bool) -> bool:
        """Pause the log, or resume it and show the held rows at once; the button follows.

        Returns False (and does nothing) when the log already was in that state.
        """
        log = self.log
        if paused == log.paused:
            return False
        if paused:
            log.pause()
            self.pause_button.setIcon(icons.icon("resume"))
        else:
            log.resume()
            self.model.flush()
            self.pause_button.setIcon(icons.icon("pause"))
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        return True

    def show_counts(self, *more: str, zero_evicted: bool = True) -> None:
        """Rows shown (and of how many), evicted (also when 0 unless ``zero_evicted`` is
        False; "(N size cap)" for those the byte budget dropped), what arrived while paused
        (and how many of those are held when the bound dropped some), then ``more``; and the
        Pause button's text."""
        log = self.log
        shown = self.proxy.rowCount()
        parts = [f"{shown:,} shown"]
        if shown != len(log):
            parts.append(f"of {len(log):,}")
        if zero_evicted or log.evicted_count:
            evicted = f"{log.evicted_count:,} evicted"
            if log.evicted_by_size:
                evicted += f" ({log.evicted_by_size:,} size cap)"
            parts.append(evicted)
        if log.paused:
            arrived = log.arrived_while_paused
            new = f"{arrived:,} new"
            if log.pending_count != arrived:
                new += f" ({log.pending_count:,} held)"
            parts.append(new)
        parts.extend(more)
        text = " · ".join(parts)
        self.counts_label.setText(text)
        self.counts_label.setToolTip(text)
        self.pause_button.setText("Resume" if log.paused else "Pause")
        self.pause_button.setToolTip(
            f"Resume: show the {log.pending_count:,} held rows" if log.paused else self._pause_tip
        )
