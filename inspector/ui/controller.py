"""InspectorController: the real controller, the only UI module that uses the client.

It owns one :class:`~inspector.client.RealtimeClient` per connection and the asyncio tasks that
drive it on the qasync loop. It hands the client's typed events to its
:class:`~inspector.ui.event_translation.EventTranslator`, which turns them into store records
and status changes (docs/architecture.md, "One incoming broadcast", steps 5-7). Every tab joins
on the one socket; channel operations on a tab run one after another (a rejoin waits for its
leave).

Time: the client reports ``loop.time()``; rows get wall-clock times from ``wall_clock()`` and
countdown deadlines use ``clock()`` (``time.monotonic``, the same clock as asyncio's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any, cast

from PySide6.QtCore import QObject

from inspector.client.client import RealtimeClient
from inspector.client.errors import (
    ClientStateError,
    InspectorError,
)
from inspector.client.events import (
    ClientEvent,
    ConnectionState,
    PushResult,
    PushStatus,
)
from inspector.client.identity import IdentitySession
from inspector.client.repeat import (
    Outcome,
    RepeatMessage,
    RepeatPlan,
    RepeatSender,
    TemplateMessages,
)
from inspector.client.replay import REST, Replayer, ReplayItem, ReplayOptions, SendOutcome
from inspector.client.rest import RestResult
from inspector.client.settings import ClientSettings
from inspector.protocol.channel import ChannelConfig
from inspector.protocol.frames import channel_name, topic_for
from inspector.protocol.jwt import peek
from inspector.protocol.template import TemplateError, Variables
from inspector.store import (
    ChannelStatus,
    ConnectionStatus,
    LinkState,
    MessageRecord,
    Preferences,
    Profile,
    SendInfo,
    SendState,
    TabState,
    Transport,
)
from inspector.store.messages.records import json_bytes
from inspector.store.timefmt import utc_iso

from .controller_base import SILENT_DROP_HINT, ControllerBase
from .event_translation import EventTranslator, error_text
from .frames.frame_capture import FrameCapture
from .open_channel import OpenChannel, RepeatRequest, SendRequest

log = logging.getLogger(__name__)

#: The longest single timer the controller arms (Qt's limit is 2**31 ms, about 24.8 days).
_LONGEST_WAIT_S = 20 * 86400.0

#: A replayed send's outcome as a row's state.
_STATES = {
    "ok": SendState.OK,
    "sent": SendState.SENT,
    "timed_out": SendState.TIMED_OUT,
    "error": SendState.ERROR,
}


class InspectorController(ControllerBase):
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
        self._capture: FrameCapture | None = None
        self._translator = EventTranslator(_Target(self))
        #: the running repeat run of each tab (issue #11 §3).
        self._repeats: dict[str, RepeatSender] = {}
        #: why a run was cancelled when it was not the user's Cancel (its summary says so).
        self._repeat_reasons: dict[str, str] = {}
        #: the settings of the connection (the profile's key and token): identities start
        #: from them (issue #13 §1).
        self._settings: ClientSettings | None = None
        #: one socket per identity in use, made when a tab joins or sends as it.
        self._identity_sockets: dict[str, _IdentitySocket] = {}

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
        self._translator.reset()
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
        self._settings = settings
        self._capture = FrameCapture(self.frames, client.endpoints.websocket, settings.vsn)
        client.on_frame = self._capture
        for channel in self.channels.values():
            if channel.status.state is not TabState.LEFT:
                self._set_channel_status(channel.name, ChannelStatus(TabState.JOINING))
                if channel.options.identity:
                    self._join_as(channel)
                else:
                    self._join_now(client, channel)
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
            self._close_identities()
            await client.close()
            self._set_connection(ConnectionStatus(LinkState.DISCONNECTED, reason=error_text(exc)))
            for channel in self.channels.values():
                if channel.status.state is not TabState.LEFT:
                    self._set_channel_status(channel.name, ChannelStatus(TabState.WAITING))

    def _start_disconnect(self) -> None:
        self._generation += 1
        self._close_identities()
        client, self.client = self.client, None
        if client is not None:
            if client.state is ConnectionState.OPEN and self._capture is not None:
                self._capture.closed_by_us(self.wall_clock())
            self._spawn(client.close(), "close")

    def _start_reconnect_now(self) -> bool:
        client = self.client
        return client is not None and client.reconnect_now()

    def _start_token_update(self, token: str) -> None:
        client = self.client
        if client is not None:
            self._spawn(client.set_access_token(token), "access_token")

    async def shutdown(self) -> None:
        client, self.client = self.client, None
        self._generation += 1
        self._close_identities()
        if client is not None:
            await client.close()
        await self.wait_idle()
        self._set_connection(ConnectionStatus(LinkState.DISCONNECTED))

    # ------------------------------------------------------------------------------ channels

    @staticmethod
    def _config(channel: OpenChannel) -> ChannelConfig:
        o = channel.options
        return ChannelConfig(
            o.name,
            broadcast_self=o.broadcast_self,
            broadcast_ack=o.ack,
            presence_key=o.presence_key,
            presence_enabled=o.presence_enabled,
            private=o.private,
            # The tab's event filter, applied by the client before a record is built.
            events=o.events or ("*",),
        )

    def _tab_client(self, channel: OpenChannel) -> RealtimeClient | None:
        """The client a tab joined over: its identity's (once started), else the profile's."""
        if self.client is None:
            return None
        identity = channel.options.identity
        if not identity:
            return self.client
        socket = self._identity_sockets.get(identity)
        return socket.client if socket is not None and socket.started else None

    def refresh_filtered(self) -> None:
        """Bring each tab's count of broadcasts its event filter refused up to date."""
        for channel in self.channels.values():
            client = self._tab_client(channel)
            if client is None:
                continue
            joined = client.channels.get(topic_for(channel.name))
            if joined is not None:
                channel.note_filtered(joined, joined.filtered)

    def _join_now(self, client: RealtimeClient, channel: OpenChannel) -> None:
        config = self._config(channel)
        name = channel.name
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

    def _start_join(self, channel: OpenChannel) -> None:
        client = self.client
        if client is None:
            self._set_channel_status(channel.name, ChannelStatus(TabState.WAITING))
            return
        if channel.options.identity:
            self._join_as(channel)
            return
        self._join_now(client, channel)

    def _start_leave(self, channel: OpenChannel) -> None:
        identity = self._identity_sockets.get(channel.options.identity)
        client = identity.client if identity is not None else self.client
        if client is None:
            return
        name = channel.name

        async def leave() -> None:
            if topic_for(name) not in client.channels:
                return
            with contextlib.suppress(InspectorError, asyncio.TimeoutError, KeyError):
                await client.leave(name, timeout=self.preferences.push_timeout_s)

        self._chain(name, leave)

    # ------------------------------------------------------------------------------ sending

    def _start_send(
        self, channel: OpenChannel, record: MessageRecord, request: SendRequest
    ) -> None:
        client = self.client
        info = record.send
        assert info is not None
        if client is None:
            info.state = SendState.ERROR
            info.error = "not connected"
            self._send_updated(channel, record)
            return
        identity = channel.options.identity if request.identity is None else request.identity
        if identity:
            self._spawn(self._send_as(identity, channel, record, request), "send as")
            return
        if request.identity is not None and channel.options.identity:
            # As the profile's own key from a tab joined as an identity: the main socket.
            self._spawn(self._send_as("", channel, record, request), "send as")
            return
        if request.transport is Transport.REST:
            self._spawn(self._rest_send(client, channel, record, request), "rest send")
            return
        step = self._join_steps.get(channel.name)
        if step is not None and not step.done():
            # The tab is leaving to rejoin (ack, self or presence changed, or Rejoin): a push
            # now would meet a leaving channel and be refused. Wait until the new phx_join is
            # out; the client then holds the push until the join is answered (§7.2), as
            # realtime-js does with pushes on a channel that is not joined yet (QA 9).
            self._spawn(self._ws_send_after(step, client, channel, record, request), "send")
        else:
            # Pushed now, so that it goes out before anything started after it (a leave).
            push = self._ws_push(client, channel, request)
            self._spawn(self._ws_result(push, channel, record), "send")

    async def _ws_send_after(
        self,
        step: asyncio.Task[Any],
        client: RealtimeClient,
        channel: OpenChannel,
        record: MessageRecord,
        request: SendRequest,
    ) -> None:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(step)
        if client is not self.client:
            info = record.send
            assert info is not None
            info.state, info.error = SendState.ERROR, "disconnected before it was sent"
            self._send_updated(channel, record)
            return
        await self._ws_result(self._ws_push(client, channel, request), channel, record)

    @staticmethod
    def _ws_push(
        client: RealtimeClient, channel: OpenChannel, request: SendRequest
    ) -> asyncio.Future[PushResult]:
        """Start the push as a task of its own (scheduled now, in click order)."""
        payload = request.payload if request.binary else json.loads(request.payload)
        coro = client.send(channel.name, request.event, payload, binary=request.binary)
        return asyncio.ensure_future(coro)

    async def _ws_result(
        self, future: asyncio.Future[PushResult], channel: OpenChannel, record: MessageRecord
    ) -> None:
        info = record.send
        assert info is not None
        try:
            await asyncio.sleep(0)  # the push is written in the client's pump right away
            if not future.done():
                info.state = SendState.SENT
                self._send_updated(channel, record)
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
                if channel.options.private:
                    info.error = SILENT_DROP_HINT
            else:
                info.state, info.error = SendState.ERROR, result.error_text()
            if result.rtt is not None:
                info.round_trip_ms = result.rtt * 1000
        self._send_updated(channel, record)

    async def _rest_send(
        self,
        client: RealtimeClient,
        channel: OpenChannel,
        record: MessageRecord,
        request: SendRequest,
    ) -> None:
        info = record.send
        assert info is not None
        try:
            result = await client.rest_send(
                channel.name,
                request.event,
                request.payload if request.binary else json.loads(request.payload),
                binary=request.binary,
                private=channel.options.private,
            )
        except InspectorError as exc:
            info.state, info.error = SendState.ERROR, exc.message
        else:
            info.http_status = result.status
            info.round_trip_ms = result.latency * 1000
            if result.ok:
                info.state = SendState.OK
            elif result.timed_out:
                info.state = SendState.TIMED_OUT
            else:
                info.state, info.error = SendState.ERROR, result.error
        self._send_updated(channel, record)

    # ------------------------------------------------------------------------------ replay

    def start_replay(
        self,
        name: str,
        items: Sequence[object],
        options: object,
        on_progress: Callable[[object], None],
    ) -> Replayer | None:
        """Replay into the joined tab ``name`` with the client's engine (the CLI's code path);
        each send becomes an outgoing row whose status updates in place."""
        channel = self.channels.get(name)
        client = self._tab_client(channel) if channel is not None else None
        if client is None or channel is None or channel.status.state is not TabState.JOINED:
            return None
        assert isinstance(options, ReplayOptions)
        transport = Transport.REST if options.via == REST else Transport.WEBSOCKET
        rows: dict[int, MessageRecord] = {}

        def sent(index: int, item: Any) -> None:
            payload = item.payload if item.binary else json_bytes(item.payload)
            record = self._replay_row(name, item.event, payload, item.binary, transport)
            if record is not None:
                rows[index] = record

        def result(index: int, _item: Any, outcome: SendOutcome) -> None:
            record = rows.pop(index, None)
            if record is None or record.send is None:
                return
            info = record.send
            info.state = _STATES.get(outcome.status, SendState.ERROR)
            info.error = outcome.error
            info.http_status = outcome.http_status
            if outcome.rtt is not None:
                info.round_trip_ms = outcome.rtt * 1000
            live = self.channels.get(name)
            if live is not None:
                self._send_updated(live, record)

        replayer = Replayer(
            client,
            name,
            cast(Sequence[ReplayItem], items),
            options,
            on_progress=on_progress,
            on_sent=sent,
            on_result=result,
            private=channel.options.private,
        )
        self._spawn(replayer.run(), f"replay {name}")
        return replayer

    # ------------------------------------------------------------------------------ repeat

    def repeat_running(self, name: str) -> bool:
        return name in self._repeats

    def cancel_repeat(self, name: str, reason: str = "") -> None:
        sender = self._repeats.get(name)
        if sender is not None:
            if reason:
                self._repeat_reasons.setdefault(name, reason)
            sender.cancel()

    def _start_repeat(self, channel: OpenChannel, request: RepeatRequest) -> str | None:
        """Run the client's repeat engine on the tab; each send is a row (appended to the
        tab's log, which the model shows in batches), each outcome updates its row."""
        client = self._tab_client(channel)
        if client is None:
            return "not connected" if self.client is None else "the tab's identity is not ready"
        # {{claims.*}} are the user token's, as in the composer's preview (not the API key's)
        token = self.access_token
        peeked = peek(token) if token else None
        variables = Variables(
            env=dict(os.environ), claims=peeked.claims if peeked is not None else None
        )
        try:
            make = TemplateMessages(
                request.event,
                request.payload,
                variables,
                add_seq="seq" if request.add_seq else None,
            )
            plan = RepeatPlan(
                channel.name,
                count=request.count,
                duration=request.duration,
                rate=request.rate,
                in_flight=request.in_flight,
                rest=request.transport is Transport.REST,
                private=channel.options.private,
            )
        except (TemplateError, ValueError) as exc:
            return str(exc)
        rows = _RepeatRows(self, channel, request.transport)
        name = channel.name
        sender = RepeatSender(
            client,
            plan,
            make,
            on_sent=rows.sent,
            on_outcome=rows.outcome,
            on_progress=lambda p: self.repeat_progress.emit(name, p),
        )
        self._repeats[name] = sender
        self._repeat_reasons.pop(name, None)
        self._spawn(self._repeat(name, sender), "repeat")
        return None

    async def _repeat(self, name: str, sender: RepeatSender) -> None:
        error = reason = ""
        try:
            summary = await sender.run()
        except (InspectorError, TemplateError) as exc:
            summary = sender.summary
            error = exc.message if isinstance(exc, InspectorError) else str(exc)
        finally:
            if self._repeats.get(name) is sender:
                del self._repeats[name]
                reason = self._repeat_reasons.pop(name, "")
        if not error and summary.cancelled:
            error = reason
        self.repeat_finished.emit(name, summary, error)

    # ------------------------------------------------------------------------------ presence

    def _start_track(self, channel: OpenChannel, payload: dict[str, object]) -> None:
        self._presence_call(channel, lambda c: c.track(channel.name, payload))

    def _start_untrack(self, channel: OpenChannel) -> None:
        self._presence_call(channel, lambda c: c.untrack(channel.name))

    def _presence_call(
        self,
        channel: OpenChannel,
        call: Callable[[RealtimeClient], Coroutine[Any, Any, PushResult]],
    ) -> None:
        """Track/untrack (§8.1) over the tab's socket (its identity's); the reply (§8.2) goes
        to the tab's presence roster."""
        client = self._tab_client(channel)
        roster = channel.presence
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

        self._chain(channel.name, run)

    # ------------------------------------------------------------------------------ events

    def _on_event(self, generation: int, event: ClientEvent) -> None:
        if generation != self._generation:
            return  # from a client we already closed
        if not self._for_tab(event, ""):
            return  # a channel this socket joined to send as the profile for another tab
        self._translator.handle(event)

    def _for_tab(self, event: ClientEvent, identity: str) -> bool:
        """Whether a channel event belongs to the tab of its topic: the tab joined as
        ``identity`` (a socket that joined a channel only to send as another identity keeps
        its events to itself). Events without a topic are the socket's."""
        topic = getattr(event, "topic", None)
        if not isinstance(topic, str):
            return True
        channel = self.channels.get(channel_name(topic))
        return channel is None or channel.options.identity == identity

    # ------------------------------------------------------------------------------ EventTarget

    def _socket_opened(self, status: ConnectionStatus) -> None:
        if self._capture is not None:
            self._capture.opened(self.wall_clock())
        self._set_connection(status)
        client = self.client
        if client is not None:
            # Tabs opened while the socket was down are not in the client session yet.
            for channel in self.channels.values():
                if channel.options.identity:
                    continue  # joined over its identity's own socket
                known = topic_for(channel.name) in client.channels
                if not known and channel.status.state is not TabState.LEFT:
                    self._join_now(client, channel)

    # ------------------------------------------------------------------------------ identities

    def identity_session(self, identity_id: str) -> IdentitySession | None:
        socket = self._identity_sockets.get(identity_id)
        return socket.session if socket is not None else None

    def _identity_socket(self, identity_id: str) -> _IdentitySocket:
        """The socket of an identity, started (signed in, minted, connected) on first use.
        An identity edited in Profiles… since (a new token, password, claims) gets a new
        socket, and the tabs that joined as it join again over that one."""
        resolver = self.identity_resolver
        if resolver is None:
            raise InspectorError("identities are not available here")
        spec = resolver(identity_id)  # an InspectorError (a missing secret) says why not
        socket = self._identity_sockets.get(identity_id)
        if socket is not None and socket.session.spec == spec:
            return socket
        if socket is not None:  # edited: the old socket goes, its tabs come along
            del self._identity_sockets[identity_id]
            self._spawn(socket.close(), "close identity")
            settled = (TabState.JOINED, TabState.ERRORED, TabState.CLOSED)  # not the joining
            rejoin = [c for c in self._identity_tabs(identity_id) if c.status.state in settled]
        else:
            rejoin = []
        socket = _IdentitySocket(identity_id, IdentitySession(spec), self._generation)
        self._identity_sockets[identity_id] = socket
        # Not _spawn: a failed start (Auth refused) is expected and told to its tabs and
        # sends, never an error dialog.
        task = asyncio.get_event_loop().create_task(
            self._start_identity(socket), name=f"identity {spec.name}"
        )
        self._tasks.add(task)
        task.add_done_callback(_quiet_done(self._tasks))
        socket.ready = task
        for channel in rejoin:
            self._set_channel_status(channel.name, ChannelStatus(TabState.JOINING))
            self._join_as(channel)
        return socket

    async def _identity_client(self, identity_id: str) -> RealtimeClient:
        """The connected client of an identity; an InspectorError says why there is none."""
        if not identity_id:
            if self.client is None:
                raise ClientStateError("not connected")
            return self.client
        socket = self._identity_socket(identity_id)
        assert socket.ready is not None
        return await asyncio.shield(socket.ready)

    async def _start_identity(self, socket: _IdentitySocket) -> RealtimeClient:
        base = self._settings
        if base is None:
            raise ClientStateError("not connected")
        session = socket.session
        try:
            settings = await session.start(base)
            client = self._client_factory(
                settings,
                on_event=partial(self._on_identity_event, socket),
            )
            socket.client = client
            await client.connect()
        except InspectorError:
            if self._identity_sockets.get(socket.identity_id) is socket:
                del self._identity_sockets[socket.identity_id]  # the next use tries again
            await socket.close()
            self.identity_changed.emit(socket.identity_id)
            raise
        session.on_token(partial(self._identity_token, socket))
        session.on_error(partial(self._identity_refresh_failed, socket))
        socket.started = True
        socket.refresher = self._spawn(session.keep_fresh(), f"refresh {session.name}")
        self._warn_before_expiry(socket)
        self.identity_changed.emit(socket.identity_id)
        return client

    def _identity_tabs(self, identity_id: str) -> list[OpenChannel]:
        return [
            c
            for c in self.channels.values()
            if c.options.identity == identity_id and c.status.state is not TabState.LEFT
        ]

    async def _identity_token(self, socket: _IdentitySocket, token: str) -> None:
        """A signed-in or minted identity got a new token: every channel of its socket gets
        it (``access_token``, §4.4), and each of its tabs says so in a row."""
        if socket.client is not None:
            await socket.client.set_access_token(token)
        session = socket.session
        details: dict[str, object] = {"identity": session.name}
        role = session.claims.get("role")
        if isinstance(role, str):
            details["role"] = role
        if session.expires_at is not None:
            details["expires_iso"] = utc_iso(session.expires_at)
        for channel in self._identity_tabs(socket.identity_id):
            self._add_system(channel.name, "access token refreshed", details)
        self._warn_before_expiry(socket)
        self.identity_changed.emit(socket.identity_id)

    def _identity_refresh_failed(
        self, socket: _IdentitySocket, error: InspectorError, retry_in: float
    ) -> None:
        details: dict[str, object] = {
            "identity": socket.session.name,
            "reason": error.message,
            "retry_in_s": retry_in,
        }
        for channel in self._identity_tabs(socket.identity_id):
            self._add_system(channel.name, "access token refresh failed", details)
        self.identity_changed.emit(socket.identity_id)

    def _warn_before_expiry(self, socket: _IdentitySocket) -> None:
        """A token that cannot refresh itself (pasted without a refresh token, a key) gets a
        row in its tabs a minute before it expires, as the profile's token does today."""
        if socket.warning is not None:
            socket.warning.cancel()
            socket.warning = None
        session = socket.session
        left = session.seconds_left()
        if session.spec.refreshable or left is None:
            return
        loop = asyncio.get_event_loop()

        def warn() -> None:
            socket.warning = None
            if self._identity_sockets.get(socket.identity_id) is not socket:
                return
            now_left = session.seconds_left() or 0.0
            if now_left > 61:  # woken early (timers are capped): wait again
                self._warn_before_expiry(socket)
                return
            text = (
                f"expires in {max(0, round(now_left))} s"
                if now_left > 0
                else "has expired: the server closes its channels"
            )
            details: dict[str, object] = {
                "identity": session.name,
                "hint": "it cannot refresh itself: paste a new token in Profiles… (Identities)",
            }
            for channel in self._identity_tabs(socket.identity_id):
                self._add_system(channel.name, f"token of {session.name} {text}", details)
            self.identity_changed.emit(socket.identity_id)

        # Qt's timers take at most 2**31 ms (24 days): a longer wait is taken in pieces.
        socket.warning = loop.call_later(min(max(0.0, left - 60.0), _LONGEST_WAIT_S), warn)

    def _on_identity_event(self, socket: _IdentitySocket, event: ClientEvent) -> None:
        """An identity socket's events: its channels' events go to the tabs joined as it;
        the socket's own state is not the toolbar's (the profile's connection is). A socket
        that was replaced or closed says nothing more."""
        identity_id = socket.identity_id
        if self._identity_sockets.get(identity_id) is not socket:
            return
        if getattr(event, "topic", None) is None or not self._for_tab(event, identity_id):
            return
        self._translator.handle(event)

    def _join_as(self, channel: OpenChannel) -> None:
        """Join a tab over its identity's socket (started first when not yet in use)."""
        name = channel.name
        identity_id = channel.options.identity
        config = self._config(channel)

        async def join() -> None:
            try:
                client = await self._identity_client(identity_id)
            except InspectorError as exc:
                who = self.identity_name(identity_id)
                self._set_channel_status(
                    name, ChannelStatus(TabState.ERRORED, f"as {who}: {error_text(exc)}")
                )
                self._add_system(name, "identity failed", {"identity": who, "reason": exc.message})
                return
            live = self.channels.get(name)
            if live is None or live.options.identity != identity_id:
                return
            if config.topic in client.channels:
                with contextlib.suppress(InspectorError, asyncio.TimeoutError, KeyError):
                    await client.leave(config.name, timeout=self.preferences.push_timeout_s)
            try:
                await client.join(config, wait=False)
            except ClientStateError as exc:
                self._set_channel_status(name, ChannelStatus(TabState.ERRORED, exc.message))

        self._chain(name, join)
        step = self._join_steps[name] = self._chains[name]
        step.add_done_callback(
            lambda t: self._join_steps.pop(name) if self._join_steps.get(name) is t else None
        )

    async def _send_as(
        self, identity_id: str, channel: OpenChannel, record: MessageRecord, request: SendRequest
    ) -> None:
        """Send over an identity's socket (websocket: joined first when the tab is not joined
        as it, and refused with the server's reason when it may not) or with its key and
        token (REST)."""
        info = record.send
        assert info is not None
        who = self.identity_name(identity_id) or "the profile's key"
        try:
            client = await self._identity_client(identity_id)
        except InspectorError as exc:
            info.state, info.error = SendState.ERROR, f"as {who}: {error_text(exc)}"
            self._send_updated(channel, record)
            return
        if request.transport is Transport.REST:
            await self._rest_send(client, channel, record, request)
            return
        if identity_id == channel.options.identity:
            step = self._join_steps.get(channel.name)
            if step is not None and not step.done():
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.shield(step)
        elif not await self._joined_to_send(client, channel, record, who):
            return
        await self._ws_result(self._ws_push(client, channel, request), channel, record)

    async def _joined_to_send(
        self, client: RealtimeClient, channel: OpenChannel, record: MessageRecord, who: str
    ) -> bool:
        """Join the tab's channel on another identity's socket to send as it (a broadcast
        goes to joined channels only, §5.1). False, with the row saying why, when refused."""
        joined = client.channels.get(topic_for(channel.name))
        if joined is not None and joined.state.value == "joined":
            return True
        o = channel.options
        config = ChannelConfig(o.name, broadcast_ack=o.ack, private=o.private)
        info = record.send
        assert info is not None
        try:
            await client.join(config, timeout=self.preferences.push_timeout_s)
        except InspectorError as exc:
            reason = getattr(exc, "reason", None) or exc.message
            info.state = SendState.ERROR
            info.error = f"{who} may not join “{o.name}” to send: {reason}"
            self._send_updated(channel, record)
            return False
        return True

    def _close_identities(self) -> None:
        sockets = list(self._identity_sockets.values())
        self._identity_sockets.clear()
        for socket in sockets:
            self._spawn(socket.close(), "close identity")
            self.identity_changed.emit(socket.identity_id)


class _Target:
    """The controller as the :class:`EventTarget` of its translator."""

    def __init__(self, controller: InspectorController) -> None:
        self._c = controller
        self.channel = controller.channel
        self.set_connection = controller._set_connection
        self.set_channel_status = controller._set_channel_status
        self.add_incoming = controller._add_incoming
        self.add_system = controller._add_system
        self.socket_opened = controller._socket_opened

    def wall_clock(self) -> float:
        return self._c.wall_clock()

    def clock(self) -> float:
        return self._c.clock()

    @property
    def connection(self) -> ConnectionStatus:
        return self._c.connection


class _RepeatRows:
    """The rows of one repeat run: a row per sent message, updated in place by its outcome.
    A send without ack is final when it is made ("sent"): no update follows."""

    def __init__(
        self, controller: InspectorController, channel: OpenChannel, transport: Transport
    ) -> None:
        self.controller = controller
        self.channel = channel
        self.transport = transport
        self.pending: dict[int, MessageRecord] = {}

    def sent(self, seq: int, message: RepeatMessage) -> None:
        ack = self.channel.options.ack
        info = SendInfo(self.transport, ack=ack)
        if self.transport is Transport.WEBSOCKET and not ack:
            info.state = SendState.SENT  # final as it is made: no update follows
        if message.binary:
            payload = bytes(message.payload)
        else:
            payload = json.dumps(
                message.payload, ensure_ascii=False, separators=(",", ":")
            ).encode()
        record = self.controller._repeat_row(
            self.channel, message.event, payload, message.binary, info
        )
        self.pending[seq] = record

    def outcome(self, seq: int, _message: RepeatMessage, outcome: Outcome) -> None:
        record = self.pending.pop(seq, None)
        if record is None or record.send is None:
            return
        info = record.send
        status = outcome.status
        if status == "sent" and info.state is SendState.SENT:
            return
        info.state = {
            "ok": SendState.OK,
            "sent": SendState.SENT,
            "timed_out": SendState.TIMED_OUT,
        }.get(status, SendState.ERROR)
        if info.state is SendState.ERROR:
            info.error = outcome.error_text
        if outcome.rtt is not None:
            info.round_trip_ms = outcome.rtt * 1000
        result = outcome.result
        if isinstance(result, RestResult):
            info.http_status = result.status
        self.controller._send_updated(self.channel, record)


def _quiet_done(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    """A done callback that forgets the task and takes its InspectorError (told elsewhere);
    anything else goes to the loop's exception handler, as :meth:`InspectorController._spawn`
    does."""

    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, InspectorError):
            task.get_loop().call_exception_handler(
                {"message": f"task {task.get_name()} failed", "exception": exc, "task": task}
            )

    return done


class _IdentitySocket:
    """One identity in use: its session (token, refresh) and its own client (socket)."""

    def __init__(self, identity_id: str, session: IdentitySession, generation: int) -> None:
        self.identity_id = identity_id
        self.session = session
        self.generation = generation
        self.client: RealtimeClient | None = None
        #: starts the session and connects; its result is the client.
        self.ready: asyncio.Task[RealtimeClient] | None = None
        self.refresher: asyncio.Task[None] | None = None
        self.warning: asyncio.TimerHandle | None = None
        #: signed in (or minted) and connected once: the client is usable.
        self.started = False

    async def close(self) -> None:
        if self.warning is not None:
            self.warning.cancel()
            self.warning = None
        if self.refresher is not None:
            self.refresher.cancel()
        ready = self.ready
        if ready is not None and not ready.done() and ready is not asyncio.current_task():
            ready.cancel()
        await self.session.close()
        client, self.client = self.client, None
        if client is not None:
            await client.close()
