"""Table filters: free text over event and payload, and an event-name filter (pure).

Both are case-insensitive. The event filter takes a comma-separated list of names; ``*`` (any
run of characters) and ``?`` (one character) are wildcards, so ``cursor*`` matches
``cursor-move``. Every other character stands for itself, ``[`` included (``tock[1]`` is the
event ``tock[1]``, ``*[*`` any event with a ``[``), and a backslash makes the next character
literal: ``a\\*`` is the event ``a*``, ``a\\,b`` keeps its comma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .records import Direction, MessageRecord

_SPLIT = re.compile(r"(?<!\\),")  # a comma not escaped with a backslash


def parse_event_list(text: str) -> tuple[str, ...]:
    """``"a, B ,,c"`` -> ``("a", "b", "c")``; an empty text or ``*`` alone means all events."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in _SPLIT.split(text) if p.strip()))
    return () if names in ((), ("*",)) else names


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The regular expression of a pattern with wildcards or escapes; None for a plain name."""
    if not any(c in pattern for c in "*?\\"):
        return None
    out: list[str] = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.S)


def event_matches(event: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``event`` matches one of the lower-case ``patterns`` (empty matches all)."""
    if not patterns:
        return True
    lowered = event.lower()
    for pattern in patterns:
        if pattern == lowered or pattern == "*":
            return True
        regex = _pattern(pattern)
        if regex is not None and regex.fullmatch(lowered):
            return True
    return False


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
