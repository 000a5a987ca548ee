"""Helpers for the client tests: an awaitable event log, and waiting without sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from inspector.client import ClientEvent, FrameRecord

T = TypeVar("T")

#: Seconds any single wait may take before the test fails.
TIMEOUT = 10.0


class EventLog:
    """Collects a client's events (use as ``on_event``) and lets a test await the next match."""

    def __init__(self) -> None:
        self.events: list[ClientEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: ClientEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def mark(self) -> int:
        return len(self.events)

    def of(self, kind: type[T], after: int = 0) -> list[T]:
        return [e for e in self.events[after:] if isinstance(e, kind)]

    async def wait_for(
        self,
        kind: type[T],
        pred: Callable[[T], bool] = lambda _e: True,
        *,
        after: int = 0,
        timeout: float = TIMEOUT,
    ) -> T:
        """The first event of ``kind`` at index >= ``after`` that matches ``pred``."""

        async def scan() -> T:
            index = after
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if isinstance(event, kind) and pred(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            names = [type(e).__name__ for e in self.events[after:]][-20:]
            raise AssertionError(
                f"no {kind.__name__} matched within {timeout} s; saw {names}"
            ) from None

    async def wait_count(
        self,
        kind: type[T],
        count: int,
        pred: Callable[[T], bool] = lambda _e: True,
        *,
        after: int = 0,
        timeout: float = TIMEOUT,
    ) -> list[T]:
        """Wait until ``count`` matching events of ``kind`` arrived after ``after``."""

        async def scan() -> list[T]:
            while True:
                found = [e for e in self.of(kind, after) if pred(e)]
                if len(found) >= count:
                    return found
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            have = len([e for e in self.of(kind, after) if pred(e)])
            raise AssertionError(
                f"only {have} of {count} {kind.__name__} within {timeout} s"
            ) from None


class FrameLog:
    """Collects frame-tap records (use as ``on_frame``)."""

    def __init__(self) -> None:
        self.records: list[FrameRecord] = []

    def __call__(self, record: FrameRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(r.data if isinstance(r.data, str) else repr(r.data) for r in self.records)
