"""A fake event source for driving the real window without a network: FakeController.

It is a :class:`ControllerBase` whose network hooks answer at once (connected, joined,
sent/ok) unless told otherwise, plus helpers that push broadcasts into a tab the way the real
controller does. The real controller is tested against the real local server elsewhere.
"""

from __future__ import annotations

import json
from typing import Any

from inspector.protocol.event_filter import event_matches
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
from inspector.ui.controller_base import ControllerBase
from inspector.ui.open_channel import OpenChannel, SendRequest


class FakeController(ControllerBase):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[str, str]] = []
        self.auto_connect = True
        self.auto_join = True
        self.ack_rtt_ms = 1.8
        self.api_key = ""
        self._dropped: dict[str, int] = {}

    # ------------------------------------------------------------------ hooks
    def _start_connect(self, profile: Profile, api_key: str, access_token: str | None) -> None:
        self.calls.append(("connect", profile.id))
        self.api_key = api_key
        if self.auto_connect:
            self.connected_now()

    def _start_disconnect(self) -> None:
        self.calls.append(("disconnect", ""))

    def _start_join(self, channel: OpenChannel) -> None:
        self.calls.append(("join", channel.name))
        if self.auto_join and self.connected:
            self._set_channel_status(channel.name, ChannelStatus(TabState.JOINED))

    def _start_leave(self, channel: OpenChannel) -> None:
        self.calls.append(("leave", channel.name))

    def _start_send(
        self, channel: OpenChannel, record: MessageRecord, request: SendRequest
    ) -> None:
        self.calls.append(("send", channel.name))
        assert record.send is not None
        if channel.options.ack:
            record.send.state = SendState.OK
            record.send.round_trip_ms = self.ack_rtt_ms
        else:
            record.send.state = SendState.SENT
        self._send_updated(channel, record)
        if channel.options.broadcast_self:
            self.push(channel.name, request.event, json.loads(request.payload))

    # ------------------------------------------------------------------ driving
    def connected_now(self, rtt_ms: float | None = 1.2) -> None:
        self._set_connection(ConnectionStatus(LinkState.CONNECTED, rtt_ms=rtt_ms))
        for channel in self.channels.values():
            if channel.status.state is TabState.WAITING:
                self._set_channel_status(channel.name, ChannelStatus(TabState.JOINING))
                self._start_join(channel)

    def push(self, name: str, event: str, payload: Any, *, binary: bool = False) -> bool:
        """A broadcast from the fake client: refused by the tab's event filter as the real
        client refuses it (counted, no record), else added."""
        channel = self.channels.get(name)
        if channel is not None and not event_matches(event, channel.options.events):
            self._dropped[name] = self._dropped.get(name, 0) + 1
            channel.note_filtered(self, self._dropped[name])
            return False
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
