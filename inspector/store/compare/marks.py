"""Who received what in the compare view (issue #13 §3); pure: times are passed in.

The compare view joins one channel as two to four identities, one column each. Every broadcast
it sends carries a unique marker in a payload field, :data:`MARKER_FIELD`
(``{"text": "hi", "inspector_compare": "cmp-5f0c9a1e-0003"}``), so that each column can tell its
copy apart from anything else on the channel, on any server (nothing server-side is needed).
:class:`MarkBoard` keeps one :class:`Probe` per sent message with one :class:`Mark` per column:

- the sender's column shows how the send went (acknowledged, refused with the server's text,
  no answer: a server drops writes it does not authorize without a word), or *received* when
  its own copy came back (a REST broadcast reaches the sender's socket too), with the send's
  result as the detail;
- every other column waits for its copy: *received* (with the row it arrived as), *not
  received* once :attr:`MarkBoard.settle_s` passed without it (a copy that still comes later
  turns the mark into *received late*), or *not joined* when the column was not joined as the
  message left.

Markers are ``cmp-<8 hex of the board>-<n>``: one board never reuses one, two boards (two
compare windows, or two runs) never share a prefix. Rows are matched by the field's value
anywhere in the payload's JSON text, whatever spacing the server used; a binary payload has
no marker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

#: The payload field that carries a probe's marker (documented in docs/gui.md).
MARKER_FIELD: Final = "inspector_compare"
#: How long other columns wait for their copy before the mark says "not received".
DEFAULT_SETTLE_S: Final = 5.0
#: The most probes a board keeps (the oldest go first).
MAX_PROBES: Final = 500

_MARKER = re.compile(rb'"inspector_compare"\s*:\s*"(cmp-[0-9a-f]{8}-[0-9]+)"')


class MarkState(Enum):
    """One column's mark for one sent message."""

    #: the sender, before the server answered.
    SENDING = "sending"
    #: the sender: the server acknowledged it (or it went out without ack).
    SENT = "sent"
    #: the sender: the server refused it (the detail has its text).
    REFUSED = "refused"
    #: the sender: no answer within the push timeout (a dropped, unauthorized write).
    NO_ANSWER = "no answer"
    #: another column, within the settle time.
    WAITING = "waiting"
    RECEIVED = "received"
    #: arrived after the settle time had already said "not received".
    LATE = "received late"
    NOT_RECEIVED = "not received"
    #: the column was not joined when the message left (refused, or still joining).
    NOT_JOINED = "not received (not joined)"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def final(self) -> bool:
        return self not in (MarkState.SENDING, MarkState.WAITING)


_SYMBOLS: Final = {
    MarkState.SENDING: "…",
    MarkState.SENT: "➜",
    MarkState.REFUSED: "✗",
    MarkState.NO_ANSWER: "✗",
    MarkState.WAITING: "…",
    MarkState.RECEIVED: "✓",
    MarkState.LATE: "✓",
    MarkState.NOT_RECEIVED: "✗",
    MarkState.NOT_JOINED: "✗",
}


@dataclass(slots=True)
class Mark:
    """One column's mark: its state, the row that shows it (the received copy, or the
    sender's outgoing row) and a detail for people (a refusal text)."""

    state: MarkState
    #: the row (a MessageRecord) of this column that the mark points at, or None.
    row: Any = None
    detail: str = ""

    def text(self) -> str:
        words = self.state.value
        if self.detail:
            words = f"{words}: {self.detail}"
        return f"{self.state.symbol} {words}"


@dataclass(slots=True)
class Probe:
    """One message the compare view sent, and each column's mark."""

    marker: str
    #: the column that sent it.
    sender: int
    event: str
    #: wall-clock seconds when it left.
    sent_at: float
    #: when waiting columns give up (the caller's monotonic clock).
    deadline: float
    marks: list[Mark] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return all(m.state.final for m in self.marks)


def stamp(payload_text: str, marker: str) -> bytes:
    """``payload_text`` (a JSON object) with :data:`MARKER_FIELD` set to ``marker``, as
    compact UTF-8 JSON. Raises ``ValueError`` with a sentence when it is not a JSON object."""
    text = payload_text.strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the payload is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(
            f"the payload must be a JSON object: the compare view adds the field "
            f"“{MARKER_FIELD}” to it to find each column's copy"
        )
    value[MARKER_FIELD] = marker
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def marker_in(payload: bytes) -> str | None:
    """The marker a payload carries, or None."""
    if b"inspector_compare" not in payload:
        return None
    found = _MARKER.search(payload)
    return found.group(1).decode() if found else None


class MarkBoard:
    """The probes of one compare view, newest last; listeners hear of every change."""

    def __init__(self, columns: int, prefix: str, settle_s: float = DEFAULT_SETTLE_S) -> None:
        if not re.fullmatch(r"[0-9a-f]{8}", prefix):
            raise ValueError("the prefix is 8 lower-case hex digits")
        self.columns = columns
        self.prefix = f"cmp-{prefix}"
        self.settle_s = settle_s
        self.probes: list[Probe] = []
        self._by_marker: dict[str, Probe] = {}
        self._count = 0
        self._listeners: list[Callable[[Probe], None]] = []

    # ------------------------------------------------------------------------------ listeners

    def add_listener(self, listener: Callable[[Probe], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Probe], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, probe: Probe) -> None:
        for listener in list(self._listeners):
            listener(probe)

    # ------------------------------------------------------------------------------ sending

    def next_marker(self) -> str:
        self._count += 1
        return f"{self.prefix}-{self._count}"

    def sent(
        self,
        marker: str,
        sender: int,
        event: str,
        joined: Sequence[bool],
        *,
        wall: float,
        now: float,
        row: Any = None,
    ) -> Probe:
        """A message left column ``sender``; ``joined[i]``: column i was joined then."""
        marks = []
        for column in range(self.columns):
            if column == sender:
                marks.append(Mark(MarkState.SENDING, row))
            elif column < len(joined) and joined[column]:
                marks.append(Mark(MarkState.WAITING))
            else:
                marks.append(Mark(MarkState.NOT_JOINED))
        probe = Probe(marker, sender, event, wall, now + self.settle_s, marks)
        self.probes.append(probe)
        self._by_marker[marker] = probe
        while len(self.probes) > MAX_PROBES:
            old = self.probes.pop(0)
            self._by_marker.pop(old.marker, None)
        self._changed(probe)
        return probe

    def send_result(self, marker: str, state: MarkState, detail: str = "") -> None:
        """How the sender's send went (:attr:`MarkState.SENT`, ``REFUSED``, ``NO_ANSWER``)."""
        probe = self._by_marker.get(marker)
        if probe is None:
            return
        mark = probe.marks[probe.sender]
        if mark.state is MarkState.RECEIVED:
            # Its own copy came back (REST, or self on): that says more; keep the status.
            mark.detail = detail
        else:
            mark.state, mark.detail = state, detail
        self._changed(probe)

    # ------------------------------------------------------------------------------ receiving

    def received(self, column: int, payload: bytes, row: Any) -> Probe | None:
        """A broadcast arrived in ``column`` as ``row``: mark it when it carries one of this
        board's markers (the first copy counts). Returns the probe, or None."""
        marker = marker_in(payload)
        probe = self._by_marker.get(marker) if marker else None
        if probe is None or not 0 <= column < self.columns:
            return None
        mark = probe.marks[column]
        if mark.state in (MarkState.RECEIVED, MarkState.LATE):
            return probe
        late = mark.state is MarkState.NOT_RECEIVED
        # The sender's own copy (a REST send reaches every socket, §6) keeps the send's result.
        keep = column == probe.sender and mark.state is MarkState.SENT
        mark.state = MarkState.LATE if late else MarkState.RECEIVED
        mark.row = row
        if not keep:
            mark.detail = ""
        self._changed(probe)
        return probe

    def settle(self, now: float) -> list[Probe]:
        """Columns still waiting past their probe's deadline: "not received"."""
        changed = []
        for probe in self.probes:
            if probe.deadline > now:
                continue
            touched = False
            for mark in probe.marks:
                if mark.state is MarkState.WAITING:
                    mark.state = MarkState.NOT_RECEIVED
                    touched = True
            if touched:
                changed.append(probe)
                self._changed(probe)
        return changed

    def next_deadline(self) -> float | None:
        """The earliest deadline of a probe some column still waits for."""
        waiting = [
            p.deadline for p in self.probes if any(m.state is MarkState.WAITING for m in p.marks)
        ]
        return min(waiting) if waiting else None

    def get(self, marker: str) -> Probe | None:
        return self._by_marker.get(marker)

    def forget_row(self, row: Any) -> None:
        """A row was evicted or cleared: marks keep their state but no longer point at it."""
        for probe in self.probes:
            for mark in probe.marks:
                if mark.row is row:
                    mark.row = None


def presence_payload(identity: str, column: int, role: str = "") -> dict[str, Any]:
    """What each column tracks (§8.1): recognisable in every other column's presence list."""
    payload: dict[str, Any] = {"role": role} if role else {}
    payload["column"] = "ABCD"[column] if 0 <= column < 4 else column + 1
    payload[MARKER_FIELD] = identity
    return payload
