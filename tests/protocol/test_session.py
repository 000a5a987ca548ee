"""The client session state machine, driven with hand-written server frames (§2-§8, §13).

Time is simulated: every test passes ``now`` explicitly and asks the session for its deadlines.
Broadcast receiving and pushing are in test_session_broadcast.py.
"""

from __future__ import annotations

import pytest
from session_driver import TOPIC, Driver, kind4, of

from inspector.protocol.channel import ChannelConfig, InvalidTransition
from inspector.protocol.events import (
    BroadcastReceived,
    ChannelCause,
    ChannelState,
    ChannelStateChanged,
    CloseRequested,
    ConnectionState,
    ConnectionStateChanged,
    HeartbeatEvent,
    MessageIgnored,
    PresenceChanged,
    PushResult,
    PushStatus,
    SystemMessage,
)
from inspector.protocol.serializer import VSN1
from inspector.protocol.session import SessionConfig

# ------------------------------------------------------------------ join and reply matching


def test_join_frame_and_ok_reply_scenario_2() -> None:
    d = Driver(access_token="user-jwt", client_version="realtime-inspector/0.1.0")
    d.open()
    d.events()
    ch = d.s.join(ChannelConfig("room-1"), 0.0)
    [join] = d.sent()
    assert join[0] == join[1] == ch.join_ref
    assert join[2:4] == [TOPIC, "phx_join"]
    assert join[4]["config"]["broadcast"] == {"ack": False, "self": False}
    assert join[4]["access_token"] == "user-jwt"
    assert join[4]["version"] == "realtime-inspector/0.1.0"
    events = d.feed(ch.join_ref, ch.join_ref, TOPIC, "phx_reply", {"status": "ok", "response": {}})
    [change] = of(events, ChannelStateChanged)
    assert (change.state, change.cause) == (ChannelState.JOINED, ChannelCause.JOINED)


def test_join_before_open_waits_for_the_socket() -> None:
    d = Driver()
    ch = d.s.join(ChannelConfig("room-1"), 0.0)
    assert ch.state is ChannelState.JOINING
    assert d.sent() == []
    d.open()
    [join] = d.sent()
    assert join[3] == "phx_join"


def test_refs_come_from_one_counter_and_every_push_carries_join_ref() -> None:
    d = Driver(vsn=VSN1)
    d.open()
    jr = d.join()
    d.s.push(TOPIC, "custom", {"a": 1}, d.now)
    [push] = d.sent()
    assert push[0] == jr
    assert int(push[1]) > int(jr)


def test_join_error_reports_reason_and_rejoins_on_schedule_scenario_11() -> None:
    d = Driver()
    d.open()
    ch = d.s.join(ChannelConfig("room-1"), 0.0)
    reason = "Unauthorized: You do not have permissions to read from this Channel topic: room-1"
    delays = []
    for _ in range(5):
        [join] = [f for f in d.sent() if f[3] == "phx_join"]
        events = d.feed(
            join[0],
            join[1],
            TOPIC,
            "phx_reply",
            {"status": "error", "response": {"reason": reason}},
        )
        [err] = of(events, ChannelStateChanged)
        assert (err.state, err.cause, err.reason) == (
            ChannelState.ERRORED,
            ChannelCause.JOIN_ERROR,
            reason,
        )
        delays.append(err.retry_in)
        start = d.now
        d.advance_to(d.now + err.retry_in - 0.001)
        assert [f for f in d.sent() if f[3] == "phx_join"] == []  # not yet
        d.advance_to(start + err.retry_in)
        assert ch.state is ChannelState.JOINING
    assert delays == [1.0, 2.0, 5.0, 10.0, 10.0]
    # A success resets the count.
    [join] = [f for f in d.sent() if f[3] == "phx_join"]
    d.feed(join[0], join[1], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    assert ch.rejoin_tries == 0


def test_join_timeout_sends_leave_then_rejoins() -> None:
    d = Driver()
    d.open()
    ch = d.s.join(ChannelConfig("room-1"), 0.0)
    first_ref = ch.join_ref
    d.sent()
    d.events()
    d.advance_to(10.0)
    [leave] = d.sent()
    assert leave[3] == "phx_leave"
    assert leave[0] == first_ref
    [change] = of(d.events(), ChannelStateChanged)
    assert (change.cause, change.retry_in) == (ChannelCause.JOIN_TIMEOUT, 1.0)
    assert "10 s" in change.reason
    d.advance_to(11.0)
    [join] = d.sent()
    assert join[3] == "phx_join"
    assert join[0] != first_ref
    # A late reply to the first join matches nothing.
    events = d.feed(first_ref, first_ref, TOPIC, "phx_reply", {"status": "ok", "response": {}})
    assert of(events, MessageIgnored)
    assert ch.state is ChannelState.JOINING


def test_unmatched_topic_reply_fails_the_push() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    pid = d.s.push(TOPIC, "custom", {}, d.now)
    [push] = d.sent()
    events = d.feed(
        None,
        push[1],
        TOPIC,
        "phx_reply",
        {"status": "error", "response": {"reason": "unmatched topic"}},
    )
    [result] = of(events, PushResult)
    assert (result.push_id, result.status) == (pid, PushStatus.ERROR)
    assert result.error_text() == "unmatched topic"
    assert jr


def test_reply_to_unknown_ref_is_ignored() -> None:
    d = Driver()
    d.open()
    d.join()
    events = d.feed(None, "999", TOPIC, "phx_reply", {"status": "ok", "response": {}})
    [ignored] = of(events, MessageIgnored)
    assert ignored.reason == "reply to no pending push"


# ------------------------------------------------------------------ stale join_ref §2.6


def test_stale_join_ref_is_dropped_and_null_join_ref_is_delivered_scenario_15() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    body = {"type": "broadcast", "event": "e", "payload": {"n": 1}}
    events = d.feed("old", None, TOPIC, "broadcast", body)
    assert not of(events, BroadcastReceived)
    assert "stale join_ref" in of(events, MessageIgnored)[0].reason
    assert of(d.feed(None, None, TOPIC, "broadcast", body), BroadcastReceived)
    assert of(d.feed(jr, None, TOPIC, "broadcast", body), BroadcastReceived)
    # A stale phx_close does not close the channel.
    d.feed("old", "old", TOPIC, "phx_close", {})
    assert d.s.channels[TOPIC].state is ChannelState.JOINED


# ------------------------------------------------------------------ heartbeat §7.1


def test_heartbeat_round_trip_and_schedule() -> None:
    d = Driver(heartbeat_interval=25.0)
    d.open()
    assert d.s.next_deadline() == 25.0
    d.advance_to(25.0)
    [hb] = d.sent()
    assert hb[0] is None
    assert hb[2:] == ["phoenix", "heartbeat", {}]
    d.now = 25.003
    events = d.feed(None, hb[1], "phoenix", "phx_reply", {"status": "ok", "response": {}})
    [ok] = of(events, HeartbeatEvent)
    assert ok.status == "ok"
    assert ok.rtt == pytest.approx(0.003)
    assert d.s.heartbeat_rtt == pytest.approx(0.003)
    assert d.s.next_deadline() == pytest.approx(50.003)


def test_heartbeat_timeout_closes_errors_channels_and_reconnects_scenario_10() -> None:
    d = Driver(heartbeat_interval=1.0)
    d.open()
    d.join()
    d.advance_to(1.0)
    d.sent()
    d.events()
    d.advance_to(2.0)
    events = d.events()
    assert [e.status for e in of(events, HeartbeatEvent)] == ["timeout"]
    assert of(events, CloseRequested) == [CloseRequested(1000, "heartbeat timeout")]
    [ch_err] = of(events, ChannelStateChanged)
    assert (ch_err.state, ch_err.reason) == (ChannelState.ERRORED, "heartbeat timeout")
    [wait] = of(events, ConnectionStateChanged)
    assert (wait.state, wait.retry_in, wait.attempt) == (ConnectionState.RECONNECT_WAIT, 1.0, 1)
    # The old socket's close is reported late: it must not count as a second loss.
    d.s.connection_lost(2.1, "socket closed: 1000")
    assert d.s.attempt == 1
    d.advance_to(3.0)
    [connecting] = of(d.events(), ConnectionStateChanged)
    assert connecting.state is ConnectionState.CONNECTING
    d.s.connection_made(3.2)
    [join] = d.sent()
    assert join[3] == "phx_join"  # rejoined at once on open (§7.2)


def test_reconnect_schedule_and_reset_after_open() -> None:
    d = Driver()
    d.open()
    waits = []
    for _ in range(5):
        d.events()
        d.s.connection_lost(d.now, "connection refused")
        [ev] = of(d.events(), ConnectionStateChanged)
        waits.append(ev.retry_in)
        assert ev.reason == "connection refused"
        d.advance_to(d.now + ev.retry_in)
        assert d.s.state is ConnectionState.CONNECTING
    assert waits == [1.0, 2.0, 5.0, 10.0, 10.0]
    d.s.connection_made(d.now)
    d.s.connection_lost(d.now, "gone")
    [ev] = of(d.events(), ConnectionStateChanged)[-1:]
    assert ev.retry_in == 1.0


def test_socket_loss_errors_channels_and_keeps_the_buffer() -> None:
    d = Driver()
    d.open()
    d.join()
    d.s.connection_lost(1.0, "socket closed: 1006")
    [change] = of(d.events(), ChannelStateChanged)
    assert (change.cause, change.reason) == (ChannelCause.SOCKET_LOST, "socket closed: 1006")
    pid = d.s.push_broadcast(TOPIC, "later", {}, 1.5)
    d.advance_to(2.0)
    d.s.connection_made(2.0)
    [join] = d.sent()
    d.feed(join[0], join[1], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    [frame] = d.sent()
    assert isinstance(frame, bytes)
    assert b"later" in frame
    assert [r.push_id for r in of(d.events(), PushResult)] == []  # feed drained it
    assert pid


# ------------------------------------------------------------------ server errors and closes


def test_system_error_then_close_closes_for_good_scenario_12() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    msg = "Token has expired 3 seconds ago"
    events = d.feed(
        jr,
        None,
        TOPIC,
        "system",
        {"extension": "system", "status": "error", "message": msg, "channel": "room-1"},
    )
    [system] = of(events, SystemMessage)
    assert (system.status, system.message) == ("error", msg)
    events = d.feed(jr, jr, TOPIC, "phx_close", {})
    [closed] = of(events, ChannelStateChanged)
    assert (closed.state, closed.cause, closed.reason) == (
        ChannelState.CLOSED,
        ChannelCause.SERVER_CLOSE,
        msg,
    )
    assert d.s.next_deadline() == 25.0  # only the heartbeat: no rejoin
    # Later broadcasts to the closed channel are ignored.
    d.s.receive(kind4("e", b"{}"), 1.0)
    assert of(d.events(), MessageIgnored)
    # The user may join it again.
    d.s.join(ChannelConfig("room-1"), 2.0)
    assert d.sent()[0][3] == "phx_join"


def test_phx_error_rejoins_after_one_second() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    events = d.feed(jr, jr, TOPIC, "phx_error", {})
    [err] = of(events, ChannelStateChanged)
    assert (err.state, err.cause, err.retry_in) == (
        ChannelState.ERRORED,
        ChannelCause.SERVER_ERROR,
        1.0,
    )
    d.advance_to(1.0)
    [join] = d.sent()
    assert join[3] == "phx_join"


def test_leave_waits_for_the_reply_then_removes_the_channel() -> None:
    d = Driver()
    d.open()
    jr = d.join()
    d.s.leave(TOPIC, 1.0)
    [leave] = d.sent()
    assert leave[0] == jr
    assert leave[3] == "phx_leave"
    assert d.s.channels[TOPIC].state is ChannelState.LEAVING
    events = d.feed(jr, leave[1], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    [closed] = of(events, ChannelStateChanged)
    assert (closed.state, closed.cause) == (ChannelState.CLOSED, ChannelCause.LEFT)
    assert TOPIC not in d.s.channels
    with pytest.raises(KeyError):
        d.s.leave(TOPIC, 2.0)


def test_leave_without_socket_closes_at_once_and_drops_buffer() -> None:
    d = Driver()
    d.s.join(ChannelConfig("room-1"), 0.0)
    pid = d.s.push_broadcast(TOPIC, "e", {}, 0.0)
    d.s.leave(TOPIC, 0.5)
    events = d.events()
    [result] = of(events, PushResult)
    assert (result.push_id, result.status) == (pid, PushStatus.DROPPED)
    assert of(events, ChannelStateChanged)[-1].state is ChannelState.CLOSED
    assert d.sent() == []


def test_joining_twice_is_a_local_error() -> None:
    d = Driver()
    d.s.join(ChannelConfig("room-1"), 0.0)
    with pytest.raises(InvalidTransition, match="already"):
        d.s.join(ChannelConfig("room-1"), 0.0)


# ------------------------------------------------------------------ tokens, presence, close


def test_access_token_goes_to_joined_channels_and_into_later_joins() -> None:
    d = Driver(access_token="t1")
    d.open()
    jr = d.join()
    d.s.join(ChannelConfig("other"), 0.0)  # still joining: gets no access_token push
    d.sent()
    d.s.set_access_token("t2", 1.0)
    [push] = d.sent()
    assert push[0] == jr
    assert push[2:] == [TOPIC, "access_token", {"access_token": "t2"}]
    d.s.connection_lost(2.0, "x")
    d.advance_to(3.0)
    d.s.connection_made(3.0)
    joins = d.sent()
    assert {j[4]["access_token"] for j in joins} == {"t2"}


def test_presence_state_and_diffs_through_the_session_scenario_13() -> None:
    d = Driver()
    d.open()
    jr = d.join(presence_key="a", presence_enabled=True)
    diff = {"joins": {"b": {"metas": [{"phx_ref": "2"}]}}, "leaves": {}}
    assert of(d.feed(None, None, TOPIC, "presence_diff", diff), PresenceChanged) == []
    events = d.feed(jr, None, TOPIC, "presence_state", {"a": {"metas": [{"phx_ref": "1"}]}})
    state_ev, diff_ev = of(events, PresenceChanged)
    assert (state_ev.kind, diff_ev.kind) == ("state", "diff")
    assert set(diff_ev.state) == {"a", "b"}
    pid = d.s.track(TOPIC, {"online": True}, 1.0)
    [track] = d.sent()
    assert track[3:] == [
        "presence",
        {"type": "presence", "event": "track", "payload": {"online": True}},
    ]
    events = d.feed(jr, track[1], TOPIC, "phx_reply", {"status": "ok", "response": {}})
    assert of(events, PushResult)[0].push_id == pid
    d.s.untrack(TOPIC, 1.0)
    assert d.sent()[0][4] == {"type": "presence", "event": "untrack"}


def test_close_drops_everything_and_asks_to_close_the_socket() -> None:
    d = Driver()
    d.open()
    d.join(broadcast_ack=True)
    pid = d.s.push_broadcast(TOPIC, "e", {}, 0.0)
    d.s.close(1.0)
    events = d.events()
    assert CloseRequested(1000, "client closed") in events
    assert [r.status for r in of(events, PushResult) if r.push_id == pid] == [PushStatus.DROPPED]
    assert d.s.state is ConnectionState.CLOSED
    assert d.s.channels == {}
    assert d.s.next_deadline() is None
    d.s.connection_lost(1.5, "closed")  # the socket's close after ours changes nothing
    assert d.events() == []


def test_session_config_validation() -> None:
    with pytest.raises(ValueError, match=r"3\.0\.0"):
        SessionConfig(vsn="3.0.0")
    with pytest.raises(ValueError, match="positive"):
        SessionConfig(heartbeat_interval=0)
    with pytest.raises(ValueError, match="at least one"):
        SessionConfig(buffer_size=0)
