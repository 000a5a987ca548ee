"""InspectorController: the real session controller, the only UI module that uses the client.

It owns one :class:`~inspector.client.RealtimeClient` per connection and the asyncio tasks that
drive it on the qasync loop, and turns the client's typed events into store records and status
changes (docs/architecture.md, "One incoming broadcast", steps 5-7). Every tab joins on the one
socket; channel operations on a tab run one after another (a rejoin waits for its leave).

Time: the client reports ``loop.time()``; rows get wall-clock times from ``wall_clock()`` and
countdown deadlines use ``clock()`` (``time.monotonic``, the same clock as asyncio's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QObject

from inspector.client.client import RealtimeClient
from inspector.client.errors import (
    ClientStateError,
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
    PushResult,
    PushStatus,
    SystemMessage,
)
from inspector.client.settings import ClientSettings
from inspector.protocol.channel import ChannelConfig
from inspector.protocol.frames import channel_name, topic_for
from inspector.store import (
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    PayloadFormat,
    Preferences,
    Profile,
    SendState,
    TabState,
    Transport,
    json_bytes,
)

from .frame_capture import FrameCapture
from .session import ChannelSession, SendRequest, SessionController

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


class InspectorController(SessionController):
    """Connects, joins, sends and listens with the asyncio client; see the module docstring."""

    def __init__(
        self,
        preferences: Preferences | None = None,
        *,
        client_factory: Callable[..., RealtimeClient] = RealtimeClient,
        parent: QObject | None = None,
        **clocks: Any,
    ) -> None:
        super().__init__(preferences, parent=parent, **clocks)
        self._client_factory = client_factory
        self.client: RealtimeClient | None = None
        self._generation = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chains: dict[str, asyncio.Task[Any]] = {}
        #: per tab, the chain step that (re)joins it; sends wait for it (QA 9).
        self._join_steps: dict[str, asyncio.Task[Any]] = {}
        self._rtt_ms: float | None = None
        self._hb_sent_at: float | None = None
        self._last_error = ""
        self._capture: FrameCapture | None = None

    # ------------------------------------------------------------------------------ tasks

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str = "inspector") -> asyncio.Task[Any]:
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # Unexpected: hand it to the loop's exception handler (the app's error dialog).
            task.get_loop().call_exception_handler(
                {"message": f"task {task.get_name()} failed", "exception": exc, "task": task}
            )

    def _chain(self, name: str, make: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run channel operations of one tab in order (a rejoin waits for the leave)."""
        previous = self._chains.get(name)

        async def run() -> None:
            if previous is not None and not previous.done():
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await previous
            await make()

        self._chains[name] = self._spawn(run(), f"channel {name}")

    async def wait_idle(self) -> None:
        """Wait for every task started so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------------------ connection

    def _start_connect(self, profile: Profile, api_key: str, access_token: str | None) -> None:
        self._generation += 1
        self._rtt_ms = None
        self._hb_sent_at = None
        self._last_error = ""
        timeout = self.preferences.push_timeout_s
        try:
            settings = ClientSettings(
                url=profile.url,
                api_key=api_key,
                vsn=profile.vsn,
                access_token=access_token,
                push_timeout=timeout,
                rest_timeout=timeout,
                heartbeat_interval=self.preferences.heartbeat_s,
                redact_frames=False,  # the Frames view redacts unless revealed on purpose
            )
        except InspectorError as exc:
            self._set_connection(ConnectionStatus(LinkState.DISCONNECTED, reason=exc.message))
            return
        client = self._client_factory(settings, on_event=partial(self._on_event, self._generation))
        self.client = client
        self._capture = FrameCapture(self.frames, client.endpoints.websocket, settings.vsn)
        client.on_frame = self._capture
        for session in self.channels.values():
            if session.status.state is not TabState.LEFT:
                self._set_channel_status(session.name, ChannelStatus(TabState.JOINING))
                self._join_now(client, session)
        self._spawn(self._connect(client, self._generation), "connect")

    async def _connect(self, client: RealtimeClient, generation: int) -> None:
        try:
            await client.connect()
        except InspectorError as exc:
            if generation != self._generation:
                return
            # The first attempt failed: say why and stop (a wrong key will not get better).
            self.client = None
            self._generation += 1
            await client.close()
            self._set_connection(ConnectionStatus(LinkState.DISCONNECTED, reason=error_text(exc)))
            for session in self.channels.values():
                if session.status.state is not TabState.LEFT:
                    self._set_channel_status(session.name, ChannelStatus(TabState.WAITING))

    def _start_disconnect(self) -> None:
        self._generation += 1
        client, self.client = self.client, None
        if client is not None:
            if client.state is ConnectionState.OPEN and self._capture is not None:
                self._capture.closed_by_us(self.wall_clock())
            self._spawn(client.close(), "close")

    async def shutdown(self) -> None:
        client, self.client = self.client, None
        self._generation += 1
        if client is not None:
            await client.close()
        await self.wait_idle()
        self._set_connection(ConnectionStatus(LinkState.DISCONNECTED))

    # ------------------------------------------------------------------------------ channels

    @staticmethod
    def _config(session: ChannelSession) -> ChannelConfig:
        o = session.options
        return ChannelConfig(
            o.name,
            broadcast_self=o.broadcast_self,
            broadcast_ack=o.ack,
            presence_key=o.presence_key,
            presence_enabled=o.presence_enabled,
            private=o.private,
        )

    def _join_now(self, client: RealtimeClient, session: ChannelSession) -> None:
        config = self._config(session)
        name = session.name
        self._chain(name, lambda: self._join(client, config))
        step = self._join_steps[name] = self._chains[name]
        step.add_done_callback(
            lambda t: self._join_steps.pop(name) if self._join_steps.get(name) is t else None
        )

    async def _join(self, client: RealtimeClient, config: ChannelConfig) -> None:
        if client is not self.client:
            return
        if config.topic in client.channels:
            with contextlib.suppress(InspectorError, asyncio.TimeoutError, KeyError):
                await client.leave(config.name, timeout=self.preferences.push_timeout_s)
        try:
            await client.join(config, wait=False)
        except ClientStateError as exc:
            self._set_channel_status(config.name, ChannelStatus(TabState.ERRORED, exc.message))

    def _start_join(self, session: ChannelSession) -> None:
        client = self.client
        if client is None:
            self._set_channel_status(session.name, ChannelStatus(TabState.WAITING))
            return
        self._join_now(client, session)

    def _start_leave(self, session: ChannelSession) -> None:
        client = self.client
        if client is None:
            return
        name = session.name

        async def leave() -> None:
            if topic_for(name) not in client.channels:
                return
            with contextlib.suppress(InspectorError, asyncio.TimeoutError, KeyError):
                await client.leave(name, timeout=self.preferences.push_timeout_s)

        self._chain(name, leave)

    # ------------------------------------------------------------------------------ sending

    def _start_send(
        self, session: ChannelSession, record: MessageRecord, request: SendRequest
    ) -> None:
        client = self.client
        info = record.send
        assert info is not None
        if client is None:
            info.state = SendState.ERROR
            info.error = "not connected"
            self._send_updated(session, record)
            return
        if request.transport is Transport.REST:
            self._spawn(self._rest_send(client, session, record, request), "rest send")
            return
        step = self._join_steps.get(session.name)
        if step is not None and not step.done():
            # The tab is leaving to rejoin (ack, self or presence changed, or Rejoin): a push
            # now would meet a leaving channel and be refused. Wait until the new phx_join is
            # out; the client then holds the push until the join is answered (§7.2), as
            # realtime-js does with pushes on a channel that is not joined yet (QA 9).
            self._spawn(self._ws_send_after(step, client, session, record, request), "send")
        else:
            # Pushed now, so that it goes out before anything started after it (a leave).
            push = self._ws_push(client, session, request)
            self._spawn(self._ws_result(push, session, record), "send")

    async def _ws_send_after(
        self,
        step: asyncio.Task[Any],
        client: RealtimeClient,
        session: ChannelSession,
        record: MessageRecord,
        request: SendRequest,
    ) -> None:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(step)
        if client is not self.client:
            info = record.send
            assert info is not None
            info.state, info.error = SendState.ERROR, "disconnected before it was sent"
            self._send_updated(session, record)
            return
        await self._ws_result(self._ws_push(client, session, request), session, record)

    @staticmethod
    def _ws_push(
        client: RealtimeClient, session: ChannelSession, request: SendRequest
    ) -> asyncio.Future[PushResult]:
        """Start the push as a task of its own (scheduled now, in click order)."""
        payload = request.payload if request.binary else json.loads(request.payload)
        coro = client.send(session.name, request.event, payload, binary=request.binary)
        return asyncio.ensure_future(coro)

    async def _ws_result(
        self, future: asyncio.Future[PushResult], session: ChannelSession, record: MessageRecord
    ) -> None:
        info = record.send
        assert info is not None
        try:
            await asyncio.sleep(0)  # the push is written in the client's pump right away
            if not future.done():
                info.state = SendState.SENT
                self._send_updated(session, record)
            result: PushResult = await future
        except InspectorError as exc:
            info.state, info.error = SendState.ERROR, exc.message
        else:
            status = result.status
            if status is PushStatus.OK:
                info.state = SendState.OK
            elif status is PushStatus.SENT:
                info.state = SendState.SENT
            elif status is PushStatus.TIMED_OUT:
                info.state = SendState.TIMED_OUT
            else:
                info.state, info.error = SendState.ERROR, result.error_text()
            if result.rtt is not None:
                info.round_trip_ms = result.rtt * 1000
        self._send_updated(session, record)

    async def _rest_send(
        self,
        client: RealtimeClient,
        session: ChannelSession,
        record: MessageRecord,
        request: SendRequest,
    ) -> None:
        info = record.send
        assert info is not None
        try:
            result = await client.rest_send(
                session.name,
                request.event,
                request.payload if request.binary else json.loads(request.payload),
                binary=request.binary,
                private=session.options.private,
            )
        except InspectorError as exc:
            info.state, info.error = SendState.ERROR, exc.message
        else:
            info.http_status = result.status
            info.round_trip_ms = result.latency * 1000
            if result.ok:
                info.state = SendState.OK
            elif result.status is None and "time" in (result.error or ""):
                info.state = SendState.TIMED_OUT
            else:
                info.state, info.error = SendState.ERROR, result.error
        self._send_updated(session, record)

    # ------------------------------------------------------------------------------ presence

    def _start_track(self, session: ChannelSession, payload: dict[str, object]) -> None:
        self._presence_call(session, lambda c: c.track(session.name, payload))

    def _start_untrack(self, session: ChannelSession) -> None:
        self._presence_call(session, lambda c: c.untrack(session.name))

    def _presence_call(
        self,
        session: ChannelSession,
        call: Callable[[RealtimeClient], Coroutine[Any, Any, PushResult]],
    ) -> None:
        """Track/untrack (§8.1); the reply (§8.2) goes to the tab's presence roster."""
        client = self.client
        roster = session.presence
        if client is None:
            roster.own_result(False, self.wall_clock(), error="not connected")
            return

        async def run() -> None:
            try:
                result = await call(client)
            except InspectorError as exc:
                roster.own_result(False, self.wall_clock(), error=exc.message)
                return
            rtt = None if result.rtt is None else result.rtt * 1000
            ok = result.status is PushStatus.OK
            error = "" if ok else (result.error_text() or result.status.value)
            if result.status is PushStatus.TIMED_OUT:
                error = "timed out"
            roster.own_result(ok, self.wall_clock(), rtt, error)

        self._chain(session.name, run)

    # ------------------------------------------------------------------------------ events

    def _on_event(self, generation: int, event: ClientEvent) -> None:
        if generation != self._generation:
            return  # from a client we already closed
        cls = event.__class__
        if cls is BroadcastReceived:
            self._broadcast(event)  # type: ignore[arg-type]
        elif cls is ChannelStateChanged:
            self._channel_changed(event)  # type: ignore[arg-type]
        elif cls is ConnectionStateChanged:
            self._connection_changed(event)  # type: ignore[arg-type]
        elif cls is HeartbeatEvent:
            self._heartbeat(event)  # type: ignore[arg-type]
        elif cls is SystemMessage:
            e: Any = event
            self._add_system(channel_name(e.topic), "system", e.payload)
        elif cls is PresenceChanged:
            self._presence(event)  # type: ignore[arg-type]
        elif cls is ChannelMessage:
            m: Any = event
            payload = m.payload if not isinstance(m.payload, bytes) else {"bytes": len(m.payload)}
            self._add_system(channel_name(m.topic), m.event, {"payload": payload})
        elif cls is ErrorOccurred:
            self._error(event)  # type: ignore[arg-type]

    def _broadcast(self, event: BroadcastReceived) -> None:
        meta = event.meta_data
        if isinstance(meta, bytes):
            meta_bytes = meta or None
        else:
            meta_bytes = json_bytes(meta) if meta is not None else None
        record = MessageRecord(
            time=self.wall_clock(),
            direction=Direction.IN,
            event=event.event,
            payload=event.payload_bytes(),
            format=PayloadFormat.BINARY if event.binary else PayloadFormat.JSON,
            meta=meta_bytes,
        )
        self._add_incoming(channel_name(event.topic), record)

    def _connection_changed(self, event: ConnectionStateChanged) -> None:
        state = event.state
        if state is ConnectionState.OPEN:
            if self._capture is not None:
                self._capture.opened(self.wall_clock())
            self._set_connection(ConnectionStatus(LinkState.CONNECTED, rtt_ms=self._rtt_ms))
            client = self.client
            if client is not None:
                # Tabs opened while the socket was down are not in the session yet.
                for session in self.channels.values():
                    known = topic_for(session.name) in client.channels
                    if not known and session.status.state is not TabState.LEFT:
                        self._join_now(client, session)
        elif state is ConnectionState.RECONNECT_WAIT:
            self._set_connection(
                ConnectionStatus(
                    LinkState.RECONNECTING,
                    reason=self._last_error or event.reason or None,
                    retry_at=self.clock() + (event.retry_in or 0.0),
                    attempt=event.attempt,
                )
            )
        elif state is ConnectionState.CONNECTING:
            if self.connection.state is LinkState.RECONNECTING:
                self._set_connection(replace(self.connection, retry_at=None))
            else:
                self._set_connection(ConnectionStatus(LinkState.CONNECTING))
        elif (
            state is ConnectionState.CLOSED and self.connection.state is not LinkState.DISCONNECTED
        ):
            self._set_connection(
                ConnectionStatus(LinkState.DISCONNECTED, reason=event.reason or None)
            )

    def _heartbeat(self, event: HeartbeatEvent) -> None:
        # The round trip is timed on our own clock between the 'sent' and 'ok' events (both
        # are delivered synchronously by the client's pump). The session's own ``rtt`` uses
        # the timer's due time as the send time, which is late when a coarse Qt timer fires
        # early, and came out negative under qasync (reported to the client's owner).
        now = self.clock()
        if event.status == "sent":
            self._hb_sent_at = now
            return
        if event.status != "ok" or self._hb_sent_at is None:
            return
        self._rtt_ms = (now - self._hb_sent_at) * 1000
        self._hb_sent_at = None
        if self.connection.state is LinkState.CONNECTED:
            self._set_connection(replace(self.connection, rtt_ms=self._rtt_ms))

    def _channel_changed(self, event: ChannelStateChanged) -> None:
        name = channel_name(event.topic)
        session = self.channels.get(name)
        if session is None or session.status.state is TabState.LEFT:
            return
        cause, reason = event.cause, event.reason
        retry_at = self.clock() + event.retry_in if event.retry_in is not None else None
        if event.state is ChannelState.JOINING:
            self._set_channel_status(name, ChannelStatus(TabState.JOINING))
        elif event.state is ChannelState.JOINED:
            self._set_channel_status(name, ChannelStatus(TabState.JOINED))
            self._add_system(
                name, "joined", {"channel": name, "config": self._config_dict(session)}
            )
        elif event.state is ChannelState.ERRORED:
            if cause is ChannelCause.SOCKET_LOST:
                text = "connection lost; rejoins when it is back"
                self._set_channel_status(name, ChannelStatus(TabState.ERRORED, text))
            else:
                self._set_channel_status(name, ChannelStatus(TabState.ERRORED, reason, retry_at))
                label = {
                    ChannelCause.JOIN_ERROR: "join error",
                    ChannelCause.JOIN_TIMEOUT: "join timed out",
                }.get(cause, "phx_error")
                self._add_system(name, label, {"status": "error", "reason": reason})
        elif event.state is ChannelState.CLOSED and cause is ChannelCause.SERVER_CLOSE:
            self._set_channel_status(
                name, ChannelStatus(TabState.CLOSED, reason or "closed by the server")
            )
            self._add_system(name, "phx_close", {"reason": reason})

    @staticmethod
    def _config_dict(session: ChannelSession) -> dict[str, Any]:
        o = session.options
        return {
            "self": o.broadcast_self,
            "ack": o.ack,
            "private": o.private,
            "presence_key": o.presence_key,
        }

    def _presence(self, event: PresenceChanged) -> None:
        name = channel_name(event.topic)
        session = self.channels.get(name)
        if session is not None:
            session.presence.apply(
                event.kind, event.joins, event.leaves, event.state, self.wall_clock()
            )
        details = {
            "joins": sorted(event.joins),
            "leaves": sorted(event.leaves),
            "online": len(event.state),
        }
        self._add_system(
            name, "presence_state" if event.kind == "state" else "presence_diff", details
        )

    def _error(self, event: ErrorOccurred) -> None:
        error = event.error
        if isinstance(error, ConnectError | ConnectionLost):
            self._last_error = error_text(error)
            if self.connection.state is LinkState.RECONNECTING:
                self._set_connection(replace(self.connection, reason=self._last_error))
        log.info("client: %s", error.message)
