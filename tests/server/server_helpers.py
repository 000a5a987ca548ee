"""Helpers for the server tests: a raw-frame websocket client and token making.

The client is the ``websockets`` library (the server uses aiohttp), so every test checks the
exact wire format. Absence of a frame is proven with a heartbeat barrier, never with a sleep:
the server answers in order, so whatever it sent before the heartbeat reply has arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer

TIMEOUT = 5.0


def token(server: RealtimeServer, role: str = "anon", exp_in: float = 3600, **claims: Any) -> str:
    """A token signed with the server's secret, ``exp`` seconds from now."""
    import time

    body = {"role": role, "exp": int(time.time() + exp_in), **claims}
    return sign(body, server.config.jwt_secret)


def url_for(server: RealtimeServer, vsn: str = "2.0.0", apikey: str | None = None) -> str:
    """The websocket URL of ``server`` with a key (the anon key by default) and a vsn."""
    return f"{server.ws_url}?apikey={server.anon_key if apikey is None else apikey}&vsn={vsn}"


class Client:
    """A websocket client speaking raw Realtime frames."""

    def __init__(self, ws: ClientConnection, vsn: str) -> None:
        self.ws = ws
        self.vsn = vsn
        self._refs = itertools.count(1)
        #: join_ref of each topic joined through :meth:`join`.
        self.join_refs: dict[str, str] = {}

    def ref(self) -> str:
        return str(next(self._refs))

    async def send(
        self,
        join_ref: str | None,
        ref: str | None,
        topic: str,
        event: str,
        payload: Any,
    ) -> None:
        if self.vsn == "2.0.0":
            await self.ws.send(json.dumps([join_ref, ref, topic, event, payload]))
        else:
            msg = {"topic": topic, "event": event, "payload": payload, "ref": ref}
            if join_ref is not None:
                msg["join_ref"] = join_ref
            await self.ws.send(json.dumps(msg))

    async def recv(self, timeout: float = TIMEOUT) -> Any:
        """The next frame: parsed JSON for text, bytes for binary."""
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        return data if isinstance(data, bytes) else json.loads(data)

    async def recv_until(self, pred: Callable[[Any], bool], timeout: float = TIMEOUT) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if pred(frame):
                    return frame

    async def join(self, name: str, config: dict[str, Any] | None = None, **extra: Any) -> Any:
        """Join ``realtime:<name>`` and return the reply frame."""
        topic = "realtime:" + name
        ref = self.ref()
        self.join_refs[topic] = ref
        payload = {"config": config if config is not None else {}, **extra}
        await self.send(ref, ref, topic, "phx_join", payload)
        return await self.recv_until(
            lambda f: _field(f, "event") == "phx_reply" and _field(f, "ref") == ref
        )

    async def push(self, name: str, event: str, payload: Any) -> str:
        """Push on a joined channel; returns the ref."""
        topic = "realtime:" + name
        ref = self.ref()
        await self.send(self.join_refs.get(topic), ref, topic, event, payload)
        return ref

    async def broadcast(self, name: str, event: str, payload: Any) -> str:
        return await self.push(
            name, "broadcast", {"type": "broadcast", "event": event, "payload": payload}
        )

    async def barrier(self) -> list[Any]:
        """Everything the server sent before answering a fresh heartbeat."""
        ref = "hb-" + self.ref()
        await self.send(None, ref, "phoenix", "heartbeat", {})
        seen: list[Any] = []
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = await self.recv()
                if _field(frame, "event") == "phx_reply" and _field(frame, "ref") == ref:
                    return seen
                seen.append(frame)


def _field(frame: Any, name: str) -> Any:
    """A field of a v1 object or v2 array frame (None for binary frames)."""
    index = {"join_ref": 0, "ref": 1, "topic": 2, "event": 3, "payload": 4}[name]
    if isinstance(frame, list):
        return frame[index]
    if isinstance(frame, dict):
        return frame.get(name)
    return None


field = _field
