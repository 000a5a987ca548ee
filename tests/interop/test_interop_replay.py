"""Replay reaches realtime-js in order (issue #11 item 4).

realtime-js sends a session (JSON and binary broadcasts) on one channel; ``realtime-inspector
listen`` records it (a recording made with the inspector); ``realtime-inspector replay`` sends
the recording into another channel, where a second realtime-js channel receives every message,
in the recorded order, with the payloads it was sent (binary as an ArrayBuffer). Timing is not
asserted here: benchmarks/replay_timing.py measures the gaps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start
from interop_helpers import js_client, subscribe
from peers import PeerPool

from inspector.server import RealtimeServer

pytestmark = [pytest.mark.interop]


async def test_a_recorded_session_replays_into_realtime_js_in_order(
    server: RealtimeServer, peers: PeerPool, tmp_path: Path
) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "src", "rec-src", listen={"broadcast": ["*"]})
    await subscribe(js, server, "dst", "rec-dst", listen={"broadcast": ["*"]})
    sent: list[tuple[str, Any]] = [
        (f"e{i}", {"__bytes__": [i, 255 - i, 0]} if i % 5 == 2 else {"i": i, "s": "é" * i})
        for i in range(20)
    ]
    recorder = await start(
        "listen", "--channel", "rec-src", "--count", str(len(sent)), env=cli_env(server)
    )
    await read_until(recorder, joined)
    for event, payload in sent:
        await js.call("send", channel="src", event=event, payload=payload)
    out, _ = await asyncio.wait_for(recorder.communicate(), TIMEOUT)
    assert recorder.returncode == 0
    recording = tmp_path / "session.ndjson"
    recording.write_bytes(out)

    code, lines, err = await run(
        "replay",
        str(recording),
        "--channel",
        "rec-dst",
        "--speed",
        "10",
        "--ack",
        "--json",
        env=cli_env(server),
    )
    assert code == 0, err
    assert (lines[0]["sent"], lines[0]["ok"]) == (len(sent), len(sent))
    for _ in sent:
        await js.expect(ev="broadcast", channel="dst")
    got = js.seen(ev="broadcast", channel="dst")
    assert [(e["payload"]["event"], e["payload"]["payload"]) for e in got] == sent
