"""Synthetic traffic so that a user sees something move at once (``serve --demo-traffic``).

Public channels (the GUI's demo mode subscribes to :data:`DEMO_CHANNELS`):

- ``demo-chat``: chat messages from a few people every 1-3 s (JSON text frames, like REST or
  realtime-py senders);
- ``demo-cursors``: three cursors moving along smooth curves, 40 messages/s in all (binary
  kind 4 with JSON, like realtime-js senders);
- ``demo-lobby``: a presence roster where people come and go every few seconds;
- ``demo-sensors``: raw binary readings twice a second (kind 4, encoding 0; v1 clients get
  nothing, as on the real server, §2.5).

Its callers start it once the server listens, and stop it before the server stops::

    demo = DemoTraffic(server)
    demo.start()
    server.on_stop(demo.stop)

It uses only the server's public publish API (:class:`Publisher`).
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
import time
from datetime import UTC, datetime
from typing import Any, Protocol

CHAT = "demo-chat"
CURSORS = "demo-cursors"
LOBBY = "demo-lobby"
SENSORS = "demo-sensors"
DEMO_CHANNELS = (CHAT, CURSORS, LOBBY, SENSORS)

CURSOR_HZ = 40.0
_PEOPLE = ("ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances")
_COLORS = ("#e5484d", "#30a46c", "#0090ff", "#f76b15")
_LINES = (
    "hello from the demo server",
    "anyone here?",
    "the cursors are moving 👀",
    "présence, ünïcödé and emoji work too 🎉",
    "shipping it",
    "lunch?",
    "LGTM",
    "can you see my cursor?",
)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Person:
    """A presence owner that is not a socket."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Publisher(Protocol):
    """The public publish API of :class:`~inspector.server.RealtimeServer` the demo uses."""

    def publish(self, name: str, event: str, payload: Any) -> int: ...

    def publish_user(self, name: str, event: str, data: bytes | Any) -> int: ...

    def track_presence(
        self, name: str, owner: object, presence_key: str, meta: dict[str, Any]
    ) -> bool: ...

    def untrack_presence(self, name: str, owner: object) -> bool: ...


class DemoTraffic:
    """Publishes the demo channels from tasks on the running loop."""

    def __init__(self, server: Publisher, seed: int = 7) -> None:
        self.server = server
        self.rng = random.Random(seed)
        self._tasks: list[asyncio.Task[None]] = []
        self._present: dict[str, _Person] = {}

    def start(self) -> None:
        for coro in (self._chat(), self._cursors(), self._lobby(), self._sensors()):
            task = asyncio.get_running_loop().create_task(coro)
            self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for person in self._present.values():
            self.server.untrack_presence(LOBBY, person)
        self._present.clear()

    async def _chat(self) -> None:
        n = 0
        while True:
            n += 1
            payload = {
                "id": n,
                "user": self.rng.choice(_PEOPLE),
                "text": self.rng.choice(_LINES),
                "sent_at": _now_iso(),
            }
            self.server.publish(CHAT, "message", payload)
            await asyncio.sleep(self.rng.uniform(1.0, 3.0))

    async def _cursors(self) -> None:
        users = _PEOPLE[:3]
        tick = 0
        start = time.monotonic()
        while True:
            t = time.monotonic() - start
            i = tick % len(users)
            phase = i * 2.1
            payload = {
                "user": users[i],
                "x": round(0.5 + 0.4 * math.sin(1.3 * t + phase), 4),
                "y": round(0.5 + 0.4 * math.sin(0.9 * t + 2 * phase), 4),
                "color": _COLORS[i],
            }
            self.server.publish_user(CURSORS, "cursor", payload)
            tick += 1
            # Sleep to the next tick of a fixed schedule, so the rate does not drift.
            await asyncio.sleep(max(0.0, start + tick / CURSOR_HZ - time.monotonic()))

    async def _lobby(self) -> None:
        server = self.server
        while True:
            absent = [p for p in _PEOPLE if p not in self._present]
            if absent and (len(self._present) < 3 or self.rng.random() < 0.5):
                name = self.rng.choice(absent)
                person = self._present[name] = _Person(name)
                meta = {"user": name, "online_at": _now_iso(), "status": "online"}
                server.track_presence(LOBBY, person, name, meta)
            elif self._present:
                name = self.rng.choice(sorted(self._present))
                server.untrack_presence(LOBBY, self._present.pop(name))
            await asyncio.sleep(self.rng.uniform(2.0, 5.0))

    async def _sensors(self) -> None:
        seq = 0
        while True:
            seq += 1
            temp = 21.0 + 2.0 * math.sin(seq / 20) + self.rng.uniform(-0.2, 0.2)
            humidity = 45.0 + 5.0 * math.cos(seq / 30)
            data = struct.pack("!IddQ", seq, temp, humidity, int(time.time() * 1000))
            self.server.publish_user(SENSORS, "reading", data)
            await asyncio.sleep(0.5)
