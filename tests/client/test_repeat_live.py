"""The repeat engine against the local server over real sockets (issue #11 §3): counts, the
in-flight window, duration, cancel, timeouts, REST and what a receiver gets. Nothing here
depends on timing: bounds checked are guaranteed by the deadlines and the window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from client_helpers import EventLog

from inspector.client import BroadcastReceived, ChannelConfig, RealtimeClient
from inspector.client.repeat import (
    Outcome,
    RepeatMessage,
    RepeatPlan,
    RepeatProgress,
    RepeatSender,
    TemplateMessages,
)
from inspector.server import RealtimeServer

SEQ = '{"seq": "{{seq}}"}'


async def joined(make_client: Callable[..., RealtimeClient], **cfg: object) -> RealtimeClient:
    client = make_client()
    await client.connect()
    await client.join(ChannelConfig("room-1", **cfg))  # type: ignore[arg-type]
    return client


async def test_count_with_acks_and_a_window_never_over_k_in_flight(
    make_client: Callable[..., RealtimeClient],
) -> None:
    client = await joined(make_client, broadcast_ack=True)
    state = {"in_flight": 0, "most": 0}
    outcomes: list[int] = []

    def sent(seq: int, _m: RepeatMessage) -> None:
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])

    def done(seq: int, _m: RepeatMessage, outcome: Outcome) -> None:
        state["in_flight"] -= 1
        assert outcome.status == "ok"
        assert outcome.rtt is not None
        outcomes.append(seq)

    progress: list[RepeatProgress] = []
    sender = RepeatSender(
        client,
        RepeatPlan("room-1", count=300, in_flight=3),
        TemplateMessages("e", SEQ),
        on_sent=sent,
        on_outcome=done,
        on_progress=progress.append,
    )
    summary = await sender.run()
    assert (summary.sent, summary.ok, summary.error, summary.timed_out) == (300, 300, 0, 0)
    assert summary.rtt_count == 300
    assert not summary.cancelled
    assert sorted(outcomes) == list(range(1, 301))
    assert 1 <= state["most"] <= 3
    assert progress[-1].done
    assert progress[-1].sent == 300
    assert progress[-1].ok == 300


async def test_receiver_gets_every_seq_once_in_order(
    make_client: Callable[..., RealtimeClient],
) -> None:
    sender = await joined(make_client)
    log = EventLog()
    receiver = make_client(on_event=log)
    await receiver.connect()
    await receiver.join("room-1")
    summary = await RepeatSender(
        sender, RepeatPlan("room-1", count=2000), TemplateMessages("e", SEQ)
    ).run()
    assert (summary.sent, summary.unanswered) == (2000, 2000)  # no ack: nothing comes back
    got: list[int] = []

    def all_in(event: BroadcastReceived) -> bool:
        got.append(event.json_payload()["seq"])
        return len(got) == 2000

    await log.wait_for(BroadcastReceived, all_in)
    assert got == list(range(1, 2001))


async def test_duration_with_a_rate_never_sends_more_than_is_due(
    make_client: Callable[..., RealtimeClient],
) -> None:
    client = await joined(make_client, broadcast_ack=True)
    summary = await RepeatSender(
        client, RepeatPlan("room-1", duration=0.3, rate=100), TemplateMessages("e", SEQ)
    ).run()
    # message n is due at (n - 1) / 100 s: at most 30 fit before 0.3 s (the 31st is due at it)
    assert 1 <= summary.sent <= 30
    assert summary.ok == summary.sent
    assert not summary.cancelled


async def test_cancel_stops_at_once_and_the_summary_still_comes(
    make_client: Callable[..., RealtimeClient],
) -> None:
    client = await joined(make_client, broadcast_ack=True)
    sender: RepeatSender

    def done(seq: int, _m: RepeatMessage, _o: Outcome) -> None:
        if seq == 5:
            sender.cancel()

    sender = RepeatSender(
        client,
        RepeatPlan("room-1", count=1_000_000, in_flight=2),
        TemplateMessages("e", SEQ),
        on_outcome=done,
    )
    summary = await sender.run()
    assert summary.cancelled
    assert 5 <= summary.sent <= 7
    assert summary.ok == summary.sent  # what was in flight came back within the grace


async def test_muted_acks_time_out_and_are_counted(
    make_client: Callable[..., RealtimeClient], server: RealtimeServer
) -> None:
    client = await joined(make_client, broadcast_ack=True)
    server.faults.mute_acks = True
    summary = await RepeatSender(
        client,
        RepeatPlan("room-1", count=4, in_flight=4, timeout=0.2),
        TemplateMessages("e", SEQ),
    ).run()
    assert (summary.sent, summary.ok, summary.timed_out, summary.failed) == (4, 0, 4, 4)
    assert summary.rtt_count == 0


async def test_rest_with_a_window(
    make_client: Callable[..., RealtimeClient],
) -> None:
    log = EventLog()
    receiver = make_client(on_event=log)
    await receiver.connect()
    await receiver.join("room-1")
    client = make_client()
    statuses: list[int] = []
    summary = await RepeatSender(
        client,
        RepeatPlan("room-1", count=20, in_flight=4, rest=True),
        TemplateMessages("e", SEQ),
        on_outcome=lambda _s, _m, o: statuses.append(o.result.status),  # type: ignore[union-attr]
    ).run()
    assert (summary.sent, summary.ok, summary.rtt_count) == (20, 20, 20)
    assert statuses == [202] * 20
    seqs: set[int] = set()

    def all_in(event: BroadcastReceived) -> bool:
        seqs.add(event.json_payload()["seq"])
        return len(seqs) == 20

    await log.wait_for(BroadcastReceived, all_in)
    assert seqs == set(range(1, 21))


async def test_cancel_before_run_sends_nothing(
    make_client: Callable[..., RealtimeClient],
) -> None:
    client = await joined(make_client)
    sender = RepeatSender(client, RepeatPlan("room-1", count=10), TemplateMessages("e", SEQ))
    sender.cancel()
    summary = await asyncio.wait_for(sender.run(), 10)
    assert (summary.sent, summary.cancelled) == (0, True)
