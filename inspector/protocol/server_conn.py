"""The server role of one Realtime websocket, as a pure state machine (no I/O, no clock reads).

Theory of operation
-------------------
One :class:`ServerConnection` per accepted websocket. It has the four-verb surface of the
client-side session (docs/architecture.md, habit 1):

- **data in**: ``events = conn.receive(data, now)`` decodes one websocket message with the
  serializer of the socket's vsn (role SERVER) and returns typed events
  (:mod:`inspector.protocol.server_events`). It never raises on peer input: a bad frame becomes
  :class:`~inspector.protocol.frames.FrameRejected`.
- **events out**: the caller handles each event. Protocol-level answers are already queued by
  the time an event is returned: the heartbeat reply (§7.1), ``unmatched topic`` (§3), the ok
  reply plus ``phx_close`` of a ``phx_leave`` (§4.6), the ``phx_close`` of an instance replaced
  by a duplicate join (§4.6). Policy answers are the caller's: ``accept_join`` /
  ``reject_join`` for :class:`JoinRequested`, ``reply`` for acks and presence, ``push``,
  ``system_error_and_close``, ``deliver`` for fan-out.
- **data to send**: ``conn.data_to_send()`` drains the queued wire data (``str`` for text
  frames, ``bytes`` for binary frames), in order.
- **state**: ``conn.channels`` maps each joined wire topic to its :class:`ServerChannel`
  (join_ref, parsed config, token expiry); ``conn.next_deadline()`` says when to call
  ``conn.handle_timer(now)`` (idle timeout §1.5, token expiry watchdog §7.4).

Rules kept here, citing the spec:

- Only ``realtime:*`` topics are routed; anything else, or a push to a topic not joined on
  this socket, gets ``{"status":"error","response":{"reason":"unmatched topic"}}`` with a null
  join_ref (§3). ``phx_leave`` for a topic that is not joined gets an ok reply (§4.6).
- A push whose join_ref is set but is not the channel's current join_ref is dropped and
  reported as :class:`StalePushIgnored`; a null join_ref is accepted (Supabase's Phoenix fork
  does not drop missing join refs, §0 PHX, §2.6).
- Every server push to a channel carries the channel's current join_ref; ``phx_close`` and
  ``phx_error`` carry it as ref too; fan-out carries nulls (§2.6).
- In vsn 1.0.0 the server never writes ``join_ref`` (§2.1); binary data never goes to a v1
  socket (§2.5).

In-memory pair use (tests/protocol/test_pair.py drives a client Session against this)::

    conn = ServerConnection("2.0.0", now=0.0)
    for event in conn.receive(client_wire_data, now=0.0):
        if isinstance(event, JoinRequested):
            conn.accept_join(event, now=0.0)          # ok reply {"postgres_changes": [...]}
        elif isinstance(event, BroadcastPushed):
            fan = event.fanout()                      # Fanout for every receiver (§2.5)
            conn.deliver(fan, event.topic)            # e.g. self:true back to the sender
    for data in conn.data_to_send():
        client.receive(data, now=0.0)                 # str = text frame, bytes = binary frame
"""

from __future__ import annotations

from typing import Any, Final

from .frames import (
    ACCESS_TOKEN,
    BROADCAST,
    HEARTBEAT,
    JSON,
    PHOENIX_TOPIC,
    PHX_CLOSE,
    PHX_ERROR,
    PHX_JOIN,
    PHX_LEAVE,
    PHX_REPLY,
    PRESENCE,
    SYSTEM,
    TOPIC_PREFIX,
    BinaryPush,
    FrameRejected,
    Message,
    UserBroadcastPush,
)
from .serializer import VSN1, VSN2, Role, decode, encode
from .server_events import (
    DUPLICATE_JOIN,
    AccessTokenPushed,
    BroadcastPushed,
    ChannelClosed,
    HeartbeatReceived,
    IdleTimeout,
    JoinRequested,
    LeaveRequested,
    OtherPushed,
    PresencePushed,
    ServerChannel,
    ServerEvent,
    StalePushIgnored,
    UnmatchedTopic,
    join_ok_response,
    parse_join_payload,
)
from .server_fanout import Fanout
from .server_json import JsonRejected, loads, rejection

__all__ = [
    "CLOSED_BY_SERVER",
    "UNMATCHED_TOPIC",
    "ServerConnection",
    "broadcast_fanout",
]

#: Reason of the Phoenix reply for unrouted topics (§3).
UNMATCHED_TOPIC: Final = "unmatched topic"
#: Reason of :class:`ChannelClosed` when the layer above closes a channel without a system error.
CLOSED_BY_SERVER: Final = "closed by server"
#: Default token watchdog interval cap (§7.4: 5 minutes).
TOKEN_CHECK_MAX_S: Final = 300.0


def broadcast_fanout(event: BroadcastPushed) -> Fanout[str | bytes]:
    """The fan-out of a broadcast push (same as ``event.fanout()``, §2.5)."""
    return event.fanout()


class ServerConnection:
    """Server side of one websocket: decode, route, answer protocol-level, queue replies."""

    def __init__(
        self,
        vsn: str,
        *,
        now: float = 0.0,
        idle_timeout: float | None = 60.0,
    ) -> None:
        if vsn not in (VSN1, VSN2):
            raise ValueError(f"unsupported vsn {vsn!r}")
        #: the negotiated serializer version (§1.3).
        self.vsn: Final = vsn
        #: joined channels by wire topic.
        self.channels: dict[str, ServerChannel] = {}
        #: set False to stop answering heartbeats (fault injection, §13 scenario 10).
        self.reply_to_heartbeats = True
        #: ``now`` of the last data received.
        self.last_received_at = now
        self.idle_timeout = idle_timeout
        self._idle_reported = False
        self._out: list[str | bytes] = []

    # ----------------------------------------------------------------------------- data in

    def receive(
        self, data: str | bytes, now: float, *, binary: bool | None = None
    ) -> list[ServerEvent]:
        """Handle one websocket message and return the events it caused (never raises)."""
        self.last_received_at = now
        self._idle_reported = False
        frame = decode(data, self.vsn, Role.SERVER, binary=binary)
        if isinstance(frame, Message):
            # Python parsed it; Jason might not have (NaN, 1e999, lone surrogates): then the
            # real server drops the frame as malformed, with no reply (§2.2, server_json).
            fields = [frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload]
            why = rejection(data, fields)
            if why is not None:
                return [FrameRejected(data, f"text frame is not JSON the server accepts: {why}")]
            return self._on_message(frame, now)
        if isinstance(frame, UserBroadcastPush):
            if frame.metadata:  # the server decodes kind-3 metadata with Jason.decode! (§2.3)
                try:
                    loads(frame.metadata)
                except JsonRejected as exc:
                    return [FrameRejected(data, f"kind 3 metadata is not JSON: {exc}")]
            return self._on_kind3(frame)
        if isinstance(frame, BinaryPush):
            channel = self._route(frame.topic, frame.event, frame.ref, frame.join_ref)
            if isinstance(channel, ServerChannel):
                return [
                    OtherPushed(
                        frame.topic,
                        channel.name,
                        frame.join_ref,
                        frame.ref,
                        frame.event,
                        frame.payload,
                    )
                ]
            return [channel] if channel is not None else []
        if isinstance(frame, FrameRejected):
            return [frame]
        # Kinds 1, 2, 4 decode only in the client role, so this is unreachable; be safe anyway.
        return [FrameRejected(data, f"unexpected {type(frame).__name__} from a client")]

    def _route(
        self, topic: str, event: str, ref: str | None, join_ref: str | None
    ) -> ServerChannel | UnmatchedTopic | StalePushIgnored | None:
        """The joined channel for a push, or the event that answers it instead."""
        channel = self.channels.get(topic)
        if channel is None:
            if event == PHX_LEAVE:  # leaving a channel that is not joined is ok (§4.6)
                self._reply(topic, join_ref, ref, "ok", {})
                return None
            self._reply(topic, None, ref, "error", {"reason": UNMATCHED_TOPIC})
            return UnmatchedTopic(topic, event, ref)
        if join_ref is not None and channel.join_ref is not None and join_ref != channel.join_ref:
            return StalePushIgnored(topic, event, join_ref, channel.join_ref)
        return channel

    def _on_message(self, msg: Message, now: float) -> list[ServerEvent]:
        topic, event = msg.topic, msg.event
        if topic == PHOENIX_TOPIC and event == HEARTBEAT:  # §7.1
            if self.reply_to_heartbeats:
                self._reply(PHOENIX_TOPIC, None, msg.ref, "ok", {})
            return [HeartbeatReceived(msg.ref, self.reply_to_heartbeats)]
        if event == PHX_JOIN:
            if not topic.startswith(TOPIC_PREFIX):  # only realtime:* is routed (§3)
                self._reply(topic, None, msg.ref, "error", {"reason": UNMATCHED_TOPIC})
                return [UnmatchedTopic(topic, event, msg.ref)]
            out: list[ServerEvent] = []
            old = self.channels.get(topic)
            if old is not None:  # duplicate join closes the old instance first (§4.6)
                closed = self.close_channel(topic, DUPLICATE_JOIN)
                if closed is not None:
                    out.append(closed)
            out.append(
                JoinRequested(
                    topic,
                    topic[len(TOPIC_PREFIX) :],
                    msg.join_ref,
                    msg.ref,
                    parse_join_payload(msg.payload),
                    msg.payload,
                    duplicate=old is not None,
                )
            )
            return out
        routed = self._route(topic, event, msg.ref, msg.join_ref)
        if not isinstance(routed, ServerChannel):
            return [routed] if routed is not None else []
        name = routed.name
        payload = msg.payload
        if event == BROADCAST:
            user_event = payload.get("event") if isinstance(payload, dict) else None
            return [
                BroadcastPushed(
                    topic,
                    name,
                    msg.join_ref,
                    msg.ref,
                    user_event if isinstance(user_event, str) else None,
                    payload,
                )
            ]
        if event == PRESENCE:
            pev = payload.get("event") if isinstance(payload, dict) else None
            meta = payload.get("payload") if isinstance(payload, dict) else None
            return [
                PresencePushed(
                    topic,
                    name,
                    msg.join_ref,
                    msg.ref,
                    pev.lower() if isinstance(pev, str) else None,
                    meta,
                    payload,
                )
            ]
        if event == ACCESS_TOKEN:
            token = payload.get(ACCESS_TOKEN) if isinstance(payload, dict) else None
            return [AccessTokenPushed(topic, name, msg.join_ref, msg.ref, token)]
        if event == PHX_LEAVE:  # ok, then phx_close (§4.6)
            self._reply(topic, msg.join_ref, msg.ref, "ok", {})
            self._close(routed)
            return [LeaveRequested(topic, name, msg.join_ref, msg.ref, routed)]
        return [OtherPushed(topic, name, msg.join_ref, msg.ref, event, payload)]

    def _on_kind3(self, frame: UserBroadcastPush) -> list[ServerEvent]:
        routed = self._route(frame.topic, BROADCAST, frame.ref, frame.join_ref)
        if not isinstance(routed, ServerChannel):
            return [routed] if routed is not None else []
        return [
            BroadcastPushed(
                frame.topic,
                routed.name,
                frame.join_ref,
                frame.ref,
                frame.user_event,
                None,
                data=frame.payload,
                encoding=frame.encoding,
                metadata=frame.metadata,
                binary=True,
            )
        ]

    # ----------------------------------------------------------------------------- joins

    def accept_join(
        self,
        request: JoinRequested,
        now: float,
        *,
        response: dict[str, Any] | None = None,
        token_exp: float | None = None,
        token_check_max: float = TOKEN_CHECK_MAX_S,
    ) -> ServerChannel:
        """Register the channel and queue the ok reply (§4.4); arm the token watchdog (§7.4)."""
        join_ref = request.join_ref if request.join_ref is not None else request.ref
        channel = ServerChannel(
            request.topic,
            request.name,
            join_ref,  # type: ignore[arg-type]
            request.config,
            now,
            token_check_max=token_check_max,
        )
        self.channels[request.topic] = channel
        self._reply(
            request.topic,
            join_ref,
            request.ref,
            "ok",
            join_ok_response(request.config) if response is None else response,
        )
        self.set_token_expiry(request.topic, token_exp, now)
        return channel

    def reject_join(self, request: JoinRequested, reason: str) -> None:
        """Queue the error reply of a refused join: ``{"reason": reason}`` (§4.4)."""
        join_ref = request.join_ref if request.join_ref is not None else request.ref
        self._reply(request.topic, join_ref, request.ref, "error", {"reason": reason})

    # ----------------------------------------------------------------------------- data out

    def reply(
        self,
        topic: str,
        join_ref: str | None,
        ref: str | None,
        status: str,
        response: JSON,
    ) -> None:
        """Queue a ``phx_reply`` (acks, presence replies). Replies copy the push's refs (§2.6)."""
        self._reply(topic, join_ref, ref, status, response)

    def push(self, topic: str, event: str, payload: JSON) -> bool:
        """Queue a channel push (``presence_state``, ``system``...) with the channel's join_ref."""
        channel = self.channels.get(topic)
        if channel is None:
            return False
        self._queue(Message(channel.join_ref, None, topic, event, payload))
        return True

    def system(self, topic: str, status: str, message: str, extension: str = "system") -> bool:
        """Queue a ``system`` push: ``{extension, status, message, channel}`` (§4.5)."""
        channel = self.channels.get(topic)
        if channel is None:
            return False
        payload = {
            "extension": extension,
            "status": status,
            "message": message,
            "channel": channel.name,
        }
        return self.push(topic, SYSTEM, payload)

    def close_channel(self, topic: str, reason: str = CLOSED_BY_SERVER) -> ChannelClosed | None:
        """Queue ``phx_close`` for a channel and forget it (§4.6)."""
        channel = self.channels.get(topic)
        if channel is None:
            return None
        self._close(channel)
        return ChannelClosed(topic, channel.name, channel.join_ref, reason, channel)

    def system_error_and_close(self, topic: str, message: str) -> ChannelClosed | None:
        """The fatal pattern of §4.6: ``system`` with status error, then ``phx_close``."""
        if not self.system(topic, "error", message):
            return None
        return self.close_channel(topic, message)

    def error_channel(self, topic: str) -> ServerChannel | None:
        """Queue ``phx_error`` (a crashed channel, §4.6) and forget the channel."""
        channel = self.channels.pop(topic, None)
        if channel is not None:
            self._queue(Message(channel.join_ref, channel.join_ref, topic, PHX_ERROR, {}))
        return channel

    def deliver(self, fanout: Fanout[Any], topic: str) -> bool:
        """Queue a fan-out message for this receiver in its format; False if it gets nothing."""
        data = fanout.encoded(self.vsn, topic)
        if data is None:
            return False
        self._out.append(data)
        return True

    def send_message(self, message: Message) -> None:
        """Queue any text message as this socket's vsn writes it (no join_ref in v1, §2.1)."""
        self._queue(message)

    def send_raw(self, data: str | bytes) -> None:
        """Queue data exactly as given (fault injection: malformed frames)."""
        self._out.append(data)

    def data_to_send(self) -> list[str | bytes]:
        """Drain what is queued for the wire, in order."""
        out, self._out = self._out, []
        return out

    @property
    def has_data(self) -> bool:
        """Whether :meth:`data_to_send` would return something."""
        return bool(self._out)

    # ----------------------------------------------------------------------------- timers

    def set_token_expiry(self, topic: str, exp: float | None, now: float) -> None:
        """(Re)arm the token watchdog of a channel: next check at min(cap, exp) (§7.4)."""
        channel = self.channels.get(topic)
        if channel is None:
            return
        channel.token_exp = exp
        channel.token_check_at = None if exp is None else min(now + channel.token_check_max, exp)

    def next_deadline(self) -> float | None:
        """The earliest time :meth:`handle_timer` has work, or None."""
        best: float | None = None
        if self.idle_timeout is not None and not self._idle_reported:
            best = self.last_received_at + self.idle_timeout
        for channel in self.channels.values():
            at = channel.token_check_at
            if at is not None and (best is None or at < best):
                best = at
        return best

    def handle_timer(self, now: float) -> list[ServerEvent]:
        """Run what is due: token expiry (system error then close, §7.4), idle timeout (§1.5)."""
        events: list[ServerEvent] = []
        for topic, channel in list(self.channels.items()):
            at = channel.token_check_at
            if at is None or at > now:
                continue
            exp = channel.token_exp
            if exp is not None and exp <= now:
                text = f"Token has expired {int(now - exp)} seconds ago"
                closed = self.system_error_and_close(topic, text)
                if closed is not None:
                    events.append(closed)
            else:
                self.set_token_expiry(topic, exp, now)
        if (
            self.idle_timeout is not None
            and not self._idle_reported
            and now >= self.last_received_at + self.idle_timeout
        ):
            self._idle_reported = True
            events.append(IdleTimeout(now - self.last_received_at))
        return events

    # ----------------------------------------------------------------------------- internals

    def _close(self, channel: ServerChannel) -> None:
        self.channels.pop(channel.topic, None)
        self._queue(Message(channel.join_ref, channel.join_ref, channel.topic, PHX_CLOSE, {}))

    def _reply(
        self, topic: str, join_ref: str | None, ref: str | None, status: str, response: JSON
    ) -> None:
        payload = {"status": status, "response": response}
        self._queue(Message(join_ref, ref, topic, PHX_REPLY, payload))

    def _queue(self, msg: Message) -> None:
        if self.vsn == VSN1 and msg.join_ref is not None:
            msg = Message(None, msg.ref, msg.topic, msg.event, msg.payload)
        self._out.append(encode(msg, self.vsn))
