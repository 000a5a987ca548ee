"""One channel of a client session: its configuration, its state machine and its push buffer.

Theory of operation (docs/realtime-protocol.md §4, §7.2; phoenix ``channel.js`` semantics)
------------------------------------------------------------------------------------------
A channel starts CLOSED. ``join`` moves it to JOINING; the ``phx_join`` goes out at once when
the socket is open, otherwise as soon as it opens. The join push has its own ref, which becomes
the channel's ``join_ref``: every later push carries it, and any server message whose join_ref
is set but differs from it is stale and dropped (§2.6).

- The ok reply makes it JOINED; buffered pushes are flushed and the rejoin count resets.
- An error reply, a join timeout, a ``phx_error`` or the loss of the socket make it ERRORED.
  An ERRORED channel rejoins by itself: after an error reply, a timeout or ``phx_error`` on
  the rejoin schedule (1, 2, 5, 10, 10 ... s, §7.2), after a socket loss at once when the
  socket reopens. A join timeout also sends ``phx_leave`` first, as phoenix does.
- ``phx_close`` makes it CLOSED for good: the server ended it (leave, duplicate join, or the
  "system error then close" pattern of §4.6) and no rejoin follows.
- ``leave`` sends ``phx_leave`` and waits in LEAVING for the reply (or the push timeout, or
  ``phx_close``); when nothing can be sent it is CLOSED at once.

:data:`TRANSITIONS` below is the whole machine. A (state, cause) pair that is not in it is not a
legal move: :meth:`Channel.transition` raises :class:`InvalidTransition`, and the session checks
:meth:`Channel.can` first for everything that the peer causes, so peer input never raises.

Pushes made while the channel cannot push (not joined, or socket closed) wait in a bounded
buffer (100 by default, like realtime-js); when it is full the oldest is dropped and counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .event_filter import EventFilter, compile_events
from .events import ChannelCause, ChannelState
from .frames import topic_for
from .presence import Presence

S = ChannelState
C = ChannelCause

#: (state, cause) -> next state. Anything missing is illegal (§4, §4.6, §7.2).
TRANSITIONS: Final[Mapping[tuple[ChannelState, ChannelCause], ChannelState]] = {
    (S.CLOSED, C.JOIN_SENT): S.JOINING,
    (S.ERRORED, C.JOIN_SENT): S.JOINING,
    (S.JOINING, C.JOIN_SENT): S.JOINING,  # the join waited for the socket; now it is sent
    (S.JOINING, C.JOINED): S.JOINED,
    (S.JOINING, C.JOIN_ERROR): S.ERRORED,
    (S.JOINING, C.JOIN_TIMEOUT): S.ERRORED,
    (S.JOINING, C.SERVER_ERROR): S.ERRORED,
    (S.JOINED, C.SERVER_ERROR): S.ERRORED,
    (S.JOINING, C.SERVER_CLOSE): S.CLOSED,
    (S.JOINED, C.SERVER_CLOSE): S.CLOSED,
    (S.ERRORED, C.SERVER_CLOSE): S.CLOSED,
    (S.LEAVING, C.SERVER_CLOSE): S.CLOSED,
    (S.JOINING, C.SOCKET_LOST): S.ERRORED,
    (S.JOINED, C.SOCKET_LOST): S.ERRORED,
    (S.LEAVING, C.SOCKET_LOST): S.CLOSED,
    (S.JOINING, C.LEAVE_SENT): S.LEAVING,
    (S.JOINED, C.LEAVE_SENT): S.LEAVING,
    (S.JOINING, C.LEFT): S.CLOSED,
    (S.JOINED, C.LEFT): S.CLOSED,
    (S.ERRORED, C.LEFT): S.CLOSED,
    (S.LEAVING, C.LEFT): S.CLOSED,
    (S.CLOSED, C.LEFT): S.CLOSED,
}

#: Pushes kept per channel while it cannot push (realtime-js keeps 100, §7.2).
DEFAULT_BUFFER_SIZE: Final = 100


class InvalidTransition(RuntimeError):
    """A local command that the channel's current state does not allow."""


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What a channel joins with (§4.1); realtime-js's defaults."""

    #: The channel name without ``realtime:`` (§3).
    name: str
    #: ``config.broadcast.self``: receive our own broadcasts.
    broadcast_self: bool = False
    #: ``config.broadcast.ack``: the server replies to each broadcast push.
    broadcast_ack: bool = False
    #: ``config.presence.key`` ("" lets the server pick a UUID).
    presence_key: str = ""
    #: ``config.presence.enabled``: receive presence_state and presence_diff.
    presence_enabled: bool = False
    #: ``config.private``: a private channel authorised by RLS (§9.3).
    private: bool = False
    #: Broadcast events to deliver: names or globs (``*`` and ``?``, backslash escapes; see
    #: :mod:`~inspector.protocol.event_filter`), matched without regard to case (§5.3);
    #: ``*`` (or nothing) means all. Others are dropped before an event is built (counted in
    #: :attr:`Channel.filtered`).
    events: tuple[str, ...] = ("*",)
    #: ``config.postgres_changes`` bindings, sent as given (§4.1, §12).
    postgres_changes: tuple[Mapping[str, Any], ...] = ()
    #: ``config.broadcast.replay.since``: ask the server to replay the messages sent from the
    #: database since this time (ms since the epoch); None asks for no replay. Private
    #: channels only (§4.1, §4.2; the server refuses it on public ones).
    replay_since: int | None = None
    #: ``config.broadcast.replay.limit`` (the server clamps it to 1..25 and uses 25 when
    #: absent); only sent with :attr:`replay_since`.
    replay_limit: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a channel needs a name")

    @property
    def topic(self) -> str:
        """``realtime:<name>`` (§3)."""
        return topic_for(self.name)

    def event_filter(self) -> EventFilter | None:
        """The compiled :attr:`events`, or None when every event is delivered."""
        return compile_events(tuple(self.events))

    def join_payload(self, access_token: str | None, version: str | None) -> dict[str, Any]:
        """The ``phx_join`` payload, key for key as realtime-js sends it (§4.1)."""
        broadcast: dict[str, Any] = {"ack": self.broadcast_ack, "self": self.broadcast_self}
        if self.replay_since is not None:
            replay: dict[str, Any] = {"since": self.replay_since}
            if self.replay_limit is not None:
                replay["limit"] = self.replay_limit
            broadcast["replay"] = replay
        payload: dict[str, Any] = {
            "config": {
                "broadcast": broadcast,
                "presence": {"key": self.presence_key, "enabled": self.presence_enabled},
                "postgres_changes": [dict(b) for b in self.postgres_changes],
                "private": self.private,
            }
        }
        if access_token is not None:
            payload["access_token"] = access_token
        if version is not None:
            payload["version"] = version
        return payload


class Push:
    """One push waiting in a buffer or for its reply; owned by the session."""

    __slots__ = (
        "event",
        "expects_reply",
        "label",
        "payload",
        "push_id",
        "ref",
        "sent_at",
        "timeout",
        "timer",
        "topic",
    )

    def __init__(
        self,
        push_id: int,
        topic: str,
        event: str,
        payload: Any,
        label: str,
        expects_reply: bool,
        timeout: float,
    ) -> None:
        #: id returned to the caller; results carry it.
        self.push_id = push_id
        self.topic = topic
        #: wire event (``broadcast``, ``presence``, ``phx_join``...).
        self.event = event
        #: what to encode: a JSON payload, or ``(user_event, encoding, bytes)`` for kind 3.
        self.payload = payload
        #: the event name shown in results (the user event for broadcasts).
        self.label = label
        self.expects_reply = expects_reply
        self.timeout = timeout
        self.ref: str | None = None
        self.sent_at: float | None = None
        #: the session's cancellable timer handle for the timeout, if armed.
        self.timer: Any = None


@dataclass(slots=True)
class Channel:
    """The client-side state of one channel; the session drives it."""

    config: ChannelConfig
    buffer_size: int = DEFAULT_BUFFER_SIZE
    #: Current state.
    state: ChannelState = ChannelState.CLOSED
    #: ref of the latest ``phx_join`` (§2.6); None before the first join is sent.
    join_ref: str | None = None
    #: True once the latest join went out on the current socket.
    join_sent: bool = False
    #: The reason text of the last error (join error, system error), for display.
    last_error: str = ""
    #: Message of a ``system`` error, kept for the ``phx_close`` that normally follows it.
    pending_close_reason: str = ""
    #: Rejoin attempts since the last success (drives the rejoin schedule).
    rejoin_tries: int = 0
    #: Pushes dropped from the full buffer, or left unsent when the channel closed.
    dropped: int = 0
    #: Broadcasts delivered to the consumer.
    received: int = 0
    #: Broadcasts the event filter dropped (never delivered).
    filtered: int = 0
    presence: Presence = field(default_factory=Presence)
    buffer: deque[Push] = field(default_factory=deque)
    #: The broadcast events to deliver, None for all.
    event_filter: EventFilter | None = None
    #: Session timer handles (join timeout, rejoin, leave), cancelled on state changes.
    join_timer: Any = None
    rejoin_timer: Any = None
    #: ref of the pending ``phx_leave`` while LEAVING.
    leave_ref: str | None = None
    #: ``realtime:<name>``, from the config (kept, not recomputed per broadcast).
    topic: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.event_filter = self.config.event_filter()
        self.topic = self.config.topic

    def can(self, cause: ChannelCause) -> bool:
        """True when ``cause`` is a legal move from the current state."""
        return (self.state, cause) in TRANSITIONS

    def transition(self, cause: ChannelCause) -> ChannelState:
        """Move along the table; raises :class:`InvalidTransition` for illegal moves."""
        try:
            new = TRANSITIONS[(self.state, cause)]
        except KeyError:
            raise InvalidTransition(
                f"channel {self.topic} cannot go from {self.state.value} by {cause.value}"
            ) from None
        self.state = new
        return new

    def accepts(self, event: str) -> bool:
        """True when a broadcast with this event passes the channel's event filter (§5.3)."""
        flt = self.event_filter
        return flt is None or flt.matches(event)

    def buffer_push(self, push: Push) -> Push | None:
        """Keep ``push`` until the channel can push; returns the push dropped to make room."""
        dropped = None
        if len(self.buffer) >= self.buffer_size:
            dropped = self.buffer.popleft()
            self.dropped += 1
        self.buffer.append(push)
        return dropped


def reply_reason(response: object) -> str:
    """A join error in realtime-js's words: the response values joined by ', ' (§4.4)."""
    if isinstance(response, Mapping):
        reason = response.get("reason")
        if isinstance(reason, str):
            return reason
        parts: Sequence[object] = list(response.values())
        return ", ".join(str(p) for p in parts) if parts else "error"
    if isinstance(response, str):
        return response
    return "error"
