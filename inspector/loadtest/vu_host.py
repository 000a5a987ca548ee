"""VuHost: one asyncio loop in a dedicated OS thread hosting every VU of one Locust process.

Locust runs on gevent (greenlets, a monkey-patched process); the load engine
(:mod:`inspector.client.load`) runs on asyncio. The bridge (docs/load.md, "Many machines:
Locust"):

- **One real OS thread, one asyncio loop**, started by the first VU. The thread is started
  with the unpatched ``_thread.start_new_thread`` and the loop polls with the unpatched
  selector, so it blocks in epoll like any asyncio program, never in gevent's hub. The
  patched socket objects asyncio creates stay in non-blocking mode, where gevent only passes
  the calls through. What asyncio would hand to its default executor (``getaddrinfo``: a
  project's host name) runs on a real thread of its own with the unpatched resolver; gevent's
  would spawn a greenlet on a hub that never runs, and the connection would hang.
- **Commands in** (greenlet -> loop): ``loop.call_soon_threadsafe`` only, never a direct call
  into the loop's objects.
- **Events out** (loop -> greenlet): the VUs' recorder appends plain tuples to an unpatched
  ``queue.SimpleQueue`` (C, lock-free under the GIL); a greenlet drains it (:meth:`take`) and
  fires Locust's request events. The loop's thread never calls a gevent API.
- **Results**: a :class:`~inspector.client.load.LoadStats` owned by the loop counts everything
  (sequence tracking, HDR histograms); :meth:`call` runs a function on the loop and waits for
  its result (``stats_dict`` for the master's reports).

Nothing here imports Locust or gevent's patching, so tests drive it in a plain process.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import socket
import sys
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from inspector.client.load import ChannelSlot, LoadStats, Workload, run_vu
from inspector.client.settings import ClientSettings

T = TypeVar("T")

#: Queue items (the first field says which); times in milliseconds.
CONNECT: Final = "CONNECT"
DISCONNECT: Final = "DISCONNECT"
JOIN: Final = "JOIN"
SEND: Final = "SEND"
RECV: Final = "RECV"
ERROR: Final = "ERROR"
#: ``(READY, index, ok)``: VU ``index`` joined its channels (``ok``) or gave up.
READY: Final = "READY"
#: ``(DONE, index)``: VU ``index`` has closed its socket; its task is over.
DONE: Final = "DONE"


def _originals() -> tuple[Callable[..., Any], type[selectors.BaseSelector], Any, Any]:
    """``(start_new_thread, DefaultSelector, SimpleQueue class, getaddrinfo)`` as the
    standard library has them, even in a gevent-patched process."""
    import _thread
    import queue

    start: Callable[..., Any] = _thread.start_new_thread
    selector: type[selectors.BaseSelector] = selectors.DefaultSelector
    simple_queue: Any = queue.SimpleQueue
    resolve: Any = socket.getaddrinfo
    monkey: Any = sys.modules.get("gevent.monkey")  # imported by whoever patched
    if monkey is None:
        return start, selector, simple_queue, resolve
    start = monkey.get_original("_thread", "start_new_thread")
    selector = monkey.get_original("selectors", "DefaultSelector")
    simple_queue = monkey.get_original("queue", "SimpleQueue")
    resolve = monkey.get_original("socket", "getaddrinfo")
    return start, selector, simple_queue, resolve


_START_THREAD, _SELECTOR, _SIMPLE_QUEUE, _GETADDRINFO = _originals()


def _settle(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


class _Loop(asyncio.SelectorEventLoop):
    """An asyncio loop whose default executor and resolver use real threads (see above)."""

    def __init__(self) -> None:
        super().__init__(_SELECTOR())

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., T], *args: Any
    ) -> Any:
        if executor is not None:
            return super().run_in_executor(executor, func, *args)
        fut: asyncio.Future[T] = self.create_future()

        def work() -> None:
            try:
                result: Any = func(*args)
                exc: BaseException | None = None
            except BaseException as error:  # handed to the awaiting task
                result, exc = None, error
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.call_soon_threadsafe(_settle, fut, result, exc)

        _START_THREAD(work, ())
        return fut

    async def getaddrinfo(
        self,
        host: Any,
        port: Any,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> Any:
        return await self.run_in_executor(
            None, _GETADDRINFO, host, port, family, type, proto, flags
        )


class _Recorder:
    """The VUs' :class:`~inspector.client.load.LoadRecorder`: counts in the host's
    :class:`LoadStats` and queues one item per event for Locust (channel names become their
    group's label, the request name)."""

    def __init__(self, stats: LoadStats, put: Callable[[tuple[Any, ...]], None]) -> None:
        self.stats = stats
        self.put = put
        self.kinds: dict[str, str] = {}

    def kind(self, channel: str) -> str:
        return self.kinds.get(channel, "channel")

    def planned(self, slot: ChannelSlot) -> None:
        self.kinds[slot.name] = slot.group
        self.stats.planned(slot)

    def connected(self, ok: bool, ms: float, reason: str = "") -> None:
        self.stats.connected(ok, ms, reason)
        self.put((CONNECT, "websocket", ms, 0, None if ok else reason or "failed"))

    def disconnected(self, reason: str = "") -> None:
        self.stats.disconnected(reason)
        if reason:
            self.put((DISCONNECT, "websocket", 0.0, 0, reason))

    def joined(self, channel: str, ok: bool, ms: float, reason: str = "") -> None:
        self.stats.joined(channel, ok, ms, reason)
        self.put((JOIN, self.kind(channel), ms, 0, None if ok else reason or "failed"))

    def sent(
        self, channel: str, ok: bool, ack_ms: float | None, nbytes: int, reason: str = ""
    ) -> None:
        self.stats.sent(channel, ok, ack_ms, nbytes, reason)
        self.put(
            (SEND, self.kind(channel), ack_ms or 0.0, nbytes, None if ok else reason or "failed")
        )

    def delivered(
        self,
        channel: str,
        sender: str,
        seq: int,
        latency_ms: float,
        nbytes: int,
        receiver: int = -1,
    ) -> None:
        self.stats.delivered(channel, sender, seq, latency_ms, nbytes, receiver)
        self.put((RECV, self.kind(channel), max(latency_ms, 0.0), nbytes, None))

    def foreign_message(self) -> None:
        self.stats.foreign_message()

    def error(self, reason: str) -> None:
        self.stats.error(reason)
        self.put((ERROR, "vu", 0.0, 0, reason or "error"))


class _Vu:
    __slots__ = ("close", "stop", "task")

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.close = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class VuHost:
    """The VUs of one process on one asyncio loop in its own OS thread (module docstring).

    Every public method may be called from any thread (the greenlets' one): they only hand
    work to the loop. Sending begins when :meth:`begin_sending` is called (the master's
    barrier: every VU of the run has joined) and ends at :meth:`stop_sending` (or the
    ``send_for`` seconds given to :meth:`begin_sending`); a VU's socket closes when
    :meth:`close_vu` asks, but never before ``drain_s`` after sending stopped, so messages in
    flight still arrive and are counted.
    """

    def __init__(self, drain_s: float = 3.0) -> None:
        self.drain_s = drain_s
        self._queue: Any = _SIMPLE_QUEUE()
        self.stats = LoadStats()
        self.stats.processes = 1
        self.recorder = _Recorder(self.stats, self._queue.put)
        self._loop = _Loop()
        self._vus: dict[int, _Vu] = {}
        self._start = asyncio.Event()
        self._sending_stopped_at: float | None = None
        self._stop_timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._thread_done = _SIMPLE_QUEUE()
        _START_THREAD(self._run, ())

    # ------------------------------------------------------------------ the loop's thread

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Whatever is left (a VU closing) gets a last chance, then the loop closes.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            self._thread_done.put(True)

    async def _vu(
        self, index: int, vu: _Vu, workload: Workload, settings: ClientSettings, claims: Any
    ) -> None:
        put = self._queue.put
        try:
            await run_vu(
                index,
                workload,
                settings,
                self.recorder,
                vu.stop,
                start=self._start,
                close=vu.close,
                on_ready=lambda ok: put((READY, index, ok)),
                claims=claims,
            )
        except Exception as exc:  # a VU never takes the process down; counted, reported
            self.recorder.error(f"VU failed: {type(exc).__name__}: {exc}")
        finally:
            self._vus.pop(index, None)
            put((DONE, index))

    def _start_vu(
        self, index: int, workload: Workload, settings: ClientSettings, claims: Any
    ) -> None:
        if index in self._vus or self._closed:
            return
        vu = _Vu()
        if self._sending_stopped_at is not None:
            vu.stop.set()
        self._vus[index] = vu
        self.stats.vus += 1  # VUs this process ran (merged: the run's)
        if not self.stats.workload:
            self.stats.workload = workload.to_dict()
        vu.task = self._loop.create_task(
            self._vu(index, vu, workload, settings, claims), name=f"load-vu-{index}"
        )

    def _begin(self, send_for: float | None) -> None:
        if self._start.is_set() or self._sending_stopped_at is not None:
            return
        self.stats.mark("send_start")
        self._start.set()
        if send_for is not None:
            self._stop_timer = self._loop.call_later(max(send_for, 0.0), self._stop_sending)

    def _stop_sending(self) -> None:
        if self._sending_stopped_at is not None:
            return
        self._sending_stopped_at = self._loop.time()
        if self._start.is_set():
            self.stats.mark("send_stop")
        if self._stop_timer is not None:
            self._stop_timer.cancel()
        for vu in self._vus.values():
            vu.stop.set()

    def _close_vu(self, index: int) -> None:
        vu = self._vus.get(index)
        if vu is None:
            self._queue.put((DONE, index))
            return
        vu.stop.set()
        if self._sending_stopped_at is None:  # this VU alone leaves: it still drains
            self._loop.call_later(self.drain_s, vu.close.set)
            return
        wait = self._sending_stopped_at + self.drain_s - self._loop.time()
        if wait > 0:
            self._loop.call_later(wait, vu.close.set)
        else:
            vu.close.set()

    # ------------------------------------------------------------------ any thread

    def _call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to do
            self._loop.call_soon_threadsafe(fn, *args)

    def start_vu(
        self,
        index: int,
        workload: Workload,
        settings: ClientSettings,
        claims: dict[str, Any] | None = None,
    ) -> None:
        """Start VU ``index`` (connect, join; it sends once sending has begun)."""
        self._call_soon(self._start_vu, index, workload, settings, claims)

    def begin_sending(self, send_for: float | None = None) -> None:
        """Every VU (running or started later) sends, for ``send_for`` seconds (None: until
        :meth:`stop_sending`)."""
        self._call_soon(self._begin, send_for)

    def stop_sending(self) -> None:
        """Every VU stops sending; sockets stay open ``drain_s`` longer."""
        self._call_soon(self._stop_sending)

    def close_vu(self, index: int) -> None:
        """VU ``index`` stops sending and closes once drained; ``(DONE, index)`` follows."""
        self._call_soon(self._close_vu, index)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the loop's thread and return its result (blocks the caller, at most
        ``timeout`` seconds: ``TimeoutError``). Only unpatched primitives cross the threads."""
        box: Any = _SIMPLE_QUEUE()

        def run() -> None:
            try:
                box.put((True, fn()))
            except BaseException as exc:  # handed to the caller
                box.put((False, exc))

        self._loop.call_soon_threadsafe(run)
        try:
            ok, value = box.get(timeout=timeout)
        except Exception as exc:  # queue.Empty (the unpatched class)
            raise TimeoutError(f"the VUs' loop did not answer within {timeout:g} s") from exc
        if not ok:
            raise value
        return cast(T, value)

    def stats_dict(self, timeout: float = 10.0) -> dict[str, Any]:
        """This process's results so far (:meth:`LoadStats.to_dict`, histograms encoded)."""
        return self.call(self.stats.to_dict, timeout)

    def take(self, limit: int = 10_000) -> list[tuple[Any, ...]]:
        """Up to ``limit`` queued event tuples, oldest first (never blocks)."""
        out: list[tuple[Any, ...]] = []
        get = self._queue.get_nowait
        for _ in range(limit):
            try:
                out.append(get())
            except Exception:  # queue.Empty (the unpatched class)
                break
        return out

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close every VU now, stop the loop, wait for its thread (at most ``timeout``)."""
        if self._closed:
            return
        self._closed = True

        def close_all() -> None:
            self._stop_sending()
            for vu in list(self._vus.values()):
                vu.close.set()
            tasks = [vu.task for vu in self._vus.values() if vu.task is not None]

            async def wait_then_stop() -> None:
                if tasks:
                    await asyncio.wait(tasks, timeout=max(timeout - 1.0, 0.5))
                self._loop.stop()

            self._loop.create_task(wait_then_stop())

        try:
            self._loop.call_soon_threadsafe(close_all)
        except RuntimeError:
            return
        with contextlib.suppress(Exception):
            self._thread_done.get(timeout=timeout)
