"""The bounded message log of one channel: a ring buffer with insert/evict notifications.

Rows are addressed two ways: by ``row`` (0 = the oldest retained record) and by ``seq``, a
number that grows by one per inserted record and never repeats, so a row keeps its identity
while older rows are evicted around it. Retained records always hold the consecutive seqs
``first_seq .. end_seq - 1``.

Counts kept for people (the issue's "visible count of evicted rows"), all since the last clear:

    received == len(log) + evicted_count + pending_count

Pause keeps new records in a pending buffer (bounded by the capacity; overflow counts as
evicted) and Resume inserts them in arrival order. Listeners hear about every change
synchronously; the Qt model coalesces those notifications into batched row inserts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Final, Protocol

from .records import MessageRecord

#: Default bound of a channel's log (the issue's "default 10,000 rows").
DEFAULT_CAPACITY: Final = 10_000
#: Bounds a user may choose in the preferences.
MIN_CAPACITY: Final = 100
MAX_CAPACITY: Final = 1_000_000


class LogListener(Protocol):
    """Receives a log's change notifications (called synchronously, in order)."""

    def log_changed(self, inserted: int, evicted: int) -> None:
        """``inserted`` records were appended and ``evicted`` oldest ones dropped.

        While paused, ``(0, 0)`` says that records were added to the pending buffer.

        The counts are raw (a record may be inserted and evicted in one batch); a listener that
        mirrors rows compares its own window with :attr:`MessageLog.first_seq` and ``end_seq``.
        """

    def log_reset(self) -> None:
        """The log was cleared."""

    def log_updated(self, record: MessageRecord) -> None:
        """A retained record changed in place (the status of an outgoing row)."""


class MessageLog:
    """A bounded, append-only list of :class:`MessageRecord` with eviction of the oldest."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._buf: list[MessageRecord | None] = [None] * capacity
        self._head = 0
        self._len = 0
        self._next_seq = 0
        self._received = 0
        self._evicted = 0
        self._paused = False
        self._pending: deque[MessageRecord] = deque()
        self._listeners: list[LogListener] = []

    # ------------------------------------------------------------------------------ listeners

    def add_listener(self, listener: LogListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: LogListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify_changed(self, inserted: int, evicted: int) -> None:
        for listener in list(self._listeners):
            listener.log_changed(inserted, evicted)

    # ------------------------------------------------------------------------------ reading

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, row: int) -> MessageRecord:
        if row < 0:
            row += self._len
        if not 0 <= row < self._len:
            raise IndexError(row)
        record = self._buf[(self._head + row) % self._capacity]
        assert record is not None
        return record

    def __iter__(self) -> Iterator[MessageRecord]:
        for row in range(self._len):
            yield self[row]

    @property
    def first_seq(self) -> int:
        """Seq of row 0 (equals :attr:`end_seq` when the log is empty)."""
        return self._next_seq - self._len

    @property
    def end_seq(self) -> int:
        """The seq the next inserted record gets."""
        return self._next_seq

    def by_seq(self, seq: int) -> MessageRecord | None:
        """The retained record with this seq, or None when it was evicted (or not inserted yet)."""
        row = seq - self.first_seq
        if 0 <= row < self._len:
            return self[row]
        return None

    def contains(self, record: MessageRecord) -> bool:
        """Whether this very record is retained (not evicted, not pending)."""
        return record.seq >= 0 and self.by_seq(record.seq) is record

    @property
    def received_count(self) -> int:
        """Records handed to the log since the last clear."""
        return self._received

    @property
    def evicted_count(self) -> int:
        """Records dropped by the bound since the last clear."""
        return self._evicted

    @property
    def pending_count(self) -> int:
        """Records waiting while paused."""
        return len(self._pending)

    @property
    def paused(self) -> bool:
        return self._paused

    # ------------------------------------------------------------------------------ writing

    def append(self, record: MessageRecord) -> None:
        """Add one record at the end (or to the pending buffer while paused)."""
        self.extend((record,))

    def extend(self, records: Iterable[MessageRecord]) -> None:
        """Add records in order, with one notification for the whole batch."""
        if self._paused:
            held = dropped = 0
            for record in records:
                held += 1
                if len(self._pending) >= self._capacity:
                    self._pending.popleft()
                    dropped += 1
                self._pending.append(record)
            self._received += held
            self._evicted += dropped
            if held:
                # Nothing was inserted, but the counts changed ("N new" badges).
                self._notify_changed(0, 0)
            return
        inserted, evicted = self._insert(records, count_received=True)
        if inserted or evicted:
            self._notify_changed(inserted, evicted)

    def _insert(self, records: Iterable[MessageRecord], *, count_received: bool) -> tuple[int, int]:
        cap = self._capacity
        buf = self._buf
        inserted = evicted = 0
        for record in records:
            record.seq = self._next_seq
            self._next_seq += 1
            inserted += 1
            if self._len < cap:
                buf[(self._head + self._len) % cap] = record
                self._len += 1
            else:
                buf[self._head] = record
                self._head = (self._head + 1) % cap
                evicted += 1
        if count_received:
            self._received += inserted
        self._evicted += evicted
        return inserted, evicted

    def notify_updated(self, record: MessageRecord) -> None:
        """Tell listeners that a retained record changed in place (no-op otherwise)."""
        if self.contains(record):
            for listener in list(self._listeners):
                listener.log_updated(record)

    def pause(self) -> None:
        """Hold new records in the pending buffer; the table stops moving."""
        self._paused = True

    def resume(self) -> None:
        """Insert the pending records in arrival order and continue live."""
        self._paused = False
        pending, self._pending = self._pending, deque()
        if pending:
            inserted, evicted = self._insert(pending, count_received=False)
            self._notify_changed(inserted, evicted)

    def clear(self) -> None:
        """Drop every record (and the pending ones); counts start again from zero."""
        self._buf = [None] * self._capacity
        self._head = 0
        self._len = 0
        self._received = 0
        self._evicted = 0
        self._pending.clear()
        for listener in list(self._listeners):
            listener.log_reset()

    def set_capacity(self, capacity: int) -> None:
        """Change the bound; the oldest rows are evicted when it shrinks below the length."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if capacity == self._capacity:
            return
        kept = [self[row] for row in range(max(0, self._len - capacity), self._len)]
        dropped = self._len - len(kept)
        self._capacity = capacity
        self._buf = [None] * capacity
        self._buf[: len(kept)] = kept
        self._head = 0
        self._len = len(kept)
        while len(self._pending) > capacity:
            self._pending.popleft()
            self._evicted += 1
        if dropped:
            self._evicted += dropped
            self._notify_changed(0, dropped)
