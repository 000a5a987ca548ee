"""EventTranslator (issue #9 §3): client events become store records and statuses, without Qt.

A plain recording target stands in for the controller; each test feeds events and checks what
the translator set, appended or asked for."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.client.errors import ConnectionLost, HandshakeRejected, InspectorError
from inspector.client.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelMessage,
    ChannelState,
    ChannelStateChanged,
    ConnectionState,
    ConnectionStateChanged,
    ErrorOccurred,
    EventsDropped,
    HeartbeatEvent,
    PresenceChanged,
    SystemMessage,
)
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    PayloadFormat,
    TabState,
)
from inspector.ui.event_translation import EventTarget, EventTranslator, error_text
from inspector.ui.open_channel import OpenChannel

TOPIC = "realtime:room"


class Target:
    """Records what the translator does; clocks are numbers the test sets."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.mono = 100.0
        self.connection = ConnectionStatus()
        self.channels = {"room": OpenChannel(ChannelOptions("room", ack=True), 100)}
        self.incoming: list[tuple[str, MessageRecord]] = []
        self.system: list[tuple[str, str, dict[str, Any]]] = []
        self.statuses: list[tuple[str, ChannelStatus]] = []
        self.opened: list[ConnectionStatus] = []

    def wall_clock(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.mono

    def channel(self, name: str) -> OpenChannel | None:
        return self.channels.get(name)

    def set_connection(self, status: ConnectionStatus) -> None:
        self.connection = status

    def set_channel_status(self, name: str, status: ChannelStatus) -> None:
        self.channels[name].status = status
        self.statuses.append((name, status))

    def add_incoming(self, name: str, record: MessageRecord) -> bool:
        self.incoming.append((name, record))
        return True

    def add_system(self, name: str, event: str, details: dict[str, Any]) -> None:
        self.system.append((name, event, details))

    def socket_opened(self, status: ConnectionStatus) -> None:
        self.opened.append(status)
        self.connection = status


@pytest.fixture
def target() -> Target:
    return Target()


@pytest.fixture
def translator(target: Target) -> EventTranslator:
    checked: EventTarget = target  # the test double satisfies the protocol (mypy checks it)
    return EventTranslator(checked)


def broadcast(**kw: Any) -> BroadcastReceived:
    fields: dict[str, Any] = {
        "topic": TOPIC,
        "event": "chat",
        "binary": False,
        "raw": None,
        "value": {"text": "hi"},
        "meta_data": None,
        "size": 50,
        "received_at": 1.0,
    }
    fields.update(kw)
    return BroadcastReceived(**fields)


def socket(state: ConnectionState, **kw: Any) -> ConnectionStateChanged:
    fields: dict[str, Any] = {"attempt": 0, "retry_in": None, "reason": "", "at": 0.0}
    fields.update(kw)
    return ConnectionStateChanged(state, **fields)


def channel_event(
    state: ChannelState, cause: ChannelCause, reason: str = "", retry_in: float | None = None
) -> ChannelStateChanged:
    return ChannelStateChanged(TOPIC, state, cause, reason, retry_in, "1", 0.0)


def test_json_and_binary_broadcasts_become_incoming_rows(
    translator: EventTranslator, target: Target
) -> None:
    translator.handle(broadcast(meta_data={"id": "m-1"}))
    translator.handle(
        broadcast(event="bin", binary=True, raw=b"\x00\x01", value=None, meta_data=b"")
    )
    (name, first), (_, second) = target.incoming
    assert name == "room"
    assert (first.time, first.direction, first.event) == (target.now, Direction.IN, "chat")
    assert first.payload == b'{"text":"hi"}'
    assert first.format is PayloadFormat.JSON
    assert first.meta == b'{"id":"m-1"}'
    assert second.payload == b"\x00\x01"
    assert second.format is PayloadFormat.BINARY
    assert second.meta is None  # empty kind-4 metadata is no metadata


def test_connection_states_and_the_heartbeat_round_trip(
    translator: EventTranslator, target: Target
) -> None:
    translator.handle(socket(ConnectionState.CONNECTING))
    assert target.connection.state is LinkState.CONNECTING
    target.mono = 10.0
    translator.handle(HeartbeatEvent("sent", None, 0.0))
    target.mono = 10.025
    translator.handle(HeartbeatEvent("ok", 0.5, 0.0))
    assert translator.rtt_ms == pytest.approx(25.0)
    assert target.connection.rtt_ms is None  # not connected: the status keeps its own
    translator.handle(socket(ConnectionState.OPEN))
    assert target.opened == [ConnectionStatus(LinkState.CONNECTED, rtt_ms=translator.rtt_ms)]
    target.mono = 20.0
    translator.handle(HeartbeatEvent("sent", None, 0.0))
    target.mono = 20.002
    translator.handle(HeartbeatEvent("ok", 0.5, 0.0))
    assert target.connection.rtt_ms == pytest.approx(2.0)
    # A lost connection: its words are kept and shown while waiting to reconnect.
    lost = ConnectionLost("the server closed the connection", 1006, "")
    translator.handle(ErrorOccurred(lost, 0.0))
    assert translator.last_error == error_text(lost)
    translator.handle(socket(ConnectionState.RECONNECT_WAIT, attempt=2, retry_in=3.0, reason="x"))
    status = target.connection
    assert status.state is LinkState.RECONNECTING
    assert (status.reason, status.retry_at, status.attempt) == (error_text(lost), 23.002, 2)
    translator.handle(socket(ConnectionState.CONNECTING))
    assert target.connection.state is LinkState.RECONNECTING
    assert target.connection.retry_at is None
    translator.handle(socket(ConnectionState.CLOSED, reason="bye"))
    assert target.connection == ConnectionStatus(LinkState.DISCONNECTED, reason="bye")
    translator.reset()
    assert (translator.rtt_ms, translator.last_error) == (None, "")


def test_channel_states_and_their_system_rows(translator: EventTranslator, target: Target) -> None:
    translator.handle(channel_event(ChannelState.JOINING, ChannelCause.JOIN_SENT))
    translator.handle(channel_event(ChannelState.JOINED, ChannelCause.JOIN_SENT))
    assert [s.state for _, s in target.statuses] == [TabState.JOINING, TabState.JOINED]
    assert target.system[-1] == (
        "room",
        "joined",
        {
            "channel": "room",
            "config": {"self": False, "ack": True, "private": False, "presence_key": ""},
        },
    )
    translator.handle(channel_event(ChannelState.ERRORED, ChannelCause.JOIN_ERROR, "denied", 5.0))
    assert target.statuses[-1] == (
        "room",
        ChannelStatus(TabState.ERRORED, "denied", target.mono + 5.0),
    )
    assert target.system[-1] == ("room", "join error", {"status": "error", "reason": "denied"})
    rows = len(target.system)
    translator.handle(channel_event(ChannelState.ERRORED, ChannelCause.SOCKET_LOST))
    assert target.statuses[-1][1].reason == "connection lost; rejoins when it is back"
    assert len(target.system) == rows  # no row for a lost socket
    translator.handle(channel_event(ChannelState.CLOSED, ChannelCause.SERVER_CLOSE))
    assert target.statuses[-1][1] == ChannelStatus(TabState.CLOSED, "closed by the server")
    assert target.system[-1] == ("room", "phx_close", {"reason": ""})
    # A tab the user left, or no tab at all, is not changed by late events.
    target.channels["room"].status = ChannelStatus(TabState.LEFT)
    count = len(target.statuses)
    translator.handle(channel_event(ChannelState.JOINED, ChannelCause.JOIN_SENT))
    translator.handle(
        ChannelStateChanged(
            "realtime:gone", ChannelState.JOINED, ChannelCause.JOINED, "", None, None, 0.0
        )
    )
    assert len(target.statuses) == count


def test_system_presence_and_other_channel_messages(
    translator: EventTranslator, target: Target
) -> None:
    translator.handle(SystemMessage(TOPIC, "ok", "system", "ready", {"message": "ready"}, 0.0))
    translator.handle(ChannelMessage(TOPIC, "postgres_changes", b"\x01\x02\x03", None, 0.0))
    translator.handle(ChannelMessage(TOPIC, "custom", {"a": 1}, None, 0.0))
    meta: dict[str, Any] = {"phx_ref": "r"}
    roster = target.channels["room"].presence
    translator.handle(PresenceChanged(TOPIC, "state", {"k": (meta,)}, {}, {"k": (meta,)}, 0.0))
    assert roster.keys() == ["k"]
    translator.handle(PresenceChanged(TOPIC, "diff", {}, {"k": (meta,)}, {}, 0.0))
    assert roster.keys() == []
    assert target.system == [
        ("room", "system", {"message": "ready"}),
        ("room", "postgres_changes", {"payload": {"bytes": 3}}),
        ("room", "custom", {"payload": {"a": 1}}),
        ("room", "presence_state", {"joins": ["k"], "leaves": [], "online": 1}),
        ("room", "presence_diff", {"joins": [], "leaves": ["k"], "online": 0}),
    ]


def test_events_not_shown_change_nothing(translator: EventTranslator, target: Target) -> None:
    before = (target.connection, list(target.system), list(target.incoming))
    translator.handle(EventsDropped(3, 3, 0.0))
    translator.handle(ErrorOccurred(InspectorError("a push was refused"), 0.0))
    assert (target.connection, target.system, target.incoming) == before
    assert translator.last_error == ""  # only connection errors are kept


def test_error_text_words() -> None:
    assert error_text(HandshakeRejected(401, b'{"message": "Invalid JWT"}')) == (
        "HTTP 401: Invalid JWT"
    )
    assert error_text(HandshakeRejected(503, b"")) == "HTTP 503"
    assert error_text(InspectorError("host not found")) == "host not found"


def test_a_second_join_is_a_rejoin_and_a_token_expiry_says_so(
    translator: EventTranslator, target: Target
) -> None:
    """Issue #10 items 15 and 17: "rejoined" rows after the first join; the server's token
    watchdog closing a channel gives a "token expired" row and a closed status that says what
    to do."""
    translator.handle(channel_event(ChannelState.JOINED, ChannelCause.JOIN_SENT))
    translator.handle(channel_event(ChannelState.ERRORED, ChannelCause.SOCKET_LOST))
    translator.handle(channel_event(ChannelState.JOINED, ChannelCause.JOIN_SENT))
    assert [e for _, e, _ in target.system] == ["joined", "rejoined"]
    message = "Token has expired 3 seconds ago"
    translator.handle(channel_event(ChannelState.CLOSED, ChannelCause.SERVER_CLOSE, message))
    status = target.statuses[-1][1]
    assert status.state is TabState.CLOSED
    assert status.reason == f"token expired ({message}); use Update token (Ctrl+Shift+U) to rejoin"
    assert target.system[-2:] == [
        ("room", "phx_close", {"reason": message}),
        ("room", "token expired", {"reason": message}),
    ]
