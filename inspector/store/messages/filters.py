"""Table filters: free text over event and payload, and an event-name filter (pure).

Both are case-insensitive. The event filter takes a comma-separated list of names or globs in
the one syntax of :mod:`inspector.protocol.event_filter` (the client's and the CLI's too):
``*`` (any run of characters) and ``?`` (one character) are wildcards, so ``cursor*`` matches
``cursor-move``. Every other character stands for itself, ``[`` included (``tock[1]`` is the
event ``tock[1]``, ``*[*`` any event with a ``[``), and a backslash makes the next character
literal: ``a\\*`` is the event ``a*``, ``a\\,b`` keeps its comma.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.protocol.event_filter import event_matches, parse_event_list
from inspector.store.messages.records import Direction, MessageRecord

__all__ = ["MessageFilter"]


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """What the table shows: rows whose event or payload contains ``text`` and whose event
    matches ``events``; optionally only some directions."""

    #: lower-cased text searched in the event name and the payload text.
    text: str = ""
    #: lower-cased event names or globs; empty means every event.
    events: tuple[str, ...] = ()
    #: directions to show; empty means all.
    directions: frozenset[Direction] = frozenset()

    @classmethod
    def from_inputs(cls, text: str = "", events: str = "") -> MessageFilter:
        """Build a filter from what a user typed in the two filter boxes."""
        return cls(text=text.strip().lower(), events=parse_event_list(events))

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.events and not self.directions

    def matches(self, record: MessageRecord) -> bool:
        if self.directions and record.direction not in self.directions:
            return False
        if self.events and not event_matches(record.event, self.events):
            return False
        if self.text:
            if self.text in record.event.lower():
                return True
            return self.text in record.payload_text().lower()
        return True
