"""RingLog: the bounded ring buffer with insert/evict notifications behind both logs.

:class:`~inspector.store.messages.log.MessageLog` (a tab's rows) and
:class:`~inspector.store.frames.frames.FrameLog` (the Frames view) are this one buffer over different
items. Items are addressed two ways: by ``row`` (0 = the oldest retained item) and by ``seq``, a
number the log writes into the item (``item.seq``) that grows by one per inserted item and never
repeats, so an item keeps its identity while older ones are evicted around it. Retained items
always hold the consecutive seqs ``first_seq .. end_seq - 1``.

Counts kept for people (the issue's "visible count of evicted rows"), all since the last clear:

    received == len(log) + evicted_count + pending_count

Pause keeps new items in a pending buffer (bounded by the capacity; overflow counts as evicted)
and Resume inserts them in arrival order; :attr:`RingLog.arrived_while_paused` counts every item
that came during the pause, also those the bound dropped. Listeners hear about every change
synchronously; the Qt models coalesce those notifications into batched row inserts.

Bytes as well as rows (issue #10 item 11): each item weighs ``item.weight`` bytes (a record's
payload and meta, a frame's kept data). Logs that share one :class:`ByteBudget` hold at most its ``limit`` in
total (retained and pending items). When an insert takes the total over the limit, the log that
holds the most bytes gives up its oldest items (pending ones first while it is paused, so a
paused table holds still) until the total fits; the item just inserted is never dropped, so one
message larger than the whole budget is still shown. Those drops count in
:attr:`RingLog.evicted_count` and separately in :attr:`RingLog.evicted_by_size`.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Sequenced(Protocol):
    """An item a :class:`RingLog` can hold: it has a ``seq`` the log assigns and a ``weight``,
    the bytes it keeps alive, that the log's :class:`ByteBudget` counts."""

    seq: int

    @property
    def weight(self) -> int: ...


class ChangeListener(Protocol):
    """Receives a log's change notifications (called synchronously, in order)."""

    def log_changed(self, inserted: int, evicted: int) -> None:
        """``inserted`` items were appended and ``evicted`` oldest ones dropped.

        While paused, ``(0, 0)`` says that items were added to the pending buffer.

        The counts are raw (an item may be inserted and evicted in one batch); a listener that
        mirrors rows compares its own window with :attr:`RingLog.first_seq` and ``end_seq``.
        """

    def log_reset(self) -> None:
        """The log was cleared."""


T = TypeVar("T", bound=Sequenced)
L = TypeVar("L", bound=ChangeListener)


class ByteBudget:
    """A limit on the bytes that several :class:`RingLog` s hold together (None: no limit).

    ``used`` is kept up to date by the logs on every insert and drop; a log that is garbage
    collected without :meth:`RingLog.clear` is forgotten at the next trim.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1 byte")
        self.limit = limit
        self.used = 0
        self._logs: weakref.WeakSet[RingLog[Any, Any]] = weakref.WeakSet()

    def add(self, log: RingLog[Any, Any]) -> None:
        self._logs.add(log)

    def set_limit(self, limit: int | None) -> None:
        """Change the limit; logs over it are trimmed at once (listeners hear of it)."""
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1 byte")
        self.limit = limit
        self.trim(None)

    def trim(self, inserting: RingLog[Any, Any] | None) -> int:
        """Drop the oldest items of the heaviest logs until ``used`` fits the limit.

        Returns how many items ``inserting`` lost (its caller reports them in its own change
        notification); every other log notifies its listeners here.
        """
        limit = self.limit
        if limit is None:
            return 0
        logs = list(self._logs)
        self.used = sum(log._bytes for log in logs)  # forgets logs that were collected
        own = 0
        dropped: dict[int, tuple[RingLog[Any, Any], int]] = {}
        while self.used > limit:
            victim = max(logs, key=_droppable_bytes, default=None)
            if victim is None or _droppable_bytes(victim) <= 0:
                break
            removed = victim._drop_oldest()
            if victim is inserting:
                own += removed
            else:
                _, count = dropped.get(id(victim), (victim, 0))
                dropped[id(victim)] = (victim, count + removed)
        for victim, count in dropped.values():
            victim._notify_changed(0, count)
        return own


def _droppable_bytes(log: RingLog[Any, Any]) -> int:
    """Bytes a log can give up: pending items while paused, else every row but the newest."""
    if (log._paused and log._pending) or log._len > 1:
        return log._bytes
    return 0


class RingLog(Generic[T, L]):
    """A bounded, append-only list of items with eviction of the oldest, pause and clear."""

    def __init__(self, capacity: int, budget: ByteBudget | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._budget = budget if budget is not None else ByteBudget()
        self._budget.add(self)
        #: bytes of the retained and pending items.
        self._bytes = 0
        self._evicted_by_size = 0
        self._paused_received = 0
        self._buf: list[T | None] = [None] * capacity
        self._head = 0
        self._len = 0
        self._next_seq = 0
        self._received = 0
        self._evicted = 0
        self._paused = False
        self._pending: deque[T] = deque()
        # A tuple, replaced on change: notifying iterates a snapshot without copying it.
        self._listeners: tuple[L, ...] = ()

    # ------------------------------------------------------------------------------ listeners

    def add_listener(self, listener: L) -> None:
        self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: L) -> None:
        if listener in self._listeners:
            listeners = list(self._listeners)
            listeners.remove(listener)
            self._listeners = tuple(listeners)

    def _notify_changed(self, inserted: int, evicted: int) -> None:
        for listener in self._listeners:
            listener.log_changed(inserted, evicted)

    # ------------------------------------------------------------------------------ reading

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, row: int) -> T:
        if row < 0:
            row += self._len
        if not 0 <= row < self._len:
            raise IndexError(row)
        item = self._buf[(self._head + row) % self._capacity]
        assert item is not None
        return item

    def __iter__(self) -> Iterator[T]:
        for row in range(self._len):
            yield self[row]

    @property
    def first_seq(self) -> int:
        """Seq of row 0 (equals :attr:`end_seq` when the log is empty)."""
        return self._next_seq - self._len

    @property
    def end_seq(self) -> int:
        """The seq the next inserted item gets."""
        return self._next_seq

    def by_seq(self, seq: int) -> T | None:
        """The retained item with this seq, or None when it was evicted (or not inserted yet)."""
        row = seq - self.first_seq
        if 0 <= row < self._len:
            return self[row]
        return None

    def contains(self, item: T) -> bool:
        """Whether this very item is retained (not evicted, not pending)."""
        return item.seq >= 0 and self.by_seq(item.seq) is item

    @property
    def received_count(self) -> int:
        """Items handed to the log since the last clear."""
        return self._received

    @property
    def evicted_count(self) -> int:
        """Items dropped by the bound since the last clear."""
        return self._evicted

    @property
    def evicted_by_size(self) -> int:
        """Of :attr:`evicted_count`, the items dropped by the byte budget."""
        return self._evicted_by_size

    @property
    def retained_bytes(self) -> int:
        """Bytes of the retained and pending items (what the byte budget counts)."""
        return self._bytes

    @property
    def budget(self) -> ByteBudget:
        return self._budget

    @property
    def arrived_while_paused(self) -> int:
        """Items handed to the log since the last pause (0 when not paused), including those
        the bound dropped: what the "N new" badge counts."""
        return self._paused_received if self._paused else 0

    @property
    def pending_count(self) -> int:
        """Items waiting while paused."""
        return len(self._pending)

    @property
    def paused(self) -> bool:
        return self._paused

    # ------------------------------------------------------------------------------ writing

    def append(self, item: T) -> None:
        """Add one item at the end (or to the pending buffer while paused).

        The hot path (once per message or frame): no batch bookkeeping.
        """
        self._received += 1
        if self._paused:
            self._paused_received += 1
            self._hold(item)
            self._weigh(item)
            # Nothing was inserted, but the counts changed ("N new" badges).
            self._notify_changed(0, 0)
            return
        # _weigh inlined: this runs once per message.
        size = item.weight
        self._bytes += size
        budget = self._budget
        budget.used += size
        evicted = self._insert(item)
        limit = budget.limit
        if limit is not None and budget.used > limit:
            evicted += budget.trim(self)
        self._notify_changed(1, evicted)

    def extend(self, items: Iterable[T]) -> None:
        """Add items in order, with one notification for the whole batch."""
        inserted = evicted = 0
        if self._paused:
            for item in items:
                inserted += 1
                self._hold(item)
                self._weigh(item)
            self._received += inserted
            self._paused_received += inserted
            if inserted:
                self._notify_changed(0, 0)
            return
        for item in items:
            inserted += 1
            evicted += self._insert(item)
            evicted += self._weigh(item)
        self._received += inserted
        if inserted:
            self._notify_changed(inserted, evicted)

    def _weigh(self, item: T) -> int:
        """Count ``item``'s bytes; when that takes the budget over its limit, trim. Returns how
        many retained rows of this log the trim evicted."""
        size = item.weight
        self._bytes += size
        budget = self._budget
        budget.used += size
        limit = budget.limit
        if limit is not None and budget.used > limit:
            return budget.trim(self)
        return 0

    def _drop_oldest(self) -> int:
        """Drop this log's oldest item for the byte budget (pending first while paused).

        Returns 1 when a retained row was evicted (listeners must hear of it), else 0.
        """
        self._evicted += 1
        self._evicted_by_size += 1
        if self._paused and self._pending:
            self._unweigh(self._pending.popleft())
            return 0
        oldest = self._buf[self._head]
        assert oldest is not None
        self._buf[self._head] = None
        self._head = (self._head + 1) % self._capacity
        self._len -= 1
        self._unweigh(oldest)
        return 1

    def _unweigh(self, item: T) -> None:
        size = item.weight
        self._bytes -= size
        self._budget.used -= size

    def _hold(self, item: T) -> None:
        if len(self._pending) >= self._capacity:
            self._unweigh(self._pending.popleft())
            self._evicted += 1
        self._pending.append(item)

    def _insert(self, item: T) -> int:
        """Put ``item`` in the ring; returns 1 when that evicted the oldest, else 0."""
        item.seq = self._next_seq
        self._next_seq += 1
        cap = self._capacity
        if self._len < cap:
            self._buf[(self._head + self._len) % cap] = item
            self._len += 1
            return 0
        old = self._buf[self._head]
        if old is not None:
            size = old.weight
            self._bytes -= size
            self._budget.used -= size
        self._buf[self._head] = item
        self._head = (self._head + 1) % cap
        self._evicted += 1
        return 1

    def pause(self) -> None:
        """Hold new items in the pending buffer; the table stops moving."""
        if not self._paused:
            self._paused_received = 0
        self._paused = True

    def resume(self) -> None:
        """Insert the pending items in arrival order and continue live."""
        self._paused = False
        pending, self._pending = self._pending, deque()
        if pending:
            evicted = sum(self._insert(item) for item in pending)
            self._notify_changed(len(pending), evicted)

    def clear(self) -> None:
        """Drop every item (and the pending ones); counts start again from zero."""
        self._budget.used -= self._bytes
        self._bytes = 0
        self._evicted_by_size = 0
        self._paused_received = 0
        self._buf = [None] * self._capacity
        self._head = 0
        self._len = 0
        self._received = 0
        self._evicted = 0
        self._pending.clear()
        for listener in self._listeners:
            listener.log_reset()

    def set_capacity(self, capacity: int) -> None:
        """Change the bound; the oldest rows are evicted when it shrinks below the length."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if capacity == self._capacity:
            return
        kept = [self[row] for row in range(max(0, self._len - capacity), self._len)]
        dropped = self._len - len(kept)
        for row in range(dropped):
            self._unweigh(self[row])
        self._capacity = capacity
        self._buf = [None] * capacity
        self._buf[: len(kept)] = kept
        self._head = 0
        self._len = len(kept)
        while len(self._pending) > capacity:
            self._unweigh(self._pending.popleft())
            self._evicted += 1
        if dropped:
            self._evicted += dropped
            self._notify_changed(0, dropped)
