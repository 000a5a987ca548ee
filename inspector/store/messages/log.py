"""The bounded message log of one channel: a ring buffer with insert/evict notifications.

Rows are addressed two ways: by ``row`` (0 = the oldest retained record) and by ``seq``, a
number that grows by one per inserted record and never repeats, so a row keeps its identity
while older rows are evicted around it. Retained records always hold the consecutive seqs
``first_seq .. end_seq - 1``.

Counts kept for people (the issue's "visible count of evicted rows"), all since the last clear:

    received == len(log) + evicted_count + pending_count

Pause keeps new records in a pending buffer (bounded by the capacity; overflow counts as
evicted) and Resume inserts them in arrival order. Listeners hear about every change
synchronously; the Qt model coalesces those notifications into batched row inserts. The ring
itself is :class:`~inspector.store.ring.RingLog`, shared with the Frames view's log.
"""

from __future__ import annotations

from typing import Final, Protocol

from inspector.store.messages.records import MessageRecord
from inspector.store.ring import ByteBudget, ChangeListener, RingLog

#: Default bound of a channel's log (the issue's "default 10,000 rows").
DEFAULT_CAPACITY: Final = 10_000
#: Bounds a user may choose in the preferences.
MIN_CAPACITY: Final = 100
MAX_CAPACITY: Final = 1_000_000
#: Default byte budget shared by every tab's log, in MB (issue #10 item 11: payload bytes).
DEFAULT_MEMORY_MB: Final = 256
#: Bounds a user may choose in the preferences, in MB.
MIN_MEMORY_MB: Final = 16
MAX_MEMORY_MB: Final = 16_384


class LogListener(ChangeListener, Protocol):
    """Receives a log's change notifications (called synchronously, in order):
    ``log_changed(inserted, evicted)`` and ``log_reset()`` as for every
    :class:`~inspector.store.ring.ChangeListener`, plus ``log_updated``."""

    def log_updated(self, record: MessageRecord) -> None:
        """A retained record changed in place (the status of an outgoing row)."""


class MessageLog(RingLog[MessageRecord, LogListener]):
    """A bounded, append-only list of :class:`MessageRecord` with eviction of the oldest."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, budget: ByteBudget | None = None) -> None:
        super().__init__(capacity, budget)

    def notify_updated(self, record: MessageRecord) -> None:
        """Tell listeners that a retained record changed in place (no-op otherwise)."""
        if self.contains(record):
            for listener in self._listeners:
                listener.log_updated(record)
