"""The asyncio Realtime client: a websocket transport pumping the pure protocol session.

One :class:`RealtimeClient` holds one :class:`~inspector.protocol.session.ClientSession`, at
most one open websocket (:class:`~inspector.client.link.Link`), one timer and one REST client.
Every input (a frame, the timer, a call) goes into the session; then :meth:`_pump` writes what
the session wants sent, acts on its requests (open or close a socket), hands events to the
consumer and re-arms the timer from ``session.next_deadline()`` (docs/architecture.md, "One
incoming broadcast"). Frames of one TCP read are processed before one pump runs.

Nothing here blocks the loop; callbacks run inside the pump and must be quick (the GUI batches).
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Any, cast

from inspector.protocol.channel import Channel, ChannelConfig, InvalidTransition
from inspector.protocol.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelState,
    ChannelStateChanged,
    CloseRequested,
    ConnectionState,
    ConnectionStateChanged,
    PushResult,
)
from inspector.protocol.frames import topic_for
from inspector.protocol.serializer import MAX_FRAME_BYTES, EncodeError
from inspector.protocol.session import ClientSession

from .errors import (
    ChannelClosed,
    ClientStateError,
    ConnectionLost,
    InspectorError,
    InvalidPayload,
    JoinRefused,
    JoinTimedOut,
    translate,
)
from .event_queue import EventQueue
from .events import ClientEvent, ErrorOccurred
from .link import Link
from .rest import RestClient, RestMessage, RestResult
from .settings import ClientSettings
from .tap import FrameRecord, make_record
from .transport import open_websocket

log = logging.getLogger(__name__)

EventCallback = Callable[[ClientEvent], None]
FrameCallback = Callable[[FrameRecord], None]


class RealtimeClient:
    """A Realtime client with many channels on one socket, REST sends and a frame tap."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        on_event: EventCallback | None = None,
        on_frame: FrameCallback | None = None,
    ) -> None:
        self.settings = settings
        self.endpoints = settings.endpoints()
        #: The pure protocol session (read its state; drive it only through this client).
        self.session = ClientSession(settings.session_config())
        #: Called with every event, inside the pump; keep it quick.
        self.on_event = on_event
        self._on_frame = on_frame
        #: The last error met (also delivered as :class:`ErrorOccurred`).
        self.last_error: InspectorError | None = None
        self.rest = RestClient(
            self.endpoints.rest_base,
            self.endpoints.api_key,
            settings.access_token,
            settings.rest_timeout,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._link: Link | None = None
        self._old_links: set[Link] = set()
        self._connect_task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._pump_scheduled = False
        self._queue: EventQueue | None = None
        self._push_waiters: dict[int, asyncio.Future[PushResult]] = {}
        self._join_waiters: dict[str, list[asyncio.Future[Channel]]] = {}
        self._leave_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._open_waiters: list[asyncio.Future[None]] = []
        self._give_up_on_first_failure = True
        self._ever_opened = False
        self._closed = False

    # ================================================================== state

    @property
    def on_frame(self) -> FrameCallback | None:
        """Called with a :class:`FrameRecord` for every frame in and out; None costs nothing."""
        return self._on_frame

    @on_frame.setter
    def on_frame(self, callback: FrameCallback | None) -> None:
        self._on_frame = callback
        for link in (self._link, *self._old_links):
            if link is not None:
                link.set_on_sent(self._tap_out if callback is not None else None)

    @property
    def state(self) -> ConnectionState:
        """The socket's state."""
        return self.session.state

    @property
    def channels(self) -> Mapping[str, Channel]:
        """Channels by topic (read-only view of the session's)."""
        return self.session.channels

    @property
    def heartbeat_rtt(self) -> float | None:
        """The latest heartbeat round trip in seconds."""
        return self.session.heartbeat_rtt

    @property
    def events_dropped(self) -> int:
        """Events the async-iterator consumer lost because it fell behind."""
        return self._queue.dropped if self._queue is not None else 0

    @property
    def backlog(self) -> int:
        """Frames queued for the websocket and not yet handed to it (0 without a socket); a
        sender that outruns the socket waits while this is high."""
        link = self._link
        return link.backlog if link is not None else 0

    def _now(self) -> float:
        return self._get_loop().time()

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    # ================================================================== connection

    async def connect(self, *, retry: bool = False) -> None:
        """Open the websocket; return once it is open.

        With ``retry=False`` (scripts, the CLI) a failed attempt raises its typed error; if
        the client was never open it then stays closed (channels joined before are dropped),
        otherwise it keeps its channels and goes on reconnecting on the schedule. With
        ``retry=True`` it keeps trying on the reconnect schedule (§7.2) and reports each
        failure as :class:`ErrorOccurred`. Either way a connection lost later is re-established
        on the schedule.
        """
        if self._closed:
            raise ClientStateError("the client was closed; make a new one")
        loop = self._get_loop()
        if self.session.state is ConnectionState.OPEN:
            return
        self._give_up_on_first_failure = not retry
        waiter: asyncio.Future[None] = loop.create_future()
        self._open_waiters.append(waiter)
        self.session.connect(loop.time())
        self._pump()
        await waiter

    def reconnect_now(self) -> bool:
        """While waiting to reconnect (§7.2), try at once and start the back-off schedule over
        (a failure waits the first delay again). False when the client is not waiting: open,
        already connecting, closed, or never connected."""
        if self._closed or self.session.state is not ConnectionState.RECONNECT_WAIT:
            return False
        self.session.attempt = 0
        self.session.connect(self._now())
        self._pump()
        return True

    async def close(self) -> None:
        """Close everything: channels, socket, REST client. The client cannot be reused."""
        if self._closed:
            return
        self._closed = True
        loop = self._get_loop()
        self.session.close(loop.time())
        self._pump()
        if self._connect_task is not None:
            self._connect_task.cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        link = self._link
        self._link = None
        links = [*self._old_links, *([link] if link else [])]
        for each in links:
            each.abandon(1000, "client closed")
        await asyncio.gather(*(each.wait_closed() for each in links), return_exceptions=True)
        self._fail_waiters(ClientStateError("the client was closed"))
        if self._queue is not None:
            self._queue.close()
        await self.rest.aclose()

    async def __aenter__(self) -> RealtimeClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _start_connect(self) -> None:
        task = self._connect_task
        if task is None or task.done():
            self._connect_task = self._get_loop().create_task(self._open(), name="realtime-connect")

    async def _open(self) -> None:
        loop = self._get_loop()
        url = self.endpoints.websocket
        self._tap_marker("open", self.endpoints.websocket_redacted)
        try:
            ws = await open_websocket(
                url,
                open_timeout=self.settings.open_timeout,
                max_size=MAX_FRAME_BYTES * 4,
                close_timeout=2.0,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._connect_failed(translate(exc, what=self._server_name()))
            return
        if self._closed or self.session.state is not ConnectionState.CONNECTING:
            await ws.close()
            return
        on_sent = self._tap_out if self._on_frame is not None else None
        link = Link(ws, self._on_messages, on_sent, self._on_lost)
        self._link = link
        self._ever_opened = True
        self.session.connection_made(loop.time())
        for waiter in self._open_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._open_waiters.clear()
        self._pump()
        link.start()

    def _server_name(self) -> str:
        parts = urllib.parse.urlsplit(self.endpoints.websocket)
        host = parts.hostname or "?"
        return f"the server at {host}:{parts.port}" if parts.port else f"the server at {host}"

    def _connect_failed(self, err: InspectorError) -> None:
        now = self._now()
        self._tap_marker("close", err.message)
        self._report(err, now)
        if self._give_up_on_first_failure and self._open_waiters:
            for waiter in self._open_waiters:
                if not waiter.done():
                    waiter.set_exception(err)
            self._open_waiters.clear()
            if not self._ever_opened:  # a first connect that fails leaves the client closed
                self.session.close(now)
                self.session.take_events()
                self._rearm()
                return
        self.session.connection_lost(now, err.message)
        self._pump()

    def _forget_link(self, link: Link, _task: asyncio.Task[None]) -> None:
        self._old_links.discard(link)

    def _on_lost(self, link: Link, text: str, code: int | None, reason: str) -> None:
        self._old_links.discard(link)
        if link is not self._link:
            return
        self._link = None
        now = self._now()
        self._tap_marker("close", text)
        self._report(ConnectionLost(f"the connection was lost ({text})", code, reason), now)
        self.session.connection_lost(now, text)
        self._pump()

    def _on_messages(self, batch: list[str | bytes]) -> None:
        """The messages of one TCP read: all into the session, then one pump."""
        loop = self._loop
        assert loop is not None
        now = loop.time()
        if self._on_frame is not None:
            for data in batch:
                self._tap("in", data, now)
        receive = self.session.receive
        for data in batch:
            receive(data, now)
        if not self._pump_scheduled:
            self._pump_scheduled = True
            loop.call_soon(self._pump)

    # ================================================================== channels

    async def join(
        self, config: ChannelConfig | str, *, wait: bool = True, timeout: float | None = None
    ) -> Channel:
        """Join a channel (name or full config). With ``wait``, return once joined.

        Raises :class:`JoinRefused` with the server's reason, :class:`JoinTimedOut`, or
        :class:`ChannelClosed`; the channel keeps rejoining on the schedule (§7.2) after a
        refusal or timeout until :meth:`leave` is called.
        """
        cfg = ChannelConfig(config) if isinstance(config, str) else config
        loop = self._get_loop()
        if self._closed:
            raise ClientStateError("the client was closed")
        try:
            channel = self.session.join(cfg, loop.time())
        except InvalidTransition as exc:
            raise ClientStateError(str(exc)) from exc
        if not wait:
            self._pump()
            return channel
        waiter: asyncio.Future[Channel] = loop.create_future()
        self._join_waiters.setdefault(cfg.topic, []).append(waiter)
        self._pump()
        return await asyncio.wait_for(waiter, timeout)

    async def leave(self, name: str, *, timeout: float | None = None) -> None:
        """Leave a channel and wait until it is closed (phx_leave, then the reply, §4.6)."""
        topic = topic_for(name)
        if topic not in self.session.channels:
            raise ClientStateError(f"not joined to channel {name}")
        waiter: asyncio.Future[None] = self._get_loop().create_future()
        self._leave_waiters.setdefault(topic, []).append(waiter)
        self.session.leave(topic, self._now())
        self._pump()
        await asyncio.wait_for(waiter, timeout)

    async def send(
        self,
        name: str,
        event: str,
        payload: Any,
        *,
        binary: bool = False,
        timeout: float | None = None,
    ) -> PushResult:
        """Broadcast on a joined channel over the websocket (§5.1) and return the result.

        JSON payloads travel as kind 3 encoding 1 in vsn 2.0.0 and as a JSON object in
        1.0.0; ``binary=True`` sends bytes (kind 3 encoding 0, vsn 2.0.0 only). With the
        channel's ``ack`` the result is ok/error/timed out with the round trip, else "sent".
        """
        return await self.send_nowait(name, event, payload, binary=binary, timeout=timeout)

    def send_nowait(
        self,
        name: str,
        event: str,
        payload: Any,
        *,
        binary: bool = False,
        timeout: float | None = None,
    ) -> asyncio.Future[PushResult]:
        """:meth:`send` without a coroutine: the push is queued now and the future resolves
        with its :class:`PushResult` (at once, "sent", without ``ack``). Repeat runs use it to
        keep thousands of pushes in flight without a task each; raises like :meth:`send`."""
        topic = self._topic(name)
        try:
            push_id = self.session.push_broadcast(
                topic, event, payload, self._now(), binary=binary, timeout=timeout
            )
        except (EncodeError, TypeError, ValueError) as exc:
            raise InvalidPayload(str(exc)) from exc
        waiter: asyncio.Future[PushResult] = self._get_loop().create_future()
        self._push_waiters[push_id] = waiter
        self._pump()
        return waiter

    async def track(self, name: str, payload: Mapping[str, Any]) -> PushResult:
        """Track presence on a joined channel (§8.1)."""
        topic = self._topic(name)
        try:
            push_id = self.session.track(topic, payload, self._now())
        except (TypeError, ValueError) as exc:
            raise InvalidPayload(str(exc)) from exc
        return await self._await_push(push_id)

    async def untrack(self, name: str) -> PushResult:
        """Stop tracking presence on a channel (§8.1)."""
        return await self._await_push(self.session.untrack(self._topic(name), self._now()))

    async def set_access_token(self, token: str | None) -> None:
        """Use a new user token for joins, refreshes and REST; pushed to joined channels (§7.4)."""
        self.session.set_access_token(token, self._now())
        self.rest.access_token = token
        self._pump()

    async def rest_send(
        self,
        name: str,
        event: str,
        payload: Any,
        *,
        binary: bool = False,
        private: bool | None = None,
        batch: bool = False,
    ) -> RestResult:
        """Broadcast over REST (§6): the single endpoint, or the batch one with ``batch``.

        ``private`` defaults to the joined channel's setting (False if not joined).
        """
        if private is None:
            ch = self.session.channels.get(topic_for(name))
            private = ch.config.private if ch is not None else False
        if batch:
            if binary:
                raise InvalidPayload(
                    "the batch endpoint takes JSON only; binary needs the single one"
                )
            return await self.rest.broadcast_batch([RestMessage(name, event, payload, private)])
        return await self.rest.broadcast_single(
            name, event, payload, binary=binary, private=private
        )

    def _topic(self, name: str) -> str:
        topic = topic_for(name)
        if topic not in self.session.channels:
            raise ClientStateError(f"not joined to channel {name}; join it first")
        return topic

    async def _await_push(self, push_id: int) -> PushResult:
        waiter: asyncio.Future[PushResult] = self._get_loop().create_future()
        self._push_waiters[push_id] = waiter
        self._pump()
        return await waiter

    # ================================================================== events out

    def events(self) -> AsyncIterator[ClientEvent]:
        """Iterate over events until the client closes (one consumer; bounded, see EventQueue)."""
        if self._queue is None:
            self._queue = EventQueue(self.settings.event_queue_size, self._now)
        return self._iterate(self._queue)

    async def _iterate(self, queue: EventQueue) -> AsyncIterator[ClientEvent]:
        while True:
            try:
                yield await queue.get()
            except StopAsyncIteration:
                return

    def _deliver(self, event: ClientEvent) -> None:
        callback = self.on_event
        if callback is not None:
            try:
                callback(event)
            except Exception:
                log.exception("the on_event callback failed")
        queue = self._queue
        if queue is not None:
            queue.put(event)

    def _report(self, error: InspectorError, now: float) -> None:
        self.last_error = error
        self._deliver(ErrorOccurred(error, now))

    def _pump(self) -> None:
        """Write, act on and deliver everything the session produced; re-arm the timer."""
        self._pump_scheduled = False
        session = self.session
        out = session.data_to_send()
        if out:
            link = self._link
            if link is not None:
                link.send_many(out)
        for event in session.take_events():
            cls = event.__class__
            if cls is BroadcastReceived:
                self._deliver(event)
                continue
            if cls is PushResult:
                result = cast(PushResult, event)
                waiter = self._push_waiters.pop(result.push_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(result)
            elif cls is ChannelStateChanged:
                self._channel_changed(cast(ChannelStateChanged, event))
            elif cls is ConnectionStateChanged:
                if cast(ConnectionStateChanged, event).state is ConnectionState.CONNECTING:
                    self._start_connect()
            elif cls is CloseRequested:
                request = cast(CloseRequested, event)
                link = self._link
                self._link = None
                if link is not None:
                    self._old_links.add(link)
                    closer = link.abandon(request.code, request.reason)
                    closer.add_done_callback(partial(self._forget_link, link))
                continue
            self._deliver(event)
        self._rearm()

    def _channel_changed(self, event: ChannelStateChanged) -> None:
        topic, state, cause = event.topic, event.state, event.cause
        now = event.at
        error: InspectorError | None = None
        if cause is ChannelCause.JOIN_ERROR:
            error = JoinRefused(topic, event.reason)
        elif cause is ChannelCause.JOIN_TIMEOUT:
            error = JoinTimedOut(topic, f"joining {topic} timed out: {event.reason}")
        elif cause is ChannelCause.SERVER_CLOSE:
            error = ChannelClosed(topic, event.reason)
        if error is not None:
            self._report(error, now)
        waiters = self._join_waiters.get(topic)
        if waiters and (state is ChannelState.JOINED or error is not None):
            del self._join_waiters[topic]
            channel = self.session.channels.get(topic)
            for waiter in waiters:
                if waiter.done():
                    continue
                if state is ChannelState.JOINED and channel is not None:
                    waiter.set_result(channel)
                else:
                    waiter.set_exception(error or ChannelClosed(topic, event.reason))
        if state is ChannelState.CLOSED:
            for left in self._leave_waiters.pop(topic, []):
                if not left.done():
                    left.set_result(None)
            for joining in self._join_waiters.pop(topic, []):
                if not joining.done():
                    joining.set_exception(ChannelClosed(topic, event.reason or "left"))

    def _fail_waiters(self, error: InspectorError) -> None:
        groups: list[list[Any]] = [self._open_waiters, list(self._push_waiters.values())]
        groups += list(self._join_waiters.values()) + list(self._leave_waiters.values())
        for group in groups:
            for waiter in group:
                if not waiter.done():
                    waiter.set_exception(error)
        self._open_waiters.clear()
        self._push_waiters.clear()
        self._join_waiters.clear()
        self._leave_waiters.clear()

    # ================================================================== timer

    def _rearm(self) -> None:
        deadline = self.session.next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None and not self._closed:
            self._timer = self._get_loop().call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        # Always hand the session the real time: event loops (qasync's Qt timers in the GUI)
        # may fire a little early, and stamping a heartbeat with its future deadline made the
        # round trip come out short or negative. If nothing is due yet, _pump() re-arms.
        self._timer = None
        self._timer_at = None
        self.session.handle_timer(self._now())
        self._pump()

    # ================================================================== frame tap

    def _tap_out(self, data: str | bytes) -> None:
        self._tap("out", data, self._now())

    def _tap(self, direction: str, data: str | bytes, now: float) -> None:
        callback = self._on_frame
        if callback is None:
            return
        record = make_record(
            direction, data, now, time.time(), self.session.vsn, self.settings.redact_frames
        )
        try:
            callback(record)
        except Exception:
            log.exception("the on_frame callback failed")

    def _tap_marker(self, opcode: str, text: str) -> None:
        callback = self._on_frame
        if callback is None:
            return
        record = FrameRecord(
            "out" if opcode == "open" else "in",
            self._now(),
            time.time(),
            opcode,
            len(text.encode()),
            text,
            self.session.vsn,
            True,
        )
        try:
            callback(record)
        except Exception:
            log.exception("the on_frame callback failed")
