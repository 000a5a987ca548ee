"""A load run in this process: VUs started on schedule, phases, progress, the result.

Phases (docs/load.md): *connecting* (VU ``i`` starts at ``workload.start_offset(i)``, spread
over the ramp-up or at the connection rate, connects and joins); *sending* for
``duration_s``, begun once every VU of the range has joined or given up (so no channel misses
messages sent before all its members were in, which would be counted as lost) and, with
``ready``, once that callback returns (the ``--workers`` barrier); *draining* for up to
``drain_s`` (shorter when this process holds the whole run and everything expected arrived);
then every socket closes. ``stop`` cuts any phase short: connecting ends, sending stops and the
drain still runs. The whole run is bounded by :meth:`Workload.max_run_seconds`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from inspector.protocol.jwt import peek

from ..settings import ClientSettings
from .recorder import LoadStats, Snapshot
from .vu import run_vu, vu_settings
from .workloads import Workload

ProgressCallback = Callable[[Snapshot], None]


async def run_load(
    workload: Workload,
    settings: ClientSettings,
    *,
    vu_range: range | None = None,
    on_progress: ProgressCallback | None = None,
    stop: asyncio.Event | None = None,
    ready: Callable[[], Awaitable[None]] | None = None,
    token_for: Callable[[int], str] | None = None,
    claims_for: Callable[[int], dict[str, Any]] | None = None,
    progress_interval: float = 0.5,
    stats: LoadStats | None = None,
) -> LoadStats:
    """Run VUs ``vu_range`` (default: all) of ``workload``; return what they measured.

    ``on_progress`` gets a :class:`Snapshot` every ``progress_interval`` seconds and a last
    one with phase ``done``. ``token_for(i)`` gives VU ``i`` its own user token (the ``auth``
    workload); ``claims_for(i)`` its claims for ``{{claims.X}}``. ``stats`` collects into an
    existing :class:`LoadStats` (the window reads it live).
    """
    indexes = range(workload.vus) if vu_range is None else vu_range
    settings = vu_settings(settings, workload)  # once, not per VU
    # {{claims.X}} in a saved message: one token for every VU gives its claims to every VU
    peeked = peek(settings.access_token) if settings.access_token else None
    shared_claims = peeked.claims if peeked is not None else None
    if len(indexes) == 0 or indexes.start < 0 or indexes.stop > workload.vus:
        raise ValueError(f"the VU range must be inside 0..{workload.vus}")
    whole = len(indexes) == workload.vus
    stop = stop if stop is not None else asyncio.Event()
    stats = stats if stats is not None else LoadStats()
    stats.vus = len(indexes)
    stats.workload = workload.to_dict()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    stats.mark("start")

    phase = "connecting"
    send_started: float | None = None
    start = asyncio.Event()
    send_stop = asyncio.Event()
    close = asyncio.Event()
    all_ready = asyncio.Event()
    all_done = asyncio.Event()
    not_ready = set(indexes)
    not_done = set(indexes)

    def on_ready(i: int, _ok: bool = False) -> None:
        not_ready.discard(i)
        if not not_ready:
            all_ready.set()

    def on_done(i: int) -> None:
        not_done.discard(i)
        if not not_done:
            all_done.set()

    def report() -> None:
        if on_progress is None:
            return
        now = loop.time()
        sending = 0.0 if send_started is None else min(now - send_started, workload.duration_s)
        snap = stats.snapshot(
            now - t0, phase, duration=workload.duration_s, sending_elapsed=sending
        )
        try:
            on_progress(snap)
        except Exception as exc:  # a broken display never breaks the run
            stats.error(f"progress callback: {type(exc).__name__}")

    async def progress() -> None:
        while True:
            await asyncio.sleep(progress_interval)
            report()

    tasks: list[asyncio.Task[None]] = []

    async def launch() -> None:
        for i in indexes:
            delay = t0 + workload.start_offset(i) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if stop.is_set():
                on_ready(i)
                on_done(i)
                continue
            vu_settings = settings
            if token_for is not None:
                vu_settings = dataclasses.replace(settings, access_token=token_for(i))
            claims = claims_for(i) if claims_for is not None else shared_claims
            tasks.append(
                loop.create_task(
                    run_vu(
                        i,
                        workload,
                        vu_settings,
                        stats,
                        send_stop,
                        start=start,
                        close=close,
                        on_ready=partial(on_ready, i),
                        on_done=partial(on_done, i),
                        claims=claims,
                    ),
                    name=f"load-vu-{i}",
                )
            )

    async def wait_event(event: asyncio.Event, timeout: float) -> None:
        waiter = asyncio.ensure_future(event.wait())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                (waiter, stopper), timeout=max(timeout, 0.0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()
            stopper.cancel()

    ticker = loop.create_task(progress(), name="load-progress")
    launcher = loop.create_task(launch(), name="load-launch")
    try:
        # Connecting: every VU joined or gave up (each is bounded by its timeouts).
        limit = workload.ramp_seconds + 2 * workload.connect_timeout_s + 5
        await wait_event(all_ready, limit)
        if not all_ready.is_set() and not stop.is_set():
            stats.error("some VUs were still connecting when sending began")
        if ready is not None and not stop.is_set():
            barrier = asyncio.ensure_future(ready())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait((barrier, stopper), return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                if not barrier.done():
                    barrier.cancel()
        # Sending.
        if not stop.is_set():
            phase = "sending"
            send_started = loop.time()
            stats.mark("send_start")
            start.set()
            report()
            never = asyncio.Event()
            await wait_event(never, workload.duration_s)
            stats.mark("send_stop")
        launcher.cancel()
        started = {int(t.get_name().rpartition("-")[2]) for t in tasks}
        for i in set(indexes) - started:  # VUs never started
            on_ready(i)
            on_done(i)
        send_stop.set()
        # Draining: early only once every VU's sends are settled and all arrived.
        phase = "draining"
        report()
        deadline = loop.time() + workload.drain_s
        while loop.time() < deadline:
            settled = all_done.is_set() and send_started is not None
            if whole and settled and stats.all_delivered():
                break
            await asyncio.sleep(min(0.05, max(deadline - loop.time(), 0)))
    finally:
        launcher.cancel()
        send_stop.set()
        close.set()
        if tasks:
            await asyncio.wait(tasks, timeout=workload.connect_timeout_s + 5)
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        ticker.cancel()
        try:
            await ticker
        except asyncio.CancelledError:
            pass
        stats.mark("end")
    phase = "done"
    report()
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            stats.error(f"VU failed: {type(exc).__name__}: {exc}")
    return stats


def run_seconds(workload: Workload) -> float:
    """The most a run of ``workload`` takes (for timeouts around it)."""
    return workload.max_run_seconds()


def wall_clock() -> float:
    return time.time()
