"""Replay of a recording into a channel: which messages, when, and how it went (issue #11 item 4).

The one engine behind ``realtime-inspector replay`` and the window's "Replay to channel..." /
"Replay file...". It takes plain items (anything with ``offset``, ``event``, ``payload``,
``binary``, ``direction`` and ``channel``: :class:`ReplayItem`; the store's
``RecordedMessage`` is one) and a joined :class:`~inspector.client.client.RealtimeClient`.

- :func:`select` keeps the items of one direction (``in``, the default: what the channel
  carried to the recorder; ``out``: what the recorder sent; ``both``), of the events matching
  a filter (:mod:`inspector.protocol.event_filter` syntax) and optionally of one recorded
  channel. Payloads are never touched: JSON values go out as they are, bytes as bytes.
- :func:`schedule` is the pure timing: each send's due time in seconds after the start, at
  the original gaps divided by a speed factor (x0.5 .. x100), or at a fixed rate. Loops follow
  each other; a new pass starts one mean gap after the last message of the previous one.
- :class:`Replayer` sends on that schedule against the loop's monotonic clock: every deadline
  is ``start + due`` (plus the time spent paused), never a sum of sleeps, so drift does not
  build up; a send that is late goes out at once and is counted in ``late_max``. Over the
  websocket each push is started at its deadline without waiting for the previous ack (order
  is the order of the pushes); over REST each request waits for the previous answer (so order
  holds) and the schedule slips instead. Pause/resume, cancel, and a progress callback; the
  result is a :class:`~inspector.client.send_summary.SendSummary`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from inspector.protocol.event_filter import compile_events

from .client import RealtimeClient
from .errors import ClientStateError, InspectorError
from .events import PushResult, PushStatus
from .send_summary import SendSummary

MIN_SPEED: Final = 0.5
MAX_SPEED: Final = 100.0
DIRECTIONS: Final = ("in", "out", "both")
WEBSOCKET: Final = "websocket"
REST: Final = "rest"
#: Seconds a cancelled replay still waits for acks of pushes already made.
CANCEL_GRACE: Final = 2.0


class ReplayItem(Protocol):
    """One recorded broadcast (read-only attributes)."""

    @property
    def offset(self) -> float:
        """Seconds after the recording's first message."""

    @property
    def event(self) -> str: ...

    @property
    def payload(self) -> Any:
        """The JSON value, or bytes when ``binary``."""

    @property
    def binary(self) -> bool: ...

    @property
    def direction(self) -> str:
        """``in`` or ``out``."""

    @property
    def channel(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How to replay: timing, what to pick, loops, transport."""

    #: the speed factor on the original gaps (ignored with ``rate``).
    speed: float = 1.0
    #: a fixed rate in messages per second instead of the original timing.
    rate: float | None = None
    #: event patterns (:mod:`inspector.protocol.event_filter`); empty = every event.
    events: tuple[str, ...] = ()
    #: ``in``, ``out`` or ``both``.
    direction: str = "in"
    #: only the rows recorded on this channel (None = all).
    source_channel: str | None = None
    #: passes over the recording (at least 1).
    loops: int = 1
    #: ``websocket`` (the joined channel's ack setting applies) or ``rest``.
    via: str = WEBSOCKET

    def check(self) -> str | None:
        """What is wrong with these options in words, or None."""
        if self.rate is None and not MIN_SPEED <= self.speed <= MAX_SPEED:
            return f"speed must be between x{MIN_SPEED:g} and x{MAX_SPEED:g}, got x{self.speed:g}"
        if self.rate is not None and not self.rate > 0:
            return f"rate must be above 0 messages per second, got {self.rate:g}"
        if self.direction not in DIRECTIONS:
            return f"direction must be one of {', '.join(DIRECTIONS)}, got {self.direction!r}"
        if self.loops < 1:
            return f"loop must be at least 1, got {self.loops}"
        if self.via not in (WEBSOCKET, REST):
            return f"via must be websocket or rest, got {self.via!r}"
        return None


@dataclass(frozen=True, slots=True)
class Selection:
    """The items :func:`select` kept, and how many each filter left out."""

    items: list[Any]
    other_direction: int = 0
    other_channel: int = 0
    other_event: int = 0

    @property
    def left_out(self) -> int:
        return self.other_direction + self.other_channel + self.other_event

    def empty_reason(self, options: ReplayOptions) -> str:
        """Why nothing was kept, with what to change (for an empty selection)."""
        if self.other_direction and not (self.other_channel or self.other_event):
            other = "out" if options.direction == "in" else "in"
            words = {"in": "received", "out": "sent"}
            return (
                f"the recording has no {words.get(options.direction, '')} broadcasts, only "
                f"{self.other_direction:,} {words[other]} ones: pass --direction {other} or both"
            )
        if self.left_out:
            return f"no broadcast matches the filters ({self.left_out:,} left out)"
        return "the recording holds no broadcasts"


def select(items: Sequence[ReplayItem], options: ReplayOptions) -> Selection:
    """The items to replay, in order (see the module docstring)."""
    accept = compile_events(options.events) if options.events else None
    kept: list[Any] = []
    direction = channel = event = 0
    for item in items:
        if options.direction != "both" and item.direction != options.direction:
            direction += 1
        elif options.source_channel is not None and item.channel != options.source_channel:
            channel += 1
        elif accept is not None and not accept.matches(item.event):
            event += 1
        else:
            kept.append(item)
    return Selection(kept, direction, channel, event)


def schedule(
    offsets: Sequence[float],
    *,
    speed: float = 1.0,
    rate: float | None = None,
    loops: int = 1,
) -> Iterator[tuple[int, float]]:
    """``(index, due)`` for every send: ``due`` in seconds after the start, never decreasing.

    With ``rate`` the sends are ``1 / rate`` apart across passes. Otherwise each send is due
    at its offset from the first item (gaps below zero count as zero) divided by ``speed``,
    and pass ``k`` starts ``k`` periods later, a period being the span of the recording plus
    its mean gap (0 for a single item).
    """
    n = len(offsets)
    if n == 0:
        return
    if rate is not None:
        step = 1.0 / rate
        for k in range(loops * n):
            yield k % n, k * step
        return
    relative: list[float] = []
    last = 0.0
    for value in offsets:
        last = max(last, value - offsets[0])
        relative.append(last)
    span = relative[-1]
    period = span + (span / (n - 1) if n > 1 else 0.0)
    for k in range(loops):
        base = k * period
        for i, value in enumerate(relative):
            yield i, (base + value) / speed


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """How one replayed send ended."""

    #: ``ok``, ``error``, ``timed_out`` or ``sent`` (websocket without ack).
    status: str
    #: round trip in seconds (ack or HTTP answer), when there was one.
    rtt: float | None = None
    error: str | None = None
    #: the HTTP status of a REST send.
    http_status: int | None = None


@dataclass(slots=True)
class ReplayProgress:
    """A snapshot for a progress display."""

    #: sends made so far (all passes) and in all.
    done: int
    total: int
    summary: SendSummary
    paused: bool
    finished: bool = False
    cancelled: bool = False
    #: why the replay stopped by itself (``Replayer.stop_reason``), or "".
    reason: str = ""


class Replayer:
    """Sends a selection on its schedule; see the module docstring.

    ``on_sent(index, item)`` is called when a send starts and ``on_result(index, item,
    outcome)`` when it ends (``index`` counts sends over all passes, from 0); ``on_progress``
    at most every ``progress_interval`` seconds and once at the end; ``private`` is for REST
    sends (None: the joined channel's setting); ``prepare(index, item)`` returns the item
    as it goes out (``--expand-vars``). Call :meth:`run` once.
    """

    def __init__(
        self,
        client: RealtimeClient,
        channel: str,
        items: Sequence[ReplayItem],
        options: ReplayOptions,
        *,
        on_progress: Callable[[ReplayProgress], None] | None = None,
        on_sent: Callable[[int, Any], None] | None = None,
        on_result: Callable[[int, Any, SendOutcome], None] | None = None,
        progress_interval: float = 0.1,
        private: bool | None = None,
        prepare: Callable[[int, Any], Any] | None = None,
    ) -> None:
        problem = options.check()
        if problem is not None:
            raise ValueError(problem)
        self.client = client
        self.channel = channel
        self.items = list(items)
        self.options = options
        self.on_progress = on_progress
        self.on_sent = on_sent
        self.on_result = on_result
        self.progress_interval = progress_interval
        #: REST only: a private channel (§6; None: the joined channel's setting).
        self.private = private
        #: ``prepare(index, item)`` -> the item as it goes out (e.g. its variables expanded at
        #: the moment of the send); None sends the recorded item unchanged.
        self.prepare = prepare
        self.summary = SendSummary()
        self.total = len(self.items) * options.loops
        self.done = 0
        #: the latest a send went out after its deadline, in seconds.
        self.late_max = 0.0
        #: why the replay stopped by itself (the client was closed, the channel left), or "".
        self.stop_reason = ""
        self._paused = False
        self._cancelled = False
        self._waker: asyncio.Future[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_progress = -1.0
        self._started: float | None = None
        self._paused_since: float | None = None
        self._paused_total = 0.0

    # ------------------------------------------------------------------------------ control

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def pause(self) -> None:
        if not self._paused and not self._cancelled:
            self._paused = True
            self._wake()
            self._report(force=True)

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._wake()
            self._report(force=True)

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            self._paused = False
            self._wake()

    def _stop(self, exc: ClientStateError) -> None:
        """The client cannot send on the channel any more: every later send would fail alike."""
        if not self.stop_reason:
            self.stop_reason = exc.message
        self.cancel()

    def _wake(self) -> None:
        waker = self._waker
        if waker is not None and not waker.done():
            waker.set_result(None)

    # ------------------------------------------------------------------------------ running

    async def run(self) -> SendSummary:
        """Send everything (or until cancelled); the summary once every outcome is in."""
        loop = self._loop = asyncio.get_running_loop()
        o = self.options
        offsets = [item.offset for item in self.items]
        start = loop.time()
        self._started = start
        try:
            for index, (i, due) in enumerate(
                schedule(offsets, speed=o.speed, rate=o.rate, loops=o.loops)
            ):
                if not await self._wait_until(loop, start, due):
                    break
                late = loop.time() - (start + self._paused_total + due)
                self.late_max = max(self.late_max, late)
                item = self.items[i]
                if self.prepare is not None:
                    item = self.prepare(index, item)
                if o.via == REST:
                    await self._rest(index, item)
                else:
                    self._push(index, item)
                self.done += 1
                self._report()
            await self._settle()
        finally:
            for task in self._pending:
                task.cancel()
            self.summary.elapsed = loop.time() - start - self._paused_total
        self._report(force=True, finished=True)
        return self.summary

    async def _wait_until(self, loop: asyncio.AbstractEventLoop, start: float, due: float) -> bool:
        """Sleep until ``start + due`` (shifted by pauses); False when cancelled."""
        while True:
            if self._cancelled:
                return False
            if self._paused:
                since = self._paused_since = loop.time()
                await self._sleep(loop, None)
                self._paused_since = None
                self._paused_total += loop.time() - since
                continue
            when = start + self._paused_total + due
            if loop.time() >= when:
                return True
            await self._sleep(loop, when)

    async def _sleep(self, loop: asyncio.AbstractEventLoop, when: float | None) -> None:
        waker: asyncio.Future[None] = loop.create_future()
        self._waker = waker

        def ring() -> None:
            if not waker.done():
                waker.set_result(None)

        handle = None if when is None else loop.call_at(when, ring)
        try:
            await waker
        finally:
            if handle is not None:
                handle.cancel()
            self._waker = None

    async def _settle(self) -> None:
        pending = self._pending
        if not pending:
            return
        if self._cancelled:
            await asyncio.wait(list(pending), timeout=CANCEL_GRACE)
        else:
            await asyncio.gather(*list(pending), return_exceptions=True)

    def _push(self, index: int, item: Any) -> None:
        self.summary.record_sent()
        if self.on_sent is not None:
            self.on_sent(index, item)
        # The push is queued when the task first runs, in creation order: wire order is
        # schedule order.
        task = asyncio.ensure_future(self._push_result(index, item))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _push_result(self, index: int, item: Any) -> None:
        try:
            result: PushResult = await self.client.send(
                self.channel, item.event, item.payload, binary=item.binary
            )
        except ClientStateError as exc:
            self._outcome(index, item, SendOutcome("error", error=exc.message))
            self._stop(exc)
            return
        except InspectorError as exc:
            self._outcome(index, item, SendOutcome("error", error=exc.message))
            return
        status = result.status
        if status is PushStatus.OK:
            outcome = SendOutcome("ok", result.rtt)
        elif status is PushStatus.SENT:
            outcome = SendOutcome("sent")
        elif status is PushStatus.TIMED_OUT:
            outcome = SendOutcome("timed_out", error="no reply in time")
        else:
            outcome = SendOutcome("error", result.rtt, result.error_text())
        self._outcome(index, item, outcome)

    async def _rest(self, index: int, item: Any) -> None:
        self.summary.record_sent()
        if self.on_sent is not None:
            self.on_sent(index, item)
        try:
            result = await self.client.rest_send(
                self.channel, item.event, item.payload, binary=item.binary, private=self.private
            )
        except InspectorError as exc:
            self._outcome(index, item, SendOutcome("error", error=exc.message))
            return
        if result.ok:
            outcome = SendOutcome("ok", result.latency, http_status=result.status)
        elif result.timed_out:
            outcome = SendOutcome("timed_out", error=result.error, http_status=result.status)
        else:
            outcome = SendOutcome(
                "error", result.latency, error=result.error, http_status=result.status
            )
        self._outcome(index, item, outcome)

    def _outcome(self, index: int, item: Any, outcome: SendOutcome) -> None:
        s = self.summary
        if outcome.status == "ok":
            s.record("ok", outcome.rtt)
        elif outcome.status == "error":
            s.record("error", outcome.rtt)
        elif outcome.status == "timed_out":
            s.record("timed_out")
        if self.on_result is not None:
            self.on_result(index, item, outcome)
        self._report(force=self._paused)  # while paused, late answers show at once

    def _report(self, *, force: bool = False, finished: bool = False) -> None:
        callback = self.on_progress
        loop = self._loop
        if callback is None or loop is None:
            return
        now = loop.time()
        if not force and now - self._last_progress < self.progress_interval:
            return
        self._last_progress = now
        if not finished and self._started is not None:
            paused = self._paused_total
            if self._paused and self._paused_since is not None:
                paused += now - self._paused_since
            self.summary.elapsed = max(0.0, now - self._started - paused)
        callback(
            ReplayProgress(
                self.done,
                self.total,
                self.summary,
                self._paused,
                finished=finished,
                cancelled=self._cancelled,
                reason=self.stop_reason,
            )
        )
