"""Send history of one tab: the last 50 distinct sends, newest first (pure, serializable).

It is saved in the settings file and recalled into the composer, so its size is capped: a send
whose event and payload together are over :data:`ENTRY_LIMIT` characters (64 KiB) is not
remembered, and the oldest entries go once a tab's history holds more than
:data:`TOTAL_LIMIT` characters (256 KiB). Before the caps a few sends of megabyte payloads
made the settings file megabytes long (QA finding 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: How many sends a tab remembers (the issue's "last 50").
HISTORY_LIMIT: Final = 50
#: The longest send remembered, in characters of event plus payload.
ENTRY_LIMIT: Final = 64 * 1024
#: The most characters one tab's history holds; the oldest entries go first.
TOTAL_LIMIT: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class SendTemplate:
    """What the user sent: the event and the payload text exactly as typed."""

    event: str
    payload: str

    def label(self, width: int = 60) -> str:
        """One line for a dropdown: ``event  {"a":1}``."""
        text = " ".join(self.payload.split())
        line = f"{self.event}  {text}"
        return line if len(line) <= width else line[: width - 1] + "…"

    @property
    def size(self) -> int:
        """Characters of event plus payload (what the caps count)."""
        return len(self.event) + len(self.payload)


class SendHistory:
    """Most recent first; sending the same event and payload again moves it to the top."""

    def __init__(
        self,
        items: list[SendTemplate] | None = None,
        limit: int = HISTORY_LIMIT,
        *,
        entry_limit: int = ENTRY_LIMIT,
        total_limit: int = TOTAL_LIMIT,
    ) -> None:
        self._limit = limit
        self._entry_limit = entry_limit
        self._total_limit = total_limit
        self._items: list[SendTemplate] = []
        for item in items or []:
            if item not in self._items and self.fits(item):
                self._items.append(item)
        self._trim()

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> SendTemplate:
        return self._items[index]

    @property
    def items(self) -> list[SendTemplate]:
        return list(self._items)

    def fits(self, item: SendTemplate) -> bool:
        """Whether ``item`` is small enough to be remembered."""
        return item.size <= self._entry_limit

    @property
    def total_size(self) -> int:
        return sum(item.size for item in self._items)

    def add(self, item: SendTemplate) -> bool:
        """Remember ``item`` at the top; False (and nothing changes) when it is too big."""
        if not self.fits(item):
            return False
        if item in self._items:
            self._items.remove(item)
        self._items.insert(0, item)
        self._trim()
        return True

    def _trim(self) -> None:
        del self._items[self._limit :]
        total = self.total_size
        while len(self._items) > 1 and total > self._total_limit:
            total -= self._items.pop().size

    def to_data(self) -> list[dict[str, str]]:
        return [{"event": i.event, "payload": i.payload} for i in self._items]

    @classmethod
    def from_data(cls, data: Any, limit: int = HISTORY_LIMIT) -> SendHistory:
        """Rebuild from :meth:`to_data` output; anything malformed is skipped."""
        items: list[SendTemplate] = []
        if isinstance(data, list):
            for entry in data:
                if (
                    isinstance(entry, dict)
                    and isinstance(entry.get("event"), str)
                    and isinstance(entry.get("payload"), str)
                ):
                    items.append(SendTemplate(entry["event"], entry["payload"]))
        return cls(items, limit)
