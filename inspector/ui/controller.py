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
from inspector.protocol.frames import topic_for
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

from .controller_base import SILENT_DROP_HINT, ControllerBase
from .event_translation import EventTranslator, error_text
from .frames.frame_capture import FrameCapture
from .open_channel import OpenChannel, RepeatRequest, SendRequest

log = logging.getLogger(__name__)

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
        self._capture = FrameCapture(self.frames, client.endpoints.websocket, settings.vsn)
        client.on_frame = self._capture
        for channel in self.channels.values():
            if channel.status.state is not TabState.LEFT:
                self._set_channel_status(channel.name, ChannelStatus(TabState.JOINING))
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
            await client.close()
            self._set_connection(ConnectionStatus(LinkState.DISCONNECTED, reason=error_text(exc)))
            for channel in self.channels.values():
                if channel.status.state is not TabState.LEFT:
                    self._set_channel_status(channel.name, ChannelStatus(TabState.WAITING))

    def _start_disconnect(self) -> None:
        self._generation += 1
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
            replay_since=o.replay_since,
            replay_limit=o.replay_limit,
        )

    def refresh_filtered(self) -> None:
        """Bring each tab's count of broadcasts its event filter refused up to date."""
        client = self.client
        if client is None:
            return
        for channel in self.channels.values():
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
        self._join_now(client, channel)

    def _start_leave(self, channel: OpenChannel) -> None:
        client = self.client
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
        client = self.client
        channel = self.channels.get(name)
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
        client = self.client
        if client is None:
            return "not connected"
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
        """Track/untrack (§8.1); the reply (§8.2) goes to the tab's presence roster."""
        client = self.client
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
        self._translator.handle(event)

    # ------------------------------------------------------------------------------ EventTarget

    def _socket_opened(self, status: ConnectionStatus) -> None:
        if self._capture is not None:
            self._capture.opened(self.wall_clock())
        self._set_connection(status)
        client = self.client
        if client is not None:
            # Tabs opened while the socket was down are not in the client session yet.
            for channel in self.channels.values():
                known = topic_for(channel.name) in client.channels
                if not known and channel.status.state is not TabState.LEFT:
                    self._join_now(client, channel)


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
