"""Send history of one tab: the last 50 distinct sends, newest first (pure, serializable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: How many sends a tab remembers (the issue's "last 50").
HISTORY_LIMIT: Final = 50


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


class SendHistory:
    """Most recent first; sending the same event and payload again moves it to the top."""

    def __init__(self, items: list[SendTemplate] | None = None, limit: int = HISTORY_LIMIT) -> None:
        self._limit = limit
        self._items: list[SendTemplate] = []
        for item in items or []:
            if item not in self._items:
                self._items.append(item)
        del self._items[limit:]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> SendTemplate:
        return self._items[index]

    @property
    def items(self) -> list[SendTemplate]:
        return list(self._items)

    def add(self, item: SendTemplate) -> None:
        if item in self._items:
            self._items.remove(item)
        self._items.insert(0, item)
        del self._items[self._limit :]

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
