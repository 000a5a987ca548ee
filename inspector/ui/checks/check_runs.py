"""RunQueue: the window's side of running checks (issue #12 §4); Qt signals over the runner.

The runner (:mod:`inspector.client.checks`) does the work: one websocket per identity of its
own, never the window's connection. This queue runs a list of checks one after the other as
one asyncio task on the window's loop and turns the runner's events into Qt signals, so the
Checks panel marks steps while they run. ``cancel`` stops the running check (its running step
fails "cancelled", the runner cleans up) and the checks not started yet.

What the runner's results do not carry, this adds: the message a ``send`` step sent (channel,
event, payload as expanded, and the wall-clock time it left), recorded by the client factory
the runner accepts (:class:`RecordingClient`), so clicking a send step can find the row the
window's tab received for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from inspector.client import RealtimeClient
from inspector.client.checks import (
    Check,
    CheckFinished,
    CheckResult,
    CheckRun,
    Connect,
    RunEvent,
    StepFinished,
    StepStarted,
)
from inspector.client.rest import RestResult
from inspector.client.settings import ClientSettings
from inspector.protocol.events import PushResult
from inspector.store.checks.draft import escape_template

log = logging.getLogger(__name__)

#: A check's place in the Checks panel: ``(file path, index of the check in the file)``.
CheckKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One broadcast a check's ``send`` step sent, as it went out."""

    channel: str
    event: str
    payload: Any
    #: wall-clock time (Unix seconds) just before it was handed to the client.
    wall: float
    via: str = "websocket"


class RecordingClient(RealtimeClient):
    """A :class:`RealtimeClient` that reports every broadcast it sends to ``on_send`` first."""

    def __init__(self, settings: ClientSettings, on_send: Callable[[SentMessage], None]) -> None:
        super().__init__(settings)
        self._on_send = on_send

    async def send(
        self,
        name: str,
        event: str,
        payload: Any,
        *,
        binary: bool = False,
        timeout: float | None = None,
    ) -> PushResult:
        self._on_send(SentMessage(name, event, payload, time.time()))
        return await super().send(name, event, payload, binary=binary, timeout=timeout)

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
        self._on_send(SentMessage(name, event, payload, time.time(), "rest"))
        return await super().rest_send(
            name, event, payload, binary=binary, private=private, batch=batch
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where the window runs checks: the current profile's URL, key and protocol. They
    replace each check's ``connect`` (identities keep their own keys and tokens)."""

    url: str
    key: str
    vsn: str = "2.0.0"

    def apply(self, check: Check) -> Check:
        connect = Connect(
            url=escape_template(self.url), key=escape_template(self.key), vsn=self.vsn
        )
        return replace(check, connect=connect)


class RunQueue(QObject):
    """Runs checks one at a time; one run at a time."""

    #: ``(CheckKey)``
    check_started = Signal(object)
    #: ``(CheckKey, step index)``
    step_started = Signal(object, int)
    #: ``(CheckKey, step index, StepResult)``
    step_finished = Signal(object, int, object)
    #: ``(CheckKey, step index, SentMessage)``: a send step's message left.
    step_sent = Signal(object, int, object)
    #: ``(CheckKey, CheckResult)``
    check_finished = Signal(object, object)
    #: ``(CheckKey, why)``: a queued check that never finished (the run was cancelled, the
    #: window closed, preparing failed); emitted before ``finished``.
    check_not_run = Signal(object, str)
    #: the run is over (all done, cancelled or failed to prepare): ``(note)``, "" when all ran.
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: asyncio.Task[None] | None = None
        self._current: CheckRun | None = None
        self._cancelled = False
        self.results: dict[CheckKey, CheckResult] = {}
        #: the checks of the current (or last) run, in order.
        self.queued: list[CheckKey] = []

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(
        self,
        checks: Sequence[tuple[CheckKey, Check]],
        *,
        target: Target | None = None,
        prepare: Callable[[], Awaitable[str]] | None = None,
        env: dict[str, str] | None = None,
    ) -> bool:
        """Run ``checks`` in order after ``prepare`` (opening tabs; returns a note for
        people, "" when all went well). False when a run is already going."""
        if self.running:
            return False
        self._cancelled = False
        self.queued = [key for key, _ in checks]
        self._task = asyncio.get_running_loop().create_task(
            self._run(list(checks), target, prepare, env), name="checks-run"
        )
        return True

    def cancel(self) -> None:
        """Stop: the running check's step fails "cancelled"; later checks do not start."""
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()
        elif self._task is not None and not self._task.done():
            self._task.cancel()  # still preparing

    async def wait(self) -> None:
        """Until the current run (if any) is over."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(
        self,
        checks: list[tuple[CheckKey, Check]],
        target: Target | None,
        prepare: Callable[[], Awaitable[str]] | None,
        env: dict[str, str] | None,
    ) -> None:
        note = ""
        try:
            if prepare is not None:
                note = await prepare()
            for key, check in checks:
                if self._cancelled:
                    break
                await self._one(key, target.apply(check) if target else check, env)
        except asyncio.CancelledError:
            note = "cancelled"
        except Exception as exc:  # a bug must not leave the panel "running" for ever
            log.warning("the checks run stopped: %s", exc, exc_info=True)
            note = f"the run stopped: {exc}"
        finally:
            self._current = None
            if self._cancelled and not note:
                note = "cancelled"
            why = f"not run ({note or 'the run stopped'})"
            for key in self.queued:
                if key not in self.results:
                    self.check_not_run.emit(key, why)
            self.finished.emit(note)

    async def _one(self, key: CheckKey, check: Check, env: dict[str, str] | None) -> None:
        current_step = [-1]

        def on_send(message: SentMessage) -> None:
            if current_step[0] >= 0:
                self.step_sent.emit(key, current_step[0], message)

        def on_event(event: RunEvent) -> None:
            if isinstance(event, StepStarted):
                current_step[0] = event.index
                self.step_started.emit(key, event.index)
            elif isinstance(event, StepFinished):
                current_step[0] = -1
                self.step_finished.emit(key, event.index, event.result)
            elif isinstance(event, CheckFinished):
                self.results[key] = event.result
                self.check_finished.emit(key, event.result)

        run = CheckRun(
            check,
            env=env,
            on_event=on_event,
            client_factory=lambda _name, settings: RecordingClient(settings, on_send),
        )
        self._current = run
        self.check_started.emit(key)
        try:
            await run.run()
        finally:
            self._current = None
