"""Which broadcast events to deliver: one filter syntax for the client, the CLI and the GUI.

A filter is a list of patterns, matched against the event name without regard to case (as
realtime-js's ``on('broadcast', {event})`` is, §5.3). ``*`` (any run of characters) and ``?``
(one character) are wildcards, so ``cursor*`` matches ``cursor-move``. Every other character
stands for itself, ``[`` included (``tock[1]`` is the event ``tock[1]``, ``*[*`` any event with
a ``[``), and a backslash makes the next character literal: ``a\\*`` is the event ``a*``. A
pattern without wildcards is an exact name. No patterns, or ``*`` among them, means every event.

:func:`parse_event_list` reads what a user types in one box: a comma-separated list, where
``a\\,b`` keeps its comma. The client applies the filter before it builds an event
(:class:`~inspector.protocol.channel.ChannelConfig` ``events``); the GUI's table filter uses
the same :func:`event_matches`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

_SPLIT: Final = re.compile(r"(?<!\\),")  # a comma not escaped with a backslash
_SPECIAL: Final = frozenset("*?\\")


def parse_event_list(text: str) -> tuple[str, ...]:
    """``"a, B ,,c"`` -> ``("a", "b", "c")``; an empty text or ``*`` alone means all events."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in _SPLIT.split(text) if p.strip()))
    return () if names in ((), ("*",)) else names


def _regex(pattern: str) -> str:
    """The regular expression of one lower-case pattern."""
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
    return "".join(out)


class EventFilter:
    """Compiled patterns: exact names in a set, wildcard patterns in one regular expression."""

    __slots__ = ("_names", "_regex", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        #: The lower-case patterns, in order, without duplicates.
        self.patterns: tuple[str, ...] = tuple(dict.fromkeys(p.lower() for p in patterns))
        self._names = frozenset(p for p in self.patterns if not _SPECIAL.intersection(p))
        globs = [_regex(p) for p in self.patterns if _SPECIAL.intersection(p)]
        self._regex = re.compile("|".join(f"(?:{g})" for g in globs), re.S) if globs else None

    @property
    def matches_all(self) -> bool:
        """True when every event passes (no patterns, or ``*``)."""
        return not self.patterns or "*" in self.patterns

    def matches(self, event: str) -> bool:
        """Whether ``event`` matches one of the patterns (every event when there are none)."""
        if not self.patterns:
            return True
        lowered = event.lower()
        if lowered in self._names:
            return True
        regex = self._regex
        return regex is not None and regex.fullmatch(lowered) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventFilter) and other.patterns == self.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __repr__(self) -> str:
        return f"EventFilter({list(self.patterns)!r})"


@lru_cache(maxsize=256)
def compile_events(patterns: tuple[str, ...]) -> EventFilter | None:
    """The filter for ``patterns``, or None when it lets every event through (cached)."""
    flt = EventFilter(patterns)
    return None if flt.matches_all else flt


def event_matches(event: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``event`` matches one of ``patterns`` (no patterns match every event)."""
    flt = compile_events(patterns)
    return flt is None or flt.matches(event)
