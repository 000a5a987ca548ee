"""MessageFilterProxyModel: the table's text and event-name filters over a MessageTableModel."""

from __future__ import annotations

from PySide6.QtCore import QObject

from inspector.store import MessageFilter

from ..common.ring_table_model import RingFilterProxyModel
from .message_table_model import MessageTableModel


class MessageFilterProxyModel(RingFilterProxyModel):
    """Shows the rows a :class:`MessageFilter` accepts; no sorting (rows stay in arrival order)."""

    source_type = MessageTableModel

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(MessageFilter(), parent)

    @property
    def message_filter(self) -> MessageFilter:
        message_filter: MessageFilter = self._filter
        return message_filter

    def set_message_filter(self, message_filter: MessageFilter) -> None:
        self._set_filter(message_filter)

    #: ``record_at(row)``: the record shown at proxy ``row``, or None.
    record_at = RingFilterProxyModel.item_at
