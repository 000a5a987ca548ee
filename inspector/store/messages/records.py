"""Message records: one row of the inspector's live table, kept small and payloads as bytes.

A record is what the table, the detail pane, the filters and (later) exports read. Payloads stay
the bytes that came off the wire (or that we sent) until somebody displays them: previews and
pretty JSON are computed on demand, so a flood of messages costs one small object per row
(issue #5 budgets 100,000 retained rows of ~200-byte payloads under 300 MB RSS).

Outgoing rows carry a :class:`SendInfo` whose state is updated in place as the send progresses
(sent -> ok with the round trip, error, timed out; docs/realtime-protocol.md §5.4, §6.3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Final

from inspector.protocol.serializer import escape_surrogates

#: Longest one-line payload preview the table shows.
PREVIEW_CHARS: Final = 160


class Direction(IntEnum):
    """Which way a row travelled: received, sent by us, or a system note about the channel."""

    IN = 0
    OUT = 1
    SYSTEM = 2

    @property
    def label(self) -> str:
        return _DIRECTION_LABELS[int(self)]


_DIRECTION_LABELS: Final[tuple[str, ...]] = ("in", "out", "system")


class PayloadFormat(IntEnum):
    """How the payload bytes are to be read (the encodings of §2.3)."""

    BINARY = 0
    JSON = 1


class Transport(Enum):
    """How an outgoing broadcast travels: a websocket push (§5) or the REST endpoints (§6)."""

    WEBSOCKET = "websocket"
    REST = "rest"


class SendState(Enum):
    """Lifecycle of one outgoing broadcast (§5.4)."""

    #: handed to the client, not yet written.
    PENDING = "pending"
    #: written to the socket; no acknowledgement was asked for (``ack:false``).
    SENT = "sent"
    #: the server acknowledged it (ack reply ``ok``, or REST 2xx).
    OK = "ok"
    #: the server refused it (error reply, REST 4xx/5xx) or it could not be sent.
    ERROR = "error"
    #: no acknowledgement within the push timeout.
    TIMED_OUT = "timed out"


@dataclass(slots=True)
class SendInfo:
    """What we know about one outgoing broadcast; mutated in place as results arrive."""

    #: websocket push or REST call.
    transport: Transport
    #: whether the channel was joined with ``ack:true`` when this was sent.
    ack: bool = False
    #: the current state.
    state: SendState = SendState.PENDING
    #: time from send to acknowledgement (ack reply or HTTP response), in milliseconds.
    round_trip_ms: float | None = None
    #: the HTTP status of a REST send.
    http_status: int | None = None
    #: the reason of an error, in the server's words when it gave one.
    error: str | None = None
    #: the event and payload text as typed, when variables ({{seq}}, ...) expanded them:
    #: the row's event and payload are what was sent (issue #11 item 2).
    template_event: str | None = None
    template_payload: str | None = None
    #: the identity it was sent as, when not the tab's own (issue #13 §1: "Send as").
    sender: str | None = None

    def status_text(self) -> str:
        """The status column: ``sent``, ``ok 1.8 ms``, ``error: reason``, ``REST 202 · 3.1 ms``;
        ``… · as alice`` when sent as another identity than the tab's."""
        text = self._status_text()
        return f"{text} · as {self.sender}" if self.sender else text

    def _status_text(self) -> str:
        rtt = "" if self.round_trip_ms is None else f" {format_ms(self.round_trip_ms)}"
        if self.transport is Transport.REST:
            if self.state is SendState.PENDING:
                return "REST …"
            if self.state is SendState.TIMED_OUT:
                return f"REST timed out: {self.error}" if self.error else "REST timed out"
            code = "" if self.http_status is None else f" {self.http_status}"
            if self.state is SendState.ERROR:
                reason = f": {self.error}" if self.error else ""
                return f"REST{code}{reason}"
            return f"REST{code}{' ·' + rtt if rtt else ''}"
        if self.state is SendState.OK:
            return f"ok{rtt}"
        if self.state is SendState.ERROR:
            return f"error: {self.error}" if self.error else "error"
        if self.state is SendState.TIMED_OUT and self.error:
            # The likely cause of a missing reply (a private channel that drops writes).
            return f"timed out: {self.error}"
        return str(self.state.value)


def format_ms(ms: float) -> str:
    """A round trip for people: ``0.42 ms``, ``1.8 ms``, ``230 ms``."""
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 10:
        return f"{ms:.1f} ms"
    return f"{ms:.0f} ms"


class MessageRecord:
    """One row: a broadcast received or sent, or a system note (join state, close, errors).

    ``seq`` is assigned by the :class:`~inspector.store.messages.log.MessageLog` that holds the record and
    grows by one per appended record, so it identifies a row across evictions.
    """

    __slots__ = ("direction", "event", "format", "meta", "payload", "send", "seq", "time", "weight")

    def __init__(
        self,
        *,
        time: float,
        direction: Direction,
        event: str,
        payload: bytes,
        format: PayloadFormat = PayloadFormat.JSON,
        meta: bytes | None = None,
        send: SendInfo | None = None,
    ) -> None:
        #: wall-clock time in seconds since the epoch (passed in; the store reads no clock).
        self.time = time
        self.direction = direction
        #: the user event of a broadcast, or the system event (``phx_close``, ``joined``, ...).
        self.event = event
        #: the payload exactly as bytes: UTF-8 JSON text or raw binary.
        self.payload = payload
        self.format = format
        #: broadcast metadata as UTF-8 JSON (``{"id":…}``, ``{"replayed":true,…}``, §2.3), or None.
        self.meta = meta
        #: set on outgoing rows only.
        self.send = send
        self.seq = -1
        #: bytes this record keeps alive beyond its fixed cost (payload and meta): what the
        #: log's byte budget counts (a plain attribute: the ring reads it once per message).
        self.weight = len(payload) + (len(meta) if meta else 0)

    @property
    def size(self) -> int:
        """Payload size in bytes."""
        return len(self.payload)

    def payload_text(self) -> str:
        """The payload as text (UTF-8, undecodable bytes replaced); binary gives ``""``."""
        if self.format is PayloadFormat.BINARY:
            return ""
        return self.payload.decode("utf-8", "replace")

    def payload_json(self) -> Any:
        """The payload parsed as JSON; raises ``ValueError`` when it is binary or not JSON."""
        if self.format is PayloadFormat.BINARY:
            raise ValueError("binary payload")
        return json.loads(self.payload)

    def meta_json(self) -> Any:
        """The metadata parsed as JSON, or None when absent or not JSON."""
        if not self.meta:
            return None
        try:
            return json.loads(self.meta)
        except ValueError:
            return None

    def preview(self, limit: int = PREVIEW_CHARS) -> str:
        """The payload on one line, cut at ``limit`` characters."""
        if self.format is PayloadFormat.BINARY:
            return f"<binary, {len(self.payload)} bytes>"
        # Decode only the head: a UTF-8 character is at most 4 bytes.
        head = self.payload[: limit * 4]
        text = head.decode("utf-8", "replace")
        text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        if len(text) > limit or len(head) < len(self.payload):
            return text[: limit - 1] + "…"
        return text

    def status_text(self) -> str:
        """The status column (outgoing rows only)."""
        return self.send.status_text() if self.send is not None else ""

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (Copy row, exports). Binary payloads are hex."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "time": self.time,
            "direction": self.direction.label,
            "event": self.event,
            "size": self.size,
        }
        if self.format is PayloadFormat.BINARY:
            out["payload_hex"] = self.payload.hex()
        else:
            try:
                out["payload"] = json.loads(self.payload)
            except ValueError:
                out["payload_text"] = self.payload_text()
        meta = self.meta_json()
        if meta is not None:
            out["meta"] = meta
        if self.send is not None:
            out["send"] = {
                "transport": self.send.transport.value,
                "ack": self.send.ack,
                "state": self.send.state.value,
                "round_trip_ms": self.send.round_trip_ms,
                "http_status": self.send.http_status,
                "error": self.send.error,
            }
        return out

    def __repr__(self) -> str:
        return (
            f"MessageRecord(seq={self.seq}, direction={self.direction.label}, "
            f"event={self.event!r}, size={self.size})"
        )


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way the SDKs write it (§2.2); a lone surrogate from a peer stays
    a ``\\udXXX`` escape, so this never raises for what was received (QA finding 4)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return escape_surrogates(text).encode()


def system_record(time: float, event: str, details: dict[str, Any]) -> MessageRecord:
    """A system row (join state, close, error) with its details as the payload."""
    return MessageRecord(
        time=time, direction=Direction.SYSTEM, event=event, payload=json_bytes(details)
    )
