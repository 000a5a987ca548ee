"""``realtime-inspector listen`` and ``send`` run as a user runs them: subprocesses against the
local server (docs/realtime-protocol.md §5, §6; issue #3 part 2)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start

from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.server import RealtimeServer, Rules, ServerConfig


@pytest.fixture
def server_config() -> ServerConfig:
    """For the suite-wide ``server`` fixture (tests/conftest.py): private ``ok-*`` for anon."""
    rules = Rules.from_data({"allow": [{"channels": ["ok-*"], "roles": ["anon"], "can": ["all"]}]})
    return ServerConfig(port=0, rules=rules)


def test_headless_subcommands_never_import_qt() -> None:
    code = (
        "import sys\n"
        "from inspector.cli import main\n"
        "for sub in ('listen', 'send', 'replay', 'har'):\n"
        "    try:\n"
        "        main([sub, '--help'])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync'))\n"
        "print('QT:' + ','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: realtime-inspector listen" in proc.stdout
    assert "usage: realtime-inspector send" in proc.stdout
    assert "usage: realtime-inspector replay" in proc.stdout
    assert "usage: realtime-inspector har" in proc.stdout
    assert proc.stdout.strip().endswith("QT:")


async def test_listen_prints_json_lines_and_stops_after_count(
    server: RealtimeServer, tmp_path: Path
) -> None:
    proc = await start(
        "listen",
        "--channel",
        "room-1",
        "--channel",
        "room-2",
        "--presence-key",
        "cli",
        "--count",
        "3",
        "--timeout",
        "15",
        env=cli_env(server),
    )
    before = await read_until(proc, lambda line: joined(line) and line["channel"] == "room-2")
    assert [line["kind"] for line in before].count("join") >= 2
    server.publish("room-1", "json", {"text": "héllo"}, message_id="m-1")
    server.publish_user("room-2", "bytes", b"\x00\x01\xff")
    server.publish("room-1", "third", [1, 2])
    server.publish("room-1", "fourth-not-printed", {})
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    lines = before + [json.loads(x) for x in out.decode().splitlines()]
    broadcasts = [line for line in lines if line["kind"] == "broadcast"]
    assert [(b["channel"], b["event"]) for b in broadcasts] == [
        ("room-1", "json"),
        ("room-2", "bytes"),
        ("room-1", "third"),
    ]
    assert broadcasts[0]["payload"] == {"text": "héllo"}
    assert broadcasts[0]["meta"] == {"id": "m-1"}
    assert broadcasts[1]["payload"] == {"$binary": "AAH/"}
    assert broadcasts[1]["binary"] is True
    assert broadcasts[0]["time"].endswith("Z")
    assert any(line["kind"] == "presence" for line in lines)
    leaked = (
        server.anon_key in out.decode() + err.decode()
    )  # a bool: a failure never prints the secret
    assert not leaked


async def test_listen_event_filter_and_v1(server: RealtimeServer) -> None:
    proc = await start(
        "listen",
        "--channel",
        "room-1",
        "--event",
        "KEEP",
        "--vsn",
        "1",
        "--count",
        "1",
        env=cli_env(server),
    )
    await read_until(proc, joined)
    server.publish("room-1", "drop", {})
    server.publish("room-1", "keep", {"k": 1})
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    [line] = [json.loads(x) for x in out.decode().splitlines() if '"broadcast"' in x]
    assert (line["event"], line["payload"]) == ("keep", {"k": 1})


async def test_listen_event_globs_share_the_gui_syntax(server: RealtimeServer) -> None:
    """``--event`` takes the store's glob syntax (issue 9): an exact name is a glob without
    wildcards, ``[`` is literal, a backslash escapes."""
    args = ["--event", "Cursor-*", "--event", "tock[1]", "--event", r"a\*", "--count", "3"]
    proc = await start("listen", "--channel", "room-1", *args, env=cli_env(server))
    await read_until(proc, joined)
    for event in ("drop", "cursor-move", "tock1", "ab", "tock[1]", "a*"):
        server.publish("room-1", event, {})
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    lines = [json.loads(x) for x in out.decode().splitlines() if '"broadcast"' in x]
    assert [line["event"] for line in lines] == ["cursor-move", "tock[1]", "a*"]


async def test_listen_timeout_exit_codes(server: RealtimeServer) -> None:
    code, lines, _ = await run(
        "listen", "--channel", "room-1", "--timeout", "0.5", env=cli_env(server)
    )
    assert code == 0
    assert lines[-1]["payload"]["state"] == "closed"
    code, _, err = await run(
        "listen", "--channel", "room-1", "--count", "1", "--timeout", "0.5", env=cli_env(server)
    )
    assert code == 3
    assert err.strip() == (
        "realtime-inspector listen: timed out after 0.5 s with 0 of 1 broadcasts"
    )


async def test_listen_stops_cleanly_on_ctrl_c(server: RealtimeServer) -> None:
    proc = await start("listen", "--channel", "room-1", env=cli_env(server))
    await read_until(proc, joined)
    proc.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    assert json.loads(out.decode().splitlines()[-1])["payload"]["state"] == "closed"


async def test_connection_auth_and_join_failures_exit_1_with_one_line(
    server: RealtimeServer,
) -> None:
    forged = sign({"role": "anon", "exp": CLI_DEMO_EXP}, "wrong-secret-" * 4)
    code, _, err = await run("listen", "--channel", "r", "--key", forged, env=cli_env(server))
    assert code == 1
    assert err.splitlines()[-1] == (
        "realtime-inspector listen: the server refused the connection with HTTP 401: "
        "Failed to validate JWT signature"
    )
    leaked = forged in err  # a bool: a failure never prints the secret
    assert not leaked
    code, _, err = await run(
        "send",
        "--channel",
        "nope",
        "--private",
        "--event",
        "e",
        "--payload",
        "{}",
        env=cli_env(server),
    )
    assert code == 1
    assert err.strip().endswith(
        "refused: Unauthorized: You do not have permissions to read from this Channel topic: nope"
    )
    code, _, err = await run(
        "listen",
        "--channel",
        "r",
        env=cli_env(SUPABASE_URL="http://127.0.0.1:1", SUPABASE_KEY=server.anon_key),
    )
    assert code == 1
    assert "refused the connection" in err


async def test_usage_errors_exit_2(server: RealtimeServer, tmp_path: Path) -> None:
    code, _, err = await run("listen", "--channel", "r", env=cli_env())
    assert (code, err.strip()) == (
        2,
        "realtime-inspector listen: no URL: pass --url or set SUPABASE_URL",
    )
    code, _, err = await run(
        "send", "--channel", "r", "--event", "e", "--payload", "{bad", env=cli_env(server)
    )
    assert code == 2
    assert "the payload in --payload is not valid JSON" in err
    code, _, err = await run(
        "send",
        "--url",
        "ftp://x",
        "--key",
        "k",
        "--channel",
        "r",
        "--event",
        "e",
        "--payload",
        "1",
        env=cli_env(),
    )
    assert code == 2
    assert "must start with http://" in err
    blob = tmp_path / "b.bin"
    blob.write_bytes(b"\x00")
    code, _, err = await run(
        "send",
        "--channel",
        "r",
        "--event",
        "e",
        "--binary",
        f"@{blob}",
        "--vsn",
        "1",
        env=cli_env(server),
    )
    assert code == 2
    assert "binary payloads need --vsn 2" in err


async def test_send_ack_rest_binary_and_summary(server: RealtimeServer, tmp_path: Path) -> None:
    listener = await start("listen", "--channel", "room-1", "--count", "5", env=cli_env(server))
    await read_until(listener, joined)
    payload = tmp_path / "p.json"
    payload.write_text('{"from": "file", "n": [1, 2]}')
    code, lines, err = await run(
        "send",
        "--channel",
        "room-1",
        "--event",
        "acked",
        "--payload",
        f"@{payload}",
        "--ack",
        "--count",
        "3",
        "--rate",
        "200",
        env=cli_env(server),
    )
    assert code == 0, err
    results, summary = lines[:-1], lines[-1]["summary"]
    assert sorted(r["i"] for r in results) == [1, 2, 3]
    assert {r["status"] for r in results} == {"ok"}
    assert all(r["rtt_ms"] > 0 for r in results)
    assert (summary["sent"], summary["ok"], summary["error"], summary["timed_out"]) == (3, 3, 0, 0)
    assert summary["rtt_ms"]["p50"] <= summary["rtt_ms"]["p99"]
    blob = tmp_path / "b.bin"
    blob.write_bytes(b"\xde\xad")
    code, lines, _ = await run(
        "send", "--channel", "room-1", "--event", "raw", "--binary", f"@{blob}", env=cli_env(server)
    )
    assert code == 0
    assert lines[0]["status"] == "sent"
    code, lines, _ = await run(
        "send",
        "--channel",
        "room-1",
        "--event",
        "via-rest",
        "--payload",
        '{"r": 1}',
        "--rest",
        env=cli_env(server),
    )
    assert code == 0
    assert (lines[0]["http"], lines[0]["status"]) == (202, "ok")
    out, _ = await asyncio.wait_for(listener.communicate(), TIMEOUT)
    got = [json.loads(x) for x in out.decode().splitlines()]
    events = [(b["event"], b["payload"]) for b in got if b["kind"] == "broadcast"]
    assert events == [("acked", {"from": "file", "n": [1, 2]})] * 3 + [
        ("raw", {"$binary": "3q0="}),
        ("via-rest", {"r": 1}),
    ]


async def test_send_failures_are_counted_and_exit_1(server: RealtimeServer) -> None:
    server.faults.mute_acks = True
    code, lines, err = await run(
        "send",
        "--channel",
        "room-1",
        "--event",
        "e",
        "--payload",
        "{}",
        "--ack",
        "--timeout",
        "0.3",
        env=cli_env(server),
    )
    assert code == 1
    assert lines[0]["status"] == "timed_out"
    assert lines[-1]["summary"]["timed_out"] == 1
    assert err.strip() == "realtime-inspector send: 1 of 1 sends failed"
    code, lines, _ = await run(
        "send",
        "--channel",
        "room-1",
        "--event",
        "e",
        "--payload",
        "{}",
        "--rest",
        "--private",
        env=cli_env(server),
    )
    assert code == 1
    assert (lines[0]["http"], lines[0]["error"]) == (403, "HTTP 403: Unauthorized")
