"""Events the client delivers: the session's events plus two of the client's own.

The session events (docs/realtime-protocol.md §2-§8) are re-exported from
:mod:`inspector.protocol.events`; :class:`ErrorOccurred` carries a typed
:class:`~inspector.client.errors.InspectorError`, and :class:`EventsDropped` says how many
events a slow async-iterator consumer missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from inspector.protocol.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelMessage,
    ChannelState,
    ChannelStateChanged,
    CloseRequested,
    ConnectionState,
    ConnectionStateChanged,
    HeartbeatEvent,
    MessageIgnored,
    PresenceChanged,
    PushResult,
    PushStatus,
    SessionEvent,
    SystemMessage,
)
from inspector.protocol.frames import FrameRejected

from .errors import InspectorError

__all__ = [
    "BroadcastReceived",
    "ChannelCause",
    "ChannelMessage",
    "ChannelState",
    "ChannelStateChanged",
    "ClientEvent",
    "CloseRequested",
    "ConnectionState",
    "ConnectionStateChanged",
    "ErrorOccurred",
    "EventsDropped",
    "FrameRejected",
    "HeartbeatEvent",
    "MessageIgnored",
    "PresenceChanged",
    "PushResult",
    "PushStatus",
    "SystemMessage",
]


@dataclass(frozen=True, slots=True)
class ErrorOccurred:
    """A failure worth telling the user about; the client keeps going (reconnects, rejoins)."""

    #: The typed error; ``error.message`` is one line in plain words.
    error: InspectorError
    #: ``loop.time()`` when it happened.
    at: float


@dataclass(frozen=True, slots=True)
class EventsDropped:
    """The async-iterator consumer fell behind and lost broadcasts (never silently)."""

    #: Events dropped since the last EventsDropped.
    count: int
    #: Events dropped since the client was made.
    total: int
    #: ``loop.time()`` when reported.
    at: float


#: Everything :class:`~inspector.client.RealtimeClient` delivers.
ClientEvent: TypeAlias = SessionEvent | ErrorOccurred | EventsDropped
