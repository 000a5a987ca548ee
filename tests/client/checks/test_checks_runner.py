"""The check runner against the real local server: results, events, timing, cancel, cleanup."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from inspector.client import ClientSettings, ConnectionState, RealtimeClient
from inspector.client.checks import (
    CheckFinished,
    CheckRun,
    CheckStarted,
    CheckStatus,
    MessageRecorded,
    ReceivedMessage,
    RunEvent,
    StepFinished,
    StepStarted,
    StepStatus,
    load_text,
    run_check,
)
from inspector.client.checks.model import Check
from inspector.server import RealtimeServer


def _check(text: str) -> Check:
    return load_text(text, "t.yaml").checks[0]


def _env(server: RealtimeServer, **extra: str) -> dict[str, str]:
    return {"SUPABASE_URL": server.url, "SUPABASE_ANON_KEY": server.anon_key, **extra}


def _our_channels(server: RealtimeServer) -> list[str]:
    return sorted(name for (_private, name) in server.hub.channels() if name.startswith("t-"))


ROUNDTRIP = """\
name: roundtrip
vars: {oid: "o-{{uuid}}"}
identities: {other: {}}
steps:
  - join: {channel: t-room, ack: true}
  - join: {channel: t-room, identity: other, self: true}
  - send: {channel: t-room, event: order.created, payload: {id: "{{oid}}", n: "{{seq}}"}}
  - expect:
      channel: t-room
      identity: other
      event: "order.*"
      payload: {id: "{{oid}}"}
      where: ["$[?$.n == 1]"]
      capture: {got: $.id}
  - send: {channel: t-room, via: rest, event: echo, payload: {id: "{{got}}"}}
  - expect: {channel: t-room, event: echo, payload: {id: "{{oid}}"}, within: 2s}
  - expect_none: {channel: t-room, event: order.created, within: 200ms, from: start_of_check}
"""


async def test_a_passing_check_reports_steps_matches_and_events(server: RealtimeServer) -> None:
    seen: list[RunEvent] = []
    run = CheckRun(_check(ROUNDTRIP), env=_env(server), on_event=seen.append)
    iterated: list[RunEvent] = []
    events = run.events()  # before run() starts, to see every event

    async def consume() -> None:
        async for ev in events:
            iterated.append(ev)

    consumer = asyncio.create_task(consume())
    before = time.time()
    result = await run.run()
    await asyncio.wait_for(consumer, 5)
    assert result.status is CheckStatus.PASSED, [s.to_dict() for s in result.steps]
    assert [type(e) for e in iterated] == [type(e) for e in seen]
    assert isinstance(seen[0], CheckStarted)
    assert isinstance(seen[-1], CheckFinished)
    assert seen[-1].result is result
    steps = [e for e in seen if isinstance(e, StepStarted | StepFinished)]
    assert [(type(e).__name__, e.index) for e in steps] == [
        (kind, i) for i in range(7) for kind in ("StepStarted", "StepFinished")
    ]
    assert any(isinstance(e, MessageRecorded) for e in seen)
    assert [s.status for s in result.steps] == [StepStatus.PASSED] * 7
    expect = result.steps[3]
    assert expect.captured == {"got": expect.matched[0].payload["id"]}
    (msg,) = expect.matched
    assert (msg.identity, msg.channel, msg.kind, msg.event) == (
        "other",
        "t-room",
        "broadcast",
        "order.created",
    )
    assert msg.payload["n"] == 1
    assert before <= msg.received_wall <= time.time()
    assert 0 < msg.offset < result.duration
    assert msg.seq >= 1
    assert result.steps[5].matched[0].event == "echo"
    assert all(s.duration >= 0 for s in result.steps)
    assert result.to_dict()["steps"][3]["matched"][0]["channel"] == "t-room"
    assert _our_channels(server) == []  # cleanup left every channel


async def test_a_failing_expect_gives_near_misses_and_skips_the_rest(
    server: RealtimeServer,
) -> None:
    text = """\
name: miss
steps:
  - join: {channel: t-miss, self: true}
  - send: {channel: t-miss, event: order.confirmed, payload: {id: "b", status: ok}}
  - send: {channel: t-miss, event: other, payload: {}}
  - expect: {channel: t-miss, event: order.confirmed, payload: {id: "a"}, from: start_of_check, within: 300ms}
  - wait: 1s
"""
    result = await run_check(_check(text), env=_env(server))
    assert result.status is CheckStatus.FAILED
    failed = result.failed_step
    assert failed is not None
    assert failed.step.index == 3
    assert failed.reason.startswith(
        "no matching message within 0.3 s of the check's start; closest:"
    )
    assert '$.id: expected "a", got "b"' in failed.reason
    (near,) = failed.near_misses
    assert near.message.event == "order.confirmed"
    assert [d.path for d in near.differences] == ["$.id"]
    assert result.steps[4].status is StepStatus.SKIPPED
    assert _our_channels(server) == []


async def test_windows_start_at_the_previous_step_unless_from_start_of_check(
    server: RealtimeServer,
) -> None:
    base = """\
name: window
steps:
  - join: {channel: t-win, self: true}
  - send: {channel: t-win, event: ping}
  - expect: {channel: t-win, event: ping}
  - expect: {channel: t-win, event: ping, within: 300ms%s}
"""
    late = await run_check(_check(base % ""), env=_env(server))
    assert late.status is CheckStatus.FAILED
    assert late.failed_step is not None
    assert late.failed_step.step.index == 3
    early = await run_check(_check(base % ", from: start_of_check"), env=_env(server))
    assert early.status is CheckStatus.PASSED


async def test_expect_none_fails_at_the_first_match(server: RealtimeServer) -> None:
    text = """\
name: none
steps:
  - join: {channel: t-none, self: true, ack: true}
  - send: {channel: t-none, event: ping, payload: {n: 1}}
  - expect_none: {channel: t-none, event: ping, within: 5s}
"""
    result = await run_check(_check(text), env=_env(server))
    step = result.steps[2]
    assert step.status is StepStatus.FAILED
    assert step.reason.startswith("ping arrived at +")
    assert step.duration < 5
    assert step.matched[0].payload == {"n": 1}


async def test_refusals_carry_the_server_reason(server: RealtimeServer) -> None:
    text = """\
name: refused
steps:
  - join: {channel: t-private, private: true, expect: refused, reason: "*permissions*"}
  - join: {channel: t-private, private: true, expect: refused, reason: "*nope*"}
"""
    result = await run_check(_check(text), env=_env(server))
    first, second = result.steps
    assert first.status is StepStatus.PASSED
    assert first.server_reason is not None
    assert "Unauthorized" in first.server_reason
    assert second.status is StepStatus.FAILED
    assert "does not match '*nope*'" in second.reason
    assert _our_channels(server) == []


async def test_cancel_fails_the_running_step_and_cleans_up(server: RealtimeServer) -> None:
    text = """\
name: cancelled
identities: {member: {}}
steps:
  - join: {channel: t-cancel, presence: {key: me}, identity: member}
  - track: {channel: t-cancel, identity: member, payload: {a: 1}}
  - expect: {channel: t-cancel, identity: member, event: never, within: 30s}
  - wait: 1s
"""
    started = asyncio.Event()

    def on_event(ev: RunEvent) -> None:
        if isinstance(ev, StepStarted) and ev.index == 2:
            started.set()

    run = CheckRun(_check(text), env=_env(server), on_event=on_event)
    task = asyncio.create_task(run.run())
    await asyncio.wait_for(started.wait(), 10)
    run.cancel()
    result = await asyncio.wait_for(task, 10)
    assert result.status is CheckStatus.CANCELLED
    assert [s.status for s in result.steps] == [
        StepStatus.PASSED,
        StepStatus.PASSED,
        StepStatus.FAILED,
        StepStatus.SKIPPED,
    ]
    assert result.steps[2].reason == "cancelled"
    assert _our_channels(server) == []


async def test_the_check_timeout_fails_the_running_step(server: RealtimeServer) -> None:
    text = """\
name: slow
timeout: 300ms
steps:
  - join: {channel: t-slow}
  - expect: {channel: t-slow, event: never, within: 10s}
  - wait: 100ms
"""
    result = await run_check(_check(text), env=_env(server))
    assert result.status is CheckStatus.FAILED
    assert result.steps[1].reason == "the check's timeout (0.3 s) ran out during this step"
    assert result.steps[2].status is StepStatus.SKIPPED
    assert _our_channels(server) == []


async def test_a_check_that_cannot_start_is_an_error(server: RealtimeServer) -> None:
    text = "name: nourl\nsteps:\n  - join: {channel: t-x}\n"
    result = await run_check(_check(text), env={})
    assert result.status is CheckStatus.ERROR
    assert result.error == "no URL: set SUPABASE_URL or give connect.url"
    assert result.steps[0].status is StepStatus.SKIPPED
    missing = "name: e\nidentities: {u: {token: '{{env.NOPE}}'}}\nsteps:\n  - join: {channel: t-x, identity: u}\n"
    result = await run_check(_check(missing), env=_env(server))
    assert result.status is CheckStatus.ERROR
    assert "the environment variable NOPE is not set" in result.error


async def test_binary_and_odd_payloads_never_break_matching(server: RealtimeServer) -> None:
    text = """\
name: odd
steps:
  - join: {channel: t-odd}
  - expect: {channel: t-odd, event: bin, payload: {x: 1}, where: ["$.x"], within: 500ms}
"""
    got: list[Any] = []

    def on_event(ev: RunEvent) -> None:
        if isinstance(ev, StepStarted) and ev.index == 1:
            server.publish_user("t-odd", "bin", b"\xff\x00\x01")
            server.publish("t-odd", "bin", {"x": [1, 2]})
        if isinstance(ev, MessageRecorded):
            got.append(ev.message.payload)

    result = await run_check(_check(text), env=_env(server), on_event=on_event)
    step = result.steps[1]
    assert step.status is StepStatus.FAILED
    assert len(step.near_misses) == 2
    assert {"$binary": "/wAB"} in got


async def test_url_and_key_given_by_the_caller_and_rest_needs_no_socket(
    server: RealtimeServer,
) -> None:
    text = """\
name: rest only
steps:
  - send: {channel: t-rest, via: rest, event: e, payload: {a: 1}}
  - send: {channel: t-rest, via: rest, event: e, expect: error, private: true}
"""
    clients: list[RealtimeClient] = []
    states: list[ConnectionState] = []

    def factory(name: str, settings: ClientSettings) -> RealtimeClient:
        clients.append(RealtimeClient(settings))
        return clients[-1]

    def on_event(ev: RunEvent) -> None:
        if isinstance(ev, StepFinished):
            states.append(clients[0].state)

    check = _check(text)
    assert check.channels() == ()
    result = await run_check(
        check,
        env={},
        url=server.url,
        key=server.anon_key,
        client_factory=factory,
        on_event=on_event,
    )
    assert result.status is CheckStatus.PASSED, [s.to_dict() for s in result.steps]
    assert result.steps[1].server_reason  # the server's refusal text
    assert states == [ConnectionState.CLOSED, ConnectionState.CLOSED]
    assert len(clients) == 1


def test_channels_lists_the_joined_channels() -> None:
    check = _check(ROUNDTRIP)
    assert check.channels() == ("t-room",)


def test_records_drop_the_oldest_without_losing_a_readers_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspector.client.checks import runner

    monkeypatch.setattr(runner, "MAX_BUFFERED", 4)
    record = runner._Record()

    def msg(seq: int) -> ReceivedMessage:
        return ReceivedMessage(seq, "i", "c", "broadcast", "e", {}, None, None, 0.0, 0.0, 0.0)

    for seq in range(1, 4):
        record.append(msg(seq))
    first, position = record.since(0)
    assert [m.seq for m in first] == [1, 2, 3]
    for seq in range(4, 8):  # past the bound: the oldest go
        record.append(msg(seq))
    rest, position = record.since(position)
    assert [m.seq for m in rest] == [4, 5, 6, 7]  # 1-3 dropped, nothing skipped or reread
    assert len(record.items) <= 4
    assert record.since(position) == ([], position)


async def test_a_lost_connection_is_named_in_the_failure(server: RealtimeServer) -> None:
    text = """\
name: lost
steps:
  - join: {channel: t-lost}
  - expect: {channel: t-lost, event: never, within: 1s}
"""

    def on_event(ev: RunEvent) -> None:
        if isinstance(ev, StepStarted) and ev.index == 1:
            for sock in server.sockets:
                sock.close_soon(1011, "server went away")

    result = await run_check(_check(text), env=_env(server), on_event=on_event)
    step = result.steps[1]
    assert step.status is StepStatus.FAILED
    assert "; meanwhile, at +" in step.reason
    assert "the connection was lost" in step.reason
