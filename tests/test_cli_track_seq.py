"""``listen --track-seq PATH`` (issue #11 §5): the counters of a sequence run that lost a number,
printed at exit, with ``send`` as the sender, both subprocesses against the local server."""

from __future__ import annotations

import asyncio
import json
import signal

from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start

from inspector.server import RealtimeServer


def broadcast_seq(n: int):  # type: ignore[no-untyped-def]
    return lambda line: line["kind"] == "broadcast" and line["payload"].get("seq") == n


async def test_listen_track_seq_summary_counts_a_missing_number(server: RealtimeServer) -> None:
    env = cli_env(server)
    proc = await start("listen", "--channel", "room-1", "--track-seq", "$.seq", env=env)
    await read_until(proc, joined)
    payloads = ['{"seq": 1}', '{"seq": 2}', '{"seq": 4}', '{"seq": 5}', '"no counter"']
    for payload in payloads:  # 3 never sent
        code, _, err = await run(
            "send", "--channel", "room-1", "--event", "tick", "--payload", payload, env=env
        )
        assert code == 0, err
    await read_until(
        proc, lambda line: line["kind"] == "broadcast" and line["payload"] == "no counter"
    )
    proc.send_signal(signal.SIGINT)  # the usual end of listen: Ctrl+C
    out, err_bytes = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    err = err_bytes.decode()
    assert err.splitlines()[-1] == (
        "realtime-inspector listen: summary: room-1 $.seq: received 4, missing 1 (gap 3), "
        "duplicates 0, out of order 0, no counter 1"
    )
    summary = json.loads(out.decode().splitlines()[-1])
    assert (summary["kind"], summary["event"], summary["channel"]) == (
        "summary",
        "seq_summary",
        "room-1",
    )
    data = summary["payload"]
    assert {k: data[k] for k in ("path", "received", "missing", "duplicates", "out_of_order")} == {
        "path": "$.seq",
        "received": 4,
        "missing": 1,
        "duplicates": 0,
        "out_of_order": 0,
    }
    assert (data["no_counter"], data["runs"], data["open_gaps"], data["gaps_dropped"]) == (
        1,
        1,
        0 + 1,
        0,
    )
    [gap] = data["gaps"]
    assert (gap["run"], gap["from"], gap["to"], gap["missing"]) == (1, 3, 3, 1)
    assert gap["first_seen"].endswith("Z")
    assert data["per_run"] == [
        {
            "run": 1,
            "received": 4,
            "missing": 1,
            "duplicates": 0,
            "out_of_order": 0,
            "open_gaps": 1,
            "first": 1,
            "highest": 5,
        }
    ]


async def test_listen_track_seq_late_duplicate_and_new_run_per_channel(
    server: RealtimeServer,
) -> None:
    """Two channels, each its own counter; ``--count`` ends it, the summary still comes."""
    env = cli_env(server)
    proc = await start(
        "listen",
        "--channel",
        "room-a",
        "--channel",
        "room-b",
        "--track-seq",
        "data.n",
        "--count",
        "7",
        env=env,
    )
    await read_until(proc, lambda line: joined(line) and line["channel"] == "room-b")
    for n in (1, 3, 2, 2):  # 3 opens the gap 2, 2 fills it late, then comes again
        server.publish("room-a", "e", {"data": {"n": n}})
    for n in (1, 2, 1):  # a drop to 1: a second run, not a duplicate
        server.publish("room-b", "e", {"data": {"n": n}})
    out, err_bytes = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err_bytes.decode()
    lines = err_bytes.decode().splitlines()
    assert lines[-2:] == [
        "realtime-inspector listen: summary: room-a data.n: received 4, missing 0, "
        "duplicates 1, out of order 1, no counter 0",
        "realtime-inspector listen: summary: room-b data.n: received 3, missing 0, "
        "duplicates 0, out of order 0, no counter 0, runs 2",
    ]
    summaries = [json.loads(x) for x in out.decode().splitlines() if '"summary"' in x]
    assert [s["channel"] for s in summaries] == ["room-a", "room-b"]
    assert [r["received"] for r in summaries[1]["payload"]["per_run"]] == [2, 1]


async def test_listen_track_seq_bad_path_is_a_usage_error(server: RealtimeServer) -> None:
    code, lines, err = await run(
        "listen", "--channel", "r", "--track-seq", "$.seq[", env=cli_env(server)
    )
    assert code == 2
    assert lines == []
    assert "argument --track-seq: “$.seq[” is not a JSON path: unexpected end of query" in err
