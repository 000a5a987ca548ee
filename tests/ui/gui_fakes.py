"""A fake event source for driving the real window without a network: FakeSession.

It is a :class:`SessionController` whose network hooks answer at once (connected, joined,
sent/ok) unless told otherwise, plus helpers that push broadcasts into a tab the way the real
controller does. The real controller is tested against the real local server elsewhere.
"""

from __future__ import annotations

import json
from typing import Any

from inspector.store import (
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    PayloadFormat,
    Profile,
    SendState,
    TabState,
)
from inspector.ui.session import ChannelSession, SendRequest, SessionController


class FakeSession(SessionController):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[str, str]] = []
        self.auto_connect = True
        self.auto_join = True
        self.ack_rtt_ms = 1.8
        self.api_key = ""

    # ------------------------------------------------------------------ hooks
    def _start_connect(self, profile: Profile, api_key: str, access_token: str | None) -> None:
        self.calls.append(("connect", profile.id))
        self.api_key = api_key
        if self.auto_connect:
            self.connected_now()

    def _start_disconnect(self) -> None:
        self.calls.append(("disconnect", ""))

    def _start_join(self, session: ChannelSession) -> None:
        self.calls.append(("join", session.name))
        if self.auto_join and self.connected:
            self._set_channel_status(session.name, ChannelStatus(TabState.JOINED))

    def _start_leave(self, session: ChannelSession) -> None:
        self.calls.append(("leave", session.name))

    def _start_send(
        self, session: ChannelSession, record: MessageRecord, request: SendRequest
    ) -> None:
        self.calls.append(("send", session.name))
        assert record.send is not None
        if session.options.ack:
            record.send.state = SendState.OK
            record.send.round_trip_ms = self.ack_rtt_ms
        else:
            record.send.state = SendState.SENT
        self._send_updated(session, record)
        if session.options.broadcast_self:
            self.push(session.name, request.event, json.loads(request.payload))

    # ------------------------------------------------------------------ driving
    def connected_now(self, rtt_ms: float | None = 1.2) -> None:
        self._set_connection(ConnectionStatus(LinkState.CONNECTED, rtt_ms=rtt_ms))
        for session in self.channels.values():
            if session.status.state is TabState.WAITING:
                self._set_channel_status(session.name, ChannelStatus(TabState.JOINING))
                self._start_join(session)

    def push(self, name: str, event: str, payload: Any, *, binary: bool = False) -> bool:
        data = payload if binary else json.dumps(payload, separators=(",", ":")).encode()
        record = MessageRecord(
            time=self.wall_clock(),
            direction=Direction.IN,
            event=event,
            payload=data,
            format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
        )
        return self._add_incoming(name, record)

    def set_status(self, name: str, status: ChannelStatus) -> None:
        self._set_channel_status(name, status)

    def set_connection(self, status: ConnectionStatus) -> None:
        self._set_connection(status)
