"""Table filters: text, event names and a payload predicate (pure).

**Text filter** (one term, searched in the event name and the payload text, case-insensitive):

- ``chat`` -- rows whose event or payload contains ``chat``;
- ``/regex/`` -- rows where the regular expression (Python ``re``, case-insensitive; ``(?-i:…)``
  makes part of it case-sensitive) is found in the event or the payload text;
- a leading ``!`` or ``-`` excludes: ``!typing`` hides the rows that contain ``typing``,
  ``-/"n":\\d+/`` the rows the expression finds something in;
- a leading backslash makes the next character literal: ``\\-1`` searches for ``-1``,
  ``\\/path`` for ``/path``.

**Event filter** (a comma-separated list, case-insensitive):

- names and globs in the one syntax of :mod:`inspector.protocol.event_filter` (the client's and
  the CLI's too): ``*`` any run of characters, ``?`` one character, a backslash makes the next
  character literal (``a\\*``, ``a\\,b``); ``cursor*`` matches ``cursor-move``;
- ``/regex/`` -- events in which the expression is found (anchor with ``^…$``); a comma inside
  the slashes belongs to the expression;
- a leading ``!`` or ``-`` excludes: ``-presence*, !heartbeat``; ``\\-x`` is the event ``-x``.

A row passes when its event matches one of the including items (or there are none) and none of
the excluding ones.

**Payload filter**: a JSONPath predicate in python-jsonpath's filter syntax (the library the
checks use), where ``$`` is the payload: ``$.amount > 100``, ``$.user.name == "ann"``,
``$.tags[0] =~ /^a/``, ``count($.items) > 2 && $.ok == true``; a path alone (``$.error``) keeps
the payloads that have it. Binary payloads and payloads that are not JSON never match.

A text that cannot be compiled raises :class:`FilterError` (which field, and why in the
library's words); the caller keeps the previous filter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import jsonpath

from inspector.protocol.event_filter import EventFilter
from inspector.store.messages.records import Direction, MessageRecord, PayloadFormat

__all__ = ["FilterError", "MessageFilter", "TextTerm", "parse_event_items", "parse_text_term"]

FieldName = Literal["text", "events", "payload"]
_NEGATE: Final = ("!", "-")


class FilterError(ValueError):
    """A filter text that does not compile: ``field`` says which box, ``str()`` says why."""

    def __init__(self, field_name: FieldName, message: str) -> None:
        super().__init__(message)
        self.field: FieldName = field_name


@dataclass(frozen=True, slots=True)
class TextTerm:
    """One compiled text term: a substring (lower case) or a regular expression."""

    source: str
    exclude: bool = False
    #: the lower-cased substring, or "" for a regular expression.
    needle: str = ""
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    def found_in(self, text: str) -> bool:
        if self.regex is not None:
            return self.regex.search(text) is not None
        return self.needle in text.lower()


def _regex(source: str, field_name: FieldName) -> re.Pattern[str]:
    try:
        return re.compile(source, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise FilterError(field_name, f"invalid regular expression /{source}/: {exc}") from None


def _split_negation(text: str) -> tuple[bool, str]:
    """``!x``/``-x`` -> (True, ``x``); ``\\!x``/``\\-x`` -> (False, ``!x``/``-x``)."""
    if text[:1] in _NEGATE:
        return True, text[1:].lstrip()
    return False, text


def _is_regex(text: str) -> bool:
    return len(text) >= 2 and text.startswith("/") and text.endswith("/")


def parse_text_term(text: str) -> TextTerm | None:
    """The text filter's term (None for an empty box); raises :class:`FilterError`."""
    text = text.strip()
    if not text:
        return None
    exclude, body = _split_negation(text)
    if exclude and not body:
        return None  # a lone "-" or "!" while typing: no filter yet
    if _is_regex(body):
        return TextTerm(text, exclude, regex=_regex(body[1:-1], "text"))
    if body[:1] == "\\" and body[1:2] in ("!", "-", "/", "\\"):
        body = body[1:]
    return TextTerm(text, exclude, needle=body.lower())


@dataclass(frozen=True, slots=True)
class EventItem:
    """One item of the event filter: a glob (event_filter syntax) or a regular expression."""

    source: str
    exclude: bool = False
    glob: str = ""
    regex: re.Pattern[str] | None = field(default=None, compare=False)


def _split_items(text: str) -> list[str]:
    """Split at commas, except escaped ones (``\\,``) and those inside a ``/regex/`` item."""
    items: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        start = i
        j = i
        while j < n and text[j] in " \t":
            j += 1
        if j < n and text[j] in _NEGATE:
            j += 1
            while j < n and text[j] in " \t":
                j += 1
        if j < n and text[j] == "/":
            # a regex item: up to the last "/" before a comma (or the end)
            k = j + 1
            end = -1
            while k < n:
                c = text[k]
                if c == "\\":
                    k += 2
                    continue
                if c == "/" and text[k + 1 :].lstrip(" \t")[:1] in ("", ","):
                    end = k
                    break
                k += 1
            if end >= 0:
                items.append(text[start : end + 1])
                rest = text[end + 1 :]
                comma = rest.find(",")
                if comma < 0:
                    break
                i = end + 1 + comma + 1
                continue
        # a glob item: up to the next comma that no backslash escapes
        k = j
        while k < n and text[k] != ",":
            k += 2 if text[k] == "\\" else 1
        items.append(text[start:k])
        i = k + 1
    return items


def parse_event_items(text: str) -> tuple[EventItem, ...]:
    """The event filter's items (empty for an empty box or ``*``); raises
    :class:`FilterError` for a regular expression that does not compile."""
    out: list[EventItem] = []
    for raw in _split_items(text):
        item = raw.strip()
        if not item:
            continue
        exclude, body = _split_negation(item)
        if not body:
            continue
        if _is_regex(body):
            out.append(EventItem(item, exclude, regex=_regex(body[1:-1], "events")))
        else:
            out.append(EventItem(item, exclude, glob=body.lower()))
    if [(i.exclude, i.glob) for i in out] == [(False, "*")]:
        return ()
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class _EventMatcher:
    includes: EventFilter | None
    include_res: tuple[re.Pattern[str], ...]
    excludes: EventFilter | None
    exclude_res: tuple[re.Pattern[str], ...]

    def matches(self, event: str) -> bool:
        if self.excludes is not None and self.excludes.matches(event):
            return False
        if any(r.search(event) for r in self.exclude_res):
            return False
        if self.includes is None and not self.include_res:
            return True
        if self.includes is not None and self.includes.matches(event):
            return True
        return any(r.search(event) for r in self.include_res)


def _event_matcher(items: tuple[EventItem, ...]) -> _EventMatcher | None:
    if not items:
        return None
    globs_in = [i.glob for i in items if not i.exclude and i.regex is None]
    globs_out = [i.glob for i in items if i.exclude and i.regex is None]
    return _EventMatcher(
        EventFilter(globs_in) if globs_in else None,
        tuple(i.regex for i in items if not i.exclude and i.regex is not None),
        EventFilter(globs_out) if globs_out else None,
        tuple(i.regex for i in items if i.exclude and i.regex is not None),
    )


def compile_payload_predicate(text: str) -> Any:
    """The compiled JSONPath query for a payload predicate (None for an empty box); raises
    :class:`FilterError` with python-jsonpath's message."""
    text = text.strip()
    if not text:
        return None
    try:
        # "^" is python-jsonpath's pseudo root: an array around the payload, so that the
        # filter selector tests the payload itself, with "$" (and "@") standing for it.
        return jsonpath.compile(f"^[?{text}]")
    # re.error: python-jsonpath compiles a `=~ /…/` literal with re and lets its error through
    except (jsonpath.JSONPathError, re.error, RecursionError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FilterError("payload", f"invalid JSONPath predicate: {first}") from None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """What the table shows: rows that pass the text term, the event items and the payload
    predicate; optionally only some directions."""

    #: lower-cased text searched in the event name and the payload text (a plain term).
    text: str = ""
    #: the event filter's items as typed (lower-cased globs; kept for comparison).
    events: tuple[str, ...] = ()
    #: directions to show; empty means all.
    directions: frozenset[Direction] = frozenset()
    #: the payload predicate as typed.
    payload: str = ""
    term: TextTerm | None = field(default=None, compare=True)
    _events: _EventMatcher | None = field(default=None, compare=False, repr=False)
    _payload: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Built from fields (MessageFilter(text="x", events=("chat",))): a plain term and
        # plain globs, as before the regex syntax.
        if self.term is None and self.text:
            object.__setattr__(self, "term", TextTerm(self.text, needle=self.text.lower()))
        if self._events is None and self.events:
            matcher = _EventMatcher(EventFilter(self.events), (), None, ())
            object.__setattr__(self, "_events", matcher)

    @classmethod
    def from_inputs(cls, text: str = "", events: str = "", payload: str = "") -> MessageFilter:
        """Build a filter from what a user typed in the filter boxes; raises
        :class:`FilterError` (with the box) for a text that does not compile."""
        term = parse_text_term(text)
        items = parse_event_items(events)
        query = compile_payload_predicate(payload)
        return cls(
            text=term.needle if term is not None and not term.exclude else "",
            events=tuple(i.source.lower() for i in items),
            payload=payload.strip(),
            term=term,
            _events=_event_matcher(items),
            _payload=query,
        )

    @property
    def is_empty(self) -> bool:
        return self.term is None and not self.events and not self.directions and not self.payload

    def matches(self, record: MessageRecord) -> bool:
        if self.directions and record.direction not in self.directions:
            return False
        events = self._events
        if events is not None and not events.matches(record.event):
            return False
        if self._payload is not None and not self._payload_matches(record):
            return False
        term = self.term
        if term is not None:
            found = term.found_in(record.event) or term.found_in(record.payload_text())
            return found != term.exclude
        return True

    def _payload_matches(self, record: MessageRecord) -> bool:
        if record.format is PayloadFormat.BINARY:
            return False
        try:
            value = json.loads(record.payload)
            return bool(self._payload.findall(value))
        except (ValueError, RecursionError, TypeError, jsonpath.JSONPathError):
            return False
