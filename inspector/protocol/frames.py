"""Frame model of the Supabase Realtime (Phoenix) wire protocol.

Every frame that crosses the websocket decodes to exactly one of the frozen dataclasses below,
or to :class:`FrameRejected` when the peer sent something that is not a valid frame. Nothing in
this module does I/O or reads a clock (docs/realtime-protocol.md §2).

Which class a frame becomes depends on how it travelled:

- :class:`Message`: a text frame (vsn 1.0.0 JSON object or vsn 2.0.0 JSON array, §2.1, §2.2).
  The payload is the parsed JSON value.
- :class:`BinaryPush` (kind 0), :class:`BinaryReply` (kind 1), :class:`BinaryBroadcast` (kind 2):
  the generic Phoenix binary kinds (§2.3). Realtime SDKs never produce or understand them; the
  inspector decodes them so that it can show them.
- :class:`UserBroadcastPush` (kind 3, client to server) and :class:`UserBroadcast` (kind 4,
  server to client): Realtime's own binary broadcast kinds (§2.3). The payload stays raw bytes
  until somebody asks for it (:meth:`UserBroadcast.json_payload`), which keeps decoding cheap at
  high message rates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

#: Phoenix system events (§2, §4, §7).
PHX_JOIN: Final = "phx_join"
PHX_LEAVE: Final = "phx_leave"
PHX_REPLY: Final = "phx_reply"
PHX_CLOSE: Final = "phx_close"
PHX_ERROR: Final = "phx_error"
HEARTBEAT: Final = "heartbeat"
BROADCAST: Final = "broadcast"
PRESENCE: Final = "presence"
PRESENCE_STATE: Final = "presence_state"
PRESENCE_DIFF: Final = "presence_diff"
SYSTEM: Final = "system"
ACCESS_TOKEN: Final = "access_token"
POSTGRES_CHANGES: Final = "postgres_changes"

#: Topic used by heartbeats (§3).
PHOENIX_TOPIC: Final = "phoenix"
#: Prefix the SDKs add to a channel name (§3).
TOPIC_PREFIX: Final = "realtime:"

#: Payload encodings of binary kinds 3 and 4 (§2.3).
ENCODING_BINARY: Final = 0
ENCODING_JSON: Final = 1

#: Binary kinds (§2.3).
KIND_PUSH: Final = 0
KIND_REPLY: Final = 1
KIND_BROADCAST: Final = 2
KIND_USER_BROADCAST_PUSH: Final = 3
KIND_USER_BROADCAST: Final = 4

JSON: TypeAlias = Any


def topic_for(name: str) -> str:
    """The wire topic of a channel name: ``room-1`` -> ``realtime:room-1`` (§3)."""
    return TOPIC_PREFIX + name


def channel_name(topic: str) -> str:
    """The channel name of a topic, the prefix removed case-insensitively as realtime-js does (§3)."""
    if topic[: len(TOPIC_PREFIX)].lower() == TOPIC_PREFIX:
        return topic[len(TOPIC_PREFIX) :]
    return topic


def typed_channel_name(text: str) -> tuple[str, str]:
    """``(name, note)`` for a channel name as a person typed it (issue #10 item 13).

    The SDKs add ``realtime:`` themselves (§3), so ``realtime:room-1`` typed into realtime-js
    joins the topic ``realtime:realtime:room-1``, a different channel than ``room-1``. A user
    who types the prefix means the channel ``room-1``: one leading ``realtime:`` (any case) is
    removed and ``note`` says so; a name typed without it gives ``(text, "")``. Typing the
    prefix twice reaches a channel whose own name starts with it.
    """
    name = channel_name(text)
    if name == text:
        return text, ""
    note = (
        f"the {text[: len(TOPIC_PREFIX)]!r} prefix is added on the wire (as realtime-js does): "
        f"joining channel {name!r}, topic {topic_for(name)!r}"
    )
    return name, note


def _loads(data: bytes) -> JSON:
    return json.loads(data)


@dataclass(frozen=True, slots=True)
class Message:
    """A text frame: the five-field Phoenix envelope (§2)."""

    #: ref of the ``phx_join`` that opened the channel instance, or None.
    join_ref: str | None
    #: per-push id used to match replies, or None for fan-out.
    ref: str | None
    #: ``realtime:<name>`` or ``phoenix``.
    topic: str
    #: ``phx_join``, ``broadcast``, ``phx_reply``, ...
    event: str
    #: the parsed JSON payload (normally an object).
    payload: JSON


@dataclass(frozen=True, slots=True)
class BinaryPush:
    """Kind 0: a generic Phoenix push with a raw binary payload (§2.3).

    Sent by clients (with ``ref``) or by a Phoenix server (without ``ref``; then ``ref`` is None).
    """

    join_ref: str | None
    ref: str | None
    topic: str
    event: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class BinaryReply:
    """Kind 1: a generic Phoenix reply with a binary payload (§2.3). Realtime does not send it."""

    join_ref: str | None
    ref: str | None
    topic: str
    status: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class BinaryBroadcast:
    """Kind 2: a generic Phoenix binary broadcast (§2.3). realtime-js cannot decode it."""

    topic: str
    event: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class UserBroadcastPush:
    """Kind 3: a user broadcast pushed by a client (what realtime-js v2 sends for ``send()``, §2.3)."""

    join_ref: str | None
    ref: str | None
    topic: str
    #: the user's event name (``payload.event`` of the JSON form).
    user_event: str
    #: raw metadata bytes: empty or a UTF-8 JSON object (realtime-js puts ``persist`` here).
    metadata: bytes
    #: :data:`ENCODING_BINARY` (raw bytes) or :data:`ENCODING_JSON` (UTF-8 JSON text).
    encoding: int
    #: the user payload, undecoded.
    payload: bytes

    def json_payload(self) -> JSON:
        """The payload parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return _loads(self.payload)


@dataclass(frozen=True, slots=True)
class UserBroadcast:
    """Kind 4: a user broadcast delivered by the server; the only binary kind SDKs decode (§2.3)."""

    topic: str
    user_event: str
    #: raw metadata bytes: empty or a UTF-8 JSON object such as ``{"id":"…"}``.
    metadata: bytes
    encoding: int
    payload: bytes

    def json_payload(self) -> JSON:
        """The payload parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return _loads(self.payload)

    def meta(self) -> JSON | None:
        """The metadata parsed as JSON, or None when absent or not valid JSON."""
        if not self.metadata:
            return None
        try:
            return _loads(self.metadata)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """Peer input that is not a valid frame. Decoding never raises on peer input; it returns this."""

    #: the data exactly as received.
    raw: str | bytes
    #: one line saying what is wrong, for people.
    reason: str


Frame: TypeAlias = (
    Message | BinaryPush | BinaryReply | BinaryBroadcast | UserBroadcastPush | UserBroadcast
)
Decoded: TypeAlias = Frame | FrameRejected


def frame_topic(frame: Frame) -> str:
    """The topic of any frame."""
    return frame.topic


def frame_event(frame: Frame) -> str:
    """The event of a frame as the inspector shows it: the user event for kinds 3 and 4."""
    if isinstance(frame, UserBroadcastPush | UserBroadcast):
        return frame.user_event
    if isinstance(frame, BinaryReply):
        return PHX_REPLY
    return frame.event
