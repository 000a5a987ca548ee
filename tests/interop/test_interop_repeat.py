"""A repeat run reaches realtime-js (issue #11 §3): ``realtime-inspector send --count N`` with
``{{seq}}`` in the payload, paced and with acks in flight; the official client reports every
number exactly once (nothing lost, nothing doubled), in order on one socket."""

from __future__ import annotations

from typing import Any

import pytest
from cli_helpers import cli_env, run
from interop_helpers import js_client, subscribe
from peers import PeerPool

from inspector.server import RealtimeServer

COUNT = 400


@pytest.mark.parametrize(
    "pace", [("--rate", "4000"), ("--ack", "--in-flight", "16")], ids=["rate", "in-flight"]
)
async def test_realtime_js_receives_every_seq_exactly_once(
    server: RealtimeServer, peers: PeerPool, pace: tuple[str, ...]
) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "room-seq", listen={"broadcast": ["*"]})
    code, lines, err = await run(
        "send", "--channel", "room-seq", "--event", "tick",
        "--payload", '{"seq": "{{seq}}", "note": "n{{seq}}"}',
        "--count", str(COUNT), *pace, "--json", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    assert lines[0]["sent"] == COUNT
    got: list[Any] = []
    for _ in range(COUNT):
        event = await js.expect(ev="broadcast", channel="a")
        got.append(event["payload"]["payload"])
    seqs = [p["seq"] for p in got]
    assert seqs == list(range(1, COUNT + 1))  # each once, in order
    assert all(p["note"] == f"n{p['seq']}" for p in got)  # expanded as text inside a string
    assert js.seen(ev="broadcast", channel="a", after=0)[COUNT:] == []  # nothing more
