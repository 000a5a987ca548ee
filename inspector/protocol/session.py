"""The client role of a Realtime socket as a pure state machine (docs/realtime-protocol.md §2-§8).

A :class:`ClientSession` does no I/O and reads no clock. Its surface has four verbs, as in
wsproto and aioquic:

- data in: :meth:`~ClientSession.receive` with one websocket message and the current time
  (decoded and routed here: replies, broadcasts, presence, ``system``, ``phx_error``,
  ``phx_close``; a kind-4 broadcast is read in place, §2.3);
  socket life: :meth:`~ClientSession.connection_made`, :meth:`~ClientSession.connection_lost`;
- events out: :meth:`~ClientSession.take_events` (see :mod:`inspector.protocol.events`);
- data to send out: :meth:`~ClientSession.data_to_send` (``str`` text frames, ``bytes``
  binary frames);
- state: :attr:`~ClientSession.state`, :attr:`~ClientSession.channels`, counters;

plus one timer: the caller asks :meth:`~ClientSession.next_deadline` and calls
:meth:`~ClientSession.handle_timer` when it passes. Everything with a deadline lives on that
one heap: heartbeats (§7.1), join and push timeouts, rejoin and reconnect back-off (§7.2).

The session outlives websocket connections: when one is lost it schedules the next attempt and
emits ``ConnectionStateChanged(CONNECTING)`` when it is due; the caller then opens a socket and
reports :meth:`~ClientSession.connection_made` or :meth:`~ClientSession.connection_lost`. A
:class:`~inspector.protocol.events.CloseRequested` event asks the caller to close the socket.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from .backoff import delay_for
from .channel import Channel, ChannelConfig, InvalidTransition, Push, reply_reason
from .client_config import SessionConfig, Timer, cancel
from .events import (
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
    new_broadcast,
)
from .frames import (
    ACCESS_TOKEN,
    BROADCAST,
    ENCODING_BINARY,
    ENCODING_JSON,
    HEARTBEAT,
    PHOENIX_TOPIC,
    PHX_CLOSE,
    PHX_ERROR,
    PHX_JOIN,
    PHX_LEAVE,
    PHX_REPLY,
    PRESENCE,
    PRESENCE_DIFF,
    PRESENCE_STATE,
    SYSTEM,
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
)
from .serializer import VSN2, EncodeError, Role, decode, dumps, encode, encode_binary

__all__ = ["ClientSession", "InvalidTransition", "Session", "SessionConfig"]

_MAX_FIELD: Final = 255
_CLOSED = ChannelState.CLOSED
#: The C JSON scanner without json.loads's Python wrappers (about twice as fast per frame).
_scan: Final[Callable[[str, int], tuple[Any, int]]] = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]


class ClientSession:
    """A Realtime client socket with its channels, as a pure state machine."""

    def __init__(self, config: SessionConfig | None = None) -> None:
        cfg = config or SessionConfig()
        #: The configuration (immutable; the access token lives in :attr:`access_token`).
        self.config = cfg
        self.vsn = cfg.vsn
        #: The socket's state.
        self.state = ConnectionState.CLOSED
        #: The token sent in joins and ``access_token`` pushes (§7.4).
        self.access_token = cfg.access_token
        #: Channels by topic, in join order. Read-only for callers.
        self.channels: dict[str, Channel] = {}
        #: Latest heartbeat round trip in seconds, None before the first reply.
        self.heartbeat_rtt: float | None = None
        #: Reconnect attempts since the last successful open.
        self.attempt = 0
        #: Frames that did not decode (counted; each also becomes a FrameRejected event).
        self.rejected = 0
        self._events: list[SessionEvent] = []
        self._out: list[str | bytes] = []
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._ref = 0
        self._push_ids = itertools.count(1)
        self._pending: dict[str, Push] = {}
        self._by_topic_bytes: dict[bytes, Channel] = {}
        self._hb_ref: str | None = None
        self._hb_sent_at = 0.0
        self._hb_timer: Timer | None = None
        self._reconnect_timer: Timer | None = None
        self._v2 = cfg.vsn == VSN2

    # ================================================================== outputs

    def take_events(self) -> list[SessionEvent]:
        """Events since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str | bytes]:
        """Frames to write since the last call, in order (``str`` text, ``bytes`` binary)."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """The earliest time :meth:`handle_timer` has work to do, or None."""
        heap = self._timers
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def handle_timer(self, now: float) -> None:
        """Run everything that was due at or before ``now``."""
        heap = self._timers
        while heap and heap[0][0] <= now:
            _, _, timer = heapq.heappop(heap)
            if not timer.cancelled:
                timer.cancelled = True
                timer.fn(now, *timer.args)

    def _schedule(self, when: float, fn: Callable[..., None], *args: Any) -> Timer:
        timer = Timer(when, fn, args)
        heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    def _make_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    def _emit(self, event: SessionEvent) -> None:
        self._events.append(event)

    def _write(self, frame: Message | UserBroadcastPush) -> None:
        self._out.append(encode(frame, self.vsn))

    # ================================================================== connection

    def connect(self, now: float) -> None:
        """The caller is about to open the websocket (first time, or by the user's wish)."""
        if self.state in (ConnectionState.OPEN, ConnectionState.CONNECTING):
            return
        cancel(self._reconnect_timer)
        self.state = ConnectionState.CONNECTING
        self._emit(ConnectionStateChanged(self.state, self.attempt, None, "", now))

    def connection_made(self, now: float) -> None:
        """The websocket opened: start heartbeats, (re)join every channel (§7.1, §7.2)."""
        if self.state is not ConnectionState.CONNECTING:
            return
        self.state = ConnectionState.OPEN
        self.attempt = 0
        self._emit(ConnectionStateChanged(self.state, 0, None, "", now))
        self._hb_ref = None
        cancel(self._hb_timer)
        self._hb_timer = self._schedule(now + self.config.heartbeat_interval, self._heartbeat)
        for ch in list(self.channels.values()):
            if ch.state in (ChannelState.JOINING, ChannelState.ERRORED):
                cancel(ch.rejoin_timer)
                ch.rejoin_tries = 0
                self._send_join(ch, now)

    def connection_lost(self, now: float, reason: str) -> None:
        """The websocket closed or could not be opened; ``reason`` in plain words (§7.2)."""
        if self.state in (ConnectionState.OPEN, ConnectionState.CONNECTING):
            self._lost(now, reason)

    def close(self, now: float) -> None:
        """The local user closes the session: every channel closes, no reconnect follows."""
        was_live = self.state in (ConnectionState.OPEN, ConnectionState.CONNECTING)
        cancel(self._hb_timer)
        cancel(self._reconnect_timer)
        self._hb_ref = None
        for ch in list(self.channels.values()):
            self._finish_leave(ch, now, "the client closed the connection")
        for push in list(self._pending.values()):
            self._pending.pop(push.ref or "", None)
            cancel(push.timer)
            if push.push_id:
                self._result(push, PushStatus.DROPPED, "the client closed the connection", now)
        self.state = ConnectionState.CLOSED
        self.attempt = 0
        if was_live:
            self._emit(CloseRequested(1000, "client closed"))
        self._emit(ConnectionStateChanged(self.state, 0, None, "closed by the client", now))

    def _lost(self, now: float, reason: str) -> None:
        cancel(self._hb_timer)
        self._hb_ref = None
        for ch in list(self.channels.values()):
            ch.join_sent = False
            cancel(ch.join_timer)
            cancel(ch.rejoin_timer)
            ch.rejoin_tries = 0
            if ch.join_ref is not None:
                self._pending.pop(ch.join_ref, None)
            if ch.state is ChannelState.LEAVING:
                self._finish_leave(ch, now)
            elif ch.can(ChannelCause.SOCKET_LOST):
                ch.last_error = reason
                self._change(ch, ChannelCause.SOCKET_LOST, now, reason)
        # A reply to a push sent on this socket can no longer come: say so now, with the
        # reason, instead of a "no reply in time" after the push timeout (the server may have
        # closed the socket because of that very push, e.g. a message over its size limit).
        for ref, push in list(self._pending.items()):
            if push.push_id and push.event not in (PHX_JOIN, PHX_LEAVE):
                del self._pending[ref]
                cancel(push.timer)
                self._result(
                    push, PushStatus.TIMED_OUT, f"no reply: the connection closed ({reason})", now
                )
        self.attempt += 1
        delay = delay_for(self.attempt, self.config.reconnect_schedule)
        self.state = ConnectionState.RECONNECT_WAIT
        self._reconnect_timer = self._schedule(now + delay, self._reconnect_due)
        self._emit(ConnectionStateChanged(self.state, self.attempt, delay, reason, now))

    def _reconnect_due(self, now: float) -> None:
        if self.state is ConnectionState.RECONNECT_WAIT:
            self.state = ConnectionState.CONNECTING
            self._emit(ConnectionStateChanged(self.state, self.attempt, None, "", now))

    # ------------------------------------------------------------------ heartbeat §7.1

    def _heartbeat(self, now: float) -> None:
        if self.state is not ConnectionState.OPEN:
            return
        ref = self._make_ref()
        self._hb_ref = ref
        self._hb_sent_at = now
        self._write(Message(None, ref, PHOENIX_TOPIC, HEARTBEAT, {}))
        self._emit_heartbeat("sent", None, now)
        self._hb_timer = self._schedule(
            now + self.config.heartbeat_interval, self._heartbeat_timeout, ref
        )

    def _emit_heartbeat(self, status: str, rtt: float | None, now: float) -> None:
        self._emit(HeartbeatEvent(status, rtt, now))

    def _heartbeat_reply(self, ok: bool, now: float) -> None:
        cancel(self._hb_timer)
        rtt = now - self._hb_sent_at
        self.heartbeat_rtt = rtt
        self._hb_ref = None
        self._emit_heartbeat("ok" if ok else "error", rtt, now)
        self._hb_timer = self._schedule(now + self.config.heartbeat_interval, self._heartbeat)

    def _heartbeat_timeout(self, now: float, ref: str) -> None:
        if ref != self._hb_ref or self.state is not ConnectionState.OPEN:
            return
        self._emit_heartbeat("timeout", None, now)
        self._emit(CloseRequested(1000, "heartbeat timeout"))
        self._lost(now, "heartbeat timeout")

    # ================================================================== inbound (§2.6, §4-§8)

    # Peer input never raises out of here: bad frames become ``FrameRejected`` events, frames
    # no channel wants become ``MessageIgnored``. The hot path is a binary kind-4 broadcast
    # (§2.3): its header is read in place, the channel is found by the topic's bytes, and the
    # payload bytes are handed on undecoded.

    def receive(self, data: str | bytes, now: float) -> None:
        """Take one websocket message (``str`` text, ``bytes`` binary) received at ``now``."""
        cls = data.__class__
        if cls is bytes:
            if self._v2 and data[:1] == b"\x04" and self._fast_kind4(data, now):  # type: ignore[arg-type]
                return
        elif cls is str and self._fast_text_broadcast(data, now):  # type: ignore[arg-type]
            return
        frame = decode(data, self.vsn, Role.CLIENT)
        if isinstance(frame, Message):
            self._on_message(frame, _size(data), now, data)
        elif isinstance(frame, UserBroadcast):
            self._on_user_broadcast(frame, len(data), now)
        elif isinstance(frame, FrameRejected):
            self.rejected += 1
            self._events.append(frame)
        elif isinstance(frame, BinaryPush | BinaryBroadcast):
            ch = self._member(frame.topic, frame.event, getattr(frame, "join_ref", None), None)
            if ch is not None:
                self._events.append(ChannelMessage(ch.topic, frame.event, frame.payload, None, now))
        elif isinstance(frame, BinaryReply):
            self._ignore(
                frame.topic,
                PHX_REPLY,
                frame.join_ref,
                frame.ref,
                "binary replies (kind 1) are not used by Realtime",
            )

    def _fast_text_broadcast(self, data: str, now: float) -> bool:
        """A text ``broadcast`` for an open channel, without the general decoder (§2.1, §2.2).

        False sends the frame down the general path (which reports anything malformed).
        """
        try:
            obj, end = _scan(data, 0)
        except (StopIteration, ValueError, RecursionError):
            return False
        if end != len(data):  # whitespace or trailing data: let the general path judge
            return False
        if self._v2:
            if obj.__class__ is not list or len(obj) < 5 or obj[3] != BROADCAST:
                return False
            join_ref, topic, payload = obj[0], obj[2], obj[4]
        else:
            if obj.__class__ is not dict or obj.get("event") != BROADCAST or "ref" not in obj:
                return False
            join_ref, topic, payload = obj.get("join_ref"), obj.get("topic"), obj.get("payload")
        if topic.__class__ is not str or payload.__class__ is not dict:
            return False
        ch = self.channels.get(topic)
        if ch is None or ch.state is _CLOSED or (join_ref is not None and join_ref != ch.join_ref):
            return False
        user_event = payload.get("event")
        if user_event.__class__ is not str:
            return False
        size = len(data) if data.isascii() else len(data.encode())
        self._broadcast(
            ch, user_event, False, None, payload.get("payload"), payload.get("meta"), size, now
        )
        return True

    def _fast_kind4(self, data: bytes, now: float) -> bool:
        """Kind 4 read in place (§2.3); False sends the frame down the general path."""
        n = len(data)
        if n < 5:
            return False
        a = 5 + data[1]
        b = a + data[2]
        c = b + data[3]
        enc = data[4]
        if c > n or enc > 1:
            return False
        ch = self._by_topic_bytes.get(data[5:a])
        if ch is None or ch.state is _CLOSED:
            return False
        try:
            event = data[a:b].decode()
        except UnicodeDecodeError:
            return False
        self._broadcast(ch, event, enc == 0, data[c:], None, data[b:c], n, now)
        return True

    # ------------------------------------------------------------------ routing

    def _ignore(
        self, topic: str, event: str, join_ref: str | None, ref: str | None, reason: str
    ) -> None:
        self._events.append(MessageIgnored(topic, event, join_ref, ref, reason))

    def _member(
        self, topic: str, event: str, join_ref: str | None, ref: str | None
    ) -> Channel | None:
        """The channel that takes this message, or None (reported) (§2.6 ``isMember``)."""
        ch = self.channels.get(topic)
        if ch is None or ch.state is _CLOSED:
            self._ignore(topic, event, join_ref, ref, "no open channel on this topic")
            return None
        if join_ref is not None and join_ref != ch.join_ref:
            self._ignore(
                topic, event, join_ref, ref, f"stale join_ref (the channel's is {ch.join_ref})"
            )
            return None
        return ch

    def _on_user_broadcast(self, frame: UserBroadcast, size: int, now: float) -> None:
        ch = self._member(frame.topic, frame.user_event, None, None)
        if ch is not None:
            event, binary = frame.user_event, frame.encoding == 0
            self._broadcast(ch, event, binary, frame.payload, None, frame.metadata, size, now)

    def _broadcast(
        self,
        ch: Channel,
        event: str,
        binary: bool,
        raw: bytes | None,
        value: Any,
        meta: Any,
        size: int,
        now: float,
    ) -> None:
        """The one place a broadcast becomes an event: dropped (and counted) when the channel's
        event filter refuses ``event``, else counted and reported (§5.3)."""
        flt = ch.event_filter
        if flt is not None and not flt.matches(event):
            ch.filtered += 1
            return
        ch.received += 1
        self._events.append(new_broadcast(ch.topic, event, binary, raw, value, meta, size, now))

    def _on_message(self, msg: Message, size: int, now: float, raw: str | bytes = b"") -> None:
        event = msg.event
        if event == PHX_REPLY:
            self._on_reply(msg, now)
            return
        ch = self._member(msg.topic, event, msg.join_ref, msg.ref)
        if ch is None:
            return
        payload = msg.payload
        if event == BROADCAST:
            if isinstance(payload, Mapping) and isinstance(payload.get("event"), str):
                value, meta = payload.get("payload"), payload.get("meta")
                self._broadcast(ch, payload["event"], False, None, value, meta, size, now)
                return
        elif event in (PRESENCE_STATE, PRESENCE_DIFF):
            self._on_presence(ch, event, payload, msg.join_ref, now, raw)
            return
        elif event == SYSTEM:
            self._on_system(ch, payload, now)
            return
        elif event == PHX_ERROR:
            if ch.can(ChannelCause.SERVER_ERROR):
                reason = "channel error"
                if isinstance(payload, Mapping) and isinstance(payload.get("reason"), str):
                    reason = payload["reason"]
                self._error_and_rejoin(ch, ChannelCause.SERVER_ERROR, now, reason)
            else:
                self._ignore(
                    msg.topic,
                    event,
                    msg.join_ref,
                    msg.ref,
                    f"phx_error while the channel is {ch.state.value}",
                )
            return
        elif event == PHX_CLOSE:
            self._on_close(ch, now)
            return
        self._events.append(ChannelMessage(ch.topic, event, payload, msg.ref, now))

    def _on_presence(
        self,
        ch: Channel,
        event: str,
        payload: Any,
        join_ref: str | None,
        now: float,
        raw: str | bytes,
    ) -> None:
        presence = ch.presence
        if event == PRESENCE_STATE:
            changes = presence.apply_state(payload, ch.join_ref)
            kinds = ["state"] + ["diff"] * (len(changes) - 1)
        else:
            change = presence.apply_diff(payload, ch.join_ref)
            changes = [] if change is None else [change]
            kinds = ["diff"] * len(changes)
        if presence.problems:  # the usable part was applied; the rest is reported (§8)
            self.rejected += 1
            why = "; ".join(presence.problems)
            self._events.append(FrameRejected(raw, f"{event} on {ch.topic}: skipped {why}"))
        if not changes:  # a diff held back until the state arrives (§8.4)
            return
        for kind, change in zip(kinds, changes, strict=True):
            self._events.append(
                PresenceChanged(
                    ch.topic, kind, change.joins, change.leaves, presence.snapshot(), now
                )
            )

    def _on_system(self, ch: Channel, payload: Any, now: float) -> None:
        if not isinstance(payload, Mapping):
            self._events.append(ChannelMessage(ch.topic, SYSTEM, payload, None, now))
            return
        status = str(payload.get("status", ""))
        message = str(payload.get("message", ""))
        if status == "error":
            ch.pending_close_reason = message
            ch.last_error = message
        self._events.append(
            SystemMessage(
                ch.topic, status, str(payload.get("extension", "")), message, payload, now
            )
        )

    def _on_close(self, ch: Channel, now: float) -> None:
        if ch.state is ChannelState.LEAVING:
            self._finish_leave(ch, now)
            return
        reason = ch.pending_close_reason or "closed by the server"
        cancel(ch.join_timer)
        cancel(ch.rejoin_timer)
        if ch.join_ref is not None:
            self._pending.pop(ch.join_ref, None)
        self._change(ch, ChannelCause.SERVER_CLOSE, now, reason)
        self._drop_buffer(ch, now, f"the channel was closed: {reason}")
        ch.presence.reset()

    # ------------------------------------------------------------------ replies

    def _on_reply(self, msg: Message, now: float) -> None:
        ref = msg.ref
        payload = msg.payload
        status = payload.get("status") if isinstance(payload, Mapping) else None
        if ref is None or not isinstance(status, str):
            self._ignore(msg.topic, PHX_REPLY, msg.join_ref, ref, "reply without a ref or a status")
            return
        response = payload.get("response")
        if msg.topic == PHOENIX_TOPIC and ref == self._hb_ref:
            self._heartbeat_reply(status == "ok", now)
            return
        push = self._pending.get(ref)
        if push is None or push.topic != msg.topic:
            self._ignore(msg.topic, PHX_REPLY, msg.join_ref, ref, "reply to no pending push")
            return
        ch = self.channels.get(msg.topic)
        if ch is not None and msg.join_ref is not None and msg.join_ref != ch.join_ref:
            self._ignore(
                msg.topic,
                PHX_REPLY,
                msg.join_ref,
                ref,
                f"stale join_ref (the channel's is {ch.join_ref})",
            )
            return
        del self._pending[ref]
        cancel(push.timer)
        if push.event == PHX_JOIN:
            if ch is not None and ch.join_ref == ref:
                self._on_join_reply(ch, status, response, now)
            return
        if push.event == PHX_LEAVE:
            if ch is not None and ch.leave_ref == ref:
                self._finish_leave(ch, now)
            return
        ok = status == "ok"
        rtt = now - push.sent_at if push.sent_at is not None else None
        self._events.append(
            PushResult(
                push.push_id,
                push.topic,
                push.label,
                PushStatus.OK if ok else PushStatus.ERROR,
                response,
                rtt,
                now,
            )
        )

    def _on_join_reply(self, ch: Channel, status: str, response: Any, now: float) -> None:
        cancel(ch.join_timer)
        if ch.state is not ChannelState.JOINING:
            return
        if status == "ok":
            ch.rejoin_tries = 0
            ch.last_error = ""
            self._change(ch, ChannelCause.JOINED, now)
            self._flush_buffer(ch, now)
        else:
            self._error_and_rejoin(ch, ChannelCause.JOIN_ERROR, now, reply_reason(response))

    # ================================================================== channels

    def join(self, config: ChannelConfig, now: float) -> Channel:
        """Add a channel and join it; the join goes out now or when the socket opens (§4.1)."""
        topic = config.topic
        old = self.channels.get(topic)
        if old is not None and old.state is not ChannelState.CLOSED:
            raise InvalidTransition(f"channel {topic} is already {old.state.value}")
        ch = Channel(config, self.config.buffer_size)
        self.channels[topic] = ch
        self._by_topic_bytes[topic.encode()] = ch
        if self.state is ConnectionState.OPEN:
            self._send_join(ch, now)
        else:
            self._change(ch, ChannelCause.JOIN_SENT, now, "waiting for the socket to open")
        return ch

    def leave(self, topic: str, now: float) -> None:
        """Leave a channel: ``phx_leave``, then CLOSED on the reply (§4.6). Removes it."""
        ch = self._channel(topic)
        cancel(ch.rejoin_timer)
        cancel(ch.join_timer)
        if ch.state is ChannelState.LEAVING:
            return
        if (
            self.state is ConnectionState.OPEN
            and ch.join_sent
            and ch.state in (ChannelState.JOINING, ChannelState.JOINED)
        ):
            if ch.join_ref is not None:
                self._pending.pop(ch.join_ref, None)
            ref = self._make_ref()
            push = Push(0, topic, PHX_LEAVE, {}, PHX_LEAVE, True, self.config.push_timeout)
            push.ref = ref
            push.sent_at = now
            ch.leave_ref = ref
            self._pending[ref] = push
            push.timer = self._schedule(now + push.timeout, self._leave_timeout, ch, ref)
            self._write(Message(ch.join_ref, ref, topic, PHX_LEAVE, {}))
            self._change(ch, ChannelCause.LEAVE_SENT, now)
        else:
            self._finish_leave(ch, now)

    def _channel(self, topic: str) -> Channel:
        ch = self.channels.get(topic)
        if ch is None:
            raise KeyError(f"no channel {topic}")
        return ch

    def _change(
        self,
        ch: Channel,
        cause: ChannelCause,
        now: float,
        reason: str = "",
        retry_in: float | None = None,
    ) -> None:
        state = ch.transition(cause)
        self._emit(ChannelStateChanged(ch.topic, state, cause, reason, retry_in, ch.join_ref, now))

    def _send_join(self, ch: Channel, now: float) -> None:
        cancel(ch.join_timer)
        if ch.join_ref is not None:
            self._pending.pop(ch.join_ref, None)
        ref = self._make_ref()
        ch.join_ref = ref
        ch.join_sent = True
        ch.pending_close_reason = ""
        cfg = self.config
        payload = ch.config.join_payload(self.access_token, cfg.client_version)
        push = Push(0, ch.topic, PHX_JOIN, payload, PHX_JOIN, True, cfg.join_timeout)
        push.ref = ref
        push.sent_at = now
        self._pending[ref] = push
        ch.join_timer = self._schedule(now + cfg.join_timeout, self._join_timeout, ch, ref)
        self._write(Message(ref, ref, ch.topic, PHX_JOIN, payload))
        self._change(ch, ChannelCause.JOIN_SENT, now)

    def _schedule_rejoin(self, ch: Channel, now: float) -> float | None:
        """Arm the rejoin timer when the socket is open (§7.2); returns the delay or None."""
        cancel(ch.rejoin_timer)
        if self.state is not ConnectionState.OPEN:
            return None
        ch.rejoin_tries += 1
        delay = delay_for(ch.rejoin_tries, self.config.rejoin_schedule)
        ch.rejoin_timer = self._schedule(now + delay, self._rejoin_due, ch)
        return delay

    def _rejoin_due(self, now: float, ch: Channel) -> None:
        if (
            self.state is ConnectionState.OPEN
            and ch.state is ChannelState.ERRORED
            and self.channels.get(ch.topic) is ch
        ):
            self._send_join(ch, now)

    def _join_timeout(self, now: float, ch: Channel, ref: str) -> None:
        if ch.join_ref != ref or ch.state is not ChannelState.JOINING:
            return
        self._pending.pop(ref, None)
        # phoenix sends phx_leave before rejoining after a join timeout (§7.2).
        self._write(Message(ref, self._make_ref(), ch.topic, PHX_LEAVE, {}))
        reason = f"no reply to the join within {self.config.join_timeout:g} s"
        self._error_and_rejoin(ch, ChannelCause.JOIN_TIMEOUT, now, reason)

    def _error_and_rejoin(self, ch: Channel, cause: ChannelCause, now: float, reason: str) -> None:
        """Move to ERRORED and arm the rejoin timer when the socket is open (§7.2)."""
        cancel(ch.join_timer)
        ch.last_error = reason
        state = ch.transition(cause)
        delay = self._schedule_rejoin(ch, now)
        self._emit(ChannelStateChanged(ch.topic, state, cause, reason, delay, ch.join_ref, now))

    def _leave_timeout(self, now: float, ch: Channel, ref: str) -> None:
        if ch.leave_ref == ref and ch.state is ChannelState.LEAVING:
            self._finish_leave(ch, now, "no reply to the leave; closed locally")

    def _finish_leave(self, ch: Channel, now: float, reason: str = "") -> None:
        cancel(ch.join_timer)
        cancel(ch.rejoin_timer)
        if ch.leave_ref is not None:
            push = self._pending.pop(ch.leave_ref, None)
            if push is not None:
                cancel(push.timer)
            ch.leave_ref = None
        if ch.join_ref is not None:
            self._pending.pop(ch.join_ref, None)
        self._change(ch, ChannelCause.LEFT, now, reason)
        self._drop_buffer(ch, now, "the channel was left before the push could be sent")
        ch.presence.reset()
        if self.channels.get(ch.topic) is ch:
            del self.channels[ch.topic]
            self._by_topic_bytes.pop(ch.topic.encode(), None)

    def _drop_buffer(self, ch: Channel, now: float, why: str) -> None:
        while ch.buffer:
            push = ch.buffer.popleft()
            cancel(push.timer)
            ch.dropped += 1
            self._result(push, PushStatus.DROPPED, why, now)

    # ================================================================== pushes

    def push_broadcast(
        self,
        topic: str,
        event: str,
        payload: Any,
        now: float,
        *,
        binary: bool = False,
        timeout: float | None = None,
    ) -> int:
        """Broadcast ``payload`` on a channel (§5.1); returns the push id of its PushResult.

        JSON payloads go as binary kind 3 with encoding 1 in vsn 2.0.0 (as realtime-js sends)
        and as a JSON object in vsn 1.0.0. ``binary=True`` sends ``payload`` (bytes) as raw
        bytes, kind 3 encoding 0; only vsn 2.0.0 can carry that. With the channel's ``ack``
        the result is OK/ERROR/TIMED_OUT with the round trip, otherwise SENT.
        """
        ch = self._channel(topic)
        if binary:
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise TypeError("binary payloads must be bytes")
            if not self._v2:
                raise EncodeError("binary payloads need protocol version 2.0.0")
            body: Any = (event, ENCODING_BINARY, bytes(payload))
        elif self._v2:
            body = (event, ENCODING_JSON, dumps({} if payload is None else payload).encode())
        else:
            dumps(payload)  # refuse what JSON cannot carry now, not when the buffer flushes
            body = {"type": BROADCAST, "event": event, "payload": payload}
        if self._v2:
            for name, value in (("topic", topic), ("event", event)):
                if len(value.encode()) > _MAX_FIELD:
                    raise EncodeError(f"{name} is over 255 bytes; binary frames cannot carry it")
        expects = ch.config.broadcast_ack
        return self._push(ch, BROADCAST, body, event, expects, timeout, now)

    def push(
        self,
        topic: str,
        event: str,
        payload: Any,
        now: float,
        *,
        expects_reply: bool = True,
        timeout: float | None = None,
    ) -> int:
        """Push any event with a JSON payload on a channel (text frame); returns its push id."""
        ch = self._channel(topic)
        dumps(payload)
        return self._push(ch, event, payload, event, expects_reply, timeout, now)

    def track(self, topic: str, payload: Mapping[str, Any], now: float) -> int:
        """Track presence with ``payload`` (§8.1, realtime-js form); returns its push id."""
        body = {"type": PRESENCE, "event": "track", "payload": dict(payload)}
        return self.push(topic, PRESENCE, body, now)

    def untrack(self, topic: str, now: float) -> int:
        """Stop tracking presence on a channel (§8.1); returns its push id."""
        return self.push(topic, PRESENCE, {"type": PRESENCE, "event": "untrack"}, now)

    def set_access_token(self, token: str | None, now: float) -> None:
        """Use ``token`` for later joins and send it to every joined channel (§7.4)."""
        self.access_token = token
        if self.state is not ConnectionState.OPEN or token is None:
            return
        for ch in self.channels.values():
            if ch.state is ChannelState.JOINED:
                self._write(
                    Message(
                        ch.join_ref,
                        self._make_ref(),
                        ch.topic,
                        ACCESS_TOKEN,
                        {"access_token": token},
                    )
                )

    def _push(
        self,
        ch: Channel,
        event: str,
        body: Any,
        label: str,
        expects_reply: bool,
        timeout: float | None,
        now: float,
    ) -> int:
        push_id = next(self._push_ids)
        push = Push(
            push_id,
            ch.topic,
            event,
            body,
            label,
            expects_reply,
            self.config.push_timeout if timeout is None else timeout,
        )
        if self.state is ConnectionState.OPEN and ch.state is ChannelState.JOINED:
            self._send_push(ch, push, now)
            return push_id
        if ch.state is ChannelState.CLOSED or ch.state is ChannelState.LEAVING:
            ch.dropped += 1
            self._result(push, PushStatus.DROPPED, f"the channel is {ch.state.value}", now)
            return push_id
        push.timer = self._schedule(now + push.timeout, self._buffered_timeout, ch, push)
        dropped = ch.buffer_push(push)
        if dropped is not None:
            cancel(dropped.timer)
            self._result(dropped, PushStatus.DROPPED, "the push buffer was full", now)
        return push_id

    def _send_push(self, ch: Channel, push: Push, now: float) -> None:
        ref = self._make_ref()
        push.ref = ref
        push.sent_at = now
        body = push.payload
        if push.event == BROADCAST and isinstance(body, tuple):
            user_event, encoding, data = body
            self._out.append(
                encode_binary(
                    UserBroadcastPush(ch.join_ref, ref, ch.topic, user_event, b"", encoding, data)
                )
            )
        else:
            self._out.append(
                encode(Message(ch.join_ref, ref, ch.topic, push.event, body), self.vsn)
            )
        if push.expects_reply:
            self._pending[ref] = push
            push.timer = self._schedule(now + push.timeout, self._push_timeout, push)
        else:
            self._result(push, PushStatus.SENT, None, now)

    def _flush_buffer(self, ch: Channel, now: float) -> None:
        while ch.buffer and ch.state is ChannelState.JOINED:
            push = ch.buffer.popleft()
            cancel(push.timer)
            self._send_push(ch, push, now)

    def _buffered_timeout(self, now: float, ch: Channel, push: Push) -> None:
        if push.ref is None and push in ch.buffer:
            ch.buffer.remove(push)
            self._result(
                push, PushStatus.TIMED_OUT, "not sent: the channel did not join in time", now
            )

    def _push_timeout(self, now: float, push: Push) -> None:
        if push.ref is not None and self._pending.pop(push.ref, None) is push:
            self._result(push, PushStatus.TIMED_OUT, "no reply from the server in time", now)

    def _result(self, push: Push, status: PushStatus, response: Any, now: float) -> None:
        rtt = None
        if status in (PushStatus.OK, PushStatus.ERROR) and push.sent_at is not None:
            rtt = now - push.sent_at
        self._emit(PushResult(push.push_id, push.topic, push.label, status, response, rtt, now))


def _size(data: str | bytes) -> int:
    """Bytes on the wire: UTF-8 length for text frames."""
    if isinstance(data, str) and not data.isascii():
        return len(data.encode())
    return len(data)


#: The client-role session under its architectural name.
Session = ClientSession
