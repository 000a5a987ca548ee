"""A client session plus a simulated clock, speaking for the server (shared by the session tests)."""

from __future__ import annotations

import json
from typing import Any

from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    ChannelState,
)
from inspector.protocol.frames import UserBroadcast
from inspector.protocol.serializer import VSN1, encode_binary
from inspector.protocol.session import ClientSession, SessionConfig

TOPIC = "realtime:room-1"


class Driver:
    """A session plus a clock, with helpers that speak for the server (v2 arrays)."""

    def __init__(self, **cfg: Any) -> None:
        self.s = ClientSession(SessionConfig(**cfg))
        self.now = 0.0

    def open(self) -> None:
        self.s.connect(self.now)
        self.s.connection_made(self.now)

    def sent(self) -> list[Any]:
        """Frames the session wrote; text frames as v2-style lists in both versions."""
        out: list[Any] = []
        for data in self.s.data_to_send():
            if isinstance(data, bytes):
                out.append(data)
                continue
            obj = json.loads(data)
            if isinstance(obj, dict):  # vsn 1.0.0 object
                obj = [obj.get("join_ref"), obj["ref"], obj["topic"], obj["event"], obj["payload"]]
            out.append(obj)
        return out

    def events(self) -> list[Any]:
        return self.s.take_events()

    def feed(self, *frame: Any) -> list[Any]:
        """Receive one server frame (given as v2 fields); returns the events it caused."""
        self.events()
        if self.s.vsn == VSN1:
            _join_ref, ref, topic, event, payload = frame
            data = json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref})
        else:
            data = json.dumps(list(frame))
        self.s.receive(data, self.now)
        return self.events()

    def advance_to(self, when: float) -> None:
        """Run every deadline up to ``when`` in order, as an event loop would."""
        while True:
            deadline = self.s.next_deadline()
            if deadline is None or deadline > when:
                break
            self.now = deadline
            self.s.handle_timer(deadline)
        self.now = when

    def join(self, name: str = "room-1", **cfg: Any) -> str:
        """Join and answer ok; returns the join_ref."""
        ch = self.s.join(ChannelConfig(name, **cfg), self.now)
        [join] = [f for f in self.sent() if f[3] == "phx_join"]
        self.feed(join[0], join[1], join[2], "phx_reply", {"status": "ok", "response": {}})
        assert ch.state is ChannelState.JOINED
        assert ch.join_ref is not None
        return ch.join_ref


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def kind4(event: str, payload: bytes, encoding: int = 1, meta: bytes = b"") -> bytes:
    return encode_binary(UserBroadcast(TOPIC, event, meta, encoding, payload))
