"""Events the client-role session reports: frozen dataclasses, one sentence per field.

A :class:`~inspector.protocol.session.ClientSession` turns frames, timers and local commands
into these events (docs/realtime-protocol.md §2-§8). They are plain data: the asyncio client
forwards them unchanged to the GUI and the CLI. Times are session times (whatever clock the
caller passes in as ``now``; the asyncio client uses ``loop.time()``).

Broadcast payloads stay undecoded until asked: :meth:`BroadcastReceived.json_payload` parses
the bytes of a binary kind-4 frame on first use, which keeps ingest cheap at high rates.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeAlias

from .frames import FrameRejected
from .serializer import escape_surrogates

JSON: TypeAlias = Any


class ConnectionState(Enum):
    """Where the socket is in its life (§7.2)."""

    #: Never connected, or closed on purpose by the local user.
    CLOSED = "closed"
    #: The caller is opening the websocket.
    CONNECTING = "connecting"
    #: The websocket is open; heartbeats run.
    OPEN = "open"
    #: The websocket was lost; a reconnect is scheduled (``retry_in`` seconds).
    RECONNECT_WAIT = "reconnect_wait"


class ChannelState(Enum):
    """phoenix channel states (§4, §7.2); see the transition table in channel.py."""

    CLOSED = "closed"
    JOINING = "joining"
    JOINED = "joined"
    ERRORED = "errored"
    LEAVING = "leaving"


class ChannelCause(Enum):
    """Why a channel changed state; the realtime-js subscribe status is in the comment."""

    #: The local user asked to join, or a rejoin started (no realtime-js status).
    JOIN_SENT = "join_sent"
    #: The server answered the join with ok (``SUBSCRIBED``).
    JOINED = "joined"
    #: The server answered the join with an error; ``reason`` has its text (``CHANNEL_ERROR``).
    JOIN_ERROR = "join_error"
    #: No join reply within the join timeout (``TIMED_OUT``).
    JOIN_TIMEOUT = "join_timeout"
    #: The server sent ``phx_error`` (``CHANNEL_ERROR``).
    SERVER_ERROR = "server_error"
    #: The server sent ``phx_close``; no rejoin follows (``CLOSED``).
    SERVER_CLOSE = "server_close"
    #: The websocket closed or failed; the channel rejoins when it reopens (``CHANNEL_ERROR``).
    SOCKET_LOST = "socket_lost"
    #: The local user left (``CLOSED``).
    LEFT = "left"
    #: The local user is leaving; a ``phx_leave`` was sent.
    LEAVE_SENT = "leave_sent"


class PushStatus(Enum):
    """The outcome of one push (§5.4)."""

    #: Handed to the websocket; no reply is expected (``ack:false``), like realtime-js's 'ok'.
    SENT = "sent"
    #: The server replied ok.
    OK = "ok"
    #: The server replied with an error; ``response`` has its text.
    ERROR = "error"
    #: No reply within the push timeout (realtime-js 'timed out').
    TIMED_OUT = "timed_out"
    #: Pushed out of the full per-channel buffer before it could be sent (§7.2).
    DROPPED = "dropped"


# ------------------------------------------------------------------------ connection


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    """The socket changed state (§7.2)."""

    #: The new state.
    state: ConnectionState
    #: Reconnect attempt number (1 for the first retry after a loss), 0 when not retrying.
    attempt: int
    #: Seconds until the next connect attempt in RECONNECT_WAIT, else None.
    retry_in: float | None
    #: Why the previous connection ended or failed, in plain words ("" when not applicable).
    reason: str
    #: Session time of the change.
    at: float


@dataclass(frozen=True, slots=True)
class HeartbeatEvent:
    """A heartbeat was sent or answered, or timed out (§7.1; realtime-js heartbeatCallback)."""

    #: 'sent', 'ok', 'error' or 'timeout'.
    status: str
    #: Round trip in seconds for 'ok' and 'error', else None.
    rtt: float | None
    #: Session time of the event.
    at: float


@dataclass(frozen=True, slots=True)
class CloseRequested:
    """The session wants the websocket closed (heartbeat timeout, or the user closed)."""

    #: The websocket close code to send (1000 for both cases, as realtime-js does, §7.3).
    code: int
    #: The close reason text (``heartbeat timeout`` or ``client closed``).
    reason: str


@dataclass(frozen=True, slots=True)
class MessageIgnored:
    """A valid frame that no channel accepted (stale join_ref §2.6, unknown topic, late reply)."""

    #: The frame's topic.
    topic: str
    #: The frame's event.
    event: str
    #: The frame's join_ref.
    join_ref: str | None
    #: The frame's ref.
    ref: str | None
    #: Why it was ignored, in plain words.
    reason: str


# ------------------------------------------------------------------------ channels


@dataclass(frozen=True, slots=True)
class ChannelStateChanged:
    """A channel changed state, or a join attempt started (§4, §7.2)."""

    #: The channel's topic (``realtime:<name>``).
    topic: str
    #: The new state.
    state: ChannelState
    #: Why the change happened.
    cause: ChannelCause
    #: The server's exact text (join error reason, system error message) or our own, else "".
    reason: str
    #: Seconds until the next automatic rejoin, or None when none is scheduled.
    retry_in: float | None
    #: The join_ref of the join this concerns (None before the first join is sent).
    join_ref: str | None
    #: Session time of the change.
    at: float


@dataclass(frozen=True, slots=True)
class BroadcastReceived:
    """A broadcast delivered to a channel (§2.3, §2.5, §5.3). The payload stays lazy."""

    #: The channel's topic.
    topic: str
    #: The user event name (``payload.event`` of the JSON form).
    event: str
    #: True when the payload is raw bytes (kind 4, encoding 0); False for JSON.
    binary: bool
    #: The payload bytes as received in a binary kind-4 frame (JSON text unless ``binary``),
    #: or None when the broadcast came as a text frame.
    raw: bytes | None
    #: The payload already parsed from a text frame; None for kind-4 frames (use the methods).
    value: JSON
    #: Kind-4 metadata bytes (empty when absent); for text frames the parsed ``meta`` or None.
    meta_data: bytes | JSON
    #: Size in bytes of the whole websocket message.
    size: int
    #: Session time the frame was received.
    received_at: float

    def json_payload(self) -> JSON:
        """The payload as JSON; raises ``ValueError`` for binary or invalid JSON payloads."""
        if self.raw is None:
            return self.value
        if self.binary:
            raise ValueError("the payload is binary, not JSON")
        return json.loads(self.raw)

    def payload_bytes(self) -> bytes:
        """The payload as bytes: raw for kind 4, compact UTF-8 JSON text for text frames.

        Never raises for what a peer sent: a lone surrogate (``"\\ud800"``) stays an escape,
        NaN and infinities are written as Python does (``NaN``, ``Infinity``).
        """
        if self.raw is not None:
            return self.raw
        text = json.dumps(self.value, ensure_ascii=False, separators=(",", ":"))
        return escape_surrogates(text).encode()

    def display_payload(self) -> JSON:
        """JSON for printing: the parsed payload, or ``{"$binary": base64}`` for raw bytes.

        Kind-4 JSON text that is not strict JSON (does not parse, or has ``NaN``, ``Infinity``
        or a number beyond the double range) shows as ``{"$invalid_json": text}``, the text as
        received. Values parsed from text frames are returned as they are.
        """
        if self.raw is None:
            return self.value
        if self.binary:
            return {"$binary": base64.b64encode(self.raw).decode("ascii")}
        try:
            return json.loads(self.raw, parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, RecursionError):
            return {"$invalid_json": self.raw.decode("utf-8", "replace")}

    def meta(self) -> JSON | None:
        """The metadata as JSON (``{"id": ...}``, ``{"replayed": true, ...}``) or None."""
        data = self.meta_data
        if isinstance(data, bytes):
            if not data:
                return None
            try:
                return json.loads(data)
            except ValueError:
                return None
        return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is beyond the double range")
    return value


_new = object.__new__
_SET = tuple(
    BroadcastReceived.__dict__[name].__set__
    for name in ("topic", "event", "binary", "raw", "value", "meta_data", "size", "received_at")
)


def new_broadcast(
    topic: str,
    event: str,
    binary: bool,
    raw: bytes | None,
    value: JSON,
    meta_data: bytes | JSON,
    size: int,
    received_at: float,
) -> BroadcastReceived:
    """``BroadcastReceived(...)`` three times faster, for the ingest hot path.

    It fills the slots directly instead of going through the frozen ``__init__``; the result is
    the same frozen, equal-comparing object.
    """
    obj: BroadcastReceived = _new(BroadcastReceived)
    s0, s1, s2, s3, s4, s5, s6, s7 = _SET
    s0(obj, topic)
    s1(obj, event)
    s2(obj, binary)
    s3(obj, raw)
    s4(obj, value)
    s5(obj, meta_data)
    s6(obj, size)
    s7(obj, received_at)
    return obj


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A ``presence_state`` or ``presence_diff`` was applied to a channel's presence (§8)."""

    #: The channel's topic.
    topic: str
    #: 'state' for a presence_state, 'diff' for a presence_diff.
    kind: str
    #: key -> metas that joined in this step.
    joins: Mapping[str, tuple[Mapping[str, Any], ...]]
    #: key -> metas that left in this step.
    leaves: Mapping[str, tuple[Mapping[str, Any], ...]]
    #: The whole presence map after this step (key -> metas), i.e. the "sync".
    state: Mapping[str, tuple[Mapping[str, Any], ...]]
    #: Session time of the event.
    at: float


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """A ``system`` message on a channel (§4.5, §10); status 'error' is usually followed by close."""

    #: The channel's topic.
    topic: str
    #: 'ok' or 'error'.
    status: str
    #: 'system', 'postgres_changes', ...
    extension: str
    #: The server's text, exactly.
    message: str
    #: The whole payload as received.
    payload: JSON
    #: Session time of the event.
    at: float


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """Any other message for a channel (``postgres_changes``, unknown events), as received."""

    #: The channel's topic.
    topic: str
    #: The event name.
    event: str
    #: The payload (parsed JSON for text frames, bytes for binary kinds).
    payload: JSON
    #: The frame's ref.
    ref: str | None
    #: Session time of the event.
    at: float


@dataclass(frozen=True, slots=True)
class PushResult:
    """The outcome of a push made with the session's push methods (§5.4)."""

    #: The id the push method returned.
    push_id: int
    #: The channel's topic.
    topic: str
    #: The pushed event (``broadcast``, ``presence``, ...; for broadcasts the user event).
    event: str
    #: What happened.
    status: PushStatus
    #: The server's response for OK/ERROR replies, a plain-words text otherwise.
    response: JSON
    #: Seconds from sending to the reply for OK/ERROR, else None.
    rtt: float | None
    #: Session time of the outcome.
    at: float

    def error_text(self) -> str:
        """The error in plain words (the server's reason when it gave one)."""
        resp = self.response
        if isinstance(resp, Mapping) and isinstance(resp.get("reason"), str):
            return str(resp["reason"])
        if isinstance(resp, str):
            return resp
        return json.dumps(resp, separators=(",", ":"))


#: Everything a session can report.
SessionEvent: TypeAlias = (
    ConnectionStateChanged
    | HeartbeatEvent
    | CloseRequested
    | MessageIgnored
    | FrameRejected
    | ChannelStateChanged
    | BroadcastReceived
    | PresenceChanged
    | SystemMessage
    | ChannelMessage
    | PushResult
)
