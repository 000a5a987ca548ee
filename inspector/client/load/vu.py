"""One virtual user (VU): a :class:`~inspector.client.RealtimeClient` doing a workload.

:func:`run_vu` connects, joins the VU's channels (:func:`~.workloads.channel_plan`), tracks
presence if asked, then sends into each channel at the workload's rate (the websocket, REST
single or REST batch) from ``start`` until ``stop``, and keeps receiving until ``close``.
Every outcome goes to the :class:`~.recorder.LoadRecorder`; nothing raises out of a VU but
cancellation. Sends follow absolute deadlines (a late tick does not shift the next ones) and
each VU starts at its own phase within the interval, so 5,000 VUs do not send in lockstep.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    BroadcastReceived,
    ConnectionState,
    ConnectionStateChanged,
    PushResult,
    PushStatus,
)
from inspector.protocol.template import TemplateError, Variables, expand_json

from ..client import RealtimeClient
from ..errors import ChannelError, InspectorError, JoinRefused
from ..events import ClientEvent
from ..rest import RestMessage, RestResult
from ..settings import ClientSettings
from .payload import make_payload, read_header, with_header
from .recorder import LoadRecorder
from .workloads import ChannelSlot, Workload, channel_plan

_TOPIC_PREFIX = "realtime:"
#: The golden ratio's fraction: spreads VU phases evenly whatever the VU count.
_PHASE = 0.6180339887498949


def _reason(exc: BaseException) -> str:
    # Errors are counted by reason: a channel's name in it (ours, or the server's "...
    # Channel topic: load-…-echo1-17") would make one line per channel, 5,000 for 5,000 VUs.
    if isinstance(exc, ChannelError):
        text = exc.message
        if isinstance(exc, JoinRefused):
            text = text.split(" was refused: ", 1)[-1]
        name = exc.topic.removeprefix("realtime:")
        text = text.replace(exc.topic, "<channel>")
        return text.replace(name, "<channel>") if name else text
    if isinstance(exc, InspectorError):
        return exc.message
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_ENV: dict[str, str] | None = None


def _environment() -> dict[str, str]:
    """One copy of the environment for ``{{env.X}}``, shared by every VU of the process."""
    global _ENV
    if _ENV is None:
        _ENV = dict(os.environ)
    return _ENV


class _Payloads:
    """Builds each send's payload and its size in bytes (JSON text)."""

    def __init__(self, workload: Workload, sender: str, claims: dict[str, Any] | None) -> None:
        self.size = workload.payload_bytes
        self.sender = sender
        self.template = workload.template
        self.variables = (
            Variables(env=_environment(), claims=claims) if workload.template is not None else None
        )

    def make(self, seq: int) -> tuple[dict[str, Any], int]:
        ts = time.time() * 1000.0
        if self.template is not None and self.variables is not None:
            now = datetime.fromtimestamp(ts / 1000.0, UTC)
            variables = self.variables.next(now=now)
            self.variables = variables
            body = expand_json(self.template, variables)
            payload = with_header(self.sender, seq, ts, body)
            return payload, len(json.dumps(payload, separators=(",", ":")).encode())
        return make_payload(self.sender, seq, ts, self.size)


async def run_vu(
    index: int,
    workload: Workload,
    settings: ClientSettings,
    recorder: LoadRecorder,
    stop: asyncio.Event,
    *,
    start: asyncio.Event | None = None,
    close: asyncio.Event | None = None,
    on_ready: Callable[[bool], None] | None = None,
    on_done: Callable[[], None] | None = None,
    claims: dict[str, Any] | None = None,
) -> None:
    """Run VU ``index`` of ``workload`` (see the module docstring).

    ``start``: sending begins when it is set (None: once joined); ``stop``: sending ends (also
    aborts connecting and joining); ``close``: the socket is closed (None: ``drain_s`` after
    ``stop``). ``on_ready(ok)`` is called once, when the VU has joined (``ok``) or given up.
    ``claims`` are the user token's claims for ``{{claims.X}}`` in a saved message.
    """
    vu = _Vu(index, workload, settings, recorder, claims)
    ready_called = done_called = False

    def ready(ok: bool) -> None:
        nonlocal ready_called
        if not ready_called:
            ready_called = True
            if on_ready is not None:
                on_ready(ok)

    def done() -> None:
        nonlocal done_called
        if not done_called:
            done_called = True
            if on_done is not None:
                on_done()

    try:
        ok = await _until(vu.connect_and_join(), stop)
        ready(bool(ok))
        if ok:
            if start is not None:
                await _wait_either(start, stop)
            if not stop.is_set() and workload.send_rate > 0:
                await _until(vu.send_loop(), stop)
            await vu.drain()
        done()
        if close is not None:
            await close.wait()
        elif ok:
            await asyncio.sleep(workload.drain_s)
    finally:
        ready(False)
        done()
        await vu.close()


class _Signal:
    """What happens when one event is set, for every VU waiting on it: one watcher task per
    event instead of a waiter task per VU, and sets (O(1) removal) instead of a shared
    future's callback list (removing 5,000 callbacks one by one is quadratic)."""

    def __init__(self, event: asyncio.Event) -> None:
        #: tasks to cancel, futures to resolve, when the event is set.
        self.cancel: set[asyncio.Future[Any]] = set()
        self.wake: set[asyncio.Future[None]] = set()
        self.loop = asyncio.get_running_loop()
        self.watcher = self.loop.create_task(self._watch(event), name="load-signal")

    async def _watch(self, event: asyncio.Event) -> None:
        await event.wait()
        for task in list(self.cancel):
            task.cancel()
        for future in list(self.wake):
            if not future.done():
                future.set_result(None)


_SIGNALS: weakref.WeakKeyDictionary[asyncio.Event, _Signal] = weakref.WeakKeyDictionary()


def _signal(event: asyncio.Event) -> _Signal:
    signal = _SIGNALS.get(event)
    if signal is None or signal.loop is not asyncio.get_running_loop():
        signal = _SIGNALS[event] = _Signal(event)
    return signal


async def _wait_either(first: asyncio.Event, second: asyncio.Event) -> None:
    """Until one of two events is set, without a task of its own."""
    if first.is_set() or second.is_set():
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    signals = (_signal(first), _signal(second))
    for signal in signals:
        signal.wake.add(future)
    try:
        await future
    finally:
        for signal in signals:
            signal.wake.discard(future)


async def _until(work: Any, stop: asyncio.Event) -> Any:
    """Run ``work`` until it ends or ``stop`` is set (then it is cancelled: None)."""
    task = asyncio.ensure_future(work)
    if stop.is_set():
        task.cancel()
    signal = _signal(stop)
    signal.cancel.add(task)
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            task.cancel()
            raise  # this VU itself was cancelled
        return None
    finally:
        signal.cancel.discard(task)


def vu_settings(settings: ClientSettings, workload: Workload) -> ClientSettings:
    """``settings`` with the workload's connect timeout for the handshake and the joins."""
    limit = workload.connect_timeout_s
    if settings.open_timeout == limit and settings.join_timeout == limit:
        return settings
    return dataclasses.replace(settings, open_timeout=limit, join_timeout=limit)


class _Vu:
    def __init__(
        self,
        index: int,
        workload: Workload,
        settings: ClientSettings,
        recorder: LoadRecorder,
        claims: dict[str, Any] | None,
    ) -> None:
        self.index = index
        self.workload = workload
        self.recorder = recorder
        self.slots = channel_plan(workload, index)
        self.sender = str(index)
        self.payloads = _Payloads(workload, self.sender, claims)
        self.client = RealtimeClient(vu_settings(settings, workload), on_event=self._on_event)
        self.joined: list[ChannelSlot] = []
        self.seq: dict[str, int] = {}
        self.pending: set[asyncio.Future[Any]] = set()
        self._names: dict[str, str] = {}
        self._was_open = False
        self._lost_at: float | None = None
        self._closing = False

    # ------------------------------------------------------------------ receive

    def _on_event(self, event: ClientEvent) -> None:
        cls = event.__class__
        if cls is BroadcastReceived:
            self._on_broadcast(event)  # type: ignore[arg-type]
        elif cls is ConnectionStateChanged:
            self._on_state(event)  # type: ignore[arg-type]

    def _on_broadcast(self, event: BroadcastReceived) -> None:
        try:
            head = read_header(event.raw, event.value)
        except Exception:  # peer input never raises out of a receive path
            head = None
        if head is None:
            foreign = getattr(self.recorder, "foreign_message", None)
            if foreign is not None:
                foreign()
            return
        topic = event.topic
        name = self._names.get(topic)
        if name is None:
            name = self._names[topic] = topic.removeprefix(_TOPIC_PREFIX)
        sender, seq, ts = head
        latency = time.time() * 1000.0 - ts
        self.recorder.delivered(name, sender, seq, latency, event.size, self.index)

    def _on_state(self, event: ConnectionStateChanged) -> None:
        if self._closing:
            return
        if event.state is ConnectionState.OPEN:
            if self._was_open and self._lost_at is not None:
                self.recorder.connected(True, (time.perf_counter() - self._lost_at) * 1000)
            self._lost_at = None
        elif self._was_open and self._lost_at is None:
            self._lost_at = time.perf_counter()
            self.recorder.disconnected(event.reason or "connection lost")

    # ------------------------------------------------------------------ connect, join

    async def connect_and_join(self) -> bool:
        workload, recorder = self.workload, self.recorder
        t0 = time.perf_counter()
        try:
            await self.client.connect()  # within the settings' open_timeout
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            recorder.connected(False, (time.perf_counter() - t0) * 1000, _reason(exc))
            return False
        self._was_open = True
        recorder.connected(True, (time.perf_counter() - t0) * 1000)
        for slot in self.slots:
            recorder.planned(slot)
        results = await asyncio.gather(*(self._join(slot) for slot in self.slots))
        self.joined = [slot for slot, ok in zip(self.slots, results, strict=True) if ok]
        if workload.presence and self.joined:
            await asyncio.gather(*(self._track(slot) for slot in self.joined))
        return bool(self.joined)

    async def _join(self, slot: ChannelSlot) -> bool:
        w = self.workload
        config = ChannelConfig(
            slot.name,
            broadcast_self=w.broadcast_self,
            broadcast_ack=w.ack,
            presence_enabled=w.presence,
            presence_key=f"vu-{self.index}" if w.presence else "",
            private=slot.private,
            events=(w.event,),
        )
        t0 = time.perf_counter()
        try:
            await self.client.join(config)  # within the settings' join_timeout
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.recorder.joined(slot.name, False, (time.perf_counter() - t0) * 1000, _reason(exc))
            try:  # else the client rejoins on its schedule for the rest of the run
                await self.client.leave(slot.name, timeout=1.0)
            except Exception:
                pass
            return False
        self.recorder.joined(slot.name, True, (time.perf_counter() - t0) * 1000)
        return True

    async def _track(self, slot: ChannelSlot) -> None:
        try:
            result = await self.client.track(slot.name, {"vu": self.index})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.recorder.error(f"presence: {_reason(exc)}")
            return
        if result.status is not PushStatus.OK:
            self.recorder.error(f"presence: {result.error_text()}")

    # ------------------------------------------------------------------ send

    async def send_loop(self) -> None:
        w = self.workload
        loop = asyncio.get_running_loop()
        interval = 1.0 / w.send_rate
        at = loop.time() + interval * ((self.index * _PHASE) % 1.0)
        sending = [slot for slot in self.joined if slot.sends]
        if not sending:
            return
        while True:
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if w.via == "ws":
                for slot in sending:
                    self._send_ws(slot)
            elif w.via == "rest":
                for slot in sending:
                    self._spawn(self._send_rest(slot))
            else:
                self._spawn(self._send_batch(sending))
            at += interval
            now = loop.time()
            if at < now - interval:  # far behind (a stalled loop): skip, do not burst
                at = now

    def _next(self, slot: ChannelSlot) -> tuple[dict[str, Any], int, int] | None:
        seq = self.seq.get(slot.name, 0) + 1
        try:
            payload, nbytes = self.payloads.make(seq)
        except (TemplateError, ValueError) as exc:
            self.recorder.sent(slot.name, False, None, 0, f"payload: {exc}")
            return None
        self.seq[slot.name] = seq
        return payload, nbytes, seq

    def _send_ws(self, slot: ChannelSlot) -> None:
        made = self._next(slot)
        if made is None:
            return
        payload, nbytes, _seq = made
        t0 = time.perf_counter()
        try:
            future = self.client.send_nowait(slot.name, self.workload.event, payload)
        except InspectorError as exc:
            self.recorder.sent(slot.name, False, None, nbytes, exc.message)
            return
        if future.done():
            self._ws_result(slot.name, nbytes, t0, future)
        else:
            self.pending.add(future)
            future.add_done_callback(partial(self._ws_result, slot.name, nbytes, t0))

    def _ws_result(
        self, name: str, nbytes: int, t0: float, future: asyncio.Future[PushResult]
    ) -> None:
        self.pending.discard(future)
        if future.cancelled():
            self.recorder.sent(name, False, None, nbytes, "no ack before the end of the run")
            return
        exc = future.exception()
        if exc is not None:
            self.recorder.sent(name, False, None, nbytes, _reason(exc))
            return
        result = future.result()
        if result.status is PushStatus.SENT:
            self.recorder.sent(name, True, None, nbytes)
        elif result.status is PushStatus.OK:
            rtt = result.rtt if result.rtt is not None else time.perf_counter() - t0
            self.recorder.sent(name, True, rtt * 1000, nbytes)
        else:
            self.recorder.sent(name, False, None, nbytes, result.error_text())

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send_rest(self, slot: ChannelSlot) -> None:
        made = self._next(slot)
        if made is None:
            return
        payload, nbytes, _seq = made
        try:
            result = await self.client.rest_send(
                slot.name, self.workload.event, payload, private=slot.private
            )
        except InspectorError as exc:
            self.recorder.sent(slot.name, False, None, nbytes, exc.message)
            return
        self._rest_result(slot.name, nbytes, result)

    async def _send_batch(self, slots: list[ChannelSlot]) -> None:
        made = []
        for slot in slots:
            one = self._next(slot)
            if one is not None:
                made.append((slot, one[0], one[1]))
        if not made:
            return
        messages = [RestMessage(s.name, self.workload.event, p, s.private) for s, p, _ in made]
        try:
            result = await self.client.rest.broadcast_batch(messages)
        except InspectorError as exc:
            for slot, _payload, nbytes in made:
                self.recorder.sent(slot.name, False, None, nbytes, exc.message)
            return
        for slot, _payload, nbytes in made:
            self._rest_result(slot.name, nbytes, result)

    def _rest_result(self, name: str, nbytes: int, result: RestResult) -> None:
        if result.ok:
            self.recorder.sent(name, True, result.latency * 1000, nbytes)
        else:
            reason = result.error or f"HTTP {result.status}"
            self.recorder.sent(name, False, None, nbytes, f"REST {result.endpoint}: {reason}")

    # ------------------------------------------------------------------ end

    async def drain(self) -> None:
        """Let sends in flight finish: acks and REST answers decide what is expected."""
        if self.pending:
            await asyncio.wait(list(self.pending), timeout=self.workload.connect_timeout_s)

    async def close(self) -> None:
        self._closing = True
        for pending in list(self.pending):
            pending.cancel()
        try:
            await self.client.close()
        except Exception as exc:
            self.recorder.error(f"close: {_reason(exc)}")
        if self._was_open and self._lost_at is None:
            self.recorder.disconnected()
