"""The cells of a message table as shown (visible columns in their on-screen order), for the
CSV export of a tab and for Copy rows as TSV (issue #15 item 5): one code path for both."""

from __future__ import annotations

import base64
from collections.abc import Iterator

from PySide6.QtCore import Qt

from inspector.protocol.redact import redact_bytes
from inspector.store import MessageRecord, PayloadFormat

from .message_filter_proxy import MessageFilterProxyModel
from .message_table_model import COL_PAYLOAD, MessageTableModel
from .message_table_view import MessageTableView


def csv_payload(record: MessageRecord) -> str:
    """The Payload column of a CSV export: the whole payload, not the table's cut preview; a
    binary one with its secrets masked in place (base64 hides them from the cell's redaction)."""
    if record.format is PayloadFormat.BINARY:
        return "base64:" + base64.b64encode(redact_bytes(record.payload)).decode("ascii")
    return record.payload.decode("utf-8", "replace")


def table_cells(
    table: MessageTableView,
    proxy: MessageFilterProxyModel,
    model: MessageTableModel,
    only: list[MessageRecord] | None = None,
) -> tuple[list[str], Iterator[list[str]], int]:
    """Header, rows and row count of the table as shown: visible columns in their on-screen
    order, the rows the filters let through (or the rows ``only``, such as the selected
    ones)."""
    header = table.horizontalHeader()
    columns = [
        header.logicalIndex(visual)
        for visual in range(header.count())
        if not table.isColumnHidden(header.logicalIndex(visual))
    ]
    names = [
        str(proxy.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for col in columns
    ]
    if only is not None:
        records = list(only)
    else:
        records = [r for r in (proxy.record_at(row) for row in range(proxy.rowCount())) if r]

    def rows() -> Iterator[list[str]]:
        for record in records:
            row = model.row_of(record)
            cells = []
            for col in columns:
                if col == COL_PAYLOAD:
                    cells.append(csv_payload(record))
                elif row is None:
                    cells.append("")
                else:
                    value = model.data(model.index(row, col))
                    cells.append("" if value is None else str(value))
            yield cells

    return names, rows(), len(records)
