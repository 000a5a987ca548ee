"""EventTranslator: the client's typed events turned into store records and status changes.

This is steps 5-7 of "One incoming broadcast" in docs/architecture.md, without Qt or asyncio:
:class:`~inspector.ui.controller.InspectorController` hands every event of its current client to
:meth:`EventTranslator.handle`, which reads and changes the controller's state through the
small :class:`EventTarget` protocol (tests pass a plain object). It also keeps what the events
tell over time: the heartbeat round trip and the last connection error.

Time: rows get wall-clock times from ``target.wall_clock()``; deadlines and the round trip use
``target.clock()`` (``time.monotonic``, the clock of asyncio's loop).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol

from inspector.client.errors import (
    ConnectError,
    ConnectionLost,
    HandshakeRejected,
    InspectorError,
    close_text,
)
from inspector.client.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelMessage,
    ChannelState,
    ChannelStateChanged,
    ClientEvent,
    ConnectionState,
    ConnectionStateChanged,
    ErrorOccurred,
    HeartbeatEvent,
    PresenceChanged,
    SystemMessage,
)
from inspector.protocol.frames import channel_name
from inspector.protocol.invisible import printable
from inspector.store import (
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    PayloadFormat,
    TabState,
    json_bytes,
)

from .open_channel import OpenChannel

log = logging.getLogger(__name__)


def error_text(error: InspectorError) -> str:
    """The toolbar's words for a connection error: ``HTTP 401: Invalid JWT``, ``host not found``."""
    if isinstance(error, ConnectionLost):
        return close_text(error.code, error.reason)
    if isinstance(error, HandshakeRejected):
        return (
            f"HTTP {error.status}: {error.server_message}"
            if error.server_message
            else (f"HTTP {error.status}")
        )
    return error.message


class EventTarget(Protocol):
    """The state the translator reads and changes (the controller's)."""

    def wall_clock(self) -> float:
        """The time rows are stamped with (``time.time``)."""
        ...

    def clock(self) -> float:
        """The monotonic time of deadlines and round trips."""
        ...

    @property
    def connection(self) -> ConnectionStatus: ...

    def channel(self, name: str) -> OpenChannel | None: ...

    def set_connection(self, status: ConnectionStatus) -> None: ...

    def set_channel_status(self, name: str, status: ChannelStatus) -> None: ...

    def add_incoming(self, name: str, record: MessageRecord) -> bool:
        """Append a received broadcast to the tab if its event filter accepts it."""
        ...

    def add_system(self, name: str, event: str, details: dict[str, Any]) -> None: ...

    def socket_opened(self, status: ConnectionStatus) -> None:
        """The socket is open: set ``status`` (connected) and join the tabs not joined yet."""
        ...


class EventTranslator:
    """Turns each client event into records and statuses on an :class:`EventTarget`."""

    def __init__(self, target: EventTarget) -> None:
        self.target = target
        #: the last heartbeat round trip (ms), shown in the toolbar.
        self.rtt_ms: float | None = None
        #: the last connection error in words, shown while reconnecting.
        self.last_error = ""
        self._hb_sent_at: float | None = None

    def reset(self) -> None:
        """Forget what the previous connection told (a new connection starts)."""
        self.rtt_ms = None
        self.last_error = ""
        self._hb_sent_at = None

    def handle(self, event: ClientEvent) -> None:
        match event:
            case BroadcastReceived():
                self._broadcast(event)
            case ChannelStateChanged():
                self._channel_changed(event)
            case ConnectionStateChanged():
                self._connection_changed(event)
            case HeartbeatEvent():
                self._heartbeat(event)
            case SystemMessage():
                self.target.add_system(channel_name(event.topic), "system", event.payload)
            case PresenceChanged():
                self._presence(event)
            case ChannelMessage():
                payload = event.payload
                shown = payload if not isinstance(payload, bytes) else {"bytes": len(payload)}
                self.target.add_system(channel_name(event.topic), event.event, {"payload": shown})
            case ErrorOccurred():
                self._error(event)
            case _:
                pass  # the rest (pushes ignored, frames rejected, ...) is not shown in tabs

    def _broadcast(self, event: BroadcastReceived) -> None:
        meta = event.meta_data
        if isinstance(meta, bytes):
            meta_bytes = meta or None
        else:
            meta_bytes = json_bytes(meta) if meta is not None else None
        record = MessageRecord(
            time=self.target.wall_clock(),
            direction=Direction.IN,
            event=event.event,
            payload=event.payload_bytes(),
            format=PayloadFormat.BINARY if event.binary else PayloadFormat.JSON,
            meta=meta_bytes,
        )
        self.target.add_incoming(channel_name(event.topic), record)

    def _connection_changed(self, event: ConnectionStateChanged) -> None:
        target = self.target
        state = event.state
        if state is ConnectionState.OPEN:
            target.socket_opened(ConnectionStatus(LinkState.CONNECTED, rtt_ms=self.rtt_ms))
        elif state is ConnectionState.RECONNECT_WAIT:
            target.set_connection(
                ConnectionStatus(
                    LinkState.RECONNECTING,
                    reason=self.last_error or event.reason or None,
                    retry_at=target.clock() + (event.retry_in or 0.0),
                    attempt=event.attempt,
                )
            )
        elif state is ConnectionState.CONNECTING:
            if target.connection.state is LinkState.RECONNECTING:
                target.set_connection(replace(target.connection, retry_at=None))
            else:
                target.set_connection(ConnectionStatus(LinkState.CONNECTING))
        elif (
            state is ConnectionState.CLOSED
            and target.connection.state is not LinkState.DISCONNECTED
        ):
            target.set_connection(
                ConnectionStatus(LinkState.DISCONNECTED, reason=event.reason or None)
            )

    def _heartbeat(self, event: HeartbeatEvent) -> None:
        # The round trip is timed on our own clock between the 'sent' and 'ok' events (both
        # are delivered synchronously by the client's pump). The client session's own ``rtt``
        # uses the timer's due time as the send time, which is late when a coarse Qt timer
        # fires early, and came out negative under qasync (reported to the client's owner).
        now = self.target.clock()
        if event.status == "sent":
            self._hb_sent_at = now
            return
        if event.status != "ok" or self._hb_sent_at is None:
            return
        self.rtt_ms = (now - self._hb_sent_at) * 1000
        self._hb_sent_at = None
        connection = self.target.connection
        if connection.state is LinkState.CONNECTED:
            self.target.set_connection(replace(connection, rtt_ms=self.rtt_ms))

    def _channel_changed(self, event: ChannelStateChanged) -> None:
        target = self.target
        name = channel_name(event.topic)
        channel = target.channel(name)
        if channel is None or channel.status.state is TabState.LEFT:
            return
        cause, reason = event.cause, event.reason
        retry_at = target.clock() + event.retry_in if event.retry_in is not None else None
        if event.state is ChannelState.JOINING:
            target.set_channel_status(name, ChannelStatus(TabState.JOINING))
        elif event.state is ChannelState.JOINED:
            target.set_channel_status(name, ChannelStatus(TabState.JOINED))
            label = "rejoined" if channel.joined_once else "joined"
            channel.joined_once = True
            target.add_system(name, label, {"channel": name, "config": config_dict(channel)})
        elif event.state is ChannelState.ERRORED:
            if cause is ChannelCause.SOCKET_LOST:
                text = "connection lost; rejoins when it is back"
                target.set_channel_status(name, ChannelStatus(TabState.ERRORED, text))
            else:
                target.set_channel_status(name, ChannelStatus(TabState.ERRORED, reason, retry_at))
                label = {
                    ChannelCause.JOIN_ERROR: "join error",
                    ChannelCause.JOIN_TIMEOUT: "join timed out",
                }.get(cause, "phx_error")
                target.add_system(name, label, {"status": "error", "reason": reason})
        elif event.state is ChannelState.CLOSED and cause is ChannelCause.SERVER_CLOSE:
            if is_token_expiry(reason):
                # The server's watchdog (§7.4): it does not let the channel back in until the
                # token is refreshed, and clients do not rejoin on their own.
                text = f"token expired ({reason}); use Update token (Ctrl+Shift+U) to rejoin"
                target.set_channel_status(name, ChannelStatus(TabState.CLOSED, text))
                target.add_system(name, "phx_close", {"reason": reason})
                target.add_system(name, "token expired", {"reason": reason})
                return
            target.set_channel_status(
                name, ChannelStatus(TabState.CLOSED, reason or "closed by the server")
            )
            target.add_system(name, "phx_close", {"reason": reason})

    def _presence(self, event: PresenceChanged) -> None:
        name = channel_name(event.topic)
        channel = self.target.channel(name)
        if channel is not None:
            channel.presence.apply(
                event.kind, event.joins, event.leaves, event.state, self.target.wall_clock()
            )
        details = {
            "joins": sorted(event.joins),
            "leaves": sorted(event.leaves),
            "online": len(event.state),
        }
        kind = "presence_state" if event.kind == "state" else "presence_diff"
        self.target.add_system(name, kind, details)

    def _error(self, event: ErrorOccurred) -> None:
        error = event.error
        if isinstance(error, ConnectError | ConnectionLost):
            self.last_error = error_text(error)
            connection = self.target.connection
            if connection.state is LinkState.RECONNECTING:
                self.target.set_connection(replace(connection, reason=self.last_error))
        log.info("client: %s", printable(error.message, 500))  # may quote the peer


def is_token_expiry(reason: str | None) -> bool:
    """Whether a channel's close reason is the server's token watchdog (§7.4)."""
    return bool(reason) and "token has expired" in (reason or "").lower()


def config_dict(channel: OpenChannel) -> dict[str, Any]:
    """The join options a "joined" system row shows."""
    o = channel.options
    return {
        "self": o.broadcast_self,
        "ack": o.ack,
        "private": o.private,
        "presence_key": o.presence_key,
    }
