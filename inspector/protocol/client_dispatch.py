"""Inbound half of the client session: decode one websocket message and route it (§2.6, §4-§8).

:class:`Dispatcher` is the base of :class:`~inspector.protocol.session.ClientSession`; it
holds :meth:`receive` and the handlers for replies, broadcasts, presence, ``system``,
``phx_error`` and ``phx_close``. Peer input never raises out of here: bad frames become
``FrameRejected`` events, frames no channel wants become ``MessageIgnored``.

The hot path is a binary kind-4 broadcast (§2.3): its header is read in place, the channel is
found by the topic's bytes, and the payload bytes are handed on undecoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from .channel import Channel, Push, reply_reason
from .events import (
    BroadcastReceived,
    ChannelCause,
    ChannelMessage,
    ChannelState,
    MessageIgnored,
    PresenceChanged,
    PushResult,
    PushStatus,
    SessionEvent,
    SystemMessage,
    new_broadcast,
)
from .frames import (
    BROADCAST,
    PHOENIX_TOPIC,
    PHX_CLOSE,
    PHX_ERROR,
    PHX_JOIN,
    PHX_LEAVE,
    PHX_REPLY,
    PRESENCE_DIFF,
    PRESENCE_STATE,
    SYSTEM,
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    FrameRejected,
    Message,
    UserBroadcast,
)
from .serializer import Role, decode

_CLOSED = ChannelState.CLOSED
#: The C JSON scanner without json.loads's Python wrappers (about twice as fast per frame).
_scan: Final[Callable[[str, int], tuple[Any, int]]] = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]


class Dispatcher:
    """Decoding and routing of server frames; the session supplies state and actions."""

    # State the session owns (declared for the type checker).
    vsn: str
    channels: dict[str, Channel]
    rejected: int
    _events: list[SessionEvent]
    _pending: dict[str, Push]
    _by_topic_bytes: dict[bytes, Channel]
    _hb_ref: str | None
    _v2: bool

    # Actions the session implements.
    def _heartbeat_reply(self, ok: bool, now: float) -> None:
        raise NotImplementedError

    def _change(
        self,
        ch: Channel,
        cause: ChannelCause,
        now: float,
        reason: str = "",
        retry_in: float | None = None,
    ) -> None:
        raise NotImplementedError

    def _error_and_rejoin(self, ch: Channel, cause: ChannelCause, now: float, reason: str) -> None:
        raise NotImplementedError

    def _finish_leave(self, ch: Channel, now: float, reason: str = "") -> None:
        raise NotImplementedError

    def _flush_buffer(self, ch: Channel, now: float) -> None:
        raise NotImplementedError

    def _drop_buffer(self, ch: Channel, now: float, why: str) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ entry

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
            self._on_message(frame, _size(data), now)
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
        flt = ch.event_filter
        if flt is not None and user_event.lower() not in flt:
            return True
        ch.received += 1
        self._events.append(
            new_broadcast(
                topic,
                user_event,
                False,
                None,
                payload.get("payload"),
                payload.get("meta"),
                len(data) if data.isascii() else len(data.encode()),
                now,
            )
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
        flt = ch.event_filter
        if flt is not None and event.lower() not in flt:
            return True
        ch.received += 1
        self._events.append(
            new_broadcast(ch.topic, event, enc == 0, data[c:], None, data[b:c], n, now)
        )
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
        if ch is None or not ch.accepts(frame.user_event):
            return
        ch.received += 1
        self._events.append(
            BroadcastReceived(
                ch.topic,
                frame.user_event,
                frame.encoding == 0,
                frame.payload,
                None,
                frame.metadata,
                size,
                now,
            )
        )

    def _on_message(self, msg: Message, size: int, now: float) -> None:
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
                user_event = payload["event"]
                if ch.accepts(user_event):
                    ch.received += 1
                    self._events.append(
                        BroadcastReceived(
                            ch.topic,
                            user_event,
                            False,
                            None,
                            payload.get("payload"),
                            payload.get("meta"),
                            size,
                            now,
                        )
                    )
                return
        elif event in (PRESENCE_STATE, PRESENCE_DIFF):
            self._on_presence(ch, event, payload, msg.join_ref, now)
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
        self, ch: Channel, event: str, payload: Any, join_ref: str | None, now: float
    ) -> None:
        presence = ch.presence
        if event == PRESENCE_STATE:
            changes = presence.apply_state(payload, ch.join_ref)
            kinds = ["state"] + ["diff"] * (len(changes) - 1)
        else:
            change = presence.apply_diff(payload, ch.join_ref)
            if change is None:  # held back until the state arrives (§8.4)
                return
            changes, kinds = [change], ["diff"]
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
        _cancel_timers(ch)
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
        timer = push.timer
        if timer is not None:
            timer.cancelled = True
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
        timer = ch.join_timer
        if timer is not None:
            timer.cancelled = True
        if ch.state is not ChannelState.JOINING:
            return
        if status == "ok":
            ch.rejoin_tries = 0
            ch.last_error = ""
            self._change(ch, ChannelCause.JOINED, now)
            self._flush_buffer(ch, now)
        else:
            self._error_and_rejoin(ch, ChannelCause.JOIN_ERROR, now, reply_reason(response))


def _size(data: str | bytes) -> int:
    """Bytes on the wire: UTF-8 length for text frames."""
    if isinstance(data, str) and not data.isascii():
        return len(data.encode())
    return len(data)


def _cancel_timers(ch: Channel) -> None:
    for timer in (ch.join_timer, ch.rejoin_timer):
        if timer is not None:
            timer.cancelled = True
