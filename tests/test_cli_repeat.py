"""``send`` repeat and burst (issue #11 §3) as a user runs it: subprocesses against the local
server. --count/--duration/--rate/--in-flight, variables per message, --json, the summary
table on stderr, and Ctrl+C during a run. No timing in the assertions."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import signal
import sys

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start

from inspector.cli import main
from inspector.protocol.server_events import BroadcastPushed
from inspector.server import RealtimeServer

SEND = ("send", "--channel", "room-1", "--event", "e")
KEYS = {"sent", "ok", "error", "timed_out", "unanswered", "cancelled", "elapsed_s", "rate_per_s"}


def table(err: str) -> dict[str, str]:
    """The summary table on stderr as {row name: value}."""
    lines = err.splitlines()
    start_at = lines.index("realtime-inspector send: summary:")
    rows = {}
    for line in lines[start_at + 1 :]:
        if not line.startswith("  "):
            break
        name, value = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        rows[name] = value
    return rows


async def test_json_prints_one_summary_object_and_the_table_goes_to_stderr(
    server: RealtimeServer,
) -> None:
    code, lines, err = await run(
        *SEND, "--payload", '{"n": "{{seq}}"}', "--count", "500", "--ack", "--in-flight", "8",
        "--json", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    assert len(lines) == 1
    summary = lines[0]
    assert set(summary) >= KEYS
    assert (summary["sent"], summary["ok"], summary["error"], summary["timed_out"]) == (
        500, 500, 0, 0,
    )  # fmt: skip
    assert summary["cancelled"] is False
    rtt = summary["rtt_ms"]
    assert rtt["count"] == 500
    assert 0 < rtt["p50"] <= rtt["p95"] <= rtt["p99"] <= rtt["max"]
    rows = table(err)
    assert (rows["sent"], rows["ok"], rows["error"], rows["timed out"]) == ("500", "500", "0", "0")
    assert rows["round trip p99"].endswith(" ms")
    assert "\r" not in err  # stderr is a pipe here: no progress line


async def test_every_message_is_expanded_with_its_seq(server: RealtimeServer) -> None:
    listener = await start("listen", "--channel", "room-1", "--count", "50", env=cli_env(server))
    await read_until(listener, joined)
    code, lines, err = await run(
        *SEND[:4], "tick-{{seq}}", "--payload", '{"seq": "{{seq}}", "at": "{{now}}"}',
        "--count", "50", "--rate", "5000", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    results, summary = lines[:-1], lines[-1]["summary"]
    assert sorted(r["i"] for r in results) == list(range(1, 51))
    assert {r["event"] for r in results} == {f"tick-{i}" for i in range(1, 51)}
    assert summary["sent"] == 50
    out, _ = await asyncio.wait_for(listener.communicate(), TIMEOUT)
    got = [json.loads(x) for x in out.decode().splitlines()]
    payloads = [b["payload"] for b in got if b["kind"] == "broadcast"]
    assert [p["seq"] for p in payloads] == list(range(1, 51))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["at"]) for p in payloads)


async def test_duration_ends_the_run_and_count_caps_it(server: RealtimeServer) -> None:
    code, lines, err = await run(
        *SEND, "--payload", "{}", "--duration", "0.5", "--rate", "40", "--json",
        env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    assert 1 <= lines[0]["sent"] <= 20  # message n is due at (n - 1) / 40 s
    assert lines[0]["cancelled"] is False
    code, lines, err = await run(
        *SEND, "--payload", "{}", "--duration", "60", "--count", "30", "--json",
        env=cli_env(server),
    )  # fmt: skip
    assert (code, lines[0]["sent"]) == (0, 30), err


async def test_rest_with_in_flight(server: RealtimeServer) -> None:
    code, lines, err = await run(
        *SEND, "--payload", '{"n": "{{seq}}"}', "--rest", "--count", "40", "--in-flight", "4",
        "--json", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    assert (lines[0]["sent"], lines[0]["ok"], lines[0]["rtt_ms"]["count"]) == (40, 40, 40)


async def test_timeouts_in_a_run_exit_1_with_the_counts(server: RealtimeServer) -> None:
    server.faults.mute_acks = True
    code, lines, err = await run(
        *SEND, "--payload", "{}", "--ack", "--count", "3", "--in-flight", "3",
        "--timeout", "0.2", "--json", env=cli_env(server),
    )  # fmt: skip
    assert code == 1
    assert (lines[0]["sent"], lines[0]["timed_out"]) == (3, 3)
    assert err.splitlines()[-1] == "realtime-inspector send: 3 of 3 sends failed"
    assert table(err)["timed out"] == "3"


async def test_ctrl_c_during_a_duration_run_prints_the_summary(server: RealtimeServer) -> None:
    proc = await start(
        *SEND, "--payload", '{"n": "{{seq}}"}', "--duration", "600", "--ack",
        "--in-flight", "4", env=cli_env(server),
    )  # fmt: skip
    try:
        await read_until(proc, lambda line: line.get("i") == 1)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 130, err.decode()
    summary = json.loads(out.decode().splitlines()[-1])["summary"]
    assert "summary:" in err.decode(), err.decode()
    assert summary["cancelled"] is True
    assert summary["sent"] >= 1
    assert summary["ok"] == summary["sent"]
    assert table(err.decode())["sent"] == f"{summary['sent']:,}"
    last = err.decode().splitlines()[-1]
    assert last == f"realtime-inspector send: interrupted after {summary['sent']} sends"


async def test_ctrl_c_with_json_still_prints_the_one_object(server: RealtimeServer) -> None:
    proc = await start(
        *SEND, "--payload", "{}", "--count", "100000000", "--rate", "2000", "--json",
        env=cli_env(server),
    )  # fmt: skip
    try:
        # nothing on stdout until the end: wait for the server to see the first broadcast
        await server.events.wait_for(lambda r: isinstance(r.event, BroadcastPushed), timeout=20)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 130, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["cancelled"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((*SEND, "--payload", "{}", "--in-flight", "4"), "--in-flight needs --ack (or --rest)"),
        ((*SEND, "--payload", "{}", "--in-flight", "0"), "argument --in-flight: must be at least"),
        ((*SEND, "--payload", "{}", "--duration", "0"), "argument --duration: must be a number"),
        ((*SEND, "--payload", '{"n": {{nope}}}'), "cannot be expanded: line 1, column 7: unknown"),
        ((*SEND[:4], "e-{{x}}", "--payload", "{}"), "the event name cannot be expanded"),
    ],
)
def test_bad_repeat_flags_exit_2(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SUPABASE_URL": "http://127.0.0.1:9", "SUPABASE_KEY": "k" * 20}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code  # type: ignore[assignment]
    assert code == 2
    assert message in capsys.readouterr().err


async def test_progress_goes_to_stderr_only_when_it_is_a_terminal(server: RealtimeServer) -> None:
    """On a terminal the run rewrites one progress line in place (``\\r``), then clears it
    before the summary table; a piped stderr never gets it (see the --json test)."""
    master, slave = pty.openpty()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "inspector", *SEND, "--payload", "{}", "--duration", "0.8",
            "--rate", "200", "--json",
            stdout=asyncio.subprocess.PIPE, stderr=slave, env=cli_env(server),
        )  # fmt: skip
        os.close(slave)
        slave = -1
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    err = b"".join(chunks).decode()
    assert proc.returncode == 0, err
    sent = json.loads(out)["sent"]
    assert re.search(r"\r\x1b\[Ksent [\d,]+ +ok 0 +error 0 +timed out 0 +[\d,]+ msg/s", err), err
    assert "\r\x1b[Krealtime-inspector send: summary:" in err.replace("\r\n", "\n")
    assert table(err.replace("\r\n", "\n").replace("\r\x1b[K", "\n"))["sent"] == f"{sent:,}"
