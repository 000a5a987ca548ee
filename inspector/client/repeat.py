"""Repeat and burst: one message sent N times or for a duration, paced or windowed.

One engine for the CLI (``send --count/--duration/--rate/--in-flight``) and the window's repeat
control. :class:`RepeatSender` drives a connected :class:`~.client.RealtimeClient` (joined to
the channel for websocket sends) and returns a :class:`~.send_summary.SendSummary`.

Pacing (:class:`Pacer`): message *n* (1-based) is due at ``start + (n - 1) / rate`` on the
loop's monotonic clock. Each wakeup sends every message that is due, in batches of at most
:data:`MAX_BATCH` with a loop turn between them, then sleeps until the next deadline, so a
late wakeup does not make the rate drift (the run catches up) and 20,000 msg/s needs about one
wakeup per millisecond, not one per message.

Window (``in_flight``): at most K sends wait for their outcome (websocket with ``ack``, or
REST); the next goes out as an answer comes back. Both may be combined (a rate, capped by a
window). Without a rate and without a window, websocket sends without ``ack`` go as fast as the
socket takes them (the sender waits while :attr:`~.client.RealtimeClient.backlog` is high).

Each message comes from ``make(seq)`` (``seq`` 1, 2, 3, ...), so the caller can expand
variables per message (:mod:`inspector.protocol.template`). :meth:`RepeatSender.cancel` stops
at once; the outcomes still in flight get :data:`CANCEL_GRACE` seconds to arrive and the
summary comes either way. Progress is reported at most every ``progress_every`` seconds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from inspector.protocol.events import PushResult, PushStatus
from inspector.protocol.frames import topic_for
from inspector.protocol.template import Variables, expand_json, expand_text, has_placeholders

from .client import RealtimeClient
from .errors import InspectorError
from .rest import RestResult
from .send_summary import SendSummary

__all__ = [
    "CANCEL_GRACE",
    "MAX_BATCH",
    "Outcome",
    "Pacer",
    "RepeatMessage",
    "RepeatPlan",
    "RepeatProgress",
    "RepeatSender",
    "TemplateMessages",
]

#: At most this many sends per loop turn (the reader, the writer and signals get their turn).
MAX_BATCH = 256
#: Frames waiting for the websocket above which a sender without a window pauses.
MAX_BACKLOG = 4096
#: Seconds that outcomes still in flight get after a cancel.
CANCEL_GRACE = 1.0
#: The shortest pause between wakeups of a paced run: at high rates several messages go per
#: wakeup instead of one timer each (the average rate is kept by the absolute deadlines).
MIN_SLEEP = 0.001


@dataclass(frozen=True, slots=True)
class RepeatMessage:
    """One message of a run: the event name and the payload (JSON value, or bytes)."""

    event: str
    payload: Any
    binary: bool = False


@dataclass(frozen=True)
class RepeatPlan:
    """How many, how fast, and over which transport.

    At least one of ``count`` and ``duration`` (seconds) ends the run; with both, whichever
    comes first. ``rate`` in messages per second (None: as fast as allowed); ``in_flight``: at
    most K sends waiting for an outcome (None: no window). ``rest`` posts to the REST endpoint
    (``batch``: the batch one; ``private`` as for :meth:`RealtimeClient.rest_send`); else the
    websocket channel ``channel`` must be joined. ``timeout`` overrides the push timeout.
    """

    channel: str
    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    in_flight: int | None = None
    rest: bool = False
    batch: bool = False
    private: bool | None = None
    timeout: float | None = None
    progress_every: float = 0.25

    def __post_init__(self) -> None:
        if self.count is None and self.duration is None:
            raise ValueError("a repeat run needs a count or a duration")
        if self.count is not None and self.count < 1:
            raise ValueError(f"the count must be at least 1, got {self.count}")
        for name in ("duration", "rate", "timeout"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ValueError(f"the {name} must be a number above 0, got {value}")
        if self.in_flight is not None and self.in_flight < 1:
            raise ValueError(f"in flight must be at least 1, got {self.in_flight}")


@dataclass(frozen=True, slots=True)
class RepeatProgress:
    """A snapshot while running (and one at the end, ``done``)."""

    sent: int
    ok: int
    error: int
    timed_out: int
    #: Seconds since the first send.
    elapsed: float
    #: Messages per second since the previous snapshot.
    rate: float
    #: The planned count (None for a run bounded by its duration only).
    total: int | None
    #: The planned duration in seconds, or None.
    duration: float | None
    done: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one send: ``status`` is ``sent`` (websocket without ack), ``ok``,
    ``error``, ``timed_out`` or ``dropped``; ``rtt`` in seconds when measured; ``result`` is
    the client's :class:`PushResult` or :class:`RestResult` (None when the call raised:
    ``error_text`` says why)."""

    status: str
    rtt: float | None
    result: PushResult | RestResult | None
    error_text: str | None = None


class Pacer:
    """Absolute deadlines for a rate: message ``n`` (1-based) is due at
    ``start + (n - 1) / rate``; without a rate everything is due at once."""

    def __init__(self, rate: float | None, start: float) -> None:
        self.rate = rate
        self.start = start

    def due(self, now: float) -> int | None:
        """How many messages are due by ``now`` in all (None: no limit)."""
        if self.rate is None:
            return None
        if now < self.start:
            return 0
        # a millionth of an interval of slack: a deadline computed as start + k / rate is due
        # at exactly that time despite rounding (else the sender wakes to find nothing due)
        return math.floor((now - self.start) * self.rate + 1e-6) + 1

    def deadline(self, n: int) -> float:
        """When message ``n`` (1-based) is due."""
        if self.rate is None:
            return self.start
        return self.start + (n - 1) / self.rate


def _push_outcome(result: PushResult) -> Outcome:
    status = result.status
    text = None if status in (PushStatus.OK, PushStatus.SENT) else result.error_text()
    return Outcome(status.value, result.rtt, result, text)


def _rest_outcome(result: RestResult) -> Outcome:
    if result.ok:
        return Outcome("ok", result.latency, result)
    if result.timed_out:
        return Outcome("timed_out", None, result, result.error)
    return Outcome("error", None, result, result.error)


class RepeatSender:
    """Runs one :class:`RepeatPlan` on a client; ``await run()`` gives the summary.

    ``on_sent(seq, message)`` is called as each message is handed to the client,
    ``on_outcome(seq, message, outcome)`` as each outcome arrives, ``on_progress(progress)``
    at most every ``plan.progress_every`` seconds and once at the end. Callbacks run on the
    loop and must be quick (the window batches its rows). A message that cannot be built or
    encoded (``make`` raises :class:`ValueError`, or the client raises
    :class:`~.errors.InvalidPayload`) ends the run before it is counted and the error
    propagates, so bad input is reported, never half sent.
    """

    def __init__(
        self,
        client: RealtimeClient,
        plan: RepeatPlan,
        make: Callable[[int], RepeatMessage],
        *,
        on_sent: Callable[[int, RepeatMessage], None] | None = None,
        on_outcome: Callable[[int, RepeatMessage, Outcome], None] | None = None,
        on_progress: Callable[[RepeatProgress], None] | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.make = make
        self.on_sent = on_sent
        self.on_outcome = on_outcome
        self.on_progress = on_progress
        self.summary = SendSummary()
        self._cancelled = False
        self._all_sent = False
        self._wake: asyncio.Future[None] | None = None
        self._outstanding = 0
        self._rest_tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start = 0.0
        self._last_report = 0.0
        self._last_sent = 0
        self._window = self._window_size()

    def _window_size(self) -> int | None:
        plan = self.plan
        if plan.in_flight is not None:
            return plan.in_flight
        answered = plan.rest or self._acked()
        if answered and plan.rate is None:
            return 1  # one at a time, like a plain `send --count N`
        return None

    def _acked(self) -> bool:
        if self.plan.rest:
            return True
        channel = self.client.channels.get(topic_for(self.plan.channel))
        return bool(channel is not None and channel.config.broadcast_ack)

    @property
    def running_outstanding(self) -> int:
        """Sends waiting for an outcome."""
        return self._outstanding

    def cancel(self) -> None:
        """Stop sending now; :meth:`run` still returns the summary."""
        self._cancelled = True
        self._poke()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _poke(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _sleep(self, until: float | None) -> None:
        """Until ``until`` (loop time; None: no deadline), an outcome, or a cancel."""
        loop = self._loop
        assert loop is not None
        wake = loop.create_future()
        self._wake = wake
        handle = loop.call_at(until, self._poke) if until is not None else None
        try:
            await wake
        finally:
            self._wake = None
            if handle is not None:
                handle.cancel()

    async def run(self) -> SendSummary:
        loop = self._loop = asyncio.get_running_loop()
        plan = self.plan
        summary = self.summary
        start = self._start = self._last_report = loop.time()
        pacer = Pacer(plan.rate, start)
        end = start + plan.duration if plan.duration is not None else None
        count = plan.count
        window = self._window
        client = self.client
        seq = 0
        try:
            while not self._cancelled:
                now = loop.time()
                if (count is not None and seq >= count) or (end is not None and now >= end):
                    self._all_sent = True
                    break
                allowed = MAX_BATCH
                due = pacer.due(now)
                if due is not None:
                    allowed = min(allowed, due - seq)
                if count is not None:
                    allowed = min(allowed, count - seq)
                if window is not None:
                    allowed = min(allowed, window - self._outstanding)
                if allowed <= 0:
                    wait_until = end
                    if due is not None and (window is None or self._outstanding < window):
                        next_at = max(pacer.deadline(seq + 1), now + MIN_SLEEP)
                        wait_until = next_at if end is None else min(next_at, end)
                    if self.on_progress is not None:  # progress goes on while waiting
                        tick = now + plan.progress_every
                        wait_until = tick if wait_until is None else min(wait_until, tick)
                    await self._sleep(wait_until)
                    self._report(loop.time())
                    continue
                for _ in range(allowed):
                    seq += 1
                    self._send_one(seq)
                self._report(loop.time())
                if window is None and not plan.rest and client.backlog > MAX_BACKLOG:
                    # the socket is behind: let the writer work off half of it
                    while client.backlog > MAX_BACKLOG // 2 and not self._cancelled:
                        await self._sleep(loop.time() + 0.001)
                else:
                    await asyncio.sleep(0)  # the writer, the reader and signals get their turn
            await self._drain()
        finally:
            summary.cancelled = self._cancelled and not self._all_sent
            summary.elapsed = loop.time() - start
            for task in self._rest_tasks:
                task.cancel()
            self._report(loop.time(), done=True)
        return summary

    async def _drain(self) -> None:
        """Wait for the outcomes still in flight (after a cancel, at most CANCEL_GRACE s)."""
        loop = self._loop
        assert loop is not None
        give_up: float | None = None
        while self._outstanding > 0:
            if self._cancelled and give_up is None:
                give_up = loop.time() + CANCEL_GRACE
            if give_up is not None and loop.time() >= give_up:
                return
            until = give_up
            if self.on_progress is not None:
                tick = loop.time() + self.plan.progress_every
                until = tick if until is None else min(until, tick)
            await self._sleep(until)
            self._report(loop.time())

    # ------------------------------------------------------------------ one send

    def _send_one(self, seq: int) -> None:
        message = self.make(seq)
        plan = self.plan
        if plan.rest:
            self._outstanding += 1
            task = asyncio.ensure_future(self._rest(seq, message))
            self._rest_tasks.add(task)
            task.add_done_callback(self._rest_tasks.discard)
        else:
            future = self.client.send_nowait(
                plan.channel,
                message.event,
                message.payload,
                binary=message.binary,
                timeout=plan.timeout,
            )
            if future.done():  # no ack: "sent" at once, no callback needed
                self.summary.sent += 1
                if self.on_sent is not None:
                    self.on_sent(seq, message)
                self._push_done(seq, message, future, counted=False)
                return
            self._outstanding += 1
            future.add_done_callback(partial(self._push_done, seq, message))
        self.summary.sent += 1
        if self.on_sent is not None:
            self.on_sent(seq, message)

    def _push_done(
        self,
        seq: int,
        message: RepeatMessage,
        future: asyncio.Future[PushResult],
        counted: bool = True,
    ) -> None:
        if counted:
            self._outstanding -= 1
        if future.cancelled():
            outcome = Outcome("error", None, None, "cancelled")
        elif (exc := future.exception()) is not None:
            text = exc.message if isinstance(exc, InspectorError) else str(exc)
            outcome = Outcome("error", None, None, text)
        else:
            outcome = _push_outcome(future.result())
        self._finish(seq, message, outcome)

    async def _rest(self, seq: int, message: RepeatMessage) -> None:
        plan = self.plan
        try:
            result = await self.client.rest_send(
                plan.channel,
                message.event,
                message.payload,
                binary=message.binary,
                private=plan.private,
                batch=plan.batch,
            )
            outcome = _rest_outcome(result)
        except InspectorError as exc:
            outcome = Outcome("error", None, None, exc.message)
        finally:
            self._outstanding -= 1
        self._finish(seq, message, outcome)

    def _finish(self, seq: int, message: RepeatMessage, outcome: Outcome) -> None:
        self.summary.record(outcome.status, outcome.rtt)
        if self.on_outcome is not None:
            self.on_outcome(seq, message, outcome)
        if self._wake is not None:
            self._poke()

    # ------------------------------------------------------------------ progress

    def _report(self, now: float, *, done: bool = False) -> None:
        if self.on_progress is None:
            return
        since = now - self._last_report
        if not done and since < self.plan.progress_every:
            return
        s = self.summary
        rate = (s.sent - self._last_sent) / since if since > 0 else 0.0
        if done:
            rate = s.sent / (now - self._start) if now > self._start else 0.0
        self._last_report = now
        self._last_sent = s.sent
        self.on_progress(
            RepeatProgress(
                s.sent,
                s.ok,
                s.error,
                s.timed_out,
                now - self._start,
                rate,
                self.plan.count,
                self.plan.duration,
                done,
            )
        )


class TemplateMessages:
    """``make(seq)`` for a run: the event name and JSON payload expanded per message with
    :mod:`inspector.protocol.template` (``{{seq}}`` the message's number, ``{{now}}`` its
    time), binary payloads sent as they are. A template without placeholders is expanded
    once. ``add_seq`` (a key, e.g. ``"seq"``): a JSON object payload without that key gets it,
    with the message's number (the window's default, so sequence tracking works between two
    tabs). The first message is expanded when this is built, so a bad template raises
    :class:`~inspector.protocol.template.TemplateError` before anything is sent."""

    def __init__(
        self,
        event: str,
        payload: str | bytes,
        variables: Variables | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        add_seq: str | None = None,
    ) -> None:
        self._add_seq = add_seq
        self._event = event
        self._payload = payload
        self._base = variables if variables is not None else Variables()
        self._clock = clock or _utc_now
        self._event_fixed = not has_placeholders(event)
        self._binary = isinstance(payload, bytes)
        self._payload_fixed = (
            self._binary or not has_placeholders(str(payload))
        ) and add_seq is None
        first = self._expand(1)
        self._fixed: RepeatMessage | None = (
            first if self._event_fixed and self._payload_fixed else None
        )
        self._first = first

    def _expand(self, seq: int) -> RepeatMessage:
        variables = replace(self._base, seq=seq, now=self._clock())
        event = self._event if self._event_fixed else expand_text(self._event, variables)
        payload = self._payload if self._binary else expand_json(str(self._payload), variables)
        key = self._add_seq
        if key is not None and isinstance(payload, dict) and key not in payload:
            payload = {**payload, key: seq}
        return RepeatMessage(event, payload, self._binary)

    @property
    def first(self) -> RepeatMessage:
        """Message 1 as expanded at construction (a preview; sends expand again, at their
        own time)."""
        return self._first

    def __call__(self, seq: int) -> RepeatMessage:
        fixed = self._fixed
        if fixed is not None:
            return fixed
        return self._expand(seq)


def _utc_now() -> datetime:
    return datetime.now(UTC)
