"""``realtime-inspector replay`` as a user runs it: a subprocess against the real local server,
with one of our clients listening on the channel (issue #11 item 4)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start

from inspector.client import BroadcastReceived, ChannelConfig, ClientSettings, RealtimeClient
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules
from inspector.store import Direction, MessageRecord, PayloadFormat
from inspector.store.transfer.export import message_line

T0 = 1_767_225_600.0


@pytest.fixture
def server_config() -> ServerConfig:
    """For the suite-wide ``server`` fixture: private ``ok-*`` channels open to anon."""
    rules = Rules.from_data({"allow": [{"channels": ["ok-*"], "roles": ["anon"], "can": ["all"]}]})
    return ServerConfig(port=0, rules=rules)


class Listener:
    """Our client on the channel, collecting broadcasts."""

    def __init__(self, server: RealtimeServer) -> None:
        self.got: list[BroadcastReceived] = []
        self.changed = asyncio.Event()
        self.client = RealtimeClient(
            ClientSettings(server.url, server.anon_key), on_event=self._on_event
        )

    def _on_event(self, e: Any) -> None:
        if isinstance(e, BroadcastReceived):
            self.got.append(e)
            self.changed.set()

    async def wait(self, n: int) -> list[BroadcastReceived]:
        async def enough() -> None:
            while len(self.got) < n:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(enough(), TIMEOUT)
        return self.got

    async def marker(self) -> list[BroadcastReceived]:
        """Everything received before a marker we send ourselves (proves nothing else came)."""
        await self.client.send("rp", "marker", {})
        while not any(e.event == "marker" for e in self.got):
            await self.wait(len(self.got) + 1)
        return [e for e in self.got if e.event != "marker"]


@pytest.fixture
async def listener(server: RealtimeServer) -> AsyncIterator[Listener]:
    lst = Listener(server)
    await lst.client.connect()
    await lst.client.join(ChannelConfig("rp", broadcast_self=True))
    yield lst
    await lst.client.close()


def _export(path: Path, rows: list[tuple[float, str, bytes, Direction, PayloadFormat]]) -> Path:
    lines = [
        message_line(
            MessageRecord(time=T0 + at, direction=d, event=ev, payload=p, format=f), "room-1"
        )
        for at, ev, p, d, f in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _rec(at: float, event: str) -> MessageRecord:
    return MessageRecord(time=at, direction=Direction.IN, event=event, payload=b"{}")


IN, OUT, JSON, BIN = Direction.IN, Direction.OUT, PayloadFormat.JSON, PayloadFormat.BINARY


async def test_replay_of_an_export_in_order_binary_kept_json_summary(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    rec = _export(
        tmp_path / "rec.ndjson",
        [
            (0.000, "a", b'{"n":1}', IN, JSON),
            (0.010, "bin", b"\x00\xff\x10", IN, BIN),
            (0.011, "mine", b'{"n":2}', OUT, JSON),  # sent by the recorder: not by default
            (0.020, "c", b'{"n":3,"s":"\\u00e9"}', IN, JSON),
        ],
    )
    code, lines, err = await run(
        "replay", str(rec), "--channel", "rp", "--ack", "--json", env=cli_env(server)
    )
    assert code == 0, err
    got = await listener.wait(3)
    assert [e.event for e in got] == ["a", "bin", "c"]
    assert got[1].binary
    assert got[1].payload_bytes() == b"\x00\xff\x10"
    assert got[2].json_payload() == {"n": 3, "s": "é"}
    [summary] = lines  # one JSON object on stdout
    assert (summary["sent"], summary["ok"], summary["error"], summary["timed_out"]) == (3, 3, 0, 0)
    assert summary["rtt_ms"]["count"] == 3
    assert all(summary["rtt_ms"][k] > 0 for k in ("p50", "p95", "p99", "max"))
    assert (summary["messages"], summary["left_out"], summary["skipped_lines"]) == (3, 1, 0)
    table = err.splitlines()
    assert table[0] == f"realtime-inspector replay: replay of {rec} into rp:"
    assert table[1].startswith("  sent ")
    assert table[1].split() == ["sent", "3"]
    assert any(line.startswith("  round trip p95 ") and line.endswith(" ms") for line in table)


async def test_not_a_recording_aborts_before_sending(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n" + message_line(_rec(T0, "x"), "r") + "\n")
    code, lines, err = await run("replay", str(bad), "--channel", "rp", env=cli_env(server))
    assert (code, lines) == (2, [])
    assert f"replay: {bad} is not a recording: line 1 is not JSON" in err
    code, _, err = await run(
        "replay", str(tmp_path / "missing"), "--channel", "rp", env=cli_env(server)
    )
    assert code == 2
    assert "cannot read" in err
    assert await listener.marker() == []


async def test_malformed_lines_are_named_skipped_and_counted(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    good = [message_line(_rec(T0 + i / 100, f"e{i}"), "r") for i in range(3)]
    rec = tmp_path / "r.ndjson"
    rec.write_text("\n".join([good[0], "{broken", good[1], '{"type":"nope"}', good[2]]) + "\n")
    code, lines, err = await run(
        "replay", str(rec), "--channel", "rp", "--json", env=cli_env(server)
    )
    assert code == 0, err
    assert [e.event for e in await listener.wait(3)] == ["e0", "e1", "e2"]
    assert "note: line 2 skipped: not JSON" in err
    assert "note: line 4 skipped: unknown line type 'nope'" in err
    assert lines[0]["skipped_lines"] == 2
    assert lines[0]["sent"] == 3


async def test_direction_event_loop_rate_and_nothing_left(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    rec = _export(
        tmp_path / "out.ndjson",
        [
            (0.0, "cursor-move", b"{}", OUT, JSON),
            (5.0, "chat", b"{}", OUT, JSON),
            (9.0, "Cursor-Up", b"{}", OUT, JSON),
        ],
    )
    code, _, err = await run("replay", str(rec), "--channel", "rp", env=cli_env(server))
    assert code == 2
    assert "nothing to replay: the recording has no received broadcasts, only 3 sent" in err
    code, lines, err = await run(
        "replay",
        str(rec),
        "--channel",
        "rp",
        "--direction",
        "out",
        "--event",
        "cursor*",
        "--loop",
        "2",
        "--rate",
        "200",
        "--json",
        env=cli_env(server),
    )
    assert code == 0, err
    got = await listener.wait(4)
    assert [e.event for e in got] == ["cursor-move", "Cursor-Up"] * 2
    assert (lines[0]["sent"], lines[0]["left_out"], lines[0]["timing"]) == (4, 1, "200 msg/s")
    code, _, err = await run(
        "replay", str(rec), "--channel", "rp", "--speed", "x200", env=cli_env(server)
    )
    assert code == 2
    assert "must be between 0.5 and 100" in err


async def test_listen_output_replays_over_rest(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    recorder = await start("listen", "--channel", "src", "--count", "3", env=cli_env(server))
    await read_until(recorder, joined)
    for i, payload in enumerate(({"i": 0}, b"\x01\x02", {"i": 2})):
        await listener.client.rest_send("src", f"ev{i}", payload, binary=isinstance(payload, bytes))
    out, _ = await asyncio.wait_for(recorder.communicate(), TIMEOUT)
    rec = tmp_path / "listen.ndjson"
    rec.write_bytes(out)
    code, lines, err = await run(
        "replay",
        str(rec),
        "--channel",
        "rp",
        "--via",
        "rest",
        "--speed",
        "100",
        "--json",
        env=cli_env(server),
    )
    assert code == 0, err
    got = await listener.wait(3)
    assert [e.event for e in got] == ["ev0", "ev1", "ev2"]
    assert got[1].payload_bytes() == b"\x01\x02"
    assert lines[0]["ok"] == 3
    assert lines[0]["rtt_ms"]["count"] == 3
    assert lines[0]["not_broadcasts"] >= 1  # the join line


async def test_ctrl_c_stops_with_a_summary(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    rec = _export(
        tmp_path / "long.ndjson", [(i * 0.05, f"e{i}", b"{}", IN, JSON) for i in range(400)]
    )
    proc = await start("replay", str(rec), "--channel", "rp", "--json", env=cli_env(server))
    await listener.wait(2)  # it is running
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 130, err.decode()
    summary = json.loads(out)
    assert summary["cancelled"] is True
    assert 2 <= summary["sent"] < 400
    assert "interrupted after" in err.decode()


async def test_replay_reads_stdin(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    rec = _export(tmp_path / "s.ndjson", [(i * 0.001, f"s{i}", b"{}", IN, JSON) for i in range(3)])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "replay",
        "-",
        "--channel",
        "rp",
        "--json",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env(server),
    )
    out, err = await asyncio.wait_for(proc.communicate(rec.read_bytes()), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert json.loads(out)["file"] == "stdin"
    assert [e.event for e in await listener.wait(3)] == ["s0", "s1", "s2"]


async def test_private_replay_over_rest_reaches_the_private_channel(
    server: RealtimeServer, tmp_path: Path
) -> None:
    got: list[str] = []
    arrived = asyncio.Event()

    def on_event(e: Any) -> None:
        if isinstance(e, BroadcastReceived):
            got.append(e.event)
            arrived.set()

    client = RealtimeClient(ClientSettings(server.url, server.anon_key), on_event=on_event)
    try:
        await client.connect()
        await client.join(ChannelConfig("ok-priv", private=True))
        rec = _export(tmp_path / "p.ndjson", [(0.0, "secret-ish", b"{}", IN, JSON)])
        code, _, err = await run(
            "replay",
            str(rec),
            "--channel",
            "ok-priv",
            "--private",
            "--via",
            "rest",
            env=cli_env(server),
        )
        assert code == 0, err
        await asyncio.wait_for(arrived.wait(), TIMEOUT)
        assert got == ["secret-ish"]
        code, _, err = await run(  # a private channel the rules do not open: refused
            "replay",
            str(rec),
            "--channel",
            "room-x",
            "--private",
            "--via",
            "rest",
            env=cli_env(server),
        )
        assert code == 1
        assert "1 of 1 sends failed: HTTP 403: Unauthorized" in err
    finally:
        await client.close()


async def test_failed_sends_say_why_and_error_answers_are_not_timed(
    server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: ``replay`` ended with "11 of 11 sends failed" and no reason (``send`` says it), and
    its histogram timed the refused REST answers while repeat leaves them out. One rule for
    both engines: only ok answers are round trips."""
    rec = _export(tmp_path / "r.ndjson", [(i * 0.001, f"e{i}", b"{}", IN, JSON) for i in range(3)])
    code, out, err = await run(
        "replay",
        str(rec),
        "--channel",
        "room-x",
        "--private",
        "--via",
        "rest",
        "--rate",
        "1000",
        "--json",
        env=cli_env(server),
    )
    assert code == 1
    assert "realtime-inspector replay: 3 of 3 sends failed: HTTP 403: Unauthorized" in err
    assert "other reason" not in err  # one reason, said once
    [summary] = out
    assert (summary["error"], summary["rtt_ms"]["count"]) == (3, 0)


async def test_expand_vars_fills_each_send_and_a_bad_template_sends_nothing(
    server: RealtimeServer, listener: Listener, tmp_path: Path
) -> None:
    rec = _export(
        tmp_path / "rec.ndjson",
        [
            (0.000, "tick-{{seq}}", b'{"n":"{{seq}}","who":"{{env.RI_WHO}}"}', IN, JSON),
            (0.001, "tick-{{seq}}", b'{"n":"{{seq}}","lit":"{{{{"}', IN, JSON),
        ],
    )
    args = ("replay", str(rec), "--channel", "rp", "--rate", "1000", "--loop", "2")
    code, _, err = await run(*args, env=cli_env(server, RI_WHO="qa"))
    assert code == 0, err
    got = await listener.wait(4)
    assert [e.event for e in got] == ["tick-{{seq}}"] * 4  # by default: exactly as recorded
    code, _, err = await run(*args, "--expand-vars", env=cli_env(server, RI_WHO="qa"))
    assert code == 0, err
    got = (await listener.wait(8))[4:]
    assert [e.event for e in got] == ["tick-1", "tick-2", "tick-3", "tick-4"]
    assert [e.json_payload() for e in got] == [
        {"n": 1, "who": "qa"},
        {"n": 2, "lit": "{{"},
        {"n": 3, "who": "qa"},
        {"n": 4, "lit": "{{"},
    ]
    code, lines, err = await run(*args, "--expand-vars", env=cli_env(server))
    assert (code, lines) == (2, [])
    assert "--expand-vars: message 1 (tick-{{seq}}): line 1, column 23: the environment" in err
    assert len(await listener.marker()) == 8
